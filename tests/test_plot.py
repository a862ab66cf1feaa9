"""Tests of parsearch.plot: score arrays first, then the figures drawn from them."""

import io
import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parsearch.plot import plot_scores, save_figure, score_grid, score_line
from parsearch.rows import Col, Direction, Status

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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


# ----------------------------------------------------------------------------------------
# 1 varying parameter: the line
# ----------------------------------------------------------------------------------------


def test_score_line_values_status_and_best():
    lrs = [1e-1, 1e-4, 1e-2, 1e-3, 1.0]
    table = make_table({"lr": lrs, "width": [64]}, lambda lr, width: -abs(np.log10(lr) + 2))
    table.loc[4, [Col.SCORE, Col.STATUS]] = [np.nan, Status.FAILED]  # lr = 1.0
    table.loc[1, [Col.SCORE, Col.STATUS]] = [np.nan, Status.DIVERGED]  # lr = 1e-4

    line = score_line(table, "lr")

    assert line.x_values == [1e-4, 1e-3, 1e-2, 1e-1, 1.0]  # numbers sorted ascending
    assert line.x_labels == ["1e-4", "1e-3", "1e-2", "1e-1", "1"]
    np.testing.assert_array_equal(line.scores, [np.nan, -1.0, 0.0, -1.0, np.nan])
    assert list(line.status) == [Status.DIVERGED, Status.OK, Status.OK, Status.OK, Status.FAILED]
    assert line.best == 2
    assert line.best_params == {"lr": 1e-2, "width": 64}
    assert line.over == ()


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


def test_none_listed_in_the_grid_is_labelled_none():
    table = pd.DataFrame(
        {"max_depth": [None, 4, 8], Col.SCORE: [0.9, 0.8, 0.85], Col.STATUS: [Status.OK] * 3}
    )
    listed = score_line(table, "max_depth", axes={"max_depth": [None, 4, 8]})
    assert listed.x_labels == ["None", "4", "8"]
    assert score_line(table, "max_depth").x_labels == ["4", "8", "unset"]


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


# ----------------------------------------------------------------------------------------
# 2 varying parameters: the heatmap
# ----------------------------------------------------------------------------------------


def lr_width_table():
    # rows in grid order: lr outer, width inner
    return make_table(
        {"lr": [0.1, 0.01, 0.001], "width": [512, 32]},
        lambda lr, width: np.log10(width) - lr,
        failed=[1],  # lr=0.1, width=32
        diverged=[4],  # lr=0.001, width=512
    )


def test_score_grid_arrays_shape_values_and_best():
    grid = score_grid(lr_width_table(), "lr", "width")

    assert grid.x_values == [0.001, 0.01, 0.1]
    assert grid.y_values == [32, 512]
    assert grid.scores.shape == (2, 3)  # (len(y_values), len(x_values))
    w32, w512 = np.log10(32), np.log10(512)
    expected = [
        [w32 - 0.001, w32 - 0.01, np.nan],
        [np.nan, w512 - 0.01, w512 - 0.1],
    ]
    np.testing.assert_allclose(grid.scores, expected)
    assert grid.status.tolist() == [
        [Status.OK, Status.OK, Status.FAILED],
        [Status.DIVERGED, Status.OK, Status.OK],
    ]
    assert grid.best == (1, 1)
    assert grid.best_params == {"lr": 0.01, "width": 512}


def test_score_grid_lower_is_better_picks_the_minimum():
    grid = score_grid(lr_width_table(), "lr", "width", greater_is_better=False)
    assert grid.best == (0, 1)
    assert grid.best_params == {"lr": 0.01, "width": 32}


def test_axis_order_follows_axes_and_missing_values_give_empty_cells():
    axes = {"lr": [0.1, 0.01, 0.001], "width": [512, 128, 32]}  # 128 never ran
    grid = score_grid(lr_width_table(), "lr", "width", axes=axes)

    assert grid.x_values == [0.1, 0.01, 0.001]
    assert grid.y_values == [512, 128, 32]
    assert grid.x_labels == ["1e-1", "1e-2", "1e-3"]  # log-spaced: one style
    assert grid.status.tolist() == [
        [Status.OK, Status.OK, Status.DIVERGED],
        ["", "", ""],
        [Status.FAILED, Status.OK, Status.OK],
    ]
    assert np.isnan(grid.scores[1]).all()
    assert grid.best == (0, 1)


