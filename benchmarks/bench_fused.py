"""Benchmark: a 20-configuration MLP grid on MNIST, four ways, against a GEMM lower bound.

    python benchmarks/bench_fused.py              # 3 rounds, medians
    python benchmarks/bench_fused.py --quick      # seconds-long smoke run (tiny data and grid)
    python benchmarks/bench_fused.py --rounds 5 --approaches plain,joblib,skorch

Grid: lr {0.001, 0.003, 0.01, 0.03, 0.1} x width {32, 64, 128, 256}; depth 1
(Linear(784, w), ReLU, Linear(w, 10), log-softmax, NLL), SGD momentum 0.9, batch 64, 3 epochs.
Data: the first 4,000 images of MNIST's standard train file for training and the next 1,000 for
validation (the file is already in random order); the training part is then permuted once with
a fixed seed (numpy default_rng(0)) and every approach gets the same arrays.

Approaches (each in its own fresh Python process):
  plain   one configuration after another: nn.Sequential, torch.optim.SGD, minibatches sliced
          from the pre-shuffled tensor, torch threads = 2; validation accuracy after each epoch
  joblib  joblib loky n_jobs=2, one configuration per task, torch.set_num_threads(1) per worker
  skorch  NeuralNetClassifier in GridSearchCV(cv=PredefinedSplit, n_jobs=2, refit=False),
          train_split=None, no shuffling (same pre-shuffled order), 1 torch thread per worker
  fused   parsearch.fit_grid(MLPClassifier(depth=1, ...), {"lr", "width"}, progress=False)
Every model starts from torch.manual_seed(0), so plain, joblib and skorch train the same
networks on the same batches; their best accuracies should match closely (float32 runs at
lr=0.1 are chaotic, so not bit for bit).

Targets: plain/fused >= 3, joblib/fused >= 3, skorch/fused >= 4, fused/lower bound <= 1.3.

GPU preset (``--gpu``), the project's GPU target:

    python benchmarks/bench_fused.py --gpu                        # on a CUDA machine
    python benchmarks/bench_fused.py --gpu --device cpu --quick   # smoke run of the same code

Grid: 8 learning rates log-spaced 0.001..0.3 x 8 widths {16, 32, ..., 2048} = 64 configs;
depth 1, SGD momentum 0.9, batch 64, 5 epochs, on full MNIST: the first 50,000 images of the
train file for training (permuted once, seed 0), the last 10,000 for validation. Two
approaches, both on ``--device`` (default cuda): (a) the plain loop above, with the data moved
to the device once and no per-step ``.item()``, and (d) ``fit_grid`` fused with
``MLPClassifier(device=...)``. The plain loop trains only ``--plain-subset`` K configurations
(default 8, one per width and one per learning rate) and its time is extrapolated linearly to
all 64 (its per-configuration times are scaled, the one data transfer is not); the ratio
plain/fused (target >= 30) uses that extrapolation and says so. The plain child first runs a
few untimed warm-up steps, so its one-time costs are not scaled up. One round by default.
MNIST is read from ``$PARSEARCH_MNIST`` when set (see ``_common.MNIST_DIR``).
"""

from __future__ import annotations

import argparse
import sys
import time

import _common as c

APPROACHES = {
    "plain": "(a) plain PyTorch loop, 2 threads",
    "joblib": "(b) joblib loky n_jobs=2, 1 thread/worker",
    "skorch": "(c) skorch + GridSearchCV, n_jobs=2, 1 thread/wkr",
    "fused": "(d) parsearch.fit_grid fused MLPClassifier",
}
TARGETS = {"plain": 3.0, "joblib": 3.0, "skorch": 4.0}
BOUND_TARGET = 1.3

MOMENTUM = 0.9
BATCH_SIZE = 64
N_IN, N_OUT = 784, 10

# The --gpu preset: two approaches on one device, and its target.
GPU_APPROACHES = {
    "plain": "(a) plain PyTorch loop",
    "fused": "(d) parsearch.fit_grid fused",
}
GPU_TARGET = 30.0
GPU_LRS = [0.001, 0.00226, 0.0051, 0.0115, 0.026, 0.0588, 0.133, 0.3]  # geomspace(1e-3, 0.3, 8)
GPU_WIDTHS = [16, 32, 64, 128, 256, 512, 1024, 2048]
GPU_PLAIN_SUBSET = {False: 8, True: 4}  # default K of --plain-subset, by --quick


