"""A module grid through the rest of the seam: halving inside the live fused runs, resume
(of stored rows, of halving's checkpoint, and of a chunk killed mid-training), and the
module's class in the resume identity."""

import json
import signal
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

import torch
import torch_modules as tm
from interrupting import SIGKILL_AT, Kill, count_epochs, run_script

from parsearch import Halving, TorchClassifier, fit_grid
from parsearch.fused import checkpoint as checkpoint_module
from parsearch.fused.rungs import FusedRungs
from parsearch.results.files import CHECKPOINT, FUSED_CHECKPOINT
from parsearch.rows import Col, Status

FIXED = {"batch_size": 32, "dtype": "float64", "device": "cpu", "momentum": 0.9}
GRID = {"lr": [0.3, 0.03, 0.1, 0.01]}
COMPARED = ["lr", Col.SCORE, Col.STATUS, Col.TRAIN_LOSS, Col.EPOCH_SCORES]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one torch thread (see tests/test_torchnet.py)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y = mnist_small
    X = np.ascontiguousarray(X.reshape(-1, 28, 28)[:384, 7:21, 7:21].reshape(384, -1), np.float64)
    return X[:256], y[:256], X[256:], y[256:384]


def _fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_grid(*args, progress=False, plot=False, **kwargs)


def test_halving_prunes_inside_the_live_run(data, monkeypatch):
    trained = count_epochs(monkeypatch)
    res = _fit(TorchClassifier(tm.mlp, epochs=4, **FIXED), GRID, *data, halving=Halving(factor=2))
    assert trained == [4, 2, 1, 1]  # rungs at 1, 2, 4 epochs
    statuses = list(res.table[Col.STATUS])
    assert statuses.count(Status.PRUNED) == 3 and statuses.count(Status.OK) == 1
    lr = float(res.table[res.table[Col.STATUS] == Status.OK]["lr"].iloc[0])
    X, y, Xv, yv = data
    alone = TorchClassifier(tm.mlp, epochs=4, lr=lr, **FIXED).fit(X, y)
    assert res.best_score == pytest.approx(alone.score(Xv, yv), abs=1e-12)


def test_halving_resumes_from_its_checkpoint(data, tmp_path, monkeypatch):
    model = TorchClassifier(tm.mlp, epochs=4, **FIXED)
    whole = _fit(model, GRID, *data, halving=Halving(factor=2))
    original = FusedRungs.train_to

    def stop_at_the_last_rung(self, resource, on_units=None):
        if resource == 4:
            raise Kill
        return original(self, resource, on_units)

    monkeypatch.setattr(FusedRungs, "train_to", stop_at_the_last_rung)
    with pytest.raises(Kill):
        _fit(model, GRID, *data, halving=Halving(factor=2), out=tmp_path)
    assert (tmp_path / CHECKPOINT).exists()
    monkeypatch.undo()
    trained = count_epochs(monkeypatch)
    again = _fit(model, GRID, *data, halving=Halving(factor=2), out=tmp_path)
    assert trained == [1, 1]  # the survivor, from epoch 2 to 4
    compared = ["lr", Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]
    assert again.table[compared].equals(whole.table[compared])


@pytest.mark.parametrize("kill_at", [2, 5])
def test_a_killed_grid_goes_on_from_its_last_saved_epoch(data, tmp_path, monkeypatch, kill_at):
    monkeypatch.setattr(checkpoint_module, "SAVE_EVERY_SECONDS", 0.0)  # after every epoch
    model = TorchClassifier(tm.batchnorm, epochs=6, **{**FIXED, "optimizer": "adam"})
    grid = {"lr": [1e-3, 1e-2, 1e300]}  # 1e300 diverges: frozen, saved, resumed frozen
    whole = _fit(model, grid, *data)
    count_epochs(monkeypatch, kill_at)
    with pytest.raises(Kill):
        _fit(model, grid, *data, out=tmp_path)
    assert (tmp_path / FUSED_CHECKPOINT).exists()
    monkeypatch.undo()
    monkeypatch.setattr(checkpoint_module, "SAVE_EVERY_SECONDS", 0.0)
    trained = count_epochs(monkeypatch)
    resumed = _fit(model, grid, *data, out=tmp_path)
    assert len(trained) == 6 - (kill_at - 1)  # only the epochs not saved before the kill
    pd.testing.assert_frame_equal(resumed.table[COMPARED], whole.table[COMPARED])
    assert list(resumed.table[Col.STATUS]) == [Status.OK, Status.OK, Status.DIVERGED]
    assert not (tmp_path / FUSED_CHECKPOINT).exists()


