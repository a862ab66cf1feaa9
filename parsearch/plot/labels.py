"""The values of one parameter along an axis, their tick labels, and the plots' other text.

An :class:`Axis` holds a parameter's distinct values in axis order (the grid's where it
is known, else numbers ascending and other values in order of first appearance, "unset"
last) and their labels (``1e-4``, ``32``, ``adam``, ``inf``, ``nan``, ``unset``), and
finds any row's value on it, one that lost its type in a CSV too (``4.0`` for ``4``,
``NaN`` for None, ``"1"`` for ``1``). The rest: :func:`parameter_labels` (for ``parsearch
show``), which labels get a tick, the numbers in heatmap cells and the title's lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parsearch.rows import Status, csv_cell, param_columns, status_counts, typed_params, value_key
from parsearch.text import (
    display_label,
    epochs_text,
    format_number,
    is_finite_number,
    is_number,
    is_unset,
)

#: Text shown for a parameter that is not set in a sub-grid (None or NaN in the table).
UNSET_LABEL = "unset"

_UNSET_KEY = ("unset",)

#: The most tick labels drawn along one axis (of more values, every k-th is labelled).
MAX_TICKS = 40


def is_log_spaced(values, zero_too=False):
    """Positive numbers spanning at least two decades (with ``zero_too``, and zeros).

    Only finite numbers count: ``inf`` beside ``1`` is not two decades apart.
    """
    numbers = [float(v) for v in values if is_finite_number(v)]
    if zero_too:
        if any(x < 0 for x in numbers):
            return False
        numbers = [x for x in numbers if x > 0]
    return len(numbers) >= 2 and min(numbers) > 0 and max(numbers) / min(numbers) >= 100


def _grid_value(value):
    """A value as the grid holds it: numpy scalars unwrapped, ``pd.NA`` as None.

    A float NaN stays NaN: a grid value of its own. (Read from a CSV column without
    configuration keys, NaN means "unset"; :meth:`Axis.index` finds None for it.) Lists
    become tuples: a grid value cannot be a list, so a list is a tuple that went through
    ``meta.json``.
    """
    if isinstance(value, list):
        return tuple(_grid_value(v) for v in value)
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _loose_key(value):
    """A key under which a value meets the same value with its type lost (32 == 32.0).

    NaN meets None (a CSV without keys reads None back as NaN); ``-0.0`` is not ``0``.
    """
    if is_unset(value):
        return _UNSET_KEY
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if is_number(value):
        number = float(value)
        return ("num", number, math.copysign(1.0, number))
    if isinstance(value, str):
        return ("str", value)
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return ("obj", value)


@dataclass
class Axis:
    """Distinct values of one parameter, in axis order, with their tick labels.

    Attributes
    ----------
    values : list
        The values, as the grid holds them (None for "not set in this sub-grid").
    labels : list of str
        Their tick labels.
    """

    values: list
    labels: list
    _exact: dict = field(default_factory=dict, repr=False)  # value_key -> position
    _loose: dict = field(default_factory=dict, repr=False)  # _loose_key -> position

    def _add(self, value):
        self._exact.setdefault(value_key(value), len(self.values))
        self._loose.setdefault(_loose_key(value), len(self.values))
        self.values.append(value)

    def index(self, value):
        """Position of ``value`` on the axis, or None when it is not one of its values.

        The value itself (:func:`parsearch.rows.value_key`) where it is there, else the
        same value with its type lost in a CSV (``4.0``, ``NaN``, ``"1"``).
        """
        position = self._exact.get(value_key(_grid_value(value)))
        if position is None:
            position = self._loose.get(_loose_key(value))
        return position

    def label(self, value):
        """The tick label of one of the axis's values."""
        return self.labels[self.index(value)]


