"""fit_grid on a real Dask cluster: same tables as locally, worker loss survived, resume.

Every cluster here is a ``LocalCluster`` of two single-threaded worker processes on the
loopback interface, its dashboard on a free loopback port (``dashboard_address=None``
would still take port 8787, and ``":0"`` listens on every interface). Its client is not
made the default client, so ``backend="dask"`` sees it only inside ``client.as_current()``.
"""

import json
import os
import signal
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import SGDClassifier

from parsearch import fit_grid
from parsearch.execute.dask import budget_from_workers, probe_devices
from parsearch.results.read import read_scores
from parsearch.rows import Col, Status

distributed = pytest.importorskip("distributed")

TESTS = Path(__file__).resolve().parent
GiB = 1 << 30


class ProcessKillingClassifier(ClassifierMixin, BaseEstimator):
    """Kills the process it fits in when ``c == 1``: a crash no ``except`` can catch.

    Defined here (importable on the workers: tests/ is on their path); only ever fit on
    a Dask worker.
    """

    def __init__(self, c=0):
        self.c = c

    def fit(self, X, y):
        if self.c == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def local_cluster():
    """Two worker processes, one thread each, loopback only; tests/ importable on them."""
    path = os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH")) if p)
    return distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        env={"PYTHONPATH": path},
    )


@pytest.fixture(scope="module")
def client():
    with local_cluster() as cluster, distributed.Client(cluster, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def split(mnist_small):
    X, y = mnist_small
    return X[:1500], y[:1500], X[1500:2000], y[1500:2000]


def without_timing(table):
    return table.drop(columns=[Col.FIT_SECONDS, Col.SPLIT_SECONDS], errors="ignore")


def sgd():
    return SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=0)


def mlp(**kw):
    from parsearch import MLPClassifier

    return MLPClassifier(**{"epochs": 2, "batch_size": 64, **kw})


# --- the same tables as a local run ------------------------------------------------------------


def test_sklearn_grid_gives_the_local_table(client, split, tmp_path):
    grid = {"alpha": [1e-4, 1e-3, 1e-2], "eta0": [0.01, 0.1]}
    kw = dict(progress=False, keep_models="all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short runs
        here = fit_grid(sgd(), grid, *split, n_jobs=1, **kw)
        there = fit_grid(sgd(), grid, *split, client=client, out=tmp_path / "r", **kw)
    pd.testing.assert_frame_equal(without_timing(there.table), without_timing(here.table))
    stored = read_scores(tmp_path / "r")
    assert sorted(stored[Col.KEY]) == sorted(here.table[Col.KEY])
    execution = there.meta["execution"]
    assert execution["backend"] == "dask"
    assert execution["dask"]["scheduler"] == client.scheduler.address
    assert execution["dask"]["workers"] == 2
    assert there.best_params == here.best_params
    for a, b in zip(here.models, there.models):
        np.testing.assert_array_equal(a.coef_, b.coef_)


def test_partial_fit_halving_on_dask_gives_the_local_table(client, split, tmp_path):
    from parsearch import Halving

    grid = {"alpha": [1e-4, 1e-3, 1e-2], "eta0": [0.01, 0.1]}
    model = SGDClassifier(loss="log_loss", learning_rate="constant", random_state=0)
    kw = dict(progress=False, halving=Halving(max_resource=3))
    here = fit_grid(model, grid, *split, **kw)
    there = fit_grid(model, grid, *split, client=client, out=tmp_path / "h", **kw)
    pd.testing.assert_frame_equal(without_timing(there.table), without_timing(here.table))
    assert set(there.table[Col.STATUS]) == {"ok", "pruned"}
    np.testing.assert_array_equal(there.best_model.coef_, here.best_model.coef_)
    with pytest.raises(ValueError, match="Dask"):
        fit_grid(mlp(), {"lr": [0.01, 0.1]}, *split, client=client, halving=True)


def test_fused_network_grid_gives_the_local_table(client, split):
    pytest.importorskip("torch")
    grid = {"lr": [0.003, 0.03], "width": [16, 32]}
    here = fit_grid(mlp(), grid, *split, progress=False)
    with client.as_current():
        there = fit_grid(mlp(), grid, *split, backend="dask", progress=False)
    pd.testing.assert_frame_equal(without_timing(there.table), without_timing(here.table))
    execution = there.meta["execution"]
    assert execution["fused_groups"] == [4]
    assert execution["device"] == "auto (on the Dask workers)"
    limits = client.scheduler_info(n_workers=-1)["workers"].values()
    assert 0 < execution["dask"]["chunk_budget_bytes"] <= min(w["memory_limit"] for w in limits)
    assert there.best_model.score(split[2], split[3]) == there.best_score


def test_cross_validation_on_dask_gives_the_local_table(client, split):
    Xtr, ytr = split[0][:600], split[1][:600]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        here = fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, Xtr, ytr, cv=3, progress=False)
        there = fit_grid(
            sgd(), {"alpha": [1e-4, 1e-2]}, Xtr, ytr, cv=3, client=client, progress=False
        )
    pd.testing.assert_frame_equal(without_timing(there.table), without_timing(here.table))


