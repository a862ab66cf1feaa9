"""Benchmark: 12-configuration SGD logistic-regression grid on MNIST, three ways, n_jobs=2.

    python benchmarks/bench_sklearn.py              # 3 rounds, medians (~20-60 s per round)
    python benchmarks/bench_sklearn.py --quick      # seconds-long smoke run
    python benchmarks/bench_sklearn.py --rounds 5 --approaches gridsearchcv,parfit

Section 1 (same algorithm, so the best accuracies must be identical):
    SGDClassifier(loss="log_loss", learning_rate="invscaling", random_state=0, ...) over
    {"alpha": 6 log-spaced values, "eta0": [0.01, 0.1]}, scored on a fixed validation split:
      gridsearchcv  GridSearchCV(cv=PredefinedSplit, n_jobs=2, refit=False) on train+val
      parfit        parfit.bestFit(..., n_jobs=2, showPlot=False)
      fit_grid      parsearch.fit_grid(..., n_jobs=2, out=<tmp dir>, progress=True)
    Targets: fit_grid / GridSearchCV <= 1.05; fit_grid / parfit is printed.

Section 2 (a different algorithm for the same task, multinomial logistic regression in torch):
      fit_grid_lr   parsearch.fit_grid(MLPClassifier(depth=0, optimizer="sgd", epochs=3,
                    batch_size=64), {"weight_decay": the 6 alphas, "lr": the 2 eta0s}) fused:
                    the same 12 settings (alpha is sklearn's L2 penalty, i.e. weight decay;
                    eta0 its initial learning rate), SGD with momentum 0.9
    Target: parfit / fit_grid_lr >= 15 at equal or better best validation accuracy
    (fit_grid_lr writes no files, as parfit with showPlot=False; fit_grid_lr_out, the
    same search with out= and a progress bar, is printed beside it).
    (sklearn's SGDClassifier is one-vs-rest with per-sample updates; this is softmax
    regression with minibatches, so only the best accuracies are comparable, not the grids.)

Every approach runs in its own fresh Python process; see ``_common.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import _common as c

APPROACHES = {
    "gridsearchcv": "(c) GridSearchCV + PredefinedSplit, n_jobs=2",
    "parfit": "(b) parfit.bestFit, n_jobs=2",
    "fit_grid": "(a) parsearch.fit_grid, n_jobs=2",
}
LR_APPROACHES = {
    "fit_grid_lr": "fit_grid, MLPClassifier(depth=0), fused",
    "fit_grid_lr_out": "  same, with out= and progress bar",
}

ALPHAS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
ETA0S = [0.01, 0.1]
# "invscaling" (eta = eta0 / t**0.25 per sample) converged within max_iter on normalised MNIST
# in a trial run and reached ~0.90 validation accuracy; "adaptive" hit max_iter every time.
SGD_PARAMS = {"loss": "log_loss", "learning_rate": "invscaling", "max_iter": 20, "tol": 1e-3}
LR_GRID = {"weight_decay": ALPHAS, "lr": ETA0S}  # the same 12 settings as the SGD grid
LR_MODEL = {"depth": 0, "optimizer": "sgd", "epochs": 3, "batch_size": 64}


def sizes(quick: bool) -> tuple[int, int]:
    """Train and validation sizes: the first n_train images of MNIST's train file, then n_val."""
    return (1_000, 1_000) if quick else (10_000, 10_000)


def sgd_grid() -> dict:
    return {"alpha": ALPHAS, "eta0": ETA0S}


# --------------------------------------------------------------------------------------------
# Children: one approach each, in a fresh process
# --------------------------------------------------------------------------------------------


