"""parsearch/fused/checkpoint.py: a fused grid killed mid-training goes on from its last
saved epoch, to the table an uninterrupted run gives, training only what was not trained."""

import signal
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")

from interrupting import SIGKILL_AT, Kill, count_epochs, run_script

from parsearch import MLPClassifier, fit_grid
from parsearch.fused import checkpoint as checkpoint_module
from parsearch.fused.live import LiveRun
from parsearch.nets import devices, fused
from parsearch.results.files import FUSED_CHECKPOINT
from parsearch.rows import Col

EPOCHS = 5
NET = {"depth": 1, "epochs": EPOCHS, "batch_size": 64, "device": "cpu", "dtype": "float64"}
GRID = {"lr": [0.01, 0.1, 1e300], "width": [8, 16]}  # 1e300 diverges: frozen, saved, resumed
COMPARED = ["lr", "width", Col.SCORE, Col.STATUS, Col.TRAIN_LOSS, Col.EPOCH_SCORES]


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y = mnist_small
    X = np.ascontiguousarray(X[:, ::4], dtype=np.float64)
    return X[:500], y[:500], X[500:700], y[500:700]


def _fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_grid(*args, progress=False, plot=False, **kwargs)


@pytest.fixture
def two_chunks(monkeypatch):
    """A memory budget of three models: the grid of six trains as two chunks."""
    one = fused.model_bytes(196, 16, 1, 10, NET["batch_size"], "sgd", 8)
    monkeypatch.setattr(devices, "memory_budget", lambda device: 3 * one)
    monkeypatch.setattr(checkpoint_module, "SAVE_EVERY_SECONDS", 0.0)  # after every epoch


@pytest.mark.parametrize("cv", [None, 2])
def test_a_grid_killed_at_a_random_epoch_resumes_to_the_same_table(
    data, tmp_path, monkeypatch, two_chunks, cv
):
    X, y, Xv, yv = data
    split = (X, y) if cv else (X, y, Xv, yv)
    kwargs = {"cv": cv} if cv else {}
    whole = _fit(MLPClassifier(**NET), GRID, *split, **kwargs)
    folds = cv or 1
    epochs_in_all = 2 * folds * EPOCHS  # two chunks, each fold, every epoch (run-epochs)
    kill_at = int(np.random.default_rng(cv or 0).integers(2, epochs_in_all + 1))
    count_epochs(monkeypatch, kill_at)
    with pytest.raises(Kill):
        _fit(MLPClassifier(**NET), GRID, *split, out=tmp_path, **kwargs)
    monkeypatch.undo()
    two_chunks_again = fused.model_bytes(196, 16, 1, 10, NET["batch_size"], "sgd", 8)
    monkeypatch.setattr(devices, "memory_budget", lambda device: 3 * two_chunks_again)
    trained = count_epochs(monkeypatch)
    resumed = _fit(MLPClassifier(**NET), GRID, *split, out=tmp_path, **kwargs)
    pd.testing.assert_frame_equal(resumed.table[COMPARED], whole.table[COMPARED])
    # How it knows what was trained: the run-epochs before the kill were saved (every
    # epoch), except the one it was killed in; a chunk whose rows were stored is reused.
    # Killed in the first chunk, it goes on from its last epoch and the second trains
    # whole; killed in the second, the first's rows are stored and the second goes on.
    expected = epochs_in_all - (kill_at - 1)  # run-epochs not finished before the kill
    assert len(trained) == expected
    assert sum(trained) == 3 * expected  # three models in each run-epoch
    assert not (tmp_path / FUSED_CHECKPOINT).exists()  # removed once every row is stored


