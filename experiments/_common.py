"""What every experiment script shares: its command line, the data, the summary."""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from parsearch import fit_grid, load_mnist
from parsearch.plot import plot_epoch_scores, save_figure

ROOT = Path(__file__).resolve().parents[1]


def parse_args(name, description):
    """Parse ``--quick``, ``--out``, ``--data`` and ``--download`` for experiment ``name``.

    ``--quick`` runs in seconds and writes to ``results/_scratch/NAME`` (ignored by
    git) unless ``--out`` says otherwise; so does a run on the embedded subset. Only a
    full-MNIST run writes ``results/NAME``, which holds the committed results.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a seconds-long run")
    parser.add_argument("--out", type=Path, help=f"results folder (default results/{name})")
    parser.add_argument(
        "--data",
        help="MNIST folder or .npz (default: $PARSEARCH_MNIST, the cache, else the "
        "embedded 5,000-image subset)",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="download full MNIST into the cache (~/.cache/parsearch/mnist) if none is found",
    )
    args = parser.parse_args()
    args.name, args.out_given = name, args.out is not None
    if args.out is None:
        args.out = ROOT / "results" / ("_scratch" if args.quick else "") / name
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return args


def load_data(args, quick_train=10_000):
    """Load MNIST; ``--quick`` keeps at most ``quick_train`` training images."""
    data = load_mnist(args.data, download=args.download)
    if args.quick:
        data = dataclasses.replace(
            data, X_train=data.X_train[:quick_train], y_train=data.y_train[:quick_train]
        )
    print(f"data: {data}")
    if not data.is_full and not args.out_given and not args.quick:
        # results/NAME holds the committed full-MNIST results: a subset run goes aside.
        args.out = ROOT / "results" / "_scratch" / args.name
        print(f"not full MNIST: writing to {args.out} (pass --out to choose)")
    return data


def search(model, grid, data, args, **kwargs):
    """``fit_grid`` on the data's train/validation split into ``args.out``, afresh; print the best.

    Experiments start afresh (``resume=False``): their folder holds one run.
    """
    result = fit_grid(
        model,
        grid,
        data.X_train,
        data.y_train,
        data.X_val,
        data.y_val,
        out=args.out,
        resume=False,
        **kwargs,
    )
    print_top(result)
    return result


def print_top(result, n=5):
    """Print the best configurations of a ``GridResult``."""
    shown = result.top(n)
    params = list(result.axes)
    print(
        f"\ntop {len(shown)} by {result.metric} "
        f"({'higher' if result.greater_is_better else 'lower'} is better):"
    )
    print(shown[[*params, "score", "fit_seconds"]].to_string(index=False))
    print(f"results in {result.out}")


def save_learning_curves(result, args, top=5):
    """Write the learning curves of the ``top`` networks to ``learning_curves.png``."""
    fig = plot_epoch_scores(result.table, metric=result.metric, top=top)
    save_figure(fig, args.out / "learning_curves.png")


def print_fused_run(result):
    """Print where a network grid trained, in which fused groups, and how long it took."""
    execution = result.meta["execution"]
    print(
        f"trained on {execution['device']} in fused groups of {execution['fused_groups']} "
        f"models: {result.meta['wall_seconds']:.1f} s for {len(result.table)} networks"
    )
