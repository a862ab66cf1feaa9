"""Benchmark: a grid of depth-1 MLPs on MNIST, trained several ways, against a GEMM lower bound.

    python benchmarks/bench_fused.py              # CPU preset: 3 rounds, medians
    python benchmarks/bench_fused.py --quick      # seconds-long smoke run (tiny data and grid)
    python benchmarks/bench_fused.py --rounds 5 --approaches plain,joblib,skorch
    python benchmarks/bench_fused.py --gpu                        # GPU preset, on a CUDA machine
    python benchmarks/bench_fused.py --gpu --device cpu --quick   # smoke run of the GPU preset
    python benchmarks/bench_fused.py --preset roofline            # 20, 100, 400 models vs roofline
    python benchmarks/bench_fused.py --preset roofline --sizes 20,100 --rounds 1
    python benchmarks/bench_fused.py --preset process             # whole processes, full MNIST
    python benchmarks/bench_fused.py --preset process --quick     # smoke run of it

Every model is Linear(784, w), ReLU, Linear(w, 10), log-softmax, NLL, trained with SGD momentum
0.9, batch 64, from torch.manual_seed(0). Data: the first n_train images of MNIST's standard
train file for training and the next n_val for validation (the file is already in random order);
the training part is permuted once with a fixed seed (numpy default_rng(0)) and every approach
gets the same arrays. MNIST is read from ``$PARSEARCH_MNIST`` when set (see ``_common``).

The presets (``PRESETS`` and ``roofline_preset``; ``--quick`` shrinks each, see ``QUICK``):

cpu (default): lr {0.001, 0.003, 0.01, 0.03, 0.1} x width {32, 64, 128, 256} = 20 configs,
    3 epochs, 4,000 / 1,000 images. Approaches (each in its own fresh Python process):
      plain   one configuration after another: nn.Sequential, torch.optim.SGD, minibatches
              sliced from the pre-shuffled tensor, torch threads = 2; validation accuracy
              after each epoch
      joblib  joblib loky n_jobs=2, one configuration per task, torch.set_num_threads(1) per
              worker
      skorch  NeuralNetClassifier in GridSearchCV(cv=PredefinedSplit, n_jobs=2, refit=False),
              train_split=None, no shuffling (same pre-shuffled order), 1 torch thread/worker
      fused   parsearch.fit_grid(MLPClassifier(depth=1, ...), {"lr", "width"}, progress=False)
    plain, joblib and skorch train the same networks on the same batches; their best accuracies
    should match closely (float32 runs at lr=0.1 are chaotic, so not bit for bit).
    Targets: plain/fused >= 3, joblib/fused >= 3, skorch/fused >= 4, fused/lower bound <= 1.3.

gpu (``--gpu``), the project's GPU target: 8 learning rates log-spaced 0.001..0.3 x 8 widths
    {16, 32, ..., 2048} = 64 configs, 5 epochs, full MNIST (50,000 train, the last 10,000 of
    the train file for validation). Two approaches, both on ``--device`` (default cuda): plain
    (the loop above, the data moved to the device once, no per-step ``.item()``) and fused
    (``MLPClassifier(device=...)``). The plain loop trains only ``--plain-subset`` K configs
    (default 8, one per width and one per learning rate) and its time is extrapolated linearly
    to all 64 (its per-configuration times are scaled, the one data transfer is not); the
    ratio plain/fused (target >= 30) uses that extrapolation and says so. The plain child first
    runs a few untimed warm-up steps, so its one-time costs are not scaled up. One round.

The GEMM child of the cpu and gpu presets also measures the copy bandwidth (a 256 MiB tensor
copied, read + write bytes per second, the best of short blocks; on the CPU also a 4 MiB
one, in cache), and both print the fused search against the roofline (``roofline``) beside
the lower bound: each training step is bound by
max(its FLOPs / the best fp32 GEMM rate, its fewest bytes / the copy bandwidth), where the
bytes are every parameter read by the forward product and, with its momentum buffer, read
and written once by the update, plus the activations (``step_bytes``); the run by the sum
over its steps and its validation passes. Target fused / roofline <= 1.5 (cpu preset). A
grid whose step's working set (parameters, momentum, activations) fits the CPU's L3 need
not stream from memory; for it the roofline at the in-cache bandwidth is printed too.

roofline (``--preset roofline``) and process (``--preset process``): their own scripts,
    ``bench_roofline.py`` and ``bench_process.py``, which say what they measure; their
    children run through this script. The presets live in ``_fused_grid``, the plain loop
    and skorch's module in ``_reference``, the FLOPs, bytes and rates in ``_roofline``.
"""

