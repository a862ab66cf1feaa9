"""The fused benchmark's grids: its presets, and the fused approach that trains them.

``bench_fused.py`` (the cpu and gpu presets), ``bench_roofline.py`` and
``bench_process.py`` read them; every child of the three runs through ``bench_fused.py``
(``FUSED_SCRIPT``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import _common as c
import numpy as np
from _reference import BATCH_SIZE, MOMENTUM, start, sync

#: The script every child of the fused benchmark's presets runs as.
FUSED_SCRIPT = str(c.BENCH_DIR / "bench_fused.py")


@dataclass(frozen=True)
class Preset:
    """One setting of the benchmark: what is trained, which ways, and against which targets."""

    name: str
    title: str
    n_train: int
    n_val: int
    lrs: list[float]
    widths: list[int]
    epochs: int
    approaches: dict[str, str]  # name -> row label
    targets: dict[str, float]  # approach -> target of its time / fused time (>=)
    bound_target: float | None  # target of fused time / lower bound (<=); None: for information
    threads: dict[str, int]  # torch threads an approach's child pins on the CPU, before timing
    device: str | None  # default --device; None: the CPU, and --device is refused
    plain_subset: int | None  # default K of --plain-subset; None: plain trains the whole grid
    rounds: int
    packages: list[str]  # versions printed
    quick: bool = False

    @property
    def configs(self) -> list[tuple[float, int]]:
        """Grid order: lr outer, width inner (as ParameterGrid orders {"lr", "width"})."""
        return [(lr, w) for lr in self.lrs for w in self.widths]

    @property
    def extrapolates(self) -> bool:
        """The plain loop may train a subset (warmed up first) and is extrapolated to the grid."""
        return self.plain_subset is not None


PRESETS = {
    "cpu": Preset(
        name="cpu",
        title="Fused MLP grid benchmark",
        n_train=4_000,
        n_val=1_000,
        lrs=[0.001, 0.003, 0.01, 0.03, 0.1],
        widths=[32, 64, 128, 256],
        epochs=3,
        approaches={
            "plain": "(a) plain PyTorch loop, 2 threads",
            "joblib": "(b) joblib loky n_jobs=2, 1 thread/worker",
            "skorch": "(c) skorch + GridSearchCV, n_jobs=2, 1 thread/wkr",
            "fused": "(d) parsearch.fit_grid fused MLPClassifier",
        },
        targets={"plain": 3.0, "joblib": 3.0, "skorch": 4.0},
        bound_target=1.3,
        threads={"plain": 2},  # fused keeps torch's default; joblib, skorch: 1 per worker
        device=None,
        plain_subset=None,
        rounds=3,
        packages=["torch", "scikit-learn", "joblib", "skorch", "numpy"],
    ),
    "gpu": Preset(
        name="gpu",
        title="Fused MLP grid benchmark, GPU preset",
        n_train=50_000,
        n_val=10_000,
        lrs=[0.001, 0.00226, 0.0051, 0.0115, 0.026, 0.0588, 0.133, 0.3],  # geomspace(1e-3, 0.3, 8)
        widths=[16, 32, 64, 128, 256, 512, 1024, 2048],
        epochs=5,
        approaches={"plain": "(a) plain PyTorch loop", "fused": "(d) parsearch.fit_grid fused"},
        targets={"plain": 30.0},
        bound_target=None,
        threads={"plain": 2, "fused": 2},  # where --device is the CPU, as in the CPU preset
        device="cuda",
        plain_subset=8,
        rounds=1,
        packages=["torch", "numpy", "scikit-learn"],
    ),
    "process": Preset(
        name="process",
        title="Whole-process benchmark: a user's fit_grid script against a plain PyTorch loop",
        n_train=50_000,
        n_val=10_000,
        lrs=[0.001, 0.003, 0.01, 0.03, 0.1],
        widths=[32, 64, 128, 256],
        epochs=2,
        approaches={
            "script": "(e) a user's fit_grid script, with out=",
            "loop": "(a) a plain PyTorch loop script",
        },
        targets={"loop": 4.0},
        bound_target=None,
        threads={},  # both scripts keep torch's default, as a user's would
        device=None,
        plain_subset=None,
        rounds=3,
        packages=["torch", "numpy", "scikit-learn", "pandas", "matplotlib"],
    ),
}


# --quick: tiny data, grid and epochs, one round (the GEMM's thin shape stays the full grid's).
QUICK = {
    "cpu": {"n_train": 1_000, "n_val": 500, "lrs": [0.01, 0.1], "widths": [32, 64], "epochs": 1},
    "gpu": {
        "n_train": 1_000,
        "n_val": 500,
        "lrs": [0.01, 0.1],
        "widths": [16, 64, 256, 1024],
        "epochs": 1,
        "plain_subset": 4,
    },
    "process": {
        "n_train": 2_000,
        "n_val": 1_000,
        "lrs": [0.01, 0.1],
        "widths": [32, 64],
        "epochs": 1,
    },
}


# The roofline preset: one fused grid per size, n / 5 learning rates x these widths.
ROOFLINE_SIZES = {False: (20, 100, 400), True: (5, 10)}  # by --quick


ROOFLINE_WIDTHS = [32, 64, 128, 256, 512]


ROOFLINE_TARGET = 1.5  # fused search time / roofline (<=)


ACCURACY_SAME = 0.005  # best accuracies this close count as the same (different batch orders)


def thin_width(name: str) -> int:
    """The summed width of preset ``name``'s full grid: the thin GEMM shape timed, also
    under --quick (2,400 for the CPU grid, 32,640 for the GPU grid)."""
    full = PRESETS[name]
    return sum(full.widths) * len(full.lrs)


def get_preset(name: str, quick: bool) -> Preset:
    """The preset ``name`` of ``PRESETS``, shrunk by ``QUICK`` when ``quick``."""
    return replace(PRESETS[name], quick=True, **QUICK[name]) if quick else PRESETS[name]


def roofline_preset(n_models: int, quick: bool) -> Preset:
    """The roofline preset's grid of ``n_models``: n / 5 learning rates x ``ROOFLINE_WIDTHS``.

    The learning rates are log-spaced over 0.001..0.1 (the CPU preset's range), 3 digits;
    4,000 / 1,000 images, 3 epochs (``--quick``: 1,000 / 500, 1 epoch).
    """
    n_lrs = max(1, n_models // len(ROOFLINE_WIDTHS))
    lrs = sorted({float(f"{v:.3g}") for v in np.geomspace(1e-3, 0.1, n_lrs)})
    p = Preset(
        name="roofline",
        title="Fused MLP grid benchmark, roofline preset",
        n_train=4_000,
        n_val=1_000,
        lrs=lrs,
        widths=ROOFLINE_WIDTHS,
        epochs=3,
        approaches={"fused": f"(d) fused fit_grid, {len(lrs) * len(ROOFLINE_WIDTHS)} models"},
        targets={},
        bound_target=ROOFLINE_TARGET,
        threads={},  # fused keeps torch's default, as in the CPU preset
        device=None,
        plain_subset=None,
        rounds=3,
        packages=["torch", "numpy", "scikit-learn"],
    )
    return replace(p, quick=True, n_train=1_000, n_val=500, epochs=1) if quick else p


def plain_subset(p: Preset, k: int | None) -> list[tuple[float, int]]:
    """``k`` configurations spread over the grid, for the plain loop to train.

    Configuration j takes width ``j % n_widths`` and learning rate ``j * n_lrs // k``: with
    k = 8 on the 8 x 8 grid that is the diagonal, one configuration per width and per
    learning rate; a multiple of the number of widths gives every width equally often, so
    a linear extrapolation of the time to the whole grid is fair. ``k`` None, ``k <= 0`` or
    ``k`` at least the grid size gives the whole grid.
    """
    lrs, widths = p.lrs, p.widths
    if k is None or k <= 0 or k >= len(lrs) * len(widths):
        return p.configs
    return [(lrs[j * len(lrs) // k], widths[j % len(widths)]) for j in range(k)]


def fused_child(p: Preset, data, device, k):
    def imports():
        import torch

        import parsearch

        dev = start(torch, device, p.threads.get("fused"))
        model = parsearch.MLPClassifier(
            depth=1,
            epochs=p.epochs,
            batch_size=BATCH_SIZE,
            optimizer="sgd",
            momentum=MOMENTUM,
            **({"device": device} if device else {}),  # the CPU preset: the default, "auto"
        )
        return torch, dev, parsearch.fit_grid, model

    def search(mods):
        torch, dev, fit_grid, model = mods
        grid = {"lr": p.lrs, "width": p.widths}
        res = fit_grid(model, grid, *data, progress=False)
        sync(torch, dev)
        table, execution = res.table, res.meta.get("execution", {})
        return {
            "best_score": float(res.best_score),
            "best_params": c.jsonable(res.best_params),
            "threads": torch.get_num_threads(),
            "device": execution.get("device"),
            "fused_groups": execution.get("fused_groups"),
            "rows": [
                {"lr": float(lr), "width": int(w), "score": float(s), "status": str(st)}
                for lr, w, s, st in zip(
                    table["lr"], table["width"], table["score"], table["status"]
                )
            ],
        }

    return imports, search
