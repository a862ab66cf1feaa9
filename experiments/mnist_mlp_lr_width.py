"""Learning rate x width of one-hidden-layer networks on MNIST, trained as one fused model.

The whole grid trains at once (on the GPU when there is one), every network seeing the
same minibatches; writes the heatmap of validation accuracy and the per-epoch learning
curves of the best configurations.

    python experiments/mnist_mlp_lr_width.py [--quick] [--out DIR] [--data MNIST_DIR]
"""

from _common import load_data, parse_args, search

from parsearch import MLPClassifier
from parsearch.plot import plot_epoch_scores, save_figure

GRID = {"lr": [0.001, 0.003, 0.01, 0.03, 0.1, 0.3], "width": [32, 64, 128, 256, 512]}
QUICK_GRID = {"lr": [0.003, 0.03, 0.3], "width": [32, 128]}


def main():
    args = parse_args("mnist_mlp_lr_width", __doc__.splitlines()[0])
    data = load_data(args)
    model = MLPClassifier(depth=1, optimizer="sgd", momentum=0.9, epochs=2 if args.quick else 5)
    result = search(model, QUICK_GRID if args.quick else GRID, data, args)
    fig = plot_epoch_scores(result.table, metric=result.metric, top=5)
    save_figure(fig, args.out / "learning_curves.png")
    execution = result.meta["execution"]
    print(
        f"trained on {execution['device']} in fused groups of {execution['fused_groups']} "
        f"models: {result.meta['wall_seconds']:.1f} s for {len(result.table)} networks"
    )


if __name__ == "__main__":
    main()
