"""Tests of parsearch.grid: expansion, axes, input errors, parameter names, config keys."""

import math

import numpy as np
import pytest
from reference_search import grid_search_cv
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from parsearch import fit_grid
from parsearch.grid import Grid, check_params, expand_grid
from parsearch.rows import config_key

# ----------------------------------------------------------------------------------------
# Expansion and order
# ----------------------------------------------------------------------------------------


def test_dict_grid_matches_parameter_grid_order():
    # Keys in sorted order: ParameterGrid (which sorts keys) and the given order agree.
    grid = {"alpha": [1e-4, 1e-3, 1e-2], "l1_ratio": [0.1, 0.5], "loss": ["hinge", "log_loss"]}
    expanded = expand_grid(grid)
    assert isinstance(expanded, Grid)
    assert expanded.configs == list(ParameterGrid(grid))
    assert len(expanded) == 12
    # The last key varies fastest.
    assert [c["loss"] for c in expanded.configs[:4]] == ["hinge", "log_loss", "hinge", "log_loss"]
    assert [c["alpha"] for c in expanded.configs[::4]] == [1e-4, 1e-3, 1e-2]


def test_dict_grid_keeps_the_given_key_order():
    grid = {"width": [32, 64], "lr": [0.1, 0.01, 0.001]}
    expanded = expand_grid(grid)
    assert expanded.configs == [
        {"width": 32, "lr": 0.1},
        {"width": 32, "lr": 0.01},
        {"width": 32, "lr": 0.001},
        {"width": 64, "lr": 0.1},
        {"width": 64, "lr": 0.01},
        {"width": 64, "lr": 0.001},
    ]
    assert list(expanded.axes) == ["width", "lr"]
    assert expanded.axes == {"width": [32, 64], "lr": [0.1, 0.01, 0.001]}
    # Same configurations as ParameterGrid (which sorts keys), possibly in another order.
    key_set = {config_key(c) for c in ParameterGrid(grid)}
    assert {config_key(c) for c in expanded.configs} == key_set


def test_value_order_is_kept_not_sorted():
    expanded = expand_grid({"alpha": [0.3, 0.1, 0.2]})
    assert [c["alpha"] for c in expanded.configs] == [0.3, 0.1, 0.2]
    assert expanded.axes["alpha"] == [0.3, 0.1, 0.2]


def test_list_of_dicts_concatenates_subgrids_and_merges_axes():
    grid = [
        {"loss": ["hinge"], "alpha": [1e-4, 1e-3]},
        {"loss": ["log_loss", "hinge"], "penalty": ["l2", "l1"], "alpha": [1e-3, 1e-2]},
    ]
    expanded = expand_grid(grid)
    assert expanded.configs == list(ParameterGrid(grid[0])) + [
        dict(zip(["loss", "penalty", "alpha"], combo))
        for combo in [
            ("log_loss", "l2", 1e-3),
            ("log_loss", "l2", 1e-2),
            ("log_loss", "l1", 1e-3),
            ("log_loss", "l1", 1e-2),
            ("hinge", "l2", 1e-3),
            ("hinge", "l2", 1e-2),
            ("hinge", "l1", 1e-3),
            ("hinge", "l1", 1e-2),
        ]
    ]
    assert len(expanded) == 2 + 8
    # Axes: first-seen order of names and of values, each value once.
    assert list(expanded.axes) == ["loss", "alpha", "penalty"]
    assert expanded.axes["loss"] == ["hinge", "log_loss"]
    assert expanded.axes["alpha"] == [1e-4, 1e-3, 1e-2]
    assert expanded.axes["penalty"] == ["l2", "l1"]
    assert expanded.varying == ["loss", "alpha", "penalty"]


def test_parameter_grid_input():
    grid = [{"alpha": [1e-4, 1e-3], "loss": ["hinge", "log_loss"]}, {"alpha": [1.0]}]
    expanded = expand_grid(ParameterGrid(grid))
    assert expanded.configs == list(ParameterGrid(grid))
    assert expanded.axes == {"alpha": [1e-4, 1e-3, 1.0], "loss": ["hinge", "log_loss"]}


def test_parameter_grid_input_has_the_same_configs_as_iterating_it():
    pg = ParameterGrid({"width": [32, 64], "lr": [0.1, 0.01]})
    expanded = expand_grid(pg)
    assert sorted(map(config_key, expanded.configs)) == sorted(map(config_key, pg))
    assert expanded.axes == {"width": [32, 64], "lr": [0.1, 0.01]}


