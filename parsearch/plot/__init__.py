"""Score plots of a finished grid: line plots and annotated heatmaps.

Compute first, draw second: :func:`score_grid` and :func:`score_line` turn a results
table into plain arrays (scores, status, best cell) that tests can check, and
:func:`plot_scores` draws a :class:`matplotlib.figure.Figure` from them. The plot depends
on how many parameters vary:

- 0: one marked point with the score;
- 1: the score over that parameter (a line plot);
- 2: an annotated heatmap;
- 3: one heatmap per value of the third parameter, sharing one colour scale;
- 4 or more: a heatmap over two parameters where each cell is the best score over all
  the others.

Failed and diverged configurations are drawn as such, the best one is marked, and
numeric axes are labelled with their values. matplotlib is imported only when drawing,
and ``matplotlib.pyplot`` never: figures are built with ``Figure`` directly, so the
user's backend and global state are left alone.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from parsearch.rows import Col, Direction, Status, param_columns

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

#: Text shown for a parameter that is not set in a sub-grid (None or NaN in the table).
UNSET_LABEL = "unset"
#: Status of a cell that no row of the table falls into.
MISSING = ""

_DPI = 120
_FAILED_COLORS = {Status.FAILED: "tab:red", Status.DIVERGED: "tab:purple"}
_BEST_COLOR = "red"


# ----------------------------------------------------------------------------------------
# Computing: table -> arrays
# ----------------------------------------------------------------------------------------


@dataclass
class ScoreGrid:
    """Scores of a grid over two parameters, ready to draw as a heatmap.

    Attributes
    ----------
    x, y : str
        Parameters along the columns and the rows.
    x_values, y_values : list
        Their values in axis order (``None`` for "not set in this sub-grid").
    x_labels, y_labels : list of str
        The values formatted as tick labels.
    scores : ndarray of float, shape (len(y_values), len(x_values))
        Score of each cell: the best successful score of the rows in it (over all other
        parameters when they vary), NaN where every row failed or no row exists.
    status : ndarray of object, shape (len(y_values), len(x_values))
        ``"ok"`` where some row succeeded, else ``"failed"`` or ``"diverged"`` (diverged
        only if every row in the cell diverged), ``""`` where no row exists.
    best : tuple of int or None
        ``(row, col)`` index of the best cell, None if nothing succeeded.
    best_params : dict or None
        Every parameter of the best configuration, None if nothing succeeded.
    over : tuple of str
        Parameters that vary inside the cells and were reduced by taking the best.
    fixed : dict
        Parameters held at one value (rows with other values were left out).
    """

    x: str
    y: str
    x_values: list
    y_values: list
    x_labels: list
    y_labels: list
    scores: np.ndarray
    status: np.ndarray
    best: tuple[int, int] | None
    best_params: dict | None
    over: tuple = ()
    fixed: dict = field(default_factory=dict)


@dataclass
class ScoreLine:
    """Scores over one parameter, ready to draw as a line plot.

    Attributes
    ----------
    x : str
        The parameter on the horizontal axis.
    x_values : list
        Its values in axis order (``None`` for "not set in this sub-grid").
    x_labels : list of str
        The values formatted as tick labels.
    scores : ndarray of float, shape (len(x_values),)
        Best successful score at each value, NaN where every row failed or none exists.
    status : ndarray of object, shape (len(x_values),)
        ``"ok"``, ``"failed"``, ``"diverged"`` or ``""`` (no row), as in :class:`ScoreGrid`.
    best : int or None
        Index of the best value, None if nothing succeeded.
    best_params : dict or None
        Every parameter of the best configuration, None if nothing succeeded.
    over : tuple of str
        Parameters that vary at one x value and were reduced by taking the best.
    fixed : dict
        Parameters held at one value.
    """

    x: str
    x_values: list
    x_labels: list
    scores: np.ndarray
    status: np.ndarray
    best: int | None
    best_params: dict | None
    over: tuple = ()
    fixed: dict = field(default_factory=dict)


@dataclass
class _Axis:
    """Distinct values of one parameter, in axis order."""

    values: list  # native Python values, None for unset
    labels: list  # formatted tick labels
    lookup: dict  # value key -> index into values (also str aliases of the values)


@dataclass
class _Table:
    """A results table checked and encoded once: one integer code per parameter and row."""

    params: list
    axes: dict  # param -> _Axis
    codes: dict  # param -> int array (n_rows,), index into axes[param].values
    score: np.ndarray  # (n_rows,) float
    status: np.ndarray  # (n_rows,) object: ok / failed / diverged
    success: np.ndarray  # (n_rows,) bool: status ok and a finite score


_UNSET_KEY = ("unset",)


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _is_unset(value):
    if value is None or value is pd.NA:
        return True
    return _is_number(value) and math.isnan(float(value))


def _value_key(value):
    """A hashable key under which equal values of any origin meet (32 == 32.0, NaN == None)."""
    if _is_unset(value):
        return _UNSET_KEY
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if _is_number(value):
        return ("num", float(value))
    if isinstance(value, str):
        return ("str", value)
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return ("obj", value)


def _native(value):
    if _is_unset(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _ordered(values):
    """Numbers ascending, anything else in order of first appearance; unset last."""
    unset = [v for v in values if _is_unset(v)]
    rest = [v for v in values if not _is_unset(v)]
    if rest and all(_is_number(v) for v in rest):
        rest = sorted(rest, key=float)
    return rest + unset[:1]


def _format_number(value, exp_style, digits):
    f = float(value)
    if f == 0:
        return "0"
    if f.is_integer() and abs(f) < 1e6:
        return str(int(f))
    if abs(f) < 1e-2 or abs(f) >= 1e6 or (exp_style and abs(f) < 1):
        mantissa, exponent = f"{f:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        return f"{mantissa}e{int(exponent)}"
    return f"{f:.{digits}g}"


def _is_log_spaced(values, zero_too=False):
    """Positive numbers spanning at least two decades (with ``zero_too``, and zeros)."""
    numbers = [float(v) for v in values if _is_number(v) and not _is_unset(v)]
    if zero_too:
        if any(x < 0 for x in numbers):
            return False
        numbers = [x for x in numbers if x > 0]
    return len(numbers) >= 2 and min(numbers) > 0 and max(numbers) / min(numbers) >= 100


def _format_values(values, none_label=UNSET_LABEL):
    """Compact tick labels for the values of one axis: 0, 1e-3, 32, 'adam', 'unset'."""
    exp_style = _is_log_spaced(values, zero_too=True)
    for digits in (3, 6, 12):
        labels = []
        for v in values:
            if v is None:
                labels.append(none_label)
            elif _is_number(v):
                labels.append(_format_number(v, exp_style, digits))
            else:
                labels.append(str(v))
        if len(set(labels)) == len(labels):
            break
    return labels


def _make_axis(column, given):
    """Distinct values of one parameter column: ``given`` first, in its order, then the rest."""
    values = []
    lookup = {}

    def add(value):
        lookup[_value_key(value)] = len(values)
        values.append(_native(value))

    for value in given or ():
        if _value_key(value) not in lookup:
            add(value)
    # A value read back from CSV as text ("1", "True") still finds the value of the grid.
    aliases = {str(v): i for i, v in enumerate(values) if v is not None}
    extras = []
    extra_keys = set()
    for value in pd.unique(np.asarray(column, dtype=object)):
        key = _value_key(value)
        if key in lookup or key in extra_keys:
            continue
        if isinstance(value, str) and value in aliases:
            lookup[key] = aliases[value]
            continue
        extra_keys.add(key)
        extras.append(value)
    for value in _ordered(extras):
        add(value)
    # None listed in the grid is a value (max_depth=None: no limit); else it is a sub-grid
    # that leaves the parameter unset.
    none_label = "None" if any(v is None for v in given or ()) else UNSET_LABEL
    return _Axis(values=values, labels=_format_values(values, none_label), lookup=lookup)


def parameter_labels(table, axes=None):
    """The parameter columns of a results table as the plots label them.

    ``None`` listed in the grid reads "None" (else "unset"), numbers as on the axes
    (1e-4, 32; not 32.0 as a CSV column with a missing value is read back).

    Parameters
    ----------
    table : DataFrame
        A results table (``res.table`` or a read ``scores.csv``).
    axes : dict of str to list, optional
        The grid's values of each parameter (``meta.json``'s ``grid.axes``).

    Returns
    -------
    DataFrame
        The parameter columns, as strings, on the table's index.
    """
    axes = axes or {}
    labels = {}
    for name in param_columns(table.columns):
        axis = _make_axis(table[name], axes.get(name))
        labels[name] = [axis.labels[axis.lookup[_value_key(v)]] for v in table[name]]
    return pd.DataFrame(labels, index=table.index)


def _prepare(table, axes):
    """Check a results table and encode its parameter columns once."""
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
    params = param_columns(table.columns)
    axes = {} if axes is None else axes
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

    score = pd.to_numeric(table[Col.SCORE], errors="coerce").to_numpy(dtype=float)
    if Col.STATUS in table.columns:
        status = table[Col.STATUS].to_numpy(dtype=object)
        status = np.array(
            [
                s if s in (Status.OK, Status.FAILED, Status.DIVERGED) else Status.FAILED
                for s in status
            ],
            dtype=object,
        )
    else:  # a bare table of scores: NaN means failed
        status = np.where(np.isnan(score), Status.FAILED, Status.OK).astype(object)
    success = (status == Status.OK) & np.isfinite(score)
    status = np.where((status == Status.OK) & ~success, Status.FAILED, status).astype(object)

    axis_of = {}
    codes = {}
    for p in params:
        column = table[p].to_numpy(dtype=object)
        axis = _make_axis(column, axes.get(p))
        axis_of[p] = axis
        codes[p] = np.array([axis.lookup[_value_key(v)] for v in column], dtype=np.intp)
    return _Table(
        params=params, axes=axis_of, codes=codes, score=score, status=status, success=success
    )


def _check_param(data, name, value):
    if value not in data.params:
        valid = ", ".join(repr(p) for p in data.params) or "(none)"
        raise ValueError(
            f"{name}={value!r} is not a parameter of the table; valid parameters: {valid}"
        )


def _select(data, fixed):
    """Rows where each parameter in ``fixed`` has the given value."""
    rows = np.ones(len(data.score), dtype=bool)
    for p, value in (fixed or {}).items():
        _check_param(data, "fixed", p)
        axis = data.axes[p]
        index = axis.lookup.get(_value_key(value))
        if index is None:
            raise ValueError(
                f"fixed[{p!r}]={value!r} is not a value of {p!r}; its values are {axis.values}"
            )
        rows &= data.codes[p] == index
    return np.flatnonzero(rows)


def _reduce(data, keys, fixed, greater_is_better):
    """Best score and status of each cell of the grid spanned by ``keys``.

    Returns scores and status of shape ``tuple(len(values) for each key)``, the flat index
    of the best cell (or None), the row of the best configuration, and the parameters
    that vary inside the cells.
    """
    rows = _select(data, fixed)
    shape = tuple(len(data.axes[k].values) for k in keys)
    size = math.prod(shape)
    if keys:
        cell = np.ravel_multi_index([data.codes[k][rows] for k in keys], shape)  # (n_rows,)
    else:
        cell = np.zeros(len(rows), dtype=np.intp)

    sign = 1.0 if greater_is_better else -1.0
    scores = np.full(size, np.nan)
    best_row = np.full(size, -1, dtype=np.intp)
    n_rows = np.zeros(size, dtype=int)
    n_diverged = np.zeros(size, dtype=int)
    for r, c in zip(rows, cell, strict=True):
        n_rows[c] += 1
        n_diverged[c] += data.status[r] == Status.DIVERGED
        if data.success[r] and (np.isnan(scores[c]) or sign * data.score[r] > sign * scores[c]):
            scores[c] = data.score[r]
            best_row[c] = r

    status = np.full(size, MISSING, dtype=object)
    status[n_rows > 0] = Status.FAILED
    status[(n_rows > 0) & (n_diverged == n_rows)] = Status.DIVERGED
    status[best_row >= 0] = Status.OK

    best = None
    if np.any(best_row >= 0):
        best = int(np.nanargmax(scores) if greater_is_better else np.nanargmin(scores))
    over = tuple(
        p for p in data.params if p not in keys and len(np.unique(data.codes[p][rows])) > 1
    )
    best_params = None
    if best is not None:
        r = best_row[best]
        best_params = {p: data.axes[p].values[data.codes[p][r]] for p in data.params}
    return scores.reshape(shape), status.reshape(shape), best, best_params, over


def _grid_from(data, x, y, fixed, greater_is_better):
    _check_param(data, "x", x)
    _check_param(data, "y", y)
    if x == y:
        raise ValueError(f"x and y must be different parameters, both are {x!r}")
    scores, status, best, best_params, over = _reduce(data, [y, x], fixed, greater_is_better)
    if best is not None:
        best = tuple(int(i) for i in np.unravel_index(best, scores.shape))
    return ScoreGrid(
        x=x,
        y=y,
        x_values=list(data.axes[x].values),
        y_values=list(data.axes[y].values),
        x_labels=list(data.axes[x].labels),
        y_labels=list(data.axes[y].labels),
        scores=scores,
        status=status,
        best=best,
        best_params=best_params,
        over=over,
        fixed=dict(fixed or {}),
    )


def _line_from(data, x, fixed, greater_is_better):
    _check_param(data, "x", x)
    scores, status, best, best_params, over = _reduce(data, [x], fixed, greater_is_better)
    return ScoreLine(
        x=x,
        x_values=list(data.axes[x].values),
        x_labels=list(data.axes[x].labels),
        scores=scores,
        status=status,
        best=best,
        best_params=best_params,
        over=over,
        fixed=dict(fixed or {}),
    )


def score_grid(table, x, y, *, axes=None, greater_is_better=True, fixed=None):
    """Scores of a results table over two parameters, as arrays for a heatmap.

    Each cell holds the best successful score of the rows with that ``(x, y)``: when
    other parameters vary, the cell is the best over them (see ``over``).

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
    data = _prepare(table, axes)
    return _grid_from(data, x, y, fixed, greater_is_better)


