"""Expand and validate a parameter grid.

A grid is a dict of lists, a list of such dicts, or a scikit-learn ``ParameterGrid``.
It becomes an ordered list of configurations plus the axes (parameter name -> its
distinct values in the order given) that the plots use.

Expansion takes time linear in the number of values and of sub-grids: values are told
apart by a key (:func:`_same_value_key`) in a dict, not compared pairwise.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone

from parsearch.rows import is_estimator, value_key


@dataclass(frozen=True)
class Grid:
    """An expanded parameter grid.

    Attributes
    ----------
    configs : list of dict
        One dict of parameter values per configuration, in grid order.
    axes : dict
        Parameter name -> list of its distinct values, in the order first given.
    sklearn_order : list of int
        The configurations' positions in scikit-learn's ``ParameterGrid`` order (each
        sub-grid's keys sorted, the last varying fastest), for output that must match
        GridSearchCV's row for row.
    """

    configs: list
    axes: dict
    sklearn_order: list = field(default_factory=list)

    @property
    def varying(self):
        """Names of the parameters that take more than one value."""
        return [name for name, values in self.axes.items() if len(values) > 1]

    @property
    def always_set(self):
        """Names of the parameters that every configuration sets, in axis order.

        The others keep the estimator's own value in some configurations (a sub-grid
        that does not name them).
        """
        if not self.configs:
            return []
        common = set(self.configs[0]).intersection(*self.configs[1:])
        return [name for name in self.axes if name in common]

    def __len__(self):
        return len(self.configs)


def expand_grid(param_grid, duplicates="refuse"):
    """Expand a parameter grid into configurations and axes.

    Parameters
    ----------
    param_grid : dict, list of dict or sklearn.model_selection.ParameterGrid
        Each dict maps a parameter name to a non-empty list of values.
    duplicates : {"refuse", "keep"}, default="refuse"
        A value listed twice in one list (``[0.1, 0.1]``, ``["sgd", "SGD "]``): refused,
        as the slip it usually is, or kept as two configurations, as GridSearchCV keeps
        them.

    Returns
    -------
    Grid
        The configurations in grid order (the last parameter varies fastest, as in
        the dict's order) and the axes.

    Raises
    ------
    TypeError, ValueError
        For a grid that is not a dict or a list of dicts, an empty grid (``[]``; ``{}``
        alone is one configuration, the estimator as it is, as in GridSearchCV), an
        empty sub-grid among others, a value that is not a list, an empty value list, or
        a value listed twice; the message names the parameter.
    """
    if duplicates not in ("refuse", "keep"):
        raise ValueError(f"duplicates must be 'refuse' or 'keep', got {duplicates!r}.")
    subgrids = _subgrids(param_grid)
    configs, order = [], []
    axes = {}
    on_axis = {}  # name -> the _same_value_key of each value on its axis
    for sub in subgrids:
        names = list(sub)
        value_lists = [_check_values(name, sub[name], duplicates) for name in names]
        for name, values in zip(names, value_lists):
            known, keys = axes.setdefault(name, []), on_axis.setdefault(name, set())
            for value in values:
                key = _same_value_key(value)
                if key not in keys:
                    keys.add(key)
                    known.append(value)
        start = len(configs)
        combos = list(itertools.product(*_positions(value_lists)))
        configs.extend(dict(zip(names, (v[i] for v, i in zip(value_lists, c)))) for c in combos)
        by_sorted_key = [names.index(n) for n in sorted(names)]
        order.extend(
            start + j
            for j in sorted(range(len(combos)), key=lambda j: [combos[j][k] for k in by_sorted_key])
        )
    return Grid(configs=configs, axes=axes, sklearn_order=order)


def _positions(value_lists):
    """The positions of each list's values (to combine positions, then look values up)."""
    return [range(len(values)) for values in value_lists]


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
    if len(subgrids) == 1 and isinstance(subgrids[0], Mapping) and not subgrids[0]:
        return subgrids  # {}: one configuration, the estimator as it is (as GridSearchCV)
    for i, sub in enumerate(subgrids):
        if not isinstance(sub, Mapping):
            raise TypeError(f"param_grid[{i}] must be a dict of lists, got {type(sub).__name__}.")
        if not sub:
            raise ValueError(f"param_grid[{i}] is empty: give at least one parameter with values.")
        for name in sub:
            if not isinstance(name, str):
                raise TypeError(f"Parameter names must be strings, got {name!r}.")
    return subgrids


def _check_values(name, values, duplicates="refuse"):
    """The values of one parameter as a list: a list given, non-empty, each value once.

    Raises
    ------
    TypeError, ValueError
        Naming the parameter (and the value).
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(
            f"Parameter {name!r}: values must be a list, got {type(values).__name__} "
            f"{values!r}. Wrap a single value in a list: {{{name!r}: [{values!r}]}}."
        )
    values = list(values)
    if not values:
        raise ValueError(f"Parameter {name!r} has an empty list of values.")
    first = {}  # _duplicate_key -> the first value with it
    for value in values:
        if len(values) == 1 or duplicates == "keep":  # one value (a sampled search's shape)
            break
        key = _duplicate_key(value)
        if key in first:
            raise ValueError(
                f"Parameter {name!r} lists one value twice: {first[key]!r} and {value!r}. "
                "Give each value once."
                + (
                    " Where the estimator tells an integer from a float (scikit-learn's "
                    "max_features=1 is one feature, 1.0 all of them), list them in two "
                    f"sub-grids: [{{{name!r}: [{first[key]!r}]}}, {{{name!r}: [{value!r}]}}]."
                    if _is_number(value) and type(value) is not type(first[key])
                    else ""
                )
            )
        first[key] = value
    return values


def _duplicate_key(value):
    """Equal for two values that one list must not hold both of.

    The same value (:func:`_same_value_key`), or strings spelled alike: ``"sgd"`` and
    ``"SGD "``.
    """
    if isinstance(value, str):
        return ("spelling", value.strip().lower())
    return _same_value_key(value)


def _same_value_key(value):
    """Equal for values that are the same value, distinct for any others.

    Numbers are the same when equal (``32`` and ``32.0``, numpy scalars too; not a
    bool), NaN is NaN; two estimators are the same when their class and parameters are;
    other values when they have one type and are equal.
    """
    if _is_number(value):
        if value != value:  # NaN
            return ("nan",)
        return ("number", value.item() if isinstance(value, np.generic) else value)
    if is_estimator(value):
        return ("estimator", value_key(value))
    try:
        hash(value)
    except TypeError:  # a dict (class_weight={0: 1, 1: 3}), a list: by their canonical form
        return ("unhashable", type(value), value_key(value))
    return ("value", type(value), _Equal(value))


class _Equal:
    """A value as a dict key, compared by ``==``, or by identity where ``==`` fails."""

    __slots__ = ("_hash", "value")

    def __init__(self, value):
        self.value = value
        self._hash = hash(value)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        try:
            return bool(self.value == other.value)
        except Exception:
            return self.value is other.value


def _is_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def check_params(estimator, grid):
    """Check that every grid parameter is a parameter of the estimator.

    A name is accepted when the estimator's ``get_params(deep=True)`` lists it (or that of
    the step a sub-grid puts in, see :func:`_first_unsettable`), or else when the
    estimator's own ``set_params`` takes it: skorch's ``NeuralNet`` sets any
    ``module__*``, ``optimizer__*``, ``criterion__*``, ``callbacks__*`` ... parameter that
    its constructor was not given, as ``GridSearchCV`` relies on. ``set_params`` is tried
    on a clone, with the parameter's first value, only for names ``get_params`` does not
    list; a name it refuses too is refused here, before any work.

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
    known = set(valid)
    for name in grid.axes:
        wrong = _first_unsettable(name, grid, known)
        if wrong is None or (wrong[1] is None and _settable(estimator, name, grid)):
            continue
        step_name, step = wrong
        if step is not None:
            rest = name[len(step_name) + 2 :]
            raise ValueError(
                f"Invalid parameter {rest!r} for the step {step_name!r} that the grid puts in, "
                f"{type(step).__name__} (grid parameter {name!r}); its parameters are: "
                f"{', '.join(sorted(step.get_params(deep=True)))}. Set it in a sub-grid of "
                f"its own: [{{{step_name!r}: [...], {name!r}: [...]}}, ...]."
            )
        close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
        if name in aliases:
            close = [aliases[name]]
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"Invalid parameter {name!r} for estimator {type(estimator).__name__}."
            f"{hint} Valid parameters are: {', '.join(valid)}."
        )


