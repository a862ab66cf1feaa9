"""Tests of parsearch.metrics: names, directions, callables, and 10-class probability metrics."""

import functools
import warnings

import numpy as np
import pytest
from reference_search import grid_search_cv
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.svm import SVC, LinearSVC

from parsearch import fit_grid
from parsearch.metrics import LABELS, METRIC_NAMES, PROBA, VALUES, Metric, get_metric
from parsearch.rows import Direction

N_TRAIN, N_VAL = 600, 400
MISSING = 3  # the class left out of the validation set


@pytest.fixture(scope="module")
def mnist_split(mnist_small):
    X, y = mnist_small
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN : N_TRAIN + N_VAL], y[N_TRAIN : N_TRAIN + N_VAL]


@pytest.fixture(scope="module")
def logreg(mnist_split):
    """A 10-class logistic regression fitted on 600 real MNIST images."""
    X_train, y_train, _, _ = mnist_split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning does not matter here
        model = LogisticRegression(max_iter=30).fit(X_train, y_train)
    assert model.classes_.tolist() == list(range(10))
    return model


@pytest.fixture(scope="module")
def val_without_one_class(mnist_split):
    _, _, X_val, y_val = mnist_split
    keep = y_val != MISSING
    assert (~keep).sum() > 0
    return X_val[keep], y_val[keep]


# ----------------------------------------------------------------------------------------
# Names and directions
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "resolved", "greater", "response"),
    [
        ("accuracy", "accuracy", True, LABELS),
        ("balanced_accuracy", "balanced_accuracy", True, LABELS),
        ("f1_macro", "f1_macro", True, LABELS),
        ("log_loss", "log_loss", False, PROBA),
        ("neg_log_loss", "neg_log_loss", True, PROBA),
        ("error_rate", "error_rate", False, LABELS),
        ("roc_auc_ovr", "roc_auc_ovr", True, PROBA),
        ("neg_mean_squared_error", "neg_mean_squared_error", True, VALUES),
        ("r2", "r2", True, VALUES),
    ],
)
def test_names_resolve_with_their_direction(name, resolved, greater, response):
    metric = get_metric(name)
    assert isinstance(metric, Metric)
    assert metric.name == resolved
    assert metric.greater_is_better is greater
    assert metric.response == response
    assert metric.direction == (Direction.HIGHER if greater else Direction.LOWER)
    assert metric.label == f"{resolved} ({'higher' if greater else 'lower'} is better)"


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_every_registered_name_resolves_with_a_direction_that_fits_its_name(name):
    metric = get_metric(name)
    assert metric.name == name
    is_loss = "loss" in name or "error" in name
    assert metric.greater_is_better is (not is_loss)


def test_default_metric_is_accuracy():
    assert get_metric().name == "accuracy"


def test_error_rate_is_one_minus_accuracy():
    y_true = np.array([0, 1, 2, 2, 1])
    y_pred = np.array([0, 2, 2, 2, 0])
    err = get_metric("error_rate").score_outputs(y_true, y_pred)
    acc = get_metric("accuracy").score_outputs(y_true, y_pred)
    assert err == pytest.approx(0.4)
    assert acc == pytest.approx(0.6)


def test_unknown_name_lists_valid_names_and_close_matches():
    with pytest.raises(ValueError) as info:
        get_metric("acuracy")
    message = str(info.value)
    assert "'acuracy'" in message
    assert "Did you mean 'accuracy'" in message
    for valid in ("log_loss", "roc_auc_ovr", "f1_macro"):
        assert valid in message


def test_unknown_name_without_close_match():
    with pytest.raises(ValueError) as info:
        get_metric("zzzzzz")
    message = str(info.value)
    assert "Did you mean" not in message
    assert "accuracy" in message
    assert "callable" in message


@pytest.mark.parametrize("metric", [3, ["accuracy"]])
def test_metric_of_the_wrong_type(metric):
    with pytest.raises(TypeError, match="metric must be a metric name or a callable"):
        get_metric(metric)


def test_metric_none_is_the_estimators_own_score():
    from sklearn.linear_model import Ridge

    metric = get_metric(None)
    assert metric.greater_is_better and metric.name == "score"
    X = np.arange(20.0).reshape(10, 2)
    y = X @ [1.0, -2.0]
    model = Ridge().fit(X[:6], y[:6])
    assert metric.score_model(model, X[6:], y[6:]) == model.score(X[6:], y[6:])
    with pytest.raises(ValueError, match="greater is better"):
        get_metric(None, greater_is_better=False)