def setup(quick: bool, gpu: bool = False) -> dict:
    """The benchmark's settings; ``--quick`` shrinks data, grid and epochs; ``gpu``: --gpu."""
    if gpu and quick:
        return {
            "n_train": 1_000,
            "n_val": 500,
            "lrs": [0.01, 0.1],
            "widths": [16, 64, 256, 1024],
            "epochs": 1,
        }
    if gpu:
        return {
            "n_train": 50_000,
            "n_val": 10_000,
            "lrs": GPU_LRS,
            "widths": GPU_WIDTHS,
            "epochs": 5,
        }
    if quick:
        return {"n_train": 1_000, "n_val": 500, "lrs": [0.01, 0.1], "widths": [32, 64], "epochs": 1}
    return {
        "n_train": 4_000,
        "n_val": 1_000,
        "lrs": [0.001, 0.003, 0.01, 0.03, 0.1],
        "widths": [32, 64, 128, 256],
        "epochs": 3,
    }


def load_data(cfg: dict):
    import numpy as np

    X_train, y_train, X_val, y_val = c.mnist_split(cfg["n_train"], cfg["n_val"])
    perm = np.random.default_rng(0).permutation(cfg["n_train"])  # the one pre-shuffle
    return X_train[perm], y_train[perm], X_val, y_val


def configs(cfg: dict) -> list[tuple[float, int]]:
    """Grid order: lr outer, width inner (as ParameterGrid orders {"lr", "width"})."""
    return [(lr, w) for lr in cfg["lrs"] for w in cfg["widths"]]


