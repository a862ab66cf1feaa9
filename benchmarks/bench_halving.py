"""Benchmark (issue 12): successive halving of a sampled MLP space, fused and three other ways.

    python benchmarks/bench_halving.py                   # CPU preset, 1 round (~15 min, 2 cores)
    python benchmarks/bench_halving.py --quick           # smoke run: 27 points, up to 9 epochs
    python benchmarks/bench_halving.py --approaches halving,optuna --rounds 3
    python benchmarks/bench_halving.py --gpu             # GPU preset: full MNIST, on cuda
    python benchmarks/bench_halving.py --gpu --device cpu --quick   # smoke run of the GPU preset
    python benchmarks/bench_halving.py --approach optuna [--quick] [--gpu]   # one child, here

The space, the same for every approach: lr ~ loguniform(1e-3, 0.5) x width {32, 64, 128, 256,
512} x momentum {0, 0.9}, depth 1. ``parsearch.sample_space(space, 243, seed=0,
method="sobol")`` draws the 243 configurations once (in the parent, which hands them to every
child in a file with the data, so all four train exactly the same points on exactly the same
arrays). Every network is Linear(784, w), ReLU, Linear(w, 10), softmax cross-entropy, plain SGD
(torch's rule, with the configuration's momentum), batch 64, up to 27 epochs, and in every
approach it starts from ``MLPClassifier(seed=0)``'s initial weights (uniform +-1/sqrt(fan_in)
from a generator seeded 0, layer by layer, weight then bias) and sees MLPClassifier's batch
order (epoch e: the e-th ``numpy.random.default_rng(0).permutation`` of the training rows): a
configuration trained for e epochs is the same model, to float rounding, in all four, so the
approaches differ only in which models they train how far, and how fast.

Approaches, each in its own fresh Python process (``_common.run_rounds``):

full     (a) ``parsearch.fit_grid(MLPClassifier(depth=1, epochs=27), configs)``: all 243 trained
         to 27 epochs as one fused model.
halving  (b) the same with ``halving=parsearch.Halving(factor=3, min_resource=1)``: synchronous
         successive halving, 243 -> 81 -> 27 -> 9 models at 1, 3, 9, 27 epochs, the survivors
         going on from where they stopped (243 + 81*2 + 27*6 + 9*18 = 729 model-epochs).
optuna   (c) Optuna, the 243 points enqueued (``study.enqueue_trial``) into a study with
         ``RandomSampler(seed=0)`` (every trial is enqueued, so the sampler never draws) and
         ``SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)``, maximize, in-memory
         storage, one trial after another. Each trial is a plain PyTorch loop
         (``nn.Sequential``, ``torch.optim.SGD``), ``trial.report`` of the validation
         accuracy after every epoch and ``trial.should_prune()`` after every epoch but the
         last. A trial whose loss or validation outputs turn NaN/inf stops there and returns
         NaN (Optuna marks it FAIL). torch's default threads (all cores, one process).
sklearn  (d) scikit-learn ``HalvingRandomSearchCV`` over skorch's ``NeuralNetClassifier``,
         ``resource="max_epochs"``, ``min_resources=1``, ``max_resources=27``, ``factor=3``,
         ``cv=PredefinedSplit`` (train rows -1, validation rows fold 0), ``n_jobs=2``,
         ``refit=False``, ``scoring="accuracy"``. ``param_distributions`` is the list of 243
         one-point dicts and ``n_candidates=243``: with lists only, scikit-learn's
         ``ParameterSampler`` samples the grid of that list *without* replacement, so the
         candidates are exactly the 243 points (in a shuffled order). Each candidate is
         retrained from scratch at every iteration (243*1 + 81*3 + 27*9 + 9*27 = 972
         model-epochs). The batch order comes from ``iterator_train__sampler`` (a sampler
         yielding the epoch's permutation; each fit gets a fresh copy through ``clone``). On
         the CPU each worker pins 1 torch thread (2 workers on 2 cores).

Model-epochs: (a) 27 per model, but a model found diverged at the end of epoch e counts e (the
fused trainer freezes it; its later epoch scores are NaN); (b) the table's ``epochs_trained``;
(c) epochs each trial actually ran; (d) ``sum(cv_results_["n_resources"])``. Best: the best
model that reached the last rung (status "ok" in (a)/(b), a COMPLETE trial in (c), a candidate
of the last iteration in (d)), at its final accuracy: a model stopped early never counts.

Targets (judged on the search times, process times shown too): (b) >= 6x faster than (a) with a
best accuracy within 0.5 points of (a)'s; (b) >= 4x faster than (c) and than (d) at an equal or
better best accuracy.

FLOP bounds: before and after the approaches a child measures the best fp32 GEMM rates
(``_roofline.measure_gemm``: torch.mm and oneDNN, large squares and the fused step's thin
shape); each approach's matrix-product FLOPs (``matmul_flops`` of the widths and epochs it
trained) at the higher of the two best rates is its bound, the time no exact float32 training
of the same models can beat on this machine. For each 4x target the output says how close to
its own bound (b) would have to come: below 1x it cannot be met here by any trainer.

Presets: cpu (default) the embedded 5,000-image MNIST subset as ``parsearch.load_mnist`` gives
it without full MNIST (4,000 train / 1,000 validation, stratified, random_state 0), device cpu;
gpu (``--gpu``) full MNIST 50,000 / 10,000 (``_common.mnist_split``), device cuda (``--device``
to override), refused where ``torch.cuda.is_available()`` is False. ``--quick``: 27 points, up
to 9 epochs (and 5,000 / 1,000 images for the gpu preset).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import _common as c
from _reference import BATCH_SIZE, N_IN, N_OUT, make_skorch_module, start, sync
from _roofline import device_info, lower_bound, measure_gemm

SEED = 0
#: The summed width of bench_fused's full grids, the thin GEMM shape both benchmarks time:
#: 5 learning rates x widths 32..256 on the CPU, 8 x widths 16..2048 on the GPU.
FUSED_THIN_WIDTH = {"cpu": 2_400, "gpu": 32_640}
LR_RANGE = (1e-3, 0.5)
WIDTHS = [32, 64, 128, 256, 512]
MOMENTA = [0.0, 0.9]
FACTOR = 3
MIN_RESOURCE = 1

APPROACHES = {
    "full": "(a) fit_grid fused, every config to the end",
    "halving": "(b) fit_grid fused + Halving(3, from 1)",
    "optuna": "(c) Optuna SH pruner, plain PyTorch loop",
    "sklearn": "(d) HalvingRandomSearchCV + skorch, n_jobs=2",
}
# (b) against each: (search-time target of approach / halving, accuracy rule)
TARGETS = {"full": (6.0, "within 0.5 points"), "optuna": (4.0, ">="), "sklearn": (4.0, ">=")}
PACKAGES = ["torch", "scikit-learn", "optuna", "skorch", "numpy", "scipy"]


@dataclass(frozen=True)
class Preset:
    name: str
    data: str  # "embedded" (parsearch.load_mnist's 5k subset) or "full" (_common.mnist_split)
    n_train: int | None  # full MNIST only
    n_val: int | None
    n_points: int
    epochs: int
    device: str
    quick: bool = False


PRESETS = {
    "cpu": Preset("cpu", "embedded", None, None, 243, 27, "cpu"),
    "gpu": Preset("gpu", "full", 50_000, 10_000, 243, 27, "cuda"),
}
QUICK = {
    "cpu": {"n_points": 27, "epochs": 9},
    "gpu": {"n_points": 27, "epochs": 9, "n_train": 5_000, "n_val": 1_000},
}


def get_preset(gpu: bool, quick: bool, device: str | None) -> Preset:
    p = PRESETS["gpu" if gpu else "cpu"]
    if quick:
        p = replace(p, quick=True, **QUICK[p.name])
    return replace(p, device=device) if device else p


def rungs(p: Preset) -> list[int]:
    """Epochs at which halving compares: 1, 3, 9, 27 (min_resource * factor**i <= epochs)."""
    out, r = [], MIN_RESOURCE
    while r <= p.epochs:
        out.append(r)
        r *= FACTOR
    return out


def schedule(p: Preset) -> list[tuple[int, int]]:
    """Synchronous halving's (models, epochs) per rung: [(243, 1), (81, 3), (27, 9), (9, 27)]."""
    return [(math.ceil(p.n_points / FACTOR**i), r) for i, r in enumerate(rungs(p))]