from __future__ import annotations

import argparse
import sys
import time

import _common as c
import numpy as np
from _fused_grid import (
    PRESETS,
    QUICK,
    ROOFLINE_SIZES,
    ROOFLINE_TARGET,
    ROOFLINE_WIDTHS,
    Preset,
    fused_child,
    get_preset,
    plain_subset,
    thin_width,
)
from _reference import (
    BATCH_SIZE,
    MOMENTUM,
    best_of,
    joblib_task,
    load_data,
    make_setup_callback,
    make_skorch_module,
    start,
    sync,
    train_one,
)
from _roofline import (
    cache_note,
    device_info,
    grid_flops,
    grid_roofline,
    lower_bound,
    measure_gemm,
    measured,
    print_rates,
    run_gemm,
)

# --------------------------------------------------------------------------------------------
# Children: one approach each, in a fresh process. Each builds (imports, search) for
# _common.run_approach: imports and set-up are untimed, search() is timed.
# --------------------------------------------------------------------------------------------


def plain_child(p: Preset, data, device, k):
    X_train, y_train = data[:2]

    def imports():
        import torch

        dev = start(torch, device, p.threads.get("plain"))
        if p.extrapolates:
            # Untimed warm-up: a few steps through every kernel the loop uses, so that one-time
            # costs (lazy kernel loading, allocator growth) are not extrapolated K-fold.
            small = [torch.from_numpy(a[: 4 * BATCH_SIZE]).to(dev) for a in (X_train, y_train)]
            train_one(0.01, p.widths[0], *small, *small, 1)
            sync(torch, dev)
        return torch, dev

    def search(mods):
        torch, dev = mods
        t = [torch.from_numpy(a).to(dev) for a in data]
        rows, seconds = [], []
        for lr, w in plain_subset(p, k):
            t0 = time.perf_counter()
            rows.append(train_one(lr, w, *t, p.epochs))
            sync(torch, dev)
            seconds.append(time.perf_counter() - t0)
        return {
            **best_of(rows),
            "threads": torch.get_num_threads(),
            "config_s": seconds,
            "rows": [{"lr": r["lr"], "width": r["width"], "score": r["score"]} for r in rows],
        }

    return imports, search


def joblib_child(p: Preset, data, device, k):
    def imports():
        # torch is imported by the workers themselves: part of this approach's cost
        from joblib import Parallel, delayed

        return Parallel, delayed

    def search(mods):
        Parallel, delayed = mods
        rows = Parallel(n_jobs=2, backend="loky")(
            delayed(joblib_task)(lr, w, *data, p.epochs) for lr, w in p.configs
        )
        return {**best_of(rows), "threads": sorted({r["threads"] for r in rows})}

    return imports, search


