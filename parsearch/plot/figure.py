"""What every figure shares: importing matplotlib, the colours, the title, saving a PNG.

Figures are made by :func:`new_figure`, never by pyplot, so the user's backend and global
state are left alone and a script opens no window. Text from the data is drawn as it
reads (:func:`plain_text`), and :func:`save_plot_safely` saves a figure where nothing may
fail.
"""

from __future__ import annotations

import logging
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from parsearch._optional import import_optional
from parsearch.plot.labels import best_text
from parsearch.plot.style import DPI
from parsearch.rows import Status, metric_label
from parsearch.text import escape_controls

logger = logging.getLogger(__name__)

#: Scores beyond this magnitude are drawn at it: matplotlib's limits and tickers overflow
#: near the largest float (1.8e308). What is written (cells, the best) is the true score.
DRAWABLE = 1e300


def import_matplotlib():
    """``matplotlib``, with every module the drawing uses imported.

    ``fit_grid`` calls it in a background thread while the fits run, so that the plot
    after the search does not wait for the import. Raises ImportError, saying how to
    install it, if matplotlib is not installed.
    """
    return import_optional(
        "matplotlib", "cm", "colors", "figure", "lines", "patches", "text", "ticker", "transforms"
    )


def new_figure(**kwargs):
    """A new :class:`~parsearch.plot.inline.InlineFigure` (``Figure``'s ``kwargs``), which
    pyplot does not manage and which shows itself once as a Jupyter cell's last value."""
    from parsearch.plot.inline import InlineFigure

    return InlineFigure(**kwargs)


def drawable(values):
    """Scores as drawn: an array of floats clipped to ``±DRAWABLE``, NaN kept."""
    return np.clip(np.asarray(values, dtype=float), -DRAWABLE, DRAWABLE)


def _score_norm(mpl, arrays):
    """The colour scale over the finite scores of ``arrays``, and whether there are any."""
    finite = drawable(np.concatenate([np.ravel(a) for a in arrays]))
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return mpl.colors.Normalize(0.0, 1.0), False
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        pad = abs(lo) * 0.01 or 0.01
        lo, hi = lo - pad, hi + pad
    return mpl.colors.Normalize(lo, hi), True


def along_bottom(mpl, ax):
    """The transform of marks along the bottom of ``ax``: x in data, y in axes (0 to 1)."""
    return mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)


def axes_message(ax, text, **style):
    """Write ``text`` in the middle of ``ax`` (where there is no score to draw)."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", **style)


def _wrap(text, width_in):
    """Each line of ``text`` wrapped to the width, control characters escaped."""
    chars = max(30, int(width_in * 11))
    return "\n".join(textwrap.fill(escape_controls(line), chars) for line in text.split("\n"))


@dataclass(frozen=True)
class Frame:
    """What every figure of a results table is drawn with: matplotlib, the encoded
    table (whose axes label the best), the metric's name as drawn and direction, and the
    title's first lines (the line naming the best follows them)."""

    mpl: Any
    data: Any
    metric: str
    greater_is_better: bool
    heading: str

    @property
    def metric_label(self):
        """The score axis's label: ``"accuracy (higher is better)"``."""
        return metric_label(self.metric, self.greater_is_better)

    def score_colours(self, places):
        """``(cmap, norm, has_scores)``: viridis, reversed for a lower-is-better metric so
        that the best is always bright, and its scale over the finite scores of ``places``
        (``(scores, status)`` pairs).

        The scale spans the fully trained scores of all places where there are any (a
        facet of pruned cells only does not stretch the others'): pruned rows' rung
        scores would stretch it until every survivor had one colour; they are drawn
        clipped to it instead.
        """
        trained = [
            scores[(status == Status.OK) & np.isfinite(drawable(scores))]
            for scores, status in places
        ]
        norm, has_scores = _score_norm(self.mpl, trained)
        if not has_scores:
            norm, has_scores = _score_norm(self.mpl, [scores for scores, _ in places])
        cmap = self.mpl.colormaps["viridis"]
        if not self.greater_is_better:
            cmap = cmap.reversed()
        return cmap.with_extremes(bad=(0, 0, 0, 0)), norm, has_scores

    def title(self, fig, score, params, width_in):
        """Title ``fig``: the heading, then the best score and configuration (or none)."""
        best = best_text(self.metric, score, params, self.data.axes)
        set_title(fig, self.heading, best, width_in)


