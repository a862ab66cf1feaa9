"""Tests of parsearch.plot.dispatch: which figure plot_scores draws, and its checks."""

import pandas as pd
import pytest
from test_plot import four_param_table, images, lr_width_table

from parsearch.plot import plot_scores, score_grid
from parsearch.rows import Col, Direction


def test_default_axes_are_the_first_two_varying_parameters():
    table = four_param_table()
    table.insert(0, "depth", 1)  # constant: not varying
    (image,) = images(plot_scores(table))
    ax = image.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lr", "width")


def test_unknown_x_or_y_names_the_valid_parameters():
    table = lr_width_table()
    with pytest.raises(ValueError, match=r"x='depth'.*valid parameters: 'lr', 'width'"):
        plot_scores(table, x="depth")
    with pytest.raises(ValueError, match=r"y='score'.*valid parameters: 'lr', 'width'"):
        plot_scores(table, y="score")
    with pytest.raises(ValueError, match="x='nope'"):
        score_grid(table, "nope", "lr")
    with pytest.raises(ValueError, match="different parameters"):
        plot_scores(table, x="lr", y="lr")


def test_bad_tables_are_rejected_with_a_fix():
    with pytest.raises(TypeError, match="pandas DataFrame"):
        plot_scores({"lr": [1], "score": [0.5]})
    with pytest.raises(ValueError, match="no 'score' column"):
        plot_scores(pd.DataFrame({"lr": [1]}))
    with pytest.raises(ValueError, match="no rows"):
        plot_scores(lr_width_table().iloc[:0])
    with pytest.raises(TypeError, match="wrap single values in a list"):
        score_grid(lr_width_table(), "lr", "width", axes={"lr": 0.1})


def test_direction_mismatch_warns():
    table = lr_width_table()
    table[Col.DIRECTION] = Direction.LOWER
    with pytest.warns(UserWarning, match="greater_is_better=True"):
        plot_scores(table)
