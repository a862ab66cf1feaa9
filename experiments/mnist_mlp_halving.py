"""A sampled space with successive halving: 243 networks on MNIST, pruned inside the fused model.

243 configurations of one-hidden-layer networks, drawn by scrambled Sobol points from
``lr ~ loguniform(1e-3, 0.5)`` x ``width in {32, 64, 128, 256, 512}`` x
``momentum in {0, 0.9}``, train as one fused model; at 1, 3 and 9 epochs the best third
go on and the others stop (pruned, with their score at that rung), up to 27 epochs. Writes
the scatter of validation accuracy over the sampled space (pruned configurations marked)
and the learning curves, which show where each network stopped.

    python experiments/mnist_mlp_halving.py [--quick] [--out DIR] [--data MNIST_DIR]
"""

from _common import load_data, parse_args, save_learning_curves, search
from scipy.stats import loguniform

from parsearch import Halving, MLPClassifier, sample_space

SPACE = {"lr": loguniform(1e-3, 0.5), "width": [32, 64, 128, 256, 512], "momentum": [0.0, 0.9]}


def main():
    args = parse_args("mnist_mlp_halving", __doc__.splitlines()[0])
    data = load_data(args)
    n, epochs = (27, 3) if args.quick else (243, 27)
    configs = sample_space(SPACE, n, seed=0, method="sobol")
    model = MLPClassifier(depth=1, optimizer="sgd", batch_size=64, epochs=epochs, seed=0)
    result = search(model, configs, data, args, halving=Halving(factor=3, min_resource=1))
    save_learning_curves(result, args, top=12)
    halving = result.meta["halving"]
    trained = int(result.table["epochs_trained"].sum())
    print(
        f"rungs at {halving['rungs']} epochs with {halving['candidates']} networks: "
        f"{trained} model-epochs trained of {n * epochs} without halving, "
        f"{result.meta['wall_seconds']:.1f} s on {result.meta['execution']['device']}"
    )


if __name__ == "__main__":
    main()
