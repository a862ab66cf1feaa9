"""TorchClassifier against scikit-learn's estimator checks, with a small module: a lazy
linear layer (any number of features) giving ten log-probabilities (the checks' data sets
have fewer classes; outputs beyond the classes are ignored). None is declared an expected
failure."""

import pytest

pytest.importorskip("torch")

import torch_modules as tm
from sklearn.utils.estimator_checks import parametrize_with_checks

from parsearch import TorchClassifier

#: Enough training for check_classifiers_train's accuracy on three blobs.
SMALL = TorchClassifier(tm.tiny, epochs=3, batch_size=16, lr=0.1, momentum=0.9, device="cpu")


@parametrize_with_checks([SMALL])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