def sync_model_epochs(p: Preset, resume: bool) -> int:
    """Model-epochs of synchronous halving: survivors go on (resume) or restart from scratch."""
    sched, total, done = schedule(p), 0, 0
    for n, r in sched:
        total += n * (r - done if resume else r)
        done = r
    return total


# --------------------------------------------------------------------------------------------
# The shared set-up: data and the sampled configurations (made once by the parent)
# --------------------------------------------------------------------------------------------


def make_setup(p: Preset):
    """(X_train, y_train, X_val, y_val), the configurations and a description of the data."""
    import numpy as np
    from scipy.stats import loguniform

    if str(c.REPO_ROOT) not in sys.path:  # the parent (children get it on PYTHONPATH)
        sys.path.insert(0, str(c.REPO_ROOT))
    import parsearch

    if p.data == "embedded":
        # load_mnist gives the embedded subset when it finds no full MNIST: no
        # $PARSEARCH_MNIST and an empty cache folder.
        saved = os.environ.pop("PARSEARCH_MNIST", None)
        try:
            with tempfile.TemporaryDirectory() as empty, warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                d = parsearch.load_mnist(cache_dir=empty)
        finally:
            if saved is not None:
                os.environ["PARSEARCH_MNIST"] = saved
        if d.is_full:
            raise RuntimeError(f"expected the embedded subset, load_mnist gave {d.source}")
        data = (d.X_train, d.y_train, d.X_val, d.y_val)
        what = (
            f"{d.source} via parsearch.load_mnist: {len(d.y_train):,} train / "
            f"{len(d.y_val):,} validation (stratified, random_state 0); "
            "(x - train mean) / train std, float32"
        )
    else:
        data = c.mnist_split(p.n_train, p.n_val)
        what = c.data_line(p.n_train, p.n_val).split(": ", 1)[1]
    space = {"lr": loguniform(*LR_RANGE), "width": WIDTHS, "momentum": MOMENTA}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy: Sobol balance wants a power of 2
        grids = parsearch.sample_space(space, p.n_points, seed=SEED, method="sobol")
    configs = [
        {"lr": float(g["lr"][0]), "width": int(g["width"][0]), "momentum": float(g["momentum"][0])}
        for g in grids
    ]
    data = tuple(np.ascontiguousarray(a) for a in data)
    return data, configs, what