def test_a_checkpoint_of_another_search_is_not_used(data, tmp_path, monkeypatch, two_chunks):
    X, y, Xv, yv = data
    count_epochs(monkeypatch, kill_at=4)
    with pytest.raises(Kill):
        _fit(MLPClassifier(**NET), GRID, X, y, Xv, yv, out=tmp_path)
    monkeypatch.undo()
    monkeypatch.setattr(checkpoint_module, "SAVE_EVERY_SECONDS", 0.0)
    assert (tmp_path / FUSED_CHECKPOINT).exists()
    trained = count_epochs(monkeypatch)
    other = {**NET, "seed": 1}  # another search: resume=False starts it afresh
    res = _fit(MLPClassifier(**other), GRID, X, y, Xv, yv, out=tmp_path, resume=False)
    assert sum(trained) == 6 * EPOCHS  # every model, every epoch: nothing taken from it
    expected = _fit(MLPClassifier(**other), GRID, X, y, Xv, yv)
    pd.testing.assert_frame_equal(res.table[COMPARED], expected.table[COMPARED])


def test_short_searches_save_nothing(data, tmp_path):
    """With the default interval, a grid whose chunks train in seconds writes no checkpoint."""
    X, y, Xv, yv = data
    writes = []
    original = checkpoint_module.ChunkCheckpoint.save
    checkpoint_module.ChunkCheckpoint.save = lambda self, *a: (writes.append(1), original(self, *a))
    try:
        _fit(MLPClassifier(**{**NET, "epochs": 2}), {"lr": [0.01, 0.1]}, X, y, Xv, yv, out=tmp_path)
    finally:
        checkpoint_module.ChunkCheckpoint.save = original
    assert writes == []


SCRIPT = SIGKILL_AT + textwrap.dedent(
    """
    import numpy as np
    from parsearch import MLPClassifier, fit_grid

    data = np.load(sys.argv[1])
    net = MLPClassifier(depth=1, epochs=6, batch_size=64, device="cpu", dtype="float64")
    res = fit_grid(net, {"lr": [0.01, 0.1], "width": [8, 16]}, data["X"], data["y"],
                   data["Xv"], data["yv"], out=sys.argv[2], progress=False, plot=False)
    print(len(trained), repr(list(res.table["score"])))
    """
)


def test_a_sigkilled_grid_goes_on_from_its_last_epoch(data, tmp_path):
    X, y, Xv, yv = data
    np.savez(tmp_path / "data.npz", X=X, y=y, Xv=Xv, yv=yv)
    script = tmp_path / "search.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"

    def run(kill_at):
        return run_script(script, tmp_path / "data.npz", out, kill_at)

    killed = run(5)  # SIGKILLed in epoch 5 of 6
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (out / FUSED_CHECKPOINT).exists()
    resumed = run(0)
    assert resumed.returncode == 0, resumed.stderr
    epochs_trained, scores = resumed.stdout.split(" ", 1)
    assert int(epochs_trained) == 2  # epochs 5 and 6: the first four were saved
    net = MLPClassifier(depth=1, epochs=6, batch_size=64, device="cpu", dtype="float64")
    expected = _fit(net, {"lr": [0.01, 0.1], "width": [8, 16]}, X, y, Xv, yv)
    assert eval(scores) == list(expected.table[Col.SCORE])


def test_saved_models_that_do_not_fit_train_again(data, tmp_path, monkeypatch, two_chunks):
    """Saved weights of another shape (a damaged or foreign file) are warned of, and the
    chunk trains from its first epoch: no failed row."""
    from parsearch.results.files import read_arrays, write_arrays_atomic

    X, y, Xv, yv = data
    original = LiveRun._epoch
    count_epochs(monkeypatch, kill_at=3)
    with pytest.raises(Kill):
        _fit(MLPClassifier(**NET), GRID, X, y, Xv, yv, out=tmp_path)
    monkeypatch.setattr(LiveRun, "_epoch", original)
    path = tmp_path / FUSED_CHECKPOINT
    header, arrays = read_arrays(path)
    for name in [n for n in arrays if n.endswith("layers/0/0")]:
        arrays[name] = arrays[name][:, :-1]
    write_arrays_atomic(path, header, arrays)
    with pytest.warns(RuntimeWarning, match="train again from the first epoch"):
        resumed = fit_grid(MLPClassifier(**NET), GRID, X, y, Xv, yv, out=tmp_path,
                           progress=False, plot=False)  # fmt: skip
    whole = _fit(MLPClassifier(**NET), GRID, X, y, Xv, yv)
    pd.testing.assert_frame_equal(resumed.table[COMPARED], whole.table[COMPARED])