def child(approach: str, quick: bool) -> None:
    n_train, n_val = sizes(quick)
    X_train, y_train, X_val, y_val = c.mnist_split(n_train, n_val)

    if approach == "gridsearchcv":

        def imports():
            import numpy as np
            from sklearn.linear_model import SGDClassifier
            from sklearn.model_selection import GridSearchCV, PredefinedSplit

            return np, SGDClassifier, GridSearchCV, PredefinedSplit

        def search(mods):
            np, SGDClassifier, GridSearchCV, PredefinedSplit = mods
            X = np.concatenate([X_train, X_val])
            y = np.concatenate([y_train, y_val])
            test_fold = np.r_[np.full(n_train, -1), np.zeros(n_val, dtype=int)]
            gs = GridSearchCV(
                SGDClassifier(random_state=0, **SGD_PARAMS),
                sgd_grid(),
                scoring="accuracy",
                cv=PredefinedSplit(test_fold),
                n_jobs=2,
                refit=False,  # fit_grid does not refit either: same work
                error_score="raise",
            )
            gs.fit(X, y)
            scores = gs.cv_results_["mean_test_score"]
            best = int(np.argmax(scores))
            return {
                "best_score": float(scores[best]),
                "best_params": c.jsonable(gs.cv_results_["params"][best]),
            }

    elif approach == "parfit":

        def imports():
            import functools

            import parfit
            from sklearn.linear_model import SGDClassifier
            from sklearn.metrics import accuracy_score
            from sklearn.model_selection import ParameterGrid

            return functools, parfit, SGDClassifier, accuracy_score, ParameterGrid

        def search(mods):
            functools, parfit, SGDClassifier, accuracy_score, ParameterGrid = mods
            # parfit.fit.fitOne calls model.set_params(**params) on the instance it is given and
            # returns it: with n_jobs=1, or whenever joblib batches several short tasks into one
            # pickle, the returned models are the same object (all scored with the last params).
            # Passing a factory (not a BaseEstimator) makes it call factory(**params) instead.
            factory = functools.partial(SGDClassifier, random_state=0, **SGD_PARAMS)
            grid = ParameterGrid(sgd_grid())  # bestFit iterates paramGrid: a dict would not do
            _, best_score, _, scores = parfit.bestFit(
                factory,
                grid,
                X_train,
                y_train,
                X_val,
                y_val,
                metric=accuracy_score,
                greater_is_better=True,
                predict_proba=False,  # the default True scores predict_proba(X)[:, 1]
                showPlot=False,
                n_jobs=2,
                verbose=0,
            )
            best = max(range(len(scores)), key=lambda i: scores[i])
            return {"best_score": float(best_score), "best_params": c.jsonable(list(grid)[best])}

    elif approach in ("fit_grid", "fit_grid_lr", "fit_grid_lr_out"):

        def imports():
            import parsearch

            if approach == "fit_grid":
                from sklearn.linear_model import SGDClassifier

                est = SGDClassifier(random_state=0, **SGD_PARAMS)
                grid = sgd_grid()
                kwargs = {"n_jobs": 2}
            else:
                import parsearch.nets.fused  # torch: imports are outside every search

                epochs = 1 if quick else LR_MODEL["epochs"]
                est = parsearch.MLPClassifier(**{**LR_MODEL, "epochs": epochs})
                grid = LR_GRID
                kwargs = {}  # one fused group: let the library choose how to run it
            return parsearch.fit_grid, est, grid, kwargs

        def search(mods):
            fit_grid, est, grid, kwargs = mods
            if approach == "fit_grid_lr":  # the search alone, as parfit runs it: no files
                res = fit_grid(est, grid, X_train, y_train, X_val, y_val, progress=False)
                return {
                    "best_score": float(res.best_score),
                    "best_params": c.jsonable(res.best_params),
                }
            with tempfile.TemporaryDirectory(prefix="bench_sklearn_") as out:
                res = fit_grid(
                    est, grid, X_train, y_train, X_val, y_val, out=out, progress=True, **kwargs
                )
                written = sorted(os.listdir(out))
            return {
                "best_score": float(res.best_score),
                "best_params": c.jsonable(res.best_params),
                "files": written,
            }

    else:
        raise SystemExit(f"unknown approach {approach!r}")

    c.run_approach(approach, search, imports)


# --------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------


