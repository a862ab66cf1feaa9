"""Cases a hostile review of this release found: each failed before its fix."""

import functools
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import rv_discrete
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import fbeta_score, make_scorer
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from parsearch import fit_grid, sample_space
from parsearch.results.identity import NotResumable, ResumeMismatch


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400], X[400:600] / 16.0, y[400:600]


def gscv(estimator, grid, X, y, Xv, yv, **kwargs):
    split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
    return GridSearchCV(estimator, grid, cv=split, refit=False, **kwargs).fit(
        np.vstack([X, Xv]), np.r_[y, yv]
    )


def test_a_scorer_of_other_arguments_does_not_reuse_rows(digits, tmp_path):
    X, y, Xv, yv = digits
    b = (y >= 5).astype(int), (yv >= 5).astype(int)
    grid = {"C": [0.01, 1.0]}
    kwargs = dict(out=tmp_path, progress=False, plot=False)
    fit_grid(LogisticRegression(), grid, X, b[0], Xv, b[1],
             metric=make_scorer(fbeta_score, beta=0.1), **kwargs)  # fmt: skip
    with pytest.raises(ResumeMismatch, match="metric"):
        fit_grid(LogisticRegression(), grid, X, b[0], Xv, b[1],
                 metric=make_scorer(fbeta_score, beta=10), **kwargs)  # fmt: skip


def test_a_lambda_metric_is_refused_when_the_search_resumes(digits, tmp_path):
    X, y, Xv, yv = digits
    with pytest.raises(NotResumable, match="the metric"):
        fit_grid(LogisticRegression(), {"C": [1.0]}, X, y, Xv, yv, out=tmp_path,
                 metric=lambda t, p: float(np.mean(t == p)))  # fmt: skip
    partial = functools.partial(fbeta_score, beta=2, average="macro")
    res = fit_grid(LogisticRegression(), {"C": [1.0]}, X, y, Xv, yv, out=tmp_path,
                   metric=partial, progress=False, plot=False)  # fmt: skip
    assert res.best_score > 0.5


def test_scikit_learn_scorers_keep_their_names(digits):
    from sklearn.metrics import get_scorer

    X, y, Xv, yv = digits
    res = fit_grid(LogisticRegression(), {"C": [1.0]}, X, y, Xv, yv,
                   metric=get_scorer("roc_auc_ovr"), progress=False)  # fmt: skip
    assert res.metric == "roc_auc_ovr"


def test_an_estimator_given_as_a_grid_value_is_cloned_for_each_configuration(digits):
    X, y, Xv, yv = digits
    clf = LogisticRegression(max_iter=300)
    pipe = Pipeline([("reduce", "passthrough"), ("clf", clf)])
    grid = {"clf": [clf], "reduce": ["passthrough", PCA(2)]}
    res = fit_grid(pipe, grid, X, y, Xv, yv, progress=False, keep_models="all")
    assert res.best_params["reduce"] == "passthrough"
    assert res.best_model.score(Xv, yv) == pytest.approx(res.best_score)
    assert not hasattr(clf, "coef_")  # the caller's object is never fitted
    assert res.models[0].named_steps["clf"] is not res.models[1].named_steps["clf"]


@pytest.mark.parametrize("metric", ["roc_auc", "average_precision", "top_2_accuracy"])
def test_decision_function_models_are_scored_as_grid_search_cv_scores_them(digits, metric):
    X, y, Xv, yv = digits
    if metric == "roc_auc":
        y, yv = (y >= 5).astype(int), (yv >= 5).astype(int)
    scoring = "top_k_accuracy" if metric == "top_2_accuracy" else metric
    for model in (LinearSVC(), SVC()):
        res = fit_grid(model, {"C": [0.1, 1.0]}, X, y, Xv, yv, metric=metric, progress=False)
        expected = gscv(model, {"C": [0.1, 1.0]}, X, y, Xv, yv, scoring=scoring)
        np.testing.assert_allclose(res.table["score"], expected.cv_results_["mean_test_score"])


