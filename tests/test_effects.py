"""Tests of parsearch.effects: grid parameters that some configurations ignore."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_regressor
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import Perceptron, SGDClassifier, SGDRegressor
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from parsearch.effects import RULES, find_ignored
from parsearch.grid import expand_grid

_LBFGS = {"solver": "lbfgs", "max_iter": 30}
_SGD = {"solver": "sgd", "max_iter": 8}
_ADAM = {"solver": "adam", "max_iter": 8}

#: One real estimator per rule: (estimator, parameter, two of its values, the settings
#: under which the rule says it is ignored, settings under which it is used).
CASES = [
    (SGDClassifier(max_iter=5, tol=None, random_state=0), "eta0", (0.001, 0.5),
     {"learning_rate": "optimal"}, {"learning_rate": "constant"}),
    (SGDRegressor(max_iter=5, tol=None, random_state=0), "power_t", (0.1, 0.9),
     {"learning_rate": "constant"}, {"learning_rate": "invscaling"}),
    (SGDClassifier(max_iter=5, tol=None, random_state=0), "l1_ratio", (0.1, 0.9),
     {"penalty": "l2", "alpha": 0.01}, {"penalty": "elasticnet", "alpha": 0.01}),
    (SVC(), "gamma", (0.01, 1.0), {"kernel": "linear"}, {"kernel": "rbf"}),
    (SVC(), "degree", (2, 5), {"kernel": "rbf"}, {"kernel": "poly"}),
    (SVC(), "coef0", (0.0, 2.0), {"kernel": "rbf"}, {"kernel": "sigmoid"}),
    (SkMLP((16,), random_state=0), "momentum", (0.1, 0.9), _ADAM, _SGD),
    (SkMLP((16,), random_state=0), "learning_rate", ("constant", "invscaling"), _ADAM, _SGD),
    (SkMLP((16,), random_state=0), "nesterovs_momentum", (True, False),
     {**_SGD, "momentum": 0.0}, {**_SGD, "momentum": 0.9}),
    (SkMLP((16,), random_state=0), "power_t", (0.1, 0.9),
     {**_SGD, "learning_rate": "constant"}, {**_SGD, "learning_rate": "invscaling"}),
    (SkMLP((16,), random_state=0), "beta_1", (0.5, 0.9), _SGD, _ADAM),
    (SkMLP((16,), random_state=0), "beta_2", (0.9, 0.999), _SGD, _ADAM),
    (SkMLP((16,), random_state=0), "epsilon", (1e-8, 1e-1), _SGD, _ADAM),
    (SkMLP((16,), random_state=0), "learning_rate_init", (1e-3, 1e-1), _LBFGS, _ADAM),
    (SkMLP((16,), random_state=0), "batch_size", (16, 64), _LBFGS, _ADAM),
    (SkMLP((16,), random_state=0), "shuffle", (True, False), _LBFGS, _ADAM),
    (SkMLP((16,), random_state=0, tol=0.5), "n_iter_no_change", (1, 10), _LBFGS, _ADAM),
    (SkMLP((16,), random_state=0), "max_fun", (5, 50), _ADAM, _LBFGS),
    (SkMLP((16,), random_state=0), "validation_fraction", (0.1, 0.5),
     _ADAM, {**_ADAM, "early_stopping": True}),
    (GradientBoostingRegressor(n_estimators=5, random_state=0), "alpha", (0.3, 0.9),
     {"loss": "squared_error"}, {"loss": "quantile"}),
]  # fmt: skip


def _network_case():
    pytest.importorskip("torch")
    from parsearch import MLPClassifier

    return (MLPClassifier(epochs=1, width=8, seed=0, device="cpu"), "momentum", (0.0, 0.9),
            {"optimizer": "adam"}, {"optimizer": "sgd"})  # fmt: skip


@pytest.fixture(scope="module")
def small_data():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    return X, y[:300], X @ np.linspace(-1, 1, X.shape[1])


def _outputs(estimator, settings, X, y, target):
    model = clone(estimator).set_params(**settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, deprecated penalty
        model.fit(X, target if is_regressor(model) else y)
    if hasattr(model, "decision_function"):
        return model.decision_function(X)
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)


def _rule_for(estimator, parameter):
    from parsearch.effects import _rules

    rules = _rules(type(estimator), parameter)
    assert len(rules) == 1, (type(estimator).__name__, parameter)
    return rules[0]


@pytest.mark.parametrize("case", [*range(len(CASES)), "network"], ids=str)
def test_each_rule_is_what_the_estimator_does(small_data, case):
    """Ignored: the two values fit the same model. Used: they do not."""
    estimator, parameter, values, ignored, used = (
        _network_case() if case == "network" else CASES[case]
    )
    X, y, target = small_data
    rule = _rule_for(estimator, parameter)
    for settings, ignores in ((ignored, True), (used, False)):
        params = {**estimator.get_params(deep=False), **settings}
        assert rule.ignores(params) is ignores
        first, second = (
            _outputs(estimator, {**settings, parameter: value}, X, y, target) for value in values
        )
        assert np.array_equal(first, second) is ignores, (parameter, settings)


def test_every_rule_has_a_case():
    covered = {(type(case[0]).__name__, case[1]) for case in CASES} | {
        ("MLPClassifier", "momentum")
    }
    for rule in RULES:
        names = {owner.rpartition(".")[2] for owner in rule.owners}
        assert any((name, rule.parameter) in covered for name in names), rule


def _ignored(estimator, param_grid):
    grid = expand_grid(param_grid)
    return find_ignored(estimator, grid.configs, grid.varying)


def test_eta0_under_the_default_learning_rate_is_found():
    (found,) = _ignored(SGDClassifier(), {"alpha": [1e-4, 1e-3], "eta0": [0.01, 0.1]})
    assert (found.name, found.owner, found.ignored, found.configurations) == (
        "eta0", "SGDClassifier", 4, 4
    )  # fmt: skip
    assert "SGDClassifier ignores eta0 when learning_rate is 'optimal'" in str(found)
    assert "set learning_rate='constant', 'invscaling' or 'adaptive'" in str(found)


def test_only_the_configurations_that_ignore_it_are_counted():
    grid = {"learning_rate": ["optimal", "constant"], "eta0": [0.01, 0.1]}
    (found,) = _ignored(SGDClassifier(), grid)
    assert (found.ignored, found.configurations) == (2, 4)
    assert _ignored(SGDClassifier(learning_rate="invscaling"), {"eta0": [0.01, 0.1]}) == []


def test_a_list_of_grids_that_sets_it_only_where_used_is_quiet():
    grid = [
        {"kernel": ["linear"], "C": [0.1, 1.0]},
        {"kernel": ["rbf"], "C": [0.1, 1.0], "gamma": [0.01, 0.1]},
    ]
    assert _ignored(SVC(), grid) == []
    (found,) = _ignored(SVC(), {"kernel": ["linear", "rbf"], "gamma": [0.01, 0.1]})
    assert (found.name, found.ignored, found.configurations) == ("gamma", 2, 4)
    assert "SVC uses gamma only when kernel is 'rbf', 'poly' or 'sigmoid'" in str(found)


def test_a_value_the_grid_does_not_vary_is_not_reported():
    assert _ignored(SGDClassifier(), {"alpha": [1e-4, 1e-3], "eta0": [0.1]}) == []


def test_a_pipeline_step_is_judged_by_its_prefixed_values():
    model = make_pipeline(StandardScaler(), SGDClassifier())
    (found,) = _ignored(model, {"sgdclassifier__eta0": [0.01, 0.1]})
    assert (found.name, found.owner, found.ignored) == ("sgdclassifier__eta0", "SGDClassifier", 2)
    grid = {"sgdclassifier__learning_rate": ["constant"], "sgdclassifier__eta0": [0.01, 0.1]}
    assert _ignored(model, grid) == []


def test_a_step_the_grid_puts_in_owns_the_parameters_below_it():
    model = Pipeline([("scale", StandardScaler()), ("clf", SGDClassifier())])
    grid = {
        "clf": [SGDClassifier(), SGDClassifier(learning_rate="adaptive"), Perceptron()],
        "clf__eta0": [0.01, 0.1],
    }
    (found,) = _ignored(model, grid)
    assert (found.name, found.ignored, found.configurations) == ("clf__eta0", 2, 4)


def _set_up(model, param_grid, data):
    from parsearch.search.setup import set_up

    X, y, _ = data
    options = dict(metric="accuracy", greater_is_better=None, cv=5, device="auto",
                   random_state=0, progress=False, plot=False)  # fmt: skip
    return set_up(model, param_grid, X[:200], y[:200], X[200:], y[200:], **options)


def test_set_up_warns_once_before_any_fit(small_data):
    grid = {"alpha": [1e-4, 1e-3], "eta0": [0.01, 0.1], "power_t": [0.25, 0.5]}
    with pytest.warns(UserWarning, match="no effect in some configurations") as caught:
        _set_up(SGDClassifier(), grid, small_data)
    mine = [w for w in caught if "no effect in some configurations" in str(w.message)]
    assert len(mine) == 1 and mine[0].filename == __file__
    message = str(mine[0].message)
    assert "'eta0' in 8 of 8 configurations" in message
    assert "'power_t' in 8 of 8 configurations" in message


def test_fit_grid_warns_and_scores_repeat_as_the_warning_says(small_data):
    from parsearch import fit_grid

    X, y, _ = small_data
    model = SGDClassifier(max_iter=20, tol=None)
    with pytest.warns(UserWarning, match="'eta0' in 2 of 2 configurations"):
        res = fit_grid(model, {"eta0": [0.001, 1.0]}, X[:200], y[:200], X[200:], y[200:],
                       progress=False)  # fmt: skip
    assert res.table["score"].nunique() == 1


def test_a_grid_whose_parameters_all_matter_sets_up_without_warnings(small_data):
    grid = {"learning_rate": ["constant", "invscaling"], "eta0": [0.01, 0.1]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _set_up(SGDClassifier(), grid, small_data)


def test_an_estimator_declares_its_own_no_ops_and_they_count_in_a_pipeline():
    """A class of the user's (or parsearch's networks) states its rules as
    ``__parsearch_no_ops__``; the table finds them on the estimator and on a pipeline step."""
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from parsearch.effects import Rule

    class Smoothed(ClassifierMixin, BaseEstimator):
        __parsearch_no_ops__ = (Rule((), "window", used_only_when=(("smooth", (True,)),)),)

        def __init__(self, smooth=False, window=3):
            self.smooth, self.window = smooth, window

    (found,) = _ignored(Smoothed(), {"window": [3, 5]})
    assert (found.owner, found.ignored, found.configurations) == ("Smoothed", 2, 2)
    assert "set smooth=True" in str(found)
    assert _ignored(Smoothed(smooth=True), {"window": [3, 5]}) == []
    pipe = make_pipeline(StandardScaler(), Smoothed())
    (step,) = _ignored(pipe, {"smoothed__window": [3, 5], "smoothed__smooth": [True, False]})
    assert (step.name, step.ignored, step.configurations) == ("smoothed__window", 2, 4)
