"""Benchmark: a grid of depth-1 MLPs on MNIST, trained several ways, against a GEMM lower bound.

    python benchmarks/bench_fused.py              # CPU preset: 3 rounds, medians
    python benchmarks/bench_fused.py --quick      # seconds-long smoke run (tiny data and grid)
    python benchmarks/bench_fused.py --rounds 5 --approaches plain,joblib,skorch
    python benchmarks/bench_fused.py --gpu                        # GPU preset, on a CUDA machine
    python benchmarks/bench_fused.py --gpu --device cpu --quick   # smoke run of the GPU preset

Every model is Linear(784, w), ReLU, Linear(w, 10), log-softmax, NLL, trained with SGD momentum
0.9, batch 64, from torch.manual_seed(0). Data: the first n_train images of MNIST's standard
train file for training and the next n_val for validation (the file is already in random order);
the training part is permuted once with a fixed seed (numpy default_rng(0)) and every approach
gets the same arrays. MNIST is read from ``$PARSEARCH_MNIST`` when set (see ``_common``).

The two presets (``PRESETS``; ``--quick`` shrinks either, see ``QUICK``):

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
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace

import _common as c

MOMENTUM = 0.9
BATCH_SIZE = 64
N_IN, N_OUT = 784, 10


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
}


def get_preset(gpu: bool, quick: bool) -> Preset:
    name = "gpu" if gpu else "cpu"
    return replace(PRESETS[name], quick=True, **QUICK[name]) if quick else PRESETS[name]


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


def grid_flops(p: Preset) -> float:
    """Floating-point operations the whole grid needs at minimum (matmuls only).

    A matmul (m x k) @ (k x n) is 2*m*k*n FLOPs (a multiply and an add). Per training sample
    and model of hidden width h:
      forward   2*(784*h + h*10)          layer 1 and layer 2
      backward  2*(784*h)                 layer-1 weight gradient (no input gradient needed)
              + 2*(h*10)*2                layer-2 weight gradient and its input gradient
    so 2*(2*784*h + 3*10*h) per sample, times n_train samples and the epochs; plus, after every
    epoch, a validation forward of 2*(784*h + h*10) for each of the n_val images. Biases, ReLU,
    log-softmax and the SGD update are O(h) per step and left out.
    """
    total = 0.0
    for _, h in p.configs:
        train = 2 * (2 * N_IN * h + 3 * N_OUT * h) * p.n_train
        val = 2 * (N_IN * h + h * N_OUT) * p.n_val
        total += p.epochs * (train + val)
    return total


def lower_bound(flops: float, gemm: dict) -> tuple[float, float, float]:
    """The grid's time at the best and at the thin-shape GEMM rate.

    The rates are the best of every IEEE fp32 library measured (``gemm`` itself, and
    ``gemm["onednn"]`` where the CPU child measured oneDNN too); TF32 rates are not used.

    Returns
    -------
    (best_rate, bound_s, thin_bound_s): GFLOP/s, and seconds at each rate.
    """
    sources = [gemm, *([gemm["onednn"]] if "onednn" in gemm else [])]
    thin_rate = max(max(s["thin_gflops"], s["thin_t_gflops"]) for s in sources)
    best_rate = max([thin_rate, *(v for s in sources for v in s["square_gflops"].values())])
    return best_rate, flops / (best_rate * 1e9), flops / (thin_rate * 1e9)


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


def start(torch, device: str | None, threads: int | None):
    """Untimed: torch's threads pinned on the CPU; on CUDA, the context and cuBLAS made ready."""
    dev = torch.device(device or "cpu")
    if dev.type == "cpu":
        if threads:
            torch.set_num_threads(threads)
    else:
        a = torch.ones(64, 64, device=dev)
        (a @ a).sum().item()
    return dev


def sync(torch, dev) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


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


def make_skorch_module(nn):
    """The depth-1 network as a module class for skorch (returns logits)."""

    class MLP(nn.Module):
        def __init__(self, width=32):
            super().__init__()
            self.hidden = nn.Linear(N_IN, width)
            self.relu = nn.ReLU()
            self.out = nn.Linear(width, N_OUT)

        def forward(self, X):
            return self.out(self.relu(self.hidden(X)))

    return MLP


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


