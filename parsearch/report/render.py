"""The report's HTML: a page over :class:`~parsearch.report.collect.Run` objects, as a string.

A folder that could not be read is listed as unreadable, with the reason, and symlinks
out of the results root as skipped.

The page is self-contained: the CSS and a few lines of plain JavaScript are inlined
from the package data files in ``assets/`` (``page.html``, the page's skeleton with
``${name}`` placeholders; ``report.css``; ``report.js``, which sorts a table by the
clicked header: numbers by ``data-value``, text naturally, empty and NaN cells last in
either direction, ties kept in file order), and images are referenced by paths
relative to the HTML file, so it works opened straight from disk on a machine without
network access.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from string import Template
from urllib.parse import quote

import numpy as np
import pandas as pd

from parsearch.plot.style import LOOKS
from parsearch.report.collect import Problem
from parsearch.results.files import META
from parsearch.rows import Col, Status
from parsearch.text import html_text as _e

#: Columns left out of the table: the same on every row, or a copy of the parameters.
_HIDDEN = (Col.METRIC, Col.DIRECTION, Col.KEY)

#: Number formats of the table cells; others use ``_DEFAULT_FORMAT``.
_FORMATS = {Col.FIT_SECONDS: ".3g"}
_DEFAULT_FORMAT = ".6g"


@functools.cache
def _asset(name):
    """The text of ``assets/NAME``, a package data file of :mod:`parsearch.report`."""
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def _is_number_column(series):
    """Whether a column sorts as numbers (booleans do not)."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _missing(value):
    """Whether a cell is empty: None, NaN or pd.NA (a list or dict never is)."""
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
    """A configuration as ``"name = value, ..."``."""
    return ", ".join(f"{k} = {_format(v)}" for k, v in config.items())


def render_report(runs, output, title="parsearch report", skipped=()):
    """The HTML page for ``runs``, to be written at ``output``.

    Parameters
    ----------
    runs : list of Run or Problem
        The results folders, in the order shown: a :class:`~parsearch.report.collect.Run`
        gets its section; a :class:`~parsearch.report.collect.Problem` (a folder that
        could not be read) is listed as unreadable, with the reason.
    output : str or Path
        Where the page will be written: image paths are made relative to its folder.
    title : str
        The page title.
    skipped : list of Problem
        Folders not read because a symlink leads out of the results root, listed under
        the table of contents.

    Returns
    -------
    str
    """
    base = Path(output).absolute().parent
    toc = "".join(
        f'<li><a href="#run-{i}">{_e(run.name)}</a> {_toc_note(run)}</li>'
        for i, run in enumerate(runs, 1)
    )
    sections = "\n".join(
        _unreadable(run, i) if isinstance(run, Problem) else _section(run, i, base)
        for i, run in enumerate(runs, 1)
    )
    unreadable = sum(isinstance(run, Problem) for run in runs)
    return Template(_asset("page.html")).substitute(
        title=_e(title),
        style=_asset("report.css"),
        script=_asset("report.js"),
        n=len(runs),
        folders="folder" if len(runs) == 1 else "folders",
        notes=f", {unreadable} unreadable" if unreadable else "",
        toc=toc,
        skipped=_skipped_list(skipped),
        sections=sections,
    )


def _toc_note(run):
    """The run's note in the table of contents: its best score, or why it is not shown."""
    if isinstance(run, Problem):
        return '<span class="bad">unreadable</span>'
    return f"<span>{_e(_summary_line(run))}</span>"


def _unreadable(problem, index):
    """The ``<section>`` of a folder that could not be read: its name and the reason."""
    return (
        f'<section id="run-{index}" class="unreadable">\n<h2>{_e(problem.name)}</h2>\n'
        f'<p class="bad">unreadable: {_e(problem.reason)}</p>\n</section>'
    )


def _skipped_list(skipped):
    """The symlinks out of the results root that were not followed, as a list."""
    if not skipped:
        return ""
    items = "".join(
        f"<li><code>{_e(problem.name)}</code>: {_e(problem.reason)}</li>" for problem in skipped
    )
    return f'<div class="skipped"><p>Skipped, not read:</p><ul>{items}</ul></div>'


def _summary_line(run):
    """The run's line in the table of contents: its best score, or that none succeeded."""
    if run.best is None:
        return "no configuration succeeded"
    return f"best {run.metric} {_format(run.best_score)}"


def _count(status, n):
    """One status count in its look (:data:`parsearch.plot.style.LOOKS`): failures in
    red, pruned ones (successive halving) apart, with what they mean as a tooltip."""
    look = LOOKS.get(status)
    if look is None or status == Status.OK or not (n or status == Status.PRUNED):
        return f"{n} {_e(status)}"
    title = f' title="{_e(look.meaning)}"' if look.meaning else ""
    return f'<span class="{look.css}"{title}>{n} {_e(status)}</span>'


def _section(run, index, base):
    """The ``<section>`` of one run: summary, best configuration, facts, images, table."""
    counts = ", ".join(_count(s, n) for s, n in run.counts.items())
    if run.best is None:
        best = '<p class="best">no configuration succeeded</p>'
    else:
        best = (
            f'<p class="best">best: <code>{_e(_config_text(run.best_params))}</code> '
            f"&rarr; {_e(run.metric)} <strong>{_e(_format(run.best_score))}</strong></p>"
        )
    figures = "".join(_figure(path, base) for path in run.images)
    images = f'<div class="images">{figures}</div>' if figures else ""
    if run.skipped:
        left_out = ", ".join(f"<code>{_e(p.name)}</code> ({_e(p.reason)})" for p in run.skipped)
        images += f'\n<p class="skipped">left out: {left_out}</p>'
    return (
        f'<section id="run-{index}" class="run">\n'
        f"<h2>{_e(run.name)}</h2>\n"
        f'<p class="summary">metric <strong>{_e(run.metric)}</strong> ({_e(run.direction.label)}) '
        f"&middot; {len(run.table)} configurations: {counts}</p>\n"
        f"{best}\n{_meta_list(run)}\n{images}\n{_table(run)}\n</section>"
    )


def _figure(path, base):
    """One image as a linked ``<figure>``, its path relative to ``base`` and URL-quoted."""
    relative = Path(os.path.relpath(path.absolute(), base)).as_posix()
    src = quote(relative, safe="/")
    return (
        f'<figure><a href="{_e(src)}"><img src="{_e(src)}" alt="{_e(path.name)}"></a>'
        f"<figcaption>{_e(path.name)}</figcaption></figure>"
    )


def _meta_list(run):
    """meta.json's facts as ``(term, text)`` pairs rendered in a definition list."""
    meta = run.meta
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
    if run.halving_text():
        facts.append(("successive halving", _e(run.halving_text())))
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
    """The run's rows as a sortable ``<table>``, the best row marked."""
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