def score_line(table, x, *, axes=None, greater_is_better=True, fixed=None):
    """Scores of a results table over one parameter, as arrays for a line plot.

    Parameters
    ----------
    table : pandas.DataFrame
        Results table: one column per grid parameter, then the result columns.
    x : str
        The parameter on the horizontal axis.
    axes : dict of str to list, optional
        Values of each parameter in the order of the user's grid, as in :func:`score_grid`.
    greater_is_better : bool, default True
        Whether the best score is the largest (True) or the smallest (False).
    fixed : dict of str to value, optional
        Keep only the rows where these parameters have these values.

    Returns
    -------
    ScoreLine
        ``scores`` and ``status`` of shape ``(len(x_values),)`` and the ``best`` index.

    Raises
    ------
    ValueError
        If ``x`` is not a parameter of the table.
    """
    data = _prepare(table, axes)
    return _line_from(data, x, fixed, greater_is_better)


# ----------------------------------------------------------------------------------------
# Drawing: arrays -> Figure
# ----------------------------------------------------------------------------------------


def _import_matplotlib():
    try:
        import matplotlib
        import matplotlib.colors
        import matplotlib.figure
        import matplotlib.patches
        import matplotlib.ticker
        import matplotlib.transforms
    except ImportError as exc:
        raise ImportError(
            "parsearch.plot needs matplotlib to draw: pip install matplotlib "
            "(the score arrays of score_grid and score_line work without it)"
        ) from exc
    return matplotlib


