"""Phase 1 of ``fit_grid``: check everything and set the search up, before any work.

:func:`set_up` turns ``fit_grid``'s arguments into a :class:`Search`, frozen: what the
later phases (``parsearch.search.phases``) read. Planning returns a ``Plan`` and running
returns what it collected; nothing writes back into the search. Every check that can
fail runs here, before any fit and before the results folder is touched.
"""

from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv

from parsearch.checks import (
    accepts_nan,
    as_dense,
    check_backend,
    check_data,
    check_n_jobs,
    check_out,
)
from parsearch.effects import warn_ignored
from parsearch.engine import engine_of
from parsearch.execute.dask import resolve_client
from parsearch.grid import Grid, check_params, expand_grid
from parsearch.halving import check_halving, resolve_halving
from parsearch.jobs import Data
from parsearch.metrics import (
    ESTIMATOR_SCORE,
    Metric,
    check_fold_labels,
    check_metric_fits,
    check_metric_labels,
    get_metric,
)
from parsearch.plan import check_engine
from parsearch.results.identity import check_resumable
from parsearch.rows import RESULT_COLUMNS

KEEP_MODELS = ("best", "all")


@dataclass
class Options:
    """How ``fit_grid`` was asked to run (its keyword arguments, checked)."""

    n_jobs: int | None = None
    backend: object = None
    client: object = None
    engine: str = "auto"
    out: Path | None = None
    resume: bool = True
    plot: bool = True
    progress: bool = True
    keep_models: str = "best"
    cv: object = 5


@dataclass(frozen=True)
class Search:
    """One ``fit_grid`` call, checked and set up: what the later phases read.

    Attributes
    ----------
    base : estimator
        A clone of the caller's estimator with ``random_state`` (or the networks'
        ``device``) applied; every configuration fits a clone of it.
    grid : parsearch.grid.Grid
        The configurations and axes.
    metric : parsearch.metrics.Metric
        How to score.
    data : parsearch.jobs.Data
        The checked data, with the folds under cross-validation.
    options : Options
        The checked keyword arguments.
    engine : parsearch.engine.Engine or None
        The estimator's fused engine (``parsearch.engine.engine_of``), or None: each
        configuration is fitted on its own.
    classifier : bool
        Whether it is a classifier.
    device, matmul : str or None
        For an engine's models: where they train and the library of their products.
    started_at, t0 : datetime, float
        When the call started (UTC, and ``time.perf_counter``).
    halving, halving_seed : parsearch.halving.Halving or None, int
        Successive halving's settings (``max_resource`` filled in), and the seed of the
        passes' order for ``partial_fit`` estimators.
    """

    base: object
    grid: Grid
    metric: Metric
    data: Data
    options: Options
    engine: object
    classifier: bool
    device: str = "cpu"
    matmul: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    t0: float = field(default_factory=time.perf_counter)
    halving: object = None
    halving_seed: int = 0

    @property
    def n_classes(self):
        """Classes in the training labels (1 for a regressor)."""
        return len(np.unique(self.data.y_train)) if self.classifier else 1

    @property
    def n_folds(self):
        """Training runs of each configuration: the folds (1 for a validation set)."""
        return 1 if self.data.folds is None else len(self.data.folds)


