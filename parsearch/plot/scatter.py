"""Scatter plots of a table that is no grid (a sampled search space): one point a row.

From a :class:`~parsearch.plot.points.ScorePoints`: the score against one parameter
(:func:`plot_score_against`), a scatter over two coloured by the score
(:func:`plot_pair`), or the corner matrix over the :data:`MAX_MATRIX` most important
(:func:`plot_matrix`). Fully trained rows are filled in their score's colour, pruned ones
hollow in their last rung's, failed and diverged ones crosses (along the bottom where
the score is the axis), the best a star, each kind one collection whose ``gid`` names it.
Parameters go on a log axis, a linear one, or on levels with the points jittered.
"""

from __future__ import annotations

import math

import numpy as np

from parsearch.plot.figure import (
    along_bottom,
    drawable,
    needs_rotation,
    new_figure,
    rotate_x_labels,
)
from parsearch.plot.labels import tick_indices
from parsearch.plot.style import BEST, FAILURES, LOOKS, line_marks, scatter_marks
from parsearch.rows import Status
from parsearch.text import display_label, format_number

#: The most parameters of the matrix of pairwise scatters (the most important ones).
MAX_MATRIX = 4
#: The ``gid`` of the best point's mark; the others carry their status (``"ok"``, ...).
BEST_GID = "best"
#: Points on levels are spread this far (a fraction of the distance between levels).
_JITTER = 0.32
_SEED = 0


def jittered(points):
    """Where each row is drawn along each parameter: levels jittered (with a fixed seed,
    so a point sits at the same place in every panel), values as they are."""
    rng = np.random.default_rng(_SEED)
    drawn = {}
    for p, scale in points.scales.items():
        spread = rng.uniform(-_JITTER, _JITTER, len(scale.positions))
        drawn[p] = scale.positions + spread if scale.discrete else scale.positions
    return drawn


def _style_axis(ax, which, name, scale, space_in, label=True):
    """A parameter's scale, ticks and label on the x or y axis of ``ax``."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    if scale.kind == "log":
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        _plain_log_ticks(axis)
    if scale.unset_at is not None:
        _unset_tick(ax, axis, which, scale)
    elif scale.discrete:
        shown = tick_indices(len(scale.labels))
        labels = [scale.labels[i] for i in shown]
        axis.set_ticks(shown, labels)
        (ax.set_xlim if which == "x" else ax.set_ylim)(-0.5, len(scale.labels) - 0.5)
        if which == "x" and needs_rotation(labels, space_in / max(len(shown), 1), 8):
            rotate_x_labels(ax)
    if label:
        log = " (log scale)" if scale.kind == "log" else ""
        axis.set_label_text(display_label(name, 80) + log)


def _unset_tick(ax, axis, which, scale):
    """The place of the rows that leave a numeric parameter unset: a tick and a divider.

    The tick is the axis's only minor one (a log axis's minor ticks carry no label), and
    the major ticks of the values are kept to the values' side of the divider, so that
    none takes the unset rows' place or labels it with a number.
    """
    from matplotlib import rcParams
    from matplotlib.ticker import FixedFormatter, FixedLocator, Locator

    at = scale.unset_at
    values = scale.positions[scale.positions != at]
    lo = float(values.min()) if values.size else at
    divider = math.sqrt(at * lo) if scale.kind == "log" else (at + lo) / 2

    class ValuesSide(Locator):
        """The major ticks of ``base`` on the values' side of the divider."""

        def __init__(self, base):
            self.base = base

        def set_axis(self, axis):
            super().set_axis(axis)
            self.base.set_axis(axis)

        def __call__(self):
            return [t for t in self.base() if t > divider]

        def tick_values(self, vmin, vmax):
            return [t for t in self.base.tick_values(vmin, vmax) if t > divider]

    axis.set_major_locator(ValuesSide(axis.get_major_locator()))
    axis.set_minor_locator(FixedLocator([at]))
    axis.set_minor_formatter(FixedFormatter([scale.unset_label or "unset"]))
    axis.remove_overlapping_locs = False  # a minor tick on a major one would be dropped
    axis.set_tick_params(  # placed as the major ticks are, so the labels line up
        which="minor",
        length=rcParams[f"{which}tick.major.size"],
        pad=rcParams[f"{which}tick.major.pad"],
        labelsize=8,
        labelcolor="0.35",
    )
    line = ax.axvline if which == "x" else ax.axhline
    line(divider, color="0.6", linewidth=0.8, linestyle=":", zorder=1)


