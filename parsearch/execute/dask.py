"""Run a grid on a Dask cluster: one task per job, the data sent once, worker loss survived.

``fit_grid(..., backend="dask")`` uses the active ``dask.distributed.Client`` (and
``client=`` a given one). Then:

- the data goes to the cluster once, as the result of a task of its own that every job
  depends on: each task gets a reference to it, not a pickled copy; and as a task result
  it has lineage, so when the workers holding it die Dask computes it again (the
  scheduler keeps its definition, a copy of the data) instead of forgetting every job
  that needs it, as it does with scattered data;
- each per-configuration job and each fused chunk is one task (``pure=False``), fused
  chunks first (they are the longest);
- finished tasks stream back through ``distributed.as_completed``, so each row is stored
  as soon as it is done, exactly as in a local run;
- a worker that dies mid-task is Dask's business: the scheduler reruns its tasks on the
  other workers (up to ``distributed.scheduler.allowed-failures`` times). A task that
  keeps killing workers (``KilledWorker``, e.g. out of memory) is recorded as a failed
  configuration and the rest go on;
- fused chunks are sized to the smallest worker (its memory limit, or half its free GPU
  memory when it trains on a GPU), per thread, and train on the worker's own device:
  ``device="auto"`` is resolved in the worker process, never in this one.

``dask`` is imported only here, and only when a Dask run is asked for.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from concurrent.futures import CancelledError

from parsearch._optional import import_optional
from parsearch.execute.tasks import run_job
from parsearch.jobs import Outcome
from parsearch.rows import failed_row

#: How often a task the scheduler forgot (after a scheduler restart, say) is sent again.
MAX_RESUBMITS = 3
NO_CLIENT = (
    "backend='dask' runs on the active dask.distributed Client, and there is none. Start one "
    "first, e.g. `from dask.distributed import Client; client = Client()` (a local cluster) "
    "or `client = Client('tcp://scheduler-host:8786')`, or pass client=... to fit_grid."
)


def _import_distributed():
    return import_optional("distributed")


def resolve_client(backend=None, client=None):
    """The Dask client a search runs on, or None to run it here.

    Parameters
    ----------
    backend : str, optional
        ``"dask"`` asks for the active client (``distributed.get_client()``). None uses
        a client only when joblib's active ``parallel_config`` is its ``"dask"``
        backend; any other name runs here.
    client : distributed.Client, optional
        Run on this client's cluster.

    Returns
    -------
    distributed.Client or None

    Raises
    ------
    ValueError
        When ``backend="dask"`` and there is no client, when ``client`` is given with
        another backend, or when the client is closed.
    TypeError
        When ``client`` is not a ``distributed.Client``.
    """
    if client is None:
        if backend == "dask":
            client = _active_client()
        elif backend is None:
            client = _joblib_dask_client()
        if client is None:
            return None
    elif backend not in (None, "dask"):
        raise ValueError(
            f"client= runs the search on Dask, but backend={backend!r} was given too; "
            "drop backend (or pass backend='dask')."
        )
    elif not isinstance(client, _import_distributed().Client):
        raise TypeError(
            f"client must be a dask.distributed.Client, got {type(client).__name__}; "
            "for a scheduler address use client=Client('tcp://host:8786')."
        )
    if client.status not in ("running", "connecting", "newly-created"):
        raise ValueError(f"The Dask client is {client.status}; pass a running one.")
    return client


def _active_client():
    distributed = _import_distributed()
    try:
        return distributed.get_client()
    except ValueError:
        raise ValueError(NO_CLIENT) from None


def _joblib_dask_client():
    """The client of joblib's active ``parallel_config(backend="dask")``, if any."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    return getattr(backend, "client", None) if type(backend).__name__.startswith("Dask") else None


def cluster_info(client, budget=None):
    """What ``meta.json`` records about the cluster.

    Returns
    -------
    dict
        Scheduler address, workers and threads now, and the fused chunk budget used.
    """
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    info = {
        "scheduler": client.scheduler.address,
        "workers": len(workers),
        "threads": sum(w.get("nthreads", 0) for w in workers.values()),
    }
    if budget is not None:
        info["chunk_budget_bytes"] = int(budget)
    return info


# --- fused chunk size ---------------------------------------------------------------------