def set_title(fig, heading, best, width_in):
    """The figure's title: the heading, then the line naming the best, wrapped to fit."""
    fig.suptitle(_wrap(f"{heading}\n{best}", width_in), fontsize=10)


def needs_rotation(labels, space_in, fontsize=9.0):
    """Whether labels side by side, ``space_in`` inches apart, would overlap."""
    longest = max((len(s) for s in labels), default=0)
    return longest * fontsize * 0.6 / 72 > 0.9 * space_in


def rotate_x_labels(ax):
    """Tilt the x tick labels by 45 degrees, anchored at their right end."""
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")


def plain_text(fig):
    """``fig``, every text of it drawn as plain text: no mathtext, no TeX.

    What the plots write from the data reads as it is (a ``$`` is a dollar sign, ``_``
    an underscore: ``"$a_b_c$"`` would not parse); only the tick labels that matplotlib's
    own locators place (``10^-3`` on a log axis, the offset) keep their math. Texts added
    to the figure later are left as matplotlib makes them.
    """
    mpl = import_matplotlib()
    formatted = set()  # written by matplotlib's own locators and formatters: math is theirs
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatted.add(axis.offsetText)
            for ticks, locator in (
                (axis.get_major_ticks(), axis.get_major_locator()),
                (axis.get_minor_ticks(), axis.get_minor_locator()),
            ):
                if not isinstance(locator, mpl.ticker.FixedLocator):  # not set_ticks'
                    formatted.update(t for tick in ticks for t in (tick.label1, tick.label2))
    for text in fig.findobj(mpl.text.Text):
        if text not in formatted:
            text.set_parse_math(False)
            text.set_usetex(False)
    return fig


def save_figure(fig, path):
    """Write a figure to a PNG file atomically.

    The image is written to a temporary file in the same folder and moved into place
    with :func:`os.replace`, so a reader never sees a half-written file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save.
    path : str or os.PathLike
        Destination of the PNG; missing parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    from parsearch.results.files import atomic_write

    path = Path(path)
    with atomic_write(path, binary=True) as f:
        fig.savefig(f, format="png", dpi=DPI)
    return path


def _release(fig):
    """Take a figure back from pyplot (see :func:`parsearch.plot.inline.release`)."""
    if getattr(getattr(fig, "canvas", None), "manager", None) is not None:
        from parsearch.plot.inline import release

        release(fig)


def save_plot_safely(draw, path):
    """Draw a figure and save it as a PNG; never raise, warn instead.

    For the end of a search, whose rows are all stored by then: a plot that cannot be
    drawn or written must not lose the result. Any :class:`Exception` becomes a
    :class:`RuntimeWarning` and the returned message; ``path`` is then left as it was.

    Parameters
    ----------
    draw : callable
        Returns the figure (``result.plot``); called here, so its errors are caught too.
    path : str or os.PathLike
        Destination of the PNG (see :func:`save_figure`).

    Returns
    -------
    str or None
        None when the PNG was written, else what went wrong.
    """
    path = Path(path)
    try:
        fig = draw()
        try:
            save_figure(fig, path)
        finally:  # saved, not shown: a Jupyter cell that ran the search shows no figure
            _release(fig)
    except Exception as exc:  # drawing must never fail a search
        logger.debug("Drawing %s failed.", path, exc_info=True)
        message = (
            f"The plot was not saved to {path}: {type(exc).__name__}: {exc}. "
            f"The results are kept; redraw it with: parsearch plot {path.parent}"
        )
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        return message
    return None