def skorch_child(p: Preset, data, device, k):
    X_train, y_train, X_val, y_val = data

    def imports():
        import torch
        from sklearn.model_selection import GridSearchCV, PredefinedSplit
        from skorch import NeuralNetClassifier
        from skorch.callbacks import Callback
        from torch import nn

        return np, torch, nn, NeuralNetClassifier, Callback, GridSearchCV, PredefinedSplit

    def search(mods):
        np, torch, nn, NeuralNetClassifier, Callback, GridSearchCV, PredefinedSplit = mods
        net = NeuralNetClassifier(
            make_skorch_module(nn),
            module__width=32,
            # The module returns logits and CrossEntropyLoss is log-softmax + NLL in one
            # call: the same loss as the other approaches. (NeuralNetClassifier's default
            # NLLLoss expects probabilities: it applies log() to the module output itself.)
            criterion=nn.CrossEntropyLoss,
            optimizer=torch.optim.SGD,
            optimizer__momentum=MOMENTUM,
            lr=0.01,
            max_epochs=p.epochs,
            batch_size=BATCH_SIZE,
            train_split=None,  # no internal validation split: GridSearchCV scores
            iterator_train__shuffle=False,  # data is pre-shuffled, as for the others
            callbacks=[make_setup_callback(Callback, torch)()],
            device="cpu",
            verbose=0,
        )
        n_train, n_val = len(y_train), len(y_val)
        X = np.concatenate([X_train, X_val])
        y = np.concatenate([y_train, y_val])
        test_fold = np.r_[np.full(n_train, -1), np.zeros(n_val, dtype=int)]
        gs = GridSearchCV(
            net,
            {"lr": p.lrs, "module__width": p.widths},
            scoring="accuracy",
            cv=PredefinedSplit(test_fold),
            n_jobs=2,
            refit=False,
            error_score="raise",
        )
        gs.fit(X, y)
        scores = gs.cv_results_["mean_test_score"]
        best = int(np.argmax(scores))
        params = gs.cv_results_["params"][best]
        return {
            "best_score": float(scores[best]),
            "best_params": {"lr": params["lr"], "width": params["module__width"]},
        }

    return imports, search


CHILDREN = {
    "plain": plain_child,
    "joblib": joblib_child,
    "skorch": skorch_child,
    "fused": fused_child,
}


def child(approach: str, p: Preset, device: str | None, k: int | None) -> None:
    if approach == "info":
        return c.emit(device_info(device or "cpu"))
    if approach == "gemm":
        return c.emit(measure_gemm(device, p.quick, thin_width(p.name)))
    if approach not in p.approaches:
        raise SystemExit(f"unknown approach {approach!r} for the {p.name} preset")
    imports, search = CHILDREN[approach](p, load_data(p), device, k)
    c.run_approach(approach, search, imports)


# --------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------


def print_header(p: Preset, child_args: list[str], device: str | None, k: int | None) -> bool:
    """The setting: machine, device, data, grid. False if the data or the device is missing."""
    print(p.title + (" (QUICK smoke run)" if p.quick else ""))
    c.print_machine(p.packages)
    images = c.MNIST_DIR / "train-images-idx3-ubyte.gz"
    if not images.is_file():
        print(f"\nERROR: {images} not found: set PARSEARCH_MNIST to a folder holding MNIST's files")
        return False
    if p.device is not None:
        info = c.run_child(__file__, "info", child_args, timeout=600)
        if info.get("status") != c.OK:
            print(f"\nERROR: device {device!r} not usable: {info.get('error')}")
            return False
        if "capability" in info:
            print(
                f"device  : {info['name']}, compute capability {info['capability']}, "
                f"{info['sms']} SMs, {info['memory_gib']:.1f} GiB"
            )
        else:
            print(f"device  : {info['name']}")
        print(
            f"torch   : {info['torch']}, CUDA {info['cuda']}, cuDNN {info.get('cudnn')}; "
            f"float32 matmul precision {info['precision']!r} ('highest' = TF32 off)"
        )
    print(c.data_line(p.n_train, p.n_val, permuted=True))
    print(
        f"grid    : lr {p.lrs} x width {p.widths} = {len(p.configs)} configs; "
        f"depth 1, SGD momentum {MOMENTUM}, batch {BATCH_SIZE}, {p.epochs} epoch(s)"
    )
    if p.extrapolates:
        subset = plain_subset(p, k)
        print(
            f"plain   : trains {len(subset)} of the {len(p.configs)} configs (lr, width): {subset}"
        )
    print()
    return True


