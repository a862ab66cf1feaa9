"""Successive halving's run phase (``parsearch/halving/run.py``) where things go wrong:
networks of mixed float types, bad epochs, configurations failing at a rung, checkpoints
that are stale, unreadable or from another seed, and reruns of a finished folder. Each
docstring says what went wrong before its fix.

Each test is small and uses real data (``mnist_small``). Data are float64 and divided by
3, so that they are not representable in float32 (see the dtype test).
"""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import SGDClassifier

from parsearch import Halving, MLPClassifier, fit_grid
from parsearch.halving.partial import PartialRungs
from parsearch.results.files import CHECKPOINT
from parsearch.rows import Col

NET = {"depth": 1, "epochs": 3, "batch_size": 32, "device": "cpu", "dtype": "float64"}
COLUMNS = [Col.STATUS, Col.EPOCHS_TRAINED, Col.SCORE]


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y = mnist_small
    X = X.astype(np.float64) / 3.0  # float64 values that float32 cannot hold
    return X[:300], y[:300], X[300:400], y[300:400]


def _fit(*args, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("plot", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_grid(*args, **kwargs)


def _sgd():
    return SGDClassifier(loss="hinge", learning_rate="constant", random_state=0)


class _Stop(KeyboardInterrupt):
    pass


def _killed_at(monkeypatch, resource, *args, **kwargs):
    """Run a partial_fit halving search, stopped when a rung asks for ``resource`` passes."""
    original = PartialRungs.train_to

    def train_to(self, to, on_units=None):
        if to == resource:
            raise _Stop
        return original(self, to, on_units)

    monkeypatch.setattr(PartialRungs, "train_to", train_to)
    with pytest.raises(_Stop):
        _fit(*args, **kwargs)
    monkeypatch.setattr(PartialRungs, "train_to", original)


def capped_accuracy(y_true, y_pred):
    """Accuracy that refuses to score a model above 0.5 (a metric failing for some models)."""
    accuracy = float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    if accuracy > 0.5:
        raise ValueError("too good to be true")
    return accuracy


# --- networks ----------------------------------------------------------------------------


def test_a_float64_network_after_a_float32_one_trains_on_float64_data(data):
    """FusedRungs converts X to the *first* configuration's dtype for every run."""
    X, y, Xv, yv = data
    grid = [{"dtype": ["float32"], "lr": [0.01]}, {"dtype": ["float64"], "lr": [0.1]}]
    net = MLPClassifier(**NET)
    alone = MLPClassifier(**{**NET, "lr": 0.1}).fit(X, y)
    plain = _fit(net, grid, X, y, Xv, yv, keep_models="all")  # without halving: exact
    for (w, _), (w0, _) in zip(plain.models[1].layers_, alone.layers_):
        np.testing.assert_allclose(w, w0, rtol=0, atol=1e-10)
    # min_resource == max_resource: one rung, nothing pruned, the same two networks.
    halved = _fit(net, grid, X, y, Xv, yv, halving=Halving(min_resource=3), keep_models="all")
    for (w, b), (w0, b0) in zip(halved.models[1].layers_, alone.layers_):
        np.testing.assert_allclose(w, w0, rtol=0, atol=1e-10)
        np.testing.assert_allclose(b, b0, rtol=0, atol=1e-10)


def test_bad_epochs_under_halving_get_the_networks_own_message(data, tmp_path):
    """resolve_halving compares min_resource with an unchecked epochs: a raw TypeError."""
    X, y, Xv, yv = data
    for epochs in ("3", None):
        with pytest.raises(ValueError, match="epochs must be an integer"):
            fit_grid(
                MLPClassifier(**{**NET, "epochs": epochs}), {"lr": [0.1]}, X, y, Xv, yv,
                halving=True, out=tmp_path / "never", progress=False,
            )  # fmt: skip
        assert not (tmp_path / "never").exists()


def test_survivors_failing_at_the_last_rung_do_not_make_every_configuration_failed(data):
    """4 of 6 configurations are pruned with a score; the 2 survivors' metric fails at
    the last rung. The search says 'All 6 configurations failed or diverged'."""
    X, y, Xv, yv = data
    grid = {"lr": [0.1, 0.01, 0.03], "width": [8, 16]}
    try:
        result = _fit(
            MLPClassifier(**NET), grid, X, y, Xv, yv, metric=capped_accuracy,
            greater_is_better=True, halving=True,
        )  # fmt: skip
    except RuntimeError as exc:
        assert "All 6 configurations failed" not in str(exc)
    else:
        assert (result.table[Col.STATUS] == "pruned").sum() == 4


# --- cv_results_ ------------------------------------------------------------------------


def test_cv_results_rank_one_is_the_best_configuration_not_a_pruned_one(data):
    """A pruned row's score (at fewer passes) is ranked with the finished rows' scores."""
    X, y, Xv, yv = data
    grid = {"eta0": [10.0, 0.1], "alpha": [1e-4]}
    result = _fit(_sgd(), grid, X, y, Xv, yv, halving=Halving(factor=2, max_resource=2))
    assert list(result.table[Col.STATUS]) == ["ok", "pruned"]
    assert result.table[Col.SCORE][1] > result.best_score  # pruned at pass 1 above the best
    cv = result.cv_results_
    assert cv["params"][int(np.argmin(cv["rank_test_score"]))] == result.best_params


# --- resume -----------------------------------------------------------------------------


def test_a_failed_row_of_an_earlier_rung_does_not_spoil_the_checkpoint(data, tmp_path, monkeypatch):
    """eta0=0 fails at rung 1 (partial_fit raises); failed rows are not reused, so they
    are in ``todo`` but not in the checkpoint of rung 2: resume_point calls the checkpoint
    'of another search', the survivors restart and are pruned again among themselves."""
    X, y, Xv, yv = data
    grid = {"eta0": [0.0, 0.01, 0.1, 1.0], "alpha": [1e-4, 1e-2]}
    halving = Halving(factor=2, max_resource=4)  # rungs 1, 2, 4
    whole = _fit(_sgd(), grid, X, y, Xv, yv, halving=halving)
    assert (whole.table[Col.STATUS] == "failed").sum() == 2
    assert (whole.table[Col.STATUS] == "ok").sum() == 2
    _killed_at(monkeypatch, 4, _sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        resumed = fit_grid(
            _sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path, progress=False, plot=False
        )
    assert resumed.table[COLUMNS].equals(whole.table[COLUMNS])  # here: one more pruned
    assert not [w for w in caught if "another search" in str(w.message)]


def test_an_unreadable_checkpoint_does_not_prune_survivors_again(data, tmp_path, monkeypatch):
    """With the checkpoint unreadable, the 2 survivors of rung 1 restart and compete at
    rung 1 again among themselves: one that went on to 3 passes ends pruned at 1 pass,
    a table that no uninterrupted run gives."""
    X, y, Xv, yv = data
    grid = {"eta0": [0.01, 0.1, 1.0], "alpha": [1e-4, 1e-2]}
    halving = Halving(factor=3, max_resource=9)
    whole = _fit(_sgd(), grid, X, y, Xv, yv, halving=halving)
    _killed_at(monkeypatch, 3, _sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path)
    (tmp_path / CHECKPOINT).write_bytes(b"not a pickle")
    resumed = _fit(_sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path)
    assert resumed.table[COLUMNS].equals(whole.table[COLUMNS])


def test_resuming_with_another_random_state_does_not_mix_pass_orders(data, tmp_path, monkeypatch):
    """random_state fixes the passes' order (halving_seed) but is not in the resume
    identity when the estimator has its own random_state: a resume with another
    random_state goes on from the checkpoint with another order, a table of neither."""
    X, y, Xv, yv = data
    grid = {"eta0": [0.01, 0.1, 1.0], "alpha": [1e-4, 1e-2]}
    halving = Halving(factor=3, max_resource=9)
    _killed_at(
        monkeypatch, 3, _sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path, random_state=0
    )
    whole = _fit(_sgd(), grid, X, y, Xv, yv, halving=halving, random_state=5)
    try:
        resumed = _fit(_sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path, random_state=5)
    except Exception as exc:  # a ResumeMismatch would be right too
        assert type(exc).__name__ == "ResumeMismatch"
    else:
        assert resumed.table[COLUMNS].equals(whole.table[COLUMNS])


def test_resume_false_does_not_leave_the_old_checkpoint_to_a_later_resume(
    data, tmp_path, monkeypatch
):
    """resume=False rewrites scores.csv but keeps halving.checkpoint.pkl; if that search
    is stopped before its first rung ends, the next resume=True goes on from the
    replaced search's survivors."""
    X, y, Xv, yv = data
    grid = {"eta0": [0.01, 0.1, 1.0], "alpha": [1e-4, 1e-2]}
    halving = Halving(factor=3, max_resource=9)
    _killed_at(monkeypatch, 3, _sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path)
    _killed_at(
        monkeypatch, 1, _sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path, resume=False
    )
    trained = []
    original = PartialRungs.train_to
    monkeypatch.setattr(
        PartialRungs, "train_to", lambda s, r, u=None: (trained.append(r), original(s, r, u))
    )
    _fit(_sgd(), grid, X, y, Xv, yv, halving=halving, out=tmp_path)
    assert trained[0] == 1  # started afresh, as the resume=False search did


def test_rerunning_a_finished_halving_folder_keeps_its_rung_counts(data, tmp_path):
    """A rerun that reuses every row records candidates [0, 0] in meta.json (and writes
    and removes a checkpoint of nothing)."""
    X, y, Xv, yv = data
    grid = {"lr": [0.003, 0.01, 0.03, 0.1], "width": [8, 16]}
    first = _fit(MLPClassifier(**NET), grid, X, y, Xv, yv, halving=True, out=tmp_path)
    assert first.meta["halving"]["candidates"] == [8, 3]
    again = _fit(MLPClassifier(**NET), grid, X, y, Xv, yv, halving=True, out=tmp_path)
    assert again.meta["execution"]["reused_rows"] == 8
    assert again.meta["halving"]["candidates"] == [8, 3]


def test_a_checkpoint_with_the_former_data_fingerprint_still_fits(tmp_path):
    """A checkpoint written before the SHA-256 fingerprint resumes its survivors."""
    from parsearch.halving.run import CHECKPOINT_VERSION, _fits
    from parsearch.results.identity import (
        data_fingerprint,
        is_legacy_fingerprint,
        legacy_data_fingerprint,
    )
    from parsearch.results.store import ResultStore

    X = np.arange(40.0).reshape(10, 4)
    store = ResultStore(
        tmp_path,
        ["c"],
        {"estimator": "e", "data": data_fingerprint(X)},
        former={"data": (is_legacy_fingerprint, lambda: legacy_data_fingerprint(X))},
    )

    def checkpoint(data):
        identity = {"estimator": "e", "data": data}
        return {"version": CHECKPOINT_VERSION, "identity": identity, "states": {"k": 1}}

    assert _fits(checkpoint(data_fingerprint(X)), store, {"k": 0})
    assert _fits(checkpoint(legacy_data_fingerprint(X)), store, {"k": 0})
    assert not _fits(checkpoint(legacy_data_fingerprint(X + 1)), store, {"k": 0})
