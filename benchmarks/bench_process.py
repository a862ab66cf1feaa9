"""Benchmark, the process preset of ``bench_fused.py``: whole processes on full MNIST.

    python benchmarks/bench_fused.py --preset process             # whole processes, full MNIST
    python benchmarks/bench_fused.py --preset process --quick     # smoke run of it
    python benchmarks/bench_process.py --quick                     # the same, run from here

Full MNIST (50,000 / 10,000), the cpu preset's 20 configurations, 2 epochs. (e) a user's
script (``USER_SCRIPT``): imports parsearch, ``load_mnist()`` from ``$PARSEARCH_MNIST``
(set to the folder ``_common`` reads), ``fit_grid(MLPClassifier(...), grid, ...,
out=<fresh folder>)`` with its defaults (progress bar, heatmap); (a) a plain PyTorch script
(``LOOP_SCRIPT``): ``_common.mnist_split``'s reader and ``_reference.train_one`` copied in,
one configuration after another. Both written to a temporary folder and run there as
``python script.py``, timed whole by the parent, interleaved over 3 rounds; prints the ratio
(target loop / fit_grid script >= 4 on the process), where each process spent its time, and
the best accuracy of each (the same within 0.005: the batch orders differ).
"""

from __future__ import annotations

import inspect
import string
import sys
import tempfile
from pathlib import Path

import _common as c
from _fused_grid import (
    ACCURACY_SAME,
    FUSED_SCRIPT,
    PRESETS,
    ROOFLINE_TARGET,
    get_preset,
    thin_width,
)
from _reference import BATCH_SIZE, MOMENTUM, N_IN, N_OUT, train_one
from _roofline import (
    grid_roofline,
    measure_gemm,
    measure_products,
    measured,
    print_rates,
    run_gemm,
    run_products,
)

USER_SCRIPT = string.Template(
    '''"""A user's script: a grid of MLPs on MNIST searched by parsearch.fit_grid."""

import json
import sys
import time

t0 = time.perf_counter()
from parsearch import MLPClassifier, fit_grid, load_mnist

t1 = time.perf_counter()
mnist = load_mnist()  # full MNIST from $$PARSEARCH_MNIST: 50,000 train, 10,000 validation
X_train, y_train = mnist.X_train[:$n_train], mnist.y_train[:$n_train]
X_val, y_val = mnist.X_val[:$n_val], mnist.y_val[:$n_val]
t2 = time.perf_counter()
model = MLPClassifier(
    depth=1, epochs=$epochs, batch_size=$batch_size, optimizer="sgd", momentum=$momentum
)
grid = {"lr": $lrs, "width": $widths}
result = fit_grid(model, grid, X_train, y_train, X_val, y_val, out=sys.argv[1])
t3 = time.perf_counter()
best = {k: (v.item() if hasattr(v, "item") else v) for k, v in result.best_params.items()}
out = {
    "status": "ok",
    "best_score": float(result.best_score),
    "best_params": best,
    "imports_s": t1 - t0,
    "data_s": t2 - t1,
    "inner_s": t3 - t2,
    "train_s": float(result.table["fit_seconds"].sum()),
    "fused_groups": result.meta["execution"]["fused_groups"],
}
print("BENCH_RESULT " + json.dumps(out))
'''
)


LOOP_SCRIPT = string.Template(
    '''"""A plain PyTorch script: the same grid of MLPs on MNIST, one model after another."""

import json
import time

t0 = time.perf_counter()
import gzip
from pathlib import Path

import numpy as np
import torch

t1 = time.perf_counter()
MNIST_DIR = Path($mnist_dir)
N_IN, N_OUT, MOMENTUM, BATCH_SIZE = $n_in, $n_out, $momentum, $batch_size


$read_idx_prefix


$mnist_split


$train_one


X_train, y_train, X_val, y_val = mnist_split($full_train, $full_val)
X_train, y_train = X_train[:$n_train], y_train[:$n_train]
X_val, y_val = X_val[:$n_val], y_val[:$n_val]
perm = np.random.default_rng(0).permutation(len(y_train))  # the one pre-shuffle
data = [torch.from_numpy(a) for a in (X_train[perm], y_train[perm], X_val, y_val)]
t2 = time.perf_counter()
rows = [train_one(lr, w, *data, $epochs) for lr in $lrs for w in $widths]
t3 = time.perf_counter()
best = max(rows, key=lambda r: r["score"])
out = {
    "status": "ok",
    "best_score": best["score"],
    "best_params": {"lr": best["lr"], "width": best["width"]},
    "imports_s": t1 - t0,
    "data_s": t2 - t1,
    "inner_s": t3 - t2,
    "train_s": t3 - t2,
    "threads": torch.get_num_threads(),
}
print("BENCH_RESULT " + json.dumps(out))
'''
)


