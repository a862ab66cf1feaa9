"""Reproduce the networks of fast.ai ML1 lesson 9 on MNIST.

Logistic regression (a network with no hidden layer), one hidden layer of 100 ReLU
units, and two hidden layers, trained with Adam on minibatches of 64 and scored on the
10,000 validation images; the lesson's figures beside ours.

    python experiments/lesson9.py [--quick] [--out DIR] [--data MNIST_DIR]
"""

from _common import load_data, parse_args, search

from parsearch import MLPClassifier
from parsearch.results.files import write_json_atomic

#: What the lesson reports (validation accuracy).
LESSON = {
    0: ("logistic regression, Linear(784, 10)", "about 91-92%"),
    1: ("one hidden layer, Linear(784, 100), ReLU, Linear(100, 10)", "about 96%"),
    2: ("two hidden layers of 100", "the lesson's next step (no figure given)"),
}


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
    for row in result.table.itertuples():
        name, lesson = LESSON[row.depth]
        curve = ", ".join(f"{s:.4f}" for s in row.epoch_scores)
        lines.append(f"| {name} | {lesson} | {row.score:.4f} | {curve} |")
        summary[name] = {"lesson": lesson, "ours": row.score, "epoch_scores": row.epoch_scores}
    (args.out / "lesson_vs_ours.md").write_text("\n".join(lines) + "\n")
    write_json_atomic(args.out / "lesson_vs_ours.json", {"source": data.source, **summary})
    print("\n".join(lines))


if __name__ == "__main__":
    main()
