"""Learning rate x momentum of a small CNN on MNIST images, trained as one fused model.

Your own ``nn.Module`` (conv, ReLU, max-pool, twice, then a linear layer) in
``TorchClassifier``: the grid's configurations differ only in SGD's hyperparameters, so
they train in one ``torch.func`` run on the images as ``(n, 1, 28, 28)``; writes the
heatmap of validation accuracy and the learning curves of the best configurations.

    python experiments/mnist_cnn.py [--quick] [--out DIR] [--data MNIST_DIR]
"""

import dataclasses

from _common import load_data, parse_args, print_fused_run, save_learning_curves, search
from torch import nn

from parsearch import TorchClassifier

GRID = {"lr": [0.003, 0.01, 0.03, 0.1], "momentum": [0.0, 0.5, 0.9, 0.95]}
QUICK_GRID = {"lr": [0.01, 0.1], "momentum": [0.0, 0.9]}


class SmallCNN(nn.Module):
    """Two convolutions with ReLU and max-pooling, then a linear layer: logits."""

    def __init__(self, channels=8):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.classify = nn.Linear(2 * channels * 5 * 5, 10)

    def forward(self, x):
        return self.classify(self.features(x).flatten(1))


def main():
    args = parse_args("mnist_cnn", __doc__.splitlines()[0])
    data = load_data(args, quick_train=2_000)
    data = dataclasses.replace(  # images as (n, 1, 28, 28): fit_grid passes them through
        data, X_train=data.X_train.reshape(-1, 1, 28, 28), X_val=data.X_val.reshape(-1, 1, 28, 28)
    )
    model = TorchClassifier(SmallCNN, loss="cross_entropy", epochs=1 if args.quick else 2)
    result = search(model, QUICK_GRID if args.quick else GRID, data, args)
    save_learning_curves(result, args)
    print_fused_run(result)


if __name__ == "__main__":
    main()