def test_estimator_metric_calls_the_fitted_model():
    from sklearn.dummy import DummyClassifier

    from parsearch.metrics import estimator_metric

    metric = estimator_metric(lambda est, X, y: float(len(est.classes_) + len(y)), name="n")
    model = DummyClassifier().fit([[0], [1]], [0, 1])
    assert (metric.name, metric.score_model(model, [[0]] * 3, [0] * 3)) == ("n", 5.0)


@pytest.mark.parametrize(
    ("name", "greater"), [("log_loss", True), ("neg_log_loss", False), ("accuracy", False)]
)
def test_greater_is_better_contradicting_a_known_metric(name, greater):
    with pytest.raises(ValueError, match="contradicts"):
        get_metric(name, greater_is_better=greater)


@pytest.mark.parametrize(("name", "greater"), [("log_loss", False), ("accuracy", True)])
def test_greater_is_better_agreeing_with_a_known_metric(name, greater):
    assert get_metric(name, greater_is_better=greater).greater_is_better is greater


# ----------------------------------------------------------------------------------------
# Callables
# ----------------------------------------------------------------------------------------


def my_error(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) != np.asarray(y_pred)))


def my_score(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


class HingeLoss:
    def __call__(self, y_true, y_pred):
        return 0.0


@pytest.mark.parametrize(
    ("func", "name", "greater"),
    [
        (my_error, "my_error", False),
        (my_score, "my_score", True),
        (HingeLoss(), "HingeLoss", False),
        (functools.partial(skm.zero_one_loss, normalize=False), "zero_one_loss", False),
        (functools.partial(skm.fbeta_score, beta=2, average="macro"), "fbeta_score", True),
        (lambda y_true, y_pred: 1.0, "<lambda>", True),
    ],
)
def test_callable_direction_is_inferred_from_its_name(func, name, greater):
    metric = get_metric(func)
    assert metric.name == name
    assert metric.greater_is_better is greater
    assert metric.response == LABELS
    assert metric.func is func


@pytest.mark.parametrize(("func", "greater"), [(my_error, True), (my_score, False)])
def test_callable_with_explicit_direction(func, greater):
    assert get_metric(func, greater_is_better=greater).greater_is_better is greater


def test_callable_scores_predicted_labels(logreg, mnist_split):
    _, _, X_val, y_val = mnist_split
    metric = get_metric(my_error)
    expected = 1.0 - skm.accuracy_score(y_val, logreg.predict(X_val))
    assert metric.score_model(logreg, X_val, y_val) == pytest.approx(expected, abs=1e-12)
    assert 0.0 < expected < 0.5  # a real model on real data, neither perfect nor broken


def one_argument(y_true):
    return 0.0


def keyword_only(y_true, *, y_pred):
    return 0.0


@pytest.mark.parametrize("func", [one_argument, keyword_only, lambda: 0.0])
def test_callable_with_the_wrong_signature_is_rejected(func):
    with pytest.raises(TypeError, match=r"must take \(y_true, y_pred\)"):
        get_metric(func)


def test_callable_taking_varargs_is_accepted():
    assert get_metric(lambda *args: 0.0).name == "<lambda>"


# ----------------------------------------------------------------------------------------
# Scores against scikit-learn, on real 10-class MNIST
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["accuracy", "balanced_accuracy", "f1_macro", "error_rate"])
def test_label_metrics_match_sklearn(logreg, mnist_split, name):
    _, _, X_val, y_val = mnist_split
    reference = {
        "accuracy": skm.accuracy_score,
        "balanced_accuracy": skm.balanced_accuracy_score,
        "f1_macro": functools.partial(skm.f1_score, average="macro"),
        "error_rate": skm.zero_one_loss,
    }[name]
    expected = reference(y_val, logreg.predict(X_val))
    assert get_metric(name).score_model(logreg, X_val, y_val) == pytest.approx(expected, abs=1e-12)


def test_log_loss_matches_sklearn_and_the_definition(logreg, mnist_split):
    _, _, X_val, y_val = mnist_split
    proba = logreg.predict_proba(X_val)
    score = get_metric("log_loss").score_model(logreg, X_val, y_val)
    expected = skm.log_loss(y_val, proba, labels=logreg.classes_)
    assert score == pytest.approx(expected, rel=1e-12)
    by_hand = -np.mean(np.log(proba[np.arange(len(y_val)), y_val]))
    assert score == pytest.approx(by_hand, rel=1e-6)
    assert 0.05 < score < 2.3  # better than chance (log 10)


