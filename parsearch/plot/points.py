"""Compute first, for a table that is no grid: every configuration as a point.

A sampled search space gives each configuration its own values: its table is no
rectangle, and a heatmap of it would be a diagonal of lonely cells. :func:`forms_grid`
tells the two apart, and :func:`score_points` turns such a table into a
:class:`ScorePoints` for :mod:`parsearch.plot.scatter`, without matplotlib. The rules:

- **a grid**: the varying parameters fill more than :data:`MIN_FILL` of the product of
  their values, counted within each sub-grid (rows that leave the same parameters
  unset), and no numeric one has more than :data:`MAX_AXIS_VALUES` values.
- **importance**: how much of the ranking of the configurations a parameter's value
  explains, the Kruskal-Wallis effect size ``eta^2_H = (H - k + 1) / (n - k)`` over its
  values (or :data:`IMPORTANCE_BINS` bins of equal counts of a numeric one of more).
  Ranks, best first: ok by score, then pruned by the epochs they reached and their
  score there, then failed and diverged, tied last.
- **a log axis**: positive numbers spanning two decades whose median sits nearer the
  middle of the axis on a log scale than on a linear one.
- **unset rows** of a numeric parameter are drawn :data:`UNSET_GAP` of its range below
  its smallest value, at one tick ("unset", or "None" where the grid lists None).
- **levels**: at most :data:`MAX_LEVELS` numbers, and strings, booleans, None and mixed
  values, evenly spaced (numbers ascending, others in the grid's order); jittered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from parsearch.plot.arrays import prepare
from parsearch.plot.labels import MAX_TICKS
from parsearch.rows import Status, best_index
from parsearch.text import display_label, is_finite_number, is_number, is_unset

#: A grid fills more than this share of the product of its varying parameters' values.
MIN_FILL = 0.5
#: A numeric parameter of more values than this is no heatmap axis (as many as it labels).
MAX_AXIS_VALUES = MAX_TICKS
#: A numeric parameter of at most this many values is drawn as levels, jittered.
MAX_LEVELS = 12
#: Rows that leave a numeric parameter unset are drawn this share of its range below it.
UNSET_GAP = 0.2
#: Numeric parameters of more values are cut into this many bins for their importance.
IMPORTANCE_BINS = 5

LOG, LINEAR, LEVELS = "log", "linear", "levels"


@dataclass
class Scale:
    """How one parameter is placed along an axis of a scatter plot.

    Attributes
    ----------
    kind : {"log", "linear", "levels"}
        At their value on a log or linear axis, or as evenly spaced levels.
    positions : ndarray of float, shape (n_rows,)
        Each row's place: its value, or the index of its level (before any jitter).
    labels : list of str
        The levels' tick labels (empty for log and linear).
    unset_at : float or None
        Where the rows that leave a numeric parameter unset are drawn, off the values'
        range (None when every row sets it to a number).
    unset_label : str
        The tick label there: "unset", or "None" where the grid lists None.
    """

    kind: str
    positions: np.ndarray
    labels: list
    unset_at: float | None = None
    unset_label: str = ""

    @property
    def discrete(self):
        """Whether the parameter is drawn as levels (and its points jittered)."""
        return self.kind == LEVELS


@dataclass
class ScorePoints:
    """A results table as points, ready to draw as scatter plots.

    Attributes
    ----------
    params : list of str
        The varying parameters, most important first (ties in table order).
    importance : dict of str to float
        Each varying parameter's importance, from 0 (its value tells nothing about the
        ranking) to 1 (it decides it).
    scales : dict of str to Scale
        How each parameter is placed (the varying ones and the others).
    score : ndarray of float, shape (n_rows,)
        Each row's score (a pruned row's: at its last rung; NaN where it failed).
    status : ndarray of object, shape (n_rows,)
        Each row's :class:`~parsearch.rows.Status`.
    epochs : ndarray of float, shape (n_rows,)
        The epochs each row trained (``epochs_trained``; NaN where unknown).
    best : int or None
        Position of the best row (ok, the earliest among ties); None if none succeeded.
    best_params : dict or None
        Every parameter of the best row.
    """

    params: list
    importance: dict
    scales: dict
    score: np.ndarray
    status: np.ndarray
    epochs: np.ndarray
    best: int | None
    best_params: dict | None


def present_values(data, name):
    """The values of a parameter that some row of the table has, in axis order."""
    return [data.axes[name].values[c] for c in np.unique(data.codes[name])]


def varying_params(data):
    """The parameters with more than one value among the rows, in table order."""
    return [p for p in data.params if len(np.unique(data.codes[p])) > 1]


def most_varied(data, params):
    """``params``, those the rows give the most distinct values first (stable)."""
    return sorted(params, key=lambda p: -len(np.unique(data.codes[p])))


def _numeric(values):
    return bool(values) and all(is_number(v) for v in values)


def grid_fill(data, params):
    """The share of the product of the values of ``params`` that the rows fill (1.0 for
    a full grid), counted within each sub-grid (rows that leave the same ones unset)."""
    if not params:
        return 1.0
    codes = np.stack([data.codes[p] for p in params], axis=1)  # (n_rows, n_params)
    unset = np.stack(
        [
            np.array([v is None for v in data.axes[p].values], dtype=bool)[data.codes[p]]
            for p in params
        ],
        axis=1,
    )
    _, group = np.unique(unset, axis=0, return_inverse=True)
    filled = product = 0
    for g in np.unique(group):
        block = codes[group.ravel() == g]
        filled += len(np.unique(block, axis=0))
        product += math.prod(len(np.unique(column)) for column in block.T)
    return filled / product


def forms_grid(data):
    """Whether an encoded table is (nearly) a grid, to draw as heatmaps (see the rules)."""
    varying = varying_params(data)
    for p in varying:
        values = present_values(data, p)
        if _numeric(values) and len(values) > MAX_AXIS_VALUES:
            return False
    return grid_fill(data, varying) > MIN_FILL


def goodness_ranks(data, greater_is_better):
    """Each row's rank, 1 for the worst: ok by score, pruned by epochs then score, failed
    last; ties (the failed and diverged rows among them) share their average rank."""
    status = data.status
    tier = np.select([status == Status.OK, status == Status.PRUNED], [2.0, 1.0], 0.0)
    reached = np.where(status == Status.PRUNED, np.nan_to_num(data.epochs, nan=0.0), 0.0)
    signed = data.score if greater_is_better else -data.score
    signed = np.where((tier > 0) & np.isfinite(signed), signed, -np.inf)
    keys = np.stack([tier, reached, signed], axis=1)
    order = np.lexsort((signed, reached, tier))  # the worst first
    ordered = keys[order]
    new = np.r_[True, np.any(ordered[1:] != ordered[:-1], axis=1)]
    tie = np.cumsum(new) - 1
    mean_rank = np.bincount(tie, weights=np.arange(1, len(order) + 1)) / np.bincount(tie)
    ranks = np.empty(len(order))
    ranks[order] = mean_rank[tie]
    return ranks


def _groups(data, name):
    """The group of each row for a parameter's importance: its value, or its value's bin."""
    values = present_values(data, name)
    if not (len(values) > IMPORTANCE_BINS and all(is_finite_number(v) for v in values)):
        return data.codes[name]
    axis = data.axes[name]
    numbers = np.array([float(v) if is_number(v) else np.nan for v in axis.values])
    bins = pd.qcut(numbers[data.codes[name]], IMPORTANCE_BINS, labels=False, duplicates="drop")
    return np.asarray(bins, dtype=np.intp)


def effect_size(ranks, groups):
    """The Kruskal-Wallis effect size of ``groups`` on ``ranks``: ``(H - k + 1) / (n - k)``.

    ``H = (n - 1) * SS_between / SS_total`` of the ranks (ties included), clipped to
    [0, 1]; with no more rows than groups, ``SS_between / SS_total``; 0 when every rank
    is the same.
    """
    n = len(ranks)
    total = float(np.sum((ranks - ranks.mean()) ** 2))
    if n < 2 or total == 0:
        return 0.0
    _, group = np.unique(groups, return_inverse=True)
    counts = np.bincount(group)
    means = np.bincount(group, weights=ranks) / counts
    between = float(np.sum(counts * (means - ranks.mean()) ** 2))
    k = len(counts)
    if n <= k:
        return float(np.clip(between / total, 0.0, 1.0))
    h = (n - 1) * between / total
    return float(np.clip((h - k + 1) / (n - k), 0.0, 1.0))


def importance(data, params, greater_is_better):
    """The importance of each of ``params`` (see the rules), in their order."""
    ranks = goodness_ranks(data, greater_is_better)
    return {p: effect_size(ranks, _groups(data, p)) for p in params}


def log_scaled(values):
    """Whether distinct numbers are drawn on a log axis (see the rules)."""
    numbers = np.array([float(v) for v in values], dtype=float)
    if numbers.size < 2 or not np.all(np.isfinite(numbers)) or numbers.min() <= 0:
        return False
    lo, hi, median = float(numbers.min()), float(numbers.max()), float(np.median(numbers))
    if hi / lo < 100:
        return False
    on_log = (math.log(median) - math.log(lo)) / (math.log(hi) - math.log(lo))
    on_linear = (median - lo) / (hi - lo)
    return abs(on_log - 0.5) <= abs(on_linear - 0.5)


def _placeable(numbers):
    """Finite numbers whose span does not overflow, as a numeric axis needs."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.all(np.isfinite(numbers)) and np.isfinite(2 * np.ptp(numbers)))


