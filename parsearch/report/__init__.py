"""One static HTML page over every results folder under a root.

``parsearch report RESULTS_ROOT`` finds each folder (at any depth) that holds a
``scores.csv`` and writes a page with one section per folder: the metric and its
direction, the best configuration, how many configurations were ok, failed or
diverged, the folder's PNG images, a table of all rows that sorts when a column
header is clicked, and the facts from ``meta.json``.

The page is self-contained: inline CSS and a few lines of plain JavaScript, images
referenced by paths relative to the HTML file, so it works opened straight from disk
on a machine without network access. Compute first, render second:
:func:`collect_runs` reads the folders into :class:`Run` objects, :func:`render_report`
turns them into a string, :func:`write_report` does both and writes the file
atomically.
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from parsearch.results.files import META, SCORES, atomic_write
from parsearch.results.read import metric_direction, read_meta, read_scores
from parsearch.rows import Col, Status, param_columns

#: Default name of the page, written in the results root.
INDEX = "index.html"

#: Columns left out of the table: the same on every row, or a copy of the parameters.
_HIDDEN = (Col.METRIC, Col.DIRECTION, Col.KEY)

#: Number formats of the table cells; others use ``_DEFAULT_FORMAT``.
_FORMATS = {Col.FIT_SECONDS: ".3g"}
_DEFAULT_FORMAT = ".6g"


@dataclass
class Run:
    """One results folder, read and summarised for the report.

    Attributes
    ----------
    folder : Path
        The results folder.
    name : str
        Its path relative to the results root (``"."`` for the root itself).
    table : pandas.DataFrame
        The rows of ``scores.csv``.
    meta : dict
        The contents of ``meta.json`` (empty where there is none).
    metric : str
        The metric's name.
    greater_is_better : bool
        The metric's direction.
    best : int or None
        Row position of the best ok configuration (the earliest among ties).
    counts : dict
        ``{"ok": n, "failed": n, "diverged": n}``.
    images : list of Path
        The folder's PNG files, sorted by name.
    """

    folder: Path
    name: str
    table: pd.DataFrame = field(repr=False)
    meta: dict = field(repr=False)
    metric: str
    greater_is_better: bool
    best: int | None
    counts: dict
    images: list

    @property
    def params(self):
        """The parameter columns, in grid order."""
        return param_columns(self.table.columns)

    @property
    def best_params(self):
        """The best configuration as a dict, or None when no configuration succeeded."""
        if self.best is None:
            return None
        row = self.table.iloc[self.best]
        key = row.get(Col.KEY)
        if isinstance(key, str):
            try:
                config = json.loads(key)
            except json.JSONDecodeError:
                config = None
            if isinstance(config, dict):
                return config
        return {p: row[p] for p in self.params}

    @property
    def best_score(self):
        """The best score (NaN when no configuration succeeded)."""
        return math.nan if self.best is None else float(self.table[Col.SCORE].iloc[self.best])


def find_results(root):
    """The results folders under ``root``: every folder, at any depth, with a scores.csv.

    Folders whose name starts with a dot (``.git``, ``.ipynb_checkpoints``) are not
    searched.

    Parameters
    ----------
    root : str or Path
        The results root (itself a results folder, or a folder that holds some).

    Returns
    -------
    list of Path
        The folders, sorted by their path relative to ``root``.

    Raises
    ------
    FileNotFoundError
        When ``root`` does not exist or holds no results folder.
    ValueError
        When a folder has a meta.json but no scores.csv (the store writes scores.csv
        first, so one of the two was lost or moved).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"No such results root: {root}")
    found, orphans = [], []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if SCORES in files:
            found.append(Path(folder))
        elif META in files:
            orphans.append(Path(folder))
    if orphans:
        raise ValueError(
            f"{orphans[0]} has a {META} but no {SCORES}: restore it, rerun the search, "
            "or move the folder out of the results root."
        )
    if not found:
        raise FileNotFoundError(
            f"No results folders under {root}: no folder there holds a {SCORES}. "
            "Pass the folder given as `out=` to fit_grid, or a folder above it."
        )
    return sorted(found, key=lambda f: f.relative_to(root).parts)


