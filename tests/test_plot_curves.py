"""Tests of parsearch.plot.curves: learning curves of the best networks."""

import numpy as np
import pandas as pd
import pytest

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