def test_axes_match_a_table_read_back_from_csv():
    table = pd.read_csv(io.StringIO(lr_width_table().to_csv(index=False)))
    direct = score_grid(lr_width_table(), "lr", "width", axes={"width": [512, 32]})
    from_csv = score_grid(table, "lr", "width", axes={"width": [512, 32]})

    assert from_csv.y_values == [512, 32]
    np.testing.assert_array_equal(from_csv.scores, direct.scores)
    assert from_csv.status.tolist() == direct.status.tolist()


def test_failed_and_diverged_in_one_cell():
    table = pd.DataFrame(
        {
            "a": [1, 1, 2, 2, 2, 1],
            "b": ["x", "x", "x", "y", "y", "y"],
            Col.SCORE: [np.nan, np.nan, np.nan, np.nan, 0.5, np.nan],
            Col.STATUS: [
                Status.FAILED,
                Status.DIVERGED,
                Status.DIVERGED,
                Status.FAILED,
                Status.OK,
                Status.OK,
            ],
        }
    )
    grid = score_grid(table, "a", "b")
    # mixed -> failed; all diverged -> diverged; one ok -> ok; "ok" with a NaN score -> failed
    assert grid.status.tolist() == [[Status.FAILED, Status.DIVERGED], [Status.FAILED, Status.OK]]
    np.testing.assert_array_equal(grid.scores, [[np.nan, np.nan], [np.nan, 0.5]])


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


# ----------------------------------------------------------------------------------------
# 3 varying parameters: small multiples
# ----------------------------------------------------------------------------------------


def three_param_table():
    return make_table(
        {"lr": [0.01, 0.1], "width": [32, 64], "optimizer": ["sgd", "adam", "rmsprop"]},
        lambda lr, width, optimizer: (
            width / 100 + lr + {"sgd": 0, "adam": 1, "rmsprop": 2}[optimizer]
        ),
        failed=[0],
    )


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


def test_score_grid_fixed_selects_one_panel():
    grid = score_grid(three_param_table(), "lr", "width", fixed={"optimizer": "sgd"})
    np.testing.assert_allclose(grid.scores, [[np.nan, 0.42], [0.65, 0.74]])
    assert grid.status[0, 0] == Status.FAILED
    assert grid.over == ()
    with pytest.raises(ValueError, match=r"'optimizer'.*values are"):
        score_grid(three_param_table(), "lr", "width", fixed={"optimizer": "adamw"})


def test_x_and_y_pick_the_axes_and_the_rest_is_faceted():
    fig = plot_scores(three_param_table(), x="optimizer", y="lr")
    panels = images(fig)
    assert [image.axes.get_title() for image in panels] == ["width = 32", "width = 64"]
    assert [t.get_text() for t in panels[0].axes.get_xticklabels()] == ["sgd", "adam", "rmsprop"]


# ----------------------------------------------------------------------------------------
# 4 or more varying parameters: best over the rest
# ----------------------------------------------------------------------------------------


def four_param_table():
    def score(lr, width, momentum, seed):
        return 10 * lr + width + 100 * momentum + 1000 * seed

    return make_table(
        {"lr": [0.1, 0.2], "width": [1, 2, 3], "momentum": [0.0, 0.5], "seed": [0, 1]}, score
    )


@pytest.mark.parametrize("greater_is_better", [True, False])
def test_best_over_the_other_parameters(greater_is_better):
    table = four_param_table()
    grid = score_grid(table, "width", "lr", greater_is_better=greater_is_better)

    assert grid.over == ("momentum", "seed")
    best_rest = 1050.0 if greater_is_better else 0.0  # momentum=0.5, seed=1 or both 0
    lr = np.array([[0.1], [0.2]])
    width = np.array([[1, 2, 3]])
    np.testing.assert_allclose(grid.scores, 10 * lr + width + best_rest)
    if greater_is_better:
        assert grid.best == (1, 2)
        assert grid.best_params == {"lr": 0.2, "width": 3, "momentum": 0.5, "seed": 1}
    else:
        assert grid.best == (0, 0)
        assert grid.best_params == {"lr": 0.1, "width": 1, "momentum": 0.0, "seed": 0}


