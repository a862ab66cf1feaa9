"""Successive halving: the arithmetic, networks pruned inside the live fused model, and
scikit-learn estimators by partial_fit; exactness against standalone training, the
decisions against an unpruned run, and kill-and-resume mid-halving."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import SGDClassifier
from sklearn.tree import DecisionTreeClassifier

from parsearch import Halving, MLPClassifier, fit_grid, sample_space
from parsearch.halving import (
    expected_candidates,
    n_survivors,
    rung_resources,
    survivors,
)
from parsearch.halving.partial import partial_passes
from parsearch.nets import devices
from parsearch.results.files import CHECKPOINT
from parsearch.results.identity import ResumeMismatch
from parsearch.results.store import ResultStore
from parsearch.rows import Col, Status

EPOCHS = 9
NET = {"depth": 1, "epochs": EPOCHS, "batch_size": 32, "device": "cpu", "dtype": "float64"}
# 12 configurations, three widths, with one that diverges in the first epoch.
GRID = {"lr": [0.003, 0.03, 0.1, 1e300], "width": [8, 16, 32], "momentum": [0.9]}
COMPARED = ["lr", "width", "momentum", Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y = mnist_small
    X = np.ascontiguousarray(X[:, ::4], dtype=np.float64)  # 196 pixels: fast, still real
    return X[:600], y[:600], X[600:800], y[600:800]


def _quiet_fit(*args, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("plot", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_grid(*args, **kwargs)


# --- the arithmetic -------------------------------------------------------------------------


def test_rungs_grow_by_the_factor_up_to_the_most_epochs():
    assert rung_resources(Halving(3, 1, 27)) == [1, 3, 9, 27]
    assert rung_resources(Halving(3, 1, 20)) == [1, 3, 9, 20]
    assert rung_resources(Halving(2, 3, 3)) == [3]
    assert rung_resources(Halving(2.5, 2, 20)) == [2, 5, 13, 20]
    assert expected_candidates(243, Halving(3, 1, 27)) == [243, 81, 27, 9]


def test_survivors_and_rungs_of_a_decimal_factor_are_exact():
    """ceil(n / factor) in floating point: 69 / 2.3 is 30.000000000000004."""
    assert n_survivors(69, 2.3) == 30
    assert n_survivors(138, 2.3) == 60
    assert rung_resources(Halving(2.2, 25, 60)) == [25, 55, 60]  # 25 * 2.2 = 55.00000000000001


def test_survivors_are_the_best_third_ties_in_grid_order_nan_never():
    scores = [(0, 0.5), (1, 0.9), (2, math.nan), (3, 0.9), (4, 0.1), (5, 0.7)]
    assert n_survivors(6, 3) == 2 and n_survivors(7, 3) == 3 and n_survivors(1, 3) == 1
    assert survivors(scores, 3, greater_is_better=True) == {1, 3}
    assert survivors(scores, 2, greater_is_better=True) == {1, 3, 5}
    assert survivors(scores, 3, greater_is_better=False) == {4, 0}
    assert survivors([(0, 0.2), (1, 0.2), (2, 0.2)], 3, True) == {0}
    assert survivors([(0, math.nan), (1, math.inf)], 2, True) == set()


# --- networks: exact, inside the live fused model ----------------------------------------


def _alone(row, X, y, epochs):
    params = {k: row[k] for k in ("lr", "width", "momentum")}
    params["width"] = int(params["width"])
    return MLPClassifier(**{**NET, "epochs": epochs, **params}).fit(X, y)


@pytest.fixture(scope="module")
def halved(data):
    X, y, Xv, yv = data
    return _quiet_fit(MLPClassifier(**NET), GRID, X, y, Xv, yv, halving=True, keep_models="all")


def test_survivors_and_pruned_equal_training_alone(halved, data):
    X, y, Xv, yv = data
    table = halved.table
    # 12 at rung 1 (3 diverge, 4 of 9 go on), 4 at rung 3 (2 go on), 2 at the end.
    assert list(table[Col.STATUS]).count(Status.PRUNED) == 7
    assert (table[Col.STATUS] == Status.DIVERGED).sum() == 3
    assert (table[Col.STATUS] == Status.OK).sum() == 2
    for i, row in table.iterrows():
        if row[Col.STATUS] == Status.DIVERGED:
            assert row[Col.EPOCHS_TRAINED] == 1
            continue
        epochs = int(row[Col.EPOCHS_TRAINED])
        alone = _alone(row, X, y, epochs)
        assert (alone.predict(Xv) == yv).mean() == pytest.approx(row[Col.SCORE], abs=1e-12)
        assert len(row[Col.EPOCH_SCORES]) == epochs
        if row[Col.STATUS] == Status.OK:
            assert epochs == EPOCHS
            for (w, b), (w0, b0) in zip(halved.models[i].layers_, alone.layers_):
                np.testing.assert_allclose(w, w0, rtol=0, atol=1e-10)
                np.testing.assert_allclose(b, b0, rtol=0, atol=1e-10)
    ok = table[table[Col.STATUS] == Status.OK]
    best = ok.loc[ok[Col.SCORE].idxmax()]
    assert halved.best_score == best[Col.SCORE]
    assert halved.best_params == {"lr": best["lr"], "width": best["width"], "momentum": 0.9}


def test_several_chunks_pack_and_give_the_same_models(halved, data, monkeypatch):
    X, y, Xv, yv = data
    from parsearch.fused.rungs import FusedRungs
    from parsearch.nets import fused

    one = fused.model_bytes(196, 32, 1, 10, NET["batch_size"], "sgd", 8)  # one wide model
    monkeypatch.setattr(devices, "memory_budget", lambda device: one)

    chunks = []
    original = FusedRungs.train_to

    def counting(self, resource, on_units=None):
        chunks.append(self.n_chunks)
        return original(self, resource, on_units)

    monkeypatch.setattr(FusedRungs, "train_to", counting)
    small = _quiet_fit(MLPClassifier(**NET), GRID, X, y, Xv, yv, halving=True, keep_models="all")
    assert chunks[0] > chunks[-1] >= 1  # survivors of several chunks share fewer
    pd.testing.assert_frame_equal(small.table[COMPARED], halved.table[COMPARED])
    i = int(np.flatnonzero(small.table[Col.STATUS] == Status.OK)[0])
    for (w, b), (w0, b0) in zip(small.models[i].layers_, halved.models[i].layers_):
        np.testing.assert_allclose(w, w0, rtol=0, atol=1e-10)
        np.testing.assert_allclose(b, b0, rtol=0, atol=1e-10)


def _simulate(epoch_scores, rungs, factor, greater_is_better=True):
    """Halving decided from the per-epoch scores of an unpruned run: {i: (status, epochs)}."""
    live, final = list(range(len(epoch_scores))), {}
    for k, resource in enumerate(rungs):
        scores = [(i, epoch_scores[i][resource - 1]) for i in live]
        if k == len(rungs) - 1:
            final.update({i: (Status.OK, resource) for i in live})
            break
        keep = survivors(scores, factor, greater_is_better)
        for i, s in scores:
            if not math.isfinite(s):
                final[i] = (Status.DIVERGED, None)
            elif i not in keep:
                final[i] = (Status.PRUNED, resource)
        live = [i for i in live if i in keep]
    return final


@pytest.mark.parametrize("factor", [2, 3])
def test_decisions_equal_those_from_an_unpruned_run(data, factor):
    X, y, Xv, yv = data
    space = {"lr": [0.001, 0.01, 0.05, 0.2], "width": [8, 16, 24], "momentum": [0.0, 0.9]}
    configs = sample_space(space, 14, seed=3)
    net = MLPClassifier(**{**NET, "dtype": "float32"})
    full = _quiet_fit(net, configs, X, y, Xv, yv)
    halving = Halving(factor=factor)
    halved = _quiet_fit(net, configs, X, y, Xv, yv, halving=halving)
    expected = _simulate(
        list(full.table[Col.EPOCH_SCORES]), rung_resources(Halving(factor, 1, 9)), factor
    )
    for i, row in halved.table.iterrows():
        status, epochs = expected[i]
        assert row[Col.STATUS] == status, i
        if status != Status.DIVERGED:
            assert row[Col.EPOCHS_TRAINED] == epochs
            assert row[Col.SCORE] == pytest.approx(full.table[Col.EPOCH_SCORES][i][epochs - 1])


def test_halving_under_cross_validation_ranks_by_the_mean_over_folds(data):
    X, y, _, _ = data
    grid = {"lr": [0.003, 0.03, 0.1], "width": [8, 16]}
    net = MLPClassifier(**{**NET, "epochs": 3})
    full = _quiet_fit(net, grid, X, y, cv=3)
    halved = _quiet_fit(net, grid, X, y, cv=3, halving=True)
    expected = _simulate(list(full.table[Col.EPOCH_SCORES]), [1, 3], 3)
    assert [expected[i][0] for i in range(6)] == list(halved.table[Col.STATUS])
    ok = halved.table[Col.STATUS] == Status.OK
    np.testing.assert_allclose(halved.table[Col.SCORE][ok], full.table[Col.SCORE][ok], atol=1e-12)
    assert halved.table[Col.FOLD_SCORES][ok].map(len).eq(3).all()


# --- resume mid-halving -------------------------------------------------------------------


class _Stop(KeyboardInterrupt):
    pass


def _interrupt_at(monkeypatch, cls, resource):
    """Make ``cls.train_to`` stop the search when it is asked for ``resource`` epochs."""
    original = cls.train_to

    def train_to(self, to, on_units=None):
        if to == resource:
            raise _Stop
        return original(self, to, on_units)

    monkeypatch.setattr(cls, "train_to", train_to)
    return lambda: monkeypatch.setattr(cls, "train_to", original)


@pytest.mark.parametrize("stop_at", [3, 9])
def test_a_search_stopped_mid_halving_resumes_to_the_same_table(
    halved, data, tmp_path, monkeypatch, stop_at
):
    from parsearch.fused.rungs import FusedRungs

    X, y, Xv, yv = data
    net = MLPClassifier(**NET)
    undo = _interrupt_at(monkeypatch, FusedRungs, stop_at)
    with pytest.raises(_Stop):
        _quiet_fit(net, GRID, X, y, Xv, yv, halving=True, out=tmp_path)
    assert (tmp_path / CHECKPOINT).exists()
    stored = pd.read_csv(tmp_path / "scores.csv")
    assert set(stored[Col.STATUS]) <= {Status.PRUNED, Status.DIVERGED} and len(stored)
    undo()
    trained = []
    original = FusedRungs.train_to
    monkeypatch.setattr(
        FusedRungs, "train_to", lambda s, r, u=None: (trained.append(r), original(s, r, u))
    )
    resumed = _quiet_fit(net, GRID, X, y, Xv, yv, halving=True, out=tmp_path)
    assert trained[0] == stop_at  # went on from the last rung, not from the start
    pd.testing.assert_frame_equal(resumed.table[COMPARED], halved.table[COMPARED])
    assert not (tmp_path / CHECKPOINT).exists()
    assert resumed.meta["halving"]["candidates"] == [12, 4, 2]


def test_rows_stopped_at_a_rung_but_not_stored_come_from_the_checkpoint(
    halved, data, tmp_path, monkeypatch
):
    X, y, Xv, yv = data
    original = ResultStore.append

    def append(self, row):
        if row[Col.STATUS] == Status.PRUNED and row[Col.EPOCHS_TRAINED] == 3:
            raise _Stop  # killed after the checkpoint of rung 2, before its rows
        return original(self, row)

    monkeypatch.setattr(ResultStore, "append", append)
    with pytest.raises(_Stop):
        _quiet_fit(MLPClassifier(**NET), GRID, X, y, Xv, yv, halving=True, out=tmp_path)
    monkeypatch.setattr(ResultStore, "append", original)
    resumed = _quiet_fit(MLPClassifier(**NET), GRID, X, y, Xv, yv, halving=True, out=tmp_path)
    pd.testing.assert_frame_equal(resumed.table[COMPARED], halved.table[COMPARED])
    again = pd.read_csv(tmp_path / "scores.csv")
    assert len(again) == len(GRID["lr"]) * len(GRID["width"])


def test_a_finished_halving_folder_resumes_whole_and_refuses_a_plain_search(data, tmp_path):
    X, y, Xv, yv = data
    net = MLPClassifier(**{**NET, "epochs": 3})
    grid = {"lr": [0.01, 0.1], "width": [8, 16]}
    first = _quiet_fit(net, grid, X, y, Xv, yv, halving=True, out=tmp_path)
    again = _quiet_fit(net, grid, X, y, Xv, yv, halving=True, out=tmp_path)
    assert again.meta["execution"]["reused_rows"] == 4
    columns = ["lr", "width", Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]
    pd.testing.assert_frame_equal(again.table[columns], first.table[columns])
    with pytest.raises(ResumeMismatch, match="halving"):
        _quiet_fit(net, grid, X, y, Xv, yv, out=tmp_path)
    with pytest.raises(ResumeMismatch, match="halving"):
        _quiet_fit(net, grid, X, y, Xv, yv, halving=Halving(factor=2), out=tmp_path)


# --- scikit-learn estimators by partial_fit -----------------------------------------------

SGD_GRID = {"alpha": [1e-5, 1e-4, 1e-3, 1e-2], "eta0": [0.01, 0.1]}


def _sgd():
    return SGDClassifier(loss="log_loss", learning_rate="constant", random_state=0)


def test_partial_fit_halving_carries_each_model_from_rung_to_rung(data):
    X, y, Xv, yv = data
    result = _quiet_fit(
        _sgd(), SGD_GRID, X, y, Xv, yv, halving=Halving(max_resource=9), keep_models="all"
    )
    table = result.table
    assert list(table[Col.STATUS]).count(Status.OK) == 1
    assert sorted(table[Col.EPOCHS_TRAINED]) == [1] * 5 + [3] * 2 + [9]
    classes = np.unique(y)
    for i, row in table.iterrows():
        alone = _sgd().set_params(alpha=row["alpha"], eta0=row["eta0"])
        partial_passes(alone, X, y, 0, int(row[Col.EPOCHS_TRAINED]), seed=0, classes=classes)
        assert alone.score(Xv, yv) == pytest.approx(row[Col.SCORE], abs=1e-12)
        if row[Col.STATUS] == Status.OK:
            np.testing.assert_array_equal(result.models[i].coef_, alone.coef_)
            np.testing.assert_array_equal(result.best_model.coef_, alone.coef_)


def test_partial_fit_halving_resumes_to_the_same_table(data, tmp_path, monkeypatch):
    from parsearch.halving.partial import PartialRungs

    X, y, Xv, yv = data
    halving = Halving(max_resource=9)
    whole = _quiet_fit(_sgd(), SGD_GRID, X, y, Xv, yv, halving=halving)
    undo = _interrupt_at(monkeypatch, PartialRungs, 9)
    with pytest.raises(_Stop):
        _quiet_fit(_sgd(), SGD_GRID, X, y, Xv, yv, halving=halving, out=tmp_path, n_jobs=2)
    undo()
    resumed = _quiet_fit(_sgd(), SGD_GRID, X, y, Xv, yv, halving=halving, out=tmp_path)
    columns = ["alpha", "eta0", Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]
    pd.testing.assert_frame_equal(resumed.table[columns], whole.table[columns])
    refit = resumed.best_model  # a resumed best row is refitted by the same passes
    assert refit.score(Xv, yv) == pytest.approx(resumed.best_score, abs=1e-12)


# --- bad input, before any work -----------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "grid", "halving", "match"),
    [
        (_sgd(), SGD_GRID, True, "max_resource"),
        (_sgd(), SGD_GRID, Halving(factor=1.5, max_resource=3), "factor"),
        (_sgd(), SGD_GRID, Halving(min_resource=0, max_resource=3), "min_resource"),
        (_sgd(), SGD_GRID, Halving(min_resource=5, max_resource=3), "min_resource"),
        (_sgd(), SGD_GRID, Halving(max_resource=2.5), "max_resource"),
        (_sgd(), SGD_GRID, "yes", "halving must be"),
        (DecisionTreeClassifier(), {"max_depth": [2, 3]}, Halving(max_resource=3), "partial_fit"),
        (MLPClassifier(epochs=3), {"epochs": [2, 3]}, True, "epochs is the resource"),
        (MLPClassifier(epochs=3), {"lr": [0.1]}, Halving(max_resource=5), "max_resource=5"),
        (MLPClassifier(epochs=3), {"lr": [0.1]}, Halving(min_resource=4), "min_resource=4"),
    ],
)
def test_bad_halving_is_refused_before_any_work(data, tmp_path, model, grid, halving, match):
    X, y, Xv, yv = data
    out = tmp_path / "never"
    with pytest.raises((ValueError, TypeError), match=match):
        fit_grid(model, grid, X, y, Xv, yv, halving=halving, out=out, progress=False)
    assert not out.exists()


def test_survivors_train_on_and_the_compute_falls(data, monkeypatch):
    """Nothing restarts: the model-epochs trained are those of the rungs, no more."""
    from parsearch.fused.live import LiveRun

    X, y, Xv, yv = data
    trained = []
    original = LiveRun._epoch

    def epoch(self, order):
        trained.append(self.n_models)
        return original(self, order)

    monkeypatch.setattr(LiveRun, "_epoch", epoch)
    result = _quiet_fit(MLPClassifier(**NET), GRID, X, y, Xv, yv, halving=True)
    # 12 models for 1 epoch, 4 for 2 more, 2 for 6 more: every epoch trains only survivors.
    assert trained == [12] + [4] * 2 + [2] * 6
    assert result.table[Col.EPOCHS_TRAINED].sum() == 3 * 1 + 5 * 1 + 2 * 3 + 2 * 9
    assert result.meta["halving"] == {
        "factor": 3,
        "min_resource": 1,
        "max_resource": EPOCHS,
        "rungs": [1, 3, 9],
        "candidates": [12, 4, 2],
    }


def test_both_rung_implementations_are_rungs(data):
    """``Rungs`` is a protocol both trainings declare: checked here, not only in prose."""
    from parsearch.fused.rungs import FusedRungs
    from parsearch.halving.partial import PartialRungs
    from parsearch.halving.rungs import Rungs
    from parsearch.jobs import Data
    from parsearch.metrics import get_metric

    X, y, Xv, yv = data
    split, metric = Data(X[:200], y[:200], Xv[:50], yv[:50]), get_metric("accuracy", None)
    fused = FusedRungs(MLPClassifier(**NET), [(0, {"lr": 0.1})], split, metric)
    partial = PartialRungs(_sgd(), [(0, {"alpha": 1e-4})], split, metric)
    for trainer in (fused, partial):
        assert isinstance(trainer, Rungs)
        assert trainer.live == [0]
    assert (fused.unit, partial.unit) == ("epoch", "pass")
    assert not isinstance(object(), Rungs)


def test_a_grid_listing_a_configuration_twice_resumes_mid_halving(data, tmp_path, monkeypatch):
    """The checkpoint keys each grid position (config_key and occurrence): both copies of a
    configuration listed twice go on from it (two sampled spaces added together do this)."""
    from parsearch.fused.rungs import FusedRungs

    X, y, Xv, yv = data
    net = MLPClassifier(**NET)
    grid = [{"lr": [1e-4, 3e-4, 0.05], "width": [16]}, {"lr": [0.05], "width": [16]}]
    whole = _quiet_fit(net, grid, X, y, Xv, yv, halving=True)
    assert list(whole.table[Col.EPOCHS_TRAINED][2:]) == [9, 3]  # both copies survive rung 1
    undo = _interrupt_at(monkeypatch, FusedRungs, 3)  # after rung 1's checkpoint
    with pytest.raises(_Stop):
        _quiet_fit(net, grid, X, y, Xv, yv, halving=True, out=tmp_path)
    undo()
    resumed = _quiet_fit(net, grid, X, y, Xv, yv, halving=True, out=tmp_path)
    compared = ["lr", "width", Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]
    pd.testing.assert_frame_equal(resumed.table[compared], whole.table[compared])


class _RunsCode:
    """Unpickling this touches a file: what a crafted checkpoint could do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return pathlib.Path.touch, (pathlib.Path(self.marker),)


