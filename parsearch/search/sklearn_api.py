"""``GridSearchCV`` and ``RandomizedSearchCV``: scikit-learn's search classes over ``fit_grid``.

Code written for ``sklearn.model_selection.GridSearchCV`` (a pipeline step, nested
cross-validation with ``cross_val_score``, a notebook reading ``best_estimator_``) takes
:class:`GridSearchCV` in its place: the same constructor, the same fitted attributes, the
same delegating methods. Underneath, ``fit`` runs ``fit_grid``'s four phases, so networks
still train fused, rows can be stored in a results folder (``out=``) that a rerun resumes,
and a heatmap is drawn when asked (``plot=True``).

Where the two differ, on purpose or not yet, README's "Differences from GridSearchCV"
says so.
"""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring, get_scorer
from sklearn.model_selection import ParameterGrid, ParameterSampler
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from parsearch.metrics import (
    METRIC_NAMES,
    NamedScorers,
    is_scorer,
    named_metric,
    takes_sample_weight,
)

try:
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # another scikit-learn: its default HTML view of the search
    _VisualBlock = None

__all__ = ["GridSearchCV", "RandomizedSearchCV"]


def _check_refit(search, attr):
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} instance was initialized with `refit=False`. "
            f"{attr} is available only after refitting on the best parameters. You can "
            "refit an estimator manually using the `best_params_` attribute"
        )


def _estimator_has(attr):
    """Whether the search can delegate ``attr`` to its (best) estimator."""

    def check(self):
        _check_refit(self, attr)
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)  # raises AttributeError if missing
            return True
        getattr(self.estimator, attr)
        return True

    return check


def _delegated(name):
    """The method ``name`` of the best estimator, there when the estimator has it (as
    scikit-learn's ``BaseSearchCV`` delegates ``predict``, ``transform``, ...)."""

    def method(self, X):
        check_is_fitted(self)
        return getattr(self.best_estimator_, name)(X)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``{name}`` of the best estimator."
    return available_if(_estimator_has(name))(method)


def _pass_on(caught):
    """Warn again of what fit_grid warned, but a configuration failed by a NaN score: as
    GridSearchCV, the search says once that some scores are not finite instead."""
    for w in caught:
        if issubclass(w.category, FitFailedWarning) and "FloatingPointError" in str(w.message):
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _warn_non_finite(results):
    """GridSearchCV's warning when some mean test (or train) score is not finite."""
    for which in ("test", "train"):
        means = results.get(f"mean_{which}_score")
        if means is not None and not np.isfinite(means).all():
            warnings.warn(
                f"One or more of the {which} scores are non-finite: {means}",
                category=UserWarning,
                stacklevel=3,
            )


def _print_splits(results):
    """``verbose > 2``: each split's scores, as GridSearchCV prints them (here after the
    search, not as each fit ends)."""
    n = sum(1 for k in results if k.startswith("split") and k.endswith("_test_score"))
    for i, params in enumerate(results["params"]):
        text = ", ".join(f"{k}={v}" for k, v in params.items())
        for k in range(n):
            test = results[f"split{k}_test_score"][i]
            train = results.get(f"split{k}_train_score")
            score = f"{test:.3f}" if train is None else f"(train={train[i]:.3f}, test={test:.3f})"
            print(f"[CV {k + 1}/{n}] END {text};, score={score}")


def _refit_message(refit):
    return (
        "For multi-metric scoring, the parameter refit must be set to a scorer key or a "
        "callable to refit an estimator with the best parameter setting on the whole data "
        "and make the best_* attributes available for that metric. If this is not needed, "
        f"refit should be set to False explicitly. {refit!r} was passed."
    )


def _named_scores(results):
    """The names of several scores in ``cv_results_`` (empty for one score)."""
    if "mean_test_score" in results:
        return []
    return [k[len("mean_test_") :] for k in results if k.startswith("mean_test_")]


def _own_name(scoring):
    """Whether ``scoring`` is a name fit_grid scores itself (as scikit-learn's scorer of it)."""
    if not isinstance(scoring, str):
        return False
    return scoring in METRIC_NAMES or (scoring.startswith("neg_") and scoring[4:] in METRIC_NAMES)


