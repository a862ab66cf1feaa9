"""What ``meta.json`` says about a search: written when it starts, updated when it ends.

``start_meta`` describes the search (model, grid, metric and its direction, validation,
data shapes and fingerprint, how it runs, versions) with ``"status": "running"``;
``finish_meta`` adds how it ended (status, counts of each row status, the best
configuration, wall time). The store adds the resume ``identity``.
"""

from __future__ import annotations

import platform
import sys
import time
from datetime import datetime, timezone

from parsearch import __version__
from parsearch.execute.dask import cluster_info
from parsearch.results.files import ALL_FAILED, FINISHED, RUNNING
from parsearch.rows import Col, axis_jsonable, status_counts, to_jsonable


def start_meta(search, identity, jobs, n_reused, budget=None):
    """``meta.json`` of a search that is about to run.

    Parameters
    ----------
    search : parsearch.search.setup.Search
        The search set up.
    identity : dict
        Its resume identity (the validation and the data's fingerprint are shown).
    jobs : list of parsearch.jobs.Job
        The jobs planned.
    n_reused : int
        Rows reused from an earlier run.
    budget : int, optional
        The fused chunk budget of a Dask cluster, in bytes.

    Returns
    -------
    dict
    """
    data, base, options = search.data, search.base, search.options
    meta = {
        "parsearch_version": __version__,
        "model": repr(base),
        "model_class": f"{type(base).__module__}.{type(base).__qualname__}",
        "grid": {
            "axes": {
                name: [axis_jsonable(v) for v in values]
                for name, values in search.grid.axes.items()
            },
            "n_configs": len(search.grid),
        },
        "metric": {
            "name": search.metric.name,
            "greater_is_better": search.metric.greater_is_better,
            "direction": search.metric.direction,
        },
        "validation": identity["validation"],
        "cv": None if data.folds is None else repr(options.cv),
        "data": {
            "X_train": list(data.X_train.shape),
            "X_val": None if data.X_val is None else list(data.X_val.shape),
            "n_classes": search.n_classes if search.classifier else None,
            "fingerprint": identity["data"],
        },
        "execution": {
            "n_jobs": options.n_jobs,
            "backend": options.backend,
            "engine": options.engine,
            "fused_engine": None if search.engine is None else search.engine.name,
            "device": search.device,
            "matmul": search.matmul,
            "fused_groups": [len(j.indices) for j in jobs if j.fused],
            "per_config_jobs": sum(1 for j in jobs if not j.fused),
            "reused_rows": n_reused,
        },
        "versions": versions(),
        "started": search.started_at.isoformat(timespec="seconds"),
        "status": RUNNING,
    }
    if options.client is not None:
        meta["execution"].update(backend="dask", dask=cluster_info(options.client, budget))
    return meta


def finish_meta(grid, best, t0, table):
    """What ``meta.json`` adds when the search has run: status, counts, best, wall time.

    Parameters
    ----------
    grid : parsearch.grid.Grid
        The configurations.
    best : parsearch.rows.BestSoFar
        The best row.
    t0 : float
        When the search started (``time.perf_counter``).
    table : pandas.DataFrame
        The results table.
    """
    return {
        "status": FINISHED if best.index is not None else ALL_FAILED,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - t0, 3),
        "counts": status_counts(table[Col.STATUS]),
        "best": None
        if best.index is None
        else {"params": to_jsonable(grid.configs[best.index]), "score": best.score},
    }


def versions():
    """Versions of Python and of the libraries this process has imported."""
    found = {"python": platform.python_version()}
    for name in ("numpy", "pandas", "sklearn", "joblib", "torch", "dask", "distributed"):
        module = sys.modules.get(name)
        if module is not None:
            found[name] = getattr(module, "__version__", "?")
    return found