def _plain_log_ticks(axis):
    """Decade ticks labelled as plain text (``1e-3``), not matplotlib's mathtext ``10^{-3}``.

    Mathtext runs through pyparsing, whose newer releases warn from the older matplotlib
    releases this package supports; and every text of a figure is plain here.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, exp_style=v < 1)))
    axis.set_minor_formatter(NullFormatter())


def _marks(points):
    """Row masks: fully trained, pruned (with a score or not), failed and diverged."""
    status = points.status
    finite = np.isfinite(points.score)
    return {
        Status.OK: (status == Status.OK) & finite,
        Status.PRUNED: status == Status.PRUNED,
        Status.FAILED: (status == Status.FAILED) | ((status == Status.OK) & ~finite),
        Status.DIVERGED: status == Status.DIVERGED,
    }


def _colours(points, rows, cmap, norm):
    """Each row's colour by its score; grey where it has none."""
    scores = drawable(points.score[rows])
    colours = cmap(norm(np.nan_to_num(scores)))
    colours[~np.isfinite(scores)] = (0.55, 0.55, 0.55, 1.0)
    return colours


def draw_points(ax, points, xs, ys, *, cmap, norm, size, bottom=None):
    """The marks of every row at ``(xs, ys)``, a scored one ``size`` points squared.

    With ``bottom`` (:func:`~parsearch.plot.figure.along_bottom`) the scores are the y
    axis, and the rows without one go along its bottom.
    """
    marks = _marks(points)
    if bottom is not None:
        ys = drawable(points.score)

    def scatter(rows, look, area, *, by_score=False, low=False, **style):
        """The marks of ``rows`` in ``look`` (in their scores' colours where ``by_score``),
        along the bottom where ``low``."""
        colours = _colours(points, rows, cmap, norm) if by_score else None
        at = {"transform": bottom, "clip_on": False} if low else {}
        y = np.full(int(rows.sum()), 0.04) if low else ys[rows]
        ax.scatter(xs[rows], y, **scatter_marks(look, area, colours, **style), **at)

    pruned = marks[Status.PRUNED]
    if pruned.any():
        # where the scores are the y axis, a pruned row without one (its metric failed at
        # the rung) goes along the bottom, as the failed rows do
        unscored = pruned & ~np.isfinite(ys) if bottom is not None else np.zeros_like(pruned)
        hollow = {"by_score": True, "linewidths": 0.9, "zorder": 2}
        look, area = LOOKS[Status.PRUNED], size * 0.55
        scatter(pruned & ~unscored, look, area, gid=str(Status.PRUNED), **hollow)
        if unscored.any():
            scatter(unscored, look, area, low=True, gid=f"{Status.PRUNED}-unscored", **hollow)
    ok = marks[Status.OK]
    if ok.any():
        among_pruned = pruned.any()  # the few survivors: larger, outlined in black
        scatter(
            ok,
            LOOKS[Status.OK],
            size * (1.8 if among_pruned else 1.0),
            by_score=True,
            edgecolors="black" if among_pruned else "white",
            linewidths=0.6 if among_pruned else 0.4,
            zorder=3,
            gid=str(Status.OK),
        )
    for status in FAILURES:
        if marks[status].any():
            cross = {"linewidths": 1.3, "zorder": 4, "gid": str(status)}
            scatter(marks[status], LOOKS[status], size * 0.9, low=bottom is not None, **cross)
    if points.best is not None:
        best = np.arange(len(xs)) == points.best
        scatter(best, BEST, size * 9, linewidths=0.9, zorder=5, gid=BEST_GID)


def _score_range(ax, points):
    """The score axis: a little beyond the drawn scores, room for crosses at the bottom."""
    scores = drawable(points.score)
    scores = scores[np.isfinite(scores)]
    if scores.size == 0:
        ax.set_ylim(0, 1)
        return
    lo, hi = float(scores.min()), float(scores.max())
    pad = (hi - lo) * 0.1 or abs(hi) * 0.05 or 0.05
    ax.set_ylim(lo - 1.3 * pad, hi + pad)


def draw_against(mpl, ax, points, xs, name, *, cmap, norm, size):
    """The score against one parameter in ``ax``: the score on y, failures at the bottom."""
    bottom = along_bottom(mpl, ax)
    _score_range(ax, points)
    draw_points(ax, points, xs, points.score, cmap=cmap, norm=norm, size=size, bottom=bottom)
    ax.grid(True, alpha=0.3)


def legend_handles(mpl, points, metric, cmap, norm):
    """One legend entry per kind of mark the figure has, with how many rows it marks.

    The ok swatch has the colour of the best row (the bright end, whichever the direction).
    """
    marks = {status: int(rows.sum()) for status, rows in _marks(points).items()}

    def mark(label, look, size, **style):
        return mpl.lines.Line2D([], [], label=label, **line_marks(look, size, **style))

    handles = []
    if marks[Status.OK]:
        edge = "black" if marks[Status.PRUNED] else "white"
        colour = _best_colour(points, cmap, norm)
        label = f"{marks[Status.OK]} ok (colour: score)"
        handles.append(mark(label, LOOKS[Status.OK], 7, color=colour, markeredgecolor=edge))
    if marks[Status.PRUNED]:
        label = f"{marks[Status.PRUNED]} pruned by successive halving (hollow: score when stopped)"
        handles.append(mark(label, LOOKS[Status.PRUNED], 6, markeredgecolor=cmap(0.35)))
    for status in FAILURES:
        if marks[status]:
            label = f"{marks[status]} {status}"
            handles.append(mark(label, LOOKS[status], None, markeredgewidth=1.5))
    if points.best is not None:
        handles.append(mark(f"best {metric}: {points.score[points.best]:.4g}", BEST, 13))
    return handles


