"""Expand and validate a parameter grid.

A grid is a dict of lists, a list of such dicts, or a scikit-learn ``ParameterGrid``.
It becomes an ordered list of configurations plus the axes (parameter name -> its
distinct values in the order given) that the plots use.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """An expanded parameter grid.

    Attributes
    ----------
    configs : list of dict
        One dict of parameter values per configuration, in grid order.
    axes : dict
        Parameter name -> list of its distinct values, in the order first given.
    """

    configs: list
    axes: dict

    @property
    def varying(self):
        """Names of the parameters that take more than one value."""
        return [name for name, values in self.axes.items() if len(values) > 1]

    def __len__(self):
        return len(self.configs)


def expand_grid(param_grid):
    """Expand a parameter grid into configurations and axes.

    Parameters
    ----------
    param_grid : dict, list of dict or sklearn.model_selection.ParameterGrid
        Each dict maps a parameter name to a non-empty list of values.

    Returns
    -------
    Grid
        The configurations in grid order (the last parameter varies fastest, as in
        the dict's order) and the axes.

    Raises
    ------
    TypeError, ValueError
        For a grid that is not a dict or a list of dicts, an empty grid, a value that
        is not a list, an empty value list, or an unhashable value; the message names
        the parameter.
    """
    subgrids = _subgrids(param_grid)
    configs = []
    axes = {}
    for sub in subgrids:
        names = list(sub)
        for name in names:
            values = _check_values(name, sub[name])
            known = axes.setdefault(name, [])
            for value in values:
                if not any(_same_value(value, k) for k in known):
                    known.append(value)
        value_lists = [sub[name] for name in names]
        for combo in itertools.product(*value_lists):
            configs.append(dict(zip(names, combo)))
    return Grid(configs=configs, axes=axes)


def _subgrids(param_grid):
    grids = getattr(param_grid, "param_grid", None)  # sklearn ParameterGrid
    if grids is not None:
        param_grid = grids
    if isinstance(param_grid, Mapping):
        subgrids = [param_grid]
    elif isinstance(param_grid, Sequence) and not isinstance(param_grid, str):
        subgrids = list(param_grid)
    else:
        raise TypeError(
            "param_grid must be a dict of lists, a list of such dicts or a "
            f"ParameterGrid, got {type(param_grid).__name__}."
        )
    if not subgrids:
        raise ValueError("param_grid is empty: give at least one parameter with values.")
    for i, sub in enumerate(subgrids):
        if not isinstance(sub, Mapping):
            raise TypeError(f"param_grid[{i}] must be a dict of lists, got {type(sub).__name__}.")
        if not sub:
            raise ValueError(f"param_grid[{i}] is empty: give at least one parameter with values.")
        for name in sub:
            if not isinstance(name, str):
                raise TypeError(f"Parameter names must be strings, got {name!r}.")
    return subgrids


def _check_values(name, values):
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(
            f"Parameter {name!r}: values must be a list, got {type(values).__name__} "
            f"{values!r}. Wrap a single value in a list: {{{name!r}: [{values!r}]}}."
        )
    values = list(values)
    if not values:
        raise ValueError(f"Parameter {name!r} has an empty list of values.")
    for i, value in enumerate(values):
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"Parameter {name!r}: value {value!r} of type {type(value).__name__} "
                "is unhashable; use a tuple instead of a list, or a hashable object."
            ) from None
        for earlier in values[:i]:
            if _same_value(value, earlier) or _same_spelling(value, earlier):
                raise ValueError(
                    f"Parameter {name!r} lists one value twice: {earlier!r} and {value!r}. "
                    "Give each value once."
                )
    return values


def _same_spelling(a, b):
    return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower()


def _same_value(a, b):
    if type(a) is not type(b) and not (_is_number(a) and _is_number(b)):
        return False
    try:
        return bool(a == b) or (_is_nan(a) and _is_nan(b))
    except Exception:
        return a is b


def _is_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _is_nan(value):
    return _is_number(value) and math.isnan(float(value))


def check_params(estimator, grid):
    """Check that every grid parameter is a parameter of the estimator.

    Parameters
    ----------
    estimator : estimator
        An object with ``get_params()``.
    grid : Grid
        The expanded grid.

    Raises
    ------
    ValueError
        Naming the unknown parameter and the closest valid names.
    """
    valid = sorted(estimator.get_params(deep=True))
    aliases = getattr(estimator, "_param_aliases", {})
    for name in grid.axes:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
            if name in aliases:
                close = [aliases[name]]
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(
                f"Invalid parameter {name!r} for estimator {type(estimator).__name__}."
                f"{hint} Valid parameters are: {', '.join(valid)}."
            )
