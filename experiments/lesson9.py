"""Reproduce the networks of fast.ai ML1 lesson 9 on MNIST.

Logistic regression (a network with no hidden layer), one hidden layer of 100 ReLU
units, and two hidden layers, trained with Adam on minibatches of 64 and scored on the
10,000 validation images; the lesson's figures beside ours. The lesson's own ``LogReg``
``nn.Module`` class (its ``nn.Parameter``s and its hand-written forward) trains too, as
it is, through ``TorchClassifier`` (its results in ``logreg_module/``).

    python experiments/lesson9.py [--quick] [--out DIR] [--data MNIST_DIR]
"""

import copy

import torch
from _common import load_data, parse_args, search
from torch import nn

from parsearch import MLPClassifier, TorchClassifier
from parsearch.results.files import write_json_atomic

#: What the lesson reports (validation accuracy).
LESSON = {
    0: ("logistic regression, Linear(784, 10)", "about 91-92%"),
    1: ("one hidden layer, Linear(784, 100), ReLU, Linear(100, 10)", "about 96%"),
    2: ("two hidden layers of 100", "the lesson's next step (no figure given)"),
}

MODULE_ROW = ("logistic regression, the lesson's own LogReg nn.Module", "about 91-92%")


class LogReg(nn.Module):
    """The lesson's logistic regression, written by hand as its own module."""

    def __init__(self):
        super().__init__()
        self.l1_w = nn.Parameter(torch.randn(28 * 28, 10) / (28 * 28))
        self.l1_b = nn.Parameter(torch.zeros(10))

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = x @ self.l1_w + self.l1_b
        return torch.log(torch.exp(x) / torch.exp(x).sum(dim=1)[:, None])


def main():
    args = parse_args("lesson9", __doc__.splitlines()[0])
    data = load_data(args)
    epochs = 1 if args.quick else 5
    model = MLPClassifier(width=100, optimizer="adam", lr=1e-3, epochs=epochs, batch_size=64)
    result = search(model, {"depth": [0, 1, 2]}, data, args)
    lines = [
        "# Lesson 9 networks: the lesson's figures beside ours",
        "",
        f"Data: {data.source}; {len(data.X_train):,} training and {len(data.X_val):,} "
        f"validation images. Adam, lr 1e-3, batch 64, {epochs} epoch(s), seed 0.",
        "",
        "| network | lesson | parsearch (validation accuracy) | accuracy after each epoch |",
        "|---|---|---|---|",
    ]
    summary = {}
    rows = [(*LESSON[row.depth], row) for row in result.table.itertuples()]
    module_args = copy.copy(args)
    module_args.out = args.out / "logreg_module"
    own = TorchClassifier(LogReg, optimizer="adam", lr=1e-3, epochs=epochs, batch_size=64)
    module_result = search(own, {"lr": [1e-3]}, data, module_args)
    rows.append((*MODULE_ROW, next(module_result.table.itertuples())))
    for name, lesson, row in rows:
        curve = ", ".join(f"{s:.4f}" for s in row.epoch_scores)
        lines.append(f"| {name} | {lesson} | {row.score:.4f} | {curve} |")
        summary[name] = {"lesson": lesson, "ours": row.score, "epoch_scores": row.epoch_scores}
    (args.out / "lesson_vs_ours.md").write_text("\n".join(lines) + "\n")
    write_json_atomic(args.out / "lesson_vs_ours.json", {"source": data.source, **summary})
    print("\n".join(lines))


if __name__ == "__main__":
    main()
