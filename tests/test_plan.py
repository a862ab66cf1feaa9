"""Tests of parsearch.plan: which configurations train together, and in what chunks."""

import itertools

import pytest
from sklearn.linear_model import SGDClassifier

from parsearch.grid import expand_grid
from parsearch.jobs import Job
from parsearch.nets import devices, fused
from parsearch.nets.engine import MLPEngine
from parsearch.nets.mlp import MLPClassifier
from parsearch.plan import make_plan


def mnist_plan(estimator, configs, **kwargs):
    """``make_plan`` for MNIST-sized data: 784 features, 10 classes."""
    return make_plan(estimator, configs, **{"n_features": 784, "n_classes": 10, **kwargs})


def numbered(grid):
    return list(enumerate(expand_grid(grid).configs))


def all_indices(jobs):
    return sorted(i for job in jobs for i in job.indices)


def size_of(params, base, n_features=784, n_classes=10):
    full = {**base.get_params(), **params}
    itemsize = 8 if full["dtype"] == "float64" else 4
    return fused.model_bytes(
        n_features,
        full["width"],
        full["depth"],
        n_classes,
        full["batch_size"],
        full["optimizer"],
        itemsize,
    )


# ----------------------------------------------------------------------------------------
# scikit-learn estimators
# ----------------------------------------------------------------------------------------


def test_sklearn_estimator_gives_one_job_per_configuration():
    configs = numbered({"alpha": [1e-4, 1e-3, 1e-2], "loss": ["hinge", "log_loss"]})
    jobs = mnist_plan(SGDClassifier(), configs)
    assert len(jobs) == 6
    assert [job.indices for job in jobs] == [(i,) for i in range(6)]
    assert [job.params for job in jobs] == [(p,) for _, p in configs]
    for job in jobs:
        assert job.engine is None and not job.fused
        assert job.epochs == 1
        assert job.units == 1


def test_sklearn_estimator_keeps_the_given_grid_positions():
    configs = [(7, {"alpha": 0.1}), (3, {"alpha": 0.2})]
    jobs = mnist_plan(SGDClassifier(), configs, engine="per_config")
    assert [job.indices for job in jobs] == [(7,), (3,)]


def test_no_configurations_no_jobs():
    assert mnist_plan(SGDClassifier(), []) == []
    assert mnist_plan(MLPClassifier(device="cpu"), []) == []


@pytest.mark.parametrize("engine", ["fused", "AUTO", None, "per-config"])
def test_bad_engine(engine):
    for estimator in (SGDClassifier(), MLPClassifier(device="cpu")):
        with pytest.raises(ValueError, match=r"engine must be one of \('auto', 'per_config'\)"):
            mnist_plan(estimator, numbered({"alpha": [0.1]}), engine=engine)


# ----------------------------------------------------------------------------------------
# Networks
# ----------------------------------------------------------------------------------------


def test_fusable_differences_form_one_fused_job():
    grid = {
        "lr": [1e-3, 1e-2, 1e-1],
        "width": [16, 64],
        "momentum": [0.0, 0.9],
        "weight_decay": [0.0, 1e-4],
    }
    configs = numbered(grid)
    (job,) = mnist_plan(MLPClassifier(device="cpu", epochs=4), configs)
    assert job.fused and job.engine == MLPEngine()
    assert job.indices == tuple(range(24))
    assert job.params == tuple(p for _, p in configs)
    assert job.epochs == 4
    assert job.units == 24 * 4
    (job,) = mnist_plan(MLPClassifier(device="cpu", epochs=4), configs, n_folds=3)
    assert job.folds == 3 and job.units == 24 * 4 * 3
    jobs = mnist_plan(
        MLPClassifier(device="cpu", epochs=4), configs, engine="per_config", n_folds=3
    )
    assert all(j.units == 4 * 3 for j in jobs)


@pytest.mark.parametrize(
    ("grid", "split_on"),
    [
        ({"epochs": [1, 2], "lr": [0.1, 0.01]}, "epochs"),
        ({"depth": [0, 1, 2], "lr": [0.1, 0.01]}, "depth"),
        ({"seed": [0, 1], "width": [8, 16]}, "seed"),
        ({"batch_size": [32, 128], "lr": [0.1, 0.01]}, "batch_size"),
        ({"optimizer": ["sgd", "adam"], "lr": [0.1, 0.01]}, "optimizer"),
        ({"dtype": ["float32", "float64"], "width": [8, 16]}, "dtype"),
    ],
)
def test_non_fusable_differences_split_into_separate_jobs(grid, split_on):
    configs = numbered(grid)
    jobs = mnist_plan(MLPClassifier(device="cpu"), configs)
    assert len(jobs) == len(grid[split_on])
    assert all_indices(jobs) == list(range(len(configs)))
    for job, value in zip(jobs, grid[split_on]):
        assert job.fused and job.engine == MLPEngine()
        assert len(job.indices) == len(configs) // len(grid[split_on])
        assert {p[split_on] for p in job.params} == {value}


def test_epochs_of_each_group_and_units():
    configs = numbered({"epochs": [2, 5], "lr": [0.1, 0.01, 0.001]})
    jobs = mnist_plan(MLPClassifier(device="cpu"), configs)
    assert [job.epochs for job in jobs] == [2, 5]
    assert [job.units for job in jobs] == [3 * 2, 3 * 5]
    assert sum(job.units for job in jobs) == 3 * 2 + 3 * 5


