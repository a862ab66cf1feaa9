"""Annotated heatmaps: one over two parameters, or one per value of a third (facets).

Each cell is coloured by its score and shows it; failed and diverged cells are hatched
and say so, cells no row fell into say "missing", pruned cells keep their last score's
colour, lightened and dotted, and read ``0.83`` over ``pruned@3``; the best cell is
framed. Facets share one colour scale. Of many rows or columns every k-th is labelled,
and cells are written in only up to :data:`MAX_ANNOTATED` of them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from parsearch.plot.arrays import grid_from
from parsearch.plot.figure import drawable, needs_rotation, new_figure, rotate_x_labels, set_title
from parsearch.plot.labels import at_epochs, best_text, counts_text, score_formatter, tick_indices
from parsearch.plot.style import BEST, FAILURES, LOOKS
from parsearch.rows import Status, best_index
from parsearch.text import display_label

#: The most cells whose score or status is written in them.
MAX_ANNOTATED = 900

#: The most rows (or columns) of cells that white lines separate.
_MAX_SEPARATED = 100

#: The note under a figure with pruned cells.
PRUNED_NOTE = (
    "pruned@n: stopped early by successive halving after n epochs; "
    "its score is from then (lighter), never the best"
)


class Paint(NamedTuple):
    """How cells are coloured and written: the colour map, its scale, the number format."""

    cmap: Any
    norm: Any
    fmt: Callable[[float], str]


def _shown_labels(labels):
    """``(positions, labels)`` of the ticks of one axis of cells, as drawn."""
    shown = tick_indices(len(labels))
    return shown, [display_label(labels[i]) for i in shown]


def _longest(labels):
    return max((len(s) for s in _shown_labels(labels)[1]), default=1)


def _heatmap_size(grid):
    """Cell width and height in inches, smaller for large grids."""
    nx, ny = len(grid.x_values), len(grid.y_values)
    longest = _longest(grid.x_labels)
    cell_w = min(max(0.75, 0.075 * min(longest, 9)), 11.0 / nx)
    cell_h = min(0.55, 9.0 / ny)
    return cell_w, cell_h


def pruned_text(score, epochs, fmt):
    """A pruned cell's text: ``"0.83\\npruned@3"`` (no score or epochs where unknown)."""
    tag = f"pruned{at_epochs(epochs)}"
    return f"{fmt(score)}\n{tag}" if np.isfinite(score) else tag


#: The frame of the best cell.
_FRAME = {"fill": False, "edgecolor": BEST.cell_edge, "linewidth": 3, "zorder": 5, "clip_on": False}


def _cover(mpl, ax, i, j, style):
    """A patch over cell ``(i, j)``: a veil, a hatch or a frame."""
    ax.add_patch(mpl.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, **{"linewidth": 0} | style))


def _annotate_cells(mpl, ax, grid, paint, *, fontsize, annotate):
    """Write each ok cell's score; veil, hatch and name the pruned, failed and missing ones.

    Without ``annotate`` (too many cells to write in) only the pruned, failed and
    diverged cells are visited, to be veiled or hatched.
    """
    marked = (*FAILURES, Status.PRUNED)
    cells = np.ndindex(grid.scores.shape) if annotate else np.argwhere(np.isin(grid.status, marked))
    box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
    named = {"fontsize": fontsize * 0.9, "bbox": box}  # a status written in, not a score
    for i, j in cells:
        status, score = grid.status[i, j], grid.scores[i, j]
        look = LOOKS.get(status)
        if look is not None and look.hatch:  # pruned veiled, failed and diverged hatched
            cover = {"facecolor": look.cell_face, "edgecolor": look.cell_edge}
            _cover(mpl, ax, i, j, {"hatch": look.hatch, **cover})
        if status == Status.PRUNED:
            text = pruned_text(score, grid.epochs[i, j], paint.fmt)
            veiled = {"boxstyle": "round,pad=0.12", "fc": (1, 1, 1, 0.6), "ec": "none"}
            style = {"fontsize": fontsize * 0.85, "bbox": veiled}
        elif status == Status.OK:
            r, g, b, _ = paint.cmap(paint.norm(score))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.55
            text = paint.fmt(score)
            style = {"fontsize": fontsize, "color": "white" if dark else "black"}
        elif status in FAILURES:
            text, style = status, named | {"color": LOOKS[status].color, "style": "normal"}
        else:
            text, style = "missing", named | {"color": "0.55", "style": "italic"}
        if annotate:
            ax.text(j, i, text, ha="center", va="center", **style)


