"""How every figure looks, apart from what it shows; without matplotlib.

:data:`LOOKS` is the one table of how each status looks (``ok``, ``failed``, ``diverged``,
``pruned``) and :data:`BEST` how the best configuration does. Every figure draws its
marks from them (:func:`line_marks`, :func:`scatter_marks`), and the report page and
``parsearch show`` name them from there, so a status is decided once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parsearch.rows import Status

#: Resolution of every PNG: ``heatmap.png`` and the figures shown in Jupyter.
DPI = 120


@dataclass(frozen=True)
class Look:
    """How configurations of one status (or the best one) are drawn and named.

    Attributes
    ----------
    color : str
        The colour of their marks (a matplotlib colour; ok marks take their score's
        colour instead where a colour bar is drawn).
    marker : str
        Their marker in line plots and scatters (``"o"``, ``"x"``, ``"*"``).
    hollow : bool
        Whether the marker is drawn as an outline only.
    css : str
        The class of their counts on the report page.
    meaning : str
        What the status means, for a legend, a note or a tooltip ("" where it says
        nothing more than its name).
    edge : str
        The outline of a filled marker ("" for matplotlib's own).
    hatch : str
        The patch over their heatmap cells ("" where a cell shows its score plainly).
    cell_face, cell_edge : matplotlib colour or None
        That patch's face (over the cell's colour) and outline (the best cell's frame).
    curve : str
        The colour of their learning curves ("" for the colour cycle's).
    """

    color: str
    marker: str
    hollow: bool
    css: str
    meaning: str = ""
    edge: str = ""
    hatch: str = ""
    cell_face: Any = None
    cell_edge: Any = None
    curve: str = ""


#: A pruned heatmap cell keeps its colour, lightened by white at this opacity, dotted.
PRUNED_VEIL, PRUNED_HATCH = 0.45, "."
#: A heatmap cell that did not succeed: hatched grey.
_FAILED_CELL = {"hatch": "///", "cell_face": "0.88", "cell_edge": "0.55"}

LOOKS = {
    Status.OK: Look(color="tab:blue", marker="o", hollow=False, css="ok"),
    Status.FAILED: Look(color="tab:red", marker="x", hollow=False, css="bad", **_FAILED_CELL),
    Status.DIVERGED: Look(color="tab:purple", marker="x", hollow=False, css="bad", **_FAILED_CELL),
    Status.PRUNED: Look(
        color="0.45",
        marker="o",
        hollow=True,
        css="pruned",
        meaning="stopped early by successive halving (scores from the last rung reached, "
        "never the best)",
        hatch=PRUNED_HATCH,
        cell_face=(1, 1, 1, PRUNED_VEIL),
        cell_edge=(0, 0, 0, 0.3),
        curve="0.6",
    ),
}

#: The best configuration: a gold star outlined in black; a heatmap frames its cell in red.
BEST = Look(color="gold", marker="*", hollow=False, css="best", edge="black", cell_edge="red")

#: The statuses of configurations that did not succeed: crosses, hatched cells.
FAILURES = (Status.FAILED, Status.DIVERGED)


def line_marks(look, size, **style):
    """Keywords of ``Axes.plot`` (or a legend's ``Line2D``) for unjoined marks in a look.

    ``size`` is the marker size in points (None: matplotlib's); ``style``, what the figure
    sets itself (a label, a score's colour, ...), wins over the look.
    """
    marks = {"linestyle": "none", "marker": look.marker, "markersize": size, "color": look.color}
    if look.hollow:
        marks |= {"markerfacecolor": "none", "markeredgecolor": look.color}
    if look.edge:
        marks["markeredgecolor"] = look.edge
    return marks | style


def scatter_marks(look, area, colors=None, **style):
    """Keywords of ``Axes.scatter`` for marks in a look, as :func:`line_marks`.

    ``area`` is in points squared; ``colors`` (the scores' colours) replace the look's.
    """
    color = look.color if colors is None else colors
    marks = {"marker": look.marker, "s": area}
    marks |= {"facecolors": "none", "edgecolors": color} if look.hollow else {"c": color}
    if look.edge:
        marks["edgecolors"] = look.edge
    return marks | style
