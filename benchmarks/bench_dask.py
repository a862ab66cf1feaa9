"""Benchmark: the overhead of running fit_grid on a Dask cluster over a local joblib run.

    python benchmarks/bench_dask.py              # 3 rounds, medians
    python benchmarks/bench_dask.py --quick      # seconds-long smoke run (1,000 images, 1 round)
    python benchmarks/bench_dask.py --rounds 5

Grid: the 12-configuration SGDClassifier grid of ``bench_sklearn.py`` (alpha: 6 values x
eta0: 2), trained on the first 10,000 images of MNIST's train file and scored on the next
10,000 (normalised as in ``_common.mnist_split``).

Approaches (each in its own fresh Python process):
  local  fit_grid(..., n_jobs=2): joblib's loky backend, 2 worker processes
  dask   fit_grid(..., client=client) on LocalCluster(n_workers=2, threads_per_worker=1,
         processes=True), loopback only, no dashboard port; the cluster starts before the
         clock does (its start time is printed apart)

Each child runs the search twice: "cold" is the first run, where the worker processes
still have to start (loky) or import scikit-learn (Dask); "warm" is the second, with the
same workers ready. The Dask run sends the data to the cluster once per search (a task
result every job depends on); the local run pickles it into each loky task (joblib
memory-maps arrays over 1 MB). Both give
the same table, so the best accuracies must be identical.

Printed: medians of each time, and the overhead ratio dask / local (cold and warm search,
and the whole child process). Every approach runs in its own fresh Python process; see
``_common.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings

import _common as c
import bench_sklearn as sk

APPROACHES = {
    "local": "fit_grid, joblib loky n_jobs=2",
    "dask": "fit_grid, LocalCluster 2 workers x 1 thread",
}
N_JOBS = 2


# --------------------------------------------------------------------------------------------
# Children: one approach each, in a fresh process
# --------------------------------------------------------------------------------------------


def child(approach: str, quick: bool) -> None:
    data = c.mnist_split(*sk.sizes(quick))
    started = {}

    def imports():
        from sklearn.linear_model import SGDClassifier

        from parsearch import fit_grid

        kwargs = {"n_jobs": N_JOBS}
        if approach == "dask":
            import distributed

            t0 = time.perf_counter()
            cluster = distributed.LocalCluster(
                n_workers=N_JOBS,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            )
            client = distributed.Client(cluster, set_as_default=False)
            client.wait_for_workers(N_JOBS)
            started["cluster_s"] = time.perf_counter() - t0
            kwargs = {"client": client}
        elif approach != "local":
            raise SystemExit(f"unknown approach {approach!r}")
        return fit_grid, SGDClassifier(random_state=0, **sk.SGD_PARAMS), kwargs

    def search(mods):
        fit_grid, estimator, kwargs = mods
        seconds = []
        for _ in range(2):  # cold, then warm
            with tempfile.TemporaryDirectory(prefix="bench_dask_") as out:
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # ConvergenceWarning, where raised here
                    res = fit_grid(
                        estimator, sk.sgd_grid(), *data, out=out, progress=False, **kwargs
                    )
                seconds.append(time.perf_counter() - t0)
        return {
            "best_score": float(res.best_score),
            "best_params": c.jsonable(res.best_params),
            "cold_s": seconds[0],
            "warm_s": seconds[1],
            "cluster_s": started.get("cluster_s", float("nan")),
            "backend": res.meta["execution"]["backend"],
        }

    c.run_approach(approach, search, imports)


# --------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------


def progress(res: dict) -> str:
    return (
        f"process {res['outer_s']:.2f} s, search cold {res['cold_s']:.2f} s, "
        f"warm {res['warm_s']:.2f} s (backend {res['backend']})"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="rounds per approach (median reported)")
    p.add_argument("--quick", action="store_true", help="tiny data, 1 round: a smoke run")
    p.add_argument("--approach", help=argparse.SUPPRESS)  # child mode
    args = p.parse_args(argv)

    if args.approach:
        child(args.approach, args.quick)
        return 0

    rounds = 1 if args.quick else args.rounds
    n_train, n_val = sk.sizes(args.quick)
    print("Dask overhead benchmark" + (" (QUICK smoke run)" if args.quick else ""))
    c.print_machine(["scikit-learn", "joblib", "dask", "distributed", "numpy"])
    print(c.data_line(n_train, n_val))
    print(
        f"model   : SGDClassifier({', '.join(f'{k}={v!r}' for k, v in sk.SGD_PARAMS.items())}, "
        f"random_state=0)\ngrid    : alpha={sk.ALPHAS} x eta0={sk.ETA0S} = "
        f"{len(sk.ALPHAS) * len(sk.ETA0S)} configs\n"
    )
    child_args = ["--quick"] if args.quick else []
    runs = c.run_rounds(__file__, APPROACHES, child_args, rounds, progress)

    head = (
        f"{'approach':<46} {'process s':>9} {'cluster s':>9} {'cold s':>7} {'warm s':>7} "
        f"{'best acc':>9} {'busy':>5}"
    )
    print(f"\nmedians over {rounds} round(s); process = whole child process; cluster = start")
    print("of the LocalCluster (not in the searches); cold / warm = first / second search in")
    print("the child; busy = cores used by other processes just before each child\n")
    print(head)
    print("-" * len(head))
    for run in runs.values():
        if not run.ok:
            print(f"{run.label:<46} {f'{run.status}: {run.error}'.splitlines()[0]}")
            continue
        m = {k: run.median(k) for k in ("outer_s", "cluster_s", "cold_s", "warm_s", "busy")}
        print(
            f"{run.label:<46} {c.fmt(m['outer_s']):>9} {c.fmt(m['cluster_s']):>9} "
            f"{c.fmt(m['cold_s']):>7} {c.fmt(m['warm_s']):>7} "
            f"{c.fmt(run.median('best_score'), 4):>9} {c.fmt(m['busy']):>5}"
        )
    print()
    local, dask = runs["local"], runs["dask"]
    if local.ok and dask.ok:
        for key, what in (("warm_s", "warm search"), ("cold_s", "cold search")):
            ratio = dask.median(key) / local.median(key)
            print(f"overhead ratio dask / local, {what:<12}: {ratio:.2f}x")
        ratio = dask.median("outer_s") / local.median("outer_s")
        print(f"overhead ratio dask / local, process     : {ratio:.2f}x")
        same = set(dask.values("best_score")) == set(local.values("best_score"))
        print(f"best accuracies: {'IDENTICAL' if same else 'DIFFER (should be identical)'}")
    for run in runs.values():
        if not run.ok:
            print(f"\n{run.name}: {run.status}: {run.error}")
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
