"""Benchmark: the overhead of running fit_grid on a Dask cluster over a local joblib run.

    python benchmarks/bench_dask.py              # 3 rounds, medians
    python benchmarks/bench_dask.py --quick      # seconds-long smoke run (1,000 images, 1 round)

The 12-configuration SGDClassifier grid of ``bench_sklearn.py`` (``_common.SGD_GRID``),
``fit_grid(..., n_jobs=2)`` (joblib loky) against ``fit_grid(..., client=client)`` on a
``LocalCluster(n_workers=2, threads_per_worker=1)`` started before the clock (its start time
printed apart). Each child searches twice: "cold" (the workers still start or import
scikit-learn), then "warm". Both give the same table: the best accuracies must be identical.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings

import _common as c

APPROACHES = {
    "local": "fit_grid, joblib loky n_jobs=2",
    "dask": "fit_grid, LocalCluster 2 workers x 1 thread",
}
N_JOBS = 2


def child(approach: str, quick: bool) -> None:
    data = c.mnist_split(*c.sgd_sizes(quick))
    started = {}

    def imports():
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
        return fit_grid, c.sgd(), kwargs

    def search(mods):
        fit_grid, estimator, kwargs = mods
        seconds = []
        for _ in range(2):  # cold, then warm
            with tempfile.TemporaryDirectory(prefix="bench_dask_") as out:
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # ConvergenceWarning, where raised here
                    res = fit_grid(estimator, c.SGD_GRID, *data, out=out, progress=False, **kwargs)
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


def main(argv: list[str] | None = None) -> int:
    ap = c.parser(__doc__, quick_help="tiny data")
    args = c.parse(ap, argv, lambda a: child(a.approach, a.quick))
    if args is None:
        return 0
    wanted = c.chosen_approaches(ap, args.approaches, APPROACHES)
    c.header("Dask overhead benchmark", ["scikit-learn", "joblib", "dask", "distributed", "numpy"],
             args.quick)  # fmt: skip
    print(c.data_line(*c.sgd_sizes(args.quick)))
    model, grid = c.sgd_text()
    print(f"model   : {model}\ngrid    : {grid}\n")
    rounds = 1 if args.quick else args.rounds
    runs = c.run_rounds(
        __file__,
        {name: APPROACHES[name] for name in wanted},
        ["--quick"] if args.quick else [],
        rounds,
        progress=lambda res: (
            f"process {res['outer_s']:.2f} s, search cold {res['cold_s']:.2f} s, "
            f"warm {res['warm_s']:.2f} s (backend {res['backend']})"
        ),
    )
    columns = [
        (head, width, lambda r, k=key, d=digits: c.fmt(r.median(k), d))
        for head, width, key, digits in [
            ("process s", 9, "outer_s", 2),
            ("cluster s", 9, "cluster_s", 2),
            ("cold s", 7, "cold_s", 2),
            ("warm s", 7, "warm_s", 2),
            ("best acc", 9, "best_score", 4),
            ("busy", 5, "busy", 2),
        ]
    ]
    legend = (
        "process = whole child process; cluster = start\nof the LocalCluster (not in the "
        "searches); cold / warm = first / second search in\nthe child; busy = cores used by "
        "other processes just before each child"
    )
    c.print_table(runs, rounds, columns, legend, width=46)
    print()
    local, dask = runs.get("local"), runs.get("dask")
    if local and dask and local.ok and dask.ok:
        for key, what in (
            ("warm_s", "warm search"),
            ("cold_s", "cold search"),
            ("outer_s", "process"),
        ):
            ratio = dask.median(key) / local.median(key)
            print(f"overhead ratio dask / local, {what:<12}: {ratio:.2f}x")
        same = set(dask.values("best_score")) == set(local.values("best_score"))
        print(f"best accuracies: {'IDENTICAL' if same else 'DIFFER (should be identical)'}")
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
