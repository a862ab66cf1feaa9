"""The fused trainer against plain torch.nn models trained one by one."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from parsearch.fused.live import batch_orders  # noqa: E402
from parsearch.nets import devices, fused, optim  # noqa: E402
from parsearch.nets.mlp import MLPClassifier  # noqa: E402

N_TRAIN, N_VAL, N_FEATURES, N_CLASSES = 300, 100, 784, 10

DEVICES = [pytest.param("cpu", id="cpu")]
if torch.cuda.is_available():
    DEVICES.append(pytest.param("cuda", id="cuda", marks=pytest.mark.cuda))
else:
    DEVICES.append(
        pytest.param(
            "cuda", id="cuda", marks=[pytest.mark.cuda, pytest.mark.skip(reason="no CUDA")]
        )
    )


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y = mnist_small
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN : N_TRAIN + N_VAL], y[N_TRAIN : N_TRAIN + N_VAL]


def reference_train(X, y, hyper, spec, n_classes):
    """Train one network with torch.nn, autograd and torch.optim, the plain way."""
    layers = fused.init_layers(X.shape[1], hyper.width, spec.depth, n_classes, spec.seed)
    modules = []
    for i, (w, b) in enumerate(layers):
        linear = torch.nn.Linear(w.shape[1], w.shape[0], dtype=spec.dtype, device=spec.device)
        with torch.no_grad():
            linear.weight.copy_(w)
            linear.bias.copy_(b)
        modules.append(linear)
        if i < len(layers) - 1:
            modules.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*modules, torch.nn.LogSoftmax(dim=1))
    if spec.optimizer == "sgd":
        opt = torch.optim.SGD(
            model.parameters(),
            lr=hyper.lr,
            momentum=hyper.momentum,
            weight_decay=hyper.weight_decay,
        )
    else:
        opt = torch.optim.Adam(model.parameters(), lr=hyper.lr, weight_decay=hyper.weight_decay)
    Xt = torch.as_tensor(X, dtype=spec.dtype, device=spec.device)
    yt = torch.as_tensor(y, device=spec.device)
    for order in batch_orders(len(X), spec.epochs, spec.seed):
        for start in range(0, len(X), spec.batch_size):
            idx = torch.as_tensor(order[start : start + spec.batch_size], device=spec.device)
            loss = torch.nn.functional.nll_loss(model(Xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    return [(m.weight.detach().cpu().numpy(), m.bias.detach().cpu().numpy()) for m in linears]


def reference_predict(layers, X):
    a = X
    for i, (w, b) in enumerate(layers):
        a = a @ w.T + b
        if i < len(layers) - 1:
            a = np.maximum(a, 0)
    return a.argmax(axis=1)


def make_spec(device, depth, optimizer, dtype=torch.float64, epochs=2, batch_size=32, seed=3):
    return fused.TrainSpec(
        depth=depth,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        seed=seed,
        dtype=dtype,
        device=torch.device(device),
    )


GRIDS = {
    "sgd": [
        fused.ModelHyper(lr=0.05, width=16, momentum=0.9),
        fused.ModelHyper(lr=0.01, width=32, momentum=0.9),
        fused.ModelHyper(lr=0.1, width=16, momentum=0.5, weight_decay=1e-3),
        fused.ModelHyper(lr=0.003, width=8, momentum=0.0),
    ],
    "adam": [
        fused.ModelHyper(lr=1e-3, width=16),
        fused.ModelHyper(lr=3e-3, width=32, weight_decay=1e-4),
        fused.ModelHyper(lr=1e-4, width=16),
    ],
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_fused_matches_torch_nn_float64(data, device, optimizer, depth):
    X, y, Xv, yv = data
    hypers = GRIDS[optimizer]
    spec = make_spec(device, depth, optimizer)
    outcomes = fused.train_fused(
        X, y, hypers, spec, N_CLASSES, X_val=Xv, score=lambda p: (p == yv).mean(), proba=False
    )
    for hyper, outcome in zip(hypers, outcomes):
        expected = reference_train(X, y, hyper, spec, N_CLASSES)
        assert len(outcome.layers) == depth + 1
        for (w, b), (w_ref, b_ref) in zip(outcome.layers, expected):
            np.testing.assert_allclose(w, w_ref, rtol=0, atol=1e-10)
            np.testing.assert_allclose(b, b_ref, rtol=0, atol=1e-10)
        accuracy = (reference_predict(expected, Xv.astype(np.float64)) == yv).mean()
        assert outcome.epoch_scores[-1] == accuracy
        assert outcome.diverged_epoch is None
        assert np.all(np.isfinite(outcome.train_loss))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("depth", [0, 1])
def test_fused_matches_standalone_classifier_float32(data, device, depth):
    """Fused in float32 equals each configuration fitted alone, to float32 rounding."""
    X, y, Xv, yv = data
    hypers = [
        fused.ModelHyper(lr=0.01, width=32, momentum=0.9),
        fused.ModelHyper(lr=0.003, width=64, momentum=0.9),
        fused.ModelHyper(lr=0.001, width=32, momentum=0.9),
    ]
    spec = make_spec(device, depth, "sgd", dtype=torch.float32, epochs=2, batch_size=64)
    outcomes = fused.train_fused(
        X, y, hypers, spec, N_CLASSES, X_val=Xv, score=lambda p: (p == yv).mean(), proba=False
    )
    for hyper, outcome in zip(hypers, outcomes):
        alone = MLPClassifier(
            width=hyper.width,
            depth=depth,
            lr=hyper.lr,
            momentum=hyper.momentum,
            epochs=2,
            batch_size=64,
            seed=3,
            device=device,
        ).fit(X, y)
        for (w, b), (w_ref, b_ref) in zip(outcome.layers, alone.layers_):
            np.testing.assert_allclose(w, w_ref, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(b, b_ref, rtol=1e-4, atol=1e-5)
        assert outcome.epoch_scores[-1] == alone.score(Xv, yv)


@pytest.mark.parametrize("device", DEVICES)
def test_diverging_model_is_frozen_and_others_unaffected(data, device):
    X, y, Xv, yv = data
    good = [
        fused.ModelHyper(lr=0.01, width=16, momentum=0.9),
        fused.ModelHyper(lr=0.003, width=32, momentum=0.9),
    ]
    bad = fused.ModelHyper(lr=1e8, width=16, momentum=0.9)
    spec = make_spec(device, 1, "sgd", dtype=torch.float32, epochs=3)
    score = lambda p: (p == yv).mean()  # noqa: E731
    with_bad = fused.train_fused(
        X, y, [good[0], bad, good[1]], spec, N_CLASSES, X_val=Xv, score=score, proba=False
    )
    # Same shapes, the diverging model swapped for a sane one: the others are bit-for-bit equal.
    sane = fused.ModelHyper(lr=0.02, width=16, momentum=0.9)
    with_sane = fused.train_fused(
        X, y, [good[0], sane, good[1]], spec, N_CLASSES, X_val=Xv, score=score, proba=False
    )
    # Without it at all: equal to float32 rounding (other shapes, other GEMM blocking).
    alone = fused.train_fused(X, y, good, spec, N_CLASSES, X_val=Xv, score=score, proba=False)
    assert with_bad[1].diverged_epoch == 1
    assert np.isnan(with_bad[1].epoch_scores).all()
    assert np.isnan(with_bad[1].train_loss).all()
    for a, b, c in zip([with_bad[0], with_bad[2]], [with_sane[0], with_sane[2]], alone):
        assert a.diverged_epoch is None
        assert a.epoch_scores == b.epoch_scores == c.epoch_scores
        assert a.train_loss == b.train_loss
        np.testing.assert_allclose(a.train_loss, c.train_loss, rtol=1e-5)
        for (w, bias), (w_b, b_b), (w_c, b_c) in zip(a.layers, b.layers, c.layers):
            np.testing.assert_array_equal(w, w_b)
            np.testing.assert_array_equal(bias, b_b)
            np.testing.assert_allclose(w, w_c, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(bias, b_c, rtol=1e-4, atol=1e-6)
    # Frozen: its parameters were zeroed and stay finite.
    for w, bias in with_bad[1].layers:
        assert np.all(w == 0) and np.all(bias == 0)


@pytest.mark.parametrize("device", DEVICES)
def test_diverging_model_leaves_the_others_equal_to_torch_nn_float64(data, device):
    """With a diverging model in the group, the others still match plain torch to 1e-10."""
    X, y, Xv, _ = data
    good = [
        fused.ModelHyper(lr=0.05, width=16, momentum=0.9),
        fused.ModelHyper(lr=0.01, width=32, momentum=0.5, weight_decay=1e-3),
    ]
    bad = fused.ModelHyper(lr=1e300, width=16, momentum=0.9)
    spec = make_spec(device, 1, "sgd")
    outcomes = fused.train_fused(
        X, y, [good[0], bad, good[1]], spec, N_CLASSES, X_val=Xv, score=lambda p: 0.0, proba=False
    )
    assert outcomes[1].diverged_epoch == 1
    for hyper, outcome in zip(good, [outcomes[0], outcomes[2]]):
        assert outcome.diverged_epoch is None
        expected = reference_train(X, y, hyper, spec, N_CLASSES)
        for (w, b), (w_ref, b_ref) in zip(outcome.layers, expected):
            np.testing.assert_allclose(w, w_ref, rtol=0, atol=1e-10)
            np.testing.assert_allclose(b, b_ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("validate", [True, False])
def test_weights_blown_up_by_the_last_update_are_diverged(data, device, validate):
    """The loss of the only update was finite; the weights it left give infinite outputs."""
    X, y, Xv, yv = data
    good = fused.ModelHyper(lr=0.01, width=16, momentum=0.9)
    bad = fused.ModelHyper(lr=1e30, width=16, momentum=0.9)
    spec = make_spec(device, 1, "sgd", dtype=torch.float32, epochs=1, batch_size=N_TRAIN)

    def log_loss(proba):  # raises on NaN, as sklearn's does
        assert np.isfinite(proba).all(), "scored a model with NaN outputs"
        return float(-np.log(proba[np.arange(len(yv)), yv]).mean())

    kw = dict(X_val=Xv, score=log_loss, proba=True) if validate else {}
    a, b = fused.train_fused(X, y, [good, bad], spec, N_CLASSES, **kw)
    alone = fused.train_fused(X, y, [good], spec, N_CLASSES, **kw)[0]
    assert b.diverged_epoch == 1 and a.diverged_epoch is None
    assert np.isnan(b.train_loss).all()
    assert all(np.all(w == 0) and np.all(bias == 0) for w, bias in b.layers)
    if validate:
        assert np.isnan(b.epoch_scores).all() and np.isfinite(a.epoch_scores).all()
    for (w, bias), (w_alone, b_alone) in zip(a.layers, alone.layers):
        np.testing.assert_allclose(w, w_alone, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(bias, b_alone, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_per_model_tensors_give_what_shared_floats_give(data, optimizer, monkeypatch):
    """The two forms of a hyperparameter (a float shared by all models, or a tensor) agree."""
    X, y, _, _ = data
    hypers = [
        fused.ModelHyper(lr=0.05, width=16, momentum=0.9, weight_decay=1e-3),
        fused.ModelHyper(lr=0.01, width=32, momentum=0.9, weight_decay=1e-3),
    ]
    spec = make_spec("cpu", 1, optimizer)
    shared = fused.train_fused(X, y, hypers, spec, N_CLASSES)
    build = optim.PerModel.of.__func__

    def never_shared(cls, values, spread, shareable=True):
        return build(cls, values, spread, shareable=False)

    monkeypatch.setattr(optim.PerModel, "of", classmethod(never_shared))
    tensors = fused.train_fused(X, y, hypers, spec, N_CLASSES)
    for a, b in zip(shared, tensors):
        np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-12)
        for (w_a, b_a), (w_b, b_b) in zip(a.layers, b.layers):
            np.testing.assert_allclose(w_a, w_b, rtol=0, atol=1e-12)
            np.testing.assert_allclose(b_a, b_b, rtol=0, atol=1e-12)


def test_per_model_keeps_a_shared_value_as_a_float():
    hypers = [fused.ModelHyper(lr=0.1, width=w) for w in (8, 16)]
    net = fused.FusedNet(20, 3, hypers, make_spec("cpu", 1, "sgd"))
    shared = optim.PerModel.of([0.9, 0.9], net.per_element)
    assert shared.shared and shared.value == 0.9 and shared.part(slice(5, None)) is shared
    varied = optim.PerModel.of([0.1, 0.2], net.per_element)
    assert not varied.shared and varied.value.shape == net.flat.shape
    assert optim.PerModel.of([0.1, 0.2], net.per_row).value.shape == (24, 1)  # (H, 1)
    assert not optim.PerModel.of([0.9, 0.9], net.per_element, shareable=False).shared
    out = torch.ones(3)
    optim.PerModel(0.0).add_scaled_(out, torch.tensor([1.0, float("nan"), 2.0]))
    assert out.tolist() == [1.0, 1.0, 1.0]  # a shared zero (weight decay 0) costs nothing
    optim.PerModel(torch.tensor([1.0, 0.0, 3.0])).add_scaled_(out, torch.full((3,), 2.0), 0.5)
    assert out.tolist() == [2.0, 1.0, 4.0]
    with pytest.raises(TypeError, match="shared by all models"):
        optim.PerModel(0.5).zero_models_(torch.ones(3, dtype=torch.bool))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_freeze_zeroes_those_models_weights_state_and_learning_rates_only(optimizer):
    hypers = [fused.ModelHyper(lr=0.1, width=w, momentum=0.9) for w in (8, 16, 8)]
    net = fused.FusedNet(20, 3, hypers, make_spec("cpu", 1, optimizer))
    opt = optim.make_optimizer(optimizer, net)
    if optimizer == "sgd":
        state = [opt.buf]
        lrs = [
            (opt.neg_lr_rest.value, net.model_of[net.w1_size :]),
            (opt.neg_lr_w1.value[:, 0], net.row_model),  # (H,)
        ]
    else:
        state, lrs = [opt.m, opt.v], [(opt.neg_lr.value, net.model_of)]
    for tensor in [net.flat, *state]:
        tensor.fill_(1.0)
    fused._freeze(net, opt, np.array([False, True, False]))
    for k in range(3):
        zeroed = [bool((t[net.model_of == k] == 0).all()) for t in [net.flat, *state]]
        zeroed += [bool((lr[owner == k] == 0).all()) for lr, owner in lrs]
        assert zeroed == [k == 1] * len(zeroed)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        optim.make_optimizer("rmsprop", net)


def test_nonfinite_models_names_the_models_with_bad_parameters():
    hypers = [fused.ModelHyper(lr=0.1, width=w) for w in (8, 16, 8)]
    net = fused.FusedNet(20, 3, hypers, make_spec("cpu", 1, "sgd"))
    assert not net.nonfinite_models().any()
    # Layout order is by width: models 0 and 2 (width 8) come first, then model 1.
    k = net.order.index(1)
    net.params["bo_1"][0, 2] = float("inf")
    assert net.nonfinite_models().tolist() == [i == k for i in range(3)]
    j = net.order.index(2)
    net.params["W1"][net.row_offsets[j] + 3, 7] = float("nan")
    assert net.nonfinite_models().tolist() == [i in (j, k) for i in range(3)]


def test_init_is_reproducible_and_seed_dependent():
    a = fused.init_layers(784, 32, 1, 10, seed=0)
    b = fused.init_layers(784, 32, 1, 10, seed=0)
    c = fused.init_layers(784, 32, 1, 10, seed=1)
    assert all(torch.equal(x[0], y[0]) for x, y in zip(a, b))
    assert not torch.equal(a[0][0], c[0][0])
    bound = 1 / np.sqrt(784)
    assert float(a[0][0].abs().max()) <= bound
    assert [tuple(w.shape) for w, _ in a] == [(32, 784), (10, 32)]


def test_batch_orders_are_permutations_fixed_by_seed():
    orders = batch_orders(50, 3, seed=7)
    assert len(orders) == 3
    for order in orders:
        assert sorted(order.tolist()) == list(range(50))
    assert not np.array_equal(orders[0], orders[1])
    again = batch_orders(50, 3, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(orders, again))


def test_resolve_device():
    assert devices.resolve_device("cpu").type == "cpu"
    assert devices.resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            devices.resolve_device("cuda")


def test_model_bytes_grows_with_width_and_adam():
    small = fused.model_bytes(784, 32, 1, 10, 64, "sgd")
    assert fused.model_bytes(784, 64, 1, 10, 64, "sgd") > small
    assert fused.model_bytes(784, 32, 1, 10, 64, "adam") > small