def _beside(numbers, kind):
    """A place just below the smallest of ``numbers`` on a ``kind`` axis, for unset rows."""
    lo, hi = float(numbers.min()), float(numbers.max())
    if kind == LOG:
        return lo / (hi / lo) ** UNSET_GAP
    return lo - UNSET_GAP * (hi - lo)


def param_scale(data, name):
    """The :class:`Scale` of one parameter: a log or linear axis, or levels."""
    axis, codes = data.axes[name], data.codes[name]
    values = present_values(data, name)
    set_values = [v for v in values if not is_unset(v)]
    if all(is_finite_number(v) for v in set_values) and len(set_values) > MAX_LEVELS:
        numbers = np.array([float(v) if is_finite_number(v) else np.nan for v in axis.values])
        present = np.unique(codes)
        present = present[np.isfinite(numbers[present])]
        if _placeable(numbers[present]):
            kind = LOG if log_scaled(set_values) else LINEAR
            positions = numbers[codes]
            unset = ~np.isfinite(positions)
            if not unset.any():
                return Scale(kind, positions, [])
            at = _beside(numbers[present], kind)
            positions[unset] = at
            label = display_label(axis.labels[codes[unset][0]])  # "None" if listed, "unset"
            return Scale(kind, positions, [], unset_at=at, unset_label=label)
    present = np.unique(codes)  # axis order: the grid's, else numbers ascending
    if _numeric(values):  # a sampled list's grid order is the order of the draws
        present = sorted(present, key=lambda c: (math.isnan(axis.values[c]), axis.values[c]))
    level = np.full(len(axis.values), -1, dtype=float)
    level[present] = np.arange(len(present))
    return Scale(LEVELS, level[codes], [display_label(axis.labels[c]) for c in present])


def points_from(data, greater_is_better):
    """The :class:`ScorePoints` of an encoded table."""
    varying = varying_params(data)
    weight = importance(data, varying, greater_is_better)
    params = sorted(varying, key=lambda p: -weight[p])  # stable: ties in table order
    best = best_index(data.score, data.status, greater_is_better)
    best_params = None if best is None else data.params_of(best)
    return ScorePoints(
        params=params,
        importance={p: weight[p] for p in params},
        scales={p: param_scale(data, p) for p in data.params},
        score=data.score,
        status=data.status,
        epochs=data.epochs,
        best=best,
        best_params=best_params,
    )


def score_points(table, *, axes=None, greater_is_better=True):
    """A results table as points for scatter plots, its parameters ranked by importance.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table or a read ``scores.csv``.
    axes : dict of str to list, optional
        The grid's values of each parameter, in the grid's order (the order of levels).
    greater_is_better : bool, default True
        The metric's direction.

    Returns
    -------
    ScorePoints

    Raises
    ------
    TypeError, ValueError
        As :func:`parsearch.plot.score_grid` does, for a table that is no results table.
    """
    return points_from(prepare(table, axes), greater_is_better)