def device_info(device: str) -> dict:
    """The device and software the preset runs on (an error result if it is missing)."""
    import torch

    out = {
        "approach": "info",
        "status": c.OK,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
        "precision": torch.get_float32_matmul_precision(),
    }
    dev = torch.device(device)
    if dev.type != "cuda":
        return {**out, "name": f"CPU ({c.cpu_model()})"}
    if not torch.cuda.is_available():
        return {
            **out,
            "status": c.ERROR,
            "error": f"--device {device} but torch.cuda.is_available() is False "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})",
        }
    props = torch.cuda.get_device_properties(dev)
    return {
        **out,
        "name": torch.cuda.get_device_name(dev),
        "capability": f"{props.major}.{props.minor}",
        "sms": props.multi_processor_count,
        "memory_gib": props.total_memory / 2**30,
        "cudnn": torch.backends.cudnn.version(),
    }


def measure_gemm(p: Preset, device: str | None) -> dict:
    """Best fp32 matmul rates: large square and the fused step's thin shape.

    On the CPU with 2 torch threads, through ``torch.mm`` (MKL on x86) and, where torch
    has it, through oneDNN as ``parsearch.nets.gemm`` calls it (under ``"onednn"``): the lower
    bound takes the best IEEE fp32 rate of either. On a CUDA device the fp32 rates are
    taken with TF32 off (PyTorch's default, what both approaches train with), and again
    with TF32 on, for reference; every timed block ends with ``torch.cuda.synchronize``.
    """
    import torch

    dev = torch.device(device or "cpu")
    cuda = dev.type == "cuda"
    if not cuda:
        torch.set_num_threads(2)

    def rate(product, flops, block_s, blocks):
        """GFLOP/s of ``product()``: the best of ``blocks`` timed blocks of about ``block_s``.

        Best-of, because on a shared machine the slow blocks measure the neighbours (and a
        GPU's first blocks may run before its clocks are up).
        """
        for _ in range(2):
            product()  # warm-up
        sync(torch, dev)
        t0 = time.perf_counter()
        product()
        sync(torch, dev)
        reps = max(1, round(block_s / max(time.perf_counter() - t0, 1e-6)))
        best = float("inf")
        for _ in range(blocks):
            t0 = time.perf_counter()
            for _ in range(reps):
                product()
            sync(torch, dev)
            best = min(best, (time.perf_counter() - t0) / reps)
        return flops / best / 1e9

    full = PRESETS[p.name]  # the thin shape is the full grid's, also under --quick
    total_width = sum(full.widths) * len(full.lrs)  # 2400 (CPU grid), 32640 (GPU grid)
    if cuda:
        block_s, blocks = (0.02, 3) if p.quick else (0.1, 5)
        sizes = (1024, 2048) if p.quick else (4096, 8192)
    else:
        block_s, blocks = (0.05, 3) if p.quick else (0.2, 8)
        sizes = (512, 1024) if p.quick else (1024, 2048)
    g = torch.Generator().manual_seed(0)
    mats = {str(n): (torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)) for n in sizes}
    x = torch.randn(BATCH_SIZE, N_IN, generator=g)
    w = torch.randn(N_IN, total_width, generator=g)  # (784, N)
    w_t = torch.randn(total_width, N_IN, generator=g)  # (N, 784), like nn.Linear.weight
    mats = {k: (a.to(dev), b.to(dev)) for k, (a, b) in mats.items()}
    x, w, w_t = x.to(dev), w.to(dev), w_t.to(dev)
    thin_flops = 2.0 * BATCH_SIZE * N_IN * total_width

    def rates() -> dict:
        return {
            "square_gflops": {
                n: rate(lambda a=a, b=b: a @ b, 2.0 * int(n) ** 3, block_s, blocks)
                for n, (a, b) in mats.items()
            },
            "thin_gflops": rate(lambda: x @ w, thin_flops, block_s, blocks),
            "thin_t_gflops": rate(lambda: x @ w_t.T, thin_flops, block_s, blocks),
        }

    def onednn_rates() -> dict:
        """The same products through oneDNN; the second thin one as the fused step has it."""
        from parsearch.nets import gemm

        return {
            "square_gflops": {
                n: rate(
                    lambda a=a, bt=b.T: gemm.mm_t(a, bt, True), 2.0 * int(n) ** 3, block_s, blocks
                )
                for n, (a, b) in mats.items()
            },
            "thin_gflops": rate(lambda: gemm.mm_t(x, w_t, True), thin_flops, block_s, blocks),
            "thin_t_gflops": rate(lambda: gemm.mm_t(w_t, x, True), thin_flops, block_s, blocks),
        }

    out = {
        "approach": "gemm",
        "status": c.OK,
        "device": str(dev),
        "threads": torch.get_num_threads(),
        "thin_shape": f"({BATCH_SIZE} x {N_IN}) @ ({N_IN} x {total_width})",
    }
    if not cuda:
        from parsearch.nets import gemm

        out["blas"] = torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0]
        if gemm.onednn_works():
            out["onednn"] = onednn_rates()
        return {**out, **rates()}
    out["blas"] = "cuBLAS"
    # This child exits right after, so the setting is not restored. One API only: PyTorch 2.9+
    # may refuse to read a precision that was set through the other.
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):  # PyTorch >= 2.9

        def precision(tf32_on):
            matmul.fp32_precision = "tf32" if tf32_on else "ieee"

    else:

        def precision(tf32_on):
            torch.set_float32_matmul_precision("high" if tf32_on else "highest")

    precision(False)  # TF32 off: true fp32, as both approaches train
    fp32 = rates()
    precision(True)
    return {**out, **fp32, "tf32": rates()}


