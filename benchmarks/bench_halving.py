"""Benchmark (issue 12): successive halving of a sampled MLP space, fused and three other ways.

    python benchmarks/bench_halving.py                   # 1 round (~15 min on 2 cores)
    python benchmarks/bench_halving.py --quick           # smoke run: 27 points, up to 9 epochs
    python benchmarks/bench_halving.py --approaches halving,optuna --rounds 3

243 configurations (lr ~ loguniform(1e-3, 0.5) x width {32..512} x momentum {0, 0.9}, depth 1,
``sample_space(seed=0, method="sobol")``), drawn by the parent and handed with the data
(``load_mnist``'s embedded 4,000 / 1,000 subset) to every child; plain SGD, batch 64, up to 27
epochs, from ``MLPClassifier(seed=0)``'s weights and batch order in all four: (a) ``fit_grid``
fused, all to the end; (b) the same with ``Halving(3, 1)``; (c) Optuna's
``SuccessiveHalvingPruner(1, 3)`` over a plain PyTorch loop, the points enqueued; (d)
``HalvingRandomSearchCV`` over skorch, each rung retrained from scratch (RESULTS.md section 6).
Targets (search time): (b) >= 6x faster than (a) within 0.5 points of its best accuracy, >= 4x
faster than (c) and (d) at an equal or better one. Bounds: each approach's matmul FLOPs
(``_roofline``) at the best fp32 GEMM rate measured before and after the approaches.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import _common as c
import numpy as np
from _common import BATCH_SIZE, N_IN, N_OUT
from _roofline import lower_bound, measure_gemm, step_flops, val_flops

SEED, FACTOR, MIN_RESOURCE = 0, 3, 1
LR_RANGE = (1e-3, 0.5)
WIDTHS = [32, 64, 128, 256, 512]
MOMENTA = [0.0, 0.9]
SIZES = {False: (243, 27), True: (27, 9)}  # (points, epochs) by --quick
APPROACHES = {
    "full": "(a) fit_grid fused, every config to the end",
    "halving": "(b) fit_grid fused + Halving(3, from 1)",
    "optuna": "(c) Optuna SH pruner, plain PyTorch loop",
    "sklearn": "(d) HalvingRandomSearchCV + skorch, n_jobs=2",
}
# (b) against each: (search-time target of approach / halving, accuracy rule)
TARGETS = {"full": (6.0, "within 0.5 points"), "optuna": (4.0, ">="), "sklearn": (4.0, ">=")}
PACKAGES = ["torch", "scikit-learn", "optuna", "skorch", "numpy", "scipy"]


def schedule(n_points: int, epochs: int) -> list[tuple[int, int]]:
    """Synchronous halving's (models, epochs) per rung: [(243, 1), (81, 3), (27, 9), (9, 27)]."""
    rungs = [MIN_RESOURCE * FACTOR**i for i in range(int(math.log(epochs, FACTOR) + 1e-9) + 1)]
    return [(math.ceil(n_points / FACTOR**i), r) for i, r in enumerate(rungs)]


def model_epochs(sched: list[tuple[int, int]], resume: bool) -> int:
    """Model-epochs of synchronous halving: survivors go on (resume) or restart from scratch."""
    return sum(n * (r - (sched[i - 1][1] if resume and i else 0)) for i, (n, r) in enumerate(sched))