def test_roc_auc_ovr_matches_sklearn(logreg, mnist_split):
    _, _, X_val, y_val = mnist_split
    proba = logreg.predict_proba(X_val)
    score = get_metric("roc_auc_ovr").score_model(logreg, X_val, y_val)
    expected = skm.roc_auc_score(y_val, proba, multi_class="ovr", labels=logreg.classes_)
    assert score == pytest.approx(expected, rel=1e-12)
    per_class = [skm.roc_auc_score(y_val == c, proba[:, c]) for c in range(10)]
    assert score == pytest.approx(np.mean(per_class), rel=1e-12)
    assert 0.9 < score <= 1.0


def test_top_2_accuracy_matches_sklearn(logreg, mnist_split):
    _, _, X_val, y_val = mnist_split
    proba = logreg.predict_proba(X_val)
    score = get_metric("top_2_accuracy").score_model(logreg, X_val, y_val)
    expected = skm.top_k_accuracy_score(y_val, proba, k=2, labels=logreg.classes_)
    assert score == pytest.approx(expected, abs=1e-12)
    assert score > get_metric("accuracy").score_model(logreg, X_val, y_val)


def test_log_loss_when_the_validation_set_lacks_a_class(logreg, val_without_one_class):
    X_val, y_val = val_without_one_class
    assert MISSING not in y_val
    proba = logreg.predict_proba(X_val)
    # Without the training classes, sklearn cannot tell which column is which class.
    with pytest.raises(ValueError):
        skm.log_loss(y_val, proba)
    score = get_metric("log_loss").score_model(logreg, X_val, y_val)
    assert score == pytest.approx(skm.log_loss(y_val, proba, labels=logreg.classes_), rel=1e-12)
    by_hand = -np.mean(np.log(proba[np.arange(len(y_val)), y_val]))
    assert score == pytest.approx(by_hand, rel=1e-6)


def test_top_2_accuracy_when_the_validation_set_lacks_a_class(logreg, val_without_one_class):
    X_val, y_val = val_without_one_class
    proba = logreg.predict_proba(X_val)
    score = get_metric("top_2_accuracy").score_model(logreg, X_val, y_val)
    top2 = np.argsort(proba, axis=1)[:, -2:]
    assert score == pytest.approx(np.mean([y in row for y, row in zip(y_val, top2)]), abs=1e-12)


def test_roc_auc_ovr_is_finite_when_the_validation_set_lacks_a_class(logreg, val_without_one_class):
    X_val, y_val = val_without_one_class
    proba = logreg.predict_proba(X_val)
    with pytest.raises(ValueError):  # sklearn without labels: 9 classes, 10 columns
        skm.roc_auc_score(y_val, proba, multi_class="ovr")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = get_metric("roc_auc_ovr").score_model(logreg, X_val, y_val)
    assert np.isfinite(score)
    present = [c for c in logreg.classes_ if c != MISSING]
    expected = np.mean([skm.roc_auc_score(y_val == c, proba[:, c]) for c in present])
    assert score == pytest.approx(expected, rel=1e-12)


class FixedProba:
    """A fitted model stand-in with string classes and fixed probabilities."""

    classes_ = np.array(["cat", "dog", "emu"])

    def __init__(self, proba):
        self.proba = np.asarray(proba, dtype=float)

    def predict_proba(self, X):
        return self.proba

    def predict(self, X):
        return self.classes_[self.proba.argmax(axis=1)]


def test_probability_columns_follow_the_model_classes():
    # "dog" never occurs in y: the columns must still be read as cat, dog, emu.
    proba = [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.2, 0.6]]
    y = np.array(["cat", "emu", "cat"])
    score = get_metric("log_loss").score_model(FixedProba(proba), None, y)
    assert score == pytest.approx(-np.mean(np.log([0.7, 0.6, 0.2])), rel=1e-12)


def test_binary_roc_auc_ovr_uses_the_positive_column(mnist_small):
    X, y = mnist_small
    X2, y2 = X[np.isin(y, [4, 9])][:300], y[np.isin(y, [4, 9])][:300]
    model = LogisticRegression(max_iter=50).fit(X2[:200], y2[:200])
    proba = model.predict_proba(X2[200:])
    for name in ("roc_auc_ovr", "roc_auc"):
        score = get_metric(name).score_model(model, X2[200:], y2[200:])
        assert score == pytest.approx(skm.roc_auc_score(y2[200:], proba[:, 1]), rel=1e-12)


