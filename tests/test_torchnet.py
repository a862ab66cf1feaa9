"""parsearch/torchnet: any nn.Module grid trained fused through torch.func, each model
exactly as TorchClassifier.fit trains it alone with torch.optim (float64, to 1e-10)."""

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("torch")

import torch
import torch_modules as tm

from parsearch import MLPClassifier, TorchClassifier, fit_grid
from parsearch.engine import FusedModels, engine_of
from parsearch.fused.chunk import Split
from parsearch.rows import Col, Status
from parsearch.torchnet.engine import TorchEngine
from parsearch.torchnet.fused import NotFusable, TorchModels

QUIET = {"progress": False, "plot": False}
BASE = {"epochs": 2, "batch_size": 32, "dtype": "float64", "device": "cpu"}
TOL = 1e-10


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """These models are tiny: on a shared 2-core machine, torch's second thread only
    waits (16 steps took 2 s with two threads under load, 2 ms with one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _center(X):
    """The central 14 x 14 pixels: no pixel constant over the samples (a constant input
    gives a Linear before BatchNorm a gradient of pure rounding noise, which Adam scales
    up to its epsilon: no two summation orders agree on it)."""
    return np.ascontiguousarray(X.reshape(-1, 1, 28, 28)[:, :, 7:21, 7:21], dtype=np.float64)


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y = mnist_small
    X = _center(X[:384]).reshape(384, -1)  # 196 features
    return X[:256], y[:256], X[256:], y[256:384]


@pytest.fixture(scope="module")
def images(mnist_small):
    X, y = mnist_small
    X = _center(X[:288])  # (n, 1, 14, 14)
    return X[:192], y[:192], X[192:], y[192:288]


def fused_outcomes(models, data):
    """Train ``models`` (configured estimators) in one fused run; their outcomes."""
    X, y, Xv, yv = data
    classes, y_enc = np.unique(y, return_inverse=True)
    engine = TorchEngine()
    run_data = engine.run_data(Split(X, y_enc, Xv, yv, classes), models[0], lambda o: 0.0, True)
    run = engine.start(run_data, models)
    run.train_to(models[0].epochs)
    return run.results()


def assert_as_alone(models, outcomes, data):
    """Each fused model's weights, buffers and loss curve are those it gets alone."""
    X, y = data[:2]
    for model, outcome in zip(models, outcomes):
        alone = TorchClassifier(**model.get_params()).fit(X, y)
        expected = [t.detach().cpu().numpy() for t in alone.module_.parameters()]
        expected += [t.cpu().numpy() for t in alone.module_.buffers()]
        got = [*outcome.layers[0], *outcome.layers[1]]
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert a.shape == b.shape
            assert np.max(np.abs(a - b), initial=0) < TOL
        assert np.allclose(outcome.train_loss, alone.loss_curve_, rtol=0, atol=TOL)


