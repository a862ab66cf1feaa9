"""Benchmark: fused grids of 20, 100 and 400 models against their roofline (issue 14).

    python benchmarks/bench_roofline.py                       # 20, 100, 400 models, 3 rounds
    python benchmarks/bench_roofline.py --quick               # 5 and 10 models, tiny data

Each grid: n / 5 learning rates log-spaced 0.001..0.1 x width {32, 64, 128, 256, 512}, depth 1,
SGD momentum 0.9, batch 64, 3 epochs, 4,000 / 1,000 images, through ``fit_grid`` (the fused
approach of ``bench_fused``), one process per size and round; then the GEMM rates and copy
bandwidth, and the layer-1 products alone (``_roofline``). Target: measured / roofline <= 1.5.
"""

from __future__ import annotations

import sys

import _common as c
import numpy as np
from _common import BATCH_SIZE, MOMENTUM, Grid
from _roofline import (
    FUSED_PASSES,
    PARAM_PASSES,
    cache_note,
    grid_roofline,
    measure_gemm,
    measure_products,
    measured,
    print_rates,
)

WIDTHS = [32, 64, 128, 256, 512]
SIZES = {False: (20, 100, 400), True: (5, 10)}  # by --quick
TARGET = 1.5  # fused search time / roofline (<=)


