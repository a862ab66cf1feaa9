"""Run jobs: fused chunks in this process, per-configuration jobs through joblib, or all on Dask.

Per-configuration jobs go to joblib, through scikit-learn's ``Parallel``/``delayed``
wrappers (as ``GridSearchCV`` does: each task runs under the caller's scikit-learn config
and, with scikit-learn >= 1.7, the caller's warning filters), with the caller's ``n_jobs``
and ``backend`` (or joblib's active ``parallel_config``), and their results stream back as
they finish (``return_as="generator_unordered"``) so that each row is stored at once.
joblib's process backends cap the BLAS/OpenMP threads of each worker at
``cpu_count() // n_jobs``; the threading backend is capped here with threadpoolctl.
Fused chunks run one after another in this process, on all its cores or its GPU,
reporting progress after every epoch.

Given a ``dask.distributed.Client``, every job (fused chunks too) is one task on its
cluster instead; see ``parsearch.execute.dask``.
"""

from __future__ import annotations

import contextlib
import os

from sklearn.utils.parallel import Parallel, delayed

from parsearch.execute.tasks import run_job


def execute(
    jobs,
    estimator,
    data,
    metric,
    *,
    n_jobs=None,
    backend=None,
    on_units=None,
    client=None,
    checkpoint=None,
):
    """Run the jobs and yield their outcomes as they finish.

    Parameters
    ----------
    jobs : list of parsearch.jobs.Job
        What to run.
    estimator : estimator
        The base estimator.
    data : parsearch.jobs.Data
        The data.
    metric : parsearch.metrics.Metric
        How to score.
    n_jobs : int, optional
        joblib's ``n_jobs`` for per-configuration jobs (None: joblib's default, 1
        unless a ``parallel_config`` says otherwise).
    backend : str, optional
        joblib backend name (``"loky"``, ``"threading"``, ``"dask"``, ...).
    on_units : callable, optional
        Called with a number of finished progress units (model-epochs or
        configurations).
    client : distributed.Client, optional
        Run every job as a task on this Dask cluster (``n_jobs`` and ``backend`` are
        then unused: the cluster's worker threads decide how many run at once).
    checkpoint : parsearch.fused.checkpoint.ChunkCheckpoint, optional
        Where the fused chunks that run here save their models as they train (not on
        Dask).

    Yields
    ------
    list of parsearch.jobs.Outcome
        The outcomes of one finished job.
    """
    if client is not None:
        from parsearch.execute.dask import execute_on_dask

        yield from execute_on_dask(jobs, estimator, data, metric, client, on_units=on_units)
        return
    progress = on_units or (lambda n: None)
    fused = [job for job in jobs if job.fused]
    single = [job for job in jobs if not job.fused]
    for job in fused:
        yield run_job(
            estimator, job, data, metric, on_epoch=lambda _, k: progress(k), checkpoint=checkpoint
        )
    if not single:
        return
    units = {job.indices[0]: job.units for job in single}
    tasks = (delayed(run_job)(estimator, job, data, metric) for job in single)
    with _thread_cap(n_jobs, backend):
        parallel = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator_unordered")
        for job_outcomes in parallel(tasks):
            yield job_outcomes
            progress(units[job_outcomes[0].index])


@contextlib.contextmanager
def _thread_cap(n_jobs, backend):
    """Cap BLAS/OpenMP threads at cores // n_jobs while threads share this process."""
    if backend != "threading" or n_jobs in (None, 1):
        yield
        return
    from threadpoolctl import threadpool_limits

    workers = os.cpu_count() if n_jobs < 0 else n_jobs
    with threadpool_limits(limits=max(1, (os.cpu_count() or 1) // workers)):
        yield
