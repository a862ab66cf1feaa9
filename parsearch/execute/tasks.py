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

from parsearch.checks import take_rows
from parsearch.rows import Col, Status, failed_row, new_row
from parsearch.usercode import expose_main_code


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
    expose_main_code(estimator, job.params)  # in a worker: fitted models pickle back
    if job.network:
        from parsearch.nets.chunk import train_chunk

        return train_chunk(estimator, job, data, metric, on_epoch=on_epoch)
    return [run_config(estimator, i, p, data, metric) for i, p in zip(job.indices, job.params)]


def configured(estimator, params):
    """A fresh clone of ``estimator`` with a configuration's parameters, cloned themselves.

    As GridSearchCV does: an estimator given as a grid value is never fitted in place,
    nor shared between configurations (or with the caller).
    """
    return clone(estimator).set_params(**{k: clone(v, safe=False) for k, v in params.items()})


def run_config(estimator, index, params, data, metric):
    """Clone the estimator, set the parameters, fit and score one configuration.

    Returns
    -------
    Outcome
        With status ``"failed"`` and the error message if anything raised.
    """
    start = time.perf_counter()
    row = new_row(params)
    try:
        model = configured(estimator, params)
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
            row[Col.FOLD_SCORES] = [float(s) for s in scores]
        if not np.isfinite(score):
            raise FloatingPointError(f"the {metric.name} score is {score}")
    except Exception as exc:
        row = failed_row(params, exc, time.perf_counter() - start)
        return Outcome(index=index, row=row, traceback=traceback.format_exc())
    row.update(
        {
            Col.SCORE: score,
            Col.STATUS: Status.OK,
            Col.FIT_SECONDS: time.perf_counter() - start,
            Col.SCORE_STD: std,
        }
    )
    return Outcome(index=index, row=row, model=model)