def write_setup(folder: Path, data, configs, what: str) -> None:
    import numpy as np

    np.savez(folder / "data.npz", X_train=data[0], y_train=data[1], X_val=data[2], y_val=data[3])
    (folder / "configs.json").write_text(json.dumps({"configs": configs, "data": what}))


def read_setup(folder: str | None, p: Preset):
    """The parent's data and configurations; a child run by hand (no --setup) makes its own."""
    if folder is None:
        return make_setup(p)[:2]
    import numpy as np

    with np.load(Path(folder) / "data.npz") as z:
        data = (z["X_train"], z["y_train"], z["X_val"], z["y_val"])
    return data, json.loads((Path(folder) / "configs.json").read_text())["configs"]


# --------------------------------------------------------------------------------------------
# Pieces of the children
# --------------------------------------------------------------------------------------------


def seeded_layers(torch, width: int, seed: int = SEED):
    """MLPClassifier's initial weights (``parsearch.nets.fused.init_layers``), depth 1.

    Uniform in +-1/sqrt(fan_in), float32 on the CPU from ``torch.Generator().manual_seed``,
    layer by layer, weight (out, in) then bias. Re-implemented here so that (c) and (d) do
    not import parsearch.
    """
    gen = torch.Generator().manual_seed(int(seed))
    layers = []
    for fan_out, fan_in in ((width, N_IN), (N_OUT, width)):
        bound = 1.0 / math.sqrt(fan_in)
        weight = torch.rand(fan_out, fan_in, generator=gen).mul_(2 * bound).sub_(bound)
        bias = torch.rand(fan_out, generator=gen).mul_(2 * bound).sub_(bound)
        layers.append((weight, bias))
    return layers


def load_seeded(torch, linears, width: int) -> None:
    with torch.no_grad():
        for lin, (w, b) in zip(linears, seeded_layers(torch, width)):
            lin.weight.copy_(w)
            lin.bias.copy_(b)


def epoch_profile(epochs: list[int]) -> dict[str, int]:
    """{epochs: how many models stopped after that many}, as a JSON-friendly dict."""
    return {str(k): v for k, v in sorted(Counter(int(e) for e in epochs).items())}


# --------------------------------------------------------------------------------------------
# Children: one approach each, in a fresh process; imports untimed, search() timed
# --------------------------------------------------------------------------------------------


def fused_child(p: Preset, data, configs, halving: bool):
    def imports():
        import torch

        import parsearch

        extra = {}
        if halving:
            extra["halving"] = parsearch.Halving(factor=FACTOR, min_resource=MIN_RESOURCE)
        model = parsearch.MLPClassifier(
            depth=1, epochs=p.epochs, batch_size=BATCH_SIZE, seed=SEED, device=p.device
        )
        start(torch, p.device, None)
        return torch, parsearch.fit_grid, model, extra

    def search(mods):
        torch, fit_grid, model, extra = mods
        grids = [{k: [v] for k, v in cfg.items()} for cfg in configs]
        res = fit_grid(model, grids, *data, metric="accuracy", progress=False, plot=False, **extra)
        sync(torch, p.device)
        summary = summarise_table(res, halving, p.epochs)
        flops = matmul_flops(summary["width_epochs"], len(data[1]), len(data[3]))
        return {**summary, "flops": flops, "threads": torch.get_num_threads()}

    return imports, search