def make_setup(n_points: int):
    """(X_train, y_train, X_val, y_val), the configurations and a description of the data."""
    from scipy.stats import loguniform

    if str(c.REPO_ROOT) not in sys.path:  # the parent (children get it on PYTHONPATH)
        sys.path.insert(0, str(c.REPO_ROOT))
    import parsearch

    # load_mnist gives the embedded subset with no $PARSEARCH_MNIST and an empty cache folder
    saved = os.environ.pop("PARSEARCH_MNIST", None)
    try:
        with tempfile.TemporaryDirectory() as empty, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            d = parsearch.load_mnist(cache_dir=empty)
    finally:
        if saved is not None:
            os.environ["PARSEARCH_MNIST"] = saved
    if d.is_full:
        raise RuntimeError(f"expected the embedded subset, load_mnist gave {d.source}")
    what = (
        f"{d.source} via parsearch.load_mnist: {len(d.y_train):,} train / {len(d.y_val):,} "
        "validation (stratified, random_state 0); (x - train mean) / train std, float32"
    )
    space = {"lr": loguniform(*LR_RANGE), "width": WIDTHS, "momentum": MOMENTA}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy: Sobol balance wants a power of 2
        grids = parsearch.sample_space(space, n_points, seed=SEED, method="sobol")
    configs = [
        {"lr": float(g["lr"][0]), "width": int(g["width"][0]), "momentum": float(g["momentum"][0])}
        for g in grids
    ]
    data = tuple(np.ascontiguousarray(a) for a in (d.X_train, d.y_train, d.X_val, d.y_val))
    return data, configs, what


def read_setup(folder: str | None, n_points: int):
    """The parent's data and configurations (``--setup``), or, without one, its own."""
    if folder is None:
        return make_setup(n_points)[:2]
    with np.load(Path(folder) / "data.npz") as z:
        data = tuple(z[f"arr_{i}"] for i in range(4))
    return data, json.loads((Path(folder) / "configs.json").read_text())


def summary(score, params: dict, stopped: list[tuple[int, int]], **more) -> dict:
    """A child's result from its best and each model's (width, epochs trained)."""
    epochs = Counter(e for _, e in stopped)
    return {
        "best_score": float(score),
        "best_params": c.jsonable(params),
        "model_epochs": sum(e for _, e in stopped),
        "width_epochs": sum(w * e for w, e in stopped),
        "profile": {str(k): v for k, v in sorted(epochs.items())},  # epochs: models stopped
        "n_models": len(stopped),
        **more,
    }


def fused_child(epochs: int, data, configs, halving: bool):
    def imports():
        import torch

        import parsearch

        extra = {"halving": parsearch.Halving(FACTOR, MIN_RESOURCE)} if halving else {}
        model = parsearch.MLPClassifier(
            depth=1, epochs=epochs, batch_size=BATCH_SIZE, seed=SEED, device="cpu"
        )
        return torch, parsearch.fit_grid, model, extra

    def search(mods):
        torch, fit_grid, model, extra = mods
        grids = [{k: [v] for k, v in cfg.items()} for cfg in configs]
        res = fit_grid(model, grids, *data, metric="accuracy", progress=False, plot=False, **extra)
        return {**summarise_table(res, halving, epochs), "threads": torch.get_num_threads()}

    return imports, search


def summarise_table(res, halving: bool, max_epochs: int) -> dict:
    """Model-epochs, statuses and the best "ok" row of a fit_grid result."""
    table = res.table
    rows = table.to_dict("records")
    epochs = []
    for r in rows:
        trained = r.get("epochs_trained") if halving else None
        if trained is not None and trained == trained:  # not NaN
            epochs.append(int(trained))
        else:  # a diverged model counts up to the epoch at whose end it was found diverged
            scores = r.get("epoch_scores")
            scores = list(scores) if isinstance(scores, (list, tuple, np.ndarray)) else []
            nan_at = [i for i, s in enumerate(scores) if not (s == s)]
            epochs.append(nan_at[0] + 1 if nan_at else (len(scores) or max_epochs))
    ok = [r for r in rows if r["status"] == "ok" and r["score"] == r["score"]]
    best = max(ok, key=lambda r: r["score"]) if ok else {"score": float("nan")}
    return summary(
        best["score"],
        {k: best[k] for k in ("lr", "width", "momentum") if k in best},
        [(int(r["width"]), n) for r, n in zip(rows, epochs)],
        result_best_params=c.jsonable(dict(res.best_params)),  # fit_grid's own
        statuses=dict(Counter(str(s) for s in table["status"])),
        fused_groups=res.meta.get("execution", {}).get("fused_groups"),
    )


