"""``fit_grid``: fit every configuration of a grid, score it, keep the best, store and plot.

The data flows one way: grid (expand, validate) -> plan (fused chunks or
per-configuration jobs) -> execute (in process, joblib or Dask) -> store (scores.csv
row by row, meta.json) -> plot (heatmap.png).
"""

from __future__ import annotations

import contextlib
import logging
import math
import platform
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import check_cv

from parsearch import __version__
from parsearch.checks import as_dense, check_backend, check_data, check_n_jobs, check_out
from parsearch.execute import execute
from parsearch.execute.dask import chunk_memory_budget, cluster_info, resolve_client
from parsearch.execute.tasks import Data
from parsearch.grid import check_params, expand_grid
from parsearch.metrics import (
    CLASSIFICATION_METRICS,
    PROBA,
    REGRESSION_METRICS,
    VALUES,
    get_metric,
)
from parsearch.plan import ENGINES, is_network, make_plan
from parsearch.results.files import HEATMAP
from parsearch.results.identity import data_fingerprint, estimator_description, folds_identity
from parsearch.results.store import ResultStore
from parsearch.rows import (
    RESULT_COLUMNS,
    Col,
    Status,
    config_key,
    to_jsonable,
)

logger = logging.getLogger("parsearch")

KEEP_MODELS = ("best", "all")


@dataclass
class GridResult:
    """The outcome of ``fit_grid``.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per configuration in grid order: the parameters, then ``score``,
        ``status``, ``error``, ``fit_seconds``, ``metric``, ``direction`` (and
        ``score_std`` under cross-validation, ``train_loss`` and ``epoch_scores`` for
        networks, ``config_key``).
    best_params : dict
        Parameters of the best configuration.
    best_score : float
        Its score.
    best_model : estimator
        The fitted best model: the one that was scored. Under cross-validation, or when
        the best configuration was finished by an earlier (resumed) run, it is refit on
        all the training data the first time it is asked for.
    metric : str
        Name of the metric.
    greater_is_better : bool
        Its direction.
    axes : dict
        Parameter -> values in grid order.
    out : Path or None
        The results folder.
    meta : dict
        What ``meta.json`` holds.
    models : list or None
        With ``keep_models="all"``: the fitted model of each row; None where it failed
        or diverged, under cross-validation (no single model was scored), and for rows
        reused from a resumed run.
    """

    table: pd.DataFrame
    best_params: dict
    best_score: float
    _best_model: object = field(repr=False)
    metric: str
    greater_is_better: bool
    axes: dict
    out: Path | None = None
    meta: dict = field(default_factory=dict, repr=False)
    models: list | None = field(default=None, repr=False)
    _refit: object = field(default=None, repr=False)

    @property
    def best_model(self):
        """The fitted best model (refit on first access where it is not at hand)."""
        if self._best_model is None and self._refit is not None:
            logger.info("Refitting the best configuration %s.", self.best_params)
            self._best_model = self._refit()
        return self._best_model

    def top(self, n=5):
        """The ``n`` best configurations, best first."""
        ok = self.table[self.table[Col.STATUS] == Status.OK]
        return ok.sort_values(Col.SCORE, ascending=not self.greater_is_better, kind="stable").head(
            n
        )

    def plot(self, x=None, y=None):
        """Draw the scores over the grid.

        Parameters
        ----------
        x, y : str, optional
            Parameters for the axes of a heatmap (default: the first two that vary).

        Returns
        -------
        matplotlib.figure.Figure
        """
        from parsearch.plot import plot_scores

        return plot_scores(
            self.table,
            axes=self.axes,
            metric=self.metric,
            greater_is_better=self.greater_is_better,
            x=x,
            y=y,
        )

    def __repr__(self):
        direction = "higher" if self.greater_is_better else "lower"
        counts = self.table[Col.STATUS].value_counts().to_dict()
        where = f", out={str(self.out)!r}" if self.out else ""
        return (
            f"GridResult({len(self.table)} configurations {counts}, best {self.metric} "
            f"({direction} is better) = {self.best_score:.6g} at {self.best_params}{where})"
        )