def matmul_flops(width_epochs: float, n_train: int, n_val: int) -> float:
    """The matrix-product FLOPs of ``width_epochs`` (sum over models of width x epochs trained).

    As ``_roofline.grid_flops`` counts them: per training sample and hidden unit, the
    layer-1 forward and weight gradient (2 * 784 each, no input gradient) and layer 2's
    forward, weight gradient and input gradient (10 each), 2 * (2 * 784 + 3 * 10) FLOPs; and
    after every epoch a validation forward of 2 * (784 + 10) per validation image. Every
    approach scores every epoch it trains, so the count is the same rule for all four.
    """
    per_unit_epoch = 2 * (2 * N_IN + 3 * N_OUT) * n_train + 2 * (N_IN + N_OUT) * n_val
    return float(width_epochs) * per_unit_epoch


def summarise_table(res, halving: bool, max_epochs: int) -> dict:
    """Model-epochs, statuses and the best "ok" row of a fit_grid result."""
    import numpy as np

    table = res.table
    rows, epochs = [], []
    for r in table.to_dict("records"):
        scores = r.get("epoch_scores")
        scores = list(scores) if isinstance(scores, (list, tuple, np.ndarray)) else []
        trained = r.get("epochs_trained") if halving else None
        if trained is not None and trained == trained:  # not NaN
            n = int(trained)
        else:  # a diverged model counts up to the epoch at whose end it was found diverged
            nan_at = [i for i, s in enumerate(scores) if not (s == s)]
            n = nan_at[0] + 1 if nan_at else (len(scores) or max_epochs)
        epochs.append(n)
        rows.append(r)
    width_epochs = sum(int(r["width"]) * n for r, n in zip(rows, epochs))
    ok = [(r, n) for r, n in zip(rows, epochs) if r["status"] == "ok" and r["score"] == r["score"]]
    best_row = max(ok, key=lambda rn: rn[0]["score"])[0] if ok else None
    source = "epochs_trained" if halving and "epochs_trained" in table else "epoch_scores"
    best = {
        "best_score": float(best_row["score"]) if best_row else float("nan"),
        "best_params": (
            c.jsonable({k: best_row[k] for k in ("lr", "width", "momentum")}) if best_row else {}
        ),
    }
    return {
        **best,
        "result_best_score": float(res.best_score),  # fit_grid's own, checked by the parent
        "result_best_params": c.jsonable(dict(res.best_params)),
        "model_epochs": int(sum(epochs)),
        "width_epochs": int(width_epochs),
        "epochs_source": source,
        "statuses": dict(Counter(str(s) for s in table["status"])),
        "profile": epoch_profile(epochs),
        "n_models": len(rows),
        "fused_groups": (getattr(res, "meta", None) or {}).get("execution", {}).get("fused_groups"),
    }


def optuna_child(p: Preset, data, configs):
    def imports():
        import numpy as np
        import optuna
        import torch
        from torch import nn
        from torch.nn import functional as F

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        warnings.filterwarnings("ignore", module="optuna")
        start(torch, p.device, None)
        return np, optuna, torch, nn, F

    def search(mods):
        np, optuna, torch, nn, F = mods
        dev = p.device
        X, y, Xv, yv = (torch.from_numpy(a).to(dev) for a in data)
        n = X.shape[0]
        rng = np.random.default_rng(SEED)  # MLPClassifier's batch order: one per epoch
        orders = [torch.from_numpy(rng.permutation(n)).to(dev) for _ in range(p.epochs)]
        trained = []  # epochs of each trial
        width_epochs = []  # width x epochs of each trial

        def objective(trial):
            lr = trial.suggest_float("lr", *LR_RANGE, log=True)
            width = trial.suggest_categorical("width", WIDTHS)
            momentum = trial.suggest_categorical("momentum", MOMENTA)
            model = nn.Sequential(nn.Linear(N_IN, width), nn.ReLU(), nn.Linear(width, N_OUT))
            load_seeded(torch, [model[0], model[2]], width)
            model.to(dev)
            opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
            acc = float("nan")
            for epoch in range(1, p.epochs + 1):
                Xe, ye = X[orders[epoch - 1]], y[orders[epoch - 1]]
                loss_sum = torch.zeros((), device=dev)
                for i in range(0, n, BATCH_SIZE):
                    loss = F.cross_entropy(model(Xe[i : i + BATCH_SIZE]), ye[i : i + BATCH_SIZE])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    loss_sum += loss.detach()
                with torch.no_grad():
                    logits = model(Xv)
                    finite = torch.isfinite(loss_sum) & torch.isfinite(logits).all()
                    correct = (logits.argmax(dim=1) == yv).sum()
                ok, acc = bool(finite), correct.item() / len(yv)  # the one sync per epoch
                trial.set_user_attr("epochs", epoch)
                if not ok:  # diverged: stop here, as the fused trainer freezes such a model
                    trained.append(epoch)
                    width_epochs.append(width * epoch)
                    trial.set_user_attr("diverged", True)
                    return float("nan")  # Optuna marks the trial FAIL
                trial.report(acc, epoch)
                if epoch < p.epochs and trial.should_prune():
                    trained.append(epoch)
                    width_epochs.append(width * epoch)
                    raise optuna.TrialPruned()
            trained.append(p.epochs)
            width_epochs.append(width * p.epochs)
            return acc

        study = optuna.create_study(
            direction="maximize",
            sampler=optuna.samplers.RandomSampler(seed=SEED),
            pruner=optuna.pruners.SuccessiveHalvingPruner(
                min_resource=MIN_RESOURCE, reduction_factor=FACTOR
            ),
        )
        for cfg in configs:
            study.enqueue_trial(cfg)
        study.optimize(objective, n_trials=len(configs))
        sync(torch, dev)
        states = Counter(t.state.name for t in study.trials)
        complete = [t for t in study.trials if t.state.name == "COMPLETE"]
        best = max(complete, key=lambda t: t.value) if complete else None
        return {
            "best_score": float(best.value) if best else float("nan"),
            "best_params": c.jsonable(best.params) if best else {},
            "model_epochs": int(sum(trained)),
            "width_epochs": int(sum(width_epochs)),
            "flops": matmul_flops(sum(width_epochs), n, len(yv)),
            "statuses": dict(states),
            "profile": epoch_profile(trained),
            "n_models": len(study.trials),
            "diverged": sum(1 for t in study.trials if t.user_attrs.get("diverged")),
            "threads": torch.get_num_threads(),
        }

    return imports, search