def test_tuple_numpy_array_and_range_value_lists():
    expanded = expand_grid({"a": (1, 2), "b": np.array([0.5, 1.5]), "c": range(2)})
    assert len(expanded) == 8
    assert expanded.axes == {"a": [1, 2], "b": [0.5, 1.5], "c": [0, 1]}


def test_varying_lists_only_parameters_with_several_values():
    expanded = expand_grid({"loss": ["log_loss"], "alpha": [1e-4, 1e-3], "tol": [None]})
    assert expanded.varying == ["alpha"]
    assert expanded.configs == [
        {"loss": "log_loss", "alpha": 1e-4, "tol": None},
        {"loss": "log_loss", "alpha": 1e-3, "tol": None},
    ]


def test_axes_deduplicate_nan_and_equal_numbers_but_not_bools():
    grid = [{"a": [1, float("nan")]}, {"a": [np.float64(1), float("nan"), True]}]
    expanded = expand_grid(grid)
    assert len(expanded) == 5  # configurations are not deduplicated, only axes
    axis = expanded.axes["a"]
    assert len(axis) == 3
    assert axis[0] == 1
    assert math.isnan(axis[1])
    assert axis[2] is True


@pytest.mark.parametrize(
    ("values", "shown"),
    [([0.1, 0.01, 0.1], "0.1 and 0.1"), ([1, 1.0], "1 and 1.0"), (["adam", "Adam"], "'adam'")],
)
def test_a_value_listed_twice_in_one_list_is_rejected(values, shown):
    with pytest.raises(ValueError) as info:
        expand_grid({"width": [32], "lr": values})
    message = str(info.value)
    assert "'lr'" in message
    assert "twice" in message
    assert shown in message


def test_tuple_values_are_allowed():
    expanded = expand_grid({"hidden_layer_sizes": [(10,), (10, 10)]})
    assert expanded.axes == {"hidden_layer_sizes": [(10,), (10, 10)]}


# ----------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("grid", [[], (), ParameterGrid([])])
def test_empty_grid(grid):
    with pytest.raises(ValueError, match="param_grid is empty"):
        expand_grid(grid)


@pytest.mark.parametrize("grid", [{}, [{}]])
def test_empty_dict_grid_is_one_configuration_of_no_parameters(grid):
    expanded = expand_grid(grid)
    assert expanded.configs == [{}]
    assert expanded.axes == {}
    assert expanded.sklearn_order == [0]


def test_empty_subgrid_names_its_position():
    with pytest.raises(ValueError, match=r"param_grid\[1\] is empty"):
        expand_grid([{"alpha": [1.0]}, {}])


@pytest.mark.parametrize("grid", [{"alpha": []}, [{"loss": ["hinge"]}, {"alpha": []}]])
def test_empty_value_list_names_the_parameter(grid):
    with pytest.raises(ValueError, match="'alpha' has an empty list"):
        expand_grid(grid)


@pytest.mark.parametrize(
    ("value", "wrapped"), [(0.1, "[0.1]"), (3, "[3]"), ("adam", "['adam']"), (None, "[None]")]
)
def test_bare_scalar_or_string_value_suggests_a_list(value, wrapped):
    with pytest.raises(TypeError) as info:
        expand_grid({"lr": [1.0], "solver": value})
    message = str(info.value)
    assert "'solver'" in message
    assert "must be a list" in message
    assert f"{{'solver': {wrapped}}}" in message


def test_unhashable_values_are_values_as_in_grid_search_cv():
    """Dicts (class_weight), lists (hidden_layer_sizes) and arrays are values like others."""
    grid = expand_grid(
        {
            "class_weight": [None, {0: 1, 1: 3}, "balanced"],
            "hidden_layer_sizes": [(10,), [10, 10]],
            "w": [np.ones(2)],
        }
    )
    assert len(grid) == 6
    assert grid.axes["class_weight"] == [None, {0: 1, 1: 3}, "balanced"]
    assert grid.configs[2]["hidden_layer_sizes"] == (10,)
    assert grid.configs[3]["hidden_layer_sizes"] == [10, 10]
    assert len({config_key(c) for c in grid.configs}) == 6
    # equal dicts, nested ones too, are one key whatever the order they were written in
    assert config_key({"cw": {0: 1, 1: 3}}) == config_key({"cw": {1: 3, 0: 1}})
    assert config_key({"cw": [{"b": 1, "a": {2: 0, 1: 0}}]}) == config_key(
        {"cw": [{"a": {1: 0, 2: 0}, "b": 1}]}
    )


