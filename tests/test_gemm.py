"""The layer-1 matrix products: oneDNN and torch.mm give the same numbers."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from parsearch.nets import fused, gemm  # noqa: E402

needs_onednn = pytest.mark.skipif(not gemm.onednn_works(), reason="no oneDNN in this torch")


@pytest.fixture
def onednn_off(monkeypatch):
    """Turn oneDNN off through the environment switch for one test."""
    monkeypatch.setenv(gemm.ENV_SWITCH, "0")
    gemm.onednn_works.cache_clear()
    yield
    monkeypatch.delenv(gemm.ENV_SWITCH)
    gemm.onednn_works.cache_clear()


def operands(m=57, k=784, n=33, seed=0):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(m, k, generator=gen)
    b = torch.randn(n, k, generator=gen)
    return a, b


@pytest.mark.parametrize("onednn", [pytest.param(True, marks=needs_onednn), False])
@pytest.mark.parametrize("strided", [False, True])
def test_mm_t_is_a_times_b_transposed(onednn, strided):
    a, b = operands()
    if strided:  # b given as the transpose of a contiguous (k, n) tensor, as in backward
        b = b.T.contiguous().T
    got = gemm.mm_t(a, b, onednn)
    expected = a.double() @ b.double().T
    assert got.shape == (57, 33) and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("onednn", [pytest.param(True, marks=needs_onednn), False])
def test_linear_t_adds_the_bias_per_row(onednn):
    w, x = operands(m=40, n=8)
    bias = torch.arange(40, dtype=torch.float32)
    got = gemm.linear_t(w, x, bias, onednn)
    expected = w.double() @ x.double().T + bias.double()[:, None]
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("onednn", [pytest.param(True, marks=needs_onednn), False])
def test_accumulate_mm_t(onednn):
    a, b = operands(m=30, k=16, n=20)
    start = torch.randn(30, 20, generator=torch.Generator().manual_seed(1))
    out = start.clone()
    gemm.accumulate_mm_t(out, a, b, 0.9, onednn)
    expected = 0.9 * start.double() + a.double() @ b.double().T
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    # beta = 0 ignores what the target held, NaN included.
    out.fill_(float("nan"))
    gemm.accumulate_mm_t(out, a, b, 0.0, onednn)
    np.testing.assert_allclose(out.numpy(), (a.double() @ b.double().T).numpy(), atol=1e-5)


def test_onednn_only_for_float32_on_the_cpu(monkeypatch):
    cpu = torch.device("cpu")
    assert not gemm.use_onednn(torch.float64, cpu)
    assert not gemm.use_onednn(torch.float32, torch.device("cuda"))
    monkeypatch.setattr(torch.backends.mkldnn, "enabled", False)  # torch's own switch
    assert not gemm.use_onednn(torch.float32, cpu)
    assert gemm.backend_name(torch.float64, cpu) == "torch.mm"
    assert gemm.backend_name(torch.float32, torch.device("cuda")) == "cuBLAS"


@needs_onednn
def test_fused_net_uses_onednn_for_float32_on_the_cpu():
    hypers = [fused.ModelHyper(lr=0.1, width=8)]

    def net(dtype):
        spec = fused.TrainSpec(1, 1, 16, "sgd", 0, dtype, torch.device("cpu"))
        return fused.FusedNet(20, 3, hypers, spec)

    assert net(torch.float32).onednn and not net(torch.float64).onednn


def test_a_failing_check_falls_back_with_a_warning(monkeypatch):
    class Broken:
        def __getattr__(self, name):
            raise TypeError("some other signature")

    monkeypatch.setattr(torch.ops, "mkldnn", Broken())
    gemm.onednn_works.cache_clear()
    try:
        if gemm.platform.machine().lower() in gemm.X86_64 and torch.backends.mkldnn.is_available():
            with pytest.warns(UserWarning, match="oneDNN matmul unavailable"):
                assert not gemm.onednn_works()
        else:
            assert not gemm.onednn_works()
    finally:
        monkeypatch.undo()
        gemm.onednn_works.cache_clear()


def test_environment_switch_turns_onednn_off(onednn_off):
    assert not gemm.onednn_works()
    assert gemm.backend_name(torch.float32, torch.device("cpu")) == "torch.mm"


def test_not_used_off_x86(monkeypatch):
    monkeypatch.setattr(gemm.platform, "machine", lambda: "arm64")
    gemm.onednn_works.cache_clear()
    try:
        assert not gemm.onednn_works()
    finally:
        gemm.onednn_works.cache_clear()


@needs_onednn
def test_fused_training_agrees_across_backends(mnist_small, monkeypatch):
    """The same float32 grid trained on oneDNN and on torch.mm: equal to float32 rounding."""
    X, y = mnist_small
    X, y, Xv, yv = X[:300], y[:300], X[300:400], y[300:400]
    hypers = [
        fused.ModelHyper(lr=0.01, width=32, momentum=0.9),
        fused.ModelHyper(lr=0.003, width=64, momentum=0.9),
    ]
    spec = fused.TrainSpec(
        depth=1,
        epochs=2,
        batch_size=64,
        optimizer="sgd",
        seed=0,
        dtype=torch.float32,
        device=torch.device("cpu"),
    )

    def train():
        return fused.train_fused(
            X, y, hypers, spec, 10, X_val=Xv, score=lambda p: (p == yv).mean(), proba=False
        )

    with_onednn = train()
    monkeypatch.setattr(gemm, "use_onednn", lambda dtype, device: False)
    with_mm = train()
    for a, b in zip(with_onednn, with_mm):
        assert a.epoch_scores == b.epoch_scores
        np.testing.assert_allclose(a.train_loss, b.train_loss, rtol=1e-5)
        for (w_a, b_a), (w_b, b_b) in zip(a.layers, b.layers):
            np.testing.assert_allclose(w_a, w_b, rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(b_a, b_b, rtol=1e-4, atol=1e-5)
