"""The engine seam (parsearch.engine): a second engine, known to nothing in parsearch/,
goes through fit_grid end to end: planning and memory chunks, the results folder and
resume, halving, cross-validation and Dask.

The engine is ``tests/toy_engine.py``: fused multinomial logistic regression in numpy.
"""

import json

import numpy as np
import pytest
import toy_engine
from toy_engine import ToyEngine, ToyLogReg

from parsearch import Halving, fit_grid
from parsearch.engine import Engine, FusedModels, engine_of
from parsearch.fused.live import RunData
from parsearch.results.files import CHECKPOINT
from parsearch.rows import Col, Status

GRID = {"lr": [0.3, 0.03, 0.1, 0.01]}
QUIET = {"progress": False, "plot": False}


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y = mnist_small
    X = X[:, ::8]  # 98 features: a few milliseconds per epoch
    return X[:600], y[:600], X[600:900], y[600:900]


def alone(params, data, **fixed):
    """Each configuration fitted alone by the toy's plain loop, scored on the validation set."""
    X, y, Xv, yv = data
    return ToyLogReg(**fixed, **params).fit(X, y).score(Xv, yv)


def trained_since(start):
    """Model-epochs the toy engine trained since ``start`` (an index into its log)."""
    return sum(toy_engine.TRAINED[start:])


def test_an_estimator_declares_its_engine():
    assert engine_of(ToyLogReg()) == ToyEngine()
    assert engine_of(ToyLogReg) is None  # a class declares nothing: only an estimator
    from sklearn.linear_model import SGDClassifier

    assert engine_of(SGDClassifier()) is None
    assert isinstance(ToyEngine(), Engine)


def test_the_grid_trains_in_one_run_with_the_scores_of_each_alone(data, tmp_path):
    start = len(toy_engine.TRAINED)
    res = fit_grid(ToyLogReg(epochs=3), GRID, *data, out=tmp_path, **QUIET)
    assert toy_engine.TRAINED[start:] == [4, 4, 4]  # 4 models at once, 3 epochs
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["execution"]["fused_groups"] == [4] and meta["execution"]["matmul"] == "numpy"
    expected = [alone({"lr": lr}, data, epochs=3) for lr in GRID["lr"]]
    assert np.allclose(res.table[Col.SCORE], expected, rtol=0, atol=1e-12)
    assert len(res.table[Col.EPOCH_SCORES][0]) == 3  # the engine's columns, every epoch scored
    Xv, yv = data[2:]
    assert res.best_model.score(Xv, yv) == pytest.approx(res.best_score)
    assert isinstance(res.best_model.coef_, np.ndarray)


def test_a_small_memory_budget_cuts_the_grid_into_chunks(data, monkeypatch):
    monkeypatch.setattr(ToyEngine, "budget", 2 * ToyEngine().model_bytes({}, 98, 10))
    start = len(toy_engine.TRAINED)
    res = fit_grid(ToyLogReg(epochs=2), GRID, *data, **QUIET)
    assert toy_engine.TRAINED[start:] == [2, 2, 2, 2]  # two chunks of two, two epochs each
    assert res.meta["execution"]["fused_groups"] == [2, 2]
    expected = [alone({"lr": lr}, data, epochs=2) for lr in GRID["lr"]]
    assert np.allclose(res.table[Col.SCORE], expected, rtol=0, atol=1e-12)


def test_a_rerun_resumes_and_trains_only_what_is_new(data, tmp_path):
    first = fit_grid(ToyLogReg(epochs=2), {"lr": GRID["lr"][:2]}, *data, out=tmp_path, **QUIET)
    start = len(toy_engine.TRAINED)
    again = fit_grid(ToyLogReg(epochs=2), GRID, *data, out=tmp_path, **QUIET)
    assert trained_since(start) == 2 * 2  # the two new configurations, two epochs
    assert again.meta["execution"]["reused_rows"] == 2
    assert list(again.table[Col.SCORE][:2]) == list(first.table[Col.SCORE])


def test_a_divergent_model_is_frozen_and_the_others_train_on(data):
    grid = {"lr": [0.1, 1e308]}
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = fit_grid(ToyLogReg(epochs=2), grid, *data, **QUIET)
    assert list(res.table[Col.STATUS]) == [Status.OK, Status.DIVERGED]
    assert res.table[Col.SCORE][0] == pytest.approx(alone({"lr": 0.1}, data, epochs=2), abs=1e-12)