def test_joblib_dask_parallel_config_runs_on_the_cluster(client, split):
    from joblib import parallel_config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with client.as_current(), parallel_config(backend="dask"):
            res = fit_grid(sgd(), {"alpha": [1e-4]}, *split, progress=False)
    assert res.meta["execution"]["dask"]["scheduler"] == client.scheduler.address


def test_resume_on_dask_fits_only_what_is_missing(client, split, tmp_path):
    from slow_estimator import SlowLoggingClassifier

    log, out = tmp_path / "fits.log", tmp_path / "out"
    est = SlowLoggingClassifier(delay=0, log_path=str(log))
    fit_grid(est, {"c": [0, 1, 2]}, *split, client=client, out=out, progress=False)
    res = fit_grid(est, {"c": [0, 1, 2, 3]}, *split, client=client, out=out, progress=False)
    assert sorted(log.read_text().split()) == ["0", "1", "2", "3"]
    assert res.meta["execution"]["reused_rows"] == 3
    assert sorted(read_scores(out)["c"]) == [0, 1, 2, 3]


def test_client_process_killed_then_resume_picks_up(client, split, tmp_path):
    """A client connected by address dies mid-grid; a rerun stores only what is missing."""
    from slow_estimator import rerun_search, search_killed_mid_grid

    out, log, d = search_killed_mid_grid(tmp_path, split, client.scheduler.address)
    done_before = set(read_scores(out)["c"])
    assert 3 <= len(done_before) < 10

    res = rerun_search(out, log, d, client=client)
    assert res.meta["execution"]["reused_rows"] == len(done_before)
    final = read_scores(out)
    assert sorted(final["c"]) == list(range(10)) and final[Col.KEY].is_unique
    assert (res.table[Col.STATUS] == Status.OK).all()


# --- bad input ---------------------------------------------------------------------------------


def test_dask_backend_without_a_client_says_how_to_start_one(split, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"no[\s\S]*Client\(\)[\s\S]*client="):
        fit_grid(sgd(), {"alpha": [1e-4]}, *split, backend="dask", out=out, progress=False)
    assert not out.exists()


def test_client_with_another_backend_or_of_another_type_is_rejected(client, split):
    with pytest.raises(ValueError, match="backend='loky'"):
        fit_grid(sgd(), {"alpha": [1e-4]}, *split, client=client, backend="loky")
    with pytest.raises(TypeError, match=r"Client\('tcp://"):
        fit_grid(sgd(), {"alpha": [1e-4]}, *split, client="tcp://127.0.0.1:8786")


# --- fused chunk size ----------------------------------------------------------------------------


