"""Bad arguments that fit_grid refuses before any fit (parsearch.search.setup and the checks
it calls), from a hostile review: each with its own clear message."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from parsearch import MLPClassifier, fit_grid, sample_space
from parsearch.report.render import _e

QUIET = {"plot": False, "progress": False}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = X[:400] / 16
    return X[:300], y[:300], X[300:400], y[300:400]


@pytest.fixture(scope="module")
def rare_class(digits):
    """The training data with a class of one sample: some folds' training parts lack it."""
    X, y, _, _ = digits
    y = y.copy()
    y[0] = 10
    return X, y


class CountingLogReg(LogisticRegression):
    """A logistic regression that counts its fits (none may start on refused input)."""

    fits = 0

    def fit(self, X, y, **kwargs):
        type(self).fits += 1
        return super().fit(X, y, **kwargs)


@pytest.fixture
def counting():
    CountingLogReg.fits = 0
    yield CountingLogReg
    assert CountingLogReg.fits == 0, "a fit ran before the refusal"


@pytest.mark.parametrize("value", ["False", 0, 1, "yes", [True]])
def test_greater_is_better_must_be_a_bool(digits, counting, value):
    def my_score(y_true, y_pred):
        return float(np.mean(y_true == y_pred))

    with pytest.raises(TypeError, match="greater_is_better must be True, False or None"):
        fit_grid(counting(), {"C": [0.1, 1.0]}, *digits, metric=my_score,
                 greater_is_better=value, **QUIET)  # fmt: skip


def test_a_numpy_bool_is_a_bool(digits):
    def my_loss(y_true, y_pred):
        return float(np.mean(y_true != y_pred))

    res = fit_grid(LogisticRegression(max_iter=300), {"C": [0.01, 1.0]}, *digits,
                   metric=my_loss, greater_is_better=np.False_, **QUIET)  # fmt: skip
    assert res.table["direction"].tolist() == ["lower_is_better"] * 2
    assert res.best_score == res.table["score"].min()


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ("a", TypeError, "random_state must be None or an int seed"),
        (1.5, TypeError, "random_state must be None or an int seed"),
        (True, TypeError, "random_state must be None or an int seed"),
        (np.random.RandomState(0), TypeError, "RandomState or Generator object"),
        (-1, ValueError, r"random_state must be in \[0, 2\*\*32\)"),
        (2**32, ValueError, r"random_state must be in \[0, 2\*\*32\)"),
    ],
)
def test_random_state_must_be_an_int_seed(digits, counting, value, error, match):
    with pytest.raises(error, match=match):
        fit_grid(counting(), {"C": [0.1, 1.0]}, *digits, random_state=value, **QUIET)


def test_a_numpy_int_seed_is_a_seed(digits, tmp_path):
    res = fit_grid(LogisticRegression(max_iter=300), {"C": [0.1]}, *digits,
                   random_state=np.int64(3), out=tmp_path / "r", **QUIET)  # fmt: skip
    assert res.table["status"].tolist() == ["ok"]


def test_a_parameter_named_as_a_result_column_says_how_to_tune_it(digits):
    with pytest.raises(ValueError, match="kneighborsclassifier__metric"):
        fit_grid(KNeighborsClassifier(), {"metric": ["euclidean", "manhattan"]}, *digits, **QUIET)
    res = fit_grid(make_pipeline(KNeighborsClassifier()),
                   {"kneighborsclassifier__metric": ["euclidean", "manhattan"]}, *digits,
                   **QUIET)  # fmt: skip
    assert res.table["status"].tolist() == ["ok", "ok"]


def test_validation_columns_in_another_order_are_refused(digits, counting):
    X, y, Xv, yv = digits
    cols = [f"px{i}" for i in range(X.shape[1])]
    train, val = pd.DataFrame(X, columns=cols), pd.DataFrame(Xv, columns=cols)
    with pytest.raises(ValueError, match=r"same columns in another order.*X_val\[X_train"):
        fit_grid(counting(), {"C": [0.1]}, train, y, val.iloc[:, ::-1], yv, **QUIET)
    renamed = val.rename(columns={"px3": "pixel3"})
    with pytest.raises(ValueError, match=r"X_val lacks \['px3'\] and has \['pixel3'\]"):
        fit_grid(counting(), {"C": [0.1]}, train, y, renamed, yv, **QUIET)


def test_the_same_columns_in_the_same_order_are_fine(digits):
    X, y, Xv, yv = digits
    cols = [f"px{i}" for i in range(X.shape[1])]
    res = fit_grid(LogisticRegression(max_iter=300), {"C": [0.1]}, pd.DataFrame(X, columns=cols),
                   y, pd.DataFrame(Xv, columns=cols), yv, **QUIET)  # fmt: skip
    assert res.table["status"].tolist() == ["ok"]


def test_roc_auc_on_a_validation_set_of_one_class_is_refused(digits, counting):
    X, y, Xv, yv = digits
    yb, yvb = (y > 4).astype(int), (yv > 4).astype(int)
    one = yvb == 1
    with pytest.raises(ValueError, match="undefined on validation labels of one class"):
        fit_grid(counting(), {"C": [0.1]}, X, yb, Xv[one], yvb[one], metric="roc_auc", **QUIET)


@pytest.mark.parametrize("metric", ["log_loss", "neg_log_loss", "top_2_accuracy"])
def test_a_fold_whose_training_part_lacks_a_class_is_refused_for_probability_metrics(
    rare_class, counting, metric
):
    X, y = rare_class
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # StratifiedKFold: the least populated class
        with pytest.raises(ValueError, match=r"In fold \d of the cv: .*validation classes \[10\]"):
            fit_grid(counting(), {"C": [0.1]}, X, y, metric=metric,
                     cv=StratifiedKFold(3), **QUIET)  # fmt: skip


