"""Benchmark: a grid of your own nn.Module trained fused (TorchClassifier) against the
plain PyTorch loop, skorch + GridSearchCV, and MLPClassifier's engine (issue 22).

    python benchmarks/bench_module.py                    # both presets, 3 rounds, medians
    python benchmarks/bench_module.py --preset lesson    # (i) alone
    python benchmarks/bench_module.py --preset cnn --rounds 2
    python benchmarks/bench_module.py --quick            # seconds-long smoke run

Presets (MNIST's train file: the first 4,000 images train, the next 1,000 validate):
  lesson  the lesson's 784-100-10 network as an nn.Sequential (Linear, ReLU, Linear,
          LogSoftmax), lr (5) x momentum (4) = 20 configurations, 3 epochs, SGD, batch 64
  cnn     a small CNN on (n, 1, 28, 28) images (conv 1->8, ReLU, max-pool, conv 8->16,
          ReLU, max-pool, linear), lr (4) x momentum (4) = 16 configurations, 1 epoch

Approaches, each in its own fresh process: fused ``fit_grid(TorchClassifier(module))``, the
grid as one torch.func run; loop, the plain PyTorch loop, one configuration after another;
skorch, ``NeuralNetClassifier`` in ``GridSearchCV(PredefinedSplit, refit=False)`` (the module
giving logits, ``CrossEntropyLoss``); mlp, ``fit_grid(MLPClassifier(width=100, depth=1))``, the
hand-written engine (lesson only). Targets (CPU, issue 22): lesson, fused >= 3x loop, >= 5x
skorch, <= 1.5x mlp's time; cnn, fused at least as fast as loop.
"""

from __future__ import annotations

import argparse
import sys

import _common as c

N_TRAIN, N_VAL = 4000, 1000
LABELS = {
    "fused": "fit_grid(TorchClassifier), torch.func fused",
    "loop": "plain PyTorch loop, one config at a time",
    "skorch": "skorch NeuralNetClassifier + GridSearchCV",
    "mlp": "fit_grid(MLPClassifier), hand-written engine",
}
PRESETS = {
    "lesson": {
        "grid": {"lr": [0.003, 0.01, 0.03, 0.1, 0.3], "momentum": [0.0, 0.5, 0.9, 0.95]},
        "epochs": 3,
        "approaches": LABELS,
    },
    "cnn": {
        "grid": {"lr": [0.003, 0.01, 0.03, 0.1], "momentum": [0.0, 0.5, 0.9, 0.95]},
        "epochs": 1,
        "approaches": {k: v for k, v in LABELS.items() if k != "mlp"},
    },
}
BATCH = 64


def lesson_net(log_softmax=True):
    """The lesson's 784-100-10 network."""
    from torch import nn

    layers = [nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10)]
    return nn.Sequential(*layers, *([nn.LogSoftmax(dim=1)] if log_softmax else []))


def cnn_net(log_softmax=True):
    """A small CNN for (n, 1, 28, 28) images."""
    from torch import nn

    layers = [
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 10),
    ]  # fmt: skip
    return nn.Sequential(*layers, *([nn.LogSoftmax(dim=1)] if log_softmax else []))


def logits_lesson():
    return lesson_net(log_softmax=False)


def logits_cnn():
    return cnn_net(log_softmax=False)


