"""fit_grid leaves the data to the estimator, as GridSearchCV does: NaN, text columns."""

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from parsearch import fit_grid
from parsearch.checks import accepts_nan


@pytest.fixture(scope="module")
def digits_with_holes():
    """Digits with a tenth of the pixels missing (NaN), split 600 / 300."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X[:900] / 16.0
    holes = np.random.default_rng(0).random(X.shape) < 0.1
    X[holes] = np.nan
    return X[:600], y[:600], X[600:], y[600:900]


def grid_search_cv_scores(estimator, grid, X, y, Xv, yv):
    split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
    gs = GridSearchCV(estimator, grid, cv=split, refit=False)
    gs.fit(np.concatenate([X, Xv]), np.r_[y, yv])
    return gs.cv_results_["mean_test_score"]


@pytest.mark.parametrize(
    ("estimator", "grid"),
    [
        (make_pipeline(SimpleImputer(), LogisticRegression(max_iter=500)),
         {"logisticregression__C": [0.1, 1.0]}),
        (HistGradientBoostingClassifier(max_iter=20, random_state=0),
         {"learning_rate": [0.1, 0.3]}),
    ],
)  # fmt: skip
def test_nan_tolerant_estimators_are_searched_as_grid_search_cv_searches_them(
    digits_with_holes, estimator, grid
):
    X, y, Xv, yv = digits_with_holes
    res = fit_grid(estimator, grid, X, y, Xv, yv, progress=False)
    assert (res.table["status"] == "ok").all()
    expected = grid_search_cv_scores(estimator, grid, X, y, Xv, yv)
    np.testing.assert_allclose(res.table["score"], expected)


def test_an_estimator_that_refuses_nan_gets_one_error_up_front(digits_with_holes, tmp_path):
    X, y, Xv, yv = digits_with_holes
    out = tmp_path / "never"
    with pytest.raises(ValueError, match="which this estimator does not take; impute"):
        fit_grid(LogisticRegression(), {"C": [0.1, 1.0]}, X, y, Xv, yv, out=out)
    assert not out.exists()


def test_a_text_column_is_left_to_the_pipeline_that_encodes_it():
    rng = np.random.default_rng(0)
    colours = rng.choice(["red", "green", "blue"], size=(400, 1))
    y = (colours[:, 0] == "red").astype(int) ^ (rng.random(400) < 0.1)
    model = make_pipeline(OneHotEncoder(), LogisticRegression())
    grid = {"logisticregression__C": [0.01, 1.0]}
    res = fit_grid(model, grid, colours[:300], y[:300], colours[300:], y[300:], progress=False)
    expected = grid_search_cv_scores(model, grid, colours[:300], y[:300], colours[300:], y[300:])
    np.testing.assert_allclose(res.table["score"], expected)


def test_accepts_nan_reads_the_tags_and_a_pipelines_first_step():
    assert accepts_nan(HistGradientBoostingClassifier())
    assert not accepts_nan(LogisticRegression())
    assert accepts_nan(make_pipeline(SimpleImputer(), LogisticRegression()))
    assert not accepts_nan(make_pipeline(LogisticRegression()))