def test_chunk_budget_is_the_smallest_worker_per_thread():
    workers = {
        "cpu-a": {"memory_limit": 8 * GiB, "nthreads": 2},
        "cpu-b": {"memory_limit": 0, "nthreads": 1},  # no limit: the machine's rule
        "gpu": {"memory_limit": 8 * GiB, "nthreads": 1},
    }
    probes = {
        "cpu-a": {"auto": ("cpu", 4 * GiB)},
        "cpu-b": {"auto": ("cpu", 3 * GiB)},
        "gpu": {"auto": ("cuda", 20 * GiB)},
    }
    # cpu-a: min(4 GiB, 8 GiB / 4) shared by 2 threads = 1 GiB.
    assert budget_from_workers(workers, probes) == GiB
    del workers["cpu-a"]
    assert budget_from_workers(workers, probes) == 3 * GiB
    assert budget_from_workers({"gpu": workers["gpu"]}, probes) == 20 * GiB
    assert budget_from_workers(workers, {}) is None


def test_probe_skips_devices_the_worker_cannot_give():
    torch = pytest.importorskip("torch")
    from parsearch.nets.engine import MLPEngine

    probes = probe_devices(MLPEngine(), ["auto", "cpu", "cuda"])
    assert probes["cpu"][0] == "cpu" and probes["cpu"][1] > 0
    assert probes["auto"][0] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert ("cuda" in probes) == torch.cuda.is_available()


# --- a worker dies mid-search --------------------------------------------------------------------


def test_a_worker_killed_mid_search_loses_no_row(split, tmp_path):
    from slow_estimator import SlowLoggingClassifier

    n = 12
    log, out = tmp_path / "fits.log", tmp_path / "out"
    scores = out / "scores.csv"
    with local_cluster() as cluster, distributed.Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2)
        pids = client.run(os.getpid)  # worker address -> process id
        killed, finished = {}, threading.Event()

        def kill_a_busy_worker():
            while not finished.is_set() and not killed:
                stored = len(scores.read_text().splitlines()) - 1 if scores.exists() else 0
                busy = [a for a, keys in client.processing().items() if keys and a in pids]
                if stored >= 3 and busy:
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.update(address=busy[0], rows_stored=stored)
                time.sleep(0.02)

        killer = threading.Thread(target=kill_a_busy_worker)
        killer.start()
        try:
            res = fit_grid(
                SlowLoggingClassifier(delay=0.3, log_path=str(log)),
                {"c": list(range(n))},
                *split,
                client=client,
                out=out,
                progress=False,
            )
        finally:
            finished.set()
            killer.join()
    assert killed, "no worker was killed"
    assert killed["rows_stored"] < n  # the kill came while tasks were still running
    stored = read_scores(out)
    assert sorted(stored["c"]) == list(range(n))
    assert stored[Col.KEY].is_unique
    assert len(res.table) == n and (res.table[Col.STATUS] == Status.OK).all()
    fitted = [int(c) for c in log.read_text().split()]
    assert set(fitted) == set(range(n))
    # At most the fit the dead worker was running is run again: finished results are
    # released at once, so Dask does not compute them anew when a worker is lost.
    assert len(fitted) <= n + 1


