"""Benchmark, the roofline preset of ``bench_fused.py``: fused grids against their roofline.

    python benchmarks/bench_fused.py --preset roofline            # 20, 100, 400 models
    python benchmarks/bench_fused.py --preset roofline --sizes 20,100 --rounds 1
    python benchmarks/bench_roofline.py --quick                    # the same, run from here

Fused grids of 20, 100 and 400 models (``--sizes``), each n / 5 learning rates log-spaced
0.001..0.1 x width {32, 64, 128, 256, 512}, 3 epochs, 4,000 / 1,000 images, depth 1, SGD
momentum 0.9, batch 64, through fit_grid as ``bench_fused``'s fused approach; each size in
its own process per round (3 rounds, medians), then the GEMM child and the layer-1
products alone. Prints per size: models, total width H, the fused chunks the memory budget
cut, FLOPs, bytes, the FLOP bound, the bytes bound, the roofline (``_roofline``), the
measured search and measured / roofline, PASS (<= 1.5) or FAIL.
"""

from __future__ import annotations

import sys

import _common as c
from _fused_grid import (
    FUSED_SCRIPT,
    ROOFLINE_SIZES,
    ROOFLINE_TARGET,
    ROOFLINE_WIDTHS,
    fused_child,
    roofline_preset,
)
from _reference import BATCH_SIZE, MOMENTUM, load_data
from _roofline import (
    FUSED_PASSES,
    PARAM_PASSES,
    cache_note,
    grid_roofline,
    measure_products,
    measured,
    print_rates,
    run_gemm,
    run_products,
)


def roofline_sizes(parser, text: str | None, quick: bool) -> list[int]:
    """The grid sizes of ``--sizes`` (default ``ROOFLINE_SIZES``): multiples of the widths."""
    if text is None:
        return list(ROOFLINE_SIZES[quick])
    try:
        sizes = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        parser.error(f"--sizes takes comma-separated integers, got {text!r}")
    n = len(ROOFLINE_WIDTHS)
    if not sizes or any(v < n or v % n for v in sizes):
        parser.error(f"--sizes: each a multiple of the {n} widths, got {text!r}")
    return sizes


def roofline_child(approach: str, quick: bool, sizes: list[int]) -> None:
    """Child ``fused<N>``: the fused search of the roofline preset's grid of N models.

    Child ``products``: the layer-1 products of every grid size alone.
    """
    if approach == "products":
        return c.emit(measure_products({str(n): roofline_preset(n, quick) for n in sizes}, quick))
    p = roofline_preset(int(approach.removeprefix("fused")), quick)
    imports, search = fused_child(p, load_data(p), None, None)
    c.run_approach(approach, search, imports)


