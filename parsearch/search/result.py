"""``GridResult``: what ``fit_grid`` returns."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from parsearch.rows import Col, metric_label, ranked, status_counts

logger = logging.getLogger("parsearch")


@dataclass
class GridResult:
    """The outcome of ``fit_grid``.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per configuration in grid order: the parameters, then ``score``,
        ``status``, ``error``, ``fit_seconds``, ``metric``, ``direction`` (and
        ``score_std`` under cross-validation, ``train_loss`` and ``epoch_scores`` for
        networks, ``config_key``).
    best_params : dict
        Parameters of the best configuration.
    best_score : float
        Its score.
    best_model : estimator
        The fitted best model: the one that was scored. Under cross-validation, or when
        the best configuration was finished by an earlier (resumed) run, it is refit on
        all the training data the first time it is asked for.
    metric : str
        Name of the metric.
    greater_is_better : bool
        Its direction.
    axes : dict
        Parameter -> values in grid order.
    out : Path or None
        The results folder.
    meta : dict
        What ``meta.json`` holds.
    models : list or None
        With ``keep_models="all"``: the fitted model of each row; None where it failed,
        diverged or was pruned by halving, under cross-validation (no single model was
        scored), and for rows reused from a resumed run.
    configs : list of dict
        The configurations, in the table's order.
    cv_results_ : dict
        The table in GridSearchCV's ``cv_results_`` format (see
        ``parsearch.search.cv_results``).
    """

    table: pd.DataFrame
    best_params: dict
    best_score: float
    _best_model: object = field(repr=False)
    metric: str
    greater_is_better: bool
    axes: dict
    out: Path | None = None
    meta: dict = field(default_factory=dict, repr=False)
    models: list | None = field(default=None, repr=False)
    _refit: object = field(default=None, repr=False)
    configs: list = field(default_factory=list, repr=False)
    _sklearn_order: list | None = field(default=None, repr=False)

    @property
    def cv_results_(self):
        """The table in the format of GridSearchCV's ``cv_results_`` (its row order too)."""
        from parsearch.search.cv_results import cv_results

        return cv_results(self.table, self.configs, self.greater_is_better, self._sklearn_order)

    @property
    def best_model(self):
        """The fitted best model (refit on first access where it is not at hand)."""
        if self._best_model is None and self._refit is not None:
            logger.info("Refitting the best configuration %s.", self.best_params)
            self._best_model = self._refit()
        return self._best_model

    def top(self, n=5):
        """The ``n`` best configurations, best first."""
        return ranked(self.table, self.greater_is_better).head(n)

    def plot(self, x=None, y=None):
        """Draw the scores over the grid.

        In Jupyter the figure shows once, inline, even in a fresh kernel: as the cell's
        last value (``res.plot()``), at ``plt.show()`` (``res.plot(); plt.show()``), or
        else at the end of the cell, as pyplot's figures do (``fig = res.plot()``);
        whichever comes first, never twice. ``fig`` as the last value of a later cell
        shows it again. In a script nothing is shown and no window opens: save it with
        ``fig.savefig(path)``.

        Parameters
        ----------
        x, y : str, optional
            Parameters for the axes of a heatmap (default: the first two that vary).

        Returns
        -------
        matplotlib.figure.Figure
            A :class:`parsearch.plot.inline.InlineFigure`.
        """
        from parsearch.plot.inline import adopt

        return adopt(self._draw(x=x, y=y))

    def _draw(self, x=None, y=None):
        """The figure of :meth:`plot`, which pyplot does not manage (nothing shows it)."""
        from parsearch.plot import plot_scores

        return plot_scores(
            self.table,
            axes=self.axes,
            metric=self.metric,
            greater_is_better=self.greater_is_better,
            x=x,
            y=y,
        )

    def _counts_text(self):
        """``"12 configurations: 11 ok, 1 failed"``."""
        counts = status_counts(self.table[Col.STATUS]) if Col.STATUS in self.table else {}
        parts = [f"{n} {status}" for status, n in counts.items() if n]
        return f"{len(self.table)} configurations" + (f": {', '.join(parts)}" if parts else "")

    def _best_text(self):
        """``"accuracy (higher is better) = 0.9123"``, or that no configuration succeeded."""
        if self.best_params is None or not math.isfinite(self.best_score):
            return "no configuration succeeded"
        return f"{metric_label(self.metric, self.greater_is_better)} = {self.best_score:.6g}"

    def __repr__(self):
        lines = [
            f"GridResult of {self._counts_text()}",
            f"  best {self._best_text()}",
        ]
        if self.best_params is not None and math.isfinite(self.best_score):
            lines.append(f"  best params: {self.best_params}")
        if self.out is not None:
            lines.append(f"  folder: {self.out}")
        lines.append("  .table (every row), .top(5), .best_params, .best_model, .plot()")
        return "\n".join(lines)

    def _repr_html_(self):
        """The rich view in Jupyter: the best, the counts, the top rows, the plot inline."""
        from parsearch.search.display import result_html

        return result_html(self)
