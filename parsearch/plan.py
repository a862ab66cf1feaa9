"""Turn configurations into jobs: fused chunks of an engine, or one job per configuration.

An estimator that declares a fused engine (``parsearch.engine.engine_of``) has its
configurations grouped by the engine's ``group_key`` (they differ only in what can be
per model, such as the learning rate), and each group cut into chunks that fit a memory
budget (:func:`chunk_by_budget`, which halving's repack calls through :func:`make_plan`
too). Everything else (any scikit-learn estimator, or an engine's estimator under
``engine="per_config"``) becomes one job per configuration.
"""

from __future__ import annotations

from parsearch.engine import engine_of
from parsearch.jobs import Job

ENGINES = ("auto", "per_config")


def check_engine(engine):
    """Refuse an engine name that is not one of ``ENGINES``."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}.")


def make_plan(
    estimator,
    configs,
    *,
    n_features,
    n_classes,
    engine="auto",
    memory_budget=None,
    n_folds=1,
):
    """Group configurations into jobs.

    Parameters
    ----------
    estimator : estimator
        The base estimator (its parameters fill what a configuration leaves out).
    configs : list of (int, dict)
        Grid positions and parameter values of the configurations to run.
    engine : {"auto", "per_config"}
        ``"auto"`` fuses the configurations of an estimator with a fused engine;
        ``"per_config"`` never fuses.
    n_features, n_classes : int
        Data sizes, for the memory estimate of fused chunks.
    memory_budget : int, optional
        Bytes a fused chunk may use. None: the engine's ``device_budget`` of the group's
        device on this machine (a Dask search passes its smallest worker's).
    n_folds : int
        Cross-validation folds every fused model trains on (1: a holdout set).

    Returns
    -------
    list of Job
    """
    check_engine(engine)
    fused = engine_of(estimator)
    if fused is None:
        return [Job(indices=(i,), params=(p,)) for i, p in configs]
    base = estimator.get_params(deep=False)
    if engine == "per_config":
        return [
            Job(
                indices=(i,),
                params=(p,),
                engine=fused,
                epochs=fused.epochs({**base, **p}),
                folds=n_folds,
            )
            for i, p in configs
        ]
    groups = {}
    for i, p in configs:
        full = {**base, **p}
        groups.setdefault(fused.group_key(full), []).append((i, p, full))
    jobs = []
    for members in groups.values():
        full = members[0][2]
        budget = memory_budget
        if budget is None:
            budget = fused.device_budget(fused.device(full))[1]
        sizes = [fused.model_bytes(f, n_features, n_classes) for _, _, f in members]
        for chunk in chunk_by_budget(members, sizes, budget):
            jobs.append(
                Job(
                    indices=tuple(i for i, _, _ in chunk),
                    params=tuple(p for _, p, _ in chunk),
                    engine=fused,
                    epochs=fused.epochs(full),
                    folds=n_folds,
                    fused=True,
                )
            )
    return jobs


def chunk_by_budget(items, sizes, budget):
    """Cut ``items`` into consecutive chunks whose ``sizes`` add up to at most ``budget``.

    A chunk holds at least one item, however large.

    Parameters
    ----------
    items : list
        What to cut, in order.
    sizes : list of int
        The bytes of each item.
    budget : int
        The bytes a chunk may hold.

    Returns
    -------
    list of list
    """
    chunks, chunk, used = [], [], 0
    for item, size in zip(items, sizes):
        if chunk and used + size > budget:
            chunks.append(chunk)
            chunk, used = [], 0
        chunk.append(item)
        used += size
    if chunk:
        chunks.append(chunk)
    return chunks
