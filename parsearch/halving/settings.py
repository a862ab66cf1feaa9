"""Successive halving's settings: :class:`Halving`, checked, and resolved for a search.

:func:`check_halving` turns ``fit_grid``'s ``halving`` argument into a :class:`Halving`;
:func:`resolve_halving` checks it against the estimator and the grid and fills in
``max_resource``: the epochs of an estimator with a fused engine (its ``resource``
parameter), or the passes of ``partial_fit`` the caller gives.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass


@dataclass(frozen=True)
class Halving:
    """How a ``fit_grid`` search halves its configurations.

    Parameters
    ----------
    factor : float, default=3
        At each rung the best ``ceil(n / factor)`` of the ``n`` configurations still
        training go on (at least 2).
    min_resource : int, default=1
        Epochs (passes of ``partial_fit`` for scikit-learn estimators) of the first rung.
    max_resource : int, optional
        Epochs of the last rung. For an estimator with a fused engine (parsearch's
        networks) it is the estimator's ``epochs`` (None takes it; another value is
        refused); a scikit-learn estimator needs it: the most passes of ``partial_fit``.

    Notes
    -----
    The rungs are at ``min_resource * factor**k`` epochs below ``max_resource``, and
    then at ``max_resource``: with the defaults and 27 epochs, at 1, 3, 9 and 27.
    Configurations are ranked by their score at the rung (ties: the earlier in the grid
    first); one whose score is missing (diverged, or the metric failed) never goes on.
    """

    factor: float = 3
    min_resource: int = 1
    max_resource: int | None = None


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_halving(halving):
    """Turn ``fit_grid``'s ``halving`` argument into a :class:`Halving` or None.

    Raises
    ------
    TypeError, ValueError
        For anything but None, a bool or a ``Halving`` with sane numbers.
    """
    if halving is None or halving is False:
        return None
    if halving is True:
        return Halving()
    if not isinstance(halving, Halving):
        raise TypeError(
            f"halving must be True, False or a parsearch.Halving, got {type(halving).__name__}."
        )
    factor = halving.factor
    if not (isinstance(factor, numbers.Real) and not isinstance(factor, bool)) or not (
        math.isfinite(factor) and factor >= 2
    ):
        raise ValueError(f"Halving: factor must be a number >= 2, got {factor!r}.")
    if not _is_int(halving.min_resource) or halving.min_resource < 1:
        raise ValueError(
            f"Halving: min_resource must be an integer >= 1, got {halving.min_resource!r}."
        )
    top = halving.max_resource
    if top is not None and (not _is_int(top) or top < 1):
        raise ValueError(f"Halving: max_resource must be an integer >= 1, got {top!r}.")
    return halving


def resolve_halving(halving, estimator, configs, *, engine, grid_axes):
    """Check halving against the estimator and the grid; fill in ``max_resource``.

    Parameters
    ----------
    halving : Halving
        As checked by :func:`check_halving`.
    estimator : estimator
        The base estimator.
    configs : list of dict
        The configurations (each set on a clone of the estimator).
    engine : parsearch.engine.Engine or None
        The estimator's fused engine: its ``resource`` parameter (epochs) is what halving
        gives out. None: the estimator must have ``partial_fit``.
    grid_axes : list of str
        The grid's parameter names.

    Returns
    -------
    Halving
        With ``max_resource`` set.

    Raises
    ------
    ValueError
        When the estimator supports neither way of halving, when the grid of an engine's
        estimator sets its resource (``epochs``), or when the resources do not fit.
    """
    top = halving.max_resource
    if engine is not None:
        name, cls = engine.resource, type(estimator).__name__
        if name in grid_axes:
            raise ValueError(
                f"halving: {name} is the resource halving gives out; set {cls}({name}=...) "
                f"to the most {name}, and take {name} out of the grid."
            )
        epochs = engine.epochs(estimator.get_params())  # the engine's message for a bad one
        if top is not None and top != epochs:
            raise ValueError(
                f"halving: max_resource={top} but the network trains for {name}={epochs}; "
                f"for networks the resource is {name}: leave max_resource unset or equal."
            )
        top = epochs
    else:
        _check_partial_fit(estimator, configs)
        if top is None:
            raise ValueError(
                f"halving {type(estimator).__name__}: set Halving(max_resource=...), the most "
                "passes of partial_fit over the training data a configuration may get."
            )
    if halving.min_resource > top:
        raise ValueError(
            f"halving: min_resource={halving.min_resource} is above the most epochs "
            f"({top}): lower min_resource."
        )
    return Halving(halving.factor, halving.min_resource, top)


def _check_partial_fit(estimator, configs):
    """Refuse an estimator (or a configuration of it) without ``partial_fit``."""
    from parsearch.execute.tasks import configured

    for params in configs or [{}]:
        model = configured(estimator, params)
        if not hasattr(model, "partial_fit"):
            raise ValueError(
                f"halving supports estimators that parsearch trains fused (its networks; the "
                f"resource is epochs) and "
                f"scikit-learn estimators with partial_fit (SGDClassifier, Perceptron, "
                f"PassiveAggressiveClassifier, MultinomialNB, MLPClassifier of scikit-learn, "
                f"...; the resource is passes of partial_fit); {type(model).__name__} has "
                f"no partial_fit" + (f" (configuration {params})." if params else ".")
            )