def check_equal(runs: list[c.Runs]) -> str:
    done = [r for r in runs if r.ok]
    if len(done) < 2:
        return "best accuracies: fewer than two approaches measured, nothing to compare"
    values = {r.name: r.median("best_score") for r in done}
    text = ", ".join(f"{k} {v:.4f}" for k, v in values.items())
    same = max(values.values()) - min(values.values()) < 1e-9
    return f"best accuracies: {text} -> {'IDENTICAL' if same else 'DIFFER (should be identical)'}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="rounds per approach (median reported)")
    p.add_argument("--quick", action="store_true", help="tiny data, 1 round: a smoke run")
    p.add_argument(
        "--approaches",
        default=",".join([*APPROACHES, *LR_APPROACHES]),
        help="comma-separated subset of: " + ", ".join([*APPROACHES, *LR_APPROACHES]),
    )
    p.add_argument("--approach", help=argparse.SUPPRESS)  # child mode
    args = p.parse_args(argv)

    if args.approach:
        child(args.approach, args.quick)
        return 0

    rounds = 1 if args.quick else args.rounds
    known = {**APPROACHES, **LR_APPROACHES}
    wanted = c.chosen_approaches(p, args.approaches, known)

    n_train, n_val = sizes(args.quick)
    print("SGD logistic-regression grid benchmark" + (" (QUICK smoke run)" if args.quick else ""))
    c.print_machine(["torch", "scikit-learn", "joblib", "parfit", "numpy"])
    print(c.data_line(n_train, n_val))
    print(
        f"section 1: SGDClassifier({', '.join(f'{k}={v!r}' for k, v in SGD_PARAMS.items())}, "
        f"random_state=0)\n           grid alpha={ALPHAS} x eta0={ETA0S} = "
        f"{len(ALPHAS) * len(ETA0S)} configs"
    )
    print(
        f"section 2: MLPClassifier({', '.join(f'{k}={v!r}' for k, v in LR_MODEL.items())})"
        f"{' (epochs=1 in --quick)' if args.quick else ''}, grid {LR_GRID}, fused"
    )
    print()

    order = {k: v for k, v in known.items() if k in wanted}
    child_args = ["--quick"] if args.quick else []
    runs = c.run_rounds(__file__, order, child_args, rounds)

    def get(name):
        return runs.get(name, c.Runs(name, known[name], status="not run"))

    print("\n=== Section 1: same SGDClassifier grid, three ways ===")
    c.print_table({k: v for k, v in runs.items() if k in APPROACHES}, rounds)
    print()
    print(c.ratio_line("fit_grid / GridSearchCV", get("fit_grid"), get("gridsearchcv"), "<=", 1.05))
    print(c.ratio_line("fit_grid / parfit", get("fit_grid"), get("parfit"), None, None))
    print(c.ratio_line("parfit / GridSearchCV", get("parfit"), get("gridsearchcv"), None, None))
    print(check_equal([get(n) for n in APPROACHES]))
    for name in APPROACHES:
        if get(name).ok:
            print(f"  {name:<13} best params {get(name).last.get('best_params')}")
    if get("fit_grid").ok:
        print(f"  fit_grid wrote {get('fit_grid').last.get('files')}")

    if any(n in runs for n in LR_APPROACHES):
        print(
            "\n=== Section 2: the same task as fused softmax regression (different algorithm) ==="
        )
        c.print_table({k: v for k, v in runs.items() if k in LR_APPROACHES}, rounds)
        print()
        lr, pf = get("fit_grid_lr"), get("parfit")
        print(c.ratio_line("parfit / fit_grid_lr", pf, lr, ">=", 15.0))
        print(c.ratio_line("parfit / fit_grid_lr_out", pf, get("fit_grid_lr_out"), None, None))
        if lr.ok and pf.ok:
            a, b = lr.median("best_score"), pf.median("best_score")
            verdict = "equal or better" if a >= b - 1e-9 else "WORSE"
            print(f"best accuracy: fused {a:.4f} vs parfit {b:.4f} -> {verdict}")
            print(f"  fit_grid_lr best params {lr.last.get('best_params')}")

    return c.finish(runs)


if __name__ == "__main__":
    sys.exit(main())