def extrapolate_plain(p: Preset, plain: c.Runs) -> c.Runs:
    """The plain loop, measured on its subset, scaled linearly to the whole grid.

    The configurations' own times (last round) are scaled up; the data transfer is counted
    once. Prints the per-width times and the measured and extrapolated figures.
    """
    n_configs, k_run = len(p.configs), len(plain.last["rows"])
    factor = n_configs / k_run
    measured = plain.median("inner_s")
    extra = sum(plain.last["config_s"]) * (factor - 1)
    times = {"inner_s": measured + extra, "outer_s": plain.median("outer_s") + extra}
    by_width: dict[int, list[float]] = {}
    for row, sec in zip(plain.last["rows"], plain.last["config_s"]):
        by_width.setdefault(row["width"], []).append(sec)
    per = ", ".join(f"w{w} {sum(v) / len(v):.2f}" for w, v in sorted(by_width.items()))
    print(f"\nplain loop, seconds per configuration by width (last round): {per}")
    if k_run == n_configs:
        print(f"plain loop MEASURED on all {n_configs} configs: search {measured:.2f} s")
        return plain
    print(
        f"plain loop MEASURED on {k_run} of {n_configs} configs: search {measured:.2f} s; "
        f"EXTRAPOLATED linearly x{factor:g} to all {n_configs}: search "
        f"{times['inner_s']:.1f} s, process {times['outer_s']:.1f} s"
    )
    if k_run % len(p.widths):
        print(
            f"  (K = {k_run} is not a multiple of the {len(p.widths)} widths: "
            "widths are unevenly represented, so the extrapolation is rough)"
        )
    return c.Runs("plain (extrapolated)", plain.label, [times])


def print_gemm(gemm: dict | None, flops: float) -> float | None:
    """The measured GEMM rates and the grid's lower bound in seconds (None: not measured)."""
    print()
    if not measured(gemm):
        print(f"grid FLOPs (matmuls) {flops / 1e9:,.1f} GFLOP; GEMM rate not measured")
        return None
    print_rates(gemm)
    best_rate, bound, thin_bound = lower_bound(flops, gemm)
    print(
        f"grid FLOPs (matmuls, see grid_flops) {flops / 1e9:,.1f} GFLOP -> lower bound "
        f"{bound:.3f} s at the best rate ({best_rate:,.1f} GFLOP/s); "
        f"{thin_bound:.3f} s at the thin-shape rate"
    )
    return bound


def print_roofline_ratio(p: Preset, fused: c.Runs, gemm: dict | None) -> None:
    """Fused search time against the roofline, one line (the CPU and GPU presets)."""
    roof = grid_roofline(p, gemm)
    if roof is None:
        return
    target = ROOFLINE_TARGET if p.name == "cpu" else None
    goal = f"target search <= {target:g}" if target else "for information, no target"
    parts = (
        f"roofline {roof.roofline_s:.3f} s (FLOPs {roof.flop_s:.3f} s, bytes "
        f"{roof.bytes_s:.3f} s, see roofline)"
    )
    if not fused.ok:
        print(f"{'fused / roofline':<28} n/a (fused not measured); {parts}   {goal}")
        return
    r_in = fused.median("inner_s") / roof.roofline_s
    ok = c.verdict(r_in, "<=" if target else None, target)
    print(f"{'fused / roofline':<28} search {r_in:6.2f}x{ok}   {parts}   {goal}")
    note = cache_note(p, gemm, fused.median("inner_s"))
    if note:
        print(f"  ({note})")


def print_ratios(
    p: Preset, runs: dict, scaled: dict, bound: float | None, device, gemm: dict | None = None
) -> None:
    """Each approach / fused against its target, then fused / lower bound and / roofline."""
    print()
    fused = runs.get("fused", c.Runs("fused", p.approaches["fused"], status="not run"))
    for name, target in p.targets.items():
        if name in runs:
            num = scaled.get(name, runs[name])
            print(c.ratio_line(f"{num.name} / fused", num, fused, ">=", target))
    notes = []
    if scaled.get("plain", runs.get("plain")) is not runs.get("plain"):
        k_run = len(runs["plain"].last["rows"])
        notes.append(f"plain extrapolated from {k_run} of {len(p.configs)} configs, as above")
    if device is not None and not device.startswith("cuda"):
        notes.append(f"the targets are for a GPU; this ran on {device}")
    if notes:
        print(f"  ({'; '.join(notes)})")
    target = p.bound_target
    goal = f"target search <= {target:g}" if target else "for information, no target"
    if bound is not None and fused.ok:
        r_in = fused.median("inner_s") / bound
        r_out = fused.median("outer_s") / bound
        ok = c.verdict(r_in, "<=" if target else None, target)
        print(
            f"{'fused / lower bound':<28} search {r_in:6.2f}x{ok}   "
            f"process {r_out:6.2f}x (imports included)   {goal}"
        )
    elif bound is not None:
        print(f"{'fused / lower bound':<28} n/a (fused not measured)   {goal}")
    print_roofline_ratio(p, fused, gemm)
    if not fused.ok:
        print(
            f"\nNOTE: the parsearch fused approach was not measured ({fused.status}); "
            "the other approaches are shown above."
        )