def child(preset, approach, n_train, n_val, threads=None):
    settings = PRESETS[preset]
    grid, epochs = settings["grid"], settings["epochs"]
    X, y, Xv, yv = c.mnist_split(n_train, n_val)
    if preset == "cnn":
        X, Xv = X.reshape(-1, 1, 28, 28), Xv.reshape(-1, 1, 28, 28)
    net = lesson_net if preset == "lesson" else cnn_net
    configs = [{"lr": lr, "momentum": m} for lr in grid["lr"] for m in grid["momentum"]]

    def imports():  # untimed: every approach's imports, skorch's and scikit-learn's too
        import torch

        import parsearch

        if approach == "skorch":
            import sklearn.model_selection  # noqa: F401
            import skorch  # noqa: F401
        if threads:
            torch.set_num_threads(threads)
        return torch, parsearch

    def fused(mods):
        _, ps = mods
        model = ps.TorchClassifier(net, epochs=epochs, batch_size=BATCH, device="cpu")
        res = ps.fit_grid(model, grid, X, y, Xv, yv, progress=False, plot=False)
        return {"best_score": res.best_score, "best_params": c.jsonable(res.best_params)}

    def mlp(mods):
        _, ps = mods
        model = ps.MLPClassifier(width=100, depth=1, epochs=epochs, batch_size=BATCH,
                                 device="cpu")  # fmt: skip
        res = ps.fit_grid(model, grid, X, y, Xv, yv, progress=False, plot=False)
        return {"best_score": res.best_score, "best_params": c.jsonable(res.best_params)}

    def loop(mods):
        torch = mods[0]
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        Xvt, yvt = torch.from_numpy(Xv), torch.from_numpy(yv)
        scores = []
        for config in configs:
            torch.manual_seed(0)
            module = net()
            opt = torch.optim.SGD(module.parameters(), lr=config["lr"],
                                  momentum=config["momentum"])  # fmt: skip
            loss_fn = torch.nn.NLLLoss()
            for _ in range(epochs):
                perm = torch.randperm(len(Xt))
                for start in range(0, len(Xt), BATCH):
                    idx = perm[start : start + BATCH]
                    opt.zero_grad()
                    loss_fn(module(Xt[idx]), yt[idx]).backward()
                    opt.step()
            with torch.no_grad():
                scores.append(float((module(Xvt).argmax(1) == yvt).float().mean()))
        best = max(range(len(configs)), key=lambda k: scores[k])
        return {"best_score": scores[best], "best_params": configs[best]}

    def skorch_search(mods):
        import numpy as np
        import skorch
        import torch
        from sklearn.model_selection import GridSearchCV, PredefinedSplit

        logits = logits_lesson if preset == "lesson" else logits_cnn
        model = skorch.NeuralNetClassifier(
            logits, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD,
            max_epochs=epochs, batch_size=BATCH, train_split=None, verbose=0,
            iterator_train__shuffle=True,
        )  # fmt: skip
        skgrid = {"lr": grid["lr"], "optimizer__momentum": grid["momentum"]}
        fold = PredefinedSplit(np.r_[np.full(len(X), -1), np.zeros(len(Xv), int)])
        search = GridSearchCV(model, skgrid, cv=fold, refit=False, scoring="accuracy")
        search.fit(np.concatenate([X, Xv]), np.concatenate([y, yv]))
        return {"best_score": float(search.best_score_), "best_params": search.best_params_}

    searches = {"fused": fused, "loop": loop, "skorch": skorch_search, "mlp": mlp}
    c.run_approach(approach, searches[approach], imports)


def main(argv: list[str] | None = None) -> int:
    p = c.parser(__doc__, quick_help="800 images")
    p.add_argument("--preset", choices=[*PRESETS, "both"], default="both")
    p.add_argument(
        "--threads",
        type=int,
        help="torch threads in every child (default: torch's own); 1 keeps a shared machine's "
        "other processes from stalling the multi-threaded products",
    )
    p.add_argument("--child-preset", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    n_train = 800 if args.quick else N_TRAIN
    n_val = 200 if args.quick else N_VAL
    if args.approach:
        child(args.child_preset, args.approach, n_train, n_val, args.threads)
        return 0
    rounds = 1 if args.quick else args.rounds
    c.header("nn.Module grid benchmark", ["torch", "scikit-learn", "skorch", "numpy"], args.quick)
    print(c.data_line(n_train, n_val))
    print(f"threads : {args.threads or 'torch default'} torch thread(s) per child")
    status = 0
    for preset in PRESETS if args.preset == "both" else [args.preset]:
        settings = PRESETS[preset]
        approaches = {
            name: label
            for name, label in settings["approaches"].items()
            if name in c.chosen_approaches(p, args.approaches, list(settings["approaches"]))
        }
        n_configs = len(settings["grid"]["lr"]) * len(settings["grid"]["momentum"])
        print(f"\n== preset {preset}: {n_configs} configurations, {settings['epochs']} epoch(s)")
        child_args = ["--child-preset", preset]
        if args.threads:
            child_args += ["--threads", str(args.threads)]
        if args.quick:
            child_args.append("--quick")
        runs = c.run_rounds(__file__, approaches, child_args, rounds)
        c.print_table(runs, rounds)
        print()
        fused = runs.get("fused")
        for name, op, target in (
            [("loop", ">=", 3), ("skorch", ">=", 5), ("mlp", ">=", 1 / 1.5)]
            if preset == "lesson"
            else [("loop", ">=", 1), ("skorch", None, None)]
        ):
            if fused is not None and name in runs:
                print(c.ratio_line(f"speed-up over {name}", runs[name], fused, op, target))
        status |= c.finish(runs)
    return status


if __name__ == "__main__":
    sys.exit(main())
