"""The score over one parameter (a line plot), and the single point of a one-config grid.

Numbers are placed at their value (on a log scale when they span two decades), other
values evenly in axis order, as are numbers among which one is not finite, two land on
one spot (``-0`` and ``0``) or whose span overflows. The line joins the fully trained
values; pruned ones are hollow at their last rung's score, tagged ``@n`` with their
epochs; failed and diverged ones are crosses along the bottom; the best is a star.
"""

from __future__ import annotations

import math

import numpy as np

from parsearch.plot.arrays import reduce_cells
from parsearch.plot.figure import (
    along_bottom,
    axes_message,
    drawable,
    needs_rotation,
    new_figure,
    rotate_x_labels,
    set_title,
)
from parsearch.plot.labels import at_epochs, best_text, is_log_spaced, tick_indices
from parsearch.plot.style import BEST, FAILURES, LOOKS, line_marks
from parsearch.rows import Status
from parsearch.text import display_label, is_finite_number


def _placeable(positions, log_x):
    """Whether numbers can go at their value: distinct, and a span that does not overflow."""
    if len(np.unique(positions)) < len(positions):
        return False  # -0.0 and 0.0 on one spot
    if log_x:
        return True
    with np.errstate(over="ignore"):
        return bool(np.isfinite(2 * (positions.max() - positions.min())))


def _positions(x_values):
    """Where the values go on the x axis: ``(positions, numeric, log_x)``."""
    numeric = all(is_finite_number(v) for v in x_values)
    log_x = numeric and is_log_spaced(x_values)
    if numeric and not log_x and is_log_spaced(x_values, zero_too=True):
        numeric = False  # 0 beside log-spaced values: evenly placed, as categories
    if numeric:
        positions = np.array([float(v) for v in x_values])
        numeric = _placeable(positions, log_x)
    if not numeric:
        return np.arange(len(x_values), dtype=float), False, False
    return positions, numeric, log_x


def _power_of_ten(exponent, fallback):
    """``10 ** exponent``, or ``fallback`` where that overflows or underflows to 0."""
    try:
        value = 10.0 ** float(exponent)
    except OverflowError:
        return fallback
    return value if 0 < value < math.inf else fallback


def _log_limits(positions, margin=0.05):
    """x limits a little beyond positive positions on a log axis, within the floats."""
    lo, hi = float(positions.min()), float(positions.max())
    log_lo, log_hi = math.log10(lo), math.log10(hi)
    pad = margin * (log_hi - log_lo)
    return min(_power_of_ten(log_lo - pad, lo), lo), max(_power_of_ten(log_hi + pad, hi), hi)


#: The most pruned points tagged with the epochs they trained.
_MAX_TAGGED = 30


def _draw_pruned(ax, line, positions):
    """Hollow marks at the pruned values' last scores, tagged with their epochs."""
    pruned = np.flatnonzero((line.status == Status.PRUNED) & np.isfinite(line.scores))
    if pruned.size == 0:
        return
    scores = drawable(line.scores)
    label = "pruned@n: stopped after n epochs (its score then)"
    look = LOOKS[Status.PRUNED]
    ax.plot(positions[pruned], scores[pruned], **line_marks(look, 6, label=label, zorder=3))
    if pruned.size > _MAX_TAGGED:
        return
    below = {"xytext": (0, -11), "textcoords": "offset points", "ha": "center"}
    for i in pruned:
        if tag := at_epochs(line.epochs[i]):
            ax.annotate(tag, (positions[i], scores[i]), fontsize=7, color="0.4", **below)


def _draw_points(mpl, ax, line, positions, metric):
    """The line, its ok points, the pruned ones, the best star and the failure crosses."""
    ok = line.status == Status.OK
    scores = drawable(line.scores)
    joined = np.where(ok, scores, np.nan)  # pruned scores are not comparable: not joined
    look = LOOKS[Status.OK]
    ax.plot(positions, joined, color=look.color, linewidth=1.5, zorder=2)
    ax.plot(positions[ok], scores[ok], **line_marks(look, 5, label=metric, zorder=3))
    _draw_pruned(ax, line, positions)
    if line.best is not None:
        best = line_marks(BEST, 16, label=f"best: {line.scores[line.best]:.4g}", zorder=4)
        ax.plot(positions[line.best], scores[line.best], **best)
    bottom = {"transform": along_bottom(mpl, ax), "clip_on": False}
    for status in FAILURES:
        where = line.status == status
        if np.any(where):
            cross = line_marks(LOOKS[status], 9, markeredgewidth=2, label=status, zorder=4)
            ax.plot(positions[where], np.full(int(where.sum()), 0.04), **cross, **bottom)