def test_best_over_rest_skips_failures_and_reports_all_failed_cells():
    table = four_param_table()
    fails = (table["lr"] == 0.2) & (table["width"] == 3)
    table.loc[fails & (table["seed"] == 1), [Col.SCORE, Col.STATUS]] = [np.nan, Status.FAILED]
    table.loc[(table["lr"] == 0.1) & (table["width"] == 1), [Col.SCORE, Col.STATUS]] = [
        np.nan,
        Status.DIVERGED,
    ]
    grid = score_grid(table, "width", "lr")

    assert grid.scores[1, 2] == pytest.approx(2 + 3 + 50)  # best of the seed=0 rows
    assert grid.status[1, 2] == Status.OK
    assert grid.status[0, 0] == Status.DIVERGED
    assert np.isnan(grid.scores[0, 0])


@pytest.mark.parametrize(("greater_is_better", "word"), [(True, "highest"), (False, "lowest")])
def test_four_param_plot_says_it_takes_the_best(greater_is_better, word):
    fig = plot_scores(
        four_param_table(), x="width", y="lr", metric="loss", greater_is_better=greater_is_better
    )
    (image,) = images(fig)
    expected = score_grid(four_param_table(), "width", "lr", greater_is_better=greater_is_better)
    np.testing.assert_allclose(image.get_array(), expected.scores)
    assert f"each cell: the {word} over momentum, seed" in fig.get_suptitle()


def test_default_axes_are_the_first_two_varying_parameters():
    table = four_param_table()
    table.insert(0, "depth", 1)  # constant: not varying
    (image,) = images(plot_scores(table))
    ax = image.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lr", "width")


# ----------------------------------------------------------------------------------------
# 0 varying parameters, errors, warnings
# ----------------------------------------------------------------------------------------


def test_single_configuration():
    table = make_table({"lr": [0.01], "width": [32]}, lambda lr, width: 0.9)
    fig = plot_scores(table, metric="accuracy")
    assert "best accuracy = 0.9 at lr=0.01, width=32" in fig.get_suptitle()
    table.loc[0, [Col.SCORE, Col.STATUS]] = [np.nan, Status.FAILED]
    assert "only configuration failed" in plot_scores(table).get_suptitle()


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


# ----------------------------------------------------------------------------------------
# Saving, and no pyplot
# ----------------------------------------------------------------------------------------


def test_save_figure_writes_a_png_atomically(tmp_path):
    import matplotlib.image

    path = tmp_path / "out" / "heatmap.png"
    written = save_figure(plot_scores(lr_width_table()), path)

    assert written == path
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    save_figure(plot_scores(three_param_table()), path)  # replaces the old file
    assert matplotlib.image.imread(path).shape != pixels.shape
    assert sorted(p.name for p in path.parent.iterdir()) == ["heatmap.png"]  # no temp left


def test_no_pyplot_and_no_backend_change(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys
        import matplotlib
        # the raw setting: matplotlib.get_backend() would itself import pyplot
        backend = dict.__getitem__(matplotlib.rcParams, "backend")
        import pandas as pd
        from parsearch.plot import plot_scores, save_figure
        table = pd.DataFrame({{"lr": [0.1, 0.01, 0.1, 0.01], "w": [1, 1, 2, 2],
                               "score": [0.1, 0.2, 0.3, 0.4], "status": ["ok"] * 4}})
        fig = plot_scores(table)
        save_figure(fig, {str(tmp_path / "f.png")!r})
        assert type(fig).__module__ == "matplotlib.figure", type(fig)
        assert "matplotlib.pyplot" not in sys.modules
        assert dict.__getitem__(matplotlib.rcParams, "backend") is backend
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_arrays_work_without_matplotlib():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["matplotlib"] = None  # as if not installed
        import pandas as pd
        from parsearch.plot import plot_scores, score_grid
        table = pd.DataFrame({"lr": [0.1, 0.01], "w": [1, 2], "score": [0.1, 0.2]})
        assert score_grid(table, "lr", "w").best == (1, 0)
        try:
            plot_scores(table)
        except ImportError as exc:
            assert "pip install matplotlib" in str(exc), exc
        else:
            raise AssertionError("plot_scores drew without matplotlib")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


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


def test_cell_numbers_tell_close_good_scores_apart_despite_an_outlier():
    from parsearch.plot import _score_formatter

    scores = [0.1072, 0.9512, 0.9720, 0.9788, 0.9796, 0.9779, 0.9757]
    fmt = _score_formatter(scores)
    assert fmt(0.9796) == "0.9796" and fmt(0.9788) == "0.9788"
    assert _score_formatter([0.5, 0.6, 0.7, 0.8])(0.8) == "0.800"
