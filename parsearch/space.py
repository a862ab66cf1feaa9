"""Sampled search spaces: ``n`` configurations drawn from lists and distributions.

A full grid is the right tool for tens of configurations; for hundreds, sample the space
instead, as scikit-learn's ``RandomizedSearchCV`` or Optuna's ``QMCSampler`` do.
:func:`sample_space` maps each parameter to a list (sampled uniformly) or a
``scipy.stats`` distribution (any with ``ppf``: ``loguniform(1e-4, 1)``,
``randint(16, 1024)``), and draws ``n`` points: scrambled Sobol points from
``scipy.stats.qmc`` (evenly spread, as Optuna's ``QMCSampler`` uses them) or plain random
draws, each coordinate turned into a value through the distribution's ``ppf``.

The result is a list of one-configuration grids, which ``fit_grid`` takes wherever it
takes a grid: it resumes like one (the same space, ``n`` and seed give the same
configurations, so a rerun reuses every finished row) and fuses like one (sampled
learning rates and widths of a grid of networks train in one fused model).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from parsearch.rows import config_key

METHODS = ("sobol", "random")


def sample_space(space, n, *, seed=0, method="sobol"):
    """Draw ``n`` configurations from a search space.

    Parameters
    ----------
    space : dict
        Parameter name -> a non-empty list of values (each equally likely) or a
        ``scipy.stats`` distribution with ``ppf`` (frozen: ``loguniform(1e-3, 0.5)``).
        Discrete distributions over integers (``randint``) give integers.
    n : int
        How many configurations to draw (>= 1).
    seed : int, default=0
        Seed of the draw: the same space, ``n``, seed and method give the same
        configurations.
    method : {"sobol", "random"}, default="sobol"
        Scrambled Sobol points (``scipy.stats.qmc.Sobol``; best spread when ``n`` is a
        power of 2), or independent uniform draws.

    Returns
    -------
    list of dict
        One ``{name: [value]}`` grid per configuration, in draw order. Configurations
        drawn twice (a discrete space) are kept once, with a warning.

    Raises
    ------
    TypeError, ValueError
        For a space value that is neither a list nor a distribution, an empty list, a
        bad ``n``, ``seed`` or ``method``, or a distribution that gives non-finite values.
    """
    names, samplers = _check_space(space)
    n = _check_count(n)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}.")
    units = _unit_points(n, len(names), int(seed), method)  # (n, d) in (0, 1)
    columns = [sampler(units[:, j]) for j, sampler in enumerate(samplers)]
    configs, seen = [], set()
    for values in zip(*columns):
        config = dict(zip(names, values))
        key = config_key(config)
        if key not in seen:
            seen.add(key)
            configs.append({name: [value] for name, value in config.items()})
    if len(configs) < n:
        warnings.warn(
            f"sample_space drew {n - len(configs)} of its {n} configurations more than once "
            f"(the space is discrete); {len(configs)} distinct ones are kept.",
            UserWarning,
            stacklevel=2,
        )
    return configs


def _check_space(space):
    if not isinstance(space, Mapping) or not space:
        raise TypeError(
            "space must be a non-empty dict of parameter -> list of values or scipy.stats "
            f"distribution, got {space!r}."
        )
    names, samplers = [], []
    for name, values in space.items():
        if not isinstance(name, str):
            raise TypeError(f"Parameter names must be strings, got {name!r}.")
        names.append(name)
        samplers.append(_sampler(name, values))
    return names, samplers


def _sampler(name, values):
    """A function from uniform numbers in (0, 1) to values of the parameter."""
    if callable(getattr(values, "ppf", None)):
        return _distribution_sampler(name, values)
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(
            f"Parameter {name!r}: give a list of values or a scipy.stats distribution "
            f"(with ppf, e.g. loguniform(1e-4, 1)), got {type(values).__name__} {values!r}."
        )
    choices = list(values)
    if not choices:
        raise ValueError(f"Parameter {name!r} has an empty list of values.")

    def choose(u):
        picks = np.minimum((u * len(choices)).astype(int), len(choices) - 1)
        return [choices[i] for i in picks]

    return choose


def _distribution_sampler(name, dist):
    # A frozen distribution (randint(16, 1024)) holds its family in .dist; an unfrozen
    # one with its own values (rv_discrete(values=...)) is the family itself.
    discrete = hasattr(getattr(dist, "dist", dist), "pmf")
    try:
        dist.ppf(np.array([0.5]))
    except TypeError as err:  # e.g. stats.loguniform, not frozen: ppf lacks a and b
        raise TypeError(
            f"Parameter {name!r}: the distribution {_describe(dist)} cannot be sampled as "
            f"given ({err}); freeze it with its parameters, e.g. loguniform(1e-4, 1)."
        ) from None

    def draw(u):
        values = np.asarray(dist.ppf(u), dtype=float)
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"Parameter {name!r}: the distribution {_describe(dist)} gives non-finite "
                "values; bound it (e.g. loguniform(1e-4, 1) rather than an open range)."
            )
        if discrete and np.all(values == np.round(values)):  # randint and the like
            return [int(v) for v in values]
        return [float(v) for v in values]

    return draw


def _describe(dist):
    inner = getattr(dist, "dist", dist)
    return f"{getattr(inner, 'name', type(dist).__name__)}{tuple(getattr(dist, 'args', ()))}"


def _check_count(n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an integer >= 1, got {n!r}.")
    if n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n}.")
    return int(n)


def _unit_points(n, d, seed, method):
    """``n`` points in the open unit cube (n, d): scrambled Sobol, or uniform draws."""
    if method == "random":
        points = np.random.default_rng(seed).random((n, d))
    else:
        from scipy.stats import qmc

        with warnings.catch_warnings():  # n not a power of 2: still evenly spread
            warnings.filterwarnings("ignore", message=".*balance properties of Sobol")
            points = qmc.Sobol(d=d, scramble=True, seed=seed).random(n)
    eps = np.finfo(float).eps
    return np.clip(points, eps, 1 - eps)  # ppf(0) and ppf(1) may be infinite