def plain_subset(cfg: dict, k: int) -> list[tuple[float, int]]:
    """``k`` configurations spread over the grid, for the plain loop of the --gpu preset.

    Configuration j takes width ``j % n_widths`` and learning rate ``j * n_lrs // k``: with
    k = 8 on the 8 x 8 grid that is the diagonal, one configuration per width and per
    learning rate; a multiple of the number of widths gives every width equally often, so
    a linear extrapolation of the time to the whole grid is fair. ``k <= 0`` or ``k`` at least
    the grid size gives the whole grid.
    """
    lrs, widths = cfg["lrs"], cfg["widths"]
    if k <= 0 or k >= len(lrs) * len(widths):
        return configs(cfg)
    return [(lrs[j * len(lrs) // k], widths[j % len(widths)]) for j in range(k)]


def grid_flops(cfg: dict) -> float:
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
    for _, h in configs(cfg):
        train = 2 * (2 * N_IN * h + 3 * N_OUT * h) * cfg["n_train"]
        val = 2 * (N_IN * h + h * N_OUT) * cfg["n_val"]
        total += cfg["epochs"] * (train + val)
    return total


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
# Children: one approach each, in a fresh process
# --------------------------------------------------------------------------------------------


def child(approach: str, quick: bool) -> None:
    cfg = setup(quick)
    if approach == "gemm":
        c.emit(measure_gemm(quick))
        return
    X_train, y_train, X_val, y_val = load_data(cfg)
    epochs = cfg["epochs"]

    if approach == "plain":

        def imports():
            import torch

            torch.set_num_threads(2)
            return torch

        def search(torch):
            t = [torch.from_numpy(a) for a in (X_train, y_train, X_val, y_val)]
            rows = [train_one(lr, w, *t, epochs) for lr, w in configs(cfg)]
            return {**best_of(rows), "threads": torch.get_num_threads()}

    elif approach == "joblib":

        def imports():
            # torch is imported by the workers themselves: part of this approach's cost
            from joblib import Parallel, delayed

            return Parallel, delayed

        def search(mods):
            Parallel, delayed = mods
            rows = Parallel(n_jobs=2, backend="loky")(
                delayed(joblib_task)(lr, w, X_train, y_train, X_val, y_val, epochs)
                for lr, w in configs(cfg)
            )
            return {**best_of(rows), "threads": sorted({r["threads"] for r in rows})}

    elif approach == "skorch":

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
                max_epochs=epochs,
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
                {"lr": cfg["lrs"], "module__width": cfg["widths"]},
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

    elif approach == "fused":

        def imports():
            import torch

            import parsearch

            model = parsearch.MLPClassifier(
                depth=1, epochs=epochs, batch_size=BATCH_SIZE, optimizer="sgd", momentum=MOMENTUM
            )
            return torch, parsearch.fit_grid, model

        def search(mods):
            torch, fit_grid, model = mods
            grid = {"lr": cfg["lrs"], "width": cfg["widths"]}
            res = fit_grid(model, grid, X_train, y_train, X_val, y_val, progress=False)
            params = {
                k: (v.item() if hasattr(v, "item") else v) for k, v in res.best_params.items()
            }
            return {
                "best_score": float(res.best_score),
                "best_params": params,
                "threads": torch.get_num_threads(),
            }

    else:
        raise SystemExit(f"unknown approach {approach!r}")

    c.run_approach(approach, search, imports)


def gpu_child(approach: str, quick: bool, device: str, k: int) -> None:
    """One approach of the --gpu preset, in a fresh process, on ``device``."""
    cfg = setup(quick, gpu=True)
    if approach == "info":
        c.emit(device_info(device))
        return
    if approach == "gemm":
        c.emit(measure_gemm(quick, gpu=True, device=device))
        return
    X_train, y_train, X_val, y_val = load_data(cfg)
    epochs = cfg["epochs"]

    def start(torch):
        """Untimed: threads on the CPU; on CUDA, the context and cuBLAS made ready."""
        dev = torch.device(device)
        if dev.type == "cpu":
            torch.set_num_threads(2)  # as in the CPU benchmark
        else:
            a = torch.ones(64, 64, device=dev)
            (a @ a).sum().item()
        return dev

    def sync(torch, dev):
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    if approach == "plain":

        def imports():
            import torch

            dev = start(torch)
            # Untimed warm-up: a few steps through every kernel the loop uses, so that one-time
            # costs (lazy kernel loading, allocator growth) are not extrapolated K-fold.
            small = [torch.from_numpy(a[: 4 * BATCH_SIZE]).to(dev) for a in (X_train, y_train)]
            train_one(0.01, cfg["widths"][0], *small, *small, 1)
            sync(torch, dev)
            return torch, dev

        def search(mods):
            torch, dev = mods
            t = [torch.from_numpy(a).to(dev) for a in (X_train, y_train, X_val, y_val)]
            rows, seconds = [], []
            for lr, w in plain_subset(cfg, k):
                t0 = time.perf_counter()
                rows.append(train_one(lr, w, *t, epochs))
                sync(torch, dev)
                seconds.append(time.perf_counter() - t0)
            sync(torch, dev)
            return {
                **best_of(rows),
                "threads": torch.get_num_threads(),
                "configs_run": len(rows),
                "configs_total": len(configs(cfg)),
                "config_s": seconds,
                "rows": [{"lr": r["lr"], "width": r["width"], "score": r["score"]} for r in rows],
            }

    elif approach == "fused":

        def imports():
            import torch

            import parsearch

            dev = start(torch)
            model = parsearch.MLPClassifier(
                depth=1,
                epochs=epochs,
                batch_size=BATCH_SIZE,
                optimizer="sgd",
                momentum=MOMENTUM,
                device=device,
            )
            return torch, dev, parsearch.fit_grid, model

        def search(mods):
            torch, dev, fit_grid, model = mods
            grid = {"lr": cfg["lrs"], "width": cfg["widths"]}
            res = fit_grid(model, grid, X_train, y_train, X_val, y_val, progress=False)
            sync(torch, dev)
            params = {
                name: (v.item() if hasattr(v, "item") else v) for name, v in res.best_params.items()
            }
            table = res.table
            return {
                "best_score": float(res.best_score),
                "best_params": params,
                "threads": torch.get_num_threads(),
                "device_used": res.meta.get("execution", {}).get("device"),
                "fused_groups": res.meta.get("execution", {}).get("fused_groups"),
                "rows": [
                    {"lr": float(lr), "width": int(w), "score": float(s), "status": str(st)}
                    for lr, w, s, st in zip(
                        table["lr"], table["width"], table["score"], table["status"]
                    )
                ],
            }

    else:
        raise SystemExit(f"unknown approach {approach!r} for --gpu")

    c.run_approach(approach, search, imports)


def device_info(device: str) -> dict:
    """The device and software the --gpu preset runs on (an error result if it is missing)."""
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


def measure_gemm(quick: bool, gpu: bool = False, device: str = "cpu") -> dict:
    """Best fp32 matmul rates: large square and the fused step's thin shape.

    On the CPU with 2 torch threads, through ``torch.mm`` (MKL on x86) and, where torch
    has it, through oneDNN as ``parsearch.nets.gemm`` calls it (under ``"onednn"``): the lower
    bound takes the best IEEE fp32 rate of either. On a CUDA device the fp32 rates are
    taken with TF32 off (PyTorch's default, what both approaches train with), and again
    with TF32 on, for reference; every timed block ends with ``torch.cuda.synchronize``.
    """
    import torch

    dev = torch.device(device)
    cuda = dev.type == "cuda"
    if not cuda:
        torch.set_num_threads(2)

    def sync():
        if cuda:
            torch.cuda.synchronize(dev)

    def rate(product, flops, block_s, blocks):
        """GFLOP/s of ``product()``: the best of ``blocks`` timed blocks of about ``block_s``.

        Best-of, because on a shared machine the slow blocks measure the neighbours (and a
        GPU's first blocks may run before its clocks are up).
        """
        for _ in range(2):
            product()  # warm-up
        sync()
        t0 = time.perf_counter()
        product()
        sync()
        reps = max(1, round(block_s / max(time.perf_counter() - t0, 1e-6)))
        best = float("inf")
        for _ in range(blocks):
            t0 = time.perf_counter()
            for _ in range(reps):
                product()
            sync()
            best = min(best, (time.perf_counter() - t0) / reps)
        return flops / best / 1e9

    cfg = setup(False, gpu)  # the thin shape is the full grid's, also under --quick
    total_width = sum(cfg["widths"]) * len(cfg["lrs"])  # 2400 (CPU grid), 32640 (GPU grid)
    if cuda:
        block_s, blocks = (0.02, 3) if quick else (0.1, 5)
        sizes = (1024, 2048) if quick else (4096, 8192)
    else:
        block_s, blocks = (0.05, 3) if quick else (0.2, 8)
        sizes = (512, 1024) if quick else (1024, 2048)
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
        "threads": torch.get_num_threads(),
        "thin_shape": f"({BATCH_SIZE} x {N_IN}) @ ({N_IN} x {total_width})",
    }
    if not cuda:
        from parsearch.nets import gemm

        out["blas"] = torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0]
        if gemm.onednn_works():
            out["onednn"] = onednn_rates()
        return {**out, **rates()}
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


# --------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------


def measure_gemm_in_child(child_args: list[str]) -> dict:
    """Run the ``gemm`` child (``measure_gemm``) and say how it went."""
    print("  GEMM rate ...", end=" ", flush=True)
    gemm = c.run_child(__file__, "gemm", child_args)
    print("done" if gemm.get("status") == c.OK else gemm.get("error"))
    return gemm


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--rounds", type=int, help="rounds per approach, median reported (default 3; --gpu: 1)"
    )
    p.add_argument("--quick", action="store_true", help="tiny data and grid, 1 round")
    p.add_argument(
        "--approaches",
        help="comma-separated subset of: " + ", ".join(APPROACHES) + " (--gpu: plain, fused)",
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
        help=f"--gpu only: configurations the plain loop trains, its time extrapolated to the "
        f"grid (default {GPU_PLAIN_SUBSET[False]}; --quick {GPU_PLAIN_SUBSET[True]}; 0: all)",
    )
    p.add_argument("--approach", help=argparse.SUPPRESS)  # child mode
    args = p.parse_args(argv)
    if not args.gpu and (args.device is not None or args.plain_subset is not None):
        p.error("--device and --plain-subset belong to the --gpu preset; add --gpu")
    if args.gpu:
        args.device = args.device or "cuda"
        if args.plain_subset is None:
            args.plain_subset = GPU_PLAIN_SUBSET[args.quick]

    if args.approach:
        if args.gpu:
            gpu_child(args.approach, args.quick, args.device, args.plain_subset)
        else:
            child(args.approach, args.quick)
        return 0

    wanted = c.chosen_approaches(p, args.approaches, GPU_APPROACHES if args.gpu else APPROACHES)
    if args.gpu:
        rounds = 1 if args.quick or args.rounds is None else args.rounds
        return gpu_main(args, wanted, rounds)

    rounds = 1 if args.quick else (args.rounds or 3)
    cfg = setup(args.quick)
    n_train, n_val = cfg["n_train"], cfg["n_val"]

    print("Fused MLP grid benchmark" + (" (QUICK smoke run)" if args.quick else ""))
    c.print_machine(["torch", "scikit-learn", "joblib", "skorch", "numpy"])
    print(
        f"data    : MNIST train file, images 0..{n_train - 1} train (permuted once, seed 0), "
        f"{n_train}..{n_train + n_val - 1} validation; (x - train mean) / train std, float32"
    )
    print(
        f"grid    : lr {cfg['lrs']} x width {cfg['widths']} = {len(configs(cfg))} configs; "
        f"depth 1, SGD momentum {MOMENTUM}, batch {BATCH_SIZE}, {cfg['epochs']} epoch(s)"
    )
    print()

    child_args = ["--quick"] if args.quick else []
    runs = c.run_rounds(__file__, {k: APPROACHES[k] for k in wanted}, child_args, rounds)

    gemm = None if args.no_gemm else measure_gemm_in_child(child_args)

    c.print_table(runs, rounds)

    flops = grid_flops(cfg)
    bound = None
    print()
    if gemm is not None and gemm.get("status") == c.OK:
        print(f"fp32 GEMM, {gemm['threads']} torch threads, GFLOP/s (best of several):")
        sq = ", ".join(f"{n}^2 {v:.1f}" for n, v in gemm["square_gflops"].items())
        print(
            f"  torch.mm ({gemm['blas']}): square {sq}; thin {gemm['thin_shape']} "
            f"{gemm['thin_gflops']:.1f}, {gemm['thin_t_gflops']:.1f} with (N, 784) weights "
            "used transposed"
        )
        if "onednn" in gemm:
            r = gemm["onednn"]
            sq = ", ".join(f"{n}^2 {v:.1f}" for n, v in r["square_gflops"].items())
            print(
                f"  oneDNN: square {sq}; thin {gemm['thin_shape']} {r['thin_gflops']:.1f}, "
                f"{r['thin_t_gflops']:.1f} as (N x 784) @ (784 x 64), the fused step's layout"
            )
        best_rate, bound, thin_bound = c.lower_bound(flops, gemm)
        print(
            f"grid FLOPs (matmuls, see grid_flops) {flops / 1e9:.1f} GFLOP -> lower bound "
            f"{bound:.3f} s at the best rate ({best_rate:.1f} GFLOP/s); "
            f"{thin_bound:.3f} s at the thin-shape rate"
        )
    else:
        print(f"grid FLOPs (matmuls) {flops / 1e9:.1f} GFLOP; GEMM rate not measured")

    print()
    fused = runs.get("fused", c.Runs("fused", APPROACHES["fused"], status="not run"))
    for name, target in TARGETS.items():
        if name in runs:
            print(c.ratio_line(f"{name} / fused", runs[name], fused, ">=", target))
    if bound is not None:
        if fused.ok:
            r_in = fused.median("inner_s") / bound
            r_out = fused.median("outer_s") / bound
            ok = "met" if r_in <= BOUND_TARGET else "NOT met"
            print(
                f"{'fused / lower bound':<28} search {r_in:6.2f}x ({ok})   "
                f"process {r_out:6.2f}x (imports included)   target search <= {BOUND_TARGET:g}"
            )
        else:
            print(
                f"{'fused / lower bound':<28} n/a (fused not measured)   target <= {BOUND_TARGET:g}"
            )
    if not fused.ok:
        print(
            f"\nNOTE: the parsearch fused approach was not measured ({fused.status}); "
            "the other approaches are shown above."
        )

    done = [r for r in runs.values() if r.ok]
    if len(done) >= 2:
        accs = {r.name: r.median("best_score") for r in done}
        spread = max(accs.values()) - min(accs.values())
        verdict = "about equal" if spread <= 0.02 else "NOT about equal (spread > 0.02)"
        text = ", ".join(f"{k} {v:.4f}" for k, v in accs.items())
        print(f"\nbest accuracies: {text} -> spread {spread:.4f}, {verdict}")
    for r in done:
        threads = r.extra.get("threads")
        extra = f", torch threads {threads}" if threads is not None else ""
        print(f"  {r.name:<7} best params {r.extra.get('best_params')}{extra}")

    return c.finish(runs)


