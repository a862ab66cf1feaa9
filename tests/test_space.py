"""Sampled search spaces: reproducible draws that fit_grid takes, resumes and fuses."""

import numpy as np
import pytest
from scipy.stats import loguniform, randint, rv_discrete, uniform
from sklearn.linear_model import SGDClassifier

from parsearch import fit_grid, sample_space

SPACE = {"lr": loguniform(1e-3, 0.5), "width": [32, 64, 128, 256, 512], "momentum": [0.0, 0.9]}


def values(configs, name):
    return [c[name][0] for c in configs]


@pytest.mark.parametrize("method", ["sobol", "random"])
def test_the_same_seed_gives_the_same_configurations(method):
    first = sample_space(SPACE, 64, seed=3, method=method)
    assert first == sample_space(SPACE, 64, seed=3, method=method)
    assert first != sample_space(SPACE, 64, seed=4, method=method)
    assert len(first) == 64 and all(set(c) == set(SPACE) for c in first)
    assert all(len(v) == 1 for c in first for v in c.values())


def test_values_follow_their_lists_and_distributions():
    configs = sample_space({**SPACE, "batch": randint(16, 1024)}, 256, seed=0)
    lrs = np.array(values(configs, "lr"))
    assert ((1e-3 <= lrs) & (lrs <= 0.5)).all()
    # log-uniform: about half the draws below the geometric middle of the range
    assert 0.4 < np.mean(lrs < np.sqrt(1e-3 * 0.5)) < 0.6
    widths = values(configs, "width")
    assert set(widths) == {32, 64, 128, 256, 512}
    assert (
        max(widths.count(w) for w in set(widths)) - min(widths.count(w) for w in set(widths)) < 20
    )
    batches = values(configs, "batch")
    assert all(isinstance(b, int) and 16 <= b < 1024 for b in batches)


def test_sobol_points_spread_more_evenly_than_random_draws():
    def worst_gap(method):
        u = np.sort(values(sample_space({"x": uniform(0, 1)}, 128, method=method), "x"))
        return np.diff(np.r_[0, u, 1]).max()

    assert worst_gap("sobol") < worst_gap("random")


def test_duplicates_of_a_discrete_space_are_dropped_with_a_warning():
    with pytest.warns(UserWarning, match="more than once"):
        configs = sample_space({"a": [1, 2], "b": ["x", "y"]}, 50, seed=0)
    assert len(configs) == 4
    assert len({(c["a"][0], c["b"][0]) for c in configs}) == 4


@pytest.mark.parametrize(
    ("space", "n", "kwargs", "error", "message"),
    [
        (SPACE, 0, {}, ValueError, "n must be an integer >= 1"),
        (SPACE, 2.5, {}, TypeError, "n must be an integer"),
        ({"lr": 0.1}, 4, {}, TypeError, "give a list of values or a scipy.stats distribution"),
        ({"lr": "adam"}, 4, {}, TypeError, "give a list of values"),
        ({"lr": []}, 4, {}, ValueError, "empty list"),
        ({}, 4, {}, TypeError, "non-empty dict"),
        (SPACE, 4, {"method": "grid"}, ValueError, "method must be one of"),
        (SPACE, 4, {"seed": -1}, ValueError, "seed must be an integer >= 0"),
    ],
)
def test_bad_spaces_are_refused(space, n, kwargs, error, message):
    with pytest.raises(error, match=message):
        sample_space(space, n, **kwargs)


def test_fit_grid_takes_a_sample_and_a_rerun_reuses_every_row(tmp_path):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    space = {"alpha": loguniform(1e-5, 1e-1), "penalty": ["l2", "l1"]}
    sample = sample_space(space, 6, seed=1)
    model = SGDClassifier(max_iter=20, tol=None)
    res = fit_grid(model, sample, X[:800], y[:800], X[800:1200], y[800:1200], out=tmp_path,
                   progress=False, plot=False)  # fmt: skip
    assert len(res.table) == 6
    assert res.table["alpha"].tolist() == values(sample, "alpha")
    again = fit_grid(model, sample_space(space, 6, seed=1), X[:800], y[:800], X[800:1200],
                     y[800:1200], out=tmp_path, progress=False, plot=False)  # fmt: skip
    assert again.meta["execution"]["reused_rows"] == 6
    assert again.table["score"].tolist() == res.table["score"].tolist()


def test_sampled_networks_train_in_one_fused_model(mnist_small):
    pytest.importorskip("torch")
    from parsearch import MLPClassifier

    X, y = mnist_small
    sample = sample_space({"lr": loguniform(1e-3, 0.3), "width": [16, 32, 64]}, 8, seed=0)
    res = fit_grid(MLPClassifier(epochs=1, device="cpu"), sample, X[:1000], y[:1000],
                   X[1000:1500], y[1000:1500], progress=False)  # fmt: skip
    assert res.meta["execution"]["fused_groups"] == [8]
    assert (res.table["status"] == "ok").all()


def test_a_float_width_is_refused_before_any_work():
    pytest.importorskip("torch")
    from parsearch import MLPClassifier

    X = np.random.default_rng(0).normal(size=(40, 4))
    y = np.arange(40) % 2
    sample = sample_space({"width": uniform(8, 64)}, 4)
    with pytest.raises(ValueError, match="width must be an integer"):
        fit_grid(MLPClassifier(epochs=1), sample, X, y, X, y)


def test_discrete_distributions_keep_their_values():
    values = rv_discrete(values=([0.5, 1.5, 2.25], [0.3, 0.3, 0.4]))()
    drawn = {c["a"][0] for c in sample_space({"a": values}, 12, seed=1)}
    assert drawn <= {0.5, 1.5, 2.25} and len(drawn) == 3
