"""SGD logistic regression as good as LogisticRegression, by a search over its settings.

The ML1 lesson's student study: ``SGDClassifier(loss="log_loss")`` tuned over the
regularisation ``alpha`` and the learning-rate schedule with ``fit_grid`` on a held-out
validation set, beside a ``LogisticRegression`` baseline fitted on the same data.
Writes heatmaps of validation accuracy and of validation log loss.

    python experiments/mnist_sgd_logreg.py [--quick] [--out DIR] [--data MNIST_DIR]
"""

import time
import warnings

import numpy as np
from _common import load_data, parse_args, search
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, log_loss

from parsearch.plot import plot_scores, save_figure
from parsearch.results.files import write_json_atomic
from parsearch.rows import Col, Direction

GRID = {
    "alpha": [1e-6, 1e-5, 1e-4, 1e-3, 1e-2],
    "learning_rate": ["optimal", "invscaling", "adaptive"],
}
QUICK_GRID = {"alpha": [1e-5, 1e-4, 1e-3], "learning_rate": ["optimal", "adaptive"]}


def main():
    args = parse_args("mnist_sgd_logreg", __doc__.splitlines()[0])
    data = load_data(args)
    sgd = SGDClassifier(loss="log_loss", eta0=0.01, max_iter=30, tol=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # short max_iter on purpose
        result = search(
            sgd, QUICK_GRID if args.quick else GRID, data, args, n_jobs=2, keep_models="all"
        )

    # Validation log loss of the same fitted models, as a second heatmap.
    losses = result.table.copy()
    losses[Col.SCORE] = [
        log_loss(data.y_val, m.predict_proba(data.X_val), labels=m.classes_) if m else float("nan")
        for m in result.models
    ]
    losses[Col.DIRECTION] = Direction.LOWER
    fig = plot_scores(losses, axes=result.axes, metric="log_loss", greater_is_better=False)
    save_figure(fig, args.out / "heatmap_log_loss.png")

    start = time.perf_counter()
    baseline = LogisticRegression(max_iter=200 if not args.quick else 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        baseline.fit(data.X_train, data.y_train)
    baseline_seconds = time.perf_counter() - start
    is_best = np.logical_and.reduce([result.table[a] == v for a, v in result.best_params.items()])
    best_loss = float(losses[Col.SCORE][is_best].iloc[0])
    lowest = losses[Col.SCORE].idxmin()
    comparison = {
        "data": data.source,
        "sgd_best_params": result.best_params,
        "sgd_best_accuracy": result.best_score,
        "sgd_best_log_loss": best_loss,  # of the best-accuracy model
        "sgd_lowest_log_loss": float(losses[Col.SCORE].iloc[lowest]),
        "sgd_lowest_log_loss_params": {a: _plain(losses[a].iloc[lowest]) for a in result.axes},
        "sgd_grid_wall_seconds": result.meta["wall_seconds"],
        "logistic_regression_accuracy": accuracy_score(data.y_val, baseline.predict(data.X_val)),
        "logistic_regression_log_loss": log_loss(data.y_val, baseline.predict_proba(data.X_val)),
        "logistic_regression_fit_seconds": baseline_seconds,
    }
    write_json_atomic(args.out / "baseline.json", comparison)
    print(
        f"\nSGD logistic regression, best of the grid: accuracy {result.best_score:.4f}, "
        f"log loss {best_loss:.4f} ({result.best_params}); lowest log loss of the grid "
        f"{comparison['sgd_lowest_log_loss']:.4f} "
        f"({comparison['sgd_lowest_log_loss_params']})\n"
        f"LogisticRegression (lbfgs) baseline:     accuracy "
        f"{comparison['logistic_regression_accuracy']:.4f}, log loss "
        f"{comparison['logistic_regression_log_loss']:.4f} "
        f"({baseline_seconds:.1f} s to fit)"
    )


def _plain(value):
    """A numpy scalar as a plain Python value, for JSON."""
    return value.item() if hasattr(value, "item") else value


if __name__ == "__main__":
    main()
