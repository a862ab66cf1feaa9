"""Tasks: fit and score configurations, one dict row per configuration.

A task is a top-level function plus its arguments: picklable, testable alone, and
run the same way in the main process, in a joblib worker or on a Dask worker.
"""

from __future__ import annotations

import copy
import math
import time
import traceback
import warnings

import numpy as np
from sklearn.base import clone

from parsearch.checks import take_rows
from parsearch.fused.chunk import train_chunk
from parsearch.jobs import Outcome
from parsearch.rows import Col, Status, failed_row, new_row
from parsearch.usercode import expose_main_code


def run_job(estimator, job, data, metric, on_epoch=None, checkpoint=None):
    """Run every configuration of a job.

    Parameters
    ----------
    estimator : estimator
        The base estimator; it is cloned, never changed.
    job : parsearch.jobs.Job
        The configurations (with the engine that trains them, if any).
    data : parsearch.jobs.Data
        The data.
    metric : parsearch.metrics.Metric
        How to score.
    on_epoch : callable, optional
        Progress callback ``on_epoch(epoch, n_models)`` of an engine's jobs.
    checkpoint : parsearch.fused.checkpoint.ChunkCheckpoint, optional
        Where a fused chunk's models are saved as they train (in this process only).

    Returns
    -------
    list of Outcome
    """
    expose_main_code(estimator, job.params)  # in a worker: fitted models pickle back
    if job.engine is not None:
        return train_chunk(estimator, job, data, metric, on_epoch=on_epoch, checkpoint=checkpoint)
    return [run_config(estimator, i, p, data, metric) for i, p in zip(job.indices, job.params)]


def configured(estimator, params):
    """A fresh clone of ``estimator`` with a configuration's parameters, cloned themselves.

    As GridSearchCV does: an estimator given as a grid value is never fitted in place,
    nor shared between configurations (or with the caller).
    """
    return clone(estimator).set_params(**{k: clone(v, safe=False) for k, v in params.items()})


def run_config(estimator, index, params, data, metric):
    """Clone the estimator, set the parameters, fit and score one configuration.

    The estimator is not handed the caller's arrays to write into: on a validation set it
    fits on read-only views of them (no copy), and an estimator that writes into its input
    anyway is fitted again on private copies (one copy of the data for that
    configuration; scikit-learn's own in-place transformers, such as
    ``StandardScaler(copy=False)``, copy a read-only input themselves). Under
    cross-validation every fold's rows are copies already, as GridSearchCV's are; for a
    pairwise estimator (``kernel="precomputed"``) a fold's matrices keep the training
    columns only, as GridSearchCV cuts them. What
    ``fit`` returns is not used: the estimator object is the fitted model, as in
    scikit-learn.

    Returns
    -------
    Outcome
        With status ``"failed"`` and the error message if anything raised, or if the
        score (under cross-validation: the score of some fold) is not finite; a fold's
        scores are kept in the failed row, as GridSearchCV keeps every split's score.
        With a numeric ``data.error_score`` a split that raised scores that number, the
        row (failed) keeps the mean of its splits, and ``split_failures`` says why;
        with ``"raise"`` the exception propagates.
    """
    start = time.perf_counter()
    row = new_row(params)
    failures = []
    try:
        try:
            model, scores, train, failures, seconds = _fit_and_score(
                estimator, params, data, metric, read_only_view
            )
        except Exception as exc:
            if not wrote_into_input(exc):
                raise
            model, scores, train, failures, seconds = _fit_and_score(
                estimator, params, data, metric, private_copy
            )
        row[Col.SPLIT_SECONDS] = seconds
        if metric.primary is not None:  # several named scores: each kept, one ranked by
            row[Col.NAMED_SCORES] = named_scores(scores, train, data.error_score)
            scores = [_primary(s, metric.primary) for s in scores]
            train = None if train is None else [_primary(s, metric.primary) for s in train]
        if data.train_scores:
            row[Col.TRAIN_SCORES] = train
        score = float(np.mean(scores))
        std = None
        if data.folds is not None:
            row[Col.FOLD_SCORES] = [float(s) for s in scores]
            std = float(np.std(scores))
        if failures:
            row.update(
                {
                    Col.SCORE: score,
                    Col.STATUS: Status.FAILED,
                    Col.ERROR: f"{len(failures)} of {len(scores)} splits failed: "
                    + failures[0][1].strip().splitlines()[-1],
                    Col.FIT_SECONDS: time.perf_counter() - start,
                    Col.SCORE_STD: std,
                }
            )
            fits = [text for kind, text in failures if kind == "fit"]
            return Outcome(index, row, traceback=failures[0][1], split_failures=fits)
        if not np.isfinite(score):
            raise FloatingPointError(_nonfinite(metric, scores, data.folds is not None))
    except Exception as exc:
        if data.error_score == "raise":
            raise
        kept = {
            c: row[c] for c in (Col.TRAIN_SCORES, Col.NAMED_SCORES, Col.SPLIT_SECONDS) if c in row
        }
        folds = row.get(Col.FOLD_SCORES)
        row = failed_row(params, exc, time.perf_counter() - start)
        row.update(kept)  # the split scores stay in the row, as GridSearchCV keeps them
        if folds is not None:
            row.update({Col.FOLD_SCORES: folds, Col.SCORE_STD: math.nan})
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