def _style_axes(ax, grid, cell_w):
    """Tick labels on the cells, white lines between them, no ticks or spines."""
    ny, nx = grid.scores.shape
    x_shown, x_labels = _shown_labels(grid.x_labels)
    ax.set_xticks(x_shown, x_labels)
    ax.set_yticks(*_shown_labels(grid.y_labels))
    if needs_rotation(x_labels, cell_w * nx / max(len(x_shown), 1)):
        rotate_x_labels(ax)
    if nx <= _MAX_SEPARATED:
        ax.set_xticks(np.arange(nx + 1) - 0.5, minor=True)
        ax.grid(which="minor", axis="x", color="white", linewidth=1.5)
    if ny <= _MAX_SEPARATED:
        ax.set_yticks(np.arange(ny + 1) - 0.5, minor=True)
        ax.grid(which="minor", axis="y", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(which="major", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def draw_heatmap(mpl, ax, grid, paint, *, cell_w, cell_h, mark_best=True):
    """Draw a ScoreGrid into ``ax``, cells ``cell_w`` by ``cell_h`` inches, its best cell
    framed where ``mark_best``; return the image, for a colour bar."""
    ny, nx = grid.scores.shape
    scores = np.ma.masked_invalid(drawable(grid.scores))
    placed = {"origin": "lower", "aspect": "auto", "interpolation": "nearest"}
    image = ax.imshow(scores, cmap=paint.cmap, norm=paint.norm, **placed)
    fontsize = float(np.clip(min(13 * cell_w, 22 * cell_h), 5, 9))
    _annotate_cells(mpl, ax, grid, paint, fontsize=fontsize, annotate=nx * ny <= MAX_ANNOTATED)
    if mark_best and grid.best is not None:
        _cover(mpl, ax, *grid.best, _FRAME)
    _style_axes(ax, grid, cell_w)
    return image


def plot_heatmap(frame, grid):
    """The figure of one annotated heatmap of a ScoreGrid, with its colour bar."""
    mpl = frame.mpl
    cell_w, cell_h = _heatmap_size(grid)
    ny, nx = grid.scores.shape
    longest_y = _longest(grid.y_labels)
    width = max(4.8, nx * cell_w + 2.4 + 0.07 * longest_y)
    height = max(3.6, ny * cell_h + 2.2)
    fig = new_figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    cmap, norm, has_scores = frame.score_colours([(grid.scores, grid.status)])
    paint = Paint(cmap, norm, score_formatter(grid.scores))
    image = draw_heatmap(mpl, ax, grid, paint, cell_w=cell_w, cell_h=cell_h)
    ax.set_xlabel(display_label(grid.x, 80))
    ax.set_ylabel(display_label(grid.y, 80))
    _colour_bar_and_note(frame, fig, image, ax, [grid], has_scores)
    if grid.best is not None:
        frame.title(fig, grid.scores[grid.best], grid.best_params, width)
    else:
        best = best_text(frame.metric, None, None, frame.data.axes)
        if counts_text(grid.status):
            best += f" (cells: {counts_text(grid.status)})"
        set_title(fig, frame.heading, best, width)
    return fig


def _colour_bar_and_note(frame, fig, image, axes, grids, has_scores):
    """The colour bar beside ``axes`` (where any score is drawn) and, where any grid has
    a pruned cell, the note under them that says what one is."""
    if has_scores:
        fig.colorbar(image, ax=axes, label=frame.metric_label)
    if any(np.any(g.status == Status.PRUNED) for g in grids):
        dotted = {"facecolor": "0.85", "edgecolor": "0.4", "hatch": LOOKS[Status.PRUNED].hatch}
        # at most as wide as the figure: about 0.55 em a character at 8 points
        note = textwrap.fill(PRUNED_NOTE, int(fig.get_figwidth() * 72 / (0.55 * 8)) - 4)
        swatch = frame.mpl.patches.Patch(label=note, **dotted)
        fig.legend(handles=[swatch], loc="outside lower center", fontsize=8, frameon=False)


def _best_panel(grids, greater_is_better):
    """Index of the panel holding the best cell (the first among ties), or None."""
    scores = [g.scores[g.best] if g.best is not None else np.nan for g in grids]
    status = [Status.OK if g.best is not None else Status.FAILED for g in grids]
    return best_index(scores, status, greater_is_better)


def plot_facets(frame, x, y, z):
    """The figure of one heatmap over ``x`` (columns) and ``y`` (rows) per value of ``z``,
    on one colour scale."""
    mpl, data, greater_is_better = frame.mpl, frame.data, frame.greater_is_better
    grids = [grid_from(data, x, y, {z: value}, greater_is_better) for value in data.axes[z].values]
    n = len(grids)
    ncols = min(n, 4 if len(data.axes[x].values) <= 4 else 3)
    nrows = math.ceil(n / ncols)
    cell_w, cell_h = _heatmap_size(grids[0])
    cell_w = min(cell_w, 16.0 / (ncols * len(grids[0].x_values)))
    cell_h = min(cell_h, 12.0 / (nrows * len(grids[0].y_values)))
    ny, nx = grids[0].scores.shape
    longest_y = _longest(grids[0].y_labels)
    width = max(5.0, ncols * (nx * cell_w + 0.5) + 1.6 + 0.07 * longest_y)
    height = max(3.6, nrows * (ny * cell_h + 1.0) + 1.4)
    fig = new_figure(figsize=(width, height), layout="constrained")
    axs = fig.subplots(nrows, ncols, squeeze=False)

    best_panel = _best_panel(grids, greater_is_better)
    cmap, norm, has_scores = frame.score_colours([(g.scores, g.status) for g in grids])
    paint = Paint(cmap, norm, score_formatter(np.concatenate([g.scores.ravel() for g in grids])))
    image = None
    for k, grid in enumerate(grids):
        row, col = divmod(k, ncols)
        ax = axs[row, col]
        cell = {"cell_w": cell_w, "cell_h": cell_h}
        image = draw_heatmap(mpl, ax, grid, paint, mark_best=k == best_panel, **cell)
        ax.set_title(f"{display_label(z)} = {display_label(data.axes[z].labels[k])}", fontsize=10)
        if col == 0:
            ax.set_ylabel(display_label(y, 80))
        else:
            ax.tick_params(axis="y", labelleft=False)
        if k + ncols >= n:  # nothing below this panel
            ax.set_xlabel(display_label(x, 80))
        else:
            ax.tick_params(axis="x", labelbottom=False)
    for k in range(n, nrows * ncols):
        axs.flat[k].remove()
    _colour_bar_and_note(frame, fig, image, [axs.flat[k] for k in range(n)], grids, has_scores)
    score, params = None, None
    if best_panel is not None:
        best = grids[best_panel]
        score, params = best.scores[best.best], best.best_params
    frame.title(fig, score, params, width)
    return fig
