"""``fit_grid``: fit every configuration of a grid, score it, keep the best, store and plot.

The data flows one way, in four phases over one ``Search`` object: set up (check every
argument, before any work; ``parsearch.search.setup``) -> plan (resume from the results
folder, fused chunks or per-configuration jobs; ``parsearch.search.phases``) -> run and
collect (in process, joblib or Dask; each row stored in scores.csv as it finishes) ->
finish (the table, meta.json, heatmap.png, the ``GridResult``).
"""

from __future__ import annotations

from parsearch.search.phases import finish_search, plan_search, run_search
from parsearch.search.result import GridResult
from parsearch.search.setup import set_up

__all__ = ["GridResult", "fit_grid"]


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
    search = set_up(
        model,
        param_grid,
        X_train,
        y_train,
        X_val,
        y_val,
        metric=metric,
        greater_is_better=greater_is_better,
        cv=cv,
        device=device,
        random_state=random_state,
        n_jobs=n_jobs,
        backend=backend,
        client=client,
        engine=engine,
        out=out,
        resume=resume,
        plot=plot,
        progress=progress,
        keep_models=keep_models,
    )
    plan_search(search)
    run_search(search)
    return finish_search(search)