def _fit_and_score(estimator, params, data, metric, protect):
    """Fit a fresh configured clone (one per fold) and score it.

    ``protect`` turns the caller's arrays into what the estimator gets (read-only views,
    or private copies); a fold's rows are copies already.

    Returns
    -------
    (estimator or None, list of float, list of float or None, list of tuple, dict)
        The fitted model (None under cross-validation, or after a failure), the score of
        each fold (one for a validation set), with ``data.train_scores`` each fold's
        score on its own training rows (else None), and the traceback of each split that
        raised and scored ``data.error_score`` (a number; else the exception propagates),
        as ``("fit", traceback)`` or ``("score", traceback)``; a scoring that raises is
        warned of at once, as GridSearchCV warns of it; and ``{"fit": [...], "score":
        [...]}``, each split's seconds of fitting and of scoring (0 after a failed fit).
    """
    splits = [(None, None)] if data.folds is None else data.folds
    scores, train, failures = [], [] if data.train_scores else None, []
    model = None
    n = data.X_train.shape[0]
    seconds = {"fit": [], "score": []}
    for tr, te in splits:
        t0 = time.perf_counter()
        t1 = None
        try:
            model = configured(estimator, params)
            fit_params = split_params(data.fit_params, tr, n)
            weights = (data.fit_params or {}).get("sample_weight")
            X_all, y_all = data.given or (data.X_train, data.y_train)
            if tr is None:
                X_tr, y_tr = protect(X_all), protect(y_all)
                X_te, y_te = protect(data.X_val), protect(data.y_val)
                test_weights = None  # the validation set's own weights are not given
            else:
                X_tr, y_tr = rows_of(X_all, tr), rows_of(y_all, tr)
                X_te, y_te = rows_of(X_all, te), rows_of(y_all, te)
                if is_pairwise(model):  # a kernel or distances: the training columns too
                    X_tr, X_te = take_columns(X_tr, tr), take_columns(X_te, tr)
                test_weights = split_params({"w": weights}, te, n)["w"]
            model.fit(X_tr, y_tr, **fit_params)
            t1 = time.perf_counter()
        except Exception as exc:
            if not _scores_errors(data.error_score) or wrote_into_input(exc):
                raise
            failures.append(("fit", traceback.format_exc()))
            test_score = train_score = float(data.error_score)
            model = None
        else:
            try:
                test_score = metric.score_model(model, X_te, y_te, test_weights)
                train_weights = fit_params.get("sample_weight")
                train_score = (
                    None if train is None else metric.score_model(model, X_tr, y_tr, train_weights)
                )
            except Exception as exc:
                if not _scores_errors(data.error_score) or wrote_into_input(exc):
                    raise
                failures.append(("score", traceback.format_exc()))
                test_score = train_score = float(data.error_score)
                warnings.warn(
                    "Scoring failed. The score on this train-test partition for these "
                    f"parameters will be set to {data.error_score}. Details: \n"
                    f"{failures[-1][1]}",
                    UserWarning,
                    stacklevel=2,
                )
        scores.append(test_score)
        if train is not None:
            train.append(train_score)
        end = time.perf_counter()
        seconds["fit"].append((t1 or end) - t0)
        seconds["score"].append(0.0 if t1 is None else end - t1)
    return (model if data.folds is None else None), scores, train, failures, seconds


def _primary(score, primary):
    """The score the search ranks by: the named one (``""``: the first) of a dict."""
    if not isinstance(score, dict):
        return score
    if not score:
        return np.nan
    # a name the scorer does not give: NaN (GridSearchCV refuses that refit afterwards)
    return score.get(primary, np.nan) if primary else next(iter(score.values()))


