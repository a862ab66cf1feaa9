"""execute/tasks.run_config: what an estimator is handed, and what a fit or a fold gives.

Each case is checked against scikit-learn's GridSearchCV on the same split.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, Normalizer, StandardScaler

from parsearch import fit_grid
from parsearch.rows import Col, Status

QUIET = {"progress": False, "plot": False}


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:400] * 1.0, y[:400], X[400:600] * 1.0, y[400:600]


def grid_search_cv(model, grid, X, y, Xv, yv, **kwargs):
    """GridSearchCV scoring each configuration on (Xv, yv) after fitting on (X, y)."""
    X_all, y_all = np.concatenate([X, Xv]), np.concatenate([y, yv])
    fold = PredefinedSplit(np.r_[np.full(len(X), -1), np.zeros(len(Xv))])
    gs = GridSearchCV(model, grid, cv=fold, refit=False, **kwargs).fit(X_all, y_all)
    return gs.cv_results_["mean_test_score"]


class ScalesInPlace(ClassifierMixin, BaseEstimator):
    """Centres X in place in fit (as hand-written code does), then nearest class mean."""

    def __init__(self, shift=0.0):
        self.shift = shift

    def fit(self, X, y):
        X -= X.mean(axis=0) + self.shift  # writes into the caller's array
        self.classes_ = np.unique(y)
        self.means_ = np.array([X[y == c].mean(axis=0) for c in self.classes_])
        self.offset_ = X.mean(axis=0)
        return self

    def predict(self, X):
        d = ((X[:, None, :] - self.means_[None]) ** 2).sum(axis=2)
        return self.classes_[d.argmin(axis=1)]


class FitReturnsNone(ClassifierMixin, BaseEstimator):
    """A legal scikit-learn estimator whose fit returns None."""

    def __init__(self, C=1.0):
        self.C = C

    def fit(self, X, y):
        self.model_ = LogisticRegression(C=self.C, max_iter=500).fit(X, y)
        self.classes_ = self.model_.classes_

    def predict(self, X):
        return self.model_.predict(X)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_an_estimator_writing_into_x_gets_what_gridsearchcv_gives(digits, n_jobs):
    X, y, Xv, yv = digits
    before = [a.copy() for a in digits]
    grid = {"shift": [0.0, 1.0, 2.0, 3.0]}
    res = fit_grid(ScalesInPlace(), grid, X, y, Xv, yv, n_jobs=n_jobs, **QUIET)
    for given, kept in zip(digits, before):
        np.testing.assert_array_equal(given, kept)  # the caller's arrays are untouched
    assert list(res.table[Col.STATUS]) == [Status.OK] * 4
    expected = grid_search_cv(ScalesInPlace(), grid, X, y, Xv, yv)
    np.testing.assert_allclose(res.table[Col.SCORE], expected)


@pytest.mark.parametrize(
    "step",
    [StandardScaler(copy=False), MinMaxScaler(copy=False), SimpleImputer(copy=False),
     Normalizer(copy=False)],
    ids=lambda s: type(s).__name__,
)  # fmt: skip
def test_copy_false_transformers_leave_the_data_alone_and_resume(digits, step, tmp_path):
    X, y, Xv, yv = digits
    before = [a.copy() for a in digits]
    model = make_pipeline(step, LogisticRegression(max_iter=300))
    grid = {"logisticregression__C": [0.1, 1.0]}
    res = fit_grid(model, grid, X, y, Xv, yv, out=tmp_path, **QUIET)
    for given, kept in zip(digits, before):
        np.testing.assert_array_equal(given, kept)
    np.testing.assert_allclose(res.table[Col.SCORE], grid_search_cv(model, grid, X, y, Xv, yv))
    again = fit_grid(model, grid, X, y, Xv, yv, out=tmp_path, **QUIET)  # the same data: resumes
    assert again.meta["execution"]["reused_rows"] == 2


def test_a_dataframe_written_into_is_the_callers_no_more(digits):
    X, y, Xv, yv = digits
    frame = pd.DataFrame(X[:, :8], columns=[f"p{i}" for i in range(8)])
    kept = frame.copy()

    class WritesColumns(ScalesInPlace):
        def fit(self, X, y):
            X["p0"] = 0.0
            return super().fit(X.to_numpy(copy=True), y)

    fit_grid(WritesColumns(), {"shift": [0.0]}, frame, y, Xv[:, :8], yv, **QUIET)
    pd.testing.assert_frame_equal(frame, kept)


def test_an_estimator_whose_fit_returns_none_is_fitted(digits):
    X, y, Xv, yv = digits
    grid = {"C": [0.01, 1.0]}
    res = fit_grid(FitReturnsNone(), grid, X, y, Xv, yv, **QUIET)
    assert list(res.table[Col.STATUS]) == [Status.OK, Status.OK]
    np.testing.assert_allclose(
        res.table[Col.SCORE], grid_search_cv(FitReturnsNone(), grid, X, y, Xv, yv)
    )
    assert res.best_model.predict(Xv[:3]).shape == (3,)
    cv = fit_grid(FitReturnsNone(), grid, X, y, cv=3, **QUIET)  # folds, and the lazy refit
    assert list(cv.table[Col.STATUS]) == [Status.OK, Status.OK]
    assert cv.best_model.predict(Xv[:3]).shape == (3,)


class FailsOnSomeFolds(ClassifierMixin, BaseEstimator):
    """Predicts -1 everywhere when trained on ``bad_size`` rows, else the majority class."""

    def __init__(self, bad_size=0):
        self.bad_size = bad_size

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.label_ = -1 if len(X) == self.bad_size else np.bincount(y).argmax()
        return self

    def predict(self, X):
        return np.full(len(X), self.label_)


def nan_for_minus_one(y_true, y_pred):
    """Accuracy, or NaN where a prediction is -1."""
    return float("nan") if (y_pred == -1).any() else float(np.mean(y_true == y_pred))


def test_a_nan_fold_keeps_the_other_folds_and_ranks_last(digits):
    from sklearn.metrics import make_scorer

    X, y, _, _ = digits
    grid = {"bad_size": [267, 0]}  # the folds train on 266, 267 and 267 rows
    cv = StratifiedKFold(3)
    with pytest.warns(Warning, match="fold 2"):
        res = fit_grid(FailsOnSomeFolds(), grid, X, y, cv=cv, metric=nan_for_minus_one,
                       greater_is_better=True, **QUIET)  # fmt: skip
    scorer = make_scorer(nan_for_minus_one)
    gs = GridSearchCV(FailsOnSomeFolds(), grid, cv=cv, scoring=scorer).fit(X, y)
    splits = [f"split{k}_test_score" for k in range(3)]
    for i in range(2):
        expected = [gs.cv_results_[split][i] for split in splits]
        np.testing.assert_array_equal(res.table[Col.FOLD_SCORES][i], expected)
    assert np.isfinite(res.table[Col.FOLD_SCORES][0][0])  # the good fold is kept
    assert np.isnan(res.table[Col.SCORE][0]) and res.table[Col.STATUS][0] == Status.FAILED
    assert "fold 2" in res.table[Col.ERROR][0] and "fold 1" not in res.table[Col.ERROR][0]
    assert res.best_params == {"bad_size": 0}
    for split in splits:
        np.testing.assert_array_equal(res.cv_results_[split], gs.cv_results_[split])
    np.testing.assert_array_equal(
        res.cv_results_["rank_test_score"], gs.cv_results_["rank_test_score"]
    )


class WritesThroughABuffer(ScalesInPlace):
    """Writes into X through Python's buffer protocol (a TypeError when it is read-only)."""

    def fit(self, X, y):
        memoryview(X).cast("B")[0] = 1
        return super().fit(X, y)


def test_an_estimator_writing_through_a_buffer_is_fitted_on_copies(digits):
    X, y, Xv, yv = digits
    before = X.copy()
    grid = {"shift": [0.0, 1.0]}
    res = fit_grid(WritesThroughABuffer(), grid, X, y, Xv, yv, **QUIET)
    np.testing.assert_array_equal(X, before)
    assert list(res.table[Col.STATUS]) == [Status.OK, Status.OK]
    expected = grid_search_cv(WritesThroughABuffer(), grid, X, y, Xv, yv)
    np.testing.assert_allclose(res.table[Col.SCORE], expected)
