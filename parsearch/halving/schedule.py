"""Successive halving's schedule: the rungs, and who goes on at each.

A halving search trains every configuration for ``min_resource`` epochs (or passes of
``partial_fit``), scores each on the validation set (the mean over folds under
cross-validation), and lets the best ``1/factor`` go on to ``min_resource * factor``
epochs, and so on up to ``max_resource``; the others stop there, pruned, with the score
of the rung where they stopped. This module is that arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import asdict


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