def print_accuracies(p: Preset, runs: dict) -> None:
    """Best accuracies and parameters; with a plain subset, both approaches on its configs."""
    done = [r for r in runs.values() if r.ok]
    n_configs = len(p.configs)
    whole = {r.name: r.median("best_score") for r in done}  # approaches that ran the whole grid
    text = []
    for r in done:
        k_run = len(r.last.get("rows", p.configs))
        note = f" ({k_run} of {n_configs} configs)" if k_run < n_configs else ""
        text.append(f"{r.name} {r.median('best_score'):.4f}{note}")
        if note:
            del whole[r.name]
    line = ", ".join(text)
    if len(whole) >= 2:
        spread = max(whole.values()) - min(whole.values())
        verdict = "about equal" if spread <= 0.02 else "NOT about equal (spread > 0.02)"
        line += f" -> spread {spread:.4f}, {verdict}"
    if done:
        print(f"\nbest accuracies: {line}")
    for r in done:
        extra = [f"torch threads {r.last['threads']}"] if "threads" in r.last else []
        extra += [f"device {r.last['device']}"] if r.last.get("device") else []
        if r.last.get("fused_groups") is not None:
            extra.append(f"fused groups {r.last['fused_groups']}")
        extra = "".join(", " + e for e in extra)
        print(f"  {r.name:<7} best params {r.last.get('best_params')}{extra}")
    plain, fused = runs.get("plain"), runs.get("fused")
    if not (p.extrapolates and plain and plain.ok and fused and fused.ok):
        return
    fused_at = {(r["lr"], r["width"]): r for r in fused.last["rows"]}
    print("on the plain loop's configs (last round; different batch orders, so close, not equal):")
    print(f"  {'lr':>8} {'width':>6} {'plain acc':>10} {'fused acc':>10} {'plain s':>8}")
    for row, sec in zip(plain.last["rows"], plain.last["config_s"]):
        f = fused_at.get((row["lr"], row["width"]), {})
        status = f" {f['status']}" if f.get("status") not in (None, "ok") else ""
        print(
            f"  {row['lr']:>8g} {row['width']:>6} {c.fmt(row['score'], 4):>10} "
            f"{c.fmt(f.get('score'), 4):>10} {sec:>8.2f}{status}"
        )


# --------------------------------------------------------------------------------------------
# The roofline preset: fused grids of 20, 100 and 400 models against their roofline
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The whole-process preset: a user's fit_grid script against a plain PyTorch loop script
# --------------------------------------------------------------------------------------------


