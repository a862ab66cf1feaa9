"""Every metric name fit_grid accepts gives GridSearchCV's score on the same split."""

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, PredefinedSplit

from parsearch import fit_grid
from parsearch.metrics import METRIC_NAMES, REGRESSION_METRICS, get_metric

DECISION_FIRST = ("decision_function", "predict_proba")

#: Our name -> (GridSearchCV's scoring, factor): fit_grid's score == factor * GridSearchCV's.
#: Names scikit-learn has a scorer for map to it; our positive losses to the negated scorer.
SKLEARN = {
    "accuracy": ("accuracy", 1),
    "balanced_accuracy": ("balanced_accuracy", 1),
    "zero_one_loss": (skm.make_scorer(skm.zero_one_loss), 1),
    "f1_macro": ("f1_macro", 1),
    "f1_micro": ("f1_micro", 1),
    "f1_weighted": ("f1_weighted", 1),
    "f1": ("f1", 1),
    "precision_macro": ("precision_macro", 1),
    "precision_micro": ("precision_micro", 1),
    "precision_weighted": ("precision_weighted", 1),
    "precision": ("precision", 1),
    "recall_macro": ("recall_macro", 1),
    "recall_micro": ("recall_micro", 1),
    "recall_weighted": ("recall_weighted", 1),
    "recall": ("recall", 1),
    "jaccard_macro": ("jaccard_macro", 1),
    "jaccard_micro": ("jaccard_micro", 1),
    "jaccard_weighted": ("jaccard_weighted", 1),
    "jaccard": ("jaccard", 1),
    "matthews_corrcoef": ("matthews_corrcoef", 1),
    "cohen_kappa": (skm.make_scorer(skm.cohen_kappa_score), 1),
    "log_loss": ("neg_log_loss", -1),
    "neg_log_loss": ("neg_log_loss", 1),
    "roc_auc_ovr": ("roc_auc_ovr", 1),
    "roc_auc_ovo": ("roc_auc_ovo", 1),
    "roc_auc_ovr_weighted": ("roc_auc_ovr_weighted", 1),
    "roc_auc": ("roc_auc", 1),
    "average_precision": ("average_precision", 1),
    "top_2_accuracy": ("top_k_accuracy", 1),
    "top_3_accuracy": (
        skm.make_scorer(skm.top_k_accuracy_score, k=3, response_method=DECISION_FIRST),
        1,
    ),
    "r2": ("r2", 1),
    "mean_squared_error": ("neg_mean_squared_error", -1),
    "neg_mean_squared_error": ("neg_mean_squared_error", 1),
    "root_mean_squared_error": ("neg_root_mean_squared_error", -1),
    "neg_root_mean_squared_error": ("neg_root_mean_squared_error", 1),
    "mean_absolute_error": ("neg_mean_absolute_error", -1),
    "neg_mean_absolute_error": ("neg_mean_absolute_error", 1),
}
TWO_CLASSES_ONLY = ("f1", "precision", "recall", "jaccard", "roc_auc")


def test_the_table_covers_every_name():
    accepted = set(METRIC_NAMES) - {"error_rate"}  # 1 - accuracy, which has no scorer
    assert accepted <= set(SKLEARN)
    for name in SKLEARN:
        get_metric(name)  # every name here is one fit_grid accepts


def grid_search_cv(estimator, grid, scoring, X, y, Xv, yv):
    split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
    gs = GridSearchCV(estimator, grid, scoring=scoring, cv=split, refit=False)
    gs.fit(np.concatenate([X, Xv]), np.r_[y, yv])
    return gs.cv_results_["mean_test_score"]


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:700] / 16.0, y[:700], X[700:1100] / 16.0, y[700:1100]


@pytest.mark.parametrize("classes", ["binary", "ten"])
@pytest.mark.parametrize(
    "name", [n for n in SKLEARN if n not in REGRESSION_METRICS and "squared" not in n
             and "absolute" not in n and n != "r2"],
)  # fmt: skip
def test_classification_metric_equals_grid_search_cv(digits, classes, name):
    X, y, Xv, yv = digits
    if classes == "binary":
        y, yv = (y >= 5).astype(int), (yv >= 5).astype(int)
    elif name in TWO_CLASSES_ONLY:
        pytest.skip(f"{name} is for two classes (refused up front for ten)")
    scoring, factor = SKLEARN[name]
    model, grid = LogisticRegression(max_iter=500), {"C": [0.05, 1.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # top-k with k >= classes warns, in both
        res = fit_grid(model, grid, X, y, Xv, yv, metric=name, progress=False)
        expected = grid_search_cv(model, grid, scoring, X, y, Xv, yv)
    np.testing.assert_allclose(res.table["score"], factor * expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "name", ["r2", "mean_squared_error", "neg_mean_squared_error", "root_mean_squared_error",
             "neg_root_mean_squared_error", "mean_absolute_error", "neg_mean_absolute_error"],
)  # fmt: skip
def test_regression_metric_equals_grid_search_cv(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = X @ rng.normal(size=5) + rng.normal(size=300)
    scoring, factor = SKLEARN[name]
    grid = {"alpha": [0.1, 10.0]}
    res = fit_grid(Ridge(), grid, X[:200], y[:200], X[200:], y[200:], metric=name,
                   progress=False)  # fmt: skip
    expected = grid_search_cv(Ridge(), grid, scoring, X[:200], y[:200], X[200:], y[200:])
    np.testing.assert_allclose(res.table["score"], factor * expected, rtol=1e-10)
    assert res.greater_is_better == (name == "r2" or name.startswith("neg_"))


def test_neg_names_keep_scikit_learns_sign(digits):
    X, y, Xv, yv = digits
    res = fit_grid(LogisticRegression(max_iter=500), {"C": [0.05, 1.0]}, X, y, Xv, yv,
                   metric="neg_log_loss", progress=False)  # fmt: skip
    assert (res.table["score"] < 0).all() and res.greater_is_better
    assert res.best_score == res.table["score"].max()
    assert (res.table["direction"] == "higher_is_better").all()


@pytest.mark.parametrize("name", ["accuracy", "log_loss", "neg_log_loss", "roc_auc_ovr",
                                  "average_precision", "top_2_accuracy", "f1_macro"])  # fmt: skip
def test_fused_scores_equal_the_scorer_on_the_standalone_network(digits, name):
    pytest.importorskip("torch")
    from parsearch import MLPClassifier

    X, y, Xv, yv = digits
    grid = {"lr": [0.05, 0.2], "width": [16, 32]}
    base = MLPClassifier(epochs=2, device="cpu", dtype="float64")
    res = fit_grid(base, grid, X, y, Xv, yv, metric=name, progress=False)
    scoring, factor = SKLEARN[name]
    for config, score in zip(res.table[["lr", "width"]].to_dict("records"), res.table["score"]):
        net = MLPClassifier(epochs=2, device="cpu", dtype="float64", **config).fit(X, y)
        expected = factor * skm.get_scorer(scoring)(net, Xv, yv)
        assert score == pytest.approx(expected, rel=1e-9, abs=1e-12)