class _BaseSearch(MetaEstimatorMixin, BaseEstimator):
    """What :class:`GridSearchCV` and :class:`RandomizedSearchCV` share: all but the grid."""

    def __init__(
        self,
        estimator,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
        out=None,
        validation=None,
        engine="auto",
        device="auto",
        progress=False,
        plot=False,
    ):
        self.estimator = estimator
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.out = out
        self.validation = validation
        self.engine = engine
        self.device = device
        self.progress = progress
        self.plot = plot

    def _param_grid(self):
        raise NotImplementedError

    def _metric(self):
        """``scoring`` as fit_grid's metric (a name, a scorer, the estimator's score, or
        several named scores ranked by ``refit``'s)."""
        scoring = self.scoring
        primary = self.refit if isinstance(self.refit, str) else ""
        if scoring is None:
            check_scoring(self.estimator)  # TypeError for an estimator without score
            return None
        if _own_name(scoring):
            return scoring
        if isinstance(scoring, str):
            return get_scorer(scoring)  # ValueError for an unknown name
        if callable(scoring):
            if is_scorer(scoring):
                return scoring
            return named_metric(scoring, primary)  # a float, or a dict of named scores
        scorers = self._scorers()
        if self.refit is not False and not callable(self.refit) and primary not in scorers:
            raise ValueError(_refit_message(self.refit))
        return named_metric(NamedScorers(scorers), primary)

    def _scorers(self):
        """A list, tuple or dict ``scoring`` as ``{name: scorer}``."""
        scoring = self.scoring
        if isinstance(scoring, (list, tuple, set)):
            if not scoring or not all(isinstance(s, str) for s in scoring):
                raise ValueError(
                    f"scoring={scoring!r}: a list or tuple of scoring names (strings), "
                    "non-empty and each once."
                )
            if len(set(scoring)) != len(scoring):
                raise ValueError(f"scoring={scoring!r} holds a name twice.")
            return {name: get_scorer(name) for name in scoring}
        if isinstance(scoring, dict) and scoring:
            return {k: get_scorer(v) if isinstance(v, str) else v for k, v in scoring.items()}
        raise ValueError(f"scoring={scoring!r} is no scorer, name, list or dict of them.")

    def fit(self, X, y=None, **params):
        """Fit every candidate, score it, and refit the best on all of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,), optional
            Targets.
        **params
            ``groups`` for a group splitter; the rest go to every ``fit`` (a value with
            one entry per sample cut to each split's rows, as GridSearchCV cuts them).

        Returns
        -------
        self
        """
        params = dict(params)
        groups = params.pop("groups", None)
        X_val = y_val = None
        if self.validation is not None:
            X_val, y_val = self.validation
        if "sample_weight" in params:
            self._warn_unweighted_scorers()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self._fit_grid(X, y, X_val, y_val, groups, params)
        _pass_on(caught)
        self.result_ = result
        results = result.cv_results_
        _warn_non_finite(results)
        self.cv_results_ = results
        if self.verbose > 2:
            _print_splits(results)
        names = _named_scores(results)
        self.multimetric_ = bool(names)
        if names and self.refit is not False and not callable(self.refit):
            if self.refit not in names:
                raise ValueError(_refit_message(self.refit))
        key = self.refit if names else "score"
        self.n_splits_ = sum(1 for k in results if k.startswith("split") and f"_test_{key}" in k)
        if self.refit or not names:
            self.best_index_ = self._best_index(results, key)
            self.best_params_ = results["params"][self.best_index_]
            if not callable(self.refit):
                self.best_score_ = float(results[f"mean_test_{key}"][self.best_index_])
        if names and not callable(self.scoring):
            self.scorer_ = self._scorers()
        elif callable(self.scoring):
            self.scorer_ = self.scoring
        else:
            self.scorer_ = check_scoring(self.estimator, self.scoring)
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(
                **clone(self.best_params_, safe=False)
            )
            start = time.perf_counter()
            self.best_estimator_.fit(X, y, **params)
            self.refit_time_ = time.perf_counter() - start
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    def _fit_grid(self, X, y, X_val, y_val, groups, fit_params):
        from parsearch.search.fit import fit_grid

        metric = self._metric()  # a missing scoring is named first, as scikit-learn does
        if y is None:
            raise ValueError(
                f"{type(self).__name__}.fit needs y: parsearch searches supervised models, "
                "scored against y. For an unsupervised estimator (y=None), use "
                f"sklearn.model_selection.{type(self).__name__}."
            )
        if "sample_weight" in fit_params and isinstance(metric, str):
            metric = get_scorer(metric)  # scikit-learn's scorer weighs the test rows

        return fit_grid(
            self.estimator,
            self._param_grid(),
            X,
            y,
            X_val,
            y_val,
            metric=metric,
            cv=5 if self.cv is None else self.cv,
            groups=groups,
            n_jobs=self.n_jobs,
            engine=self.engine,
            device=self.device,
            out=self.out,
            plot=self.plot,
            progress=self.progress,
            random_state=None,
            duplicates="keep",
            return_train_score=self.return_train_score,
            error_score=self.error_score,
            fit_params=fit_params,
        )

    def _warn_unweighted_scorers(self):
        """GridSearchCV's warning that a scorer takes no ``sample_weight``."""
        if callable(self.scoring) or isinstance(self.scoring, str) or self.scoring is None:
            scorers = {None: check_scoring(self.estimator, self.scoring)}
        else:
            scorers = self._scorers()
        for name, scorer in scorers.items():
            if not takes_sample_weight(scorer):
                which = scorer if name is None else f"{name}={scorer}"
                warnings.warn(
                    f"The scoring {which} does not support sample_weight, which may lead to "
                    f"statistically incorrect results when fitting {self} with sample_weight.",
                    UserWarning,
                    stacklevel=3,
                )

    def _best_index(self, results, key="score"):
        """The best candidate, as scikit-learn picks it: the first of rank 1, or ``refit``'s."""
        if callable(self.refit):
            index = self.refit(results)
            if not isinstance(index, numbers.Integral):
                raise TypeError("best_index_ returned is not an integer")
            if index < 0 or index >= len(results["params"]):
                raise IndexError("best_index_ index out of range")
            return int(index)
        return int(np.asarray(results[f"rank_test_{key}"]).argmin())

    def score(self, X, y=None, **params):
        """The score of the best estimator on ``(X, y)``, by ``scoring``."""
        _check_refit(self, "score")
        check_is_fitted(self)
        if params and not get_config().get("enable_metadata_routing", False):
            raise ValueError(
                f"Passing extra keyword arguments to {type(self).__name__}.score is only "
                "supported if enable_metadata_routing=True, which you can set using "
                "`sklearn.set_config`. See the Metadata Routing User Guide "
                f"<https://scikit-learn.org/stable/metadata_routing.html> for more details. "
                f"Extra parameters passed are: {set(params)}"
            )
        scorer = self.scorer_
        if isinstance(scorer, dict):
            scorer = scorer[self.refit]
        score = scorer(self.best_estimator_, X, y, **params)
        return score[self.refit] if isinstance(score, dict) else score

    score_samples = _delegated("score_samples")
    predict = _delegated("predict")
    predict_proba = _delegated("predict_proba")
    predict_log_proba = _delegated("predict_log_proba")
    decision_function = _delegated("decision_function")
    transform = _delegated("transform")
    inverse_transform = _delegated("inverse_transform")

    @property
    def n_features_in_(self):
        """Features seen by the best estimator."""
        try:
            check_is_fitted(self)
        except Exception as err:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute."
            ) from err
        return self.best_estimator_.n_features_in_

    @property
    def classes_(self):
        """The classes of the best estimator."""
        _estimator_has("classes_")(self)
        return self.best_estimator_.classes_

    def _visual_block(self):
        """The HTML view: the best estimator once fitted, else the estimator (as sklearn)."""
        if hasattr(self, "best_estimator_"):
            key, estimator = "best_estimator_", self.best_estimator_
        else:
            key, estimator = "estimator", self.estimator
        return _VisualBlock(
            "parallel",
            [estimator],
            names=[f"{key}: {estimator.__class__.__name__}"],
            name_details=[str(estimator)],
        )

    if _VisualBlock is not None:  # scikit-learn's private layout of its HTML view
        _sk_visual_block_ = _visual_block

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub = self.estimator.__sklearn_tags__()
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = sub.classifier_tags
        tags.regressor_tags = sub.regressor_tags
        tags.input_tags.pairwise = sub.input_tags.pairwise
        tags.input_tags.sparse = sub.input_tags.sparse
        tags.array_api_support = sub.array_api_support
        return tags