SGD_GRID = [
    {"lr": 0.1, "momentum": 0.0},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.2, "momentum": 0.5, "weight_decay": 1e-3},
]
CASES = {
    "logreg-sgd": (tm.LogReg, {"optimizer": "sgd"}, SGD_GRID),
    "sequential-sgd": (tm.mlp, {"optimizer": "sgd"}, SGD_GRID),
    "sequential-nesterov": (
        tm.mlp,
        {"optimizer": "sgd", "nesterov": True},
        [{"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-2}, {"lr": 0.02, "momentum": 0.5}],
    ),
    "batchnorm-sgd": (tm.batchnorm, {"optimizer": "sgd"}, SGD_GRID),
    "sequential-adam": (
        tm.mlp,
        {"optimizer": "adam"},
        [
            {"lr": 1e-3},
            {"lr": 3e-3, "betas": (0.8, 0.99), "weight_decay": 1e-2},
            {"lr": 1e-2, "betas": (0.9, 0.999)},
        ],
    ),
    "batchnorm-adamw": (
        tm.batchnorm,
        {"optimizer": "adamw"},
        [{"lr": 1e-3, "weight_decay": 0.1}, {"lr": 3e-3, "betas": (0.8, 0.99)}],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_fused_model_trains_as_it_would_alone(case, data):
    module, fixed, grid = CASES[case]
    models = [TorchClassifier(module, **BASE, **fixed, **g) for g in grid]
    assert_as_alone(models, fused_outcomes(models, data), data)


def test_a_cnn_on_images_trains_as_alone_and_through_fit_grid(images):
    fixed = {**BASE, "loss": "cross_entropy", "optimizer": "sgd"}
    models = [TorchClassifier(tm.cnn, **fixed, **g) for g in SGD_GRID[:2]]
    assert_as_alone(models, fused_outcomes(models, images), images)
    # fit_grid takes the images as they are, and scores each model as it scores alone.
    grid = {"lr": [0.1, 0.05], "momentum": [0.0, 0.9]}
    res = fit_grid(TorchClassifier(tm.cnn, **fixed), grid, *images, **QUIET)
    assert res.meta["execution"]["fused_groups"] == [4]
    X, y, Xv, yv = images
    for _, row in res.table.iterrows():
        alone = TorchClassifier(tm.cnn, **fixed, lr=row["lr"], momentum=row["momentum"])
        assert row[Col.SCORE] == pytest.approx(alone.fit(X, y).score(Xv, yv), abs=1e-12)
    assert res.best_model.predict(Xv[:3]).shape == (3,)


def test_images_are_still_refused_for_an_engine_that_does_not_take_them(images):
    with pytest.raises(ValueError, match="must be 2-D"):
        fit_grid(MLPClassifier(epochs=1), {"lr": [0.1]}, *images, **QUIET)


def test_a_diverging_model_is_frozen_and_the_others_are_bit_for_bit_unchanged(data):
    fixed = {**BASE, "optimizer": "sgd", "momentum": 0.9}
    safe = [TorchClassifier(tm.mlp, **fixed, lr=lr) for lr in (0.1, 0.05, 0.01)]
    wild = [TorchClassifier(tm.mlp, **fixed, lr=lr) for lr in (0.1, 0.05, 1e300)]
    calm, blown = fused_outcomes(safe, data), fused_outcomes(wild, data)
    assert blown[2].diverged_epoch == 1 and np.isnan(blown[2].train_loss).all()
    for a, b in zip(calm[:2], blown[:2]):
        assert a.train_loss == b.train_loss
        for x, z in zip([*a.layers[0], *a.layers[1]], [*b.layers[0], *b.layers[1]]):
            assert np.array_equal(x, z)
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = fit_grid(TorchClassifier(tm.mlp, **fixed), {"lr": [0.1, 1e300]}, *data, **QUIET)
    assert list(res.table[Col.STATUS]) == [Status.OK, Status.DIVERGED]


def test_cross_validation_scores_each_fold_as_alone(data):
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = data[:2]
    fixed = {**BASE, "epochs": 1, "momentum": 0.9}
    grid = {"lr": [0.1, 0.02]}
    res = fit_grid(TorchClassifier(tm.LogReg, **fixed), grid, X, y, cv=3, **QUIET)
    assert res.meta["execution"]["fused_groups"] == [2]
    for lr, score in zip(grid["lr"], res.table[Col.SCORE]):
        model = TorchClassifier(tm.LogReg, **fixed, lr=lr)
        assert score == pytest.approx(cross_val_score(model, X, y, cv=StratifiedKFold(3)).mean(),
                                      abs=1e-12)  # fmt: skip


@pytest.mark.parametrize("module", [tm.dropout, tm.Branching])
def test_a_module_vmap_cannot_run_trains_one_at_a_time_with_one_warning(module, data):
    models = [TorchClassifier(module, **BASE, **g) for g in SGD_GRID]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcomes = fused_outcomes(models, data)
    said = [w for w in caught if issubclass(w.category, NotFusable)]
    assert len(said) == 1 and "one at a time" in str(said[0].message)
    assert_as_alone(models, outcomes, data)  # dropout: each model its own random numbers


def test_module_parameters_split_groups_and_the_rest_fuses(data):
    grid = {"module__hidden": [8, 16], "lr": [0.1, 0.05], "momentum": [0.0, 0.9]}
    fixed = {**BASE, "epochs": 1}
    res = fit_grid(TorchClassifier(tm.mlp, **fixed), grid, *data, **QUIET)
    assert sorted(res.meta["execution"]["fused_groups"]) == [4, 4]
    X, y, Xv, yv = data
    row = res.table.iloc[int(np.argmax(res.table[Col.SCORE]))]
    params = {k: row[k].item() if hasattr(row[k], "item") else row[k] for k in grid}
    alone = TorchClassifier(tm.mlp, **fixed, **params).fit(X, y)
    assert res.best_score == pytest.approx(alone.score(Xv, yv), abs=1e-12)


def test_the_estimator_pickles_clones_and_predicts_any_label_type(data):
    from sklearn.base import clone

    X, y, Xv, _ = data
    labels = np.array([f"digit {d}" for d in y])
    model = TorchClassifier(tm.mlp, module__hidden=8, **{**BASE, "epochs": 1}, lr=0.1)
    assert clone(model).get_params()["module__hidden"] == 8
    assert isinstance(engine_of(model), TorchEngine)
    model.fit(X, labels)
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(again.predict(Xv), model.predict(Xv))
    assert set(model.predict(Xv)) <= set(labels)
    assert np.allclose(model.predict_proba(Xv).sum(axis=1), 1)
    with pytest.raises(TypeError, match="module__"):
        TorchClassifier(tm.mlp, hidden=8)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lr": -0.1}, "lr must be a number >= 0"),
        ({"lr": 1e39, "dtype": "float32"}, r"lr=1e\+39 is beyond what float32 can hold"),
        ({"weight_decay": 1e39, "dtype": "float32"}, r"weight_decay=1e\+39 is beyond"),
        ({"nesterov": True, "momentum": 0.0}, "nesterov=True needs a momentum > 0"),
    ],
)
def test_bad_parameters_are_refused_before_any_training(data, params, message):
    X, y = data[:2]
    with pytest.raises(ValueError, match=f"TorchClassifier: {message}"):
        TorchClassifier(tm.mlp, **{**BASE, **params}).fit(X, y)


def test_float64_holds_a_learning_rate_float32_cannot():
    from parsearch.torchnet.params import check_torch_params

    check_torch_params({"lr": 1e39, "dtype": "float64"})


def test_the_run_is_fused_models_with_a_wide_first_layer_where_it_can(data):
    X, y = data[:2]
    engine = TorchEngine()
    classes, y_enc = np.unique(y, return_inverse=True)

    def layout(module):
        model = TorchClassifier(module, **BASE)
        run_data = engine.run_data(Split(X, y_enc, None, None, classes), model, None, True)
        return TorchModels(run_data, [model.get_params()] * 2)

    mlp = layout(tm.mlp)
    assert isinstance(mlp, FusedModels)
    assert mlp.wide is not None and mlp.wide.weight == "0.weight"  # the exactness tests' path
    assert layout(tm.LogReg).wide is None  # its own Parameters: vmap runs it all


def test_images_of_another_shape_for_validation_are_refused(images):
    X, y, Xv, yv = images
    with pytest.raises(ValueError, match="samples of shape"):
        fit_grid(TorchClassifier(tm.cnn, **BASE), {"lr": [0.1]}, X, y, Xv[:, :, :8], yv, **QUIET)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA")
@pytest.mark.parametrize("module", [tm.batchnorm, tm.dropout])
def test_on_cuda_each_model_trains_as_alone(module, data):
    fixed = {**BASE, "device": "auto", "optimizer": "sgd"}  # auto: CUDA where there is one
    models = [TorchClassifier(module, **fixed, **g) for g in SGD_GRID]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotFusable)
        outcomes = fused_outcomes(models, data)
    assert_as_alone(models, outcomes, data)
