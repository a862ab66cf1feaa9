"""How every figure looks, apart from what it shows: the look of each status, and the
constants shared by the drawing modules, the inline display, the report and
``parsearch show``; without matplotlib.

:data:`LOOKS` is the one table of how a status looks: ``ok``, ``failed``, ``diverged``,
``pruned`` (successive halving), and :data:`BEST`, the best configuration. Every figure
(heatmap, line, scatter, learning curves), the report page (its CSS class and the title
of a count) and ``parsearch show`` (what a pruned row is) read it, so a status is decided
once.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """

    color: str
    marker: str
    hollow: bool
    css: str
    meaning: str = ""


LOOKS = {
    Status.OK: Look(color="tab:blue", marker="o", hollow=False, css="ok"),
    Status.FAILED: Look(color="tab:red", marker="x", hollow=False, css="bad"),
    Status.DIVERGED: Look(color="tab:purple", marker="x", hollow=False, css="bad"),
    Status.PRUNED: Look(
        color="0.45",
        marker="o",
        hollow=True,
        css="pruned",
        meaning="stopped early by successive halving (scores from the last rung reached, "
        "never the best)",
    ),
}

#: The best configuration: a gold star outlined in black (a heatmap frames its cell in
#: :data:`BEST_FRAME`).
BEST = Look(color="gold", marker="*", hollow=False, css="best")
#: The outline of the best star, and the frame of the best heatmap cell.
BEST_EDGE = "black"
BEST_FRAME = "red"

#: Colour of the marks of configurations that did not succeed (failed, diverged).
FAILED_COLORS = {s: LOOKS[s].color for s in (Status.FAILED, Status.DIVERGED)}

#: A heatmap cell that did not succeed: hatched grey.
FAILED_FILL, FAILED_EDGE, FAILED_HATCH = "0.88", "0.55", "///"
#: How a pruned heatmap cell is told apart: its colour lightened by white at this
#: opacity, dotted.
PRUNED_VEIL = 0.45
PRUNED_HATCH = "."
#: The grey of pruned learning curves.
PRUNED_CURVE = "0.6"
