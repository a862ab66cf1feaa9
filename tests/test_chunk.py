"""A fused chunk's rows: a metric that fails for one model fails that model's row alone."""

import numpy as np
import pytest
from sklearn.exceptions import FitFailedWarning

from parsearch import MLPClassifier, fit_grid

pytest.importorskip("torch")


def picky_accuracy(y_true, y_pred):
    """Accuracy, but it raises for a model no better than chance (a degenerate model)."""
    accuracy = float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    if accuracy < 0.3:
        raise ValueError("this model predicts like chance")
    return accuracy


def nan_for_chance(y_true, y_pred):
    accuracy = float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    return float("nan") if accuracy < 0.3 else accuracy


@pytest.mark.parametrize("metric", [picky_accuracy, nan_for_chance])
@pytest.mark.parametrize("validation", ["holdout", "cv"])
def test_a_metric_failing_for_one_model_fails_that_row_alone(
    mnist_small, tmp_path, metric, validation
):
    X, y = mnist_small
    X, y = X[:1500], y[:1500]
    grid = {"lr": [1e-7, 0.05], "width": [16]}
    model = MLPClassifier(epochs=1, device="cpu", dtype="float64")
    split = (X[:1000], y[:1000], X[1000:], y[1000:]) if validation == "holdout" else (X, y)
    with pytest.warns(FitFailedWarning, match="predicts like chance|score is nan"):
        res = fit_grid(model, grid, *split, metric=metric, cv=2, out=tmp_path, progress=False)
    slow, good = res.table.iloc[0], res.table.iloc[1]
    assert slow["status"] == "failed" and np.isnan(slow["score"])
    assert f"scoring with {metric.__name__} failed" in slow["error"]
    assert ("predicts like chance" in slow["error"]) == (metric is picky_accuracy)
    assert good["status"] == "ok" and good["score"] > 0.5
    assert res.best_params == {"lr": 0.05, "width": 16}
    # The failed row is tried again on a rerun; the good one is reused.
    again = fit_grid(model, grid, *split, metric=metric, cv=2, out=tmp_path, progress=False,
                     plot=False)  # fmt: skip
    assert again.meta["execution"]["reused_rows"] == 1


def test_a_metric_failing_for_every_model_is_an_error_naming_it(mnist_small):
    X, y = mnist_small
    with pytest.raises(RuntimeError, match="scoring with picky_accuracy failed"):
        fit_grid(MLPClassifier(epochs=1, device="cpu"), {"lr": [1e-7, 2e-7]},
                 X[:800], y[:800], X[800:1200], y[800:1200], metric=picky_accuracy,
                 progress=False)  # fmt: skip