def chunk_memory_budget(client, engine, devices):
    """Bytes one fused chunk may use on any worker of the cluster.

    Every worker reports, for each device a configuration asks for (``"auto"``,
    ``"cpu"``, ``"cuda"``...), the device it resolves to there and the engine's budget
    on it (``Engine.device_budget``); the scheduler gives each worker's memory limit and
    threads. See ``budget_from_workers``.

    Parameters
    ----------
    client : distributed.Client
        The cluster.
    engine : parsearch.engine.Engine
        The fused engine of the configurations.
    devices : iterable of str
        The devices the configurations ask for.

    Returns
    -------
    int or None
        None without devices, or when the cluster has no workers yet (the plan then
        uses this machine's budget).
    """
    devices = sorted(set(devices))
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    if not devices or not workers:
        return None
    probes = client.run(probe_devices, engine, devices)
    return budget_from_workers(workers, probes)


def probe_devices(engine, devices):
    """On a worker: ``{device: (resolved type, bytes)}`` for each device (the engine's
    ``device_budget`` there).

    A device the worker cannot give (``"cuda"`` without a GPU) is left out; the task
    that asks for it fails there with the reason.
    """
    probes = {}
    for device in devices:
        try:
            probes[device] = engine.device_budget(device)
        except ValueError:
            continue
    return probes