def test_groups_gather_interleaved_configurations_in_grid_order():
    configs = numbered({"lr": [0.1, 0.01], "epochs": [1, 3]})
    jobs = mnist_plan(MLPClassifier(device="cpu"), configs)
    assert [job.indices for job in jobs] == [(0, 2), (1, 3)]
    assert [job.epochs for job in jobs] == [1, 3]


def test_a_grid_value_equal_to_the_default_fuses_with_the_default():
    # {"depth": [1]} and no depth at all are the same network.
    base = MLPClassifier(device="cpu", depth=1)
    configs = [(0, {"lr": 0.1}), (1, {"lr": 0.2, "depth": 1}), (2, {"lr": 0.3, "depth": 2})]
    jobs = mnist_plan(base, configs)
    assert [job.indices for job in jobs] == [(0, 1), (2,)]


def test_per_config_engine_gives_one_unfused_job_each():
    configs = numbered({"lr": [0.1, 0.01], "width": [8, 16], "epochs": [1, 3]})
    jobs = mnist_plan(MLPClassifier(device="cpu", epochs=2), configs, engine="per_config")
    assert len(jobs) == 8
    assert [job.indices for job in jobs] == [(i,) for i in range(8)]
    for job, (_, params) in zip(jobs, configs):
        assert job.engine == MLPEngine() and not job.fused
        assert job.epochs == params["epochs"]
        assert job.units == params["epochs"]


def test_per_config_engine_takes_epochs_from_the_estimator():
    jobs = mnist_plan(
        MLPClassifier(device="cpu", epochs=7), numbered({"lr": [0.1]}), engine="per_config"
    )
    assert [job.epochs for job in jobs] == [7]


# ----------------------------------------------------------------------------------------
# Chunks that fit the memory budget
# ----------------------------------------------------------------------------------------


def test_the_default_budget_keeps_a_small_grid_in_one_chunk():
    configs = numbered({"lr": [0.1, 0.01], "width": [32, 64]})
    assert len(mnist_plan(MLPClassifier(device="cpu"), configs)) == 1


def test_chunks_fit_the_memory_budget(monkeypatch):
    base = MLPClassifier(device="cpu", depth=2)
    configs = numbered({"width": [16, 128, 32, 256], "lr": [0.1, 0.01, 0.001]})
    sizes = {i: size_of(p, base) for i, p in configs}
    budget = 3 * size_of({"width": 256}, base)
    asked = []

    def small_budget(device):
        asked.append(device.type)
        return budget

    monkeypatch.setattr(devices, "memory_budget", small_budget)
    jobs = mnist_plan(base, configs)
    assert asked == ["cpu"]
    assert len(jobs) > 1
    assert [i for job in jobs for i in job.indices] == list(range(len(configs)))
    for job in jobs:
        assert job.fused
        assert sum(sizes[i] for i in job.indices) <= budget
    # Greedy in grid order: the next configuration would not have fit.
    for job, following in itertools.pairwise(jobs):
        assert sum(sizes[i] for i in job.indices) + sizes[following.indices[0]] > budget


def test_chunk_sizes_for_equal_models(monkeypatch):
    base = MLPClassifier(device="cpu", width=64)
    configs = numbered({"lr": [0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]})
    one = size_of({}, base)
    monkeypatch.setattr(devices, "memory_budget", lambda device: 3 * one)
    jobs = mnist_plan(base, configs)
    assert [job.indices for job in jobs] == [(0, 1, 2), (3, 4, 5), (6,)]
    assert [job.units for job in jobs] == [9, 9, 3]


def test_float64_models_take_twice_the_memory(monkeypatch):
    configs = numbered({"lr": [0.1, 0.05, 0.02, 0.01]})
    one = size_of({}, MLPClassifier(device="cpu"))
    monkeypatch.setattr(devices, "memory_budget", lambda device: 2 * one)
    assert len(mnist_plan(MLPClassifier(device="cpu"), configs)) == 2
    assert len(mnist_plan(MLPClassifier(device="cpu", dtype="float64"), configs)) == 4


def test_a_model_larger_than_the_budget_still_gets_a_job(monkeypatch):
    monkeypatch.setattr(devices, "memory_budget", lambda device: 1)
    configs = numbered({"lr": [0.1, 0.01, 0.001]})
    jobs = mnist_plan(MLPClassifier(device="cpu"), configs)
    assert [job.indices for job in jobs] == [(0,), (1,), (2,)]
    assert all(job.fused for job in jobs)


def test_memory_estimate_uses_the_data_sizes(monkeypatch):
    base = MLPClassifier(device="cpu", depth=0)
    configs = numbered({"lr": [0.1, 0.05, 0.02, 0.01]})
    small = size_of({}, base, n_features=10, n_classes=2)
    monkeypatch.setattr(devices, "memory_budget", lambda device: 4 * small)
    assert len(make_plan(base, configs, n_features=10, n_classes=2)) == 1
    assert len(make_plan(base, configs, n_features=784, n_classes=10)) == 4


def test_job_units_count_model_epochs():
    assert Job(indices=(0, 1, 2), params=({}, {}, {}), engine=MLPEngine(), epochs=5).units == 15
    assert Job(indices=(4,), params=({},)).units == 1
