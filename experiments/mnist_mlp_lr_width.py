"""Learning rate x width of one-hidden-layer networks on MNIST, trained as one fused model.

The whole grid trains at once (on the GPU when there is one), every network seeing the
same minibatches; writes the heatmap of validation accuracy and the per-epoch learning
curves of the best configurations.

    python experiments/mnist_mlp_lr_width.py [--quick] [--out DIR] [--data MNIST_DIR]
"""

from _common import load_data, parse_args, print_fused_run, save_learning_curves, search

from parsearch import MLPClassifier

GRID = {"lr": [0.001, 0.003, 0.01, 0.03, 0.1, 0.3], "width": [32, 64, 128, 256, 512]}
QUICK_GRID = {"lr": [0.003, 0.03, 0.3], "width": [32, 128]}


def main():
    args = parse_args("mnist_mlp_lr_width", __doc__.splitlines()[0])
    data = load_data(args)
    model = MLPClassifier(depth=1, optimizer="sgd", momentum=0.9, epochs=2 if args.quick else 5)
    result = search(model, QUICK_GRID if args.quick else GRID, data, args)
    save_learning_curves(result, args)
    print_fused_run(result)


if __name__ == "__main__":
    main()
