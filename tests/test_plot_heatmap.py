"""Tests of parsearch.plot.heatmap: annotated heatmaps and small multiples."""

import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from test_plot import (
    all_text,
    four_param_table,
    halving_grid_table,
    images,
    keyed_grid_table,
    lr_width_table,
    math_texts,
    render,
    texts_of,
    three_param_table,
)

from parsearch.plot import plot_scores, score_grid
from parsearch.rows import Col, Status

INF, NAN = math.inf, math.nan


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


def tick_texts(axis):
    return [t.get_text() for t in axis.get_ticklabels()]


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([1e-3, 1e-1, 10.0, INF], [-INF, 0.0, 1.0]),  # log-spaced and linear
        ([NAN, -0.0, 0.0], [1e308, -1e308, 5e-324]),
    ],
)
def test_heatmap_labels_non_finite_and_extreme_values(x, y):
    table = keyed_grid_table({"y": y, "x": x})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_scores(table, x="x", y="y", axes={"x": x, "y": y})
        render(fig)
    (image,) = images(fig)
    expected = score_grid(table, "x", "y", axes={"x": x, "y": y})
    assert tick_texts(image.axes.xaxis) == expected.x_labels
    assert tick_texts(image.axes.yaxis) == expected.y_labels
    assert len(set(expected.x_labels)) == len(x) and len(set(expected.y_labels)) == len(y)
    assert "inf" in expected.x_labels + expected.y_labels or "nan" in expected.x_labels
    np.testing.assert_array_equal(image.get_array().filled(np.nan), expected.scores)


def test_facets_label_non_finite_values_of_every_parameter():
    table = keyed_grid_table({"a": [1.0, INF], "b": [-INF, 2], "c": [NAN, INF, -0.0]})
    fig = plot_scores(table, x="a", y="b")
    texts = texts_of(fig)
    panels = images(fig)
    assert [image.axes.get_title() for image in panels] == ["c = -0", "c = inf", "c = nan"]
    assert tick_texts(panels[-1].axes.xaxis) == ["1", "inf"]
    assert tick_texts(panels[0].axes.yaxis) == ["-inf", "2"]
    assert any("c=" in t for t in texts)  # the best is named


@pytest.mark.parametrize("kind", ["heatmap", "facets", "best over the rest"])
def test_dollars_in_values_names_and_metric_are_plain_text(kind):
    grid = {"$a_b_c$": ["$a_b_c$", "price $5 or $6"], "y": ["$\\frac$", "b"]}
    if kind != "heatmap":
        grid["$z$"] = ["$q_r_s$", "t"]
    if kind == "best over the rest":
        grid["w"] = [1, 2]
    fig = plot_scores(keyed_grid_table(grid), metric="$m_e_t$")
    texts = texts_of(fig)  # drawing raised ParseFatalException before
    assert math_texts(fig) == []
    assert "price $5 or $6" in texts and "$\\frac$" in texts
    assert any("$m_e_t$" in t for t in texts)  # title and colour bar
    if kind == "facets":
        assert "$z$ = $q_r_s$" in texts


def test_control_characters_and_long_values_are_shown_escaped_and_short():
    from parsearch.text import MAX_LABEL_CHARS

    long = "v" * 5000
    table = keyed_grid_table({"a\nb": ["x\ny", "\x1b[31mred", long + "1"], "c": ["\t", long]})
    fig = plot_scores(table)
    texts = texts_of(fig)
    assert "x\\ny" in texts and "\\x1b[31mred" in texts and "\\t" in texts
    assert fig.axes[0].get_xlabel() == "a\\nb"
    assert max(len(t) for t in tick_texts(fig.axes[0].xaxis)) <= MAX_LABEL_CHARS
    assert not any(ch in t for t in texts for ch in "\x1b\t")
    assert fig.get_size_inches()[0] < 20  # long values do not widen the figure


def test_thousands_of_values_draw_in_seconds_with_capped_tick_labels():
    from parsearch.plot.labels import MAX_TICKS

    rng = np.random.default_rng(0)
    n = 2000
    table = pd.DataFrame(  # a sampled search: every configuration its own lr and alpha
        {
            "lr": rng.uniform(0, 1, n),
            "alpha": rng.uniform(0, 1, n),
            Col.SCORE: rng.uniform(0, 1, n),
            Col.STATUS: [Status.OK] * (n - 10) + [Status.FAILED] * 10,
        }
    )
    wide = keyed_grid_table({"w": [1, 2], "v": [f"v{i}" for i in range(3000)]})
    for t in (table, wide):
        start = time.perf_counter()
        fig = plot_scores(t)
        render(fig)
        assert time.perf_counter() - start < 20
        # the sampled table is no grid: a scatter, no heatmap; uniform draws, linear axes
        ax = images(fig)[0].axes if t is wide else fig.axes[0]
        assert (len(images(fig)) == 1) == (t is wide)
        if t is table:
            assert (ax.get_xscale(), ax.get_yscale()) == ("linear", "linear")
        for axis in (ax.xaxis, ax.yaxis):
            assert 1 <= len([s for s in tick_texts(axis) if s]) <= MAX_TICKS


def cell_patches(ax, hatch):
    return [p for p in ax.patches if p.get_hatch() == hatch]


