"""Tests of parsearch.plot.dispatch: which figure plot_scores draws, and its checks."""

import pandas as pd
import pytest
from test_plot import four_param_table, images, keyed_grid_table, lr_width_table, texts_of

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


def test_a_third_parameter_of_many_values_is_reduced_not_faceted():
    from parsearch.plot.dispatch import MAX_PANELS

    table = keyed_grid_table({"a": [1, 2], "b": [1, 2], "seed": list(range(MAX_PANELS + 1))})
    fig = plot_scores(table)
    assert len(images(fig)) == 1
    assert "each cell: the highest over seed" in fig.get_suptitle()
    few = keyed_grid_table({"a": [1, 2], "b": [1, 2], "seed": list(range(MAX_PANELS))})
    assert len(images(plot_scores(few))) == MAX_PANELS


@pytest.mark.parametrize(
    "grid",
    [
        {"a": [1]},
        {"a": [1, 2, 3, 4]},
        {"a": [1, 2], "b": [1, 2]},
        {"a": [1, 2], "b": [3, 4], "c": [5, 6]},
    ],
)
@pytest.mark.parametrize("scores", [[1e308, -1e308], [1.7e308], [5e-324, 0.0]])
def test_scores_near_the_largest_float_are_drawn(grid, scores):
    table = keyed_grid_table(grid)
    table[Col.SCORE] = (scores * len(table))[: len(table)]
    fig = plot_scores(table)
    texts = texts_of(fig)  # raised "Axis limits cannot be NaN or Inf" before
    best = table[Col.SCORE].max()
    assert f"best score = {best:.4g}" in fig.get_suptitle()
    assert texts
