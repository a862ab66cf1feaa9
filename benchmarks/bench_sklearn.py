"""Benchmark: 12-configuration SGD logistic-regression grid on MNIST, three ways, n_jobs=2.

    python benchmarks/bench_sklearn.py              # 3 rounds, medians (~20-60 s per round)
    python benchmarks/bench_sklearn.py --quick      # seconds-long smoke run
    python benchmarks/bench_sklearn.py --rounds 5 --approaches gridsearchcv,parfit

Section 1, the same algorithm (the best accuracies must be identical):
``SGDClassifier(loss="log_loss", learning_rate="invscaling", random_state=0, ...)`` over alpha
(6 values) x eta0 (2), scored on a fixed validation split, by ``GridSearchCV(PredefinedSplit,
n_jobs=2, refit=False)``, ``parfit.bestFit(n_jobs=2)`` and ``parsearch.fit_grid(n_jobs=2,
out=<tmp>, progress=True)``. Target fit_grid / GridSearchCV <= 1.05.

Section 2, another algorithm for the same task: the same 12 settings as fused softmax regression,
``fit_grid(MLPClassifier(depth=0, optimizer="sgd", epochs=3, batch_size=64),
{"weight_decay": alphas, "lr": eta0s})`` without files (``fit_grid_lr``, as parfit with
showPlot=False) and with ``out=`` and a progress bar (``fit_grid_lr_out``). Target parfit /
fit_grid_lr >= 15 at an equal or better best accuracy.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile

import _common as c
import numpy as np

APPROACHES = {
    "gridsearchcv": "(c) GridSearchCV + PredefinedSplit, n_jobs=2",
    "parfit": "(b) parfit.bestFit, n_jobs=2",
    "fit_grid": "(a) parsearch.fit_grid, n_jobs=2",
}
LR_APPROACHES = {
    "fit_grid_lr": "fit_grid, MLPClassifier(depth=0), fused",
    "fit_grid_lr_out": "  same, with out= and progress bar",
}
LR_GRID = {"weight_decay": c.ALPHAS, "lr": c.ETA0S}  # the same 12 settings as the SGD grid
LR_MODEL = {"depth": 0, "optimizer": "sgd", "epochs": 3, "batch_size": 64}


def child(approach: str, quick: bool) -> None:
    X_train, y_train, X_val, y_val = c.mnist_split(*c.sgd_sizes(quick))

    def gridsearchcv(_):
        from sklearn.model_selection import GridSearchCV, PredefinedSplit

        X, y, cv = c.predefined_split((X_train, y_train, X_val, y_val), PredefinedSplit)
        gs = GridSearchCV(
            c.sgd(),
            c.SGD_GRID,
            scoring="accuracy",
            cv=cv,
            n_jobs=2,
            refit=False,  # fit_grid does not refit either: same work
            error_score="raise",
        )
        gs.fit(X, y)
        scores = gs.cv_results_["mean_test_score"]
        best = int(np.argmax(scores))
        return {"best_score": float(scores[best]),
                "best_params": c.jsonable(gs.cv_results_["params"][best])}  # fmt: skip

    def parfit(_):
        import parfit
        from sklearn.linear_model import SGDClassifier
        from sklearn.metrics import accuracy_score
        from sklearn.model_selection import ParameterGrid

        # parfit.fit.fitOne calls set_params on the one instance it is given and returns it
        # (with joblib batching tasks, the models returned are then the same object); given a
        # factory instead, it calls factory(**params).
        factory = functools.partial(SGDClassifier, random_state=0, **c.SGD_PARAMS)
        grid = ParameterGrid(c.SGD_GRID)  # bestFit iterates paramGrid: a dict would not do
        _, best_score, _, scores = parfit.bestFit(
            factory, grid, X_train, y_train, X_val, y_val,
            metric=accuracy_score, greater_is_better=True,
            predict_proba=False,  # the default True scores predict_proba(X)[:, 1]
            showPlot=False, n_jobs=2, verbose=0,
        )  # fmt: skip
        best = max(range(len(scores)), key=lambda i: scores[i])
        return {"best_score": float(best_score), "best_params": c.jsonable(list(grid)[best])}

    def imports():  # every import untimed
        if approach in ("gridsearchcv", "parfit"):
            from sklearn.linear_model import SGDClassifier  # noqa: F401
            from sklearn.model_selection import GridSearchCV, ParameterGrid  # noqa: F401
        if approach == "parfit":
            import parfit  # noqa: F401
            from sklearn.metrics import accuracy_score  # noqa: F401
        if approach in ("gridsearchcv", "parfit"):
            return None
        import parsearch

        if approach == "fit_grid":
            return parsearch.fit_grid, c.sgd(), c.SGD_GRID, {"n_jobs": 2}
        import parsearch.nets.fused  # torch, imported outside the search

        model = parsearch.MLPClassifier(**{**LR_MODEL, "epochs": 1 if quick else 3})
        return parsearch.fit_grid, model, LR_GRID, {}  # one fused group: the library decides

    def fit_grid(mods):
        fit, est, grid, kwargs = mods
        data = (X_train, y_train, X_val, y_val)
        if approach == "fit_grid_lr":  # the search alone, as parfit runs it: no files
            res = fit(est, grid, *data, progress=False)
            return {"best_score": float(res.best_score), "best_params": c.jsonable(res.best_params)}
        with tempfile.TemporaryDirectory(prefix="bench_sklearn_") as out:
            res = fit(est, grid, *data, out=out, progress=True, **kwargs)
            files = sorted(os.listdir(out))
        return {"best_score": float(res.best_score), "best_params": c.jsonable(res.best_params),
                "files": files}  # fmt: skip

    searches = {"gridsearchcv": gridsearchcv, "parfit": parfit}
    searches.update(dict.fromkeys(["fit_grid", *LR_APPROACHES], fit_grid))
    if approach not in searches:
        raise SystemExit(f"unknown approach {approach!r}")
    c.run_approach(approach, searches[approach], imports)


def main(argv: list[str] | None = None) -> int:
    ap = c.parser(__doc__, quick_help="tiny data")
    args = c.parse(ap, argv, lambda a: child(a.approach, a.quick))
    if args is None:
        return 0
    known = {**APPROACHES, **LR_APPROACHES}
    wanted = c.chosen_approaches(ap, args.approaches, known)
    c.header("SGD logistic-regression grid benchmark", ["torch", "scikit-learn", "joblib",
             "parfit", "numpy"], args.quick)  # fmt: skip
    print(c.data_line(*c.sgd_sizes(args.quick)))
    model, grid = c.sgd_text()
    print(f"section 1: {model}\n           grid {grid}")
    print(
        f"section 2: MLPClassifier({', '.join(f'{k}={v!r}' for k, v in LR_MODEL.items())})"
        f"{' (epochs=1 in --quick)' if args.quick else ''}, grid {LR_GRID}, fused\n"
    )
    rounds = 1 if args.quick else args.rounds
    labels = {k: v for k, v in known.items() if k in wanted}
    runs = c.run_rounds(__file__, labels, ["--quick"] if args.quick else [], rounds)

    def get(name):
        return runs.get(name, c.Runs(name, known[name], status="not run"))

    print("\n=== Section 1: same SGDClassifier grid, three ways ===")
    c.print_table({k: v for k, v in runs.items() if k in APPROACHES}, rounds)
    print()
    print(c.ratio_line("fit_grid / GridSearchCV", get("fit_grid"), get("gridsearchcv"), "<=", 1.05))
    print(c.ratio_line("fit_grid / parfit", get("fit_grid"), get("parfit"), None, None))
    print(c.ratio_line("parfit / GridSearchCV", get("parfit"), get("gridsearchcv"), None, None))
    done = {n: get(n).median("best_score") for n in APPROACHES if get(n).ok}
    if len(done) >= 2:
        same = max(done.values()) - min(done.values()) < 1e-9
        print(
            "best accuracies: " + ", ".join(f"{k} {v:.4f}" for k, v in done.items())
            + f" -> {'IDENTICAL' if same else 'DIFFER (should be identical)'}"
        )  # fmt: skip
    for name in done:
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
