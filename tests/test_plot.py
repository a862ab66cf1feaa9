"""Tests of parsearch.plot as a package, and the results tables the test_plot_* files share.

One test file per module: test_plot_arrays, test_plot_labels, test_plot_heatmap,
test_plot_lines, test_plot_curves, test_plot_dispatch, test_plot_figure, test_plot_points,
test_plot_scatter.
"""

import io
import itertools

import numpy as np
import pandas as pd

from parsearch.rows import Col, Status, config_key, csv_cell


def make_table(grid, score, failed=(), diverged=()):
    """A results table over the product of ``grid``; ``score(**params)`` gives each score."""
    rows = []
    for combo in itertools.product(*grid.values()):
        params = dict(zip(grid, combo, strict=True))
        rows.append({**params, Col.SCORE: float(score(**params)), Col.STATUS: Status.OK})
    table = pd.DataFrame(rows)
    for i in failed:
        table.loc[i, [Col.SCORE, Col.STATUS]] = [np.nan, Status.FAILED]
    for i in diverged:
        table.loc[i, [Col.SCORE, Col.STATUS]] = [np.nan, Status.DIVERGED]
    table[Col.ERROR] = ""
    table[Col.FIT_SECONDS] = 0.1
    return table


def images(fig):
    return [image for ax in fig.axes for image in ax.images]


def all_text(fig):
    texts = [fig.get_suptitle()]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.texts]
    return "\n".join(texts)


def lr_width_table():
    # rows in grid order: lr outer, width inner
    return make_table(
        {"lr": [0.1, 0.01, 0.001], "width": [512, 32]},
        lambda lr, width: np.log10(width) - lr,
        failed=[1],  # lr=0.1, width=32
        diverged=[4],  # lr=0.001, width=512
    )


def three_param_table():
    return make_table(
        {"lr": [0.01, 0.1], "width": [32, 64], "optimizer": ["sgd", "adam", "rmsprop"]},
        lambda lr, width, optimizer: (
            width / 100 + lr + {"sgd": 0, "adam": 1, "rmsprop": 2}[optimizer]
        ),
        failed=[0],
    )


def four_param_table():
    def score(lr, width, momentum, seed):
        return 10 * lr + width + 100 * momentum + 1000 * seed

    return make_table(
        {"lr": [0.1, 0.2], "width": [1, 2, 3], "momentum": [0.0, 0.5], "seed": [0, 1]}, score
    )


def csv_round_trip(table):
    """A table as ``scores.csv`` holds it, read back: tuples as JSON, None as empty."""
    cells = table.apply(lambda column: column.map(csv_cell))
    return pd.read_csv(io.StringIO(cells.to_csv(index=False)))


def keyed_grid_table(grid, score=None):
    """A keyed results table over the product of ``grid``, as ``fit_grid`` writes it.

    The scores are 0, 0.1, 0.2, ... in grid order unless ``score(**params)`` gives them.
    """
    params = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    scores = [float(score(**p)) if score else 0.1 * i for i, p in enumerate(params)]
    return keyed_table(params, scores)


def render(fig):
    """Draw a figure to PNG bytes, as ``save_figure`` does (raises what drawing raises)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    return buffer.getvalue()


def math_texts(fig):
    """The texts of a figure that matplotlib would parse as mathtext or TeX when drawn.

    The labels matplotlib's own tick formatters write (``$\\mathdefault{10^{-3}}$`` on a
    log axis) are left out: they are meant as math.
    """
    from matplotlib.text import Text

    return [
        t
        for t in fig.findobj(Text)
        if "\\mathdefault" not in t.get_text() and t._preprocess_math(t.get_text())[1]
    ]


def texts_of(fig):
    """Every text of a figure (titles, labels, tick labels, legends, cells), as drawn."""
    from matplotlib.text import Text

    render(fig)  # tick labels are made when drawing
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible()]


def keyed_table(params, scores):
    """A results table with a ``config_key`` per row, as ``fit_grid`` writes it."""
    rows = [
        {**p, Col.KEY: config_key(p), Col.SCORE: s, Col.STATUS: Status.OK}
        for p, s in zip(params, scores, strict=True)
    ]
    return pd.DataFrame(rows)


def halving_grid_table():
    """A grid lr × width searched with successive halving (rungs 1, 3, 9 epochs).

    One survivor (lr=1e-2, width=512: ok, 0.95 after 9 epochs); four pruned, one of them
    (lr=1e-2, width=32) with a rung score of 0.97 above the survivor's; one diverged.
    """
    rows = [  # lr, width, score, status, epochs
        (1e-3, 32, 0.60, Status.PRUNED, 1),
        (1e-3, 512, 0.70, Status.PRUNED, 1),
        (1e-2, 32, 0.97, Status.PRUNED, 3),
        (1e-2, 512, 0.95, Status.OK, 9),
        (1e-1, 32, np.nan, Status.DIVERGED, 1),
        (1e-1, 512, 0.83, Status.PRUNED, 3),
    ]
    records = []
    for lr, width, score, status, epochs in rows:
        params = {"lr": lr, "width": width}
        curve = [round(score - 0.05 * (epochs - e), 4) for e in range(1, epochs + 1)]
        records.append(
            {
                **params,
                Col.SCORE: score,
                Col.STATUS: status,
                Col.ERROR: "",
                Col.FIT_SECONDS: 0.1,
                Col.EPOCH_SCORES: curve if status != Status.DIVERGED else [0.3],
                Col.EPOCHS_TRAINED: epochs,
                Col.KEY: config_key(params),
            }
        )
    return pd.DataFrame(records)


def test_the_package_re_exports_the_public_names_of_its_modules():
    import parsearch.plot as plot
    from parsearch.plot import arrays, curves, dispatch, figure, labels, points

    assert sorted(plot.__all__) == [
        "ScoreGrid",
        "ScoreLine",
        "ScorePoints",
        "parameter_labels",
        "plot_epoch_scores",
        "plot_scatter_matrix",
        "plot_scores",
        "save_figure",
        "score_grid",
        "score_line",
        "score_points",
    ]
    assert plot.score_grid is arrays.score_grid and plot.ScoreGrid is arrays.ScoreGrid
    assert plot.parameter_labels is labels.parameter_labels
    assert plot.plot_scores is dispatch.plot_scores
    assert plot.plot_scatter_matrix is dispatch.plot_scatter_matrix
    assert plot.plot_epoch_scores is curves.plot_epoch_scores
    assert plot.save_figure is figure.save_figure
    assert plot.score_points is points.score_points and plot.ScorePoints is points.ScorePoints