def load_run(folder, root=None):
    """Read one results folder into a :class:`Run`.

    Parameters
    ----------
    folder : str or Path
        The results folder.
    root : str or Path, optional
        The results root, for the run's name (default: ``folder`` itself).

    Raises
    ------
    FileNotFoundError, ValueError
        For a folder without scores.csv, a malformed scores.csv or meta.json.
    """
    folder = Path(folder)
    table = read_scores(folder)
    _check_scores(table, folder / SCORES)
    try:
        meta = read_meta(folder)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{folder / META} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{folder / META} is not a JSON object.")
    greater, metric = metric_direction(table, meta)
    scores = pd.to_numeric(table[Col.SCORE], errors="coerce")
    ok = table[(table[Col.STATUS] == Status.OK) & scores.map(math.isfinite)]
    best = None
    if len(ok):
        order = scores[ok.index].sort_values(ascending=not greater, kind="stable")
        best = table.index.get_loc(order.index[0])
    status = table[Col.STATUS].value_counts()
    counts = {s: int(status.get(s, 0)) for s in (Status.OK, Status.FAILED, Status.DIVERGED)}
    name = Path(os.path.relpath(folder, root)).as_posix() if root is not None else "."
    if name == ".":
        name = folder.absolute().name
    images = sorted(p for p in folder.glob("*.png") if p.is_file() and not p.name.startswith("."))
    return Run(folder, name, table, meta, metric, greater, best, counts, images)


def _check_scores(table, path):
    """Reject what ``read_scores`` lets through: rows longer than the header, odd statuses."""
    if not isinstance(table.index, pd.RangeIndex):
        # pandas takes the extra leading fields of a too-long first row as an index.
        raise ValueError(
            f"{path} is not a valid scores file: a row has more fields than the header."
        )
    odd = ~table[Col.STATUS].isin([Status.OK, Status.FAILED, Status.DIVERGED])
    if odd.any():
        line = int(odd.to_numpy().argmax())
        raise ValueError(
            f"{path} is not a valid scores file: row {line + 1} has status "
            f"{table[Col.STATUS].iloc[line]!r}, not one of ok, failed, diverged."
        )


def collect_runs(root):
    """Read every results folder under ``root`` (see :func:`find_results`)."""
    return [load_run(folder, root) for folder in find_results(root)]


def write_report(root="results", output=None):
    """Write the HTML report over every results folder under ``root``.

    Parameters
    ----------
    root : str or Path, default="results"
        The results root.
    output : str or Path, optional
        The HTML file to write (default: ``root/index.html``). Images are referenced
        relative to its folder.

    Returns
    -------
    Path
        The file written.
    """
    root = Path(root)
    runs = collect_runs(root)
    output = Path(output) if output is not None else root / INDEX
    page = render_report(runs, output, title=f"parsearch report: {root}")
    with atomic_write(output) as f:
        f.write(page)
    return output


# --- rendering --------------------------------------------------------------------------


def _e(value):
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _is_number_column(series):
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _missing(value):
    if isinstance(value, (list, tuple, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _format(value, fmt=_DEFAULT_FORMAT):
    """A cell's text: numbers to a few significant digits, lists compactly, NaN empty."""
    if _missing(value):
        return ""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format(v, fmt) for v in value) + "]"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (float, np.floating)):
        return format(float(value), fmt)
    return str(value)


def _config_text(config):
    return ", ".join(f"{k} = {_format(v)}" for k, v in config.items())


def render_report(runs, output, title="parsearch report"):
    """The HTML page for ``runs``, to be written at ``output``.

    Parameters
    ----------
    runs : list of Run
        The results folders, in the order shown.
    output : str or Path
        Where the page will be written: image paths are made relative to its folder.
    title : str
        The page title.

    Returns
    -------
    str
    """
    base = Path(output).absolute().parent
    toc = "".join(
        f'<li><a href="#run-{i}">{_e(run.name)}</a> <span>{_e(_summary_line(run))}</span></li>'
        for i, run in enumerate(runs, 1)
    )
    sections = "\n".join(_section(run, i, base) for i, run in enumerate(runs, 1))
    return _PAGE.format(
        title=_e(title),
        style=_STYLE,
        script=_SCRIPT,
        n=len(runs),
        folders="folder" if len(runs) == 1 else "folders",
        toc=toc,
        sections=sections,
    )


def _summary_line(run):
    if run.best is None:
        return "no configuration succeeded"
    return f"best {run.metric} {_format(run.best_score)}"