def make_parser() -> argparse.ArgumentParser:
    """The command line of the benchmark (and of its children, ``--approach``)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--preset",
        choices=["cpu", "gpu", "roofline", "process"],
        help="cpu (default), gpu (the same as --gpu), roofline (fused grids of 20, 100, 400 "
        "models against their roofline), process (full MNIST, a user's fit_grid script "
        "against a plain PyTorch loop script, whole processes)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        help="rounds per approach, median reported (default 3; --gpu: 1; --quick: 1)",
    )
    p.add_argument("--quick", action="store_true", help="tiny data and grid, 1 round")
    p.add_argument(
        "--approaches",
        help="comma-separated subset of: "
        + ", ".join(PRESETS["cpu"].approaches)
        + f" (--gpu: {', '.join(PRESETS['gpu'].approaches)}; "
        + f"--preset process: {', '.join(PRESETS['process'].approaches)})",
    )
    p.add_argument(
        "--sizes",
        help="--preset roofline only: comma-separated grid sizes, multiples of "
        f"{len(ROOFLINE_WIDTHS)} (default {','.join(map(str, ROOFLINE_SIZES[False]))})",
    )
    p.add_argument("--no-gemm", action="store_true", help="skip the GEMM-rate measurement")
    p.add_argument(
        "--gpu",
        action="store_true",
        help="the GPU preset: 64 configs on full MNIST, plain loop vs fused on --device",
    )
    p.add_argument("--device", help="--gpu only: torch device of both approaches (default cuda)")
    p.add_argument(
        "--plain-subset",
        type=int,
        metavar="K",
        help="--gpu only: configurations the plain loop trains, its time extrapolated to the "
        f"grid (default {PRESETS['gpu'].plain_subset}; --quick {QUICK['gpu']['plain_subset']}; "
        "0: all)",
    )
    p.add_argument("--approach", help=argparse.SUPPRESS)  # child mode
    return p


def preset_name(parser, args) -> str:
    """The preset asked for (``--gpu`` is ``--preset gpu``); usage errors for misplaced options."""
    if args.gpu and args.preset not in (None, "gpu"):
        parser.error(f"--gpu and --preset {args.preset} contradict each other")
    name = "gpu" if args.gpu else (args.preset or "cpu")
    if name != "gpu" and args.device is not None:
        parser.error("--device belongs to the --gpu preset; add --gpu")
    if name != "gpu" and args.plain_subset is not None:
        parser.error("--plain-subset belongs to the --gpu preset; add --gpu")
    if name != "roofline" and args.sizes is not None:
        parser.error("--sizes belongs to --preset roofline")
    if name == "roofline" and args.approaches is not None:
        parser.error("--preset roofline trains only the fused approach; choose grids by --sizes")
    return name


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    name = preset_name(parser, args)
    if name == "roofline":
        from bench_roofline import roofline_child, roofline_main, roofline_sizes

        if args.approach:
            roofline_child(
                args.approach, args.quick, roofline_sizes(parser, args.sizes, args.quick)
            )
            return 0
        return roofline_main(args, roofline_sizes(parser, args.sizes, args.quick))
    if name == "process":
        from bench_process import process_child, process_main

        if args.approach:
            return process_child(args.approach, args.quick)
        return process_main(parser, args)
    return compare_main(parser, args, get_preset(name, args.quick))


def compare_main(parser, args, preset: Preset) -> int:
    """The CPU and GPU presets: every approach over the rounds, the GEMM bound, the roofline."""
    device = args.device or preset.device
    k = args.plain_subset if args.plain_subset is not None else preset.plain_subset
    if args.approach:
        child(args.approach, preset, device, k)
        return 0

    wanted = c.chosen_approaches(parser, args.approaches, preset.approaches)
    rounds = 1 if args.quick else (args.rounds if args.rounds is not None else preset.rounds)
    child_args = ["--gpu"] if preset.name == "gpu" else []  # also for --preset gpu
    child_args += ["--device", device] if preset.device else []
    child_args += ["--plain-subset", str(k)] if preset.extrapolates else []
    child_args += ["--quick"] if args.quick else []
    if not print_header(preset, child_args, device, k):
        return 1

    labels = dict(preset.approaches)
    if preset.device:
        labels = {name: f"{label}, {device}" for name, label in labels.items()}
    if preset.extrapolates:
        labels["plain"] += f", {len(plain_subset(preset, k))}/{len(preset.configs)} cfgs"
    runs = c.run_rounds(__file__, {name: labels[name] for name in wanted}, child_args, rounds)
    gemm = None if args.no_gemm else run_gemm(__file__, child_args)

    c.print_table(runs, rounds)
    scaled = {}
    if preset.extrapolates and "plain" in runs and runs["plain"].ok:
        scaled["plain"] = extrapolate_plain(preset, runs["plain"])
    bound = print_gemm(gemm, grid_flops(preset))
    print_ratios(preset, runs, scaled, bound, device, gemm)
    print_accuracies(preset, runs)
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
