"""Tests of parsearch.plot.curves: learning curves of the best networks."""

import math

import numpy as np
import pandas as pd
import pytest
from test_plot import halving_grid_table, math_texts, texts_of

from parsearch.rows import Col, Status


def test_plot_epoch_scores_draws_the_best_curves():
    from parsearch.plot import plot_epoch_scores

    table = pd.DataFrame(
        {
            "lr": [0.001, 0.01, 0.1, 1.0],
            "width": [32, 32, 32, 32],
            Col.SCORE: [0.80, 0.90, 0.85, np.nan],
            Col.STATUS: [Status.OK, Status.OK, Status.OK, Status.DIVERGED],
            Col.EPOCH_SCORES: [[0.7, 0.8], [0.85, 0.9], [0.86, 0.85], []],
        }
    )
    fig = plot_epoch_scores(table, metric="accuracy", top=2)
    ax = fig.axes[0]
    assert [list(line.get_ydata()) for line in ax.get_lines()] == [[0.85, 0.9], [0.86, 0.85]]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["lr=1e-2: 0.9", "lr=1e-1: 0.85"]
    assert "higher is better" in ax.get_ylabel()
    with pytest.raises(ValueError, match="epoch_scores"):
        plot_epoch_scores(table.drop(columns=[Col.EPOCH_SCORES]))


def test_epoch_curves_draw_values_and_metric_as_plain_text():
    from parsearch.plot import plot_epoch_scores

    table = pd.DataFrame(
        {
            "$lr$": ["$a_b_c$", "price $5 or $6", "x" * 500, math.inf],
            "w": ["a\nb", "c", "d", "e"],
            Col.SCORE: [0.80, 0.90, 0.85, 0.7],
            Col.STATUS: [Status.OK] * 4,
            Col.EPOCH_SCORES: [[0.7, 0.8], [0.85, 0.9], [0.86, 0.85], [0.6, 0.7]],
        }
    )
    fig = plot_epoch_scores(table, metric="$m_e_t$")
    texts = texts_of(fig)  # raised ParseFatalException before
    assert math_texts(fig) == []
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0] == "$lr$=price $5 or $6, w=c: 0.9"
    assert legend[1].startswith("$lr$=xxx") and "…" in legend[1] and len(legend[1]) < 70
    assert legend[3] == "$lr$=inf, w=e: 0.7"
    assert "$lr$=$a_b_c$, w=a\\nb: 0.8" in legend
    assert "validation $m_e_t$ after each epoch" in texts


def test_curves_end_where_their_models_stopped_and_mark_the_pruned():
    from parsearch.plot import plot_epoch_scores

    table = halving_grid_table()
    fig = plot_epoch_scores(table, metric="accuracy")
    ax = fig.axes[0]
    lines = ax.get_lines()
    best = lines[0]  # the survivor, first and in colour
    assert list(best.get_xdata()) == list(range(1, 10))
    assert best.get_ydata()[-1] == 0.95
    # the pruned: the two at 3 epochs first (the better first), then the two at 1
    pruned = [line for line in lines[1:] if line.get_linestyle() == "-"]
    ends = [line for line in lines[1:] if line.get_marker() == "o"]
    assert [len(line.get_xdata()) for line in pruned] == [3, 3, 1, 1]
    assert [(e.get_xdata()[0], e.get_ydata()[0]) for e in ends] == [
        (3, 0.97),
        (3, 0.83),
        (1, 0.70),
        (1, 0.60),
    ]
    assert all(e.get_markerfacecolor() == "white" for e in ends)
    rungs = [line for line in lines if line.get_linestyle() == ":"]
    assert sorted(line.get_xdata()[0] for line in rungs) == [1, 3]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "lr=1e-2, width=512: 0.95"
    assert "4 pruned, each ending where halving stopped it" in legend
    assert "the rungs of successive halving" in legend


def test_only_so_many_pruned_curves_are_drawn():
    from parsearch.plot import plot_epoch_scores
    from parsearch.plot.curves import MAX_PRUNED_CURVES

    n = MAX_PRUNED_CURVES + 10
    epochs = [9] + [1 + i % 3 for i in range(1, n)]
    scores = np.random.default_rng(0).permutation(np.linspace(0.5, 0.9, n))
    table = pd.DataFrame(
        {
            "lr": np.geomspace(1e-4, 1, n),
            Col.SCORE: scores,
            Col.STATUS: [Status.OK] + [Status.PRUNED] * (n - 1),
            Col.EPOCH_SCORES: [[s] * e for s, e in zip(scores, epochs)],
            Col.EPOCHS_TRAINED: epochs,
        }
    )
    ax = plot_epoch_scores(table).axes[0]
    ends = [line for line in ax.get_lines() if line.get_marker() == "o"][1:]
    assert len(ends) == MAX_PRUNED_CURVES
    # those that went furthest: all 46 at 2 or 3 epochs, then the best 14 of the 23 at 1
    lengths = [int(e.get_xdata()[0]) for e in ends]
    assert (lengths.count(3), lengths.count(2), lengths.count(1)) == (23, 23, 14)
    at_one = sorted(e.get_ydata()[0] for e in ends if e.get_xdata()[0] == 1)
    first_rung = table[Col.SCORE][table[Col.EPOCHS_TRAINED] == 1]
    assert at_one == sorted(first_rung)[-14:]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"{MAX_PRUNED_CURVES} of {n - 1} pruned, each ending where halving stopped it" in legend