def _section(run, index, base):
    word = "higher" if run.greater_is_better else "lower"
    counts = ", ".join(
        f'<span class="bad">{n} {_e(s)}</span>' if n and s != Status.OK else f"{n} {_e(s)}"
        for s, n in run.counts.items()
    )
    if run.best is None:
        best = '<p class="best">no configuration succeeded</p>'
    else:
        best = (
            f'<p class="best">best: <code>{_e(_config_text(run.best_params))}</code> '
            f"&rarr; {_e(run.metric)} <strong>{_e(_format(run.best_score))}</strong></p>"
        )
    figures = "".join(_figure(path, base) for path in run.images)
    images = f'<div class="images">{figures}</div>' if figures else ""
    return (
        f'<section id="run-{index}" class="run">\n'
        f"<h2>{_e(run.name)}</h2>\n"
        f'<p class="summary">metric <strong>{_e(run.metric)}</strong> ({word} is better) '
        f"&middot; {len(run.table)} configurations: {counts}</p>\n"
        f"{best}\n{_meta_list(run.meta)}\n{images}\n{_table(run)}\n</section>"
    )


def _figure(path, base):
    relative = Path(os.path.relpath(path.absolute(), base)).as_posix()
    src = quote(relative, safe="/")
    return (
        f'<figure><a href="{_e(src)}"><img src="{_e(src)}" alt="{_e(path.name)}"></a>'
        f"<figcaption>{_e(path.name)}</figcaption></figure>"
    )


def _meta_list(meta):
    """meta.json's facts as ``(term, text)`` pairs rendered in a definition list."""
    if not meta:
        return f'<p class="nometa">no {META}</p>'
    facts = []
    if meta.get("model"):
        model = " ".join(str(meta["model"]).split())  # sklearn's repr breaks long lines
        facts.append(("model", f"<code>{_e(model)}</code>"))
    data = meta.get("data") or {}
    shapes = [
        f"{name} {'×'.join(str(n) for n in data[name])}"
        for name in ("X_train", "X_val")
        if isinstance(data.get(name), list)
    ]
    if data.get("n_classes"):
        shapes.append(f"{data['n_classes']} classes")
    if shapes:
        facts.append(("data", _e(", ".join(shapes))))
    if meta.get("validation"):
        facts.append(("validation", _e(meta["validation"])))
    execution = meta.get("execution") or {}
    if execution.get("device"):
        facts.append(("device", _e(execution["device"])))
    run_on = [
        f"{key} {execution[key]}"
        for key in ("engine", "backend", "n_jobs")
        if execution.get(key) is not None
    ]
    if run_on:
        facts.append(("execution", _e(", ".join(run_on))))
    if meta.get("wall_seconds") is not None:
        facts.append(("wall seconds", _e(_format(float(meta["wall_seconds"]), ".4g"))))
    when = " → ".join(str(meta[k]) for k in ("started", "finished") if meta.get(k))
    if when:
        facts.append(("time", _e(when)))
    if meta.get("status"):
        facts.append(("status", _e(meta["status"])))
    versions = dict(meta.get("versions") or {})
    if meta.get("parsearch_version"):
        versions = {"parsearch": meta["parsearch_version"], **versions}
    if versions:
        facts.append(("versions", _e(", ".join(f"{k} {v}" for k, v in versions.items()))))
    items = "".join(f"<dt>{_e(term)}</dt><dd>{text}</dd>" for term, text in facts)
    return f'<dl class="meta">{items}</dl>'


