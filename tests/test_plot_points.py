"""Tests of parsearch.plot.points: grid or not, importance, scales, rows as points."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_plot import keyed_grid_table, keyed_table

from parsearch import fit_grid, sample_space
from parsearch.plot import score_points
from parsearch.plot.arrays import prepare
from parsearch.plot.points import (
    MAX_AXIS_VALUES,
    effect_size,
    forms_grid,
    goodness_ranks,
    grid_fill,
    log_scaled,
)
from parsearch.rows import Col, Status


def sampled_configs(n=64, seed=0, **extra):
    space = {"lr": stats.loguniform(1e-3, 0.5), "width": [32, 64, 128, 256, 512], **extra}
    return [{k: v[0] for k, v in grid.items()} for grid in sample_space(space, n, seed=seed)]


def with_status(table, status, epochs=None):
    table = table.copy()
    table[Col.STATUS] = status
    if epochs is not None:
        table[Col.EPOCHS_TRAINED] = epochs
    return table


# --- grid or not --------------------------------------------------------------------------


def test_a_full_grid_forms_a_grid_and_a_sampled_space_does_not():
    grid = keyed_grid_table({"lr": [1e-3, 1e-2, 1e-1], "width": [32, 64], "m": [0.0, 0.9]})
    assert grid_fill(prepare(grid), ["lr", "width", "m"]) == 1.0
    assert forms_grid(prepare(grid))
    sampled = keyed_table(sampled_configs(), [0.5] * 64)
    data = prepare(sampled)
    assert grid_fill(data, ["lr", "width"]) == pytest.approx(64 / (64 * 5))
    assert not forms_grid(data)


def test_fill_is_counted_within_each_sub_grid():
    # [{"kernel": ["linear"], "C": [1, 10]}, {"kernel": ["rbf"], "C": [1, 10], "gamma": [.1, 1]}]
    params = [{"kernel": "linear", "C": c} for c in (1, 10)]
    params += [{"kernel": "rbf", "C": c, "gamma": g} for c in (1, 10) for g in (0.1, 1)]
    table = keyed_table(params, [0.5] * len(params))
    data = prepare(table)
    assert grid_fill(data, ["kernel", "C", "gamma"]) == 1.0  # the plain product: 6 of 12
    assert forms_grid(data)


def test_an_interrupted_grid_is_still_a_grid_but_a_diagonal_is_not():
    grid = keyed_grid_table({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4, 5]})
    assert forms_grid(prepare(grid.iloc[:6]))  # a=1 done, a=2 begun: 6 of 10
    assert grid_fill(prepare(grid.iloc[:6]), ["a", "b"]) == pytest.approx(0.6)
    diagonal = keyed_table([{"a": i, "b": i} for i in range(3)], [0.1, 0.2, 0.3])
    assert grid_fill(prepare(diagonal), ["a", "b"]) == pytest.approx(1 / 3)
    assert not forms_grid(prepare(diagonal))
    half = keyed_table([{"a": i, "b": 0.1 * i} for i in range(2)], [0.1, 0.2])
    assert not forms_grid(prepare(half))  # exactly half is no grid


def test_too_many_numeric_values_is_no_grid_but_many_strings_are():
    many = keyed_grid_table({"a": list(range(MAX_AXIS_VALUES + 1)), "b": [1, 2]})
    assert not forms_grid(prepare(many))
    enough = keyed_grid_table({"a": list(range(MAX_AXIS_VALUES)), "b": [1, 2]})
    assert forms_grid(prepare(enough))
    strings = keyed_grid_table({"a": [f"v{i}" for i in range(100)], "b": [1, 2]})
    assert forms_grid(prepare(strings))


# --- importance ----------------------------------------------------------------------------


def test_ranks_put_ok_above_pruned_above_failed_whatever_the_scores():
    params = [{"a": i} for i in range(6)]
    table = keyed_table(params, [0.5, 0.9, 0.8, 0.99, np.nan, 0.7])
    table = with_status(
        table,
        [Status.OK, Status.PRUNED, Status.PRUNED, Status.PRUNED, Status.FAILED, Status.DIVERGED],
        epochs=[27, 1, 3, 3, 1, 1],
    )
    table.loc[5, Col.SCORE] = np.nan
    ranks = goodness_ranks(prepare(table), greater_is_better=True)
    # failed and diverged tie last (1.5); then pruned at 1 epoch, then at 3 (0.8 < 0.99); ok
    np.testing.assert_array_equal(ranks, [6, 3, 4, 5, 1.5, 1.5])
    low = goodness_ranks(prepare(table), greater_is_better=False)
    np.testing.assert_array_equal(low, [6, 3, 5, 4, 1.5, 1.5])  # at 3 epochs, 0.8 is better


def test_effect_size_is_the_kruskal_wallis_eta_squared():
    rng = np.random.default_rng(0)
    ranks = stats.rankdata(rng.normal(size=60).round(1))  # with ties
    groups = rng.integers(0, 4, 60)
    ranks[groups == 2] += 20  # one group is better
    ranks = stats.rankdata(ranks)
    h = stats.kruskal(*[ranks[groups == g] for g in range(4)]).statistic
    assert effect_size(ranks, groups) == pytest.approx((h - 4 + 1) / (60 - 4))
    # two groups of three, apart: H = 5 * 13.5 / 17.5, so (H - 1) / (6 - 2) = 5 / 7
    assert effect_size(np.arange(1.0, 7.0), np.array([0, 0, 0, 1, 1, 1])) == pytest.approx(5 / 7)
    assert effect_size(np.full(5, 3.0), np.arange(5)) == 0.0


def test_the_parameter_that_decides_the_score_is_the_most_important():
    configs = sampled_configs(n=128, seed=1, momentum=[0.0, 0.9])
    scores = [-abs(math.log10(c["lr"]) + 1.5) for c in configs]  # only lr matters
    points = score_points(keyed_table(configs, scores))
    assert points.params[0] == "lr"
    assert points.importance["lr"] > 0.8
    assert points.importance["width"] < 0.1 and points.importance["momentum"] < 0.1
    # width decides instead: width first
    scores = [c["width"] + 1e-3 * c["lr"] for c in configs]
    assert score_points(keyed_table(configs, scores)).params[0] == "width"


def test_halving_ranks_the_pruned_by_the_rung_they_reached():
    # the scores of pruned rows are rung scores: lower than the survivors' at any lr, yet
    # lr decides who went furthest, so lr is what matters.
    configs = sampled_configs(n=81, seed=2)
    quality = np.array([-abs(math.log10(c["lr"]) + 1.5) for c in configs])
    order = np.argsort(-quality)
    epochs = np.ones(81)
    epochs[order[:27]], epochs[order[:9]], epochs[order[:3]] = 3, 9, 27
    scores = 0.5 + 0.01 * epochs + np.random.default_rng(0).normal(0, 0.05, 81)  # rung noise
    status = np.where(epochs == 27, Status.OK, Status.PRUNED)
    table = with_status(keyed_table(configs, list(scores)), status, epochs=epochs)
    points = score_points(table)
    assert points.params[0] == "lr" and points.importance["lr"] > 0.3
    assert points.importance["lr"] > 5 * points.importance["width"]
    assert points.status[points.best] == Status.OK


# --- scales --------------------------------------------------------------------------------


def test_log_axes_for_log_spread_values_only():
    rng = np.random.default_rng(0)
    assert log_scaled(list(stats.loguniform(1e-4, 1).rvs(200, random_state=rng)))
    assert not log_scaled(list(rng.uniform(0, 1, 200)))  # spans decades near 0, not log
    assert log_scaled([1e-3, 1e-2, 1e-1, 1.0])
    assert not log_scaled([1.0, 5.0, 50.0])  # under two decades
    assert not log_scaled([0.0, 1e-3, 1.0])  # a zero
    assert not log_scaled([-1.0, 1e-3, 1.0])


def test_scales_levels_in_ascending_order_and_categories_in_grid_order():
    configs = sampled_configs(n=50, seed=3, optimizer=["sgd", "adam"], bias=[True, False])
    table = keyed_table(configs, list(np.linspace(0, 1, 50)))
    # the axes of a sampled space list the values in the order they were drawn
    drawn = {p: list(dict.fromkeys(c[p] for c in configs)) for p in configs[0]}
    points = score_points(table, axes=drawn)
    width = points.scales["width"]
    assert width.kind == "levels" and width.labels == ["32", "64", "128", "256", "512"]
    expected = [[32, 64, 128, 256, 512].index(c["width"]) for c in configs]
    np.testing.assert_array_equal(width.positions, expected)
    assert points.scales["optimizer"].labels == drawn["optimizer"]
    assert points.scales["bias"].labels == [str(v) for v in drawn["bias"]]
    lr = points.scales["lr"]
    assert lr.kind == "log" and lr.labels == []
    np.testing.assert_allclose(lr.positions, [c["lr"] for c in configs])


def conditional_configs():
    """A conditional space as two sampled lists: gamma only where the kernel is rbf."""
    rbf = sample_space(
        {"kernel": ["rbf"], "gamma": stats.loguniform(1e-4, 1), "C": stats.loguniform(0.1, 100)},
        24,
    )
    linear = sample_space({"kernel": ["linear"], "C": stats.loguniform(0.1, 100)}, 8, seed=1)
    return [{k: v[0] for k, v in grid.items()} for grid in [*rbf, *linear]]


def test_a_numeric_parameter_unset_in_some_rows_keeps_its_axis():
    configs = conditional_configs()
    table = keyed_table(configs, list(np.linspace(0, 1, len(configs))))
    gamma = score_points(table).scales["gamma"]
    assert gamma.kind == "log" and gamma.labels == []
    set_rows = np.array(["gamma" in c for c in configs])
    values = np.array([c["gamma"] for c in configs if "gamma" in c])
    np.testing.assert_allclose(gamma.positions[set_rows], values)
    # the unset rows beside the axis: below the smallest value, all at one place
    assert gamma.unset_at is not None and 0 < gamma.unset_at < values.min() / 2
    assert np.all(gamma.positions[~set_rows] == gamma.unset_at)
    assert score_points(table).scales["C"].unset_at is None  # set in every row


def small_data():
    """A small, quick two-class problem: 200 training and 100 validation samples."""
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 10, n_informative=4, random_state=0)
    return X[:200], y[:200], X[200:], y[200:]


def test_a_real_sampled_search_as_points(tmp_path):
    from sklearn.linear_model import LogisticRegression

    space = sample_space({"C": stats.loguniform(1e-4, 1e2), "fit_intercept": [True, False]}, 16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence
        res = fit_grid(
            LogisticRegression(max_iter=30),
            space,
            *small_data(),
            out=tmp_path / "run",
            progress=False,
        )
    points = score_points(res.table, axes=res.axes)
    assert points.best_params == res.best_params
    assert points.scales["C"].kind == "log"
    assert points.scales["fit_intercept"].kind == "levels"
    assert not forms_grid(prepare(res.table, res.axes))
    assert set(points.params) == {"C", "fit_intercept"}
    assert sorted(points.importance.values(), reverse=True) == list(points.importance.values())


def test_score_points_names_what_it_returns():
    table = keyed_table([{"a": 0.001 * 2**i} for i in range(20)], list(range(20)))
    points = score_points(table, greater_is_better=False)
    assert points.best == 0 and points.best_params == {"a": 0.001}
    assert points.params == ["a"] and points.scales["a"].kind == "log"
    with pytest.raises(ValueError, match="no 'score' column"):
        score_points(pd.DataFrame({"a": [1]}))