def test_label_metrics_score_such_folds(rare_class):
    X, y = rare_class
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(LogisticRegression(max_iter=300), {"C": [0.1]}, X, y, cv=3, **QUIET)
    assert res.table["status"].tolist() == ["ok"]


def test_networks_refuse_such_folds_too(rare_class):
    X, y = rare_class
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"In fold \d of the cv"):
            fit_grid(MLPClassifier(epochs=1), {"width": [16]}, X, y, metric="log_loss", cv=3,
                     **QUIET)  # fmt: skip


def test_an_unfrozen_discrete_distribution_gives_integers():
    dist = stats.rv_discrete(values=([1, 5, 10], [0.2, 0.5, 0.3]))
    with pytest.warns(UserWarning, match="more than once"):
        values = [g["a"][0] for g in sample_space({"a": dist}, 12, method="random")]
    assert {type(v) for v in values} == {int} and set(values) <= {1, 5, 10}


def test_a_distribution_that_needs_its_parameters_says_to_freeze_it():
    with pytest.raises(TypeError, match=r"'lr'.*loguniform.*freeze it with its parameters"):
        sample_space({"lr": stats.loguniform}, 4)


def test_the_report_escapes_control_characters_but_keeps_line_breaks():
    text = _e("a\x1bb\x00c<d\n\te\u202e\udcff")
    assert text == "a\\x1bb\\x00c&lt;d\n\te\\u202e\\udcff"
    text.encode("utf-8")  # writable


def test_an_int_and_a_float_listed_together_say_how_to_keep_both(digits):
    from sklearn.tree import DecisionTreeClassifier

    with pytest.raises(ValueError, match=r"two sub-grids: \[\{'max_features': \[1\]\}"):
        fit_grid(DecisionTreeClassifier(), {"max_features": [1, 1.0]}, *digits, **QUIET)
    grid = [{"max_features": [1]}, {"max_features": [1.0]}]
    res = fit_grid(DecisionTreeClassifier(random_state=0), grid, *digits, **QUIET)
    assert res.table["config_key"].tolist() == ['{"max_features": 1}', '{"max_features": 1.0}']


@pytest.mark.parametrize("engine", ["auto", "per_config"])
def test_a_network_of_a_fold_has_that_folds_training_classes(rare_class, engine):
    from sklearn.model_selection import cross_val_score

    X, y = rare_class  # two of the three folds train without the rare class
    net = MLPClassifier(epochs=1, lr=0.1, width=24, dtype="float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(net, {"width": [24, 40]}, X, y, cv=3, engine=engine, **QUIET)
        for width, folds in zip([24, 40], res.table["fold_scores"]):
            alone = cross_val_score(net.set_params(width=width), X, y, cv=StratifiedKFold(3))
            np.testing.assert_allclose(folds, alone, rtol=0, atol=1e-12)


def my_score(y_true, y_pred):
    """A module-level metric (a folder's rows must be found again by another process)."""
    return float(np.mean(y_true == y_pred))


def test_a_rerun_that_flips_a_callables_direction_is_refused(digits, tmp_path):
    from parsearch.results.identity import ResumeMismatch

    out = tmp_path / "r"
    model = LogisticRegression(max_iter=300)
    fit_grid(model, {"C": [0.1, 1.0]}, *digits, metric=my_score, out=out, **QUIET)
    before = (out / "scores.csv").read_bytes()
    with pytest.raises(ResumeMismatch, match=r"higher_is_better.*greater_is_better=False"):
        fit_grid(model, {"C": [0.1, 1.0, 10.0]}, *digits, metric=my_score,
                 greater_is_better=False, out=out, **QUIET)  # fmt: skip
    assert (out / "scores.csv").read_bytes() == before
    res = fit_grid(model, {"C": [0.1, 1.0, 10.0]}, *digits, metric=my_score, out=out, **QUIET)
    assert res.table["direction"].tolist() == ["higher_is_better"] * 3


def test_a_parameter_the_replacing_step_lacks_is_refused_before_any_fit(digits):
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    pipe = Pipeline([("clf", SVC())])
    grid = {"clf": [SVC(), CountingLogReg()], "clf__gamma": [0.1]}
    CountingLogReg.fits = 0
    with pytest.raises(ValueError, match=r"'gamma' for the step 'clf'.*CountingLogReg"):
        fit_grid(pipe, grid, *digits, **QUIET)
    assert CountingLogReg.fits == 0
    ok = [{"clf": [SVC()], "clf__gamma": [0.1]}, {"clf": [LogisticRegression()], "clf__C": [1.0]}]
    res = fit_grid(pipe, ok, *digits, **QUIET)
    assert res.table["status"].tolist() == ["ok", "ok"]


@pytest.mark.parametrize("cv", [3, StratifiedKFold(4), None])
def test_a_cv_that_a_validation_set_leaves_unused_is_warned_of(digits, cv):
    with pytest.warns(UserWarning, match=r"cv=.* is not used: a validation set"):
        res = fit_grid(LogisticRegression(max_iter=300), {"C": [0.1]}, *digits, cv=cv, **QUIET)
    assert "fold_scores" not in res.table.columns  # scored on the validation set


def test_the_default_cv_with_a_validation_set_says_nothing(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_grid(LogisticRegression(max_iter=300), {"C": [0.1]}, *digits, **QUIET)