@pytest.mark.parametrize(("labels", "positive"), [((0, 1), 1), ((1, 2), 1), ((4, 9), 9)])
def test_binary_average_precision_scores_the_positive_class(mnist_small, labels, positive):
    # scikit-learn's pos_label=1 where 1 is a class (as its scorer), else the greater class.
    X, y = mnist_small
    pick = np.isin(y, [4, 9])
    X2, y2 = X[pick][:300], np.where(y[pick][:300] == 4, labels[0], labels[1])
    model = LogisticRegression(max_iter=50).fit(X2[:200], y2[:200])
    proba = model.predict_proba(X2[200:])
    column = list(model.classes_).index(positive)
    expected = skm.average_precision_score(y2[200:] == positive, proba[:, column])
    score = get_metric("average_precision").score_model(model, X2[200:], y2[200:])
    assert score == pytest.approx(expected, rel=1e-12)
    other = skm.average_precision_score(y2[200:] != positive, proba[:, 1 - column])
    assert abs(expected - other) > 1e-6  # the two classes' summaries differ: a real choice


def test_multiclass_average_precision_with_a_class_missing(
    logreg, mnist_split, val_without_one_class
):
    # scikit-learn's "average_precision" scorer takes decision_function where there is one.
    _, _, X_val, y_val = mnist_split
    full = get_metric("average_precision").score_model(logreg, X_val, y_val)
    assert full == pytest.approx(skm.get_scorer("average_precision")(logreg, X_val, y_val))
    assert full == pytest.approx(
        skm.average_precision_score(y_val, logreg.decision_function(X_val))
    )
    X_val, y_val = val_without_one_class
    proba = logreg.decision_function(X_val)
    score = get_metric("average_precision").score_model(logreg, X_val, y_val)
    present = [c for c in logreg.classes_ if c != MISSING]
    expected = np.mean([skm.average_precision_score(y_val == c, proba[:, c]) for c in present])
    assert score == pytest.approx(expected, rel=1e-12)


def test_binary_top_2_accuracy_is_defined(mnist_small):
    X, y = mnist_small
    pick = np.isin(y, [4, 9])
    model = LogisticRegression(max_iter=50).fit(X[pick][:200], y[pick][:200])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn: k >= n_classes gives a perfect score
        score = get_metric("top_2_accuracy").score_model(model, X[pick][200:300], y[pick][200:300])
    assert score == 1.0


def test_probability_metric_on_a_model_without_predict_proba(mnist_split):
    X_train, y_train, X_val, y_val = mnist_split
    model = SGDClassifier(loss="hinge", max_iter=5, tol=None, random_state=0)
    model.fit(X_train[:200], y_train[:200])
    assert not hasattr(model, "predict_proba")
    with pytest.raises(ValueError) as info:
        get_metric("log_loss").score_model(model, X_val, y_val)
    message = str(info.value)
    assert "'log_loss'" in message
    assert "predict_proba" in message
    assert "SGDClassifier" in message


def test_fast_accuracy_equals_sklearn_exactly():
    from parsearch.metrics import accuracy, error_rate

    rng = np.random.default_rng(0)
    for labels in (np.arange(10), np.array(list("abcdefghij"))):
        y_true = labels[rng.integers(0, 10, 997)]
        y_pred = labels[rng.integers(0, 10, 997)]
        assert accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)
        assert error_rate(y_true, y_pred) == skm.zero_one_loss(y_true, y_pred)


@pytest.fixture(scope="module")
def digits_split():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:500] / 16.0, y[:500], X[500:800] / 16.0, y[500:800]


@pytest.mark.parametrize(
    ("metric", "classes", "message"),
    [
        ("roc_auc", 10, "for two classes, and the labels hold 10; use 'roc_auc_ovr'"),
        ("f1", 10, "for two classes, and the labels hold 10; use 'f1_macro'"),
        ("f1", (2, 3), r"positive class 1, which the labels \[2, 3\]"),
        ("log_loss", "unseen", r"cannot score the validation classes \[9\]"),
        ("top_2_accuracy", "unseen", r"cannot score the validation classes \[9\]"),
        ("roc_auc_ovo", "unseen", r"cannot score the validation classes \[9\]"),
    ],
)
def test_metrics_the_labels_cannot_take_are_refused_before_any_fit(
    digits_split, tmp_path, metric, classes, message
):
    from parsearch import fit_grid

    X, y, Xv, yv = digits_split
    if classes == (2, 3):
        keep, keep_val = np.isin(y, (2, 3)), np.isin(yv, (2, 3))
        X, y, Xv, yv = X[keep], y[keep], Xv[keep_val], yv[keep_val]
    elif classes == "unseen":
        keep = y != 9
        X, y = X[keep], y[keep]
    out = tmp_path / "never"
    with pytest.raises(ValueError, match=message):
        fit_grid(LogisticRegression(), {"C": [1.0]}, X, y, Xv, yv, metric=metric, out=out)
    assert not out.exists()