@pytest.mark.parametrize("allowed_failures", [0, None], ids=["no-retry", "dask-default"])
def test_a_task_that_kills_its_workers_fails_alone(split, tmp_path, allowed_failures):
    """Past ``allowed-failures`` worker deaths Dask gives up on a task: one failed row.

    With Dask's default (4 deaths) both workers die in turn, taking every copy of the
    data with them: were it scattered, Dask would forget every task that needs it and
    healthy configurations would fail too; as a task result with lineage it is computed
    again. One task per worker at a time (more tasks than twice the threads: Dask queues
    them on the scheduler), so that Dask blames only the killer for the deaths.
    """
    import dask

    out = tmp_path / "out"
    config = {"distributed.scheduler.worker-saturation": 1.0}
    if allowed_failures is not None:
        config["distributed.scheduler.allowed-failures"] = allowed_failures
    with dask.config.set(config), local_cluster() as cluster:
        with distributed.Client(cluster, set_as_default=False) as client:
            with pytest.warns(FitFailedWarning, match="KilledWorker"):
                res = fit_grid(
                    ProcessKillingClassifier(),
                    {"c": list(range(6))},
                    *split,
                    client=client,
                    out=out,
                    progress=False,
                )
    assert list(res.table[Col.STATUS]) == [
        Status.OK,
        Status.FAILED,
        Status.OK,
        Status.OK,
        Status.OK,
        Status.OK,
    ]
    assert res.table[Col.ERROR][1].startswith("KilledWorker")
    stored = read_scores(out).set_index("c")
    assert stored.loc[1, Col.STATUS] == Status.FAILED and len(stored) == 6


class KillOnce(ClassifierMixin, BaseEstimator):
    """Kills its worker once: on the first fit anywhere (that worker holds the data)."""

    def __init__(self, c=0, marker=None):
        self.c = c
        self.marker = marker

    def fit(self, X, y):
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_a_worker_holding_the_data_dies_and_every_row_still_comes(split, tmp_path):
    """The first fit kills its worker, which holds the data (maybe its only copy)."""
    with local_cluster() as cluster:
        with distributed.Client(cluster, set_as_default=False) as client:
            res = fit_grid(
                KillOnce(marker=str(tmp_path / "killed")),
                {"c": list(range(6))},
                *split,
                client=client,
                out=tmp_path / "out",
                progress=False,
            )
    assert (tmp_path / "killed").exists()
    assert list(res.table[Col.STATUS]) == [Status.OK] * 6
    assert read_scores(tmp_path / "out")[Col.KEY].is_unique


def test_a_client_closed_mid_search_says_so_and_resume_finishes(split, tmp_path):
    from slow_estimator import SlowLoggingClassifier

    out = tmp_path / "out"
    scores = out / "scores.csv"
    est = SlowLoggingClassifier(delay=0.3)
    grid = {"c": list(range(12))}
    with local_cluster() as cluster:
        client = distributed.Client(cluster, set_as_default=False)
        stop = threading.Event()

        def close_after_two_rows():
            while not stop.is_set():
                if scores.exists() and len(scores.read_text().splitlines()) - 1 >= 2:
                    client.close()
                    return
                time.sleep(0.02)

        closer = threading.Thread(target=close_after_two_rows)
        closer.start()
        try:
            with pytest.raises(RuntimeError, match=r"The Dask client closed.*resume=True"):
                fit_grid(est, grid, *split, client=client, out=out, progress=False)
        finally:
            stop.set()
            closer.join()
            client.close()
    assert json.loads((out / "meta.json").read_text())["status"] == "interrupted"
    done = len(read_scores(out))
    assert 2 <= done < 12
    with local_cluster() as cluster, distributed.Client(cluster, set_as_default=False) as client:
        res = fit_grid(est, grid, *split, client=client, out=out, progress=False)
    assert res.meta["execution"]["reused_rows"] == done
    assert (res.table[Col.STATUS] == Status.OK).all() and read_scores(out)[Col.KEY].is_unique


def test_data_over_dask_large_graph_threshold_sends_without_a_warning(client):
    # The data task is large on purpose (it is sent once); Dask's "Sending large graph"
    # warning would only mislead.
    from slow_estimator import SlowLoggingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 784)).astype(np.float32)  # 15.7 MB, over Dask's 10 MB
    y = np.arange(5000) % 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit_grid(
            SlowLoggingClassifier(delay=0),
            {"c": [0, 1]},
            X[:4000],
            y[:4000],
            X[4000:],
            y[4000:],
            client=client,
            progress=False,
        )
    assert (res.table[Col.STATUS] == Status.OK).all()
    assert not [w for w in caught if "large graph" in str(w.message)]