def gpu_main(args, wanted: list[str], rounds: int) -> int:
    """Parent of the --gpu preset: plain loop (extrapolated) against fused, on one device."""
    quick, device = args.quick, args.device
    cfg = setup(quick, gpu=True)
    n_configs = len(configs(cfg))
    subset = plain_subset(cfg, args.plain_subset)
    k_run = len(subset)

    print("Fused MLP grid benchmark, GPU preset" + (" (QUICK smoke run)" if quick else ""))
    c.print_machine(["torch", "numpy", "scikit-learn"])
    images = c.MNIST_DIR / "train-images-idx3-ubyte.gz"
    if not images.is_file():
        print(f"\nERROR: {images} not found: set PARSEARCH_MNIST to a folder holding MNIST's files")
        return 1
    child_args = ["--gpu", "--device", device, "--plain-subset", str(args.plain_subset)]
    child_args += ["--quick"] if quick else []
    info = c.run_child(__file__, "info", child_args, timeout=600)
    if info.get("status") != c.OK:
        print(f"\nERROR: device {device!r} not usable: {info.get('error')}")
        return 1
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
    n_train, n_val = cfg["n_train"], cfg["n_val"]
    print(
        f"data    : MNIST train file ({c.MNIST_DIR}), images 0..{n_train - 1} train (permuted "
        f"once, seed 0), {n_train}..{n_train + n_val - 1} validation; float32, standardised"
    )
    print(
        f"grid    : lr {cfg['lrs']} x width {cfg['widths']} = {n_configs} configs; "
        f"depth 1, SGD momentum {MOMENTUM}, batch {BATCH_SIZE}, {cfg['epochs']} epoch(s)"
    )
    print(f"plain   : trains {k_run} of the {n_configs} configs (lr, width): {subset}")
    print()

    labels = {
        "plain": f"{GPU_APPROACHES['plain']}, {device}, {k_run}/{n_configs} cfgs",
        "fused": f"{GPU_APPROACHES['fused']}, {device}",
    }
    runs = c.run_rounds(__file__, {k: labels[k] for k in wanted}, child_args, rounds)

    gemm = None if args.no_gemm else measure_gemm_in_child(child_args)

    c.print_table(runs, rounds)
    plain = runs.get("plain", c.Runs("plain", labels["plain"], status="not run"))
    fused = runs.get("fused", c.Runs("fused", labels["fused"], status="not run"))

    # --- plain loop: measured on k_run configs, extrapolated linearly to the grid ----------
    factor = n_configs / k_run
    plain_search = plain_process = float("nan")
    print()
    if plain.ok:
        # The configurations' own times are scaled up; the data transfer is counted once.
        measured = plain.median("inner_s")
        extra = sum(plain.extra["config_s"]) * (factor - 1)
        plain_search = measured + extra
        plain_process = plain.median("outer_s") + extra
        by_width: dict[int, list[float]] = {}
        for row, sec in zip(plain.extra["rows"], plain.extra["config_s"]):
            by_width.setdefault(row["width"], []).append(sec)
        per = ", ".join(f"w{w} {sum(v) / len(v):.2f}" for w, v in sorted(by_width.items()))
        print(f"plain loop, seconds per configuration by width (last round): {per}")
        if k_run == n_configs:
            print(f"plain loop MEASURED on all {n_configs} configs: search {measured:.2f} s")
        else:
            print(
                f"plain loop MEASURED on {k_run} of {n_configs} configs: search {measured:.2f} s; "
                f"EXTRAPOLATED linearly x{factor:g} to all {n_configs}: search "
                f"{plain_search:.1f} s, process {plain_process:.1f} s"
            )
            if k_run % len(cfg["widths"]):
                print(
                    f"  (K = {k_run} is not a multiple of the {len(cfg['widths'])} widths: "
                    "widths are unevenly represented, so the extrapolation is rough)"
                )

    # --- GEMM rates and the lower bound ------------------------------------------------------
    flops = grid_flops(cfg)
    bound = None
    print()
    if gemm is not None and gemm.get("status") == c.OK:
        precisions = [("fp32 (TF32 off)" if "tf32" in gemm else "fp32", gemm)]
        if "tf32" in gemm:
            precisions.append(("TF32 on, for reference", gemm["tf32"]))
        if "onednn" in gemm:  # a CPU dry run: oneDNN measured too
            precisions.append(("fp32 through oneDNN", gemm["onednn"]))
        for name, r in precisions:
            sq = ", ".join(f"{n}^2 {v:,.0f}" for n, v in r["square_gflops"].items())
            print(
                f"GEMM {name}, GFLOP/s (best of several): square {sq}; thin "
                f"{gemm['thin_shape']} {r['thin_gflops']:,.0f}, "
                f"{r['thin_t_gflops']:,.0f} with (N, 784) weights used transposed"
            )
        best_rate, bound, thin_bound = c.lower_bound(flops, gemm)
        print(
            f"grid FLOPs (matmuls, see grid_flops) {flops / 1e9:,.1f} GFLOP -> lower bound "
            f"{bound:.3f} s at the best fp32 rate ({best_rate:,.0f} GFLOP/s); "
            f"{thin_bound:.3f} s at the fp32 thin-shape rate"
        )
    else:
        print(f"grid FLOPs (matmuls) {flops / 1e9:,.1f} GFLOP; GEMM rate not measured")

    # --- ratios ------------------------------------------------------------------------------
    print()
    where = "" if device.startswith("cuda") else f" (the target is for a GPU; this ran on {device})"
    how = "measured" if k_run == n_configs else f"extrapolated from {k_run} of {n_configs} configs"
    if plain.ok and fused.ok:
        r_in = plain_search / fused.median("inner_s")
        r_out = plain_process / fused.median("outer_s")
        ok = "met" if r_in >= GPU_TARGET else "NOT met"
        print(
            f"plain / fused, plain {how}: search {r_in:.1f}x ({ok}), process {r_out:.1f}x   "
            f"target search >= {GPU_TARGET:g}{where}"
        )
    else:
        missing = ", ".join(r.name for r in (plain, fused) if not r.ok)
        print(f"plain / fused: n/a ({missing} not measured)   target >= {GPU_TARGET:g}")
    if bound is not None and fused.ok:
        print(
            f"fused / lower bound: search {fused.median('inner_s') / bound:.2f}x, process "
            f"{fused.median('outer_s') / bound:.2f}x (for information; no GPU target)"
        )

    # --- accuracies --------------------------------------------------------------------------
    if fused.ok:
        print(
            f"\nfused best val acc {fused.median('best_score'):.4f} over all {n_configs} configs, "
            f"params {fused.extra.get('best_params')}, device {fused.extra.get('device_used')}, "
            f"fused groups {fused.extra.get('fused_groups')}"
        )
    if plain.ok:
        print(
            f"plain best val acc {plain.median('best_score'):.4f} over its {k_run} configs, "
            f"params {plain.extra.get('best_params')}"
        )
    if plain.ok and fused.ok:
        fused_at = {(r["lr"], r["width"]): r for r in fused.extra["rows"]}
        print(
            "on the plain loop's configs (last round; different batch orders, so close, not equal):"
        )
        print(f"  {'lr':>8} {'width':>6} {'plain acc':>10} {'fused acc':>10} {'plain s':>8}")
        for row, sec in zip(plain.extra["rows"], plain.extra["config_s"]):
            f = fused_at.get((row["lr"], row["width"]), {})
            f_acc = fmt_acc(f.get("score"))
            status = f" {f['status']}" if f.get("status") not in (None, "ok") else ""
            print(
                f"  {row['lr']:>8g} {row['width']:>6} {fmt_acc(row['score']):>10} "
                f"{f_acc:>10} {sec:>8.2f}{status}"
            )

    return c.finish(runs)


def fmt_acc(x) -> str:
    return "n/a" if x is None or x != x else f"{x:.4f}"


if __name__ == "__main__":
    sys.exit(main())