@pytest.mark.parametrize("where", ["former pickle", "checkpoint", "object array"])
def test_a_crafted_checkpoint_runs_no_code(data, tmp_path, monkeypatch, where):
    """A results folder is shared and copied: resuming in it must never unpickle."""
    import pickle

    from parsearch.fused.rungs import FusedRungs
    from parsearch.results.files import FORMER_CHECKPOINT

    X, y, Xv, yv = data
    net = MLPClassifier(**{**NET, "epochs": 3})
    grid = {"lr": [0.01, 0.1, 0.3], "width": [8]}
    undo = _interrupt_at(monkeypatch, FusedRungs, 3)
    with pytest.raises(_Stop):
        _quiet_fit(net, grid, X, y, Xv, yv, halving=True, out=tmp_path)
    undo()
    marker = tmp_path.parent / f"{tmp_path.name}-ran-code"
    blob = pickle.dumps({"states": _RunsCode(marker)})
    if where == "former pickle":
        (tmp_path / FORMER_CHECKPOINT).write_bytes(blob)
    elif where == "checkpoint":
        (tmp_path / CHECKPOINT).write_bytes(blob)
    else:  # numpy's own format, but an array of objects (pickled inside)
        with open(tmp_path / CHECKPOINT, "wb") as f:
            np.savez(f, __header__=np.array([_RunsCode(marker)], dtype=object))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unreadable checkpoint is warned of
        resumed = _quiet_fit(net, grid, X, y, Xv, yv, halving=True, out=tmp_path)
    assert not marker.exists()
    whole = _quiet_fit(net, grid, X, y, Xv, yv, halving=True)
    compared = ["lr", "width", Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]
    pd.testing.assert_frame_equal(resumed.table[compared], whole.table[compared])
    assert not (tmp_path / FORMER_CHECKPOINT).exists()  # removed unread when the search ends


