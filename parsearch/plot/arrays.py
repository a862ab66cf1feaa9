"""Compute first: a results table becomes the plain arrays that a plot draws.

:func:`score_grid` and :func:`score_line` turn a results table into a :class:`ScoreGrid`
(for a heatmap) or a :class:`ScoreLine` (for a line plot), without matplotlib. A table
is checked and encoded once (:func:`prepare`); :func:`reduce_cells` then takes the best
row of each cell through :func:`parsearch.rows.best_index`. A cell where no row succeeded
but some were pruned is ``pruned``: it shows its pruned row that trained longest, and is
never the best.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parsearch.plot.labels import table_axes
from parsearch.rows import Col, Status, best_index, epochs_column, status_counts, succeeded

#: Status of a cell that no row of the table falls into.
MISSING = ""


@dataclass(kw_only=True)
class _Reduced:
    """What a grid and a line share: the best row of each place, and what was reduced.

    Attributes
    ----------
    scores : ndarray of float
        The best successful score of the rows at each place; at a pruned place, its
        pruned row's score at its last rung; NaN where every row failed or none exists.
    status : ndarray of object
        ``"ok"`` where some row succeeded, else ``"pruned"`` where some was pruned, else
        ``"failed"`` or ``"diverged"`` (if every row diverged); ``""`` where no row exists.
    best_params : dict or None
        Every parameter of the best configuration, None if nothing succeeded.
    over : tuple of str
        Parameters that vary at one place and were reduced by taking the best.
    fixed : dict
        Parameters held at one value (rows with other values were left out).
    epochs : ndarray of float or None
        Epochs trained by the row of each place (``epochs_trained``); NaN where unknown.
    """

    scores: np.ndarray
    status: np.ndarray
    best_params: dict | None
    over: tuple = ()
    fixed: dict = field(default_factory=dict)
    epochs: np.ndarray | None = None


@dataclass(kw_only=True)
class ScoreGrid(_Reduced):
    """Scores of a grid over two parameters, ready to draw as a heatmap.

    ``scores``, ``status`` and ``epochs`` have shape ``(len(y_values), len(x_values))``.

    Attributes
    ----------
    x, y : str
        Parameters along the columns and the rows.
    x_values, y_values : list
        Their values in axis order (``None`` for "not set in this sub-grid").
    x_labels, y_labels : list of str
        The values as tick labels.
    best : tuple of int or None
        ``(row, col)`` of the best cell, None if nothing succeeded.
    """

    x: str
    y: str
    x_values: list
    y_values: list
    x_labels: list
    y_labels: list
    best: tuple[int, int] | None


@dataclass(kw_only=True)
class ScoreLine(_Reduced):
    """Scores over one parameter, ready to draw as a line plot.

    ``scores``, ``status`` and ``epochs`` have shape ``(len(x_values),)``.

    Attributes
    ----------
    x : str
        The parameter on the horizontal axis.
    x_values : list
        Its values in axis order (``None`` for "not set in this sub-grid").
    x_labels : list of str
        The values as tick labels.
    best : int or None
        Index of the best value, None if nothing succeeded.
    """

    x: str
    x_values: list
    x_labels: list
    best: int | None


@dataclass
class Table:
    """A results table checked and encoded once (:func:`prepare`).

    ``params`` are its parameter columns, ``axes`` their :class:`~parsearch.plot.labels.Axis`,
    ``codes`` each row's position on each axis; ``score``, ``status`` (ok only where a
    row succeeded) and ``epochs`` (NaN where unknown) are arrays over the rows.
    """

    params: list
    axes: dict
    codes: dict
    score: np.ndarray
    status: np.ndarray
    epochs: np.ndarray = None

    def params_of(self, row):
        """Every parameter's value in one row, as the grid holds it."""
        return {p: self.axes[p].values[self.codes[p][row]] for p in self.params}


def _check_table(table, axes):
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"table must be a pandas DataFrame (a results table), got {type(table).__name__}; "
            "read a scores.csv with pandas.read_csv"
        )
    if Col.SCORE not in table.columns:
        raise ValueError(
            f"table has no {Col.SCORE!r} column; columns are {list(table.columns)}. "
            "Pass the results table of a grid search (res.table or scores.csv)."
        )
    if len(table) == 0:
        raise ValueError("table has no rows: there is nothing to plot")
    if not isinstance(axes, dict):
        raise TypeError(
            f"axes must be a dict mapping parameter -> list of its values, "
            f"got {type(axes).__name__}"
        )
    for name, given in axes.items():
        if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__"):
            raise TypeError(
                f"axes[{name!r}] must be a list of values, got {given!r}; "
                "wrap single values in a list"
            )


