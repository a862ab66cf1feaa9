"""Tests of parsearch.plot.curves: learning curves of the best networks."""

import math

import numpy as np
import pandas as pd
import pytest
from test_plot import math_texts, texts_of

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
