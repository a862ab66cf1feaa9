"""MLPClassifier against scikit-learn's estimator checks (``check_estimator``).

Every check runs as its own test, on a small fast configuration and on the defaults
(about 5 seconds for both). None is declared an expected failure: all pass.
``check_array_api_input`` skips itself unless ``SCIPY_ARRAY_API=1`` is set (then it
passes too).
"""

import pytest

pytest.importorskip("torch")

from sklearn.utils.estimator_checks import parametrize_with_checks

from parsearch import MLPClassifier

#: Enough training for check_classifiers_train's accuracy (> 0.83 on three blobs; this
#: configuration reaches 0.90 to 0.93 over seeds 0 to 9) in a fraction of a second, on
#: the CPU, where such small batches are fastest.
FAST = MLPClassifier(width=8, epochs=2, batch_size=16, lr=0.05, device="cpu")


@parametrize_with_checks([FAST, MLPClassifier()])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