def make_epoch_sampler(np, torch):
    """A DataLoader sampler giving MLPClassifier's batch order, one permutation per epoch.

    Epoch e (the e-th ``__iter__``) yields the e-th ``numpy.random.default_rng(0)``
    permutation. scikit-learn clones the estimator, and with it a fresh copy of this sampler,
    for every fit, so every candidate starts from the first epoch's order.
    """

    class EpochOrders(torch.utils.data.Sampler):
        def __init__(self, n):
            self.n = n
            self.rng = np.random.default_rng(SEED)

        def __iter__(self):
            return iter(self.rng.permutation(self.n).tolist())

        def __len__(self):
            return self.n

    return EpochOrders


def make_thread_callback(Callback, torch, threads: int | None):
    """A skorch callback that pins the worker's torch threads before the module is built."""

    class PinThreads(Callback):
        def initialize(self):
            if threads:
                torch.set_num_threads(threads)
            return self

    return PinThreads


def sklearn_child(p: Preset, data, configs):
    X_train, y_train, X_val, y_val = data

    def imports():
        import numpy as np
        import torch
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV, PredefinedSplit
        from skorch import NeuralNetClassifier
        from skorch.callbacks import Callback
        from torch import nn

        start(torch, p.device, None)
        return np, torch, nn, NeuralNetClassifier, Callback, HalvingRandomSearchCV, PredefinedSplit

    def search(mods):
        np, torch, nn, NeuralNetClassifier, Callback, HalvingRandomSearchCV, PredefinedSplit = mods
        threads = 1 if p.device == "cpu" else None  # 2 workers x 1 thread on the 2 cores
        net = NeuralNetClassifier(
            make_skorch_module(nn, init=lambda linears, width: load_seeded(torch, linears, width)),
            module__width=WIDTHS[0],
            criterion=nn.CrossEntropyLoss,  # logits in: log-softmax + NLL, as the others
            optimizer=torch.optim.SGD,
            optimizer__momentum=0.0,
            lr=0.01,
            max_epochs=1,
            batch_size=BATCH_SIZE,
            train_split=None,  # the search scores on the validation fold
            iterator_train__shuffle=False,  # the sampler gives the order
            iterator_train__sampler=make_epoch_sampler(np, torch)(len(y_train)),
            callbacks=[make_thread_callback(Callback, torch, threads)()],
            device=p.device,
            verbose=0,
        )
        X = np.concatenate([X_train, X_val])
        y = np.concatenate([y_train, y_val])
        test_fold = np.r_[np.full(len(y_train), -1), np.zeros(len(y_val), dtype=int)]
        candidates = [
            {
                "lr": [cfg["lr"]],
                "module__width": [cfg["width"]],
                "optimizer__momentum": [cfg["momentum"]],
            }
            for cfg in configs
        ]
        hs = HalvingRandomSearchCV(
            net,
            candidates,  # lists only: sampled without replacement, so exactly these points
            n_candidates=len(candidates),
            factor=FACTOR,
            resource="max_epochs",
            min_resources=MIN_RESOURCE,
            max_resources=p.epochs,
            cv=PredefinedSplit(test_fold),
            scoring="accuracy",
            refit=False,
            n_jobs=2,
            random_state=SEED,
            error_score="raise",
        )
        hs.fit(X, y)
        res = hs.cv_results_
        iters = np.asarray(res["iter"])
        n_res = np.asarray(res["n_resources"])
        scores = np.asarray(res["mean_test_score"], dtype=float)
        last = np.flatnonzero(iters == iters.max())
        best = int(last[np.nanargmax(scores[last])])
        params = res["params"][best]
        width_epochs = sum(
            int(prm["module__width"]) * int(r) for prm, r in zip(res["params"], n_res)
        )
        stopped_at = {}  # candidate -> most resources it was trained with
        for prm, r in zip(res["params"], n_res):
            # the params of each row include the resource (max_epochs): leave it out
            key = tuple(sorted((k, v) for k, v in prm.items() if k != "max_epochs"))
            stopped_at[key] = max(stopped_at.get(key, 0), int(r))
        return {
            "best_score": float(scores[best]),
            "best_params": {
                "lr": float(params["lr"]),
                "width": int(params["module__width"]),
                "momentum": float(params["optimizer__momentum"]),
            },
            "model_epochs": int(n_res.sum()),
            "width_epochs": int(width_epochs),
            "flops": matmul_flops(width_epochs, len(y_train), len(y_val)),
            "iterations": [
                [int((iters == i).sum()), int(n_res[iters == i][0])] for i in np.unique(iters)
            ],
            "profile": epoch_profile(list(stopped_at.values())),
            "n_models": len(stopped_at),
            "threads": threads or torch.get_num_threads(),
        }

    return imports, search