def set_up(
    model,
    param_grid,
    X_train,
    y_train,
    X_val,
    y_val,
    *,
    metric,
    greater_is_better,
    cv,
    device,
    random_state,
    halving=None,
    groups=None,
    duplicates="refuse",
    return_train_score=False,
    error_score=None,
    fit_params=None,
    **options,
):
    """Check every argument of ``fit_grid`` and build the :class:`Search`.

    Parameters
    ----------
    model, param_grid, X_train, y_train, X_val, y_val, metric, greater_is_better, cv, \
device, random_state, halving, groups, duplicates, return_train_score, error_score, fit_params
        As ``fit_grid`` takes them.
    **options
        ``fit_grid``'s other keyword arguments (see :class:`Options`).

    Returns
    -------
    Search

    Raises
    ------
    ValueError, TypeError
        For bad input, naming the argument and what is wrong with it.
    """
    started_at, t0 = datetime.now(timezone.utc), time.perf_counter()
    random_state = _check_random_state(random_state)
    metric_obj = get_metric(metric, greater_is_better)
    checked = _check_options(options, cv)
    halving = check_halving(halving)
    _check_model(model)
    grid = expand_grid(param_grid, duplicates)
    check_params(model, grid)
    clash = set(grid.axes) & set(RESULT_COLUMNS)
    if clash:
        raise ValueError(
            f"Grid parameters {sorted(clash)} clash with result column names (the "
            f"results table has {', '.join(RESULT_COLUMNS)}). Put the estimator in a pipeline and "
            "give the parameter its step's prefix, e.g. make_pipeline(KNeighborsClassifier()) "
            "with {'kneighborsclassifier__metric': [...]}."
        )
    if checked.out is not None and checked.resume:
        check_resumable(
            model, grid, metric_obj
        )  # a folder's rows must be found again by another process
    classifier = is_classifier(model)
    engine = engine_of(model)
    if halving is not None:
        halving = _check_halving_search(halving, model, grid, engine, checked)
    error_score = _check_error_score(error_score, engine, halving)
    fit_params = _check_fit_params(fit_params, engine, halving)
    if return_train_score and (engine is not None or halving is not None):
        raise ValueError(
            "return_train_score=True scores each fit on its training rows, which only "
            "estimators fitted one by one do here: not fused networks nor halving searches."
        )
    given = (X_train, y_train)
    X_train, y_train, X_val, y_val = check_data(
        X_train,
        y_train,
        X_val,
        y_val,
        classifier=classifier,
        allow_nan=engine is None and accepts_nan(model),
        numeric=engine is not None,
        images=bool(getattr(engine, "accepts_images", False)),
    )
    base = clone(model)
    where = {}
    if engine is not None:  # fused engines take dense numeric arrays
        X_train = as_dense(X_train, "X_train")
        X_val = None if X_val is None else as_dense(X_val, "X_val")
        where = engine.prepare(base, grid, device, on_workers=checked.client is not None)
    elif random_state is not None:
        seed_unseeded(base, random_state, grid.axes)
    if metric_obj is ESTIMATOR_SCORE and engine is not None:
        metric_obj = _engine_score(model, metric_obj)
    check_metric_fits(metric_obj, base, grid.configs, fused=engine is not None)
    if classifier:
        check_metric_labels(metric_obj, y_train, y_val)
    groups = _check_groups(groups, X_train, X_val)
    _warn_unused_cv(cv, X_val)
    folds = None
    if X_val is None:
        folds = _folds(check_cv(cv, y_train, classifier=classifier), X_train, y_train, groups)
        if classifier:
            check_fold_labels(metric_obj, np.asarray(y_train), folds)
    warn_ignored(model, grid)  # grid parameters that some configurations ignore
    return Search(
        base=base,
        grid=grid,
        metric=metric_obj,
        data=Data(
            X_train,
            y_train,
            X_val,
            y_val,
            folds,
            bool(return_train_score),
            error_score,
            fit_params,
            _as_given(given, X_train, y_train, engine, halving),
        ),
        options=checked,
        engine=engine,
        classifier=classifier,
        started_at=started_at,
        t0=t0,
        halving=halving,
        halving_seed=0 if random_state is None else int(random_state),
        **where,
    )


def _as_given(given, X_train, y_train, engine, halving):
    """The caller's ``(X_train, y_train)`` where the checks changed their type (a list, a
    Series, a DataFrame turned into an array; a sparse matrix is taken as CSR), for
    estimators fitted one by one; else None. Fused networks and halving take the arrays."""
    if engine is not None or halving is not None:
        return None
    X, y = given
    if hasattr(X, "tocsr"):  # sparse: fitted as CSR, whose rows can be taken (as sklearn)
        X = X_train
    changed = type(X) is not type(X_train) or type(y) is not type(y_train)
    return (X, y) if changed else None


def _check_fit_params(fit_params, engine, halving):
    """``fit_params`` as a dict of str (or None); only for estimators fitted one by one."""
    if fit_params is None or not len(fit_params):
        return None
    if not isinstance(fit_params, dict) or not all(isinstance(k, str) for k in fit_params):
        raise TypeError("fit_params must be a dict of fit's keyword arguments by name.")
    if engine is not None or halving is not None:
        raise ValueError(
            f"fit_params {sorted(fit_params)} go to each fit of an estimator fitted one by "
            "one; fused networks and halving searches do not take them."
        )
    return dict(fit_params)


def _check_error_score(error_score, engine, halving):
    """``error_score``: None, ``"raise"``, or a number (only for estimators fitted one by
    one, outside halving: a fused model or a rung fails as a whole)."""
    if error_score is None:
        return None
    if isinstance(error_score, str) and error_score != "raise":
        raise ValueError(f"error_score must be None, 'raise' or a number, got {error_score!r}.")
    if not isinstance(error_score, str) and (
        isinstance(error_score, bool) or not isinstance(error_score, numbers.Real)
    ):
        raise TypeError(f"error_score must be None, 'raise' or a number, got {error_score!r}.")
    if (engine is not None or halving is not None) and error_score != "raise":
        return None
    return error_score


def _engine_score(model, metric):
    """``metric=None`` for an engine's estimator: its ``score`` as a metric the fused models
    are scored by (a classifier's mean accuracy is ``"accuracy"``); else unchanged, and
    ``check_metric_fits`` says why it cannot be used."""
    from sklearn.base import ClassifierMixin, RegressorMixin

    score = getattr(type(model), "score", None)
    if score is ClassifierMixin.score:
        return get_metric("accuracy")
    if score is RegressorMixin.score:
        return get_metric("r2")
    return metric


def _warn_unused_cv(cv, X_val):
    """Warn that ``cv`` is not used when a validation set is given (anything but 5).

    The default, 5, cannot be told from a 5 passed on purpose; any other value is one the
    caller chose, and a validation set makes it unused.
    """
    if X_val is None or (isinstance(cv, numbers.Integral) and cv == 5):
        return
    warnings.warn(
        f"cv={cv!r} is not used: a validation set (X_val, y_val) is given, and every "
        "configuration is scored on it. Leave out X_val and y_val to cross-validate.",
        UserWarning,
        stacklevel=4,
    )