def make_axis(values, given=None):
    """The axis of one parameter: the values of ``given`` in their order, then the rest.

    Parameters
    ----------
    values : iterable
        The parameter's value in each row (typed, or as read from a CSV column).
    given : list, optional
        The grid's values of the parameter (``meta.json``'s ``grid.axes``), in order.

    Returns
    -------
    Axis
        Every row's value has a position on it (:meth:`Axis.index`).
    """
    given = list(given or ())
    axis = Axis(values=[], labels=[])
    for value in given:
        value = _grid_value(value)
        if value_key(value) not in axis._exact:
            axis._add(value)
    # A value read back from a CSV as text ("1", "True", "[32, 16]") still finds the
    # value of the grid.
    for position, value in enumerate(list(axis.values)):
        if value is not None:
            axis._loose.setdefault(("str", str(csv_cell(value))), position)
    extras = {}  # _extra_key -> value, in order of first appearance
    for value in values:
        if axis.index(value) is None:
            extras.setdefault(_extra_key(value), _grid_value(value))
    for value in _ordered(list(extras.values())):
        axis._add(value)
    # None listed in the grid is a value (max_depth=None: no limit); else it is a sub-grid
    # that leaves the parameter unset.
    none_label = "None" if any(v is None for v in given) else UNSET_LABEL
    axis.labels = format_values(axis.values, none_label)
    return axis


def _extra_key(value):
    """:func:`_loose_key`, but a float NaN (typed, from a key) is not None."""
    if is_number(value) and math.isnan(float(value)):
        return ("nan",)
    return _loose_key(value)


def _ordered(values):
    """Numbers ascending (NaN after ``inf``), else in order of first appearance; unset last."""
    unset = [v for v in values if v is None]
    rest = [v for v in values if v is not None]
    if rest and all(is_number(v) for v in rest):
        rest = sorted(rest, key=lambda v: (math.isnan(float(v)), float(v)))
    return rest + unset[:1]


def table_axes(table, axes=None):
    """``(axis_of, params)``: the :class:`Axis` of every parameter of a results table (in
    the order of ``axes``, the grid's values, where given), and each row's typed
    parameters (:func:`parsearch.rows.typed_params`)."""
    axes = axes or {}
    params = typed_params(table)
    axis_of = {
        name: make_axis([p[name] for p in params], axes.get(name))
        for name in param_columns(table.columns)
    }
    return axis_of, params


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
    axis_of, params = table_axes(table, axes)
    labels = {name: [axis.label(p[name]) for p in params] for name, axis in axis_of.items()}
    return pd.DataFrame(labels, index=table.index, columns=list(axis_of))


def format_values(values, none_label=UNSET_LABEL):
    """Compact tick labels for the values of one axis: 0, 1e-3, 32, 'adam', 'unset'.

    Log-spaced numbers share one style (``1e-1`` beside ``1e-3``, not ``0.1``); more
    digits are used until the labels differ.
    """
    exp_style = is_log_spaced(values, zero_too=True)
    for digits in (3, 6, 12):
        labels = []
        for v in values:
            if v is None:
                labels.append(none_label)
            elif is_number(v):
                labels.append(format_number(v, exp_style, digits))
            else:
                labels.append(str(v))
        if len(set(labels)) == len(labels):
            break
    return labels


def tick_indices(n, limit=MAX_TICKS):
    """Which of ``n`` evenly placed values get a tick label: all, or every k-th of them,
    from 0, at most ``limit``."""
    step = max(1, math.ceil(n / limit))
    return list(range(0, n, step))


def score_formatter(values):
    """A ``float -> str`` formatter with as many decimals as the spread of the finite
    ``values`` needs (2 to 4 usually)."""
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


def best_text(metric, score, params, axes):
    """``"best accuracy = 0.91 at lr=1e-2, width=512"`` (the best ``params``, labelled as
    on their ``axes``), or, where ``params`` is None, that nothing succeeded."""
    if params is None:
        return "no configuration succeeded"
    settings = ", ".join(
        f"{display_label(p)}={display_label(axes[p].label(v))}" for p, v in params.items()
    )
    text = f"best {metric} = {score:.4g}"
    return f"{text} at {settings}" if settings else text


def at_epochs(epochs):
    """``"@3"``: the epochs a pruned configuration trained ("" where unknown)."""
    return f"@{epochs_text(epochs)}" if np.isfinite(epochs) else ""


def counts_text(status):
    """``"2 failed, 1 diverged"``: how many cells did not succeed ("" when none)."""
    counts = status_counts(np.ravel(status))
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n and s != Status.OK)
