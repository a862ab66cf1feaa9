"""The report page as a string: a section per :class:`~parsearch.results.read.Run`.

A folder that could not be read is listed with the reason, symlinks out of the root as
skipped. The page works opened from disk, without network: its CSS and the script that
sorts a table by the clicked header are inlined from ``assets/`` (package data), and
images are linked relative to the page.
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
from parsearch.text import is_unset

#: Columns left out of the table: the same on every row, or a copy of the parameters.
_HIDDEN = (Col.METRIC, Col.DIRECTION, Col.KEY)
#: Number formats of the table cells; others use ``_DEFAULT_FORMAT``.
_FORMATS = {Col.FIT_SECONDS: ".3g"}
_DEFAULT_FORMAT = ".6g"


@functools.cache
def _asset(name):
    """The text of ``assets/NAME``."""
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def _is_number_column(series):
    """Whether a column sorts as numbers (booleans do not)."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _format(value, fmt=_DEFAULT_FORMAT):
    """A cell's text: numbers to a few significant digits, lists compactly, NaN empty."""
    if is_unset(value):
        return ""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format(v, fmt) for v in value) + "]"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (float, np.floating)):
        return format(float(value), fmt)
    return str(value)


def render_report(runs, output, title="parsearch report", skipped=()):
    """The HTML page for ``runs``, to be written at ``output``.

    Parameters
    ----------
    runs : list of Run or Problem
        The results folders in the order shown: a section per
        :class:`~parsearch.results.read.Run`, a line per
        :class:`~parsearch.report.collect.Problem` (why it is unreadable).
    output : str or Path
        Where the page will be written: image paths are relative to its folder.
    title : str
        The page title.
    skipped : list of Problem
        What a symlink out of the root kept from being read, listed under the contents.

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
    """A folder's note in the contents: its best score, or why it is not shown."""
    if isinstance(run, Problem):
        return '<span class="bad">unreadable</span>'
    if run.best is None:
        return "<span>no configuration succeeded</span>"
    return f"<span>{_e(f'best {run.metric} {_format(run.best_score)}')}</span>"


def _unreadable(problem, index):
    """The ``<section>`` of a folder that could not be read: its name and the reason."""
    return (
        f'<section id="run-{index}" class="unreadable">\n<h2>{_e(problem.name)}</h2>\n'
        f'<p class="bad">unreadable: {_e(problem.reason)}</p>\n</section>'
    )


def _skipped_list(skipped):
    """What symlinks out of the results root kept from being read, as a list."""
    if not skipped:
        return ""
    items = "".join(f"<li><code>{_e(p.name)}</code>: {_e(p.reason)}</li>" for p in skipped)
    return f'<div class="skipped"><p>Skipped, not read:</p><ul>{items}</ul></div>'


def _count(status, n):
    """One status count in its look (:data:`~parsearch.plot.style.LOOKS`) where it is not
    ok and not 0, with what the status means as a tooltip."""
    look = LOOKS[status]
    if status == Status.OK or not n:
        return f"{n} {_e(status)}"
    title = f' title="{_e(look.meaning)}"' if look.meaning else ""
    return f'<span class="{look.css}"{title}>{n} {_e(status)}</span>'


def _section(run, index, base):
    """The ``<section>`` of one run: summary, best configuration, facts, images, table."""
    counts = ", ".join(_count(s, n) for s, n in run.counts.items())
    if run.best is None:
        best = '<p class="best">no configuration succeeded</p>'
    else:
        config = ", ".join(f"{k} = {_format(v)}" for k, v in run.best_params.items())
        best = (
            f'<p class="best">best: <code>{_e(config)}</code> '
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
        f"{best}\n{_facts(run)}\n{images}\n{_table(run)}\n</section>"
    )


def _figure(path, base):
    """One image as a linked ``<figure>``, its path relative to ``base`` and URL-quoted."""
    src = quote(Path(os.path.relpath(path.absolute(), base)).as_posix(), safe="/")
    return (
        f'<figure><a href="{_e(src)}"><img src="{_e(src)}" alt="{_e(path.name)}"></a>'
        f"<figcaption>{_e(path.name)}</figcaption></figure>"
    )


def _facts(run):
    """meta.json's facts as a definition list (those it holds, in a fixed order)."""
    meta = run.meta
    if not meta:
        return f'<p class="nometa">no {META}</p>'
    data, execution = meta.get("data") or {}, meta.get("execution") or {}
    shapes = [
        f"{name} {'×'.join(str(n) for n in data[name])}"
        for name in ("X_train", "X_val")
        if isinstance(data.get(name), list)
    ]
    if data.get("n_classes"):
        shapes.append(f"{data['n_classes']} classes")
    versions = dict(meta.get("versions") or {})
    if meta.get("parsearch_version"):
        versions = {"parsearch": meta["parsearch_version"], **versions}
    wall = meta.get("wall_seconds")
    run_on = ("engine", "backend", "n_jobs")
    facts = {  # term -> text, shown where not empty
        "data": ", ".join(shapes),
        "validation": meta.get("validation"),
        "successive halving": run.halving_text(),
        "device": execution.get("device"),
        "execution": ", ".join(
            f"{k} {execution[k]}" for k in run_on if execution.get(k) is not None
        ),
        "wall seconds": None if wall is None else _format(float(wall), ".4g"),
        "time": " → ".join(str(meta[k]) for k in ("started", "finished") if meta.get(k)),
        "status": meta.get("status"),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }
    items = "".join(f"<dt>{term}</dt><dd>{_e(text)}</dd>" for term, text in facts.items() if text)
    if meta.get("model"):  # sklearn's repr breaks long lines
        model = " ".join(str(meta["model"]).split())
        items = f"<dt>model</dt><dd><code>{_e(model)}</code></dd>{items}"
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
    status, rows = shown.index(Col.STATUS), []
    for position, record in enumerate(table[shown].itertuples(index=False, name=None)):
        best = " best" if position == run.best else ""
        cells = []
        for column, value in zip(shown, record):
            text = _format(value, _FORMATS.get(column, _DEFAULT_FORMAT))
            if numeric[column]:
                raw = "" if is_unset(value) else repr(float(value))
                cells.append(f'<td class="num" data-value="{_e(raw)}">{_e(text)}</td>')
            elif column == Col.ERROR and text:
                cells.append(f'<td class="error" title="{_e(text)}">{_e(text)}</td>')
            else:
                cells.append(f"<td>{_e(text)}</td>")
        rows.append(f'<tr class="status-{_e(record[status])}{best}">{"".join(cells)}</tr>')
    body = "\n".join(rows) or f'<tr><td colspan="{len(shown)}">no rows yet</td></tr>'
    return (
        f'<div class="table-wrap"><table class="scores">'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>"
    )
