"""Score plots of a finished search: line plots, annotated heatmaps, scatter plots.

Compute first, draw second: :func:`score_grid`, :func:`score_line` and
:func:`score_points` turn a results table into plain arrays (scores, status, best cell or
row) that tests can check, and :func:`plot_scores` draws a
:class:`matplotlib.figure.Figure` from them. The plot depends on how many parameters
vary: a marked point, a line, a heatmap, one heatmap per value of a third parameter, or
a heatmap of the best over the others; a table that is no grid (a sampled search space)
gets a scatter instead, over the two parameters that vary most. The corner matrix of
every pair, the parameters ranked by importance, is a figure of its own:
:func:`plot_scatter_matrix`. Configurations pruned by
successive halving are drawn apart, with the score and epochs of their last rung.

The modules, one job each:

- :mod:`~parsearch.plot.arrays`: a results table -> :class:`ScoreGrid` / :class:`ScoreLine`
  (scores, status, best cell), without matplotlib;
- :mod:`~parsearch.plot.points`: whether a table forms a grid, and a table that does not
  -> :class:`ScorePoints` (each row a point, the parameters ranked by importance, their
  scales), without matplotlib;
- :mod:`~parsearch.plot.labels`: a parameter's axis (its values, their order, their tick
  labels), :func:`parameter_labels`, the numbers in the cells and the title's text;
- :mod:`~parsearch.plot.heatmap`: annotated heatmaps and facets;
- :mod:`~parsearch.plot.lines`: the line plot and the single point;
- :mod:`~parsearch.plot.scatter`: the scatter plots of a table that is no grid;
- :mod:`~parsearch.plot.curves`: learning curves (:func:`plot_epoch_scores`);
- :mod:`~parsearch.plot.dispatch`: :func:`plot_scores`, which picks one of those, and
  :func:`plot_scatter_matrix`, the opt-in matrix;
- :mod:`~parsearch.plot.style`: how each status looks (:data:`~parsearch.plot.style.LOOKS`),
  for every figure, the report and ``parsearch show``;
- :mod:`~parsearch.plot.figure`: importing matplotlib, the title, :func:`save_figure`;
- :mod:`~parsearch.plot.inline`: showing a figure in Jupyter, once.

matplotlib is imported only when drawing, and ``matplotlib.pyplot`` only in a Jupyter
kernel: figures are built as ``Figure`` objects directly (which show themselves in
Jupyter), so the user's backend and global state are left alone and a script opens no
window.
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
