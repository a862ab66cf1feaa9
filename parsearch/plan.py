"""Turn configurations into jobs: fused chunks of networks, or one job per configuration.

Configurations of an ``MLPClassifier`` that differ only in fusable parameters (``lr``,
``width``, ``momentum``, ``weight_decay``) form one fused group, cut into chunks that
fit a memory budget. Everything else (any scikit-learn estimator, networks under
``engine="per_config"``, or non-fusable differences such as ``epochs``, ``depth``,
``optimizer``, ``batch_size`` or ``seed``, which fixes the batch order) becomes its own
job or its own group.
"""

from __future__ import annotations

from dataclasses import dataclass

ENGINES = ("auto", "per_config")


@dataclass(frozen=True)
class Job:
    """Configurations that run together.

    Attributes
    ----------
    indices : tuple of int
        Positions of the configurations in the grid.
    params : tuple of dict
        Their parameter values.
    network : bool
        Whether the estimator is an ``MLPClassifier`` (trained by the fused trainer,
        with one model when not fused).
    epochs : int
        Epochs of each network (1 for other estimators), for progress.
    folds : int
        Training runs of each network: the cross-validation folds (1 for a holdout
        validation set, and for other estimators), for progress.
    fused : bool
        Whether the job is a fused chunk (run in the main process, on all its cores
        or its GPU) rather than a per-configuration task for joblib.
    """

    indices: tuple
    params: tuple
    network: bool = False
    epochs: int = 1
    folds: int = 1
    fused: bool = False

    @property
    def units(self):
        """Progress units: model-epochs (of every fold) for networks, else configurations."""
        return len(self.indices) * self.epochs * self.folds


def check_engine(engine):
    """Refuse an engine name that is not one of ``ENGINES``."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}.")


def is_network(estimator):
    """Whether the estimator is trained by the fused trainer."""
    from parsearch.nets.mlp import MLPClassifier

    return isinstance(estimator, MLPClassifier)


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
        ``"auto"`` fuses networks; ``"per_config"`` never fuses.
    n_features, n_classes : int
        Data sizes, for the memory estimate of fused chunks.
    memory_budget : int, optional
        Bytes a fused chunk may use. None: ``devices.memory_budget`` of the group's
        device on this machine (a Dask search passes its smallest worker's).
    n_folds : int
        Cross-validation folds every network trains on (1: a holdout set).

    Returns
    -------
    list of Job
    """
    check_engine(engine)
    network = is_network(estimator)
    base = estimator.get_params(deep=False)
    if not network:
        return [Job(indices=(i,), params=(p,)) for i, p in configs]
    if engine == "per_config":
        return [
            Job(
                indices=(i,),
                params=(p,),
                network=True,
                epochs={**base, **p}["epochs"],
                folds=n_folds,
            )
            for i, p in configs
        ]
    return _fused_jobs(base, configs, n_features, n_classes, memory_budget, n_folds)


def _fused_jobs(base, configs, n_features, n_classes, memory_budget=None, n_folds=1):
    from parsearch.nets import devices, fused
    from parsearch.nets.mlp import FUSABLE_PARAMS

    groups = {}
    for i, p in configs:
        full = {**base, **p}
        key = tuple(sorted((k, repr(v)) for k, v in full.items() if k not in FUSABLE_PARAMS))
        groups.setdefault(key, []).append((i, p, full))
    jobs = []
    for members in groups.values():
        full = members[0][2]
        budget = memory_budget
        if budget is None:
            budget = devices.memory_budget(devices.resolve_device(full["device"]))
        itemsize = 8 if full["dtype"] == "float64" else 4
        chunk, used = [], 0
        for i, p, f in members:
            size = fused.model_bytes(
                n_features,
                f["width"],
                f["depth"],
                n_classes,
                f["batch_size"],
                f["optimizer"],
                itemsize,
            )
            if chunk and used + size > budget:
                jobs.append(_network_job(chunk, full["epochs"], n_folds))
                chunk, used = [], 0
            chunk.append((i, p))
            used += size
        jobs.append(_network_job(chunk, full["epochs"], n_folds))
    return jobs


def _network_job(chunk, epochs, folds):
    return Job(
        indices=tuple(i for i, _ in chunk),
        params=tuple(p for _, p in chunk),
        network=True,
        epochs=epochs,
        folds=folds,
        fused=True,
    )
