"""Train and score one fused chunk of a grid: what a job of an engine runs.

``train_chunk`` is what ``parsearch.execute.tasks.run_job`` runs for a job whose
configurations an engine trains (``Job.engine``): it asks the engine for each fold's data
and a live run of the configurations (every fold under cross-validation), trains them at
once, and turns each model's outcome into its result row and fitted estimator.
"""

from __future__ import annotations

import time
import traceback
import warnings
from typing import NamedTuple

import numpy as np
from sklearn.base import clone

from parsearch.jobs import Outcome
from parsearch.metrics import PROBA
from parsearch.rows import Col, Status, failed_row, new_row


class Split(NamedTuple):
    """One fold's data for a fused run (the holdout split is the one fold)."""

    X_fit: np.ndarray  # training inputs
    y_fit: np.ndarray  # training labels, encoded as indices into ``classes``
    X_score: np.ndarray  # validation inputs
    y_score: np.ndarray  # validation labels, as given
    classes: np.ndarray  # the classes of ``y_fit`` (sorted), the models' outputs


def fold_splits(data, X):
    """The training and validation data of each fold, each with its own training classes.

    A model fitted on a fold has the classes of that fold's training labels, as
    ``fit`` on those rows alone would give it (scikit-learn's ``cross_val_score`` too): a
    class that a fold's training part lacks gets no output unit there.

    Parameters
    ----------
    data : parsearch.jobs.Data
        The search's data (``folds`` None: the holdout split).
    X : ndarray
        ``data.X_train`` as an array.

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


def output_scorer(metric, y_true, classes):
    """Score one model's validation outputs (class indices or probabilities)."""
    if metric.response == PROBA:
        return lambda proba: metric.score_outputs(y_true, proba, classes)
    return lambda indices: metric.score_outputs(y_true, classes[indices], classes)


def split_data(engine, split, model, metric):
    """One fold's data as ``engine`` trains on it, scored by ``metric``."""
    return engine.run_data(
        split,
        model,
        output_scorer(metric, split.y_score, split.classes),
        metric.response == PROBA,
    )


def train_chunk(estimator, job, data, metric, on_epoch=None, checkpoint=None):
    """Train the configurations of a job at once with its engine, and score them.

    Each model's ``score`` is its validation score after the last epoch (the mean over
    folds under cross-validation); ``epoch_scores`` holds the score after each epoch.
    With a ``checkpoint``, the chunk goes on from the states an earlier, killed run saved
    there, and saves its own as it trains.

    Parameters
    ----------
    estimator : estimator
        The base estimator; cloned, never changed.
    job : parsearch.jobs.Job
        The configurations, with their ``engine``.
    data : parsearch.jobs.Data
        The data.
    metric : parsearch.metrics.Metric
        How to score.
    on_epoch : callable, optional
        ``on_epoch(epoch, n_models)`` after each epoch of each fold (and, going on from a
        checkpoint, for each epoch it had saved).
    checkpoint : parsearch.fused.checkpoint.ChunkCheckpoint, optional
        Where the chunk's models are saved while they train, and found again.

    Returns
    -------
    list of Outcome
    """
    engine = job.engine
    start = time.perf_counter()
    rows = [new_row(p) for p in job.params]
    try:
        models = [clone(estimator).set_params(**p) for p in job.params]
        X = np.ascontiguousarray(data.X_train)
        classes = np.unique(np.asarray(data.y_train))
        runs = _train_folds(engine, models, job, fold_splits(data, X), metric, on_epoch, checkpoint)
    except Exception as exc:
        seconds = (time.perf_counter() - start) / len(rows)
        tb = traceback.format_exc()
        return [
            Outcome(index=i, row=failed_row(params, exc, seconds), traceback=tb)
            for i, params in zip(job.indices, job.params)
        ]
    seconds = (time.perf_counter() - start) / len(rows)
    fitted_as = (engine, classes, X.shape[1])
    return [
        model_outcome(
            index, params, model, [run[k] for run in runs], data, metric, seconds, fitted_as
        )
        for k, (index, params, model) in enumerate(zip(job.indices, job.params, models))
    ]


def _train_folds(engine, models, job, splits, metric, on_epoch, checkpoint):
    """Each fold's run trained to the job's epochs (from a checkpoint where one fits).

    Returns
    -------
    list of list of FusedOutcome
        Per fold, each model's outcome with its final weights.
    """
    saved = None if checkpoint is None else checkpoint.saved(job.indices, len(splits), job.epochs)
    if checkpoint is not None:
        checkpoint.start()
    results, finished = [], []  # finished: (epochs, states) of the folds done, for saving
    for fold, split in enumerate(splits):
        data = split_data(engine, split, models[0], metric)
        run = None
        if saved and fold < len(saved):
            epoch, states = saved[fold]
            try:
                run = engine.resume(data, models, states, epoch)
            except Exception as exc:  # states that fit the grid but not the models
                warnings.warn(
                    f"The saved models of a fused chunk cannot be used ({type(exc).__name__}: "
                    f"{exc}); they train again from the first epoch.",
                    RuntimeWarning,
                    stacklevel=2,
                )
                saved = None
            else:
                for done in range(1, epoch + 1) if on_epoch is not None else ():
                    on_epoch(done, len(models))  # trained before the kill: progress all the same
        if run is None:
            run = engine.start(data, models)
        last = fold == len(splits) - 1

        def after_epoch(epoch, n_models, run=run, last=last):
            if on_epoch is not None:
                on_epoch(epoch, n_models)
            if checkpoint is not None and not (last and epoch == job.epochs) and checkpoint.due():
                now = [run.state(k) for k in range(len(models))]
                checkpoint.save(job.indices, [*finished, (epoch, now)])

        run.train_to(job.epochs, after_epoch)
        if checkpoint is not None and not last:
            finished.append((job.epochs, [run.state(k) for k in range(len(models))]))
        results.append(run.results())
    return results


def model_outcome(index, params, model, per_fold, data, metric, seconds, fitted_as=None):
    """One model's row and fitted estimator from its outcome in every fold.

    Parameters
    ----------
    index : int
        Grid position.
    params : dict
        Its configuration.
    model : estimator
        Its estimator, to hold the fitted weights.
    per_fold : list of parsearch.fused.live.FusedOutcome
        Its outcome in each fold (one for a holdout set); the weights set when
        ``fitted_as`` is given.
    data : parsearch.jobs.Data
        The data (whether scoring was by cross-validation).
    metric : parsearch.metrics.Metric
        How it was scored (for the error of a failed score).
    seconds : float
        Its share of the training time.
    fitted_as : (Engine, ndarray, int), optional
        The engine, the classes and the number of features: give the fitted model
        (holdout only); None gives no model (a model pruned, or not finished).

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
        engine, classes, n_features = fitted_as
        fitted = engine.fitted(model, classes, n_features, per_fold[0])
    alone = next((o.alone for o in per_fold if o.alone), None)
    return Outcome(index=index, row=row, model=fitted, alone=alone)


def _unscored(index, row, metric, why):
    """The outcome of a model the metric could not score: a failed row saying why."""
    row.update({Col.STATUS: Status.FAILED, Col.ERROR: f"scoring with {metric.name} failed: {why}"})
    row[Col.SCORE] = np.nan
    return Outcome(index=index, row=row, traceback="(raised by the metric, not by training)")