def optuna_child(epochs: int, data, configs):
    def imports():
        import optuna
        import torch

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        warnings.filterwarnings("ignore", module="optuna")
        return optuna, torch

    def search(mods):
        optuna, torch = mods
        nn, F = torch.nn, torch.nn.functional
        X, y, Xv, yv = (torch.from_numpy(a) for a in data)
        n = X.shape[0]
        rng = np.random.default_rng(SEED)  # MLPClassifier's batch order: one per epoch
        orders = [torch.from_numpy(rng.permutation(n)) for _ in range(epochs)]
        stopped = []  # (width, epochs) of each trial

        def objective(trial):
            lr = trial.suggest_float("lr", *LR_RANGE, log=True)
            width = trial.suggest_categorical("width", WIDTHS)
            momentum = trial.suggest_categorical("momentum", MOMENTA)
            model = nn.Sequential(nn.Linear(N_IN, width), nn.ReLU(), nn.Linear(width, N_OUT))
            c.mlp_init(torch, [model[0], model[2]], width)
            opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
            acc = float("nan")
            for epoch in range(1, epochs + 1):
                Xe, ye = X[orders[epoch - 1]], y[orders[epoch - 1]]
                loss_sum = torch.zeros(())
                for i in range(0, n, BATCH_SIZE):
                    loss = F.cross_entropy(model(Xe[i : i + BATCH_SIZE]), ye[i : i + BATCH_SIZE])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    loss_sum += loss.detach()
                with torch.no_grad():
                    logits = model(Xv)
                    finite = torch.isfinite(loss_sum) & torch.isfinite(logits).all()
                    correct = (logits.argmax(dim=1) == yv).sum()
                ok, acc = bool(finite), correct.item() / len(yv)  # the one sync per epoch
                trial.set_user_attr("epochs", epoch)
                if not ok:  # diverged: stop here, as the fused trainer freezes such a model
                    stopped.append((width, epoch))
                    trial.set_user_attr("diverged", True)
                    return float("nan")  # Optuna marks the trial FAIL
                trial.report(acc, epoch)
                if epoch < epochs and trial.should_prune():
                    stopped.append((width, epoch))
                    raise optuna.TrialPruned()
            stopped.append((width, epochs))
            return acc

        study = optuna.create_study(
            direction="maximize",
            sampler=optuna.samplers.RandomSampler(seed=SEED),  # never draws: all enqueued
            pruner=optuna.pruners.SuccessiveHalvingPruner(
                min_resource=MIN_RESOURCE, reduction_factor=FACTOR
            ),
        )
        for cfg in configs:
            study.enqueue_trial(cfg)
        study.optimize(objective, n_trials=len(configs))
        complete = [t for t in study.trials if t.state.name == "COMPLETE"]
        best = max(complete, key=lambda t: t.value) if complete else None
        return summary(
            best.value if best else float("nan"),
            best.params if best else {},
            stopped,
            statuses=dict(Counter(t.state.name for t in study.trials)),
            diverged=sum(1 for t in study.trials if t.user_attrs.get("diverged")),
            threads=torch.get_num_threads(),
        )

    return imports, search