KILLED_SCRIPT = SIGKILL_AT + textwrap.dedent(
    """
    import numpy as np
    import torch
    from torch import nn
    from parsearch import TorchClassifier, fit_grid


    class Net(nn.Module):  # the user's own module, in the script itself
        def __init__(self, hidden=16):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(196, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, 10)
            )

        def forward(self, x):
            return self.layers(x)


    torch.set_num_threads(1)
    data = np.load(sys.argv[1])
    model = TorchClassifier(Net, epochs=5, batch_size=32, dtype="float64", device="cpu",
                            optimizer="adam")
    res = fit_grid(model, {"lr": [1e-3, 1e-2], "module__hidden": [8, 16]}, data["X"],
                   data["y"], data["Xv"], data["yv"], out=sys.argv[2], progress=False,
                   plot=False)
    print(len(trained), res.meta["execution"]["reused_rows"], repr(list(res.table["score"])))
    """
)


def test_a_sigkilled_module_grid_goes_on_from_its_last_epoch(data, tmp_path):
    """A grid of a module defined in the user's script (two widths: two fused runs of 5
    epochs) SIGKILLed in the second run's epoch 3, then run again: the first run's rows are
    reused, the second goes on from its epoch 3, and the scores are the uninterrupted ones."""
    np.savez(tmp_path / "data.npz", X=data[0], y=data[1], Xv=data[2], yv=data[3])
    script = tmp_path / "search.py"
    script.write_text(KILLED_SCRIPT)
    out = tmp_path / "out"

    def run(folder, kill_at):
        return run_script(script, tmp_path / "data.npz", folder, kill_at)

    killed = run(out, 8)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (out / FUSED_CHECKPOINT).exists()
    resumed = run(out, 0)
    assert resumed.returncode == 0, resumed.stderr
    epochs, reused, scores = resumed.stdout.split(" ", 2)
    assert (int(epochs), int(reused)) == (3, 2)  # epochs 3 to 5 of the second run
    whole = run(tmp_path / "whole", 0)
    assert whole.returncode == 0, whole.stderr
    assert eval(scores) == eval(whole.stdout.split(" ", 2)[2])
    assert not (out / FUSED_CHECKPOINT).exists()


def test_a_rerun_trains_only_what_is_new_and_the_identity_names_the_module(
    data, tmp_path, monkeypatch
):
    model = TorchClassifier(tm.LogReg, epochs=1, **FIXED)
    first = _fit(model, {"lr": GRID["lr"][:2]}, *data, out=tmp_path)
    trained = count_epochs(monkeypatch)
    again = _fit(model, GRID, *data, out=tmp_path)
    assert trained == [2]  # the two new configurations in one run
    assert list(again.table[Col.SCORE][:2]) == list(first.table[Col.SCORE])
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert "torch_modules.LogReg" in json.dumps(meta["identity"])
    assert meta["execution"]["fused_engine"] == "torch.func"
    other = TorchClassifier(tm.mlp, epochs=1, **FIXED)  # another module: nothing reused
    with pytest.raises(ValueError, match="other estimator"):
        _fit(other, GRID, *data, out=tmp_path)


def test_on_dask_a_module_grid_is_one_task_with_the_scores_of_a_local_run(data, tmp_path):
    distributed = pytest.importorskip("distributed")
    model = TorchClassifier(tm.mlp, epochs=1, **FIXED)
    local = _fit(model, GRID, *data)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        res = _fit(model, GRID, *data, client=client, out=tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["execution"]["backend"] == "dask" and meta["execution"]["fused_groups"] == [4]
    assert list(res.table[Col.SCORE]) == list(local.table[Col.SCORE])


def test_meta_json_says_which_configurations_trained_one_at_a_time(data, tmp_path):
    """A module vmap refuses trains one at a time (warned), and meta.json keeps it."""
    from parsearch.torchnet.fused import NotFusable

    grid = {"lr": [0.1, 0.05], "momentum": [0.0, 0.9]}
    model = TorchClassifier(tm.dropout, epochs=1, batch_size=32, dtype="float64", device="cpu")
    with pytest.warns(NotFusable):
        res = fit_grid(model, grid, *data, out=tmp_path, progress=False, plot=False)
    (alone,) = json.loads((tmp_path / "meta.json").read_text())["execution"]["trained_alone"]
    assert alone["configurations"] == 4 and alone["why"]  # the reason vmap gave
    assert res.meta["execution"]["trained_alone"] == [alone]
    fused = _fit(TorchClassifier(tm.LogReg, epochs=1, batch_size=32, device="cpu"), grid, *data)
    assert "trained_alone" not in fused.meta["execution"]