class GridSearchCV(_BaseSearch):
    """Exhaustive search over a parameter grid, as scikit-learn's ``GridSearchCV``.

    Parameters
    ----------
    estimator : estimator
        Cloned for every candidate, never changed.
    param_grid : dict or list of dict
        Parameter name -> list of values.
    scoring : str, callable, list, tuple, dict or None, default=None
        None: the estimator's own ``score``; a scorer name; a scorer object; a callable
        ``scoring(estimator, X, y)`` returning a number or a dict of named scores; or
        several scorers at once (a list or tuple of names, a dict of names or scorers),
        ranked by ``refit``'s name.
    n_jobs : int, optional
        Parallel jobs for per-candidate fits (fused networks train in this process).
    refit : bool, str or callable, default=True
        Refit the best candidate on all of ``X`` (with several metrics: the name ranked
        by); a callable takes ``cv_results_`` and returns the best index.
    cv : int, splitter or iterable, optional
        The folds (None: 5; stratified for classifiers). A ``PredefinedSplit`` of one
        split scores on the samples it holds out.
    verbose : int, default=0
        Above 2: each split's score is printed, after the search.
    pre_dispatch
        Accepted for compatibility; unused.
    error_score : float or "raise", default=np.nan
        The score of a split whose fit or scoring raised; ``"raise"`` raises.
    return_train_score : bool, default=False
        Score each split's model on its training rows too (not for fused networks).
    out : str or Path, optional
        fit_grid's results folder (``scores.csv``, ``meta.json``): a rerun resumes there.
    validation : tuple of (X_val, y_val), optional
        Score every candidate on this held-out set instead of cross-validating.
    engine, device
        As ``fit_grid`` takes them (``"auto"`` trains networks fused).
    progress, plot : bool, default=False
        fit_grid's progress bar, and the heatmap in ``out``.

    Attributes
    ----------
    cv_results_ : dict
        As scikit-learn's (``parsearch.search.cv_results``).
    best_estimator_, best_index_, best_params_, best_score_, refit_time_, scorer_,
    n_splits_, multimetric_, classes_, n_features_in_
        As scikit-learn's.
    result_ : parsearch.GridResult
        fit_grid's result: the table, ``plot()``.
    """

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
        out=None,
        validation=None,
        engine="auto",
        device="auto",
        progress=False,
        plot=False,
    ):
        super().__init__(
            estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
            out=out,
            validation=validation,
            engine=engine,
            device=device,
            progress=progress,
            plot=plot,
        )
        self.param_grid = param_grid

    def _param_grid(self):
        ParameterGrid(self.param_grid)  # scikit-learn's own checks and messages
        return self.param_grid


class RandomizedSearchCV(_BaseSearch):
    """Search over ``n_iter`` candidates drawn from ``param_distributions``, as scikit-learn's.

    The candidates are scikit-learn's ``ParameterSampler``'s (so the same
    ``random_state`` draws the same ones); the rest is :class:`GridSearchCV`'s.

    Parameters
    ----------
    estimator : estimator
        Cloned for every candidate.
    param_distributions : dict or list of dict
        Parameter name -> list of values or a ``scipy.stats`` distribution.
    n_iter : int, default=10
        Candidates drawn.
    random_state : int, RandomState or None
        Seed of the draws.
    **kwargs
        As :class:`GridSearchCV` takes them.
    """

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=10,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        out=None,
        validation=None,
        engine="auto",
        device="auto",
        progress=False,
        plot=False,
    ):
        super().__init__(
            estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
            out=out,
            validation=validation,
            engine=engine,
            device=device,
            progress=progress,
            plot=plot,
        )
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state

    def _param_grid(self):
        sampled = ParameterSampler(
            self.param_distributions, self.n_iter, random_state=self.random_state
        )
        return [{name: [value] for name, value in config.items()} for config in sampled]