def _best_colour(points, cmap, norm):
    """The colour of the best row's score (the bright end of ``cmap`` without one)."""
    if points.best is None:
        return cmap(1.0 if cmap(1.0)[1] > cmap(0.0)[1] else 0.0)
    return cmap(norm(float(drawable(points.score)[points.best])))


def _finish(frame, fig, points, *, cmap, norm, width, colorbar_axes):
    """Colour bar, legend and title, shared by every scatter figure."""
    mpl = frame.mpl
    if colorbar_axes is not None and np.isfinite(drawable(points.score)).any():
        mappable = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(mappable, ax=colorbar_axes, label=frame.metric_label, shrink=0.9)
    handles = legend_handles(mpl, points, frame.metric, cmap, norm)
    ncols = 2 if len(handles) > 3 and width < 9 else len(handles)
    fig.legend(
        handles=handles, loc="outside lower center", ncols=max(ncols, 1), fontsize=8, frameon=False
    )
    best_score = points.score[points.best] if points.best is not None else None
    frame.title(fig, best_score, points.best_params, width)
    return fig


def _open(frame, points, figsize, n=1):
    """A new scatter figure of ``n`` by ``n`` axes, its colour scale and where rows go."""
    fig = new_figure(figsize=figsize, layout="constrained")
    cmap, norm, _ = frame.score_colours([(points.score, points.status)])
    axs = fig.subplots(n, n, squeeze=False)
    return fig, axs, {"cmap": cmap, "norm": norm}, jittered(points)


def plot_score_against(frame, points, name):
    """The figure of the score against the parameter ``name``, a point per row."""
    width = 7.0
    fig, axs, paint, drawn = _open(frame, points, (width, 4.8))
    ax = axs[0, 0]
    draw_against(frame.mpl, ax, points, drawn[name], name, size=30, **paint)
    _style_axis(ax, "x", name, points.scales[name], width - 1.5)
    ax.set_ylabel(frame.metric_label)
    return _finish(frame, fig, points, width=width, colorbar_axes=None, **paint)


def plot_pair(frame, points, x, y):
    """The figure of one scatter over ``x`` and ``y``, coloured by the score."""
    width = 7.6
    fig, axs, paint, drawn = _open(frame, points, (width, 6.0))
    ax = axs[0, 0]
    draw_points(ax, points, drawn[x], drawn[y], size=36, **paint)
    _style_axis(ax, "x", x, points.scales[x], width - 2.5)
    _style_axis(ax, "y", y, points.scales[y], 4.0)
    ax.grid(True, alpha=0.25)
    return _finish(frame, fig, points, width=width, colorbar_axes=ax, **paint)


def _matrix_panel(mpl, ax, points, drawn, row, col, names, paint, metric):
    """Panel (row, col) of the matrix: a pair below the diagonal, the score on it."""
    n = len(names)
    x = names[col]
    if row == col:
        draw_against(mpl, ax, points, drawn[x], x, size=14, **paint)
        ax.set_title(f"{metric} over {display_label(x)}", fontsize=9)
        if row > 0:
            ax.yaxis.tick_right()
    else:
        y = names[row]
        draw_points(ax, points, drawn[x], drawn[y], size=14, **paint)
        ax.grid(True, alpha=0.25)
        _style_axis(ax, "y", y, points.scales[y], 2.4, label=col == 0)
        if col > 0:
            ax.tick_params(axis="y", which="both", labelleft=False)
    _style_axis(ax, "x", x, points.scales[x], 2.6, label=row == n - 1)
    if row < n - 1:
        ax.tick_params(axis="x", which="both", labelbottom=False)
    ax.tick_params(labelsize=8)


def plot_matrix(frame, points, names):
    """The corner matrix over ``names`` (at most :data:`MAX_MATRIX` fit well): pairs below
    the diagonal, the score on it."""
    n = len(names)
    width = 2.55 * n + 1.6
    fig, axs, paint, drawn = _open(frame, points, (width, 2.45 * n + 1.7), n)
    for row in range(n):
        for col in range(n):
            if col > row:
                axs[row, col].remove()
                continue
            if row < n - 1:
                axs[row, col].sharex(axs[n - 1, col])
            if 0 < col < row:
                axs[row, col].sharey(axs[row, 0])
            panel = (row, col, names, paint, frame.metric)
            _matrix_panel(frame.mpl, axs[row, col], points, drawn, *panel)
    axs[0, 0].set_ylabel(frame.metric_label, fontsize=9)
    kept = [axs[r, c] for r in range(n) for c in range(r + 1)]
    return _finish(frame, fig, points, width=width, colorbar_axes=kept, **paint)