def test_an_unhashable_value_listed_twice_is_refused():
    with pytest.raises(ValueError, match=r"'class_weight' lists one value twice"):
        expand_grid({"class_weight": [{0: 1, 1: 3}, {0: 1, 1: 3}]})
    with pytest.raises(ValueError, match=r"'class_weight' lists one value twice"):
        expand_grid({"class_weight": [{0: 1, 1: 3}, {1: 3, 0: 1}]})  # equal dicts
    with pytest.raises(ValueError, match=r"'sizes' lists one value twice"):
        expand_grid({"sizes": [(1, [2]), (1, [2])]})


@pytest.mark.parametrize("entry", [5, "alpha", ["alpha", [1, 2]], None])
def test_non_dict_subgrid(entry):
    with pytest.raises(TypeError, match=r"param_grid\[1\] must be a dict"):
        expand_grid([{"alpha": [1.0]}, entry])


@pytest.mark.parametrize("grid", ["alpha", 5, None, {("alpha",)}])
def test_grid_of_the_wrong_type(grid):
    with pytest.raises(TypeError, match="param_grid must be a dict of lists"):
        expand_grid(grid)


def test_non_string_parameter_name():
    with pytest.raises(TypeError, match=r"names must be strings.*1"):
        expand_grid({1: [1, 2]})


# ----------------------------------------------------------------------------------------
# check_params
# ----------------------------------------------------------------------------------------


def test_check_params_accepts_valid_names():
    check_params(SGDClassifier(), expand_grid({"alpha": [1e-4], "loss": ["hinge"]}))


def test_check_params_names_the_unknown_parameter_and_close_matches():
    grid = expand_grid({"loss": ["hinge"], "alpah": [1e-4, 1e-3]})
    with pytest.raises(ValueError) as info:
        check_params(SGDClassifier(), grid)
    message = str(info.value)
    assert "'alpah'" in message
    assert "SGDClassifier" in message
    assert "Did you mean 'alpha'" in message
    assert "l1_ratio" in message  # the valid names are listed


def test_check_params_without_close_match_still_lists_valid_names():
    grid = expand_grid({"zzzzzz": [1]})
    with pytest.raises(ValueError) as info:
        check_params(SGDClassifier(), grid)
    message = str(info.value)
    assert "'zzzzzz'" in message
    assert "Did you mean" not in message
    assert "alpha" in message


def test_check_params_in_a_later_subgrid():
    grid = expand_grid([{"alpha": [1e-4]}, {"penalti": ["l1"]}])
    with pytest.raises(ValueError, match=r"'penalti'.*Did you mean 'penalty'"):
        check_params(SGDClassifier(), grid)


def test_check_params_accepts_nested_pipeline_names():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = make_pipeline(StandardScaler(), SGDClassifier())
    check_params(pipe, expand_grid({"sgdclassifier__alpha": [1e-4, 1e-3]}))
    with pytest.raises(ValueError, match=r"sgdclassifier__alpah.*sgdclassifier__alpha"):
        check_params(pipe, expand_grid({"sgdclassifier__alpah": [1e-4]}))


class _PrefixedParams(SGDClassifier):
    """An estimator whose set_params, as skorch's, takes ``module__*`` names it does not list."""

    def set_params(self, **params):
        own = {k: v for k, v in params.items() if not k.startswith("module__")}
        self.module_params_ = {k: v for k, v in params.items() if k not in own}
        return super().set_params(**own)


def test_check_params_accepts_what_the_estimator_s_set_params_takes():
    check_params(_PrefixedParams(), expand_grid({"module__num_units": [10, 20]}))
    with pytest.raises(ValueError, match=r"'alpah'.*Did you mean 'alpha'"):
        check_params(_PrefixedParams(), expand_grid({"alpah": [1e-4]}))


def _skorch_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def test_skorch_module_parameters_are_tuned_as_gridsearchcv_tunes_them():
    pytest.importorskip("skorch")
    import torch
    from skorch import NeuralNetClassifier

    from parsearch import fit_grid

    class Net(torch.nn.Module):
        def __init__(self, num_units=5):
            super().__init__()
            self.hidden = torch.nn.Linear(4, num_units)
            self.out = torch.nn.Linear(num_units, 2)

        def forward(self, X):
            return torch.softmax(self.out(torch.relu(self.hidden(X))), dim=-1)

    net = NeuralNetClassifier(Net, max_epochs=2, lr=0.1, train_split=None, verbose=0)
    grid = {"module__num_units": [3, 7], "optimizer__momentum": [0.0, 0.9]}
    check_params(net, expand_grid(grid))
    with pytest.raises(ValueError, match=r"Invalid parameter 'lrr'"):
        check_params(net, expand_grid({"lrr": [0.1]}))
    X, y = _skorch_data()
    result = fit_grid(net, grid, X[:40], y[:40], X[40:], y[40:])
    assert list(result.table["status"]) == ["ok"] * 4
    best_units = result.best_params["module__num_units"]
    assert result.best_model.module_.hidden.out_features == best_units


