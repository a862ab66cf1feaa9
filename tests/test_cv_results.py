"""GridResult.cv_results_ matches GridSearchCV's cv_results_ (timings aside)."""

import numpy as np
import pytest
from reference_search import grid_search_cv
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold
from sklearn.svm import SVC

from parsearch import fit_grid

TIMINGS = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600], X[600:900] / 16.0, y[600:900]


def assert_same_cv_results(ours, theirs):
    assert set(ours) == set(theirs)
    assert ours["params"] == theirs["params"]
    for key, expected in theirs.items():
        if key in TIMINGS or key == "params":
            continue
        got = ours[key]
        if key.startswith("param_"):
            assert isinstance(got, np.ma.MaskedArray)
            np.testing.assert_array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(expected))
            assert got.compressed().tolist() == expected.compressed().tolist()
        elif key.startswith("rank"):
            np.testing.assert_array_equal(got, expected)
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_holdout_cv_results_equal_grid_search_cv_with_a_predefined_split(digits):
    X, y, Xv, yv = digits
    grid = [{"C": [0.01, 0.1, 1.0], "kernel": ["linear"]}, {"C": [1.0], "gamma": [0.01, 0.1]}]
    res = fit_grid(SVC(), grid, X, y, Xv, yv, progress=False)
    split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
    gs = GridSearchCV(SVC(), grid, cv=split, refit=False).fit(np.vstack([X, Xv]), np.r_[y, yv])
    assert_same_cv_results(res.cv_results_, gs.cv_results_)


def test_cross_validated_cv_results_equal_grid_search_cv(digits):
    X, y, _, _ = digits
    grid = {"C": [0.01, 0.1, 1.0]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    res = fit_grid(LogisticRegression(max_iter=300), grid, X, y, cv=cv, progress=False)
    gs = GridSearchCV(LogisticRegression(max_iter=300), grid, cv=cv, refit=False).fit(X, y)
    assert_same_cv_results(res.cv_results_, gs.cv_results_)
    assert "split2_test_score" in res.cv_results_


def test_failed_configurations_rank_last_as_in_grid_search_cv(digits):
    X, y, Xv, yv = digits
    grid = {"C": [1.0, -1.0, 0.1]}  # C < 0 fails to fit
    with pytest.warns(Warning):
        res = fit_grid(LogisticRegression(max_iter=300), grid, X, y, Xv, yv, progress=False)
    split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
    with pytest.warns(Warning):
        gs = GridSearchCV(LogisticRegression(max_iter=300), grid, cv=split, refit=False)
        gs.fit(np.vstack([X, Xv]), np.r_[y, yv])
    assert_same_cv_results(res.cv_results_, gs.cv_results_)


def test_a_lower_is_better_metric_ranks_its_lowest_first(digits):
    X, y, Xv, yv = digits
    res = fit_grid(LogisticRegression(max_iter=300), {"C": [0.001, 1.0]}, X, y, Xv, yv,
                   metric="log_loss", progress=False)  # fmt: skip
    results = res.cv_results_
    assert results["rank_test_score"][np.argmin(results["mean_test_score"])] == 1


def test_cv_results_follow_grid_search_cvs_order_and_types(small_digits):
    X, y, Xv, yv = small_digits
    grid = {"penalty": ["l2", None], "C": [0.1, 1.0, 10.0]}  # keys not sorted
    model = LogisticRegression(max_iter=300)
    res = fit_grid(model, grid, X, y, Xv, yv, progress=False)
    theirs = grid_search_cv(model, grid, X, y, Xv, yv).cv_results_
    ours = res.cv_results_
    assert ours["params"] == theirs["params"]
    np.testing.assert_allclose(ours["mean_test_score"], theirs["mean_test_score"])
    np.testing.assert_array_equal(ours["rank_test_score"], theirs["rank_test_score"])
    assert ours["param_C"].dtype == theirs["param_C"].dtype == np.float64
    assert res.table["C"].tolist() == [0.1, 1.0, 10.0, 0.1, 1.0, 10.0]  # the table keeps ours