def sklearn_child(epochs: int, data, configs):
    def imports():
        import torch
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV, PredefinedSplit
        from skorch import NeuralNetClassifier
        from skorch.callbacks import Callback

        return torch, NeuralNetClassifier, Callback, HalvingRandomSearchCV, PredefinedSplit

    def search(mods):
        torch, NeuralNetClassifier, Callback, HalvingRandomSearchCV, PredefinedSplit = mods

        net = c.skorch_net(
            torch, NeuralNetClassifier, Callback, 1,
            init=lambda lins, w: c.mlp_init(torch, lins, w), seed=None,
            optimizer__momentum=0.0,
            iterator_train__sampler=c.epoch_orders(torch, len(data[1])),
        )  # fmt: skip
        names = {"lr": "lr", "width": "module__width", "momentum": "optimizer__momentum"}
        candidates = [{names[k]: [v] for k, v in cfg.items()} for cfg in configs]
        X, y, cv = c.predefined_split(data, PredefinedSplit)
        hs = HalvingRandomSearchCV(
            net,
            candidates,  # lists only: sampled without replacement, so exactly these points
            n_candidates=len(candidates),
            factor=FACTOR,
            resource="max_epochs",
            min_resources=MIN_RESOURCE,
            max_resources=epochs,
            cv=cv,
            scoring="accuracy",
            refit=False,
            n_jobs=2,
            random_state=SEED,
            error_score="raise",
        )
        hs.fit(X, y)
        res = hs.cv_results_
        iters, n_res = np.asarray(res["iter"]), np.asarray(res["n_resources"])
        scores = np.asarray(res["mean_test_score"], dtype=float)
        last = np.flatnonzero(iters == iters.max())
        params = res["params"][int(last[np.nanargmax(scores[last])])]
        stopped_at = {}  # candidate -> (width, most resources it was trained with)
        for prm, r in zip(res["params"], n_res):
            key = tuple(sorted((k, v) for k, v in prm.items() if k != "max_epochs"))
            stopped_at[key] = (prm["module__width"], max(stopped_at.get(key, (0, 0))[1], int(r)))
        return summary(
            np.nanmax(scores[last]),
            {k: params[names[k]] for k in names},
            list(stopped_at.values()),
            model_epochs=int(n_res.sum()),  # each rung retrained from scratch
            width_epochs=int(sum(p["module__width"] * r for p, r in zip(res["params"], n_res))),
            iterations=[
                [int((iters == i).sum()), int(n_res[iters == i][0])] for i in np.unique(iters)
            ],
            threads=1,
        )

    return imports, search


CHILDREN = {
    "full": lambda e, d, cf: fused_child(e, d, cf, halving=False),
    "halving": lambda e, d, cf: fused_child(e, d, cf, halving=True),
    "optuna": optuna_child,
    "sklearn": sklearn_child,
}


def fmt_params(params: dict) -> str:
    return (
        ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())
        or "-"
    )


def print_header(n_points: int, epochs: int, quick: bool, configs, what: str) -> None:
    c.header("Successive halving benchmark (issue 12)", PACKAGES, quick)
    print(f"data    : {what}")
    print(
        f"space   : lr ~ loguniform{LR_RANGE} x width {WIDTHS} x momentum {MOMENTA}: "
        f"{len(configs)} configs from parsearch.sample_space(seed={SEED}, method='sobol')"
    )
    counts = {k: Counter(cfg[k] for cfg in configs) for k in ("width", "momentum")}
    widths, moms = (", ".join(f"{v:g}: {n[v]}" for v in sorted(n)) for n in counts.values())
    lrs = [cfg["lr"] for cfg in configs]
    print(f"          widths {{{widths}}}; momentum {{{moms}}}; lr {min(lrs):.4g}..{max(lrs):.4g}")
    print(
        f"model   : depth 1, SGD (torch's momentum rule), batch {BATCH_SIZE}, up to {epochs} "
        f"epochs, MLPClassifier's seed-{SEED} initial weights and batch order in all four"
    )
    sched = schedule(n_points, epochs)
    print(
        f"halving : factor {FACTOR} from {MIN_RESOURCE} epoch, rungs {[r for _, r in sched]}: "
        f"synchronous {' -> '.join(f'{n}@{r}' for n, r in sched)} (models@epochs) = "
        f"{model_epochs(sched, True)} model-epochs when the survivors go on, "
        f"{model_epochs(sched, False)} when each rung retrains from scratch; all to the end: "
        f"{len(configs) * epochs}\n"
    )


