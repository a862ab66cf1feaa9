"""How a ``GridResult`` shows itself in Jupyter: an HTML view with the plot inline.

Every value that comes from the data or the caller (parameter names and values, the
metric's name, statuses, the folder, an error) is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import logging
import math

from parsearch.rows import Col, param_columns

logger = logging.getLogger(__name__)

#: Rows of the table in the view: the best ones.
TOP_ROWS = 5

_NUMBER_COLUMNS = (Col.SCORE, Col.SCORE_STD, Col.FIT_SECONDS)


def _cell(value):
    """A value as escaped text: floats to six significant digits, NaN as empty."""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return html.escape(str(value))


def _params_text(params):
    """``alpha=0.0001, eta0=0.1``, escaped."""
    return html.escape(", ".join(f"{name}={value!r}" for name, value in params.items()))


def _top_table(result):
    """The best rows as an HTML table: the parameters, the score, the status, the time."""
    top = result.top(TOP_ROWS)
    if not len(top):
        return ""
    columns = param_columns(top.columns)
    columns += [c for c in (*_NUMBER_COLUMNS, Col.STATUS) if c in top.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in top[columns].itertuples(index=False, name=None)
    )
    caption = f"the {len(top)} best of {len(result.table)}"
    return (
        f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _plot_img(result):
    """The plot as an ``<img>`` holding a base64 PNG, or a line saying why there is none."""
    from parsearch.plot.inline import png_bytes

    try:
        png = png_bytes(result._draw())
    except Exception as exc:  # the view must show even where the plot cannot be drawn
        logger.debug("Drawing the rich view's plot failed.", exc_info=True)
        return f"<p>The plot could not be drawn: {html.escape(f'{type(exc).__name__}: {exc}')}</p>"
    data = base64.b64encode(png).decode("ascii")
    alt = html.escape(f"{result.metric} over the grid")
    return f'<img src="data:image/png;base64,{data}" alt="{alt}">'


def result_html(result):
    """The HTML view of a :class:`~parsearch.search.result.GridResult`.

    Parameters
    ----------
    result : GridResult

    Returns
    -------
    str
        The counts of each status, the best score and parameters, the folder, the best
        rows as a table and the plot as an inline PNG.
    """
    lines = [f"<strong>GridResult</strong> of {html.escape(result._counts_text())}"]
    best = html.escape(result._best_text())
    if result.best_params is not None and math.isfinite(result.best_score):
        best += f" at <code>{_params_text(result.best_params)}</code>"
    lines.append(f"best {best}")
    if result.out is not None:
        lines.append(f"folder: <code>{html.escape(str(result.out))}</code>")
    return (
        '<div class="parsearch-result"><p>'
        + "<br>".join(lines)
        + "</p>"
        + _top_table(result)
        + _plot_img(result)
        + "</div>"
    )