# ----------------------------------------------------------------------------------------
# config_key
# ----------------------------------------------------------------------------------------


def test_config_key_ignores_key_order():
    assert config_key({"lr": 0.1, "width": 32, "opt": "sgd"}) == config_key(
        {"opt": "sgd", "width": 32, "lr": 0.1}
    )


def test_config_key_is_a_fixed_canonical_string():
    # Resume compares keys written by an earlier run: the format must not drift.
    assert config_key({"width": 32, "lr": 0.1}) == '{"lr": 0.1, "width": 32}'


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"lr": 0.1}, {"lr": 0.01}),
        ({"lr": 0.1}, {"lr": 0.1, "width": 32}),
        ({"lr": 0.1}, {"alpha": 0.1}),
        ({"x": 1}, {"x": "1"}),
        ({"x": True}, {"x": 1}),
        ({"x": None}, {"x": "None"}),
        ({"x": (1, 2)}, {"x": (2, 1)}),
        ({"x": 0.1}, {"x": np.float32(0.1)}),
    ],
)
def test_config_key_differs_for_different_configs(a, b):
    assert config_key(a) != config_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"x": np.float64(0.25)}, {"x": 0.25}),
        ({"x": np.int64(3)}, {"x": 3}),
        ({"x": np.int32(3)}, {"x": 3}),
        ({"x": np.bool_(True)}, {"x": True}),
        ({"x": float("nan")}, {"x": np.nan}),
        ({"x": np.float64("nan")}, {"x": float("nan")}),
        ({"x": float("inf")}, {"x": np.inf}),
        ({"x": None}, {"x": None}),
        ({"x": (1, (2, None))}, {"x": (1, (2, None))}),
        ({"x": (np.int64(1), np.float64(0.5))}, {"x": (1, 0.5)}),
    ],
)
def test_config_key_is_stable_for_equal_values(a, b):
    assert config_key(a) == config_key(b)


def test_config_key_of_nan_is_valid_json():
    import json

    decoded = json.loads(config_key({"x": float("nan"), "y": float("-inf")}))
    assert set(decoded) == {"x", "y"}


def test_config_keys_of_a_grid_are_unique():
    expanded = expand_grid(
        [{"a": [1, 2, None], "b": [(1,), (1, 2)]}, {"a": [float("nan")], "c": ["x", "y"]}]
    )
    keys = [config_key(c) for c in expanded.configs]
    assert len(set(keys)) == len(keys) == 8


def test_config_key_tells_nan_from_the_string_nan():
    assert config_key({"x": float("nan")}) != config_key({"x": "nan"})


@pytest.mark.parametrize(("alias", "name"), [("learning_rate", "lr"), ("hidden_size", "width")])
def test_check_params_suggests_the_estimator_s_own_name_for_an_alias(alias, name):
    from parsearch.nets.mlp import MLPClassifier

    with pytest.raises(ValueError) as info:
        check_params(MLPClassifier(), expand_grid({alias: [1]}))
    message = str(info.value)
    assert f"Invalid parameter {alias!r} for estimator MLPClassifier" in message
    assert f"Did you mean {name!r}?" in message


# ----------------------------------------------------------------------------------------
# Size: expansion is linear in the number of values and of sub-grids
# ----------------------------------------------------------------------------------------

#: 100,000 configurations expand in 0.4 s (one axis) and 1.6 s (100,000 dicts) on the
#: 2-core development machine; quadratic before, 53 s and 46 s at 10,000 values (over an
#: hour at 100,000). A generous bound.
_SECONDS_FOR_100K = 20.0


def test_one_axis_of_100000_values_expands_in_seconds():
    import time

    values = [i * 0.5 for i in range(100_000)]
    start = time.perf_counter()
    expanded = expand_grid({"alpha": values, "loss": ["hinge"]})
    seconds = time.perf_counter() - start
    assert len(expanded) == 100_000 and expanded.axes["alpha"] == values
    assert seconds < _SECONDS_FOR_100K