_KNOWN = frozenset(Status)


def _row_status(table, score):
    """Each row's Status: ok only where it succeeded; anything unknown is failed."""
    if Col.STATUS in table.columns:
        status = [Status(s) if s in _KNOWN else Status.FAILED for s in table[Col.STATUS]]
    else:  # a bare table of scores: NaN means failed
        status = [Status.OK] * len(score)
    status = [
        Status.FAILED if s == Status.OK and not succeeded(s, x) else s
        for s, x in zip(status, score, strict=True)
    ]
    return np.array(status, dtype=object)


def prepare(table, axes=None):
    """Check a results table and encode it once: the :class:`Table` every plot reads.

    Raises TypeError or ValueError for a table that is not a DataFrame, has no score
    column or no rows, and for ``axes`` (the grid's values of each parameter) that is not
    a dict of lists.
    """
    axes = {} if axes is None else axes
    _check_table(table, axes)
    score = pd.to_numeric(table[Col.SCORE], errors="coerce").to_numpy(dtype=float)
    axis_of, params = table_axes(table, axes)
    codes = {
        name: np.array([axis.index(p[name]) for p in params], dtype=np.intp)
        for name, axis in axis_of.items()
    }
    return Table(
        params=list(axis_of),
        axes=axis_of,
        codes=codes,
        score=score,
        status=_row_status(table, score),
        epochs=epochs_column(table),
    )


def check_param(data, name, value):
    """Raise ValueError, naming the valid parameters, if ``value`` is not a parameter."""
    if value not in data.params:
        valid = ", ".join(repr(p) for p in data.params) or "(none)"
        raise ValueError(
            f"{name}={value!r} is not a parameter of the table; valid parameters: {valid}"
        )


def _select(data, fixed):
    """Rows where each parameter in ``fixed`` has the given value."""
    rows = np.ones(len(data.score), dtype=bool)
    for p, value in (fixed or {}).items():
        check_param(data, "fixed", p)
        axis = data.axes[p]
        index = axis.index(value)
        if index is None:
            raise ValueError(
                f"fixed[{p!r}]={value!r} is not a value of {p!r}; its values are {axis.values}"
            )
        rows &= data.codes[p] == index
    return np.flatnonzero(rows)


@dataclass(kw_only=True)
class Cells(_Reduced):
    """:func:`reduce_cells`'s answer: one axis per parameter spanning the grid (0-d for
    none); ``best`` is the flat index of the best cell, None if nothing succeeded."""

    best: int | None


def _cell_status(status):
    """A cell's status from its rows': ok, else pruned, else diverged (all) or failed."""
    if len(status) == 0:
        return MISSING
    counts = status_counts(status)
    if counts[Status.OK]:
        return Status.OK
    if counts.get(Status.PRUNED):
        return Status.PRUNED
    return Status.DIVERGED if counts[Status.DIVERGED] == len(status) else Status.FAILED


def furthest_pruned(score, status, epochs, greater_is_better):
    """Position of the pruned row that trained longest (the best score among those),
    None when no row is pruned: halving stops the worse configurations first."""
    pruned = np.flatnonzero(status == Status.PRUNED)
    if pruned.size == 0:
        return None
    reached = np.nan_to_num(epochs[pruned], nan=-1.0)
    sign = 1.0 if greater_is_better else -1.0
    value = np.nan_to_num(sign * score[pruned], nan=-np.inf)
    order = np.lexsort((np.arange(pruned.size), -value, -reached))
    return int(pruned[order[0]])