def _set_y_range(ax, line):
    if not np.any(np.isfinite(line.scores)):
        ax.set_ylim(0, 1)
        axes_message(ax, "no configuration succeeded", color="0.4")
    else:
        scores = drawable(line.scores)
        lo, hi = np.nanmin(scores), np.nanmax(scores)
        pad = (hi - lo) * 0.12 or abs(hi) * 0.05 or 0.05
        ax.set_ylim(lo - pad, hi + pad)  # room for the failure marks at the bottom


def _set_x_axis(mpl, ax, line, positions, numeric, log_x, axes_w):
    n = len(line.x_values)
    shown = list(range(n)) if numeric else tick_indices(n)
    labels = [display_label(line.x_labels[i]) for i in shown]
    if numeric:
        if n <= 15:
            ax.set_xticks(positions, labels)
            ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
    else:
        ax.set_xticks(positions[shown], labels)
        ax.set_xlim(-0.5, n - 0.5)
    if needs_rotation(labels, axes_w / max(len(shown), 1)):
        rotate_x_labels(ax)
    ax.set_xlabel(display_label(line.x, 80) + (" (log scale)" if log_x else ""))


def plot_line(frame, line):
    """The figure of a ScoreLine: the score over one parameter."""
    mpl = frame.mpl
    positions, numeric, log_x = _positions(line.x_values)
    width = min(14.0, max(5.5, 3.0 + 0.45 * len(line.x_values)))
    fig = new_figure(figsize=(width, 4.2), layout="constrained")
    ax = fig.add_subplot()
    if log_x:  # limits first: matplotlib's own margins overflow near the largest float
        ax.set_xscale("log")
        ax.set_xlim(*_log_limits(positions))
    _set_y_range(ax, line)
    _draw_points(mpl, ax, line, positions, frame.metric)
    _set_x_axis(mpl, ax, line, positions, numeric, log_x, axes_w=width - 1.5)
    ax.set_ylabel(frame.metric_label)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    best_score = line.scores[line.best] if line.best is not None else None
    frame.title(fig, best_score, line.best_params, width)
    return fig


def plot_single(frame):
    """The figure of a grid of one configuration: its score as one marked point."""
    data = frame.data
    cells = reduce_cells(data, [], None, frame.greater_is_better)
    status = cells.status.item()
    fig = new_figure(figsize=(4.8, 3.8), layout="constrained")
    ax = fig.add_subplot()
    if cells.best is not None:
        score, drawn = float(cells.scores), float(drawable(cells.scores))
        ax.plot([0], [drawn], **line_marks(BEST, 18))
        above = {"xytext": (0, 12), "textcoords": "offset points", "ha": "center"}
        ax.annotate(f"{score:.4g}", (0, drawn), fontsize=11, **above)
        pad = abs(drawn) * 0.05 or 0.05
        ax.set_ylim(drawn - pad, drawn + pad)
        best = best_text(frame.metric, score, cells.best_params, data.axes)
    else:
        ax.set_yticks([])
        color = LOOKS[status].color if status in FAILURES else "0.4"
        axes_message(ax, str(status), fontsize=14, color=color)
        settings = ", ".join(
            f"{display_label(p)}={display_label(data.axes[p].labels[0])}"
            for p in data.params
            if data.axes[p].values
        )
        best = f"the only configuration {status}" + (f" ({settings})" if settings else "")
    ax.set_xlim(-1, 1)
    ax.set_xticks([])
    ax.set_ylabel(frame.metric_label)
    ax.grid(True, axis="y", alpha=0.3)
    set_title(fig, frame.heading, best, 4.8)
    return fig