def test_100000_one_configuration_dicts_expand_in_seconds():
    # The shape a sampled search hands over: one dict of one-value lists per configuration.
    import time

    subgrids = [
        {"alpha": [i * 0.5], "loss": [("hinge", "log_loss")[i % 2]], "seed": [i % 7]}
        for i in range(100_000)
    ]
    start = time.perf_counter()
    expanded = expand_grid(subgrids)
    seconds = time.perf_counter() - start
    assert len(expanded) == 100_000
    assert len(expanded.axes["alpha"]) == 100_000
    assert expanded.axes["loss"] == ["hinge", "log_loss"]
    assert expanded.axes["seed"] == list(range(7))
    assert seconds < _SECONDS_FOR_100K


@pytest.mark.parametrize(
    "values",
    [
        [32, 32.0],
        [np.int64(32), 32],
        [float("nan"), np.nan],
        [float("nan"), float("nan")],
        ["sgd", "SGD "],
        [np.str_("adam"), "Adam"],
        [(1, 2), (1.0, 2.0)],
        [np.float32(0.5), 0.5],
    ],
)
def test_values_that_are_the_same_or_spelled_alike_are_duplicates(values):
    with pytest.raises(ValueError, match="'p' lists one value twice"):
        expand_grid({"p": values})


@pytest.mark.parametrize(
    "values",
    [
        [True, 1],
        [np.bool_(True), True],
        [2**53, 2**53 + 1],
        [np.float32(0.1), 0.1],
        ["1", 1],
        ["sgd", "sg d"],
        [None, "None"],
        [(1, 2), (2, 1)],
    ],
)
def test_values_that_differ_are_not_duplicates(values):
    assert len(expand_grid({"p": values})) == len(values)


def test_axes_across_subgrids_keep_distinct_values_and_merge_equal_ones():
    grid = [{"p": [1, "a", np.str_("b")]}, {"p": [1.0, "A", "b", True, np.nan]}, {"p": [np.nan]}]
    axis = expand_grid(grid).axes["p"]
    # 1.0 is 1; "A" is another value than "a" across sub-grids (only one list rejects
    # spellings); np.str_("b") and "b" differ in type, True is not 1, NaN is NaN.
    assert axis[:5] == [1, "a", "b", "A", "b"] and axis[5] is True
    assert type(axis[2]) is np.str_ and type(axis[4]) is str
    assert len(axis) == 7 and math.isnan(axis[6])


def test_equal_estimators_listed_twice_are_duplicates_and_different_ones_are_not():
    from sklearn.svm import SVC

    with pytest.raises(ValueError, match="twice"):
        expand_grid({"clf": [SVC(C=1.0), SVC(C=1.0)]})
    assert len(expand_grid({"clf": [SVC(C=1.0), SVC(C=2.0)]})) == 2
    merged = expand_grid([{"clf": [SVC(C=1.0)]}, {"clf": [SVC(C=1.0)], "x": [1]}])
    assert len(merged.axes["clf"]) == 1


def test_always_set_names_the_parameters_that_every_configuration_sets():
    grid = expand_grid([{"alpha": [1e-4], "loss": ["hinge"]}, {"alpha": [1e-3], "tol": [None]}])
    assert grid.always_set == ["alpha"]
    assert expand_grid({"a": [1], "b": [2, 3]}).always_set == ["a", "b"]


def test_an_estimator_given_as_a_grid_value_is_cloned_for_each_configuration(small_digits):
    X, y, Xv, yv = small_digits
    clf = LogisticRegression(max_iter=300)
    pipe = Pipeline([("reduce", "passthrough"), ("clf", clf)])
    grid = {"clf": [clf], "reduce": ["passthrough", PCA(2)]}
    res = fit_grid(pipe, grid, X, y, Xv, yv, progress=False, keep_models="all")
    assert res.best_params["reduce"] == "passthrough"
    assert res.best_model.score(Xv, yv) == pytest.approx(res.best_score)
    assert not hasattr(clf, "coef_")  # the caller's object is never fitted
    assert res.models[0].named_steps["clf"] is not res.models[1].named_steps["clf"]


def test_a_sub_grid_may_set_parameters_of_the_step_it_puts_in(small_digits):
    X, y, Xv, yv = small_digits
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    grid = [
        {"clf": [SVC()], "clf__gamma": ["scale", 0.1]},
        {"clf": [RandomForestClassifier(random_state=0)], "clf__max_depth": [2, 3]},
    ]
    res = fit_grid(pipe, grid, X, y, Xv, yv, progress=False)
    expected = grid_search_cv(pipe, grid, X, y, Xv, yv).cv_results_["mean_test_score"]
    np.testing.assert_allclose(res.table["score"], expected)
    with pytest.raises(ValueError, match="Invalid parameter 'clf__gamma'"):
        fit_grid(pipe, {"clf__gamma": [0.1]}, X, y, Xv, yv)