def child(approach: str, p: Preset, device: str | None, k: int | None) -> None:
    if approach == "info":
        return c.emit(device_info(device or "cpu"))
    if approach == "gemm":
        return c.emit(measure_gemm(p, device))
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
    if gemm is None or gemm.get("status") != c.OK:
        print(f"grid FLOPs (matmuls) {flops / 1e9:,.1f} GFLOP; GEMM rate not measured")
        return None
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
    best_rate, bound, thin_bound = lower_bound(flops, gemm)
    print(
        f"grid FLOPs (matmuls, see grid_flops) {flops / 1e9:,.1f} GFLOP -> lower bound "
        f"{bound:.3f} s at the best rate ({best_rate:,.1f} GFLOP/s); "
        f"{thin_bound:.3f} s at the thin-shape rate"
    )
    return bound


def print_ratios(p: Preset, runs: dict, scaled: dict, bound: float | None, device) -> None:
    """Each approach / fused against its target, then fused / lower bound."""
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--rounds", type=int, help="rounds per approach, median reported (default 3; --gpu: 1)"
    )
    p.add_argument("--quick", action="store_true", help="tiny data and grid, 1 round")
    p.add_argument(
        "--approaches",
        help="comma-separated subset of: "
        + ", ".join(PRESETS["cpu"].approaches)
        + f" (--gpu: {', '.join(PRESETS['gpu'].approaches)})",
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
    args = p.parse_args(argv)
    preset = get_preset(args.gpu, args.quick)
    if preset.device is None and args.device is not None:
        p.error("--device belongs to the --gpu preset; add --gpu")
    if not preset.extrapolates and args.plain_subset is not None:
        p.error("--plain-subset belongs to the --gpu preset; add --gpu")
    device = args.device or preset.device
    k = args.plain_subset if args.plain_subset is not None else preset.plain_subset

    if args.approach:
        child(args.approach, preset, device, k)
        return 0

    wanted = c.chosen_approaches(p, args.approaches, preset.approaches)
    rounds = 1 if args.quick else (args.rounds if args.rounds is not None else preset.rounds)
    child_args = ["--gpu"] if args.gpu else []
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

    gemm = None
    if not args.no_gemm:
        print("  GEMM rate ...", end=" ", flush=True)
        gemm = c.run_child(__file__, "gemm", child_args)
        print("done" if gemm.get("status") == c.OK else gemm.get("error"))

    c.print_table(runs, rounds)
    scaled = {}
    if preset.extrapolates and "plain" in runs and runs["plain"].ok:
        scaled["plain"] = extrapolate_plain(preset, runs["plain"])
    bound = print_gemm(gemm, grid_flops(preset))
    print_ratios(preset, runs, scaled, bound, device)
    print_accuracies(preset, runs)
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