def reduce_cells(data, keys, fixed, greater_is_better):
    """Best score and status of each cell of the grid spanned by ``keys`` (outermost
    first), over the rows where the parameters of ``fixed`` have its values."""
    rows = _select(data, fixed)
    shape = tuple(len(data.axes[k].values) for k in keys)
    size = math.prod(shape)
    if keys:
        cell = np.ravel_multi_index([data.codes[k][rows] for k in keys], shape)  # (n_rows,)
    else:
        cell = np.zeros(len(rows), dtype=np.intp)
    # the rows of each cell that has any, in table order; work stays O(rows), not O(cells)
    order = np.argsort(cell, kind="stable")
    occupied, starts = np.unique(cell[order], return_index=True)  # cells ascending
    members = np.split(rows[order], starts[1:]) if len(rows) else []

    scores = np.full(size, np.nan)
    epochs = np.full(size, np.nan)
    status = np.full(size, MISSING, dtype=object)
    best_row = np.full(size, -1, dtype=np.intp)
    for c, in_cell in zip(occupied, members, strict=True):
        status[c] = _cell_status(data.status[in_cell])
        score, state = data.score[in_cell], data.status[in_cell]
        i = best_index(score, state, greater_is_better)
        if i is None and status[c] == Status.PRUNED:
            i = furthest_pruned(score, state, data.epochs[in_cell], greater_is_better)
        if i is not None:
            best_row[c] = in_cell[i]
            scores[c] = data.score[best_row[c]]
            epochs[c] = data.epochs[best_row[c]]

    best = best_index(scores[occupied], status[occupied], greater_is_better)
    best = None if best is None else int(occupied[best])  # the first cell among ties
    best_params = None if best is None else data.params_of(best_row[best])
    over = tuple(
        p for p in data.params if p not in keys and len(np.unique(data.codes[p][rows])) > 1
    )
    return Cells(
        scores=scores.reshape(shape),
        status=status.reshape(shape),
        best=best,
        best_params=best_params,
        over=over,
        fixed=dict(fixed or {}),
        epochs=epochs.reshape(shape),
    )


def grid_from(data, x, y, fixed, greater_is_better):
    """The :class:`ScoreGrid` of an encoded table over ``x`` (columns) and ``y`` (rows)."""
    check_param(data, "x", x)
    check_param(data, "y", y)
    if x == y:
        raise ValueError(f"x and y must be different parameters, both are {x!r}")
    cells = reduce_cells(data, [y, x], fixed, greater_is_better)
    if cells.best is not None:
        cells.best = tuple(int(i) for i in np.unravel_index(cells.best, cells.scores.shape))
    return ScoreGrid(x=x, y=y, **_values(data, "x", x), **_values(data, "y", y), **vars(cells))


def line_from(data, x, fixed, greater_is_better):
    """The :class:`ScoreLine` of an encoded table over ``x``."""
    check_param(data, "x", x)
    cells = reduce_cells(data, [x], fixed, greater_is_better)
    return ScoreLine(x=x, **_values(data, "x", x), **vars(cells))


def _values(data, which, name):
    """``{which}_values`` and ``{which}_labels``: a parameter's values and tick labels."""
    axis = data.axes[name]
    return {f"{which}_values": list(axis.values), f"{which}_labels": list(axis.labels)}


def score_grid(table, x, y, *, axes=None, greater_is_better=True, fixed=None):
    """Scores of a results table over two parameters, as arrays for a heatmap.

    Each cell holds the best successful score of the rows with that ``(x, y)``, over the
    other parameters where they vary (``over``).

    Parameters
    ----------
    table : pandas.DataFrame
        Results table: one column per grid parameter, then the result columns
        (``score``, ``status``, ...).
    x, y : str
        Parameters along the columns and the rows of the grid.
    axes : dict of str to list, optional
        Values of each parameter in the order of the user's grid. Without it, numeric
        values are sorted ascending and others kept in order of first appearance.
        Values missing from the table give empty cells (status ``""``).
    greater_is_better : bool, default True
        Whether the best score is the largest (True) or the smallest (False).
    fixed : dict of str to value, optional
        Keep only the rows where these parameters have these values.

    Returns
    -------
    ScoreGrid
        ``scores`` and ``status`` of shape ``(len(y_values), len(x_values))`` and the
        ``best`` cell as ``(row, col)``.

    Raises
    ------
    ValueError
        If ``x`` or ``y`` is not a parameter of the table, or they are the same.
    """
    data = prepare(table, axes)
    return grid_from(data, x, y, fixed, greater_is_better)


def score_line(table, x, *, axes=None, greater_is_better=True, fixed=None):
    """Scores of a results table over one parameter, as arrays for a line plot.

    Parameters
    ----------
    table : pandas.DataFrame
        Results table: one column per grid parameter, then the result columns.
    x : str
        The parameter on the horizontal axis.
    axes, greater_is_better, fixed
        As in :func:`score_grid`.

    Returns
    -------
    ScoreLine
        ``scores`` and ``status`` of shape ``(len(x_values),)`` and the ``best`` index.

    Raises
    ------
    ValueError
        If ``x`` is not a parameter of the table.
    """
    data = prepare(table, axes)
    return line_from(data, x, fixed, greater_is_better)