def named_scores(scores, train, error_score):
    """``{"test": {name: [score per split]}, "train": ...}`` of dicts of named scores; a
    split that failed (a plain number) has ``error_score`` under every name. None when
    the scorer returned plain numbers."""
    names = list(dict.fromkeys(k for s in scores if isinstance(s, dict) for k in s))
    if not names:
        return None

    def columns(values):
        fill = np.nan if error_score is None or isinstance(error_score, str) else error_score
        return {
            n: [float(v.get(n, np.nan)) if isinstance(v, dict) else float(fill) for v in values]
            for n in names
        }

    out = {"test": columns(scores)}
    if train is not None:
        out["train"] = columns(train)
    return out


def is_pairwise(estimator):
    """Whether the estimator takes a (samples x samples) matrix (``kernel="precomputed"``)."""
    from sklearn.utils import get_tags

    try:
        return bool(get_tags(estimator).input_tags.pairwise)
    except Exception:  # an estimator without scikit-learn's tags
        return False


def take_columns(X, columns):
    """Columns ``columns`` of an array, a sparse matrix or a DataFrame."""
    if isinstance(X, list):
        raise ValueError(
            "Precomputed kernels or affinity matrices have to be passed as arrays or sparse "
            "matrices."
        )
    return X.iloc[:, columns] if hasattr(X, "iloc") else X[:, columns]


def rows_of(X, rows):
    """Rows ``rows`` of X in X's own type: an array, a sparse matrix, anything with
    ``iloc`` (a DataFrame, a Series), or a list."""
    if isinstance(X, list):
        return [X[i] for i in rows]
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def split_params(params, rows, n_samples):
    """``fit`` keyword arguments for the training ``rows`` of a split (None: all rows).

    As GridSearchCV cuts them: a value with one entry per sample (an array, a list, a
    Series) is cut to the rows; anything else (a scalar, a callable, a tuple such as an
    early-stopping validation set) goes as it is.
    """
    if not params:
        return {}
    if rows is None:
        return dict(params)
    return {name: _rows_of(value, rows, n_samples) for name, value in params.items()}


def _rows_of(value, rows, n_samples):
    if value is None or isinstance(value, (str, bytes, tuple)) or callable(value):
        return value
    if hasattr(value, "iloc") or isinstance(value, np.ndarray) or hasattr(value, "tocsr"):
        if getattr(value, "ndim", 1) and value.shape[0] == n_samples:
            return take_rows(value, rows)
        return value
    if isinstance(value, list) and len(value) == n_samples:
        return [value[i] for i in rows]
    return value


def _scores_errors(error_score):
    """Whether a split that raises scores ``error_score`` (a number) instead of raising."""
    return error_score is not None and not isinstance(error_score, str)


def _nonfinite(metric, scores, cross_validated):
    """Why a configuration has no score: its score, or the folds whose score is not finite."""
    if not cross_validated:
        return f"the {metric.name} score is {scores[0]}"
    bad = [f"{s} in fold {k + 1}" for k, s in enumerate(scores) if not np.isfinite(s)]
    return (
        f"the {metric.name} score is {', '.join(bad)} of {len(scores)} (the folds' scores "
        "are kept in fold_scores; the mean is NaN)"
    )


#: How numpy, Python's buffers, ctypes and Cython say that an array cannot be written.
_READ_ONLY_WORDS = ("read-only", "readonly", "not writable", "not writeable", "non-writable")


def wrote_into_input(exc):
    """Whether ``exc`` says that something tried to write into a read-only array.

    numpy raises ``ValueError`` ("assignment destination is read-only"), a ``memoryview``
    ``TypeError`` ("cannot modify read-only memory"), ctypes ``TypeError`` ("underlying
    buffer is not writable"), Cython ``ValueError`` ("buffer source array is read-only").
    """
    text = str(exc).lower()
    return any(word in text for word in _READ_ONLY_WORDS)


def read_only_view(value):
    """``value`` as the estimator may see it without a copy and without writing into it.

    An array becomes a read-only view; a sparse matrix shares its arrays, its values
    read-only; a DataFrame or Series becomes a shallow copy (pandas' copy-on-write keeps
    the caller's from any write). Anything else is given as it is.
    """
    if isinstance(value, np.ndarray):
        view = value.view()
        view.flags.writeable = False
        return view
    if hasattr(value, "tocsr") and isinstance(getattr(value, "data", None), np.ndarray):
        shared = value.__class__(value, copy=False)
        shared.data = value.data.view()
        shared.data.flags.writeable = False
        return shared
    if hasattr(value, "iloc"):
        return value.copy(deep=False)
    return value


def private_copy(value):
    """A copy of ``value`` that the estimator may write into."""
    if value is None:
        return None
    return value.copy() if hasattr(value, "copy") else copy.deepcopy(value)