def print_results(runs: dict[str, c.Runs], rounds: int) -> None:
    """The table, then each approach's models: where they stopped, their statuses."""
    columns = [
        ("process s", 9, lambda r: c.fmt(r.median("outer_s"))),
        ("search s", 9, lambda r: c.fmt(r.median("inner_s"))),
        ("model-ep", 8, lambda r: r.last["model_epochs"]),
        ("best val acc", 12, lambda r: c.fmt(r.median("best_score"), 4)),
        ("busy", 5, lambda r: c.fmt(r.median("busy"))),
        ("best params", 0, lambda r: fmt_params(r.last.get("best_params", {}))),
    ]
    legend = c.LEGEND.replace("busy", "model-ep = model-epochs trained, busy", 1)
    c.print_table(runs, rounds, columns, legend, width=46)
    print()
    for run in (r for r in runs.values() if r.ok):
        last = run.last
        bits = [f"{last['n_models']} models", "stopped after epochs: "
                + ", ".join(f"{v} x {k}" for k, v in last["profile"].items())]  # fmt: skip
        if "statuses" in last:
            bits.append("statuses " + ", ".join(f"{k} {v}" for k, v in last["statuses"].items()))
        if "iterations" in last:
            bits.append(
                "iterations " + ", ".join(f"{n}@{r}" for n, r in last["iterations"])
                + " (candidates@max_epochs, each retrained from scratch)"
            )  # fmt: skip
        bits += [f"diverged {last['diverged']}"] if last.get("diverged") else []
        if last.get("fused_groups") is not None:
            bits.append(f"fused groups {last['fused_groups']}")
        print(f"{run.name:<8} " + "; ".join([*bits, f"torch threads {last.get('threads')}"]))
        if last.get("result_best_params", last["best_params"]) != last["best_params"]:
            print(
                f"         NOTE: fit_grid's own best is {fmt_params(last['result_best_params'])}; "
                "the table's best 'ok' row, shown above, is what this benchmark compares"
            )


def print_targets(runs: dict[str, c.Runs], quick: bool) -> None:
    """(a)/(b), (c)/(b), (d)/(b): time ratios and the accuracy conditions, PASS / FAIL."""
    halving = runs.get("halving")
    print()
    for name, (target, rule) in TARGETS.items():
        run = runs.get(name)
        if run is None:
            continue
        label = f"{run.label[:3]}/(b) {name}/halving"
        if not (run.ok and halving is not None and halving.ok):
            missing = ", ".join(r.name for r in (run, halving) if r is not None and not r.ok)
            print(f"{label:<28} n/a ({missing or 'halving'} not measured)   target >= {target:g}")
            continue
        inner = run.median("inner_s") / halving.median("inner_s")
        outer = run.median("outer_s") / halving.median("outer_s")
        ep = run.last["model_epochs"] / max(halving.last["model_epochs"], 1)
        acc_b, acc_x = halving.median("best_score"), run.median("best_score")
        diff = 100 * (acc_b - acc_x)
        acc_ok = (abs(diff) <= 0.5 + 1e-9) if rule == "within 0.5 points" else (diff >= -1e-9)
        time_ok = inner >= target
        print(
            f"{label:<28} search {inner:6.2f}x  process {outer:6.2f}x  model-epochs {ep:5.2f}x   "
            f"target search >= {target:g}: {'PASS' if time_ok else 'FAIL'}"
        )
        rule_text = "(b) within 0.5 points of it" if rule != ">=" else "(b) equal or better"
        print(
            f"{'':<28} best acc (b) {acc_b:.4f} vs {acc_x:.4f}: {diff:+.2f} points, "
            f"{rule_text}: {'PASS' if acc_ok else 'FAIL'}"
            f"   -> {'PASS' if time_ok and acc_ok else 'FAIL'}"
        )
    if quick:
        print("(a --quick run: the targets are for the full preset)")