def _direction_label(metric, greater_is_better):
    return f"{metric} ({'higher' if greater_is_better else 'lower'} is better)"


def _check_direction(table, greater_is_better):
    if Col.DIRECTION not in table.columns:
        return
    directions = set(table[Col.DIRECTION].dropna().unique())
    table_higher = directions == {Direction.HIGHER}
    table_lower = directions == {Direction.LOWER}
    if (table_higher and not greater_is_better) or (table_lower and greater_is_better):
        warnings.warn(
            f"greater_is_better={greater_is_better} but the table's {Col.DIRECTION!r} column "
            f"says {directions.pop()!r}; the best score may be the wrong one",
            UserWarning,
            stacklevel=3,
        )


def _score_formatter(values):
    """A formatter with as many decimals as the spread of the scores needs (2 to 4 usually)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return lambda v: f"{v:.3g}"
    largest = float(np.max(np.abs(finite)))
    if largest >= 1e5 or largest < 1e-3:
        return lambda v: f"{v:.3g}"
    spread = float(finite.max() - finite.min())
    if spread > 0:  # resolve about a fiftieth of the range of scores
        decimals = math.ceil(-math.log10(spread / 50))
        # ...and tell apart the close scores of the better (or worse) half, where a few
        # diverged runs would otherwise stretch the range and round the good ones alike.
        ordered = np.sort(finite)
        halves = [ordered[: (len(ordered) + 1) // 2], ordered[len(ordered) // 2 :]]
        spreads = [float(h.max() - h.min()) for h in halves if h.size > 1 and h.max() > h.min()]
        if spreads:
            decimals = max(decimals, math.ceil(-math.log10(min(spreads) / 20)))
    else:
        decimals = 3 if largest < 10 else 1
    nonzero = np.abs(finite[finite != 0])
    if nonzero.size:  # at least two significant digits for the smallest score
        decimals = max(decimals, 1 - math.floor(math.log10(float(nonzero.min()))))
    decimals = min(max(decimals, 0), 4)
    return lambda v: f"{v:.{decimals}f}"


def _best_text(metric, score, params, axes):
    if params is None:
        return "no configuration succeeded"
    settings = ", ".join(
        f"{p}={axes[p].labels[axes[p].lookup[_value_key(v)]]}" for p, v in params.items()
    )
    text = f"best {metric} = {score:.4g}"
    return f"{text} at {settings}" if settings else text


def _wrap(text, width_in):
    chars = max(30, int(width_in * 11))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def _needs_rotation(labels, space_in, fontsize=9.0):
    """Whether labels side by side, ``space_in`` inches apart, would overlap."""
    longest = max((len(s) for s in labels), default=0)
    return longest * fontsize * 0.6 / 72 > 0.9 * space_in


def _status_counts(status):
    counts = {s: int(np.sum(status == s)) for s in (Status.FAILED, Status.DIVERGED)}
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n)


def _colormap(mpl, greater_is_better):
    cmap = mpl.colormaps["viridis"]
    if not greater_is_better:  # better is always the bright end
        cmap = cmap.reversed()
    return cmap.with_extremes(bad=(0, 0, 0, 0))


def _norm(mpl, arrays):
    finite = np.concatenate([np.ravel(a) for a in arrays])
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return mpl.colors.Normalize(0.0, 1.0), False
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        pad = abs(lo) * 0.01 or 0.01
        lo, hi = lo - pad, hi + pad
    return mpl.colors.Normalize(lo, hi), True


def _heatmap_size(grid):
    """Cell width and height in inches, smaller for large grids."""
    nx, ny = len(grid.x_values), len(grid.y_values)
    longest = max((len(s) for s in grid.x_labels), default=1)
    cell_w = min(max(0.75, 0.075 * min(longest, 9)), 11.0 / nx)
    cell_h = min(0.55, 9.0 / ny)
    return cell_w, cell_h


def _draw_heatmap(mpl, ax, grid, *, cmap, norm, fmt, cell_w, cell_h, mark_best=True):
    """Draw one ScoreGrid into ``ax``; return the image for a colour bar."""
    Rectangle = mpl.patches.Rectangle
    ny, nx = grid.scores.shape
    image = ax.imshow(
        np.ma.masked_invalid(grid.scores),
        cmap=cmap,
        norm=norm,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
    )
    fontsize = float(np.clip(min(13 * cell_w, 22 * cell_h), 5, 9))
    annotate = nx * ny <= 900
    for i in range(ny):
        for j in range(nx):
            status = grid.status[i, j]
            if status == Status.OK:
                if annotate:
                    r, g, b, _ = cmap(norm(grid.scores[i, j]))
                    dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.55
                    ax.text(
                        j,
                        i,
                        fmt(grid.scores[i, j]),
                        ha="center",
                        va="center",
                        fontsize=fontsize,
                        color="white" if dark else "black",
                    )
                continue
            if status in (Status.FAILED, Status.DIVERGED):
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        facecolor="0.88",
                        edgecolor="0.55",
                        hatch="///",
                        linewidth=0,
                    )
                )
                text, color, style = status, _FAILED_COLORS[status], "normal"
            else:
                text, color, style = "missing", "0.55", "italic"
            if annotate:
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=fontsize * 0.9,
                    color=color,
                    style=style,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                )
    if mark_best and grid.best is not None:
        i, j = grid.best
        ax.add_patch(
            Rectangle(
                (j - 0.5, i - 0.5),
                1,
                1,
                fill=False,
                edgecolor=_BEST_COLOR,
                linewidth=3,
                zorder=5,
                clip_on=False,
            )
        )

    ax.set_xticks(range(nx), grid.x_labels)
    ax.set_yticks(range(ny), grid.y_labels)
    if _needs_rotation(grid.x_labels, cell_w):
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_xticks(np.arange(nx + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(ny + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(which="major", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def _plot_heatmap(mpl, data, grid, *, metric, greater_is_better, heading):
    cell_w, cell_h = _heatmap_size(grid)
    ny, nx = grid.scores.shape
    longest_y = max(len(s) for s in grid.y_labels)
    width = max(4.8, nx * cell_w + 2.4 + 0.07 * longest_y)
    height = max(3.6, ny * cell_h + 2.2)
    fig = mpl.figure.Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    cmap = _colormap(mpl, greater_is_better)
    norm, has_scores = _norm(mpl, [grid.scores])
    image = _draw_heatmap(
        mpl,
        ax,
        grid,
        cmap=cmap,
        norm=norm,
        fmt=_score_formatter(grid.scores),
        cell_w=cell_w,
        cell_h=cell_h,
    )
    ax.set_xlabel(grid.x)
    ax.set_ylabel(grid.y)
    if has_scores:
        fig.colorbar(image, ax=ax, label=_direction_label(metric, greater_is_better))
    best_score = grid.scores[grid.best] if grid.best is not None else None
    best = _best_text(metric, best_score, grid.best_params, data.axes)
    if grid.best is None and _status_counts(grid.status):
        best += f" (cells: {_status_counts(grid.status)})"
    fig.suptitle(_wrap(f"{heading}\n{best}", width), fontsize=10)
    return fig


def _plot_facets(mpl, data, x, y, z, *, metric, greater_is_better, heading):
    grids = [_grid_from(data, x, y, {z: value}, greater_is_better) for value in data.axes[z].values]
    n = len(grids)
    ncols = min(n, 4 if len(data.axes[x].values) <= 4 else 3)
    nrows = math.ceil(n / ncols)
    cell_w, cell_h = _heatmap_size(grids[0])
    cell_w = min(cell_w, 16.0 / (ncols * len(grids[0].x_values)))
    cell_h = min(cell_h, 12.0 / (nrows * len(grids[0].y_values)))
    ny, nx = grids[0].scores.shape
    longest_y = max(len(s) for s in grids[0].y_labels)
    panel_w = nx * cell_w + 0.5
    panel_h = ny * cell_h + 1.0
    width = max(5.0, ncols * panel_w + 1.6 + 0.07 * longest_y)
    height = max(3.6, nrows * panel_h + 1.4)
    fig = mpl.figure.Figure(figsize=(width, height), layout="constrained")
    axs = fig.subplots(nrows, ncols, squeeze=False)

    sign = 1.0 if greater_is_better else -1.0
    candidates = [(sign * g.scores[g.best], k) for k, g in enumerate(grids) if g.best is not None]
    best_panel = max(candidates, key=lambda c: (c[0], -c[1]))[1] if candidates else None

    cmap = _colormap(mpl, greater_is_better)
    norm, has_scores = _norm(mpl, [g.scores for g in grids])
    fmt = _score_formatter(np.concatenate([g.scores.ravel() for g in grids]))
    z_labels = data.axes[z].labels
    image = None
    for k, grid in enumerate(grids):
        row, col = divmod(k, ncols)
        ax = axs[row, col]
        image = _draw_heatmap(
            mpl,
            ax,
            grid,
            cmap=cmap,
            norm=norm,
            fmt=fmt,
            cell_w=cell_w,
            cell_h=cell_h,
            mark_best=k == best_panel,
        )
        ax.set_title(f"{z} = {z_labels[k]}", fontsize=10)
        if col == 0:
            ax.set_ylabel(y)
        else:
            ax.tick_params(axis="y", labelleft=False)
        if k + ncols >= n:  # nothing below this panel
            ax.set_xlabel(x)
        else:
            ax.tick_params(axis="x", labelbottom=False)
    for k in range(n, nrows * ncols):
        axs.flat[k].remove()
    if has_scores:
        fig.colorbar(
            image,
            ax=[axs.flat[k] for k in range(n)],
            label=_direction_label(metric, greater_is_better),
        )
    if best_panel is None:
        best = _best_text(metric, None, None, data.axes)
    else:
        g = grids[best_panel]
        best = _best_text(metric, g.scores[g.best], g.best_params, data.axes)
    fig.suptitle(_wrap(f"{heading}\n{best}", width), fontsize=10)
    return fig


def _plot_line(mpl, data, line, *, metric, greater_is_better, heading):
    n = len(line.x_values)
    numeric = all(v is not None and _is_number(v) for v in line.x_values)
    log_x = numeric and _is_log_spaced(line.x_values)
    if numeric and not log_x and _is_log_spaced(line.x_values, zero_too=True):
        numeric = False  # 0 beside log-spaced values: evenly placed, as categories
    positions = np.array([float(v) for v in line.x_values]) if numeric else np.arange(n)
    width = min(14.0, max(5.5, 3.0 + 0.45 * n))
    fig = mpl.figure.Figure(figsize=(width, 4.2), layout="constrained")
    ax = fig.add_subplot()
    if log_x:
        ax.set_xscale("log")

    ok = line.status == Status.OK
    ax.plot(positions, line.scores, color="tab:blue", linewidth=1.5, zorder=2)
    ax.plot(
        positions[ok],
        line.scores[ok],
        "o",
        color="tab:blue",
        markersize=5,
        label=metric,
        zorder=3,
    )
    if line.best is not None:
        ax.plot(
            positions[line.best],
            line.scores[line.best],
            "*",
            markersize=16,
            color="gold",
            markeredgecolor="black",
            label=f"best: {line.scores[line.best]:.4g}",
            zorder=4,
        )
    bottom = mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    for status, color in _FAILED_COLORS.items():
        where = line.status == status
        if np.any(where):
            ax.plot(
                positions[where],
                np.full(int(where.sum()), 0.04),
                "x",
                color=color,
                markersize=9,
                markeredgewidth=2,
                transform=bottom,
                clip_on=False,
                label=status,
                zorder=4,
            )
    if not np.any(ok):
        ax.set_ylim(0, 1)
        ax.text(
            0.5,
            0.5,
            "no configuration succeeded",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="0.4",
        )
    else:
        lo, hi = np.nanmin(line.scores), np.nanmax(line.scores)
        pad = (hi - lo) * 0.12 or abs(hi) * 0.05 or 0.05
        ax.set_ylim(lo - pad, hi + pad)  # room for the failure marks at the bottom

    if numeric:
        if n <= 15:
            ax.set_xticks(positions, line.x_labels)
            ax.xaxis.set_minor_locator(mpl.ticker.NullLocator())
        margin = 0.05
        if log_x:
            lo, hi = np.log10(positions.min()), np.log10(positions.max())
            ax.set_xlim(10 ** (lo - margin * (hi - lo)), 10 ** (hi + margin * (hi - lo)))
    else:
        ax.set_xticks(positions, line.x_labels)
        ax.set_xlim(-0.5, n - 0.5)
    axes_w = width - 1.5
    if _needs_rotation(line.x_labels, axes_w / max(n, 1)):
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_xlabel(line.x + (" (log scale)" if log_x else ""))
    ax.set_ylabel(_direction_label(metric, greater_is_better))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    best_score = line.scores[line.best] if line.best is not None else None
    best = _best_text(metric, best_score, line.best_params, data.axes)
    fig.suptitle(_wrap(f"{heading}\n{best}", width), fontsize=10)
    return fig


def _plot_single(mpl, data, *, metric, greater_is_better, heading):
    scores, status, best, best_params, _ = _reduce(data, [], None, greater_is_better)
    fig = mpl.figure.Figure(figsize=(4.8, 3.8), layout="constrained")
    ax = fig.add_subplot()
    if best is not None:
        score = float(scores)
        ax.plot([0], [score], "*", markersize=18, color="gold", markeredgecolor="black")
        ax.annotate(
            f"{score:.4g}",
            (0, score),
            xytext=(0, 12),
            textcoords="offset points",
            ha="center",
            fontsize=11,
        )
        pad = abs(score) * 0.05 or 0.05
        ax.set_ylim(score - pad, score + pad)
    else:
        ax.set_yticks([])
        ax.text(
            0.5,
            0.5,
            str(status),
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=14,
            color=_FAILED_COLORS.get(str(status), "0.4"),
        )
    ax.set_xlim(-1, 1)
    ax.set_xticks([])
    ax.set_ylabel(_direction_label(metric, greater_is_better))
    ax.grid(True, axis="y", alpha=0.3)
    score = float(scores) if best is not None else None
    if best_params is None:
        settings = ", ".join(
            f"{p}={data.axes[p].labels[0]}" for p in data.params if data.axes[p].values
        )
        best = f"the only configuration {status}" + (f" ({settings})" if settings else "")
    else:
        best = _best_text(metric, score, best_params, data.axes)
    fig.suptitle(_wrap(f"{heading}\n{best}", 4.8), fontsize=10)
    return fig


def plot_scores(
    table,
    *,
    axes=None,
    metric="score",
    greater_is_better=True,
    x=None,
    y=None,
    title=None,
):
    """Plot the scores of a finished grid search.

    The kind of plot follows from the number of varying parameters (those with more than
    one distinct value): 0, a single marked point; 1, a line plot of the score over it;
    2, an annotated heatmap; 3, one heatmap per value of the third parameter with a
    shared colour scale; 4 or more, a heatmap over ``x`` and ``y`` whose cells are the
    best score over all other parameters. Failed and diverged configurations are drawn
    as such, the best one is marked and named in the title.

    Parameters
    ----------
    table : pandas.DataFrame
        Results table: one column per grid parameter, then the result columns
        (``score``, ``status``, ...), e.g. ``res.table`` or a read ``scores.csv``.
    axes : dict of str to list, optional
        Values of each parameter in the order of the user's grid; the plot's axes use
        that order. Without it, numeric values are sorted ascending and others kept in
        order of first appearance.
    metric : str, default "score"
        Name of the metric, for the colour bar, axis label and title.
    greater_is_better : bool, default True
        Whether higher scores are better. For lower-is-better metrics the colour map is
        reversed, so that the best cells always have the same (bright) colour.
    x, y : str, optional
        Parameters for the horizontal and vertical axes of the heatmaps; by default the
        first two varying parameters. With three varying parameters the remaining one
        gives the small multiples; with more, the rest are reduced by taking the best.
    title : str, optional
        First line of the title, instead of the automatic description. The line naming
        the best score and its parameters follows it.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, not shown; save it with :func:`save_figure` or ``fig.savefig``.

    Raises
    ------
    ValueError
        If the table is empty or has no ``score`` column, or ``x`` / ``y`` is not one of
        its parameters.
    ImportError
        If matplotlib is not installed.
    """
    data = _prepare(table, axes)
    for name, value in (("x", x), ("y", y)):
        if value is not None:
            _check_param(data, name, value)
    if x is not None and x == y:
        raise ValueError(f"x and y must be different parameters, both are {x!r}")
    _check_direction(table, greater_is_better)
    mpl = _import_matplotlib()
    kwargs = {"metric": metric, "greater_is_better": greater_is_better}

    varying = [p for p in data.params if len(data.axes[p].values) > 1]
    line_x = None
    if x is None and y is None:
        if not varying:
            if title is not None:
                heading = title
            elif len(table) > 1:
                heading = f"{metric}: best of {len(table)} runs of the only configuration"
            else:
                heading = f"{metric} of the only configuration"
            return _plot_single(mpl, data, heading=heading, **kwargs)
        if len(varying) == 1:
            line_x = varying[0]
        else:
            x, y = varying[:2]
    elif y is None:
        others = [p for p in varying if p != x]
        if others:
            y = others[0]
        else:
            line_x = x
    elif x is None:
        others = [p for p in varying if p != y]
        if others:
            x = others[0]
        else:
            line_x = y
    if line_x is not None:
        line = _line_from(data, line_x, None, greater_is_better)
        heading = title if title is not None else f"{metric} over {line_x}"
        if line.over:
            heading += f" (best over {', '.join(line.over)})"
        return _plot_line(mpl, data, line, heading=heading, **kwargs)

    rest = [p for p in varying if p not in (x, y)]
    if len(rest) == 1:
        heading = title if title is not None else f"{metric} over {x} × {y}, by {rest[0]}"
        return _plot_facets(mpl, data, x, y, rest[0], heading=heading, **kwargs)
    grid = _grid_from(data, x, y, None, greater_is_better)
    if title is not None:
        heading = title
    elif grid.over:
        heading = (
            f"{metric} over {x} × {y}\neach cell: the "
            f"{'highest' if greater_is_better else 'lowest'} over {', '.join(grid.over)}"
        )
    else:
        heading = f"{metric} over {x} × {y}"
    return _plot_heatmap(mpl, data, grid, heading=heading, **kwargs)


def plot_epoch_scores(table, *, metric="score", greater_is_better=True, top=5):
    """Learning curves: the validation score after each epoch of the best networks.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table with an ``epoch_scores`` column (networks).
    metric : str
        Name of the metric, for the axis label.
    greater_is_better : bool
        Direction of the metric; picks the best rows.
    top : int
        How many of the best configurations to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if Col.EPOCH_SCORES not in table.columns:
        raise ValueError("The table has no epoch_scores column (it is not a network grid).")
    mpl = _import_matplotlib()
    ok = table[(table[Col.STATUS] == Status.OK) & table[Col.SCORE].notna()]
    best = ok.sort_values(Col.SCORE, ascending=not greater_is_better, kind="stable").head(top)
    params = param_columns(table.columns)
    varying = [p for p in params if table[p].nunique(dropna=False) > 1] or params
    fig = mpl.figure.Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    labels = {}  # parameter -> {value: label}, formatted as on that parameter's axis
    for p in varying:
        values = _ordered([_native(v) for v in table[p].unique()])
        labels[p] = dict(zip(values, _format_values(values)))
    for _, row in best.iterrows():
        curve = list(row[Col.EPOCH_SCORES])
        label = ", ".join(f"{p}={labels[p].get(_native(row[p]), row[p])}" for p in varying)
        ax.plot(range(1, len(curve) + 1), curve, marker="o", label=f"{label}: {row[Col.SCORE]:.4g}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(_direction_label(metric, greater_is_better))
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title=f"best {len(best)}", title_fontsize=8)
    ax.set_title(f"validation {metric} after each epoch")
    return fig


def save_figure(fig, path):
    """Write a figure to a PNG file atomically.

    The image is written to a temporary file in the same folder and moved into place
    with :func:`os.replace`, so a reader never sees a half-written file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save.
    path : str or os.PathLike
        Destination of the PNG; missing parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    from parsearch.results.files import atomic_write

    path = Path(path)
    with atomic_write(path, binary=True) as f:
        fig.savefig(f, format="png", dpi=_DPI)
    return path
