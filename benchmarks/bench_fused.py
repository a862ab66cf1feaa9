"""Benchmark: a grid of depth-1 MLPs on MNIST, trained several ways, against a GEMM lower bound.

    python benchmarks/bench_fused.py              # CPU preset: 3 rounds, medians
    python benchmarks/bench_fused.py --quick      # seconds-long smoke run (tiny data and grid)
    python benchmarks/bench_fused.py --rounds 5 --approaches plain,joblib,skorch
    python benchmarks/bench_fused.py --gpu                        # GPU preset, on a CUDA machine
    python benchmarks/bench_fused.py --gpu --device cpu --quick   # smoke run of the GPU preset

Every model is Linear(784, w), ReLU, Linear(w, 10), log-softmax, NLL, SGD momentum 0.9,
batch 64, from torch.manual_seed(0), on the same arrays (``_common.load_data``).

cpu (default): lr {0.001, 0.003, 0.01, 0.03, 0.1} x width {32, 64, 128, 256}, 3 epochs,
    4,000 / 1,000 images. plain: one configuration after another (``_common.train_one``),
    2 torch threads; joblib: loky n_jobs=2, one configuration a task, 1 thread a worker;
    skorch: NeuralNetClassifier in GridSearchCV(PredefinedSplit, n_jobs=2, refit=False), the
    same batches, 1 thread a worker; fused: ``fit_grid(MLPClassifier(depth=1, ...))``.
    Targets: plain/fused >= 3, joblib/fused >= 3, skorch/fused >= 4, fused/lower bound <= 1.3.
gpu (``--gpu``): 8 learning rates log-spaced 0.001..0.3 x 8 widths 16..2048, 5 epochs, full
    MNIST, plain and fused on ``--device`` (default cuda). The plain loop trains
    ``--plain-subset`` K configurations (default 8, one per width and learning rate), warmed
    up first, and its time is extrapolated linearly to the 64 (it says so). Target
    plain/fused >= 30.

The lower bound is the grid's matmul FLOPs at the best fp32 GEMM rate measured; the
roofline adds the bytes at the copy bandwidth (``_roofline``); target fused / roofline
<= 1.5 (cpu).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace

import _common as c
import numpy as np
from _common import BATCH_SIZE, MOMENTUM, Grid
from _roofline import (
    cache_note,
    device_info,
    grid_flops,
    grid_roofline,
    lower_bound,
    measure_gemm,
    measured,
    print_rates,
)

ROOFLINE_TARGET = 1.5  # fused search time / roofline (<=), the cpu preset


@dataclass(frozen=True)
class Preset:
    """What is trained, which ways, against which targets (``--gpu``: on ``--device``)."""

    title: str
    grid: Grid
    approaches: dict[str, str]  # name -> row label
    targets: dict[str, float]  # approach -> target of its time / fused time (>=)
    threads: dict[str, int]  # torch threads an approach's child pins on the CPU
    gpu: bool = False
    quick: bool = False


CPU = Preset(
    "Fused MLP grid benchmark",
    c.CPU_GRID,
    {
        "plain": "(a) plain PyTorch loop, 2 threads",
        "joblib": "(b) joblib loky n_jobs=2, 1 thread/worker",
        "skorch": "(c) skorch + GridSearchCV, n_jobs=2, 1 thread/wkr",
        "fused": "(d) parsearch.fit_grid fused MLPClassifier",
    },
    {"plain": 3.0, "joblib": 3.0, "skorch": 4.0},
    {"plain": 2},  # fused keeps torch's default; joblib, skorch: 1 per worker
)
GPU = Preset(
    "Fused MLP grid benchmark, GPU preset",
    Grid(
        50_000,
        10_000,
        [0.001, 0.00226, 0.0051, 0.0115, 0.026, 0.0588, 0.133, 0.3],  # geomspace(1e-3, 0.3, 8)
        [16, 32, 64, 128, 256, 512, 1024, 2048],
        5,
    ),
    {"plain": "(a) plain PyTorch loop", "fused": "(d) parsearch.fit_grid fused"},
    {"plain": 30.0},
    {"plain": 2, "fused": 2},  # where --device is the CPU, as in the CPU preset
    gpu=True,
)
BOUND_TARGET = 1.3  # fused search time / lower bound (<=), the cpu preset
# --quick: tiny data, grid and epochs, one round (the GEMM's thin shape stays the full grid's)
QUICK_GRID = {False: Grid(1_000, 500, [0.01, 0.1], [32, 64], 1),
              True: Grid(1_000, 500, [0.01, 0.1], [16, 64, 256, 1024], 1)}  # fmt: skip


def plain_subset(g: Grid, k: int | None) -> list[tuple[float, int]]:
    """``k`` configurations spread over the grid for the plain loop: configuration j takes
    width ``j % n_widths`` and learning rate ``j * n_lrs // k`` (k = 8 on the 8 x 8 grid: the
    diagonal). ``k`` None, <= 0 or at least the grid's size: the whole grid."""
    if k is None or k <= 0 or k >= len(g.configs):
        return g.configs
    return [(g.lrs[j * len(g.lrs) // k], g.widths[j % len(g.widths)]) for j in range(k)]


# Children: one approach each, in a fresh process; imports untimed, search() timed


def plain_child(p: Preset, data, device, k):
    g = p.grid

    def imports():
        import torch

        dev = c.start(torch, device, p.threads.get("plain"))
        if p.gpu:  # untimed warm-up: one-time costs not extrapolated
            small = [torch.from_numpy(a[: 4 * BATCH_SIZE]).to(dev) for a in data[:2]]
            c.train_one(0.01, g.widths[0], *small, *small, 1)
            c.sync(torch, dev)
        return torch, dev

    def search(mods):
        torch, dev = mods
        t = [torch.from_numpy(a).to(dev) for a in data]
        rows, seconds = [], []
        for lr, w in plain_subset(g, k):
            t0 = time.perf_counter()
            rows.append(c.train_one(lr, w, *t, g.epochs))
            c.sync(torch, dev)
            seconds.append(time.perf_counter() - t0)
        return {**c.best_of(rows), "threads": torch.get_num_threads(), "config_s": seconds,
                "rows": [{"lr": r["lr"], "width": r["width"]} for r in rows]}  # fmt: skip

    return imports, search


def joblib_child(p: Preset, data, device, k):
    def imports():
        from joblib import Parallel, delayed  # torch: imported by the workers, their cost

        return Parallel, delayed

    def search(mods):
        Parallel, delayed = mods
        rows = Parallel(n_jobs=2, backend="loky")(
            delayed(c.joblib_task)(lr, w, *data, p.grid.epochs) for lr, w in p.grid.configs
        )
        return {**c.best_of(rows), "threads": sorted({r["threads"] for r in rows})}

    return imports, search


def skorch_child(p: Preset, data, device, k):
    def imports():
        import torch
        from sklearn.model_selection import GridSearchCV, PredefinedSplit
        from skorch import NeuralNetClassifier
        from skorch.callbacks import Callback

        return torch, NeuralNetClassifier, Callback, GridSearchCV, PredefinedSplit

    def search(mods):
        torch, NeuralNetClassifier, Callback, GridSearchCV, PredefinedSplit = mods
        net = c.skorch_net(torch, NeuralNetClassifier, Callback, p.grid.epochs,
                           optimizer__momentum=MOMENTUM)  # fmt: skip
        X, y, cv = c.predefined_split(data, PredefinedSplit)
        grid = {"lr": p.grid.lrs, "module__width": p.grid.widths}
        gs = GridSearchCV(net, grid, scoring="accuracy", cv=cv, n_jobs=2, refit=False,
                          error_score="raise")  # fmt: skip
        gs.fit(X, y)
        scores = gs.cv_results_["mean_test_score"]
        params = gs.cv_results_["params"][int(np.argmax(scores))]
        return {"best_score": float(scores.max()),
                "best_params": {"lr": params["lr"], "width": params["module__width"]}}  # fmt: skip

    return imports, search


def fused_child(p: Preset, data, device, k):
    return c.fused_child(p.grid, data, device, p.threads.get("fused"))


CHILDREN = {"plain": plain_child, "joblib": joblib_child, "skorch": skorch_child,
            "fused": fused_child}  # fmt: skip


def child(approach: str, p: Preset, device: str | None, k: int | None) -> None:
    if approach == "info":
        return c.emit(device_info(device or "cpu"))
    if approach == "gemm":
        return c.emit(measure_gemm(device, p.quick, (GPU if p.gpu else CPU).grid.total_width))
    if approach not in p.approaches:
        raise SystemExit(f"unknown approach {approach!r} for this preset")
    imports, search = CHILDREN[approach](p, c.load_data(p.grid), device, k)
    c.run_approach(approach, search, imports)


# Parent


def print_header(p: Preset, child_args: list[str], device: str | None, k: int | None) -> bool:
    """The setting: machine, device, data, grid. False if the data or the device is missing."""
    g = p.grid
    c.header(p.title, ["torch", "scikit-learn", "joblib", "skorch", "numpy"], p.quick)
    if c.mnist_missing():
        return False
    if p.gpu:
        info = c.run_child(__file__, "info", child_args, timeout=600)
        if info.get("status") != c.OK:
            print(f"\nERROR: device {device!r} not usable: {info.get('error')}")
            return False
        print(f"device  : {info['name']}; torch {info['torch']}, CUDA {info['cuda']}")
    print(c.data_line(g.n_train, g.n_val, permuted=True))
    print(
        f"grid    : lr {g.lrs} x width {g.widths} = {len(g.configs)} configs; "
        f"depth 1, SGD momentum {MOMENTUM}, batch {BATCH_SIZE}, {g.epochs} epoch(s)"
    )
    if p.gpu:
        subset = plain_subset(g, k)
        print(
            f"plain   : trains {len(subset)} of the {len(g.configs)} configs (lr, width): {subset}"
        )
    print()
    return True


def extrapolate_plain(p: Preset, plain: c.Runs) -> c.Runs:
    """The plain loop, measured on its subset, scaled linearly to the whole grid: its
    configurations' own times (last round) scaled up, the data transfer counted once."""
    n_configs, k_run = len(p.grid.configs), len(plain.last["rows"])
    factor = n_configs / k_run
    extra = sum(plain.last["config_s"]) * (factor - 1)
    times = {"inner_s": plain.median("inner_s") + extra, "outer_s": plain.median("outer_s") + extra}
    by_width: dict[int, list[float]] = {}
    for row, sec in zip(plain.last["rows"], plain.last["config_s"]):
        by_width.setdefault(row["width"], []).append(sec)
    per = ", ".join(f"w{w} {sum(v) / len(v):.2f}" for w, v in sorted(by_width.items()))
    print(f"\nplain loop, seconds per configuration by width (last round): {per}")
    print(
        f"plain loop MEASURED on {k_run} of {n_configs} configs: search "
        f"{plain.median('inner_s'):.2f} s; EXTRAPOLATED linearly x{factor:g} to all "
        f"{n_configs}: search {times['inner_s']:.1f} s, process {times['outer_s']:.1f} s"
    )
    return c.Runs("plain (extrapolated)", plain.label, [times])


def print_gemm(g: Grid, gemm: dict | None) -> float | None:
    """The GEMM rates and the grid's lower bound in seconds (None: not measured)."""
    flops = grid_flops(g)
    print()
    if not measured(gemm):
        print(f"grid FLOPs (matmuls) {flops / 1e9:,.1f} GFLOP; GEMM rate not measured")
        return None
    print_rates(gemm)
    rate, bound, thin_bound = lower_bound(flops, gemm)
    print(
        f"grid FLOPs (matmuls, see grid_flops) {flops / 1e9:,.1f} GFLOP -> lower bound "
        f"{bound:.3f} s at the best rate ({rate:,.1f} GFLOP/s); "
        f"{thin_bound:.3f} s at the thin-shape rate"
    )
    return bound


def print_bounds(p: Preset, fused: c.Runs, bound: float | None, gemm: dict | None) -> None:
    """The fused search against the lower bound and the roofline."""
    roof = grid_roofline(p.grid, gemm)
    if roof is None:
        return
    parts = (
        f"roofline {roof.roofline_s:.3f} s (FLOPs {roof.flop_s:.3f} s, bytes "
        f"{roof.bytes_s:.3f} s, see roofline)"
    )
    if not fused.ok:
        print(f"{'fused / roofline':<28} n/a (fused not measured); {parts}")
        return
    search = fused.median("inner_s")
    process = f"process {fused.median('outer_s') / bound:6.2f}x (imports included)"
    cpu = not p.gpu
    for what, seconds, target, more in (
        ("lower bound", bound, BOUND_TARGET if cpu else None, process),
        ("roofline", roof.roofline_s, ROOFLINE_TARGET if cpu else None, parts),
    ):
        goal = f"target search <= {target:g}" if target else "for information, no target"
        ok = c.verdict(search / seconds, "<=" if target else None, target)
        print(f"{'fused / ' + what:<28} search {search / seconds:6.2f}x{ok}   {more}   {goal}")
    note = cache_note(p.grid, gemm, search)
    if note:
        print(f"  ({note})")


def print_accuracies(p: Preset, runs: dict) -> None:
    """Best accuracies and parameters of the approaches that ran."""
    done = [r for r in runs.values() if r.ok]
    n_configs = len(p.grid.configs)
    whole = {}  # approaches that ran the whole grid
    text = []
    for r in done:
        k_run = len(r.last.get("rows", p.grid.configs))
        text.append(f"{r.name} {r.median('best_score'):.4f}")
        if k_run < n_configs:
            text[-1] += f" ({k_run} of {n_configs} configs)"
        else:
            whole[r.name] = r.median("best_score")
    line = ", ".join(text)
    if len(whole) >= 2:
        spread = max(whole.values()) - min(whole.values())
        line += f" -> spread {spread:.4f}, " + (
            "about equal" if spread <= 0.02 else "NOT about equal (spread > 0.02)"
        )
    if done:
        print(f"\nbest accuracies: {line}")
    for r in done:
        extra = [f"torch threads {r.last['threads']}"] if "threads" in r.last else []
        extra += [f"device {r.last['device']}"] if r.last.get("device") else []
        if r.last.get("fused_groups") is not None:
            extra.append(f"fused groups {r.last['fused_groups']}")
        print(
            f"  {r.name:<7} best params {r.last.get('best_params')}"
            + "".join(", " + e for e in extra)
        )


def main(argv: list[str] | None = None) -> int:
    ap = c.parser(
        __doc__, rounds=None, rounds_help="default 3; --gpu: 1", quick_help="tiny data and grid"
    )
    ap.add_argument("--gpu", action="store_true", help="the GPU preset: 64 configs, full MNIST")
    ap.add_argument("--device", help="--gpu only: torch device of both approaches (default cuda)")
    ap.add_argument(
        "--plain-subset",
        type=int,
        metavar="K",
        help="--gpu only: configurations the plain loop trains (default 8; --quick 4; 0: all)",
    )
    args = ap.parse_args(argv)
    if not args.gpu and (args.device is not None or args.plain_subset is not None):
        ap.error("--device and --plain-subset belong to the --gpu preset; add --gpu")
    p = GPU if args.gpu else CPU
    if args.quick:
        p = replace(p, quick=True, grid=QUICK_GRID[p.gpu])
    device = args.device or ("cuda" if p.gpu else None)
    k = args.plain_subset if args.plain_subset is not None else (4 if args.quick else 8)
    if args.approach:
        child(args.approach, p, device, k if p.gpu else None)
        return 0

    wanted = c.chosen_approaches(ap, args.approaches, p.approaches)
    rounds = 1 if args.quick else (args.rounds or (1 if p.gpu else 3))
    child_args = ["--gpu", "--device", device, "--plain-subset", str(k)] if args.gpu else []
    child_args += ["--quick"] if args.quick else []
    if not print_header(p, child_args, device, k):
        return 1
    labels = {name: p.approaches[name] + (f", {device}" if args.gpu else "") for name in wanted}
    if args.gpu and "plain" in labels:
        labels["plain"] += f", {len(plain_subset(p.grid, k))}/{len(p.grid.configs)} cfgs"
    runs = c.run_rounds(__file__, labels, child_args, rounds)
    gemm = c.run_measurement(__file__, "gemm", child_args, "GEMM rate and copy bandwidth")
    c.print_table(runs, rounds)
    scaled = dict(runs)
    plain = runs.get("plain")
    if plain and plain.ok and len(plain.last["rows"]) < len(p.grid.configs):
        scaled["plain"] = extrapolate_plain(p, plain)
    bound = print_gemm(p.grid, gemm)
    fused = runs.get("fused", c.Runs("fused", p.approaches["fused"], status="not run"))
    print()
    for name, target in p.targets.items():
        if name in runs:
            print(c.ratio_line(f"{scaled[name].name} / fused", scaled[name], fused, ">=", target))
    if device is not None and not device.startswith("cuda"):
        print(f"  (the targets are for a GPU; this ran on {device})")
    print_bounds(p, fused, bound, gemm)
    print_accuracies(p, runs)
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