def _settable(estimator, name, grid):
    """Whether the estimator's own ``set_params`` takes ``name`` (on a clone)."""
    try:
        clone(estimator).set_params(**{name: grid.axes[name][0]})
    except (ValueError, TypeError, AttributeError, KeyError):
        return False
    return True


def _first_unsettable(name, grid, known):
    """Where a configuration cannot set ``name``: None when every one can.

    GridSearchCV accepts ``[{"clf": [SVC()], "clf__gamma": [0.1]}, ...]``: the sub-grid
    replaces a step and sets a parameter of the new step, which the base estimator's own
    step may not have; and a parameter the base's step has may be missing from the step
    a configuration puts in instead. The innermost step a configuration replaces decides
    (``set_params`` sets it before its parameters); where none is replaced, the base
    estimator's parameters (``known``) do.

    Returns
    -------
    None, or (str, estimator or None)
        The replaced step's name and the step that lacks the parameter; or
        ``(name, None)`` when the base estimator lacks it.
    """
    parts = name.split("__")
    prefixes = ["__".join(parts[:cut]) for cut in range(len(parts) - 1, 0, -1)]
    replaced = [p for p in prefixes if p in grid.axes]
    if not replaced:  # no configuration puts in a step that this name reaches into
        return None if name in known else (name, None)
    params_of = {}  # id of a step given as a grid value -> its deep parameter names
    for config in grid.configs:
        if name not in config:
            continue
        step_name = next((p for p in replaced if hasattr(config.get(p), "get_params")), None)
        if step_name is None:
            if name not in known:
                return name, None
            continue
        step = config[step_name]
        if id(step) not in params_of:
            params_of[id(step)] = set(step.get_params(deep=True))
        if name[len(step_name) + 2 :] not in params_of[id(step)]:
            return step_name, step
    return None
