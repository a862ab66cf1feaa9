"""Train and score one fused chunk of a grid's networks: the torch side of a job.

``train_chunk`` is what ``parsearch.execute.tasks.run_job`` runs for a job of
``MLPClassifier`` configurations: it builds the fused trainer's inputs from the
configurations and the data (every fold under cross-validation), trains them at once,
and turns each model's outcome into its result row.
"""

from __future__ import annotations

import time
import traceback
from typing import NamedTuple

import numpy as np
from sklearn.base import clone

from parsearch.execute.tasks import Outcome
from parsearch.metrics import PROBA
from parsearch.nets import fused
from parsearch.rows import Col, Status, failed_row, new_row


class Split(NamedTuple):
    """One fold's data for the fused trainer (the holdout split is the one fold)."""

    X_fit: np.ndarray  # training inputs
    y_fit: np.ndarray  # training labels, encoded as indices into ``classes``
    X_score: np.ndarray  # validation inputs
    y_score: np.ndarray  # validation labels, as given
    classes: np.ndarray  # the classes of ``y_fit`` (sorted), the networks' outputs


def fold_splits(data, X):
    """The training and validation data of each fold, each with its own training classes.

    A network fitted on a fold has the classes of that fold's training labels, as
    ``MLPClassifier.fit`` on those rows alone would (scikit-learn's ``cross_val_score``
    too): a class that a fold's training part lacks gets no output unit there.

    Parameters
    ----------
    data : parsearch.execute.tasks.Data
        The search's data (``folds`` None: the holdout split).
    X : ndarray
        ``data.X_train`` as the networks take it.

    Returns
    -------
    list of Split
    """
    if data.folds is None:
        classes, y_enc = np.unique(np.asarray(data.y_train), return_inverse=True)
        return [Split(X, y_enc, data.X_val, data.y_val, classes)]
    y = np.asarray(data.y_train)
    splits = []
    for tr, te in data.folds:
        classes, y_enc = np.unique(y[tr], return_inverse=True)
        splits.append(Split(X[tr], y_enc, X[te], y[te], classes))
    return splits


def train_chunk(estimator, job, data, metric, on_epoch=None):
    """Train the networks of a job at once with the fused trainer, and score them.

    Each model's ``score`` is its validation score after the last epoch (the mean over
    folds under cross-validation); ``epoch_scores`` holds the score after each epoch.

    Returns
    -------
    list of Outcome
    """
    start = time.perf_counter()
    rows = [new_row(p) for p in job.params]
    try:
        models = [clone(estimator).set_params(**p) for p in job.params]
        spec = models[0]._train_spec()
        hypers = [m._hyper() for m in models]
        X = np.ascontiguousarray(data.X_train, dtype=models[0].dtype)
        classes = np.unique(np.asarray(data.y_train))
        runs = []
        for split in fold_splits(data, X):
            X_score = np.ascontiguousarray(split.X_score, dtype=models[0].dtype)
            runs.append(
                fused.train_fused(
                    split.X_fit,
                    split.y_fit,
                    hypers,
                    spec,
                    len(split.classes),
                    X_val=X_score,
                    score=_output_scorer(metric, split.y_score, split.classes),
                    proba=metric.response == PROBA,
                    on_epoch=on_epoch,
                )
            )
    except Exception as exc:
        seconds = (time.perf_counter() - start) / len(rows)
        tb = traceback.format_exc()
        return [
            Outcome(index=i, row=failed_row(params, exc, seconds), traceback=tb)
            for i, params in zip(job.indices, job.params)
        ]
    seconds = (time.perf_counter() - start) / len(rows)
    classes_width = (classes, X.shape[1])
    return [
        model_outcome(
            index, params, model, [run[k] for run in runs], data, metric, seconds, classes_width
        )
        for k, (index, params, model) in enumerate(zip(job.indices, job.params, models))
    ]


def model_outcome(index, params, model, per_fold, data, metric, seconds, fitted_as=None):
    """One network's row and fitted model from its outcome in every fold.

    Parameters
    ----------
    index : int
        Grid position.
    params : dict
        Its configuration.
    model : MLPClassifier
        Its estimator, to hold the fitted weights.
    per_fold : list of parsearch.nets.fused.FusedOutcome
        Its outcome in each fold (one for a holdout set); the weights set when
        ``fitted_as`` is given.
    data : parsearch.execute.tasks.Data
        The data (whether scoring was by cross-validation).
    metric : parsearch.metrics.Metric
        How it was scored (for the error of a failed score).
    seconds : float
        Its share of the training time.
    fitted_as : (ndarray, int), optional
        The classes and the number of features: give the fitted model (holdout only);
        None gives no model (a model pruned, or not finished).

    Returns
    -------
    Outcome
        Status ok, diverged, or failed when the metric could not score it.
    """
    row = new_row(params)
    epoch_scores = np.mean([o.epoch_scores for o in per_fold], axis=0)
    diverged = [o.diverged_epoch for o in per_fold if o.diverged_epoch is not None]
    final_scores = [o.epoch_scores[-1] for o in per_fold]
    row.update(
        {
            Col.SCORE: np.nan if diverged else float(epoch_scores[-1]),
            Col.STATUS: Status.DIVERGED if diverged else Status.OK,
            Col.FIT_SECONDS: seconds,
            Col.SCORE_STD: None if data.folds is None else float(np.std(final_scores)),
            Col.FOLD_SCORES: None if data.folds is None else [float(s) for s in final_scores],
            Col.TRAIN_LOSS: float(np.mean([o.train_loss[-1] for o in per_fold])),
            Col.EPOCH_SCORES: [float(s) for s in epoch_scores],
        }
    )
    if diverged:
        row[Col.ERROR] = (
            "training diverged (the loss, weights or outputs became NaN or infinite) "
            f"in epoch {min(diverged)}; lower the learning rate"
        )
    elif not np.isfinite(row[Col.SCORE]):  # the metric failed for this model alone
        why = next((o.score_error for o in per_fold if o.score_error), "no score")
        return _unscored(index, row, metric, why)
    fitted = None
    if fitted_as is not None and data.folds is None and not diverged:
        fitted = model._set_fitted(*fitted_as, per_fold[0])
    return Outcome(index=index, row=row, model=fitted)


def _unscored(index, row, metric, why):
    """The outcome of a model the metric could not score: a failed row saying why."""
    row.update({Col.STATUS: Status.FAILED, Col.ERROR: f"scoring with {metric.name} failed: {why}"})
    row[Col.SCORE] = np.nan
    return Outcome(index=index, row=row, traceback="(raised by the metric, not by training)")


def _output_scorer(metric, y_true, classes):
    """Score one model's validation outputs (class indices or probabilities)."""
    if metric.response == PROBA:
        return lambda proba: metric.score_outputs(y_true, proba, classes)
    return lambda indices: metric.score_outputs(y_true, classes[indices], classes)
