"""Tests of parsearch.plot.lines: the line plot and the single point."""

import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from test_plot import halving_grid_table, keyed_grid_table, make_table, math_texts, render

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


INF, NAN = math.inf, math.nan


@pytest.mark.parametrize(
    ("values", "labels", "scale"),
    [
        ([1e-3, 1e-2, 1e-1, INF], ["1e-3", "1e-2", "1e-1", "inf"], "linear"),
        ([0.0, 0.5, 1.0, INF, -INF], ["-inf", "0", "0.5", "1", "inf"], "linear"),
        ([NAN, 1.0, 2.0], ["1", "2", "nan"], "linear"),
        ([-1e308, 1.0, 1e308], ["-1e308", "1", "1e308"], "linear"),
        ([5e-324, 1e-300, 1.0], ["4.94e-324", "1e-300", "1"], "log"),
        ([1e300, 1e305, 1e308], ["1e300", "1e305", "1e308"], "log"),
        ([-0.0, 0.0, 1.0], ["-0", "0", "1"], "linear"),
    ],
)
def test_line_plot_places_and_labels_non_finite_and_extreme_values(values, labels, scale):
    table = keyed_grid_table({"a": values})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no ignored limits
        fig = plot_scores(table)
        render(fig)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert ax.get_xscale() == scale
    assert np.isfinite(ax.get_xlim()).all() and np.isfinite(ax.get_xticks()).all()
    (line, *_) = ax.get_lines()
    positions = np.asarray(line.get_xdata(), dtype=float)
    assert np.isfinite(positions).all() and len(np.unique(positions)) == len(values)


def test_a_single_non_finite_configuration_is_drawn():
    fig = plot_scores(keyed_grid_table({"a": [INF], "b": [NAN]}))
    render(fig)
    assert "a=inf, b=nan" in fig.get_suptitle()


@pytest.mark.parametrize(
    "values",
    [list(range(3000)), [f"value {i}" for i in range(3000)], list(np.linspace(0.5, 9.0, 3000))],
    ids=["zero-and-log-spaced", "strings", "linear"],
)
def test_thousands_of_values_draw_in_seconds_with_capped_tick_labels(values):
    from parsearch.plot.labels import MAX_TICKS

    table = keyed_grid_table({"a": values}, score=lambda a: 0.5)
    start = time.perf_counter()
    fig = plot_scores(table)
    render(fig)
    assert time.perf_counter() - start < 15
    shown = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert 2 <= len(shown) <= MAX_TICKS


def test_dollars_in_values_and_metric_are_plain_text():
    table = keyed_grid_table({"$a_b_c$": ["$a_b_c$", "price $5 or $6", "$\\frac$"]})
    fig = plot_scores(table, metric="$x_y_z$")
    render(fig)  # raised ParseFatalException before
    assert math_texts(fig) == []
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "$a_b_c$",
        "price $5 or $6",
        "$\\frac$",
    ]
    assert ax.get_xlabel() == "$a_b_c$"
    assert ax.get_ylabel() == "$x_y_z$ (higher is better)"
    assert ax.get_legend().get_texts()[0].get_text() == "$x_y_z$"


def test_pruned_values_are_hollow_at_their_rung_score_tagged_with_epochs():
    table = halving_grid_table()
    table = table[table["width"] == 512].drop(columns=[Col.KEY])  # lr: pruned, ok, pruned
    fig = plot_scores(table, metric="accuracy")
    (ax,) = fig.axes
    joined, _, pruned, star = ax.get_lines()[:4]
    np.testing.assert_array_equal(joined.get_ydata(), [np.nan, 0.95, np.nan])  # not joined
    np.testing.assert_array_equal(pruned.get_xdata(), [1e-3, 1e-1])
    np.testing.assert_array_equal(pruned.get_ydata(), [0.70, 0.83])
    assert pruned.get_markerfacecolor() == "none"
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (1e-2, 0.95)
    assert [t.get_text() for t in ax.texts] == ["@1", "@3"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "pruned@n: stopped after n epochs (its score then)" in legend
    assert "best accuracy = 0.95 at lr=1e-2" in fig.get_suptitle()