def grid(n_models: int, quick: bool) -> Grid:
    """n / 5 learning rates log-spaced over 0.001..0.1 (3 digits) x ``WIDTHS``."""
    n_lrs = max(1, n_models // len(WIDTHS))
    lrs = sorted({float(f"{v:.3g}") for v in np.geomspace(1e-3, 0.1, n_lrs)})
    return Grid(1_000, 500, lrs, WIDTHS, 1) if quick else Grid(4_000, 1_000, lrs, WIDTHS, 3)


def child(args) -> None:
    """``fused<N>``: the fused search of N models; ``products``, ``gemm``: the measurements."""
    quick, sizes = args.quick, SIZES[args.quick]
    if args.approach == "gemm":
        return c.emit(measure_gemm(None, quick))
    if args.approach == "products":
        return c.emit(measure_products({str(n): grid(n, quick) for n in sizes}, quick))
    g = grid(int(args.approach.removeprefix("fused")), quick)
    imports, search = c.fused_child(g, c.load_data(g), None, None)
    c.run_approach(args.approach, search, imports)


def print_roofline_table(sizes: list[int], runs: dict, gemm: dict | None, quick: bool) -> None:
    """Per grid size: the counts, the two bounds, the roofline, the measured search, the ratio."""
    print(
        f"\nfused search (median) against the roofline; target measured / roofline <= "
        f"{TARGET:g} (PASS / FAIL as measured):"
    )
    head = (
        f"{'models':>6} {'H':>7} {'chunks':>6} {'GFLOP':>8} {'GB':>7} {'FLOP s':>7} "
        f"{'bytes s':>7} {'roofline':>8} {'measured':>9} {'ratio':>8}"
    )
    print(head + "\n" + "-" * (len(head) + 5))
    notes = []
    for n in sizes:
        g, run = grid(n, quick), runs[f"fused{n}"]
        roof = grid_roofline(g, gemm)
        chunks = run.last.get("fused_groups") if run.ok else None
        row = f"{len(g.configs):>6} {g.total_width:>7} {len(chunks) if chunks else '-':>6}"
        seconds = run.median("inner_s") if run.ok else float("nan")
        if roof is None:
            print(f"{row} {'(GEMM rate and bandwidth not measured)':>52} {c.fmt(seconds, 3):>9}")
            continue
        ratio = seconds / roof.roofline_s
        verdict = "n/a" if ratio != ratio else ("PASS" if ratio <= TARGET else "FAIL")
        print(
            f"{row} {roof.flops / 1e9:>8,.1f} {roof.bytes / 1e9:>7,.1f} {roof.flop_s:>7.3f} "
            f"{roof.bytes_s:>7.3f} {roof.roofline_s:>8.3f} {c.fmt(seconds, 3):>9} "
            f"{c.fmt(ratio):>7}x {verdict}"
        )
        if chunks and len(chunks) > 1:
            notes.append(
                f"  {n} models ran as {len(chunks)} fused chunks (memory budget): {chunks}"
            )
        note = cache_note(g, gemm, seconds) if run.ok else None
        notes += [f"  {n} models: {note}"] if note else []
    if notes:
        print("\n".join(notes))
    if measured(gemm):
        fused4 = ", ".join(
            f"{n}: {grid_roofline(grid(n, quick), gemm, FUSED_PASSES).roofline_s:.3f} s"
            for n in sizes
        )
        print(
            f"  (with the next step's forward product fused into the update, {FUSED_PASSES} "
            f"passes a step instead of {PARAM_PASSES}, the roofline would be {fused4})"
        )
    for n in sizes:
        run = runs[f"fused{n}"]
        if run.ok:
            print(
                f"  {n:>4} models: best val acc {run.median('best_score'):.4f}, best params "
                f"{run.last.get('best_params')}, torch threads {run.last.get('threads')}"
            )


def print_products(sizes, runs, gemm, products, quick) -> None:
    """Per grid size: the layer-1 products alone against the roofline and the measured search."""
    if not products or products.get("status") != c.OK:
        return
    print(
        f"\nthe layer-1 products alone ({products['backend']}, best of several blocks; the "
        "forward and weight-gradient products of every step, the validation forward of every "
        "epoch; nothing else):"
    )
    head = (
        f"{'models':>6} {'H':>7} {'products s':>10} {'/ roofline':>10} {'measured / products':>20}"
    )
    print(head + "\n" + "-" * len(head))
    for n in sizes:
        entry, run = products.get(str(n)), runs[f"fused{n}"]
        roof = grid_roofline(grid(n, quick), gemm)
        over_roof = entry["products_s"] / roof.roofline_s if roof else float("nan")
        seconds = run.median("inner_s") if run.ok else float("nan")
        print(
            f"{n:>6} {entry['H']:>7} {entry['products_s']:>10.3f} {c.fmt(over_roof):>9}x "
            f"{c.fmt(seconds / entry['products_s']):>19}x"
        )


def main(argv: list[str] | None = None) -> int:
    ap = c.parser(__doc__)
    args = c.parse(ap, argv, child)
    if args is None:
        return 0
    sizes, child_args = SIZES[args.quick], ["--quick"] if args.quick else []
    g = grid(sizes[0], args.quick)
    c.header("Fused MLP grid benchmark, roofline preset", ["torch", "numpy"], args.quick)
    if c.mnist_missing():
        return 1
    print(c.data_line(g.n_train, g.n_val, permuted=True))
    print(
        f"grids   : n / {len(WIDTHS)} learning rates log-spaced 0.001..0.1 x width {WIDTHS}, "
        f"n = {', '.join(map(str, sizes))} models; depth 1, SGD momentum {MOMENTUM}, "
        f"batch {BATCH_SIZE}, {g.epochs} epoch(s); parsearch.fit_grid, fused, progress=False"
    )
    print(
        "roofline: sum over the steps of max(FLOPs / best fp32 GEMM rate, fewest bytes / copy "
        f"bandwidth);\n          every parameter {PARAM_PASSES} passes a step (forward read, "
        "momentum and weights read and written once), activations written and read once "
        "(see _roofline)\n"
    )
    rounds = 1 if args.quick else args.rounds
    labels = {f"fused{n}": f"(d) fused fit_grid, {len(grid(n, args.quick).configs)} models"
              for n in sizes}  # fmt: skip
    runs = c.run_rounds(__file__, labels, child_args, rounds)
    gemm = c.run_measurement(__file__, "gemm", child_args, "GEMM rate and copy bandwidth")
    products = c.run_measurement(__file__, "products", child_args, "layer-1 products alone")
    c.print_table(runs, rounds)
    if measured(gemm):
        print()
        print_rates(gemm)
    print_roofline_table(sizes, runs, gemm, args.quick)
    print_products(sizes, runs, gemm, products, args.quick)
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