def budget_from_workers(workers, probes):
    """The smallest per-thread chunk budget over the workers.

    Parameters
    ----------
    workers : dict
        Worker address -> ``{"memory_limit": bytes (0 or None: none), "nthreads": int}``,
        as ``Client.scheduler_info()["workers"]`` gives.
    probes : dict
        Worker address -> ``probe_devices`` of it.

    Returns
    -------
    int or None
        A worker's threads may each run a chunk at once, so its budget is shared by
        them. On the CPU a chunk may use a quarter of the worker's memory limit (and no
        more than the engine's ``device_budget`` allows on its machine); on a GPU, what
        the engine's ``device_budget`` gives there (half the free GPU memory). None when no
        worker reported.
    """
    budgets = []
    for address, info in workers.items():
        threads = max(1, int(info.get("nthreads") or 1))
        limit = info.get("memory_limit") or None
        for kind, budget in probes.get(address, {}).values():
            if kind == "cpu" and limit:
                budget = min(budget, limit // 4)
            budgets.append(budget // threads)
    return min(budgets) if budgets else None


# --- execution ----------------------------------------------------------------------------


def execute_on_dask(jobs, estimator, data, metric, client, on_units=None):
    """Run every job as a task on the client's cluster; yield outcomes as they finish.

    Parameters
    ----------
    jobs : list of parsearch.jobs.Job
        What to run; a fused chunk is one task like any other job.
    estimator : estimator
        The base estimator.
    data : parsearch.execute.tasks.Data
        The data, sent to the cluster once (a task result every job depends on).
    metric : parsearch.metrics.Metric
        How to score.
    client : distributed.Client
        The cluster.
    on_units : callable, optional
        Called with a number of finished progress units: model-epochs of fused chunks
        as the workers report them, the rest when a job finishes.

    Yields
    ------
    list of parsearch.execute.tasks.Outcome
        The outcomes of one finished job.
    """
    distributed = _import_distributed()
    if not jobs:
        return
    progress = _Progress(jobs, on_units)
    topic = f"parsearch-progress-{uuid.uuid4().hex}" if any(j.fused for j in jobs) else None
    data_future, tasks = None, {}  # tasks: future -> job number, until it is done
    done = 0
    try:
        if topic:
            client.subscribe_topic(topic, progress.on_event)
        data_future = submit_data(client, data)
        for fused in (True, False):  # fused chunks first: they are the longest tasks
            numbers = [n for n, job in enumerate(jobs) if job.fused == fused]
            if not numbers:
                continue
            # One map call per kind: Dask sees the whole group at once, so a large grid
            # is queued on the scheduler rather than assigned to workers up front.
            futures = client.map(
                run_task,
                [jobs[n] for n in numbers],
                numbers,
                estimator=estimator,
                data=data_future,
                metric=metric,
                topic=topic,
                pure=False,
                priority=1 if fused else 0,
            )
            tasks.update(zip(futures, numbers))
        resubmitted = {}  # job number -> times it was sent again
        finished = distributed.as_completed(list(tasks), loop=client.loop)
        for future in finished:
            number = tasks.pop(future)
            try:
                outcomes = future.result()
            except distributed.KilledWorker as exc:
                outcomes = _killed(jobs[number], exc)
            except CancelledError as exc:
                # The scheduler forgot the task (it should not: the data has lineage; a
                # scheduler restart would do it). Send the data again if need be, and
                # the task.
                resubmitted[number] = resubmitted.get(number, 0) + 1
                if resubmitted[number] > MAX_RESUBMITS:
                    outcomes = _killed(jobs[number], exc)
                else:
                    if data_future.status in ("cancelled", "lost", "error"):
                        data_future = submit_data(client, data)
                    again = client.submit(
                        run_task,
                        jobs[number],
                        number,
                        estimator=estimator,
                        data=data_future,
                        metric=metric,
                        topic=topic,
                        pure=False,
                    )
                    tasks[again] = number
                    finished.add(again)
                    continue
            # Release the result on the cluster at once: a worker lost later would
            # otherwise have Dask compute it again.
            future.release()
            done += 1
            yield outcomes
            progress.job_done(number)
    except Exception as exc:
        if client.status == "running":
            raise
        raise RuntimeError(
            f"The Dask client closed (status {client.status!r}) after {done} of {len(jobs)} "
            "jobs of this search: the finished rows are stored; rerun with a running "
            "client and resume=True to run the rest."
        ) from exc
    finally:
        progress.close()
        if client.status == "running":  # clean-up must not hide why we stopped
            with contextlib.suppress(Exception):
                if topic:
                    client.unsubscribe_topic(topic)
                client.cancel([f for f in (data_future, *tasks) if f is not None])


def _data_value(data):
    """The task that holds the search's data on the cluster: it returns its argument."""
    return data


def submit_data(client, data):
    """Put the data on the cluster as a task result (with lineage: recomputable when lost)."""
    import dask

    # No "Sending large graph" warning: the data is sent once on purpose, and kept by the
    # scheduler so that it can be computed again. (Dask's own threshold, not a warnings
    # filter: those are process-wide and not thread-safe.)
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1 PiB"}):
        return client.submit(_data_value, data, pure=False, priority=2)


def run_task(job, number, estimator, data, metric, topic=None):
    """The task a worker runs: ``run_job``, reporting each epoch of a fused chunk.

    Parameters
    ----------
    job : parsearch.jobs.Job
        The configurations.
    number : int
        The job's number in this search.
    estimator, data, metric
        As ``parsearch.execute.tasks.run_job`` takes them.
    topic : str, optional
        Dask event topic for progress: each epoch of a fused chunk logs
        ``[number, n_models]`` there.

    Returns
    -------
    list of parsearch.execute.tasks.Outcome
    """
    on_epoch = None
    if topic is not None and job.fused:
        from distributed import get_worker

        worker = get_worker()

        def on_epoch(epoch, n_models):
            worker.log_event(topic, [number, n_models])

    return run_job(estimator, job, data, metric, on_epoch=on_epoch)


def _killed(job, exc):
    """Failed outcomes for a job whose task took down every worker it ran on."""
    return [
        Outcome(
            index=i,
            row=failed_row(params, exc),
            traceback="(no traceback: the worker process died; see the Dask worker logs)",
        )
        for i, params in zip(job.indices, job.params)
    ]


class _Progress:
    """Progress units of the running jobs, fed from two threads.

    Fused chunks report each epoch as a Dask event (handled in the client's event loop
    thread); every job reports the rest when it finishes (in the caller's thread). A
    chunk rerun after a worker died reports its epochs again: each job's units are
    capped at its total.
    """

    def __init__(self, jobs, on_units):
        self.total = [job.units for job in jobs]
        self.done = [0] * len(jobs)
        self.on_units = on_units or (lambda n: None)
        self.lock = threading.Lock()
        self.closed = False

    def _add(self, number, units):
        with self.lock:
            units = min(units, self.total[number] - self.done[number])
            if units > 0 and not self.closed:
                self.done[number] += units
                self.on_units(units)

    def on_event(self, event):
        _, (number, n_models) = event
        self._add(number, n_models)

    def job_done(self, number):
        self._add(number, self.total[number])

    def close(self):
        with self.lock:
            self.closed = True
