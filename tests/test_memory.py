"""The heap setting around fused training: results unchanged, defaults put back."""

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from parsearch.nets import fused, memory  # noqa: E402


def _train(X, y):
    spec = fused.TrainSpec(1, 2, 32, "sgd", 0, torch.float32, torch.device("cpu"))
    hypers = [fused.ModelHyper(lr=0.05, width=64, momentum=0.9), fused.ModelHyper(0.01, 32)]
    return fused.train_fused(X, y, hypers, spec, 10)


def test_training_is_the_same_with_and_without_the_heap_setting(mnist_small, monkeypatch):
    X, y = mnist_small[0][:512], mnist_small[1][:512]
    tuned = _train(X, y)
    monkeypatch.setattr(memory, "_LIBC", None)
    plain = _train(X, y)
    for a, b in zip(tuned, plain):
        for (w, bias), (w0, bias0) in zip(a.layers, b.layers):
            np.testing.assert_array_equal(w, w0)
            np.testing.assert_array_equal(bias, bias0)


def test_nested_and_concurrent_uses_end_with_the_defaults(monkeypatch):
    calls = []

    class FakeLibc:
        def mallopt(self, option, value):
            calls.append((option, value))
            return 1

        def malloc_trim(self, pad):
            calls.append(("trim", pad))
            return 1

    monkeypatch.setattr(memory, "_LIBC", FakeLibc())

    def use():
        with memory.heap_for_large_temporaries(), memory.heap_for_large_temporaries():
            pass

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with memory.heap_for_large_temporaries():
        assert memory._depth == 1
        assert calls[-2:] == [(-3, memory._KEEP), (-1, 2 * memory._KEEP - 1)]
    assert memory._depth == 0
    assert calls[-3:] == [(-3, 128 * 1024), (-1, 128 * 1024), ("trim", 0)]