def test_halving_prunes_inside_the_live_runs(data, tmp_path):
    start = len(toy_engine.TRAINED)
    res = fit_grid(ToyLogReg(epochs=4), GRID, *data, halving=Halving(factor=2), out=tmp_path,
                   **QUIET)  # fmt: skip
    # Rungs at 1, 2 and 4 epochs: 4 models for 1 epoch, 2 for 1 more, 1 for 2 more.
    assert trained_since(start) == 4 * 1 + 2 * 1 + 1 * 2
    statuses = list(res.table[Col.STATUS])
    assert statuses.count(Status.PRUNED) == 3 and statuses.count(Status.OK) == 1
    best = res.table[Col.STATUS] == Status.OK
    lr = float(res.table[best]["lr"].iloc[0])
    assert res.best_score == pytest.approx(alone({"lr": lr}, data, epochs=4), abs=1e-12)
    assert not (tmp_path / CHECKPOINT).exists()


def test_halving_resumes_from_its_checkpoint(data, tmp_path, monkeypatch):
    from parsearch.fused.rungs import FusedRungs

    whole = fit_grid(ToyLogReg(epochs=4), GRID, *data, halving=Halving(factor=2), **QUIET)
    original = FusedRungs.train_to

    def stop_at_the_last_rung(self, resource, on_units=None):
        if resource == 4:
            raise KeyboardInterrupt
        return original(self, resource, on_units)

    monkeypatch.setattr(FusedRungs, "train_to", stop_at_the_last_rung)
    with pytest.raises(KeyboardInterrupt):
        fit_grid(ToyLogReg(epochs=4), GRID, *data, halving=Halving(factor=2), out=tmp_path,
                 **QUIET)  # fmt: skip
    monkeypatch.undo()
    start = len(toy_engine.TRAINED)
    again = fit_grid(ToyLogReg(epochs=4), GRID, *data, halving=Halving(factor=2), out=tmp_path,
                     **QUIET)  # fmt: skip
    assert trained_since(start) == 1 * 2  # the survivor, from epoch 2 to 4
    compared = ["lr", Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]
    assert again.table[compared].equals(whole.table[compared])


def test_cross_validation_trains_every_fold(data):
    X, y, _, _ = data
    start = len(toy_engine.TRAINED)
    res = fit_grid(ToyLogReg(epochs=1), GRID, X, y, cv=3, **QUIET)
    assert toy_engine.TRAINED[start:] == [4, 4, 4]  # one run per fold
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    for lr, score in zip(GRID["lr"], res.table[Col.SCORE]):
        folds = cross_val_score(ToyLogReg(lr=lr, epochs=1), X, y, cv=StratifiedKFold(3))
        assert score == pytest.approx(folds.mean(), abs=1e-12)


def test_on_dask_each_chunk_is_a_task(data, tmp_path):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        res = fit_grid(ToyLogReg(epochs=2), GRID, *data, client=client, out=tmp_path, **QUIET)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["execution"]["backend"] == "dask" and meta["execution"]["fused_groups"] == [4]
    expected = [alone({"lr": lr}, data, epochs=2) for lr in GRID["lr"]]
    assert np.allclose(res.table[Col.SCORE], expected, rtol=0, atol=1e-12)


def test_the_toy_models_are_fused_models():
    X = np.zeros((4, 3))
    toy = toy_engine.ToyModels(RunData(X, np.zeros(4, int), 2, X, None, True),
                               [0.1, 0.2], 0, 2)  # fmt: skip
    assert isinstance(toy, FusedModels)
    assert toy.order == [1, 0]  # the layout's order maps back to the configurations'


def test_an_engine_is_declared_by_the_class_not_by_forwarded_attributes(data):
    """A wrapper forwarding attribute lookups to a held estimator, or a mock, takes on no
    engine: it is fitted one configuration per task."""
    from unittest.mock import Mock

    from sklearn.base import BaseEstimator, ClassifierMixin

    class Forwarding(ClassifierMixin, BaseEstimator):
        def __init__(self, estimator=None):
            self.estimator = estimator

        def __getattr__(self, name):
            if name == "estimator":
                raise AttributeError(name)
            return getattr(self.estimator, name)

        def fit(self, X, y):
            self.estimator.fit(X, y)
            self.classes_ = self.estimator.classes_
            return self

        def predict(self, X):
            return self.estimator.predict(X)

    assert engine_of(Forwarding(ToyLogReg())) is None
    assert engine_of(Mock(spec=ToyLogReg())) is None
    res = fit_grid(Forwarding(ToyLogReg(epochs=1)), {"estimator__lr": [0.1, 0.3]}, *data, **QUIET)
    assert res.meta["execution"]["fused_groups"] == [] and len(res.table) == 2


def test_an_engine_that_is_no_engine_is_refused_naming_what_it_lacks():
    class Half(ToyLogReg):
        def __parsearch_engine__(self):
            return object()

    with pytest.raises(TypeError, match=r"no parsearch.engine.Engine: it lacks name, resource"):
        engine_of(Half())