def process_scripts(p) -> dict[str, str]:
    """The two scripts' text: ``script`` (fit_grid) and ``loop`` (plain PyTorch).

    Both train ``p``'s grid on the first ``n_train`` / ``n_val`` rows of MNIST's standard
    50,000 / 10,000 split (all of it in the full preset). The fit_grid script loads MNIST
    as a user would, with ``parsearch.load_mnist`` (``$PARSEARCH_MNIST``); the loop script
    carries its own copy of ``_common.mnist_split``'s reader (the same arrays) and of
    ``train_one`` (the plain approach's loop), so it imports nothing but numpy and torch.
    """
    values = {
        "n_train": p.n_train,
        "n_val": p.n_val,
        "epochs": p.epochs,
        "batch_size": BATCH_SIZE,
        "momentum": MOMENTUM,
        "lrs": repr(p.lrs),
        "widths": repr(p.widths),
    }
    loop = LOOP_SCRIPT.substitute(
        values,
        mnist_dir=repr(str(c.MNIST_DIR)),
        n_in=N_IN,
        n_out=N_OUT,
        full_train=PRESETS["process"].n_train,
        full_val=PRESETS["process"].n_val,
        read_idx_prefix=inspect.getsource(c._read_idx_prefix).strip(),
        mnist_split=inspect.getsource(c.mnist_split).strip(),
        train_one=inspect.getsource(train_one).strip(),
    )
    return {"script": USER_SCRIPT.substitute(values), "loop": loop}