def _rewrite_checkpoint(path, change):
    """Read the checkpoint, let ``change(header, arrays)`` damage it, write it back."""
    from parsearch.results.files import read_arrays, write_arrays_atomic

    header, arrays = read_arrays(path)
    change(header, arrays)
    write_arrays_atomic(path, header, arrays)


def _drop_an_array(header, arrays):
    arrays.pop(sorted(arrays)[0])


def _wrong_shape(header, arrays):
    name = next(n for n in sorted(arrays) if n.endswith("layers/0/0"))
    arrays[name] = arrays[name][:, :-1]


def _one_fold_short(header, arrays):
    for state in header["states"].values():
        state["folds"] = state["folds"][:1]


def _rung_beyond(header, arrays):
    header["rung"] = 7


def _other_engine(header, arrays):
    header["engine"] = "another"


@pytest.mark.parametrize(
    "damage", [_drop_an_array, _wrong_shape, _one_fold_short, _rung_beyond, _other_engine]
)
def test_a_damaged_checkpoint_is_warned_of_and_the_survivors_train_again(
    data, tmp_path, monkeypatch, damage
):
    """A checkpoint that reads but does not fit the models (an array missing or of another
    shape, a fold short, a rung this search never decides, another engine's) is not used:
    the search ends with the table of an uninterrupted one."""
    from parsearch.fused.rungs import FusedRungs

    X, y, _, _ = data
    net = MLPClassifier(**{**NET, "epochs": 3})
    grid = {"lr": [0.01, 0.1, 0.3], "width": [8]}
    undo = _interrupt_at(monkeypatch, FusedRungs, 3)
    with pytest.raises(_Stop):
        _quiet_fit(net, grid, X, y, cv=2, halving=True, out=tmp_path)
    undo()
    _rewrite_checkpoint(tmp_path / CHECKPOINT, damage)
    with pytest.warns(RuntimeWarning, match="train again from the first epoch"):
        resumed = fit_grid(net, grid, X, y, cv=2, halving=True, out=tmp_path, progress=False,
                           plot=False)  # fmt: skip
    whole = _quiet_fit(net, grid, X, y, cv=2, halving=True)
    compared = ["lr", "width", Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]
    pd.testing.assert_frame_equal(resumed.table[compared], whole.table[compared])
