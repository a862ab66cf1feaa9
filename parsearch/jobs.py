"""The job vocabulary every layer speaks: the data, a job, and what a configuration gave.

:class:`Data` is what a search trains and scores on, :class:`Job` the configurations that
run together (one per task, or a fused chunk), :class:`Outcome` one configuration's row
and fitted model. This module imports nothing of parsearch, so the planner, the
executors, the fused runs and the search can all import it without a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    train_scores : bool
        Whether each split's model is scored on the rows it was fitted on too
        (GridSearchCV's ``return_train_score``).
    error_score : None, "raise" or float
        What a split whose fit or scoring raises scores (GridSearchCV's ``error_score``):
        None fails the configuration as a whole, ``"raise"`` raises, a number is that
        split's score and the others are kept.
    fit_params : dict or None
        Keyword arguments of every ``fit`` (``sample_weight``, ...); a value with one
        entry per training sample is cut to each split's rows, others go as they are.
    given : tuple or None
        ``(X_train, y_train)`` as the caller gave them, where the checks turned them into
        arrays (a list, a Series, a DataFrame of other columns): estimators fitted one by
        one are fitted and scored on these (each fold's rows of them), as GridSearchCV
        hands them; the search itself reads the arrays.
    """

    X_train: object
    y_train: object
    X_val: object = None
    y_val: object = None
    folds: list | None = None
    train_scores: bool = False
    error_score: object = None
    fit_params: dict | None = None
    given: tuple | None = None


@dataclass(frozen=True)
class Job:
    """Configurations that run together.

    Attributes
    ----------
    indices : tuple of int
        Positions of the configurations in the grid.
    params : tuple of dict
        Their parameter values.
    engine : parsearch.engine.Engine or None
        The fused engine that trains them (the estimator's, see
        ``parsearch.engine.engine_of``), or None: each configuration is cloned, fitted
        and scored on its own (``parsearch.execute.tasks.run_config``).
    epochs : int
        Epochs of each model of an engine (1 for other estimators), for progress.
    folds : int
        Training runs of each model of an engine: the cross-validation folds (1 for a
        holdout validation set, and for other estimators), for progress.
    fused : bool
        Whether the job is a fused chunk (run in the main process, on all its cores or
        its GPU) rather than a per-configuration task for joblib.
    """

    indices: tuple
    params: tuple
    engine: object = None
    epochs: int = 1
    folds: int = 1
    fused: bool = False

    @property
    def units(self):
        """Progress units: model-epochs (of every fold) for an engine, else configurations."""
        return len(self.indices) * self.epochs * self.folds


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
    split_failures : list of str
        With a numeric ``Data.error_score``: the traceback of each split that raised.
    alone : str or None
        Why a fused engine trained it one at a time rather than fused (``meta.json``
        records it), or None.
    """

    index: int
    row: dict
    model: object = None
    traceback: str | None = None
    split_failures: list = field(default_factory=list)
    alone: str | None = None
