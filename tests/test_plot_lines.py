"""Tests of parsearch.plot.lines: the line plot and the single point."""

import numpy as np
import pandas as pd
from test_plot import make_table

from parsearch.plot import plot_scores, score_line
from parsearch.rows import Col, Status


def test_line_plot_is_log_scaled_and_marks_failures():
    from matplotlib.figure import Figure

    table = make_table({"lr": [1e-4, 1e-3, 1e-2, 1e-1]}, lambda lr: lr, failed=[3], diverged=[0])
    fig = plot_scores(table, metric="accuracy")

    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1e-4", "1e-3", "1e-2", "1e-1"]
    assert ax.get_ylabel() == "accuracy (higher is better)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"failed", "diverged"} <= set(legend)
    assert "best accuracy = 0.01 at lr=1e-2" in fig.get_suptitle()


def test_zero_beside_log_spaced_values_is_evenly_placed_with_one_label_style():
    table = pd.DataFrame(
        {
            "alpha": [0.0, 1e-4, 1e-3, 1e-2],
            Col.SCORE: [0.5, 0.6, 0.7, 0.65],
            Col.STATUS: [Status.OK] * 4,
        }
    )
    line = score_line(table, "alpha")
    assert line.x_labels == ["0", "1e-4", "1e-3", "1e-2"]
    ax = plot_scores(table).axes[0]
    assert ax.get_xscale() == "linear"
    ticks = ax.get_xticks()
    np.testing.assert_allclose(np.diff(ticks), 1.0)  # evenly placed, not 1e-4 away from 0
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1e-4", "1e-3", "1e-2"]


def test_line_plot_of_strings_keeps_first_appearance_and_linear_scale():
    table = pd.DataFrame(
        {
            "solver": ["saga", "lbfgs", None, "saga"],
            Col.SCORE: [0.7, 0.8, 0.6, 0.75],
            Col.STATUS: [Status.OK] * 4,
        }
    )
    line = score_line(table, "solver")
    assert line.x_values == ["saga", "lbfgs", None]  # unset last
    assert line.x_labels == ["saga", "lbfgs", "unset"]
    np.testing.assert_array_equal(line.scores, [0.75, 0.8, 0.6])  # best of duplicate rows

    fig = plot_scores(table)
    assert fig.axes[0].get_xscale() == "linear"


def test_single_configuration():
    table = make_table({"lr": [0.01], "width": [32]}, lambda lr, width: 0.9)
    fig = plot_scores(table, metric="accuracy")
    assert "best accuracy = 0.9 at lr=0.01, width=32" in fig.get_suptitle()
    table.loc[0, [Col.SCORE, Col.STATUS]] = [np.nan, Status.FAILED]
    assert "only configuration failed" in plot_scores(table).get_suptitle()
