"""Tests of parsearch.plot.heatmap: annotated heatmaps and small multiples."""

import numpy as np
import pytest
from test_plot import all_text, four_param_table, images, lr_width_table, three_param_table

from parsearch.plot import plot_scores, score_grid


def test_heatmap_figure_annotates_cells_and_names_the_best():
    fig = plot_scores(lr_width_table(), metric="accuracy")

    (image,) = images(fig)
    np.testing.assert_allclose(
        np.ma.filled(image.get_array(), np.nan), score_grid(lr_width_table(), "lr", "width").scores
    )
    heat_ax = image.axes
    assert [t.get_text() for t in heat_ax.get_xticklabels()] == ["1e-3", "1e-2", "1e-1"]
    texts = [t.get_text() for t in heat_ax.texts]
    assert "failed" in texts and "diverged" in texts
    assert "best accuracy = 2.699 at lr=1e-2, width=512" in fig.get_suptitle()
    assert "accuracy (higher is better)" in all_text(fig)


def test_lower_is_better_reverses_the_colormap():
    high = images(plot_scores(lr_width_table(), metric="accuracy"))[0]
    low = images(plot_scores(lr_width_table(), metric="log_loss", greater_is_better=False))[0]
    assert high.get_cmap()(1.0) == low.get_cmap()(0.0)
    fig = plot_scores(lr_width_table(), metric="log_loss", greater_is_better=False)
    assert "log_loss (lower is better)" in all_text(fig)


def test_small_multiples_share_one_colour_scale():
    fig = plot_scores(three_param_table(), x="lr", y="width")

    panels = images(fig)
    assert len(panels) == 3
    for image in panels:  # the failed minimum (0.33) is not on the scale
        assert image.get_clim() == pytest.approx((0.42, 2.74))
    assert [image.axes.get_title() for image in panels] == [
        "optimizer = sgd",
        "optimizer = adam",
        "optimizer = rmsprop",
    ]
    assert "best score = 2.74 at lr=0.1, width=64, optimizer=rmsprop" in fig.get_suptitle()
    n_colorbars = len(fig.axes) - len(panels)
    assert n_colorbars == 1


def test_x_and_y_pick_the_axes_and_the_rest_is_faceted():
    fig = plot_scores(three_param_table(), x="optimizer", y="lr")
    panels = images(fig)
    assert [image.axes.get_title() for image in panels] == ["width = 32", "width = 64"]
    assert [t.get_text() for t in panels[0].axes.get_xticklabels()] == ["sgd", "adam", "rmsprop"]


@pytest.mark.parametrize(("greater_is_better", "word"), [(True, "highest"), (False, "lowest")])
def test_four_param_plot_says_it_takes_the_best(greater_is_better, word):
    fig = plot_scores(
        four_param_table(), x="width", y="lr", metric="loss", greater_is_better=greater_is_better
    )
    (image,) = images(fig)
    expected = score_grid(four_param_table(), "width", "lr", greater_is_better=greater_is_better)
    np.testing.assert_allclose(image.get_array(), expected.scores)
    assert f"each cell: the {word} over momentum, seed" in fig.get_suptitle()
