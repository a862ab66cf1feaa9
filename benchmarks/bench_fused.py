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

roofline (``--preset roofline``): fused grids of 20, 100 and 400 models (``--sizes``), each
    n / 5 learning rates log-spaced 0.001..0.1 x width {32, 64, 128, 256, 512}, 3 epochs,
    4,000 / 1,000 images, depth 1, SGD momentum 0.9, batch 64, through fit_grid as the
    fused approach above; each size in its own process per round (3 rounds, medians), then
    the GEMM child. Prints per size: models, total width H, the fused chunks the memory
    budget cut, FLOPs, bytes, the FLOP bound, the bytes bound, the roofline, the measured
    search and measured / roofline, PASS (<= 1.5) or FAIL.

process (``--preset process``): whole processes on full MNIST (50,000 / 10,000), the cpu
    preset's 20 configurations, 2 epochs. (e) a user's script (``USER_SCRIPT``): imports
    parsearch, ``load_mnist()`` from ``$PARSEARCH_MNIST`` (set to the folder ``_common``
    reads), ``fit_grid(MLPClassifier(...), grid, ..., out=<fresh folder>)`` with its
    defaults (progress bar, heatmap); (a) a plain PyTorch script (``LOOP_SCRIPT``):
    ``_common.mnist_split``'s reader and ``train_one`` copied in, one configuration after
    another. Both written to a temporary folder and run there as ``python script.py``,
    timed whole by the parent, interleaved over 3 rounds; prints the ratio (target loop /
    fit_grid script >= 4 on the process), where each process spent its time, and the best
    accuracy of each (the same within 0.005: the batch orders differ).
