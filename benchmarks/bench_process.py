"""Benchmark: a user's whole fit_grid script against a plain PyTorch loop script (issue 14).

    python benchmarks/bench_process.py              # full MNIST, 3 rounds, medians
    python benchmarks/bench_process.py --quick      # smoke run (2,000 / 1,000 images, 1 epoch)

Full MNIST (50,000 / 10,000), ``bench_fused``'s 20 configurations, 2 epochs. (e) a user's
script (``USER_SCRIPT``): ``load_mnist()``, then ``fit_grid(MLPClassifier(...), grid, ...,
out=<fresh folder>)`` with its defaults (progress bar, heatmap); (a) a plain PyTorch script
(``LOOP_SCRIPT``), ``_common``'s MNIST reader and ``train_one`` copied in. Each a fresh
``python script.py`` timed whole by the parent, interleaved; target loop / fit_grid script
>= 4 on the whole process. Then where each process spent its time, and the script's
training against its roofline and its layer-1 products alone (``_roofline``).
"""

from __future__ import annotations

import inspect
import string
import sys
import tempfile
from pathlib import Path

import _common as c
from _common import BATCH_SIZE, MOMENTUM, N_IN, N_OUT, Grid, train_one
from _roofline import grid_roofline, measure_gemm, measure_products, measured, print_rates

GRID = Grid(50_000, 10_000, c.CPU_GRID.lrs, c.CPU_GRID.widths, 2)
QUICK_GRID = Grid(2_000, 1_000, [0.01, 0.1], [32, 64], 1)
APPROACHES = {
    "script": "(e) a user's fit_grid script, with out=",
    "loop": "(a) a plain PyTorch loop script",
}
TARGET = 4.0  # loop script / fit_grid script, whole process (>=)
ROOFLINE_TARGET = 1.5  # the script's training / its roofline (<=)
ACCURACY_SAME = 0.005  # best accuracies this close count as the same (other batch orders)

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


def process_scripts(p: Grid) -> dict[str, str]:
    """The two scripts' text, ``script`` (fit_grid) and ``loop``: ``p``'s grid on the first
    ``n_train`` / ``n_val`` rows of MNIST's 50,000 / 10,000 split; the loop script imports
    nothing but numpy and torch."""
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
        full_train=GRID.n_train,
        full_val=GRID.n_val,
        read_idx_prefix=inspect.getsource(c._read_idx_prefix).strip(),
        mnist_split=inspect.getsource(c.mnist_split).strip(),
        train_one=inspect.getsource(train_one).strip(),
    )
    return {"script": USER_SCRIPT.substitute(values), "loop": loop}


def print_header(p: Grid, quick: bool, script: str) -> bool:
    """The setting and the fit_grid script. False if MNIST is missing."""
    packages = ["torch", "numpy", "scikit-learn", "pandas", "matplotlib"]
    c.header(
        "Whole-process benchmark: a user's fit_grid script against a plain PyTorch loop",
        packages,
        quick,
    )
    if c.mnist_missing():
        return False
    full = GRID.n_train
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
        "trains _common.train_one per config;\n"
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


def print_verdict(runs: dict) -> None:
    """The loop script / fit_grid script ratio against the target, and the best accuracies."""
    script, loop = runs.get("script"), runs.get("loop")
    print()
    if not (script and loop):
        print("loop / fit_grid script: n/a (both scripts are needed)")
        return
    print(c.ratio_line("loop / fit_grid script", loop, script, ">=", TARGET))
    print(f"  (the target, at least {TARGET:g}x, is on the whole process)")
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


def print_roofline(p: Grid, script, gemm, products) -> None:
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
    if (products or {}).get("status") == c.OK:
        seconds = products["process"]["products_s"]
        print(
            f"  the layer-1 products alone ({products['backend']}): {seconds:.3f} s, "
            f"{seconds / roof.roofline_s:.2f}x the roofline; the training is "
            f"{train / seconds:.2f}x the products"
        )


def child(args) -> None:
    """The children ``gemm`` and ``products`` (the scripts run as they are)."""
    if args.approach == "gemm":
        c.emit(measure_gemm(None, args.quick))
    else:
        c.emit(measure_products({"process": QUICK_GRID if args.quick else GRID}, args.quick))


def main(argv: list[str] | None = None) -> int:
    ap = c.parser(__doc__)
    args = c.parse(ap, argv, child)
    if args is None:
        return 0
    p = QUICK_GRID if args.quick else GRID
    rounds = 1 if args.quick else args.rounds
    wanted = c.chosen_approaches(ap, args.approaches, APPROACHES)
    scripts = process_scripts(p)
    if not print_header(p, args.quick, scripts["script"]):
        return 1
    env = c.child_env({"PARSEARCH_MNIST": str(c.MNIST_DIR)})
    with tempfile.TemporaryDirectory(prefix="bench_process_") as tmp:
        folder = Path(tmp)
        for name, text in scripts.items():
            (folder / f"{name}.py").write_text(text)

        def runner(name: str, r: int) -> dict:
            cmd = [sys.executable, str(folder / f"{name}.py"), str(folder / f"out-{r + 1}")]
            return c.run_child(None, name, [], cmd=cmd, env=env, cwd=folder)

        labels = {name: APPROACHES[name] for name in wanted}
        runs = c.run_rounds(__file__, labels, [], rounds, runner=runner)
    child_args = ["--quick"] if args.quick else []
    gemm = products = None
    if "script" in runs:
        gemm = c.run_measurement(__file__, "gemm", child_args, "GEMM rate and copy bandwidth")
        products = c.run_measurement(__file__, "products", child_args, "layer-1 products alone")
    c.print_table(runs, rounds)
    print_phases(runs)
    print_verdict(runs)
    print_roofline(p, runs.get("script"), gemm, products)
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
