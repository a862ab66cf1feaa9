"""Score plots of a finished search: line plots, annotated heatmaps, scatter plots.

Compute first, draw second: :func:`score_grid`, :func:`score_line` and
:func:`score_points` turn a results table into plain arrays (scores, status, the best)
that tests can check, without matplotlib; :func:`plot_scores` draws the figure that the
number of varying parameters calls for (a point, a line, heatmaps, or, for a table that
is no grid, a scatter), :func:`plot_scatter_matrix` the corner matrix of every pair and
:func:`plot_epoch_scores` learning curves. How each status looks is decided once, in
:mod:`parsearch.plot.style`. Figures are ``Figure`` objects made without pyplot (which
show themselves in Jupyter), and matplotlib is imported only to draw.
"""

from parsearch.plot.arrays import ScoreGrid, ScoreLine, score_grid, score_line
from parsearch.plot.curves import plot_epoch_scores
from parsearch.plot.dispatch import plot_scatter_matrix, plot_scores
from parsearch.plot.figure import save_figure
from parsearch.plot.labels import parameter_labels
from parsearch.plot.points import ScorePoints, score_points

__all__ = [
    "ScoreGrid",
    "ScoreLine",
    "ScorePoints",
    "parameter_labels",
    "plot_epoch_scores",
    "plot_scatter_matrix",
    "plot_scores",
    "save_figure",
    "score_grid",
    "score_line",
    "score_points",
]