def test_make_scorer_objects_score_as_in_grid_search_cv(digits_split):
    from sklearn.model_selection import GridSearchCV, PredefinedSplit

    from parsearch import fit_grid

    X, y, Xv, yv = digits_split
    grid = {"C": [0.1, 1.0]}
    for scorer in (
        skm.make_scorer(skm.f1_score, average="macro"),
        skm.make_scorer(skm.log_loss, greater_is_better=False, response_method="predict_proba"),
        skm.get_scorer("neg_log_loss"),
    ):
        res = fit_grid(LogisticRegression(max_iter=300), grid, X, y, Xv, yv, metric=scorer,
                       progress=False)  # fmt: skip
        split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
        gs = GridSearchCV(LogisticRegression(max_iter=300), grid, scoring=scorer, cv=split)
        gs.fit(np.vstack([X, Xv]), np.r_[y, yv])
        np.testing.assert_allclose(res.table["score"], gs.cv_results_["mean_test_score"])
        assert res.greater_is_better and res.best_params == gs.best_params_


def test_a_scorer_is_named_by_its_function_and_sign():
    assert get_metric(skm.make_scorer(skm.f1_score, average="macro")).name == "f1_score"
    scorer = skm.make_scorer(skm.log_loss, greater_is_better=False, response_method="predict_proba")
    assert get_metric(scorer).name == "neg_log_loss"
    with pytest.raises(ValueError, match="greater-is-better"):
        get_metric(scorer, greater_is_better=False)


def test_a_scorer_is_refused_for_network_grids(digits_split):
    pytest.importorskip("torch")
    from parsearch import MLPClassifier, fit_grid

    X, y, Xv, yv = digits_split
    with pytest.raises(ValueError, match="pass the metric's name instead"):
        fit_grid(MLPClassifier(epochs=1), {"lr": [0.1]}, X, y, Xv, yv,
                 metric=skm.get_scorer("accuracy"))  # fmt: skip


# ----------------------------------------------------------------------------------------
# Predictions of another shape or kind, as scikit-learn's scorers take them
# ----------------------------------------------------------------------------------------


class _WrappedPredictions(ClassifierMixin, BaseEstimator):
    """A logistic regression whose ``predict`` returns a column (n, 1) or strings."""

    def __init__(self, C=1.0, as_text=False):
        self.C = C
        self.as_text = as_text

    def fit(self, X, y):
        self.model_ = LogisticRegression(C=self.C, max_iter=300).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        labels = self.model_.predict(X)
        return labels.astype(str) if self.as_text else labels[:, None]


_LABEL_METRICS = [name for name in METRIC_NAMES if get_metric(name).response == LABELS]
#: The scikit-learn function of each named label metric that is not one itself.
_SKLEARN_OF = {"accuracy": skm.accuracy_score, "error_rate": skm.zero_one_loss}