def test_pruned_cells_show_their_last_score_and_epochs_lighter_and_dotted():
    from parsearch.plot.heatmap import PRUNED_NOTE
    from parsearch.plot.labels import score_formatter
    from parsearch.plot.style import PRUNED_HATCH, PRUNED_VEIL

    table = halving_grid_table()
    fig = plot_scores(table, metric="accuracy")
    (image,) = images(fig)
    ax = image.axes
    grid = score_grid(table, "lr", "width")
    # the colour of a pruned cell is its rung score, clipped to the scale of the fully
    # trained cells (rung scores would stretch it until the survivors had one colour)
    np.testing.assert_allclose(np.ma.filled(image.get_array(), np.nan), grid.scores)
    trained = grid.scores[grid.status == Status.OK]
    lo, hi = image.get_clim()  # the trained range (padded by 1% when it is one value)
    assert lo <= np.nanmin(trained) <= np.nanmax(trained) <= hi
    assert hi - lo <= max(np.nanmax(trained) - np.nanmin(trained), 0.02 * abs(hi)) + 1e-12
    assert np.nanmin(grid.scores) < lo  # a pruned cell below the scale
    fmt = score_formatter(grid.scores)
    texts = [t.get_text() for t in ax.texts]
    assert f"{fmt(0.97)}\npruned@3" in texts and f"{fmt(0.60)}\npruned@1" in texts
    assert fmt(0.95) in texts and "diverged" in texts
    veils = cell_patches(ax, PRUNED_HATCH)
    assert sorted((p.get_x(), p.get_y()) for p in veils) == [
        (-0.5, -0.5),
        (-0.5, 0.5),
        (0.5, -0.5),
        (1.5, 0.5),
    ]
    assert all(p.get_facecolor()[3] == pytest.approx(PRUNED_VEIL) for p in veils)
    assert len(cell_patches(ax, "///")) == 1  # the diverged cell, hatched apart
    assert "best accuracy = 0.95 at lr=1e-2, width=512" in fig.get_suptitle()
    framed = [p for p in ax.patches if p.get_edgecolor()[:3] == (1.0, 0.0, 0.0)]
    assert [(p.get_x(), p.get_y()) for p in framed] == [(0.5, 0.5)]  # the ok cell
    (legend,) = fig.legends
    assert [" ".join(t.get_text().split()) for t in legend.get_texts()] == [PRUNED_NOTE]
    fig.canvas.draw()  # the note, wrapped to the figure's width, is not cut off
    inside = fig.bbox.extents
    note = legend.get_window_extent().extents
    assert inside[0] <= note[0] and note[2] <= inside[2]
    assert not plot_scores(lr_width_table()).legends  # no note without pruned cells


def test_a_facet_of_pruned_cells_only_does_not_stretch_the_shared_scale():
    trained = halving_grid_table().assign(opt="sgd")
    pruned = halving_grid_table().assign(opt="adam", score=0.2, status=Status.PRUNED)
    fig = plot_scores(pd.concat([trained, pruned]).drop(columns=[Col.KEY]))
    clims = {image.get_clim() for image in images(fig)}
    ((lo, hi),) = clims  # one scale, over the one fully trained score (0.95, padded)
    assert lo == pytest.approx(0.95 - 0.0095) and hi == pytest.approx(0.95 + 0.0095)


def test_pruned_cells_without_epochs_and_in_facets_and_large_grids():
    from parsearch.plot.heatmap import MAX_ANNOTATED
    from parsearch.plot.style import PRUNED_HATCH

    table = halving_grid_table().drop(columns=[Col.EPOCHS_TRAINED])
    texts = [t.get_text() for t in images(plot_scores(table))[0].axes.texts]
    assert sum(t.endswith("\npruned") for t in texts) == 4
    faceted = pd.concat([halving_grid_table().assign(opt=o) for o in ("sgd", "adam")])
    fig = plot_scores(faceted.drop(columns=[Col.KEY]))
    assert [len(cell_patches(image.axes, PRUNED_HATCH)) for image in images(fig)] == [4, 4]
    assert len(fig.legends) == 1
    big = keyed_grid_table({"a": [f"a{i}" for i in range(40)], "b": [f"b{i}" for i in range(30)]})
    assert len(big) > MAX_ANNOTATED
    big[Col.STATUS] = [Status.PRUNED if i % 3 else Status.OK for i in range(len(big))]
    ax = images(plot_scores(big))[0].axes
    assert len(cell_patches(ax, PRUNED_HATCH)) == (big[Col.STATUS] == Status.PRUNED).sum()
    assert len(ax.texts) == 0  # too many cells to write in


def test_a_huge_epochs_trained_is_no_300_digit_cell_text():
    # pruned_text writes int(epochs): 1e300 in a hostile scores.csv becomes a 301-digit
    # cell text, and constrained layout collapses the axes ("axes sizes collapsed").
    table = halving_grid_table()
    table[Col.EPOCHS_TRAINED] = table[Col.EPOCHS_TRAINED].astype(float)
    table.loc[0, Col.EPOCHS_TRAINED] = 1e300
    fig = plot_scores(table)
    render(fig)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert max(len(t) for t in texts) < 40, max(texts, key=len)
