"""Score plots of a finished grid: line plots and annotated heatmaps.

Compute first, draw second: :func:`score_grid` and :func:`score_line` turn a results
table into plain arrays (scores, status, best cell) that tests can check, and
:func:`plot_scores` draws a :class:`matplotlib.figure.Figure` from them. The plot depends
on how many parameters vary: a marked point, a line, a heatmap, one heatmap per value of
a third parameter, or a heatmap of the best over the others.

The modules, one job each:

- :mod:`~parsearch.plot.arrays`: a results table -> :class:`ScoreGrid` / :class:`ScoreLine`
  (scores, status, best cell), without matplotlib;
- :mod:`~parsearch.plot.labels`: a parameter's axis (its values, their order, their tick
  labels), :func:`parameter_labels`, the numbers in the cells and the title's text;
- :mod:`~parsearch.plot.heatmap`: annotated heatmaps and facets;
- :mod:`~parsearch.plot.lines`: the line plot and the single point;
- :mod:`~parsearch.plot.curves`: learning curves (:func:`plot_epoch_scores`);
- :mod:`~parsearch.plot.dispatch`: :func:`plot_scores`, which picks one of those;
- :mod:`~parsearch.plot.figure`: importing matplotlib, shared colours and title,
  :func:`save_figure`.

matplotlib is imported only when drawing, and ``matplotlib.pyplot`` never: figures are
built with ``Figure`` directly, so the user's backend and global state are left alone.
"""

from parsearch.plot.arrays import ScoreGrid, ScoreLine, score_grid, score_line
from parsearch.plot.curves import plot_epoch_scores
from parsearch.plot.dispatch import plot_scores
from parsearch.plot.figure import save_figure
from parsearch.plot.labels import parameter_labels

__all__ = [
    "ScoreGrid",
    "ScoreLine",
    "parameter_labels",
    "plot_epoch_scores",
    "plot_scores",
    "save_figure",
    "score_grid",
    "score_line",
]