def _table(run):
    table = run.table
    shown = [c for c in table.columns if c not in _HIDDEN]
    numeric = {c: _is_number_column(table[c]) for c in shown}
    head = "".join(
        f'<th data-column="{_e(c)}" data-type="{"number" if numeric[c] else "text"}"'
        f' class="{"param" if c in run.params else "result"}">'
        f'<button type="button">{_e(run.metric if c == Col.SCORE else c)}</button></th>'
        for c in shown
    )
    rows = []
    for position, record in enumerate(table[shown].itertuples(index=False, name=None)):
        classes = [f"status-{record[shown.index(Col.STATUS)]}"] if Col.STATUS in shown else []
        if position == run.best:
            classes.append("best")
        cells = []
        for column, value in zip(shown, record):
            text = _format(value, _FORMATS.get(column, _DEFAULT_FORMAT))
            if numeric[column]:
                raw = "" if _missing(value) else repr(float(value))
                cells.append(f'<td class="num" data-value="{_e(raw)}">{_e(text)}</td>')
            elif column == Col.ERROR and text:
                cells.append(f'<td class="error" title="{_e(text)}">{_e(text)}</td>')
            else:
                cells.append(f"<td>{_e(text)}</td>")
        rows.append(f'<tr class="{" ".join(_e(c) for c in classes)}">{"".join(cells)}</tr>')
    body = "\n".join(rows) or f'<tr><td colspan="{len(shown)}">no rows yet</td></tr>'
    return (
        f'<div class="table-wrap"><table class="scores">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>"
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p>{n} results {folders}. Click a column header to sort; click again to reverse.</p>
<ol class="toc">{toc}</ol>
</header>
<main>
{sections}
</main>
<script>{script}</script>
</body>
</html>
"""

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
  max-width: 1200px; padding: 1rem 1.5rem; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.5rem; margin: .2rem 0; }
h2 { font-size: 1.2rem; margin: 0 0 .4rem; font-family: ui-monospace, monospace; }
header p { margin: .2rem 0; color: #555; }
.toc { margin: .4rem 0 1rem; padding-left: 1.4rem; }
.toc span { color: #666; margin-left: .4rem; }
section.run { border-top: 2px solid #ddd; padding: 1rem 0 1.5rem; }
.summary, .best { margin: .2rem 0; }
.bad { color: #b42318; font-weight: 600; }
code { font-family: ui-monospace, monospace; font-size: .92em; background: #f3f3f5;
  padding: 0 .25em; border-radius: 3px; white-space: pre-wrap; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem;
  margin: .6rem 0; font-size: .92em; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; }
.images { display: flex; flex-wrap: wrap; gap: 1rem; margin: .6rem 0; }
.images figure { margin: 0; }
.images img { max-width: 100%; max-height: 480px; border: 1px solid #e3e3e3; }
figcaption { font-size: .85em; color: #666; }
.table-wrap { max-height: 32rem; overflow: auto; border: 1px solid #e3e3e3; }
table.scores { border-collapse: collapse; width: 100%; font-size: .92em; }
table.scores th { position: sticky; top: 0; background: #f3f3f5; text-align: left;
  border-bottom: 1px solid #ccc; padding: 0; white-space: nowrap; }
table.scores th button { all: unset; cursor: pointer; display: block; padding: .3rem .6rem; }
table.scores th[data-type="number"] { text-align: right; }
table.scores th button:focus-visible { outline: 2px solid #4a7dff; }
table.scores th[aria-sort="ascending"] button::after { content: " \\25B2"; }
table.scores th[aria-sort="descending"] button::after { content: " \\25BC"; }
table.scores td { padding: .2rem .6rem; border-bottom: 1px solid #eee; }
table.scores td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.scores td.error { max-width: 28rem; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; color: #b42318; }
table.scores tr.status-failed, table.scores tr.status-diverged { background: #fff4f2; }
table.scores tr.best { background: #eaf7ea; font-weight: 600; }
"""

#: Sorts a table by the clicked header: numbers by ``data-value``, text naturally,
#: empty and NaN cells last in either direction, ties kept in file order.
_SCRIPT = """
(function () {
  "use strict";
  document.querySelectorAll("table.scores").forEach(function (table) {
    var body = table.tBodies[0];
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    Array.prototype.forEach.call(body.rows, function (row, i) { row.dataset.order = i; });
    heads.forEach(function (th, col) {
      th.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.dataset.type === "number";
        var key = function (row) {
          var cell = row.cells[col];
          if (!cell) { return null; }
          if (numeric) {
            var raw = cell.dataset.value;
            var x = raw === undefined || raw === "" ? NaN : Number(raw);
            return isNaN(x) ? null : x;
          }
          var text = cell.textContent.trim();
          return text === "" ? null : text;
        };
        var rows = Array.prototype.slice.call(body.rows).map(function (row) {
          return { row: row, key: key(row), order: Number(row.dataset.order) };
        });
        rows.sort(function (a, b) {
          if (a.key === null || b.key === null) {
            if (a.key === b.key) { return a.order - b.order; }
            return a.key === null ? 1 : -1;
          }
          var c = numeric ? a.key - b.key
            : a.key.localeCompare(b.key, undefined, { numeric: true });
          return (ascending ? c : -c) || a.order - b.order;
        });
        rows.forEach(function (r) { body.appendChild(r.row); });
      });
    });
  });
})();
"""
