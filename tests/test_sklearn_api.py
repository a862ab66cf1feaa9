"""``parsearch.GridSearchCV``: a drop-in GridSearchCV over fit_grid's phases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV as SkGridSearchCV
from sklearn.model_selection import cross_val_score

from parsearch import GridSearchCV, RandomizedSearchCV


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=8, random_state=0)


def test_scores_ranks_and_best_equal_sklearns(data):
    X, y = data
    grid = {"C": [0.01, 0.1, 1.0], "fit_intercept": [True, False]}
    ours = GridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y)
    theirs = SkGridSearchCV(LogisticRegression(), grid, cv=3).fit(X, y)
    for key in ("mean_test_score", "std_test_score", "rank_test_score", "split2_test_score"):
        np.testing.assert_allclose(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    assert (ours.best_index_, ours.best_params_) == (theirs.best_index_, theirs.best_params_)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, y) == theirs.score(X, y)


def test_out_folder_holds_the_rows_and_a_rerun_resumes(data, tmp_path):
    X, y = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, out=tmp_path)
    search.fit(X, y)
    assert (tmp_path / "scores.csv").is_file()
    again = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, out=tmp_path).fit(X, y)
    assert again.result_.meta["execution"]["reused_rows"] == 2
    np.testing.assert_array_equal(
        again.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )


def test_validation_set_scores_on_it(data):
    X, y = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, validation=(X[:40], y[:40])).fit(
        X[40:], y[40:]
    )
    assert search.n_splits_ == 1
    model = LogisticRegression(C=search.best_params_["C"]).fit(X[40:], y[40:])
    assert search.best_score_ == pytest.approx(model.score(X[:40], y[:40]))


def test_randomized_search_draws_sklearns_candidates(data):
    from scipy.stats import loguniform
    from sklearn.model_selection import RandomizedSearchCV as SkRandomized

    X, y = data
    space = {"C": loguniform(1e-3, 1e2)}
    ours = RandomizedSearchCV(LogisticRegression(), space, n_iter=4, random_state=0, cv=3)
    theirs = SkRandomized(LogisticRegression(), space, n_iter=4, random_state=0, cv=3)
    ours.fit(X, y)
    theirs.fit(X, y)
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    np.testing.assert_allclose(
        ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"]
    )


def test_nested_cross_validation_trains_each_inner_grid_fused(data, monkeypatch):
    """cross_val_score over the search: every inner fold of every outer fold trains the
    whole grid (4 configurations) as one live fused run, counted at LiveRun.start (each
    run says how many models it holds)."""
    pytest.importorskip("torch")
    from parsearch import MLPClassifier
    from parsearch.fused import live

    X, y = data
    X = X.astype(np.float32)
    runs = []
    start = live.LiveRun.start.__func__

    def counted(cls, models, run_data):
        runs.append(models.n_models)
        return start(cls, models, run_data)

    monkeypatch.setattr(live.LiveRun, "start", classmethod(counted))
    search = GridSearchCV(
        MLPClassifier(epochs=1, batch_size=32, device="cpu"),
        {"lr": [0.01, 0.1], "width": [8, 16]},
        cv=2,
    )
    scores = cross_val_score(search, X, y, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    # each outer fold: its 2 inner folds one run of the 4 models each, then the refit of
    # the best alone; never a run per configuration
    assert runs == [4, 4, 1] * 3, runs


def test_train_scores_equal_sklearns(data):
    X, y = data
    grid = {"C": [0.01, 1.0]}
    ours = GridSearchCV(LogisticRegression(), grid, cv=3, return_train_score=True).fit(X, y)
    theirs = SkGridSearchCV(LogisticRegression(), grid, cv=3, return_train_score=True).fit(X, y)
    for key in ("split0_train_score", "mean_train_score", "std_train_score"):
        np.testing.assert_allclose(ours.cv_results_[key], theirs.cv_results_[key])
    assert list(ours.cv_results_) == list(theirs.cv_results_)  # the keys, in their order
    assert ours.result_.table["train_scores"].map(len).tolist() == [3, 3]


def test_train_scores_of_a_fused_grid_are_refused(data):
    pytest.importorskip("torch")
    from parsearch import MLPClassifier, fit_grid

    X, y = data
    with pytest.raises(ValueError, match="return_train_score"):
        fit_grid(MLPClassifier(epochs=1), {"lr": [0.1]}, X, y, return_train_score=True)


def test_nan_scores_warn_once_as_sklearn_does(data):
    X, y = data
    calls = []

    def sometimes_nan(estimator, X_, y_):
        calls.append(1)
        return np.nan if len(calls) == 2 else estimator.score(X_, y_)

    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, scoring=sometimes_nan)
    with pytest.warns(UserWarning, match="One or more of the test scores are non-finite"):
        search.fit(X, y)
    assert np.isnan(search.cv_results_["mean_test_score"][0])
    assert search.best_index_ == 1


class FailsOnBigC(LogisticRegression):
    """A LogisticRegression whose fit raises for C > 5."""

    def fit(self, X, y):
        if self.C > 5:
            raise ValueError("C too big")
        return super().fit(X, y)


@pytest.mark.parametrize("error_score", [0.0, np.nan])
def test_error_score_scores_failed_fits_as_sklearn_does(data, error_score):
    from sklearn.exceptions import FitFailedWarning

    X, y = data
    grid = {"C": [0.1, 10.0]}
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 6"):
        ours = GridSearchCV(FailsOnBigC(), grid, cv=3, error_score=error_score).fit(X, y)
    with pytest.warns(FitFailedWarning):
        theirs = SkGridSearchCV(FailsOnBigC(), grid, cv=3, error_score=error_score).fit(X, y)
    for key in ("split1_test_score", "mean_test_score", "rank_test_score"):
        np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.best_index_ == theirs.best_index_ == 0
    assert ours.result_.table["status"].tolist() == ["ok", "failed"]


def test_error_score_raise_and_every_fit_failing(data):
    X, y = data
    with pytest.raises(ValueError, match="C too big"):
        GridSearchCV(FailsOnBigC(), {"C": [0.1, 10.0]}, cv=3, error_score="raise").fit(X, y)
    with pytest.raises(ValueError, match="All the 6 fits failed"):
        GridSearchCV(FailsOnBigC(), {"C": [10.0, 20.0]}, cv=3).fit(X, y)


def test_fit_grid_keeps_its_own_failure_handling_by_default(data):
    from sklearn.exceptions import FitFailedWarning

    from parsearch import fit_grid

    X, y = data
    with pytest.warns(FitFailedWarning, match="C too big"):
        result = fit_grid(FailsOnBigC(), {"C": [0.1, 10.0]}, X, y, cv=3, progress=False)
    assert np.isnan(result.table["score"][1])
    with pytest.raises(RuntimeError, match="All 1 configurations failed"):
        fit_grid(FailsOnBigC(), {"C": [10.0]}, X, y, cv=3, progress=False)


def test_sample_weight_reaches_each_fit_and_score_as_in_sklearn(data):
    X, y = data
    weights = np.random.default_rng(0).integers(1, 5, len(y)).astype(float)
    grid = {"C": [0.01, 1.0]}
    for scoring in (None, "accuracy", "roc_auc"):
        ours = GridSearchCV(LogisticRegression(), grid, cv=3, scoring=scoring)
        theirs = SkGridSearchCV(LogisticRegression(), grid, cv=3, scoring=scoring)
        ours.fit(X, y, sample_weight=weights)
        theirs.fit(X, y, sample_weight=weights)
        np.testing.assert_allclose(
            ours.cv_results_["mean_test_score"], theirs.cv_results_["mean_test_score"]
        )
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))


def test_fit_params_are_cut_per_fold_or_passed_whole():
    from parsearch.execute.tasks import split_params

    weights, rows = np.arange(6.0), np.array([1, 4])
    early = (np.zeros((2, 3)), np.zeros(2))
    cut = split_params(
        {"sample_weight": weights, "eval_set": early, "n": 6, "w": list("abcdef")}, rows, 6
    )
    np.testing.assert_array_equal(cut["sample_weight"], [1.0, 4.0])
    assert cut["eval_set"] is early and cut["n"] == 6 and cut["w"] == ["b", "e"]
    assert split_params({"sample_weight": weights}, None, 6)["sample_weight"] is weights
    assert split_params(None, rows, 6) == {}


@pytest.mark.parametrize(
    "scoring", [["accuracy", "recall"], {"accuracy": "accuracy", "recall": "recall"}]
)
def test_several_metrics_equal_sklearns(data, scoring):
    X, y = data
    grid = {"C": [0.01, 0.1, 1.0]}
    ours = GridSearchCV(LogisticRegression(), grid, cv=3, scoring=scoring, refit="recall")
    theirs = SkGridSearchCV(LogisticRegression(), grid, cv=3, scoring=scoring, refit="recall")
    ours.fit(X, y)
    theirs.fit(X, y)
    for key in theirs.cv_results_:
        if "time" not in key and key != "params" and not key.startswith("param_"):
            np.testing.assert_allclose(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.multimetric_ and ours.best_index_ == theirs.best_index_
    assert ours.best_score_ == pytest.approx(theirs.best_score_)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y))
    assert ours.result_.table["metric"][0] == "recall"  # fit_grid ranked by refit's


def test_a_scorer_returning_a_dict_is_several_metrics(data):
    X, y = data

    def two(est, X_, y_):
        return {"acc": est.score(X_, y_), "half": est.score(X_, y_) / 2}

    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, scoring=two, refit="half")
    search.fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_half"], search.cv_results_["mean_test_acc"] / 2
    )
    with pytest.raises(ValueError, match="refit must be set to a scorer key"):
        GridSearchCV(LogisticRegression(), {"C": [0.1]}, cv=3, scoring=two, refit="x").fit(X, y)


def test_verbose_prints_each_split_and_score_refuses_unrouted_params(data, capsys):
    X, y = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.1]}, cv=3, verbose=3).fit(X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if "[CV" in line]
    assert len(lines) == 3 and lines[0].startswith("[CV 1/3] END C=0.1;, score=")
    with pytest.raises(ValueError, match="is only supported if enable_metadata_routing"):
        search.score(X, y, sample_weight=np.ones(len(y)))


def test_html_view_shows_the_best_estimator(data):
    X, y = data
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 5.0]}, cv=3)
    assert "estimator: LogisticRegression" in search._repr_html_()
    search.fit(X, y)
    assert "best_estimator_: LogisticRegression" in search._repr_html_()


def test_data_reaches_the_estimator_as_given(data):
    """A list stays a list, a Series a Series, in every fold's fit and score."""
    import pandas as pd
    from sklearn.utils._mocking import CheckingClassifier

    X, y = data
    seen = []

    def is_list(x):
        seen.append(type(x))
        return isinstance(x, list)

    clf = CheckingClassifier(check_X=is_list, methods_to_check=["fit"])
    GridSearchCV(clf, {"foo_param": [1, 2]}, cv=3).fit(X.tolist(), y)
    assert seen and set(seen) == {list}
    series = CheckingClassifier(check_y=lambda v: isinstance(v, pd.Series))
    GridSearchCV(series, {"foo_param": [1]}, cv=3).fit(X, pd.Series(y))


def test_an_unsupervised_fit_without_y_points_to_scikit_learns_search():
    from sklearn.cluster import KMeans

    X, _ = make_classification(60, 4, random_state=0)
    search = GridSearchCV(KMeans(n_init=2), {"n_clusters": [2, 3]}, cv=3)
    with pytest.raises(ValueError, match=r"GridSearchCV.fit needs y.*sklearn.model_selection"):
        search.fit(X)