def print_process_header(p, script: str) -> bool:
    """The whole-process preset's setting and the fit_grid script. False if MNIST is missing."""
    print(p.title + (" (QUICK smoke run)" if p.quick else ""))
    c.print_machine(p.packages)
    if not (c.MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        print(f"\nERROR: MNIST not found in {c.MNIST_DIR}: set PARSEARCH_MNIST")
        return False
    full = PRESETS["process"].n_train
    print(
        f"data    : MNIST train file ({c.MNIST_DIR}), images 0..{p.n_train - 1} train, "
        f"{full}..{full + p.n_val - 1} validation; (x - mean) / std of the {full:,} train images"
    )
    print(
        f"grid    : lr {p.lrs} x width {p.widths} = {len(p.configs)} configs; depth 1, SGD "
        f"momentum {MOMENTUM}, batch {BATCH_SIZE}, {p.epochs} epoch(s)"
    )
    print(
        "scripts : each a fresh `python script.py`, timed whole by the parent (interpreter "
        "start to exit), interleaved;\n"
        "          (e) loads MNIST with parsearch.load_mnist ($PARSEARCH_MNIST); fit_grid "
        "shuffles every epoch and writes its folder (a fresh one each round) and heatmap;\n"
        "          (a) reads MNIST with _common.mnist_split's code, shuffles once (seed 0), "
        "trains bench_fused.train_one per config;\n"
        "          both keep torch's default threads\n"
    )
    print("the fit_grid script (e), its folder given as argv[1]:")
    print("    " + "\n    ".join(script.strip().splitlines()) + "\n")
    return True


def print_phases(runs: dict) -> None:
    """Where each process spent its time (medians): imports, data, search, the rest."""
    print("\nphases (medians, s): imports, data, search (training inside it, and around it),")
    print("rest (interpreter start, compile, exit), and all but the training:")
    for run in runs.values():
        if not run.ok:
            continue
        m = {k: run.median(k) for k in ("outer_s", "imports_s", "data_s", "inner_s", "train_s")}
        rest = m["outer_s"] - m["imports_s"] - m["data_s"] - m["inner_s"]
        print(
            f"  {run.name:<7} imports {m['imports_s']:5.2f}  data {m['data_s']:5.2f}  search "
            f"{m['inner_s']:6.2f} (training {m['train_s']:6.2f}, around "
            f"{m['inner_s'] - m['train_s']:5.2f})  rest {rest:5.2f}  "
            f"outside training {m['outer_s'] - m['train_s']:5.2f}"
        )


def print_process_verdict(p, runs: dict) -> None:
    """The loop script / fit_grid script ratio against the target, and the best accuracies."""
    script, loop = runs.get("script"), runs.get("loop")
    print()
    if not (script and loop):
        print("loop / fit_grid script: n/a (both scripts are needed)")
        return
    target = p.targets["loop"]
    print(c.ratio_line("loop / fit_grid script", loop, script, ">=", target))
    print(f"  (the target, at least {target:g}x, is on the whole process)")
    if not (script.ok and loop.ok):
        return
    a, b = script.median("best_score"), loop.median("best_score")
    diff = round(a - b, 6) + 0.0  # no "-0.0000"
    same = "the same" if abs(diff) <= ACCURACY_SAME else "NOT the same"
    print(
        f"best accuracies: fit_grid script {a:.4f} {script.last.get('best_params')}, loop "
        f"script {b:.4f} {loop.last.get('best_params')}\n  -> difference {diff:+.4f}: {same} "
        f"(within {ACCURACY_SAME}; the batch orders differ, so close, not equal)"
    )
    print(
        f"  fit_grid script fused chunks {script.last.get('fused_groups')}; loop script torch "
        f"threads {loop.last.get('threads')}"
    )


def process_main(parser, args) -> int:
    """The whole-process preset: both scripts, each a fresh process, over the rounds."""
    p = get_preset("process", args.quick)
    rounds = 1 if args.quick else (args.rounds if args.rounds is not None else p.rounds)
    wanted = c.chosen_approaches(parser, args.approaches, p.approaches)
    scripts = process_scripts(p)
    if not print_process_header(p, scripts["script"]):
        return 1
    env = c.child_env({"PARSEARCH_MNIST": str(c.MNIST_DIR)})
    with tempfile.TemporaryDirectory(prefix="bench_fused_process_") as tmp:
        folder = Path(tmp)
        for name, text in scripts.items():
            (folder / f"{name}.py").write_text(text)

        def runner(name: str, r: int) -> dict:
            cmd = [sys.executable, str(folder / f"{name}.py"), str(folder / f"out-{r + 1}")]
            return c.run_command(cmd, name, env=env, cwd=folder)

        labels = {name: p.approaches[name] for name in wanted}
        runs = c.run_rounds(FUSED_SCRIPT, labels, [], rounds, runner=runner)
    child_args = ["--preset", "process", *(["--quick"] if args.quick else [])]
    gemm = products = None
    if not args.no_gemm and "script" in runs:
        gemm = run_gemm(FUSED_SCRIPT, child_args)
        products = run_products(FUSED_SCRIPT, child_args)
    c.print_table(runs, rounds)
    print_phases(runs)
    print_process_verdict(p, runs)
    print_process_roofline(p, runs.get("script"), gemm, products)
    return c.finish(runs)


def process_child(approach: str, quick: bool) -> int:
    """Children of the whole-process preset: ``gemm`` and ``products`` over its grid."""
    p = get_preset("process", quick)
    if approach == "gemm":
        c.emit(measure_gemm(None, quick, thin_width("process")))
    elif approach == "products":
        c.emit(measure_products({"process": p}, quick))
    else:
        raise SystemExit(f"unknown approach {approach!r} for the process preset")
    return 0


def print_process_roofline(p, script, gemm, products) -> None:
    """The fit_grid script's training against the grid's roofline and its products alone."""
    if script is None or not script.ok or not measured(gemm):
        return
    print()
    print_rates(gemm)
    roof = grid_roofline(p, gemm)
    train = script.median("train_s")
    print(
        f"\nthe fit_grid script's training (median {train:.3f} s) against this grid's roofline "
        f"{roof.roofline_s:.3f} s (FLOP {roof.flop_s:.3f} s, bytes {roof.bytes_s:.3f} s): "
        f"{train / roof.roofline_s:.2f}x; target <= {ROOFLINE_TARGET:g} "
        f"({'PASS' if train / roof.roofline_s <= ROOFLINE_TARGET else 'FAIL'})"
    )
    entry = (products or {}).get("process") if (products or {}).get("status") == c.OK else None
    if entry:
        seconds = entry["products_s"]
        print(
            f"  the layer-1 products alone ({products['backend']}): {seconds:.3f} s, "
            f"{seconds / roof.roofline_s:.2f}x the roofline; the training is "
            f"{train / seconds:.2f}x the products"
        )


if __name__ == "__main__":
    import bench_fused

    sys.exit(bench_fused.main(["--preset", "process", *sys.argv[1:]]))