def test_a_sub_grid_may_set_parameters_of_the_step_it_puts_in(digits):
    X, y, Xv, yv = digits
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    grid = [
        {"clf": [SVC()], "clf__gamma": ["scale", 0.1]},
        {"clf": [RandomForestClassifier(random_state=0)], "clf__max_depth": [2, 3]},
    ]
    res = fit_grid(pipe, grid, X, y, Xv, yv, progress=False)
    expected = gscv(pipe, grid, X, y, Xv, yv).cv_results_["mean_test_score"]
    np.testing.assert_allclose(res.table["score"], expected)
    with pytest.raises(ValueError, match="Invalid parameter 'clf__gamma'"):
        fit_grid(pipe, {"clf__gamma": [0.1]}, X, y, Xv, yv)


def test_cv_results_follow_grid_search_cvs_order_and_types(digits):
    X, y, Xv, yv = digits
    grid = {"penalty": ["l2", None], "C": [0.1, 1.0, 10.0]}  # keys not sorted
    model = LogisticRegression(max_iter=300)
    res = fit_grid(model, grid, X, y, Xv, yv, progress=False)
    theirs = gscv(model, grid, X, y, Xv, yv).cv_results_
    ours = res.cv_results_
    assert ours["params"] == theirs["params"]
    np.testing.assert_allclose(ours["mean_test_score"], theirs["mean_test_score"])
    np.testing.assert_array_equal(ours["rank_test_score"], theirs["rank_test_score"])
    assert ours["param_C"].dtype == theirs["param_C"].dtype == np.float64
    assert res.table["C"].tolist() == [0.1, 1.0, 10.0, 0.1, 1.0, 10.0]  # the table keeps ours


def test_a_text_frame_without_string_names_reaches_the_pipeline():
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({0: rng.normal(size=200), 1: rng.choice(["a", "b"], size=200)})
    y = (frame[1] == "a").to_numpy().astype(int)
    model = Pipeline([
        ("encode", make_column_transformer((OneHotEncoder(), [1]), remainder="passthrough")),
        ("clf", LogisticRegression()),
    ])  # fmt: skip
    res = fit_grid(model, {"clf__C": [1.0]}, frame[:150], y[:150], frame[150:], y[150:],
                   progress=False)  # fmt: skip
    assert res.best_score > 0.9


def test_scipy_ufuncs_resume(tmp_path):
    code = """
import numpy as np, scipy.special
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import Ridge
from parsearch import fit_grid
rng = np.random.default_rng(0)
X = rng.normal(size=(120, 3)); y = scipy.special.expit(X @ [1.0, -1.0, 0.5])
model = TransformedTargetRegressor(Ridge(), func=scipy.special.logit,
                                   inverse_func=scipy.special.expit)
res = fit_grid(model, {"regressor__alpha": [0.1, 1.0]}, X[:80], y[:80], X[80:], y[80:],
               metric="r2", out=r"OUT", progress=False, plot=False)
print(res.meta["execution"]["reused_rows"])
""".replace("OUT", str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            for _ in range(2)]  # fmt: skip
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr[-2000:]
    assert [r.stdout.split()[-1] for r in runs] == ["0", "2"]


def test_set_valued_grid_values_key_the_same_in_every_process():
    code = "from parsearch.rows import config_key; print(config_key({'s': frozenset('abcdef')}))"
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(keys) == 1 and keys != {""}


def test_discrete_distributions_keep_their_values():
    values = rv_discrete(values=([0.5, 1.5, 2.25], [0.3, 0.3, 0.4]))()
    drawn = {c["a"][0] for c in sample_space({"a": values}, 12, seed=1)}
    assert drawn <= {0.5, 1.5, 2.25} and len(drawn) == 3


def test_a_seed_beyond_64_bits_is_refused_up_front():
    from parsearch.nets.mlp import check_mlp_params

    with pytest.raises(ValueError, match="seed must be an integer in"):
        check_mlp_params({"seed": 2**64})