def _check_groups(groups, X_train, X_val):
    """``groups`` as a 1-D array of one label per training sample, or None.

    Raises
    ------
    ValueError
        For groups with a validation set (they only split folds), a shape other than
        (n_samples,), or a missing label.
    """
    if groups is None:
        return None
    if X_val is not None:
        raise ValueError(
            "groups only decides the cross-validation folds, and a validation set was given "
            "(X_val, y_val): leave out groups, or leave out the validation set to "
            "cross-validate with a group splitter such as GroupKFold."
        )
    labels = np.asarray(groups)
    if labels.ndim != 1 or labels.shape[0] != X_train.shape[0]:
        raise ValueError(
            f"groups must hold one label per training sample: shape ({X_train.shape[0]},), "
            f"got {labels.shape}."
        )
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise ValueError("groups contains NaN or infinite labels: give every sample a group.")
    if labels.dtype == object and pd.isna(labels).any():
        raise ValueError(
            "groups contains missing labels (None, NaN or pd.NA): give every sample a group."
        )
    return labels


def _folds(splitter, X_train, y_train, groups):
    """The folds of ``splitter`` as a list of (train, test) index arrays.

    Raises
    ------
    ValueError
        When the splitter needs groups and none were given, saying so; or its own error;
        when it gives no folds, or not as many as its ``get_n_splits`` says.
    """
    try:
        folds = list(splitter.split(X_train, y_train, groups))
    except ValueError as err:
        if groups is None and "groups" in str(err):
            raise ValueError(
                f"{type(splitter).__name__} splits by groups: pass groups=, one label per "
                f"training sample, to fit_grid ({err})."
            ) from err
        raise
    if not folds:  # GridSearchCV's words
        raise ValueError(
            "No fits were performed. Was the CV iterator empty? Were there no candidates? "
            "(cv gave no folds: an iterator of folds can be read only once.)"
        )
    expected = splitter.get_n_splits(X_train, y_train, groups)
    if expected != len(folds):
        raise ValueError(
            "cv.split and cv.get_n_splits return inconsistent results. Expected "
            f"{expected} splits, got {len(folds)}"
        )
    return folds


def _check_halving_search(halving, model, grid, engine, options):
    """Check that this search can halve (see ``parsearch.halving.resolve_halving``)."""
    if options.client is not None and engine is not None:
        raise ValueError(
            f"halving {type(model).__name__} runs in this process, the live fused models held "
            "between rungs; it does not run on Dask yet: leave out backend='dask' and client "
            "(partial_fit estimators do halve on Dask)."
        )
    return resolve_halving(halving, model, grid.configs, engine=engine, grid_axes=grid.axes)


def _check_options(options, cv):
    """Check ``fit_grid``'s keyword arguments into :class:`Options`."""
    checked = Options(**options, cv=cv)
    checked.n_jobs = check_n_jobs(checked.n_jobs)
    checked.backend = check_backend(checked.backend)
    checked.out = check_out(checked.out)
    checked.client = resolve_client(checked.backend, checked.client)
    if checked.keep_models not in KEEP_MODELS:
        raise ValueError(f"keep_models must be one of {KEEP_MODELS}, got {checked.keep_models!r}.")
    check_engine(checked.engine)
    return checked


def _check_random_state(random_state):
    """``random_state`` as a Python int seed, or None.

    The seed is stored with the results (``meta.json``) so that a rerun resumes the same
    search, so it must be a plain integer: a ``numpy.random.RandomState`` or ``Generator``
    changes as it is used and cannot be stored.
    """
    if random_state is None:
        return None
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(
        random_state, (int, np.integer)
    ):
        raise TypeError(
            "random_state must be None or an int seed (0 <= seed < 2**32), got "
            f"{type(random_state).__name__}: fit_grid stores the seed to resume the search, "
            "so a RandomState or Generator object cannot stand in for it."
        )
    if not 0 <= int(random_state) < 2**32:
        raise ValueError(f"random_state must be in [0, 2**32), got {int(random_state)}.")
    return int(random_state)


def _check_model(model):
    if not (hasattr(model, "fit") and hasattr(model, "get_params")):
        raise TypeError(
            f"model must be a scikit-learn style estimator (with fit and get_params), "
            f"got {type(model).__name__}."
        )


def seed_unseeded(estimator, random_state, grid_names=()):
    """Give ``random_state`` to every unseeded ``random_state`` of the estimator.

    Nested ones too (a Pipeline's steps, say), but none that the grid sets.

    Parameters
    ----------
    estimator : estimator
        Changed in place.
    random_state : int
        The seed.
    grid_names : collection of str
        Parameters the grid sets.
    """
    unseeded = {
        name: random_state
        for name, value in estimator.get_params(deep=True).items()
        if (name == "random_state" or name.endswith("__random_state"))
        and value is None
        and name not in grid_names
    }
    estimator.set_params(**unseeded)