"""

from __future__ import annotations

import argparse
import inspect
import string
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import _common as c
import numpy as np
from _reference import BATCH_SIZE, N_IN, N_OUT, make_skorch_module, start, sync
from _roofline import (
    CACHE_COPY_MIB,
    FUSED_PASSES,
    PARAM_PASSES,
    Roofline,
    device_info,
    grid_flops,
    lower_bound,
    measure_gemm,
    products_seconds,
    roofline,
    working_set,
)

MOMENTUM = 0.9


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


def load_data(p: Preset):
    import numpy as np

    X_train, y_train, X_val, y_val = c.mnist_split(p.n_train, p.n_val)
    perm = np.random.default_rng(0).permutation(p.n_train)  # the one pre-shuffle
    return X_train[perm], y_train[perm], X_val, y_val


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


# --------------------------------------------------------------------------------------------
# The roofline: each step's FLOPs and fewest bytes, against the GEMM rate and the bandwidth
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Plain PyTorch training of one configuration (used by "plain" and by the joblib tasks)
# --------------------------------------------------------------------------------------------


def train_one(lr, width, X_train, y_train, X_val, y_val, epochs, batch_size=BATCH_SIZE):
    """Train one depth-1 MLP on tensors; return its final validation accuracy and more.

    Runs on the tensors' device; the only host syncs are one ``.item()`` per epoch (the
    validation accuracy) and one at the end (the last training loss).
    """
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(N_IN, width), nn.ReLU(), nn.Linear(width, N_OUT), nn.LogSoftmax(dim=1)
    ).to(X_train.device)  # initialised on the CPU: the same weights on every device
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    n = X_train.shape[0]
    epoch_scores = []
    loss = torch.tensor(float("nan"))
    for _ in range(epochs):
        for i in range(0, n, batch_size):
            loss = F.nll_loss(model(X_train[i : i + batch_size]), y_train[i : i + batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            pred = model(X_val).argmax(dim=1)
        epoch_scores.append((pred == y_val).float().mean().item())
    return {"lr": lr, "width": width, "score": epoch_scores[-1], "train_loss": loss.item()}


def joblib_task(lr, width, X_train, y_train, X_val, y_val, epochs):
    """One joblib task: one configuration on one torch thread, from numpy arrays."""
    import numpy as np
    import torch

    torch.set_num_threads(1)  # 2 workers x 1 thread on 2 cores: never more threads than cores
    # joblib hands large arrays over as read-only memmaps: copy into tensors
    t = [torch.tensor(np.asarray(a)) for a in (X_train, y_train, X_val, y_val)]
    out = train_one(lr, width, *t, epochs)
    out["threads"] = torch.get_num_threads()
    return out


def best_of(rows: list[dict]) -> dict:
    best = max(rows, key=lambda r: r["score"])
    return {"best_score": best["score"], "best_params": {"lr": best["lr"], "width": best["width"]}}


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
        import numpy as np
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


def make_setup_callback(Callback, torch):
    """A skorch callback that pins 1 torch thread and seeds before the module is built.

    skorch initialises callbacks before the module, so seeding here gives every grid point
    the same initial weights as ``train_one`` (both draw Linear(784, w) then Linear(w, 10)
    right after ``torch.manual_seed(0)``).
    """

    class OneThreadSeed0(Callback):
        def initialize(self):
            torch.set_num_threads(1)
            torch.manual_seed(0)
            return self

    return OneThreadSeed0


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


def measured(gemm: dict | None) -> bool:
    """Whether the GEMM child measured its rates."""
    return gemm is not None and gemm.get("status") == c.OK


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


def print_rates(gemm: dict) -> None:
    """The GEMM rates of every library measured, and the copy bandwidth."""
    where = f"{gemm['threads']} torch threads" if "tf32" not in gemm else "TF32 off"
    print(f"fp32 GEMM, {where}, GFLOP/s (best of several):")
    transposed = "with (N, 784) weights used transposed"
    rows = [(f"torch.mm ({gemm['blas']})", gemm, transposed)]
    if "onednn" in gemm:
        rows.append(
            ("oneDNN", gemm["onednn"], "as (N x 784) @ (784 x 64), the fused step's layout")
        )
    if "tf32" in gemm:
        rows.append(
            (f"torch.mm ({gemm['blas']}), TF32 on, for reference", gemm["tf32"], transposed)
        )
    for name, r, how in rows:
        sq = ", ".join(f"{n}^2 {v:,.1f}" for n, v in r["square_gflops"].items())
        print(
            f"  {name}: square {sq}; thin {gemm['thin_shape']} {r['thin_gflops']:,.1f}, "
            f"{r['thin_t_gflops']:,.1f} {how}"
        )
    line = (
        f"copy bandwidth (read + write, best of short blocks): {gemm['copy_mib']} MiB tensor "
        f"{gemm['copy_gbs']:,.1f} GB/s (memory)"
    )
    if "cache_copy_gbs" in gemm:
        llc = gemm.get("llc_bytes")
        where = f"in the {llc >> 20} MiB L3" if llc else "in cache"
        line += f"; {CACHE_COPY_MIB} MiB tensor {gemm['cache_copy_gbs']:,.1f} GB/s ({where})"
    print(line)


def grid_roofline(p: Preset, gemm: dict | None, passes: int = PARAM_PASSES) -> Roofline | None:
    """``roofline`` of ``p`` at the best measured GEMM rate and bandwidth (None: not measured)."""
    if not measured(gemm):
        return None
    return roofline(p, lower_bound(0.0, gemm)[0], gemm["copy_gbs"], passes)


def cache_note(p: Preset, gemm: dict | None, measured_s: float) -> str | None:
    """For a grid whose working set fits the CPU's L3: the roofline at the in-cache bandwidth.

    Such a grid's parameters need not come from memory each step, so the roofline at the
    memory bandwidth may not bound it; at the in-cache copy bandwidth it does. None for
    a grid that does not fit (or where the cache was not measured).
    """
    if not measured(gemm) or not gemm.get("llc_bytes") or "cache_copy_gbs" not in gemm:
        return None
    llc, ws = gemm["llc_bytes"], working_set([w for _, w in p.configs])
    if ws > llc:
        return None
    bandwidth = max(gemm["cache_copy_gbs"], gemm["copy_gbs"])  # a noisy run may invert them
    roof = roofline(p, lower_bound(0.0, gemm)[0], bandwidth)
    ratio = measured_s / roof.roofline_s
    return (
        f"working set {ws / 1e6:.1f} MB fits the {llc >> 20} MiB L3: at the in-cache bandwidth "
        f"the roofline is {roof.roofline_s:.3f} s (measured / it {c.fmt(ratio)}x)"
    )


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


def measure_products(presets: dict, quick: bool) -> dict:
    """The two layer-1 products of each grid alone, through the fused trainer's backend.

    Per grid (``presets``: label -> Preset; H = the sum of its widths): the forward product
    ``gemm.mm_t(W1, Xb)`` (H x 784 by 784 x b) and the weight-gradient product
    ``gemm.mm_t(dZ1, Xb.T)`` (H x b by b x 784), for a full batch and for the epoch's last
    short one, and the validation forward over the ``n_val`` images; each the best of
    several timed blocks, with 2 torch threads and the trainer's heap setting; no bias, no
    accumulation into the momentum buffer, no update. Their sum over the run is what these
    products cost at the rates the backend reaches on their shapes: a bound that no fusion
    of the other work can beat.
    """
    import torch

    from parsearch.nets import gemm
    from parsearch.nets.memory import heap_for_large_temporaries

    torch.set_num_threads(2)
    dev = torch.device("cpu")
    onednn = gemm.use_onednn(torch.float32, dev)
    block_s, blocks = (0.05, 3) if quick else (0.2, 5)
    out = {"approach": "products", "status": c.OK, "backend": gemm.backend_name(torch.float32, dev)}
    with heap_for_large_temporaries():
        for label, p in presets.items():
            H = sum(w for _, w in p.configs)
            seconds = products_seconds(torch, gemm, H, p, onednn, block_s, blocks)
            out[label] = {"H": H, "products_s": seconds}
    return out


def run_products(child_args: list[str]) -> dict:
    """The products child (see ``measure_products``), with its progress line."""
    print("  layer-1 products alone ...", end=" ", flush=True)
    products = c.run_child(__file__, "products", child_args)
    print("done" if products.get("status") == c.OK else products.get("error"))
    return products


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
    runs = c.run_rounds(__file__, labels, child_args, rounds)
    gemm = None if args.no_gemm else run_gemm(["--quick"] if quick else [])
    sizes_args = ["--preset", "roofline", "--sizes", ",".join(map(str, sizes))]
    products = None if args.no_gemm else run_products([*sizes_args, *child_args[2:]])
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


def run_gemm(child_args: list[str]) -> dict:
    """The GEMM child (rates and copy bandwidth), with its progress line."""
    print("  GEMM rate and copy bandwidth ...", end=" ", flush=True)
    gemm = c.run_child(__file__, "gemm", child_args)
    print("done" if gemm.get("status") == c.OK else gemm.get("error"))
    return gemm


# --------------------------------------------------------------------------------------------
# The whole-process preset: a user's fit_grid script against a plain PyTorch loop script
# --------------------------------------------------------------------------------------------

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


def process_scripts(p: Preset) -> dict[str, str]:
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


def print_process_header(p: Preset, script: str) -> bool:
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


def print_process_verdict(p: Preset, runs: dict) -> None:
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
        runs = c.run_rounds(__file__, labels, [], rounds, runner=runner)
    child_args = ["--preset", "process", *(["--quick"] if args.quick else [])]
    gemm = products = None
    if not args.no_gemm and "script" in runs:
        gemm = run_gemm(child_args)
        products = run_products(child_args)
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


def print_process_roofline(p: Preset, script, gemm, products) -> None:
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
        if args.approach:
            roofline_child(
                args.approach, args.quick, roofline_sizes(parser, args.sizes, args.quick)
            )
            return 0
        return roofline_main(args, roofline_sizes(parser, args.sizes, args.quick))
    if name == "process":
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
    gemm = None if args.no_gemm else run_gemm(child_args)

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