def _split_search(estimator, grid, scoring, X, y, Xv, yv):
    from sklearn.model_selection import GridSearchCV, PredefinedSplit

    split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
    search = GridSearchCV(estimator, grid, scoring=scoring, cv=split, refit=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the failed scores' warnings
        search.fit(np.vstack([X, Xv]), np.r_[y, yv])
    return search.cv_results_["mean_test_score"]


@pytest.mark.parametrize(
    ("metric", "scoring", "sign"),
    [
        ("accuracy", "accuracy", 1),
        ("error_rate", skm.make_scorer(skm.zero_one_loss, greater_is_better=False), -1),
    ],
)
def test_column_predictions_score_as_in_grid_search_cv(digits_split, metric, scoring, sign):
    from parsearch import fit_grid

    X, y, Xv, yv = digits_split
    grid = {"C": [0.1, 1.0]}
    res = fit_grid(_WrappedPredictions(), grid, X, y, Xv, yv, metric=metric, progress=False)
    assert (res.table["status"] == "ok").all()
    expected = sign * _split_search(_WrappedPredictions(), grid, scoring, X, y, Xv, yv)
    np.testing.assert_allclose(res.table["score"], expected)


@pytest.mark.parametrize("metric", ["accuracy", "error_rate"])
def test_string_predictions_of_integer_labels_fail_as_in_grid_search_cv(digits_split, metric):
    from parsearch import fit_grid

    X, y, Xv, yv = digits_split
    grid = {"as_text": [False, True]}
    res = fit_grid(_WrappedPredictions(), grid, X, y, Xv, yv, metric=metric, progress=False)
    expected = _split_search(_WrappedPredictions(), grid, "accuracy", X, y, Xv, yv)
    assert np.isfinite(expected[0]) and np.isnan(expected[1])  # the strings failed to score
    assert res.table["status"].tolist() == ["ok", "failed"]
    error = res.table["error"].iloc[1]
    assert f"Metric '{metric}' cannot score" in error and "Mix of label input types" in error


@pytest.mark.parametrize("name", _LABEL_METRICS)
def test_every_named_label_metric_scores_a_column_as_sklearn_does(name):
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, 300)
    y_pred = np.where(rng.random(300) < 0.15, 1 - y_true, y_true)
    metric = get_metric(name)
    reference = functools.partial(_SKLEARN_OF.get(name, metric.func), **metric.kwargs)
    expected = reference(y_true, y_pred[:, None])
    assert metric.score_outputs(y_true, y_pred[:, None]) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("name", _LABEL_METRICS)
@pytest.mark.parametrize("kind", ["strings", "continuous", "two columns", "other length"], ids=str)
def test_every_named_label_metric_refuses_what_sklearn_refuses(name, kind):
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, 300)
    y_pred = {
        "strings": y_true.astype(str),
        "continuous": y_true + rng.random(300) * 0.5,
        "two columns": np.column_stack([y_true, y_true]),
        "other length": y_true[:-1],
    }[kind]
    metric = get_metric(name)
    with pytest.raises(ValueError):
        functools.partial(_SKLEARN_OF.get(name, metric.func), **metric.kwargs)(y_true, y_pred)
    with pytest.raises(ValueError, match=f"Metric '{name}' cannot score"):
        metric.score_outputs(y_true, y_pred)


def test_string_labels_on_both_sides_are_scored():
    y_true = np.array(["cat", "dog", "dog", "cat"], dtype=object)  # as from a pandas column
    y_pred = np.array(["cat", "dog", "cat", "cat"])
    assert get_metric("accuracy").score_outputs(y_true, y_pred) == 0.75
    assert get_metric("accuracy").score_outputs(y_true, y_pred[:, None]) == 0.75


def test_networks_with_string_labels_score_as_with_their_codes(digits_split):
    pytest.importorskip("torch")
    from parsearch import MLPClassifier, fit_grid

    X, y, Xv, yv = digits_split
    names = np.array(list("abcdefghij"), dtype=object)
    grid = {"lr": [0.05, 0.2]}
    model = MLPClassifier(epochs=2, width=16, seed=0)
    coded = fit_grid(model, grid, X, y, Xv, yv, progress=False)
    named = fit_grid(model, grid, X, names[y], Xv, names[yv], progress=False)
    assert (named.table["status"] == "ok").all()
    np.testing.assert_allclose(named.table["score"], coded.table["score"])


def test_scikit_learn_scorers_keep_their_names(small_digits):
    from sklearn.metrics import get_scorer

    X, y, Xv, yv = small_digits
    res = fit_grid(LogisticRegression(), {"C": [1.0]}, X, y, Xv, yv,
                   metric=get_scorer("roc_auc_ovr"), progress=False)  # fmt: skip
    assert res.metric == "roc_auc_ovr"


@pytest.mark.parametrize("metric", ["roc_auc", "average_precision", "top_2_accuracy"])
def test_decision_function_models_are_scored_as_grid_search_cv_scores_them(small_digits, metric):
    X, y, Xv, yv = small_digits
    if metric == "roc_auc":
        y, yv = (y >= 5).astype(int), (yv >= 5).astype(int)
    scoring = "top_k_accuracy" if metric == "top_2_accuracy" else metric
    for model in (LinearSVC(), SVC()):
        res = fit_grid(model, {"C": [0.1, 1.0]}, X, y, Xv, yv, metric=metric, progress=False)
        expected = grid_search_cv(model, {"C": [0.1, 1.0]}, X, y, Xv, yv, scoring=scoring)
        np.testing.assert_allclose(res.table["score"], expected.cv_results_["mean_test_score"])
