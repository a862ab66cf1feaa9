"""Tasks: fit and score configurations, one dict row per configuration.

A task is a top-level function plus its arguments: picklable, testable alone, and
run the same way in the main process, in a joblib worker or on a Dask worker.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from parsearch import columns as C
from parsearch.checks import take_rows
from parsearch.grid import config_key
from parsearch.metrics import PROBA


@dataclass(frozen=True)
class Data:
    """Training data, and a validation set or cross-validation folds.

    Attributes
    ----------
    X_train, y_train : array-like
        Training data.
    X_val, y_val : array-like or None
        Validation data; None when scoring by cross-validation.
    folds : list of (ndarray, ndarray) or None
        Train and test indices into the training data, for cross-validation.
    """

    X_train: object
    y_train: object
    X_val: object = None
    y_val: object = None
    folds: list | None = None


@dataclass
class Outcome:
    """What one configuration gave.

    Attributes
    ----------
    index : int
        Position in the grid.
    row : dict
        Parameter values and result columns.
    model : estimator or None
        The fitted model that was scored (None after cross-validation or failure).
    traceback : str or None
        Traceback of the exception of a failed configuration.
    """

    index: int
    row: dict
    model: object = None
    traceback: str | None = None


def run_job(estimator, job, data, metric, on_epoch=None):
    """Run every configuration of a job.

    Parameters
    ----------
    estimator : estimator
        The base estimator; it is cloned, never changed.
    job : parsearch.plan.Job
        The configurations.
    data : Data
        The data.
    metric : parsearch.metrics.Metric
        How to score.
    on_epoch : callable, optional
        Progress callback ``on_epoch(epoch, n_models)`` of network jobs.

    Returns
    -------
    list of Outcome
    """
    if job.network:
        return run_networks(estimator, job, data, metric, on_epoch=on_epoch)
    return [run_config(estimator, i, p, data, metric) for i, p in zip(job.indices, job.params)]


def _base_row(params):
    return {**params, C.KEY: config_key(params), C.ERROR: ""}


def _failed_row(row, exc, seconds):
    row.update(
        {
            C.SCORE: np.nan,
            C.STATUS: C.FAILED,
            C.ERROR: f"{type(exc).__name__}: {exc}",
            C.FIT_SECONDS: seconds,
        }
    )
    return row


def run_config(estimator, index, params, data, metric):
    """Clone the estimator, set the parameters, fit and score one configuration.

    Returns
    -------
    Outcome
        With status ``"failed"`` and the error message if anything raised.
    """
    start = time.perf_counter()
    row = _base_row(params)
    try:
        model = clone(estimator).set_params(**params)
        if data.folds is None:
            model.fit(data.X_train, data.y_train)
            score = metric.score_model(model, data.X_val, data.y_val)
            std = None
        else:
            scores = [
                metric.score_model(
                    clone(model).fit(take_rows(data.X_train, tr), data.y_train[tr]),
                    take_rows(data.X_train, te),
                    data.y_train[te],
                )
                for tr, te in data.folds
            ]
            score, std, model = float(np.mean(scores)), float(np.std(scores)), None
        if not np.isfinite(score):
            raise FloatingPointError(f"the {metric.name} score is {score}")
    except Exception as exc:
        row = _failed_row(row, exc, time.perf_counter() - start)
        return Outcome(index=index, row=row, traceback=traceback.format_exc())
    row.update(
        {
            C.SCORE: score,
            C.STATUS: C.OK,
            C.FIT_SECONDS: time.perf_counter() - start,
            C.SCORE_STD: std,
        }
    )
    return Outcome(index=index, row=row, model=model)


def run_networks(estimator, job, data, metric, on_epoch=None):
    """Train the networks of a job at once with the fused trainer, and score them.

    Each model's ``score`` is its validation score after the last epoch (the mean over
    folds under cross-validation); ``epoch_scores`` holds the score after each epoch.

    Returns
    -------
    list of Outcome
    """
    from parsearch import fused

    start = time.perf_counter()
    rows = [_base_row(p) for p in job.params]
    try:
        models = [clone(estimator).set_params(**p) for p in job.params]
        spec = models[0]._train_spec()
        hypers = [m._hyper() for m in models]
        X = np.ascontiguousarray(data.X_train, dtype=models[0].dtype)
        classes, y_enc = np.unique(np.asarray(data.y_train), return_inverse=True)
        if data.folds is None:
            splits = [(X, y_enc, data.X_val, data.y_val)]
        else:
            splits = [(X[tr], y_enc[tr], X[te], data.y_train[te]) for tr, te in data.folds]
        runs = []
        for X_fit, y_fit, X_score, y_score in splits:
            X_score = np.ascontiguousarray(X_score, dtype=models[0].dtype)
            runs.append(
                fused.train_fused(
                    X_fit,
                    y_fit,
                    hypers,
                    spec,
                    len(classes),
                    X_val=X_score,
                    score=_output_scorer(metric, y_score, classes),
                    proba=metric.response == PROBA,
                    on_epoch=on_epoch,
                )
            )
    except Exception as exc:
        seconds = (time.perf_counter() - start) / len(rows)
        tb = traceback.format_exc()
        return [
            Outcome(index=i, row=_failed_row(row, exc, seconds), traceback=tb)
            for i, row in zip(job.indices, rows)
        ]
    seconds = (time.perf_counter() - start) / len(rows)
    outcomes = []
    for k, (index, row, model) in enumerate(zip(job.indices, rows, models)):
        per_fold = [run[k] for run in runs]
        epoch_scores = np.mean([o.epoch_scores for o in per_fold], axis=0)
        diverged = [o.diverged_epoch for o in per_fold if o.diverged_epoch is not None]
        final_scores = [o.epoch_scores[-1] for o in per_fold]
        row.update(
            {
                C.SCORE: np.nan if diverged else float(epoch_scores[-1]),
                C.STATUS: C.DIVERGED if diverged else C.OK,
                C.FIT_SECONDS: seconds,
                C.SCORE_STD: None if data.folds is None else float(np.std(final_scores)),
                C.TRAIN_LOSS: float(np.mean([o.train_loss[-1] for o in per_fold])),
                C.EPOCH_SCORES: [float(s) for s in epoch_scores],
            }
        )
        if diverged:
            row[C.ERROR] = (
                "training diverged (the loss, weights or outputs became NaN or infinite) "
                f"in epoch {min(diverged)}; lower the learning rate"
            )
        fitted = None
        if data.folds is None and not diverged:
            fitted = model._set_fitted(classes, X.shape[1], per_fold[0])
        outcomes.append(Outcome(index=index, row=row, model=fitted))
    return outcomes


def _output_scorer(metric, y_true, classes):
    """Score one model's validation outputs (class indices or probabilities)."""
    if metric.response == PROBA:
        return lambda proba: metric.score_outputs(y_true, proba, classes)
    return lambda indices: metric.score_outputs(y_true, classes[indices], classes)
