"""``fit_grid``: fit every configuration of a grid, score it, keep the best, store and plot.

The data flows one way, in four phases over one ``Search`` object: set up (check every
argument, before any work; ``parsearch.search.setup``) -> plan (resume from the results
folder, fused chunks or per-configuration jobs; ``parsearch.search.phases``) -> run and
collect (in process, joblib or Dask; each row stored in scores.csv as it finishes) ->
finish (the table, meta.json, heatmap.png, the ``GridResult``).

From plan to finish the search holds the results folder's lock
(``parsearch.results.lock``), and SIGTERM stops it as Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from parsearch.results.lock import check_lock_timeout, hold_folder
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
    groups=None,
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
    lock_timeout=0,
    halving=None,
    duplicates="refuse",
    return_train_score=False,
    error_score=None,
    fit_params=None,
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
    metric : str, scorer or callable, default="accuracy"
        A metric name (see ``parsearch.metrics.METRIC_NAMES``; ``neg_*`` names of the
        losses too), a scikit-learn scorer (``make_scorer``, ``get_scorer``), or
        ``metric(y_true, y_pred)``. A name means what scikit-learn's scorer of that name
        means: probability metrics score ``predict_proba`` (``decision_function`` first
        for ``roc_auc``, ``average_precision`` and top-k accuracy) with the training
        classes.
    greater_is_better : bool, optional
        Direction of a callable metric (inferred from its name when None).
    cv : int or cross-validation splitter, default=5
        Folds when no validation set is given.
    groups : array-like of shape (n_samples,), optional
        Group labels of the training samples, for a splitter that splits by groups
        (``GroupKFold``, ``LeaveOneGroupOut``, ...), as ``GridSearchCV.fit`` takes them.
        Only with cross-validation (no ``X_val``).
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
        resuming. One search at a time writes there: it holds the folder's lock
        (``out/.parsearch.lock``) from before it reads the finished rows until it has
        written the heatmap; see ``lock_timeout``.
    resume : bool, default=True
        Skip configurations already in ``out/scores.csv`` (same estimator, data,
        metric and validation, as ``out/meta.json`` records them; rows that no
        ``meta.json`` identifies are refused). False starts afresh.
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
    lock_timeout : float or None, default=0
        When another search (another process, or another thread of this one) holds
        ``out``: 0 refuses at once, a number waits that many seconds for it to end,
        None waits as long as it takes. A lock left by a killed search never blocks:
        the operating system releases it with its process.
    halving : bool or parsearch.Halving, optional
        Successive halving: every configuration trains ``min_resource`` epochs (passes of
        ``partial_fit`` for a scikit-learn estimator), the best ``1/factor`` by
        validation score (the mean over folds) go on to ``factor`` times as many, and so
        on up to the network's ``epochs`` (``max_resource`` passes); the others stop with
        ``status="pruned"``, their ``epochs_trained`` and their score at that rung.
        Networks are pruned inside the live fused model: a survivor trains on exactly as
        it would alone. ``True`` is ``Halving()`` (factor 3, from 1 epoch). With ``out``,
        a search killed mid-halving goes on from its last rung (see
        ``parsearch.halving.run``).
    duplicates : {"refuse", "keep"}, default="refuse"
        A value listed twice in one list of the grid: refused before any work (usually
        a slip: ``[0.1, 0.1]``, ``["sgd", "SGD "]``), or kept, each a configuration of
        its own, as GridSearchCV keeps them.
    return_train_score : bool, default=False
        Score each fit on its own training rows too, in the column ``train_scores`` (a
        list, one per split) and ``cv_results_``'s ``*_train_score``, as GridSearchCV's
        option of that name (not for fused networks nor halving).
    error_score : None, "raise" or float, optional
        A fit or scoring that raises: None (the default) fails its configuration (a
        ``FitFailedWarning`` each; every one failing raises ``RuntimeError``). As
        GridSearchCV's option: ``"raise"`` raises the first such error; a number (NaN
        too) is that split's score, the configuration's row is ``failed`` with the mean
        of its splits, one ``FitFailedWarning`` counts the failed fits, a ``ValueError``
        says when every fit failed, and configurations that merely score NaN never stop
        the search. Fused networks and halving fail a configuration as a whole.
    fit_params : dict, optional
        Keyword arguments of every ``fit``, as ``GridSearchCV.fit(X, y, **params)`` takes
        them: a value with one entry per training sample (``sample_weight``) is cut to
        each fold's rows, anything else goes as it is. ``sample_weight`` also weighs the
        test rows' score for a scorer object, ``metric=None`` and a metric of
        ``(estimator, X, y)`` that take it (named metrics score unweighted). Not for fused
        networks nor halving; the values are in the resume identity.

    Returns
    -------
    GridResult

    Raises
    ------
    ValueError, TypeError
        For bad input, before any work starts and before ``out`` is touched.
    parsearch.results.lock.FolderInUse
        When another search holds ``out`` (still, after ``lock_timeout`` seconds); the
        message names its process, host and start time.
    parsearch.results.identity.ResumeMismatch
        When ``out`` holds rows of another search, or rows without the ``meta.json``
        that tells what they are of (``resume=False`` starts afresh).
    RuntimeError
        When every configuration failed (with the first error).

    Notes
    -----
    SIGTERM (``kill``, a batch scheduler's stop) ends a search as Ctrl-C does: rows
    finished so far are in ``scores.csv``, ``meta.json`` says ``"interrupted"``, and
    then the process ends by SIGTERM as asked. This holds in the main thread, where
    SIGTERM has its default action; a handler of the caller's own is left in place.
    """
    lock_timeout = check_lock_timeout(lock_timeout)
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
        groups=groups,
        device=device,
        random_state=random_state,
        halving=halving,
        duplicates=duplicates,
        return_train_score=return_train_score,
        error_score=error_score,
        fit_params=fit_params,
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
    with _sigterm_stops_the_search(), hold_folder(search.options.out, lock_timeout):
        plan = plan_search(search)
        collected = run_search(search, plan)
        return finish_search(search, plan, collected)


class _Terminated(BaseException):
    """SIGTERM arrived during a search (a BaseException, as KeyboardInterrupt is)."""


@contextlib.contextmanager
def _sigterm_stops_the_search():
    """For the body, make SIGTERM stop the search as Ctrl-C does; then end the process.

    SIGTERM's default action ends the process at once, with no word in ``meta.json``.
    Here it raises :class:`_Terminated` instead, which unwinds the search as
    KeyboardInterrupt does (``meta.json`` marked interrupted, ``scores.csv`` closed, the
    folder's lock released); then the default action is put back and the signal raised
    again, so that the process still ends by SIGTERM. A second SIGTERM during the
    unwinding waits for it. Only in the main thread (where Python runs handlers), and
    only where SIGTERM has its default action: a caller's own handler is left alone.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    received = []

    def stop(signum, frame):
        if not received:
            received.append(signum)
            raise _Terminated("SIGTERM")

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if received:
            signal.raise_signal(signal.SIGTERM)  # ends the process, as SIGTERM asked