CHILDREN = {
    "full": lambda p, d, cf: fused_child(p, d, cf, halving=False),
    "halving": lambda p, d, cf: fused_child(p, d, cf, halving=True),
    "optuna": optuna_child,
    "sklearn": sklearn_child,
}


def child(approach: str, p: Preset, setup: str | None) -> None:
    if approach == "info":
        return c.emit(device_info(p.device))
    if approach == "gemm":
        # The best fp32 rates of torch.mm and oneDNN (large squares, the thin shape of
        # bench_fused's grid), 2 torch threads on the CPU, as bench_fused measures them.
        width = FUSED_THIN_WIDTH["cpu" if p.device == "cpu" else "gpu"]
        return c.emit(measure_gemm(p.device, p.quick, width))
    if approach not in CHILDREN:
        raise SystemExit(f"unknown approach {approach!r}; choose from {list(CHILDREN)}")
    data, configs = read_setup(setup, p)
    imports, search = CHILDREN[approach](p, data, configs)
    c.run_approach(approach, search, imports)


# --------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------


def describe_configs(configs: list[dict]) -> str:
    widths = Counter(cfg["width"] for cfg in configs)
    moms = Counter(cfg["momentum"] for cfg in configs)
    lrs = [cfg["lr"] for cfg in configs]
    w = ", ".join(f"{k}: {widths[k]}" for k in sorted(widths))
    m = ", ".join(f"{k:g}: {moms[k]}" for k in sorted(moms))
    return f"widths {{{w}}}; momentum {{{m}}}; lr {min(lrs):.4g}..{max(lrs):.4g}"