def print_bounds(runs: dict[str, c.Runs], gemms: list[dict], n_train: int, n_val: int) -> None:
    """Each approach's matmul FLOPs at the best fp32 rate measured (before or after the
    approaches): no exact float32 training of those models can search faster here. For each
    4x target, how close to its bound (b) must come: below 1, no trainer can meet it here."""
    print()
    measured = [g for g in gemms if g.get("status") == c.OK]
    if not measured:
        why = "; ".join(f"{g.get('status')}: {g.get('error')}" for g in gemms)
        print(f"FLOP bounds: not measured (GEMM rates: {why})")
        return
    rates = [lower_bound(1.0, g)[0] for g in measured]  # GFLOP/s
    rate, gemm = max(zip(rates, measured), key=lambda rg: rg[0])
    libs = "torch.mm" + (" and oneDNN" if "onednn" in gemm else "")
    print(
        f"FLOP bounds: the best fp32 GEMM rate measured here ({libs}, {gemm.get('threads')} "
        f"threads, large squares and the thin {gemm.get('thin_shape')}): {rate:,.1f} GFLOP/s "
        f"(best of the runs before and after the approaches: "
        f"{', '.join(f'{r:,.1f}' for r in rates)})"
    )
    per_width_epoch = step_flops([1], n_train) + val_flops([1], n_val)  # linear in the width
    bounds = {}
    for name, run in runs.items():
        if not run.ok:
            continue
        flops = run.last["width_epochs"] * per_width_epoch
        bounds[name] = flops / (rate * 1e9)
        print(
            f"  {run.label:<46} {flops / 1e12:6.3f} TFLOP (width x epochs "
            f"{run.last['width_epochs']:>9,}) -> bound {bounds[name]:6.2f} s; "
            f"search {run.median('inner_s') / bounds[name]:5.2f}x the bound"
        )
    if "halving" not in bounds:
        return
    for name, (target, _) in TARGETS.items():
        run = runs.get(name)
        if run is None or not run.ok or name == "full":
            continue
        allowed = run.median("inner_s") / target
        print(
            f"  (b) at {target:g}x faster than {run.label[:3]} needs a search of {allowed:.2f} s "
            f"at most: {allowed / bounds['halving']:.2f}x (b)'s bound"
            + ("  (below 1: not reachable on this machine)" if allowed < bounds["halving"] else "")
        )


def main(argv: list[str] | None = None) -> int:
    ap = c.parser(__doc__, rounds=1, quick_help="27 points, up to 9 epochs")
    ap.add_argument("--setup", help=argparse.SUPPRESS)  # the parent's data and configs
    args = ap.parse_args(argv)
    n_points, epochs = SIZES[args.quick]
    if args.approach == "gemm":
        c.emit(measure_gemm(None, args.quick))
    elif args.approach:  # a child; run by hand (no --setup), it makes its own set-up
        data, configs = read_setup(args.setup, n_points)
        imports, search = CHILDREN[args.approach](epochs, data, configs)
        c.run_approach(args.approach, search, imports)
    if args.approach:
        return 0

    wanted = c.chosen_approaches(ap, args.approaches, APPROACHES)
    rounds = 1 if args.quick else args.rounds
    child_args = ["--quick"] if args.quick else []
    data, configs, what = make_setup(n_points)
    with tempfile.TemporaryDirectory(prefix="bench_halving_") as folder:
        np.savez(Path(folder) / "data.npz", *data)
        (Path(folder) / "configs.json").write_text(json.dumps(configs))
        print_header(n_points, epochs, args.quick, configs, what)
        gemms = [c.run_child(__file__, "gemm", child_args, timeout=600)]  # before and after
        runs = c.run_rounds(
            __file__,
            {name: APPROACHES[name] for name in wanted},
            [*child_args, "--setup", folder],
            rounds,
            progress=lambda res: (
                f"{res['outer_s']:.1f} s (search {res['inner_s']:.1f} s), "
                f"{res.get('model_epochs')} model-epochs, best {c.fmt(res.get('best_score'), 4)}"
            ),
        )
        gemms.append(c.run_child(__file__, "gemm", child_args, timeout=600))
    print_results(runs, rounds)
    print_targets(runs, args.quick)
    print_bounds(runs, gemms, len(data[1]), len(data[3]))
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
