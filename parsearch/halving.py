"""Successive halving: its settings, its rungs and who goes on at each rung.

A halving search trains every configuration for ``min_resource`` epochs (or passes of
``partial_fit``), scores each on the validation set (the mean over folds under
cross-validation), and lets the best ``1/factor`` go on to ``min_resource * factor``
epochs, and so on up to ``max_resource``; the others stop there, pruned, with the score
of the rung where they stopped. This module is the arithmetic: :class:`Halving` (what the
caller asks for), :func:`resolve_halving` (checked against the estimator and the grid),
:func:`rung_resources` and :func:`survivors`. The training itself is
``parsearch.search.halving``'s.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass


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
        Epochs of the last rung. For ``MLPClassifier`` it is the estimator's ``epochs``
        (None takes it; another value is refused); a scikit-learn estimator needs it:
        the most passes of ``partial_fit``.

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


def resolve_halving(halving, estimator, configs, *, network, grid_axes):
    """Check halving against the estimator and the grid; fill in ``max_resource``.

    Parameters
    ----------
    halving : Halving
        As checked by :func:`check_halving`.
    estimator : estimator
        The base estimator.
    configs : list of dict
        The configurations (each set on a clone of the estimator).
    network : bool
        Whether the estimator is an ``MLPClassifier``.
    grid_axes : list of str
        The grid's parameter names.

    Returns
    -------
    Halving
        With ``max_resource`` set.

    Raises
    ------
    ValueError
        When the estimator supports neither way of halving, when a network's grid sets
        ``epochs`` (the resource), or when the resources do not fit.
    """
    top = halving.max_resource
    if network:
        if "epochs" in grid_axes:
            raise ValueError(
                "halving: epochs is the resource halving gives out; set MLPClassifier(epochs=...) "
                "to the most epochs, and take epochs out of the grid."
            )
        from parsearch.nets.mlp import check_mlp_params

        epochs = estimator.get_params()["epochs"]
        check_mlp_params({"epochs": epochs})  # the network's own message for a bad one
        if top is not None and top != epochs:
            raise ValueError(
                f"halving: max_resource={top} but the network trains for epochs={epochs}; "
                "for networks the resource is epochs: leave max_resource unset or equal."
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
                f"halving supports parsearch.MLPClassifier (the resource is epochs) and "
                f"scikit-learn estimators with partial_fit (SGDClassifier, Perceptron, "
                f"PassiveAggressiveClassifier, MultinomialNB, MLPClassifier of scikit-learn, "
                f"...; the resource is passes of partial_fit); {type(model).__name__} has "
                f"no partial_fit" + (f" (configuration {params})." if params else ".")
            )


def rung_resources(halving):
    """The epochs (or passes) of every rung, the last one ``max_resource``.

    Parameters
    ----------
    halving : Halving
        With ``max_resource`` set (see :func:`resolve_halving`).

    Returns
    -------
    list of int
        Increasing; at least one.
    """
    rungs, resource = [], halving.min_resource
    while resource < halving.max_resource:
        rungs.append(int(resource))
        resource = _ceil(resource * halving.factor)
    rungs.append(int(halving.max_resource))
    return rungs


def _ceil(value):
    """``ceil`` of a quotient or product of a decimal factor, as the decimals mean it.

    ``69 / 2.3`` is ``30.000000000000004`` in binary floating point: rounded to 9 digits
    first, it is 30.
    """
    return math.ceil(round(value, 9))


def n_survivors(n, factor):
    """How many of ``n`` configurations go on from a rung: ``ceil(n / factor)``."""
    return max(1, _ceil(n / factor)) if n else 0


def expected_candidates(n, halving):
    """How many configurations train to each rung, when none diverges or fails."""
    counts = []
    for _ in rung_resources(halving):
        counts.append(n)
        n = n_survivors(n, halving.factor)
    return counts


def survivors(scores, factor, greater_is_better):
    """Who goes on from a rung: the best ``ceil(n / factor)`` with a finite score.

    Parameters
    ----------
    scores : list of (int, float)
        Grid position and rung score of each configuration still training.
    factor : float
        The halving factor.
    greater_is_better : bool
        The metric's direction.

    Returns
    -------
    set of int
        Grid positions of the configurations that go on. Ties go to the earlier grid
        position; a NaN or infinite score never goes on.
    """
    keep = n_survivors(len(scores), factor)
    finite = [(i, float(s)) for i, s in scores if s is not None and math.isfinite(s)]
    sign = -1.0 if greater_is_better else 1.0
    ranked = sorted(finite, key=lambda item: (sign * item[1], item[0]))
    return {i for i, _ in ranked[:keep]}


def describe(halving, candidates=None):
    """The halving settings and rungs as ``meta.json`` keeps them."""
    out = {**asdict(halving), "rungs": rung_resources(halving)}
    if candidates is not None:
        out["candidates"] = list(candidates)
    return out