def fmt_params(params: dict) -> str:
    if not params:
        return "-"
    return ", ".join(
        f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def fmt_profile(profile: dict) -> str:
    return ", ".join(f"{v} x {k}" for k, v in profile.items())


def print_header(p: Preset, configs, what: str) -> None:
    print("Successive halving benchmark (issue 12)" + (" (QUICK smoke run)" if p.quick else ""))
    c.print_machine(PACKAGES)
    print(f"device  : {p.device}")
    print(f"data    : {what}")
    print(
        f"space   : lr ~ loguniform{LR_RANGE} x width {WIDTHS} x momentum {MOMENTA}: "
        f"{len(configs)} configs from parsearch.sample_space(seed={SEED}, method='sobol')"
    )
    print(f"          {describe_configs(configs)}")
    print(
        f"model   : depth 1, SGD (torch's momentum rule), batch {BATCH_SIZE}, up to {p.epochs} "
        f"epochs, MLPClassifier's seed-{SEED} initial weights and batch order in all four"
    )
    sched = " -> ".join(f"{n}@{r}" for n, r in schedule(p))
    print(
        f"halving : factor {FACTOR} from {MIN_RESOURCE} epoch, rungs {rungs(p)}: synchronous "
        f"{sched} (models@epochs) = {sync_model_epochs(p, True)} model-epochs when the "
        f"survivors go on, {sync_model_epochs(p, False)} when each rung retrains from "
        f"scratch; all to the end: {len(configs) * p.epochs}"
    )
    print()


def progress(res: dict) -> str:
    return (
        f"{res['outer_s']:.1f} s (search {res['inner_s']:.1f} s), "
        f"{res.get('model_epochs')} model-epochs, best {c.fmt(res.get('best_score'), 4)}"
    )


def print_results(runs: dict[str, c.Runs], rounds: int) -> None:
    head = (
        f"{'approach':<46} {'process s':>9} {'search s':>9} {'model-ep':>8} "
        f"{'best val acc':>12} {'busy':>5}  best params"
    )
    print(f"\nmedians over {rounds} round(s); process = whole child process (parent-measured),")
    print("search = time around the search inside the child (no imports, no data loading),")
    print("model-ep = model-epochs trained, busy = cores used by other processes just before")
    print("each child started\n")
    print(head)
    print("-" * len(head))
    for run in runs.values():
        if run.ok:
            last = run.last
            print(
                f"{run.label:<46} {c.fmt(run.median('outer_s')):>9} "
                f"{c.fmt(run.median('inner_s')):>9} {last['model_epochs']:>8} "
                f"{c.fmt(run.median('best_score'), 4):>12} {c.fmt(run.median('busy')):>5}  "
                f"{fmt_params(last.get('best_params', {}))}"
            )
        else:
            print(f"{run.label:<46} {run.status.upper():>9}")
    print()
    for run in runs.values():
        if not run.ok:
            lines = run.error.strip().splitlines() or [""]
            print(f"{run.name}: {run.status}: {lines[0]}")
            if run.status == c.ERROR and len(lines) > 1:
                print("    " + "\n    ".join(lines[1:]))
            continue
        last = run.last
        bits = [
            f"{last['n_models']} models",
            f"stopped after epochs: {fmt_profile(last['profile'])}",
        ]
        if "statuses" in last:
            bits.append("statuses " + ", ".join(f"{k} {v}" for k, v in last["statuses"].items()))
        if "iterations" in last:
            bits.append(
                "iterations "
                + ", ".join(f"{n}@{r}" for n, r in last["iterations"])
                + " (candidates@max_epochs, each retrained from scratch)"
            )
        if last.get("diverged"):
            bits.append(f"diverged {last['diverged']}")
        if last.get("fused_groups") is not None:
            bits.append(f"fused groups {last['fused_groups']}")
        bits.append(f"torch threads {last.get('threads')}")
        print(f"{run.name:<8} " + "; ".join(bits))
        if "result_best_score" in last:
            same = (
                abs(last["result_best_score"] - last["best_score"]) < 1e-12
                and last["result_best_params"] == last["best_params"]
            )
            if not same:
                print(
                    f"         NOTE: fit_grid's own best is {c.fmt(last['result_best_score'], 4)} "
                    f"({fmt_params(last['result_best_params'])}); the table's best 'ok' row, "
                    "shown above, is what this benchmark compares"
                )
        if len(set(round(s, 6) for s in run.values("best_score"))) > 1:
            print(f"         best accuracy varied between rounds: {run.values('best_score')}")


def print_targets(runs: dict[str, c.Runs], quick: bool) -> None:
    """(a)/(b), (c)/(b), (d)/(b): time ratios and the accuracy conditions, PASS / FAIL."""
    halving = runs.get("halving")
    print()
    for name, (target, rule) in TARGETS.items():
        run = runs.get(name)
        if run is None:
            continue
        label = f"{run.label[:3]}/(b) {name}/halving"
        if not (run.ok and halving is not None and halving.ok):
            missing = ", ".join(r.name for r in (run, halving) if r is not None and not r.ok)
            print(f"{label:<28} n/a ({missing or 'halving'} not measured)   target >= {target:g}")
            continue
        inner = run.median("inner_s") / halving.median("inner_s")
        outer = run.median("outer_s") / halving.median("outer_s")
        ep = run.last["model_epochs"] / max(halving.last["model_epochs"], 1)
        acc_b, acc_x = halving.median("best_score"), run.median("best_score")
        diff = 100 * (acc_b - acc_x)
        acc_ok = (abs(diff) <= 0.5 + 1e-9) if rule == "within 0.5 points" else (diff >= -1e-9)
        time_ok = inner >= target
        print(
            f"{label:<28} search {inner:6.2f}x  process {outer:6.2f}x  model-epochs {ep:5.2f}x   "
            f"target search >= {target:g}: {'PASS' if time_ok else 'FAIL'}"
        )
        rule_text = "(b) within 0.5 points of it" if rule != ">=" else "(b) equal or better"
        print(
            f"{'':<28} best acc (b) {acc_b:.4f} vs {acc_x:.4f}: {diff:+.2f} points, "
            f"{rule_text}: {'PASS' if acc_ok else 'FAIL'}"
            f"   -> {'PASS' if time_ok and acc_ok else 'FAIL'}"
        )
    if quick:
        print("(a --quick run: the targets are for the full preset)")


def print_bounds(runs: dict[str, c.Runs], gemms: list[dict]) -> None:
    """Each approach's matrix products against the best fp32 rate measured on this machine.

    The bound of an approach is its matmul FLOPs (``matmul_flops`` of the models it trained,
    width x epochs) at the best rate measured (``_roofline.lower_bound``; the GEMM rates
    are measured before and after the approaches, the higher taken, since a shared machine
    slows some blocks down): no exact float32 training of those models can search faster
    here. The line for (c) and (d) says how close to its bound (b) must come for their 4x
    target: below 1, no float32 trainer, however fused, can meet it on this machine.
    """
    print()
    measured = [g for g in gemms if g.get("status") == c.OK]
    if not measured:
        why = "; ".join(f"{g.get('status')}: {g.get('error')}" for g in gemms)
        print(f"FLOP bounds: not measured (GEMM rates: {why})")
        return
    rates = [lower_bound(1.0, g)[0] for g in measured]  # GFLOP/s
    rate, gemm = max(zip(rates, measured), key=lambda rg: rg[0])
    libs = "torch.mm" + (" and oneDNN" if "onednn" in gemm else "")
    print(
        f"FLOP bounds: the best fp32 GEMM rate measured here ({libs}, {gemm.get('threads')} "
        f"threads, large squares and the thin {gemm.get('thin_shape')}): {rate:,.1f} GFLOP/s "
        f"(best of the runs before and after the approaches: "
        f"{', '.join(f'{r:,.1f}' for r in rates)})"
    )
    bounds = {}
    for name, run in runs.items():
        if not (run.ok and run.last.get("flops")):
            continue
        flops = run.last["flops"]
        bounds[name] = flops / (rate * 1e9)
        print(
            f"  {run.label:<46} {flops / 1e12:6.3f} TFLOP (width x epochs "
            f"{run.last['width_epochs']:>9,}) -> bound {bounds[name]:6.2f} s; "
            f"search {run.median('inner_s') / bounds[name]:5.2f}x the bound"
        )
    halving = runs.get("halving")
    if halving is None or "halving" not in bounds:
        return
    for name, (target, _) in TARGETS.items():
        run = runs.get(name)
        if run is None or not run.ok or name == "full":
            continue
        allowed = run.median("inner_s") / target
        print(
            f"  (b) at {target:g}x faster than {run.label[:3]} needs a search of {allowed:.2f} s "
            f"at most: {allowed / bounds['halving']:.2f}x (b)'s bound"
            + ("  (below 1: not reachable on this machine)" if allowed < bounds["halving"] else "")
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="27 points, up to 9 epochs, 1 round")
    ap.add_argument("--rounds", type=int, default=1, help="rounds per approach, medians (1)")
    ap.add_argument("--approaches", help="comma-separated subset of: " + ", ".join(APPROACHES))
    ap.add_argument("--gpu", action="store_true", help="full MNIST on --device (default cuda)")
    ap.add_argument("--device", help="--gpu only: the torch device of every approach")
    ap.add_argument(
        "--approach",
        choices=[*APPROACHES, "info", "gemm"],
        help="run one approach here, in this process, and print its BENCH_RESULT line",
    )
    ap.add_argument("--setup", help=argparse.SUPPRESS)  # the parent's data and configs
    args = ap.parse_args(argv)
    if args.device and not args.gpu:
        ap.error("--device belongs to the --gpu preset; add --gpu")
    p = get_preset(args.gpu, args.quick, args.device)

    if args.approach:
        child(args.approach, p, args.setup)
        return 0

    wanted = c.chosen_approaches(ap, args.approaches, APPROACHES)
    rounds = 1 if args.quick else args.rounds
    child_args = (["--gpu"] if args.gpu else []) + (["--quick"] if args.quick else [])
    child_args += ["--device", p.device] if args.gpu else []
    if args.gpu:
        info = c.run_child(__file__, "info", child_args, timeout=600)
        if info.get("status") != c.OK:
            print(f"ERROR: device {p.device!r} not usable: {info.get('error')}")
            return 1
        print(f"(device: {info['name']}, torch {info['torch']}, CUDA {info['cuda']})")
    if p.data == "full" and not (c.MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        print(f"ERROR: full MNIST not found in {c.MNIST_DIR}: set PARSEARCH_MNIST")
        return 1
    data, configs, what = make_setup(p)
    with tempfile.TemporaryDirectory(prefix="bench_halving_") as folder:
        write_setup(Path(folder), data, configs, what)
        print_header(p, configs, what)
        labels = {name: APPROACHES[name] for name in wanted}
        gemms = [c.run_child(__file__, "gemm", child_args, timeout=600)]  # before and after
        runs = c.run_rounds(
            __file__, labels, [*child_args, "--setup", folder], rounds, progress=progress
        )
        gemms.append(c.run_child(__file__, "gemm", child_args, timeout=600))
    print_results(runs, rounds)
    print_targets(runs, p.quick)
    print_bounds(runs, gemms)
    if not p.device.startswith("cuda") and args.gpu:
        print(f"(the gpu preset ran on {p.device})")
    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