def fit_grid(
    model,
    param_grid,
    X_train,
    y_train,
    X_val=None,
    y_val=None,
    *,
    metric="accuracy",
    greater_is_better=None,
    cv=5,
    n_jobs=None,
    backend=None,
    client=None,
    engine="auto",
    device="auto",
    out=None,
    resume=True,
    plot=True,
    progress=True,
    keep_models="best",
    random_state=0,
):
    """Fit every configuration of a parameter grid, score each, and keep the best.

    Parameters
    ----------
    model : estimator
        A scikit-learn estimator or a ``parsearch.MLPClassifier``; never changed (each
        configuration fits a clone).
    param_grid : dict, list of dict or ParameterGrid
        Parameter name -> list of values.
    X_train, y_train : array-like
        Training data.
    X_val, y_val : array-like, optional
        Validation data. Without it, each configuration is scored by ``cv``-fold
        cross-validation on the training data (stratified for classifiers).
    metric : str or callable, default="accuracy"
        A metric name (see ``parsearch.metrics.METRIC_NAMES``) or
        ``metric(y_true, y_pred)``. Probability metrics (``log_loss``,
        ``roc_auc_ovr``) use the full ``predict_proba`` matrix.
    greater_is_better : bool, optional
        Direction of a callable metric (inferred from its name when None).
    cv : int or cross-validation splitter, default=5
        Folds when no validation set is given.
    n_jobs : int, optional
        Parallel jobs for per-configuration fits (joblib semantics; None: 1 unless a
        joblib ``parallel_config`` says otherwise). Fused network chunks run in this
        process on all its cores, or on the GPU. Unused on Dask.
    backend : str, optional
        joblib backend: ``"loky"`` (processes), ``"threading"``, or ``"dask"`` for the
        active ``dask.distributed.Client`` (as does joblib's
        ``parallel_config(backend="dask")``). On Dask every per-configuration job and
        every fused chunk is one task, the data goes to the cluster once (as a task
        result every job depends on), fused chunks are sized to the smallest worker and
        train on its own device, and a worker lost mid-task has its tasks rerun
        elsewhere.
    client : distributed.Client, optional
        Run on this Dask client's cluster (as ``backend="dask"`` does with the active
        one).
    engine : {"auto", "per_config"}, default="auto"
        ``"auto"`` trains grids of ``MLPClassifier`` fused; ``"per_config"`` never fuses.
    device : str, default="auto"
        For networks: ``"cpu"`` or ``"cuda"`` overrides the estimator's ``device``;
        ``"auto"`` keeps it.
    out : str or Path, optional
        Results folder for ``scores.csv``, ``meta.json`` and ``heatmap.png``; enables
        resuming.
    resume : bool, default=True
        Skip configurations already in ``out/scores.csv`` (same estimator, data,
        metric and validation). False starts afresh.
    plot : bool, default=True
        Write ``out/heatmap.png``.
    progress : bool, default=True
        Show a progress bar with the best score so far.
    keep_models : {"best", "all"}, default="best"
        Keep only the best fitted model in memory, or every one (``result.models``).
    random_state : int or None, default=0
        Given to every ``random_state`` of the estimator that is None and not in the
        grid, nested ones (a Pipeline's steps) included, so that the search is
        reproducible. Estimators given as grid values are left as they are; None leaves
        every one alone.

    Returns
    -------
    GridResult

    Raises
    ------
    ValueError, TypeError
        For bad input, before any work starts and before ``out`` is touched.
    RuntimeError
        When every configuration failed (with the first error).
    """
    started_at = datetime.now(timezone.utc)
    t0 = time.perf_counter()

    # --- grid: check everything before any work --------------------------------------
    metric_obj = get_metric(metric, greater_is_better)
    n_jobs = check_n_jobs(n_jobs)
    backend = check_backend(backend)
    out_path = check_out(out)
    dask_client = resolve_client(backend, client)
    if keep_models not in KEEP_MODELS:
        raise ValueError(f"keep_models must be one of {KEEP_MODELS}, got {keep_models!r}.")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if not (hasattr(model, "fit") and hasattr(model, "get_params")):
        raise TypeError(
            f"model must be a scikit-learn style estimator (with fit and get_params), "
            f"got {type(model).__name__}."
        )
    grid = expand_grid(param_grid)
    check_params(model, grid)
    classifier = is_classifier(model)
    X_train, y_train, X_val, y_val = check_data(
        X_train, y_train, X_val, y_val, classifier=classifier
    )
    base = clone(model)
    network = is_network(base)
    if network:  # the fused trainer takes dense numeric arrays
        X_train = as_dense(X_train, "X_train")
        X_val = None if X_val is None else as_dense(X_val, "X_val")
    device_used, matmul = "cpu", None
    if network:
        from parsearch.nets.devices import prepare_network

        device_used, matmul = prepare_network(
            base, grid, device, on_workers=dask_client is not None
        )
    elif random_state is not None:
        # Every unseeded random_state, nested ones too (a Pipeline's steps, say).
        unseeded = {
            name: random_state
            for name, value in base.get_params(deep=True).items()
            if (name == "random_state" or name.endswith("__random_state"))
            and value is None
            and name not in grid.axes
        }
        base.set_params(**unseeded)
    if metric_obj.response == VALUES and classifier:
        raise ValueError(f"Metric {metric_obj.name!r} is for regression, not classifiers.")
    if (
        isinstance(metric, str)
        and metric_obj.name in CLASSIFICATION_METRICS
        and is_regressor(model)
    ):
        raise ValueError(
            f"Metric {metric_obj.name!r} scores classifiers, and {type(model).__name__} is "
            f"not one: pass a regression metric, e.g. metric='r2' (the choices: "
            f"{', '.join(REGRESSION_METRICS)})."
        )
    if metric_obj.response == PROBA and not network:
        _check_predict_proba(base, grid, metric_obj)
    folds = None
    if X_val is None:
        splitter = check_cv(cv, y_train, classifier=classifier)
        folds = list(splitter.split(X_train, y_train))
    data = Data(X_train, y_train, X_val, y_val, folds)

    # --- plan ------------------------------------------------------------------------
    keys = [config_key(c) for c in grid.configs]
    columns = _columns(grid, network, cv_scored=folds is not None)
    identity = {
        "estimator": estimator_description(base, grid.axes),
        # Hashing the data costs a pass over it: only a results folder needs it.
        "data": data_fingerprint(X_train, y_train, X_val, y_val) if out_path else None,
        "metric": metric_obj.name,
        "validation": "holdout" if folds is None else folds_identity(folds),
    }
    store = ResultStore(out_path, columns, identity) if out_path else None
    finished = store.finished_rows(resume) if store else {}
    # Failed rows are tried again (the cause may have passed: a lost worker, memory).
    reused = {
        i: finished[k]
        for i, k in enumerate(keys)
        if k in finished and finished[k].get(Col.STATUS) != Status.FAILED
    }
    todo = [(i, c) for i, c in enumerate(grid.configs) if i not in reused]
    n_classes = len(np.unique(y_train)) if classifier else 1
    budget = None
    if dask_client is not None and network and engine == "auto":
        devices = [{**base.get_params(deep=False), **c}["device"] for _, c in todo]
        budget = chunk_memory_budget(dask_client, devices)
    jobs = make_plan(
        base,
        todo,
        engine=engine,
        n_features=X_train.shape[1],
        n_classes=n_classes,
        memory_budget=budget,
        n_folds=1 if folds is None else len(folds),
    )

    meta = {
        "parsearch_version": __version__,
        "model": repr(base),
        "model_class": f"{type(base).__module__}.{type(base).__qualname__}",
        "grid": {"axes": grid.axes, "n_configs": len(grid)},
        "metric": {
            "name": metric_obj.name,
            "greater_is_better": metric_obj.greater_is_better,
            "direction": metric_obj.direction,
        },
        "validation": identity["validation"],
        "cv": None if folds is None else repr(cv),
        "data": {
            "X_train": list(X_train.shape),
            "X_val": None if X_val is None else list(X_val.shape),
            "n_classes": n_classes if classifier else None,
            "fingerprint": identity["data"],
        },
        "execution": {
            "n_jobs": n_jobs,
            "backend": backend,
            "engine": engine,
            "device": device_used,
            "matmul": matmul,
            "fused_groups": [len(j.indices) for j in jobs if j.fused],
            "per_config_jobs": sum(1 for j in jobs if not j.fused),
            "reused_rows": len(reused),
        },
        "versions": _versions(),
        "started": started_at.isoformat(timespec="seconds"),
        "status": "running",
    }

    if dask_client is not None:
        meta["execution"].update(backend="dask", dask=cluster_info(dask_client, budget))

    # --- execute and store -------------------------------------------------------------
    rows = [None] * len(grid)
    models = [None] * len(grid)
    for i, row in reused.items():
        rows[i] = {**row, **grid.configs[i]}
    best = _Best(metric_obj.greater_is_better)
    for i, row in reused.items():
        best.offer(i, row, model=None)
    if store:
        dropped = store.open([rows[i] for i in sorted(reused)], keys=keys if resume else None)
        if dropped:
            warnings.warn(dropped, stacklevel=2)
        store.write_meta(meta)
    if store and plot and not any(j.fused for j in jobs):
        _prefetch_plotting()
    bar = _progress_bar(progress, sum(j.units for j in jobs), network, len(grid), len(reused))
    try:
        outcomes = execute(
            jobs,
            base,
            data,
            metric_obj,
            n_jobs=n_jobs,
            backend=backend,
            on_units=bar.update,
            client=dask_client,
        )
        for job_outcomes in outcomes:
            for outcome in job_outcomes:
                row = {
                    **outcome.row,
                    Col.METRIC: metric_obj.name,
                    Col.DIRECTION: metric_obj.direction,
                }
                rows[outcome.index] = row
                if store:
                    store.append(row)
                if outcome.traceback:
                    warnings.warn(
                        f"Configuration {grid.configs[outcome.index]} failed: "
                        f"{row[Col.ERROR]}\n{outcome.traceback}",
                        FitFailedWarning,
                        stacklevel=2,
                    )
                elif row[Col.STATUS] == Status.DIVERGED:
                    warnings.warn(
                        f"Configuration {grid.configs[outcome.index]} diverged: {row[Col.ERROR]}",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                if keep_models == "all":
                    models[outcome.index] = outcome.model
                best.offer(outcome.index, row, outcome.model)
            if best.index is not None:
                bar.set_postfix({metric_obj.name: f"{best.score:.4g}"}, refresh=False)
    except BaseException:  # stopped (Ctrl-C, a lost cluster): say so in meta.json
        if store:
            with contextlib.suppress(Exception):
                store.write_meta({**meta, "status": "interrupted"})
        raise
    finally:
        bar.close()
        if store:
            store.close()

    # --- result ---------------------------------------------------------------------------
    table = _table(rows, columns, metric_obj)
    meta.update(_finish_meta(table, t0, best, grid))
    if best.index is None:
        first = table[table[Col.STATUS] != Status.OK].iloc[0]
        meta["status"] = "all_failed"
        if store:
            store.write_meta(meta)
        raise RuntimeError(
            f"All {len(table)} configurations failed or diverged; "
            f"the first error: {first[Col.ERROR]}"
        )
    best_params = dict(grid.configs[best.index])
    result = GridResult(
        table=table,
        best_params=best_params,
        best_score=best.score,
        _best_model=best.model,
        metric=metric_obj.name,
        greater_is_better=metric_obj.greater_is_better,
        axes=grid.axes,
        out=out_path,
        meta=meta,
        models=models if keep_models == "all" else None,
        _refit=lambda: clone(base).set_params(**best_params).fit(X_train, y_train),
    )
    if store:
        if plot:
            from parsearch.plot import save_figure

            save_figure(result.plot(), out_path / HEATMAP)
            meta["heatmap"] = HEATMAP
        store.write_meta(meta)
    return result


class _Best:
    """The best configuration so far."""

    def __init__(self, greater_is_better):
        self.greater = greater_is_better
        self.index = None
        self.score = math.nan
        self.model = None

    def offer(self, index, row, model):
        score = row.get(Col.SCORE)
        if row.get(Col.STATUS) != Status.OK or score is None or not np.isfinite(score):
            return
        better = self.index is None or (score > self.score if self.greater else score < self.score)
        tie_earlier = score == self.score and index < self.index
        if better or tie_earlier:
            self.index, self.score, self.model = index, float(score), model


def _check_predict_proba(base, grid, metric):
    """Refuse, before any fit, configurations without ``predict_proba`` for ``metric``."""
    for config in grid.configs:
        estimator = clone(base).set_params(**config)
        if not hasattr(estimator, "predict_proba"):
            raise ValueError(
                f"Metric {metric.name!r} needs predict_proba, which {type(base).__name__} "
                f"with {config} does not offer (SGDClassifier: loss='log_loss' or "
                "'modified_huber'; SVC: probability=True); or choose a metric on predicted "
                "labels such as 'accuracy'."
            )


def _columns(grid, network, cv_scored):
    result = [Col.SCORE, Col.STATUS, Col.ERROR, Col.FIT_SECONDS, Col.METRIC, Col.DIRECTION]
    if cv_scored:
        result.append(Col.SCORE_STD)
    if network:
        result += [Col.TRAIN_LOSS, Col.EPOCH_SCORES]
    clash = set(grid.axes) & set(RESULT_COLUMNS)
    if clash:
        raise ValueError(f"Grid parameters {sorted(clash)} clash with result column names.")
    return [*grid.axes, *result, Col.KEY]


def _table(rows, columns, metric_obj):
    table = pd.DataFrame.from_records(rows, columns=columns)
    table[Col.METRIC] = metric_obj.name
    table[Col.DIRECTION] = metric_obj.direction
    table[Col.SCORE] = table[Col.SCORE].astype(float)
    table[Col.ERROR] = ["" if pd.isna(v) else str(v) for v in table[Col.ERROR]]
    return table


def _finish_meta(table, t0, best, grid):
    counts = table[Col.STATUS].value_counts()
    return {
        "status": "finished",
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "counts": {s: int(counts.get(s, 0)) for s in (Status.OK, Status.FAILED, Status.DIVERGED)},
        "best": None
        if best.index is None
        else {"params": to_jsonable(grid.configs[best.index]), "score": best.score},
    }


def _versions():
    versions = {"python": platform.python_version()}
    for name in ("numpy", "pandas", "sklearn", "joblib", "torch", "dask", "distributed"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    return versions


def _prefetch_plotting():
    """Import matplotlib in a background thread while the fits run in worker processes.

    The import takes about half a second; overlapped with the search it is off the
    critical path. Not done while fused chunks train in this process: a busy core
    slows torch's threads far more than the import saves.
    """
    import threading

    def load():
        import parsearch.plot  # noqa: F401
        from parsearch.plot import _import_matplotlib

        _import_matplotlib()

    threading.Thread(target=load, name="parsearch-prefetch-plotting", daemon=True).start()


def _progress_bar(enabled, total, network, n_configs, n_reused):
    from tqdm.auto import tqdm

    unit = "model-epoch" if network else "fit"
    desc = f"fit_grid {n_configs} configs" + (f" ({n_reused} resumed)" if n_reused else "")
    return tqdm(total=total, unit=unit, desc=desc, disable=not enabled)