def print_roofline_header(sizes: list[int], quick: bool) -> bool:
    """The roofline preset's setting. False if MNIST is missing."""
    p = roofline_preset(sizes[0], quick)
    print(p.title + (" (QUICK smoke run)" if quick else ""))
    c.print_machine(p.packages)
    if not (c.MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        print(f"\nERROR: MNIST not found in {c.MNIST_DIR}: set PARSEARCH_MNIST")
        return False
    print(c.data_line(p.n_train, p.n_val, permuted=True))
    print(
        f"grids   : n / {len(p.widths)} learning rates log-spaced 0.001..0.1 x width {p.widths}, "
        f"n = {', '.join(map(str, sizes))} models; depth 1, SGD momentum {MOMENTUM}, "
        f"batch {BATCH_SIZE}, {p.epochs} epoch(s); parsearch.fit_grid, fused, progress=False"
    )
    print(
        "roofline: sum over the steps of max(FLOPs / best fp32 GEMM rate, fewest bytes / copy "
        f"bandwidth);\n          every parameter {PARAM_PASSES} passes a step (forward read, "
        "momentum and weights read and written once), activations written and read once "
        "(see step_bytes)\n"
    )
    return True


def roofline_row(n: int, run: c.Runs, gemm: dict | None, quick: bool) -> str:
    """One grid size's line of the roofline table."""
    p = roofline_preset(n, quick)
    roof = grid_roofline(p, gemm)
    widths = [w for _, w in p.configs]
    chunks = run.last.get("fused_groups") if run.ok else None
    head = f"{len(widths):>6} {sum(widths):>7} {len(chunks) if chunks else '-':>6}"
    seconds = run.median("inner_s") if run.ok else float("nan")
    if roof is None:
        return f"{head} {'(GEMM rate and bandwidth not measured)':>52} {c.fmt(seconds, 3):>9}"
    ratio = seconds / roof.roofline_s
    verdict = "n/a" if ratio != ratio else ("PASS" if ratio <= ROOFLINE_TARGET else "FAIL")
    return (
        f"{head} {roof.flops / 1e9:>8,.1f} {roof.bytes / 1e9:>7,.1f} {roof.flop_s:>7.3f} "
        f"{roof.bytes_s:>7.3f} {roof.roofline_s:>8.3f} {c.fmt(seconds, 3):>9} "
        f"{c.fmt(ratio):>7}x {verdict}"
    )


def print_roofline_table(sizes: list[int], runs: dict, gemm: dict | None, quick: bool) -> None:
    """Per grid size: the counts, the two bounds, the roofline, the measured search, the ratio."""
    print(
        f"\nfused search (median) against the roofline; target measured / roofline <= "
        f"{ROOFLINE_TARGET:g} (PASS / FAIL as measured):"
    )
    head = (
        f"{'models':>6} {'H':>7} {'chunks':>6} {'GFLOP':>8} {'GB':>7} {'FLOP s':>7} "
        f"{'bytes s':>7} {'roofline':>8} {'measured':>9} {'ratio':>8}"
    )
    print(head)
    print("-" * (len(head) + 5))
    for n in sizes:
        print(roofline_row(n, runs[f"fused{n}"], gemm, quick))
    for n in sizes:
        run = runs[f"fused{n}"]
        chunks = run.last.get("fused_groups") if run.ok else None
        if chunks and len(chunks) > 1:
            print(f"  {n} models ran as {len(chunks)} fused chunks (memory budget): {chunks}")
        note = cache_note(roofline_preset(n, quick), gemm, run.median("inner_s"))
        if note and run.ok:
            print(f"  {n} models: {note}")
    if measured(gemm):
        fused4 = ", ".join(
            f"{n}: {grid_roofline(roofline_preset(n, quick), gemm, FUSED_PASSES).roofline_s:.3f} s"
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


def roofline_main(args, sizes: list[int]) -> int:
    """The roofline preset: each grid size's fused search, then the GEMM rate and bandwidth."""
    quick = args.quick
    rounds = 1 if quick else (args.rounds if args.rounds is not None else 3)
    if not print_roofline_header(sizes, quick):
        return 1
    labels = {f"fused{n}": roofline_preset(n, quick).approaches["fused"] for n in sizes}
    child_args = ["--preset", "roofline", *(["--quick"] if quick else [])]
    runs = c.run_rounds(FUSED_SCRIPT, labels, child_args, rounds)
    gemm = None if args.no_gemm else run_gemm(FUSED_SCRIPT, ["--quick"] if quick else [])
    sizes_args = ["--preset", "roofline", "--sizes", ",".join(map(str, sizes))]
    products = None if args.no_gemm else run_products(FUSED_SCRIPT, [*sizes_args, *child_args[2:]])
    c.print_table(runs, rounds)
    if measured(gemm):
        print()
        print_rates(gemm)
    print_roofline_table(sizes, runs, gemm, quick)
    print_products(sizes, runs, gemm, products, quick)
    return c.finish(runs)


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
    print(head)
    print("-" * len(head))
    for n in sizes:
        entry, run = products.get(str(n)), runs[f"fused{n}"]
        if not entry:
            continue
        roof = grid_roofline(roofline_preset(n, quick), gemm)
        over_roof = entry["products_s"] / roof.roofline_s if roof else float("nan")
        seconds = run.median("inner_s") if run.ok else float("nan")
        print(
            f"{n:>6} {entry['H']:>7} {entry['products_s']:>10.3f} {c.fmt(over_roof):>9}x "
            f"{c.fmt(seconds / entry['products_s']):>19}x"
        )
    print(
        "  (products / roofline is what the two products cost at the rates they reach, over\n"
        "   the bound at the best rate measured: the search cannot be nearer its roofline)"
    )


if __name__ == "__main__":
    import bench_fused

    sys.exit(bench_fused.main(["--preset", "roofline", *sys.argv[1:]]))
