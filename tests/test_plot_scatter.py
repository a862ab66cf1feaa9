"""Tests of parsearch.plot.scatter: a table that is no grid drawn as scatter plots."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from test_plot import images, keyed_table, math_texts, render, texts_of

from parsearch import fit_grid, sample_space
from parsearch.plot import plot_scatter_matrix, plot_scores
from parsearch.plot.scatter import BEST_GID
from parsearch.rows import Col, Status, typed_params

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WIDTHS = [32, 64, 128, 256, 512]


def configs(n=96, seed=0, **extra):
    space = {"lr": stats.loguniform(1e-3, 0.5), "width": WIDTHS, **extra}
    return [{k: v[0] for k, v in grid.items()} for grid in sample_space(space, n, seed=seed)]


def quality(config):
    """lr matters most (best near 3e-2), then width, then the rest a little."""
    score = 0.95 - 0.08 * (math.log10(config["lr"]) + 1.5) ** 2
    score += 0.01 * math.log2(config["width"] / 32)
    score += 0.004 * (config.get("momentum", 0) > 0) + 0.002 * (config.get("opt") == "adam")
    return score


def sampled_table(n=96, seed=0, **extra):
    params = configs(n, seed, **extra)
    return keyed_table(params, [quality(c) for c in params])


def marks(ax):
    """The scatter collections of an axes by their gid: ok, pruned, failed, diverged, best."""
    return {c.get_gid(): c for c in ax.collections if c.get_gid()}


def hollow(collection):
    faces = collection.get_facecolors()
    return len(faces) == 0 or np.all(faces[:, 3] == 0)


def legend_texts(fig):
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


# --- two parameters: one scatter ----------------------------------------------------------


def test_two_parameters_draw_one_scatter_coloured_by_the_score():
    table = sampled_table()
    fig = plot_scores(table, metric="accuracy")
    assert images(fig) == []  # no heatmap
    ax, bar = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lr (log scale)", "width")
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "linear")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["32", "64", "128", "256", "512"]
    assert bar.get_ylabel() == "accuracy (higher is better)"

    ok = marks(ax)[Status.OK].get_offsets()
    np.testing.assert_allclose(ok[:, 0], table["lr"])  # at their value
    levels = np.array([WIDTHS.index(w) for w in table["width"]])
    assert np.all(np.abs(ok[:, 1] - levels) <= 0.32) and np.any(ok[:, 1] != levels)  # jitter

    best = int(table[Col.SCORE].idxmax())
    (star,) = marks(ax)[BEST_GID].get_offsets()
    assert star[0] == pytest.approx(table["lr"][best]) and abs(star[1] - levels[best]) <= 0.32
    colours = marks(ax)[Status.OK].get_facecolors()
    assert colours.shape == (len(table), 4)  # one colour a point
    brightest = np.argmax(colours[:, :3].sum(axis=1))  # viridis: yellow is the best
    assert table[Col.SCORE][brightest] == pytest.approx(table[Col.SCORE].max(), abs=2e-3)

    title = fig.get_suptitle()
    assert "accuracy of 96 configurations over lr × width" in title
    assert "importance (share of the ranking it explains): lr 0." in title
    assert f"best accuracy = {table[Col.SCORE].max():.4g}" in title
    assert legend_texts(fig)[0] == "96 ok (colour: score)"


def test_lower_is_better_puts_the_star_on_the_lowest_and_keeps_it_bright():
    table = sampled_table()
    fig = plot_scores(table, metric="log_loss", greater_is_better=False)
    ax = fig.axes[0]
    worst_is_best = int(table[Col.SCORE].idxmin())
    (star,) = marks(ax)[BEST_GID].get_offsets()
    assert star[0] == pytest.approx(table["lr"][worst_is_best])
    colours = marks(ax)[Status.OK].get_facecolors()
    assert np.argmax(colours[:, :3].sum(axis=1)) == worst_is_best  # bright is the best
    assert fig.axes[1].get_ylabel() == "log_loss (lower is better)"


def test_x_and_y_choose_the_axes_of_one_scatter():
    table = sampled_table(momentum=[0.0, 0.9])
    fig = plot_scores(table, x="momentum", y="width")
    assert len(fig.axes) == 2  # one scatter and its colour bar, not the matrix
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("momentum", "width")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.9"]
    only_x = plot_scores(table, x="momentum").axes[0]  # the other: the most important
    assert (only_x.get_xlabel(), only_x.get_ylabel()) == ("momentum", "lr (log scale)")


# --- one parameter, and more than two -----------------------------------------------------


def test_one_parameter_of_many_values_is_the_score_against_it():
    params = [{"lr": float(v)} for v in np.geomspace(1e-4, 1.0, 60)]
    scores = [-abs(math.log10(p["lr"]) + 2) for p in params]
    table = keyed_table(params, scores)
    table.loc[[58, 59], [Col.SCORE, Col.STATUS]] = [np.nan, Status.FAILED]
    fig = plot_scores(table, metric="accuracy")
    (ax,) = fig.axes  # no colour bar: the score is the y axis
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "lr (log scale)"
    assert ax.get_ylabel() == "accuracy (higher is better)"
    ok = marks(ax)[Status.OK].get_offsets()
    np.testing.assert_allclose(ok[:, 1], table[Col.SCORE][:58])
    failed = marks(ax)[Status.FAILED]
    np.testing.assert_allclose(failed.get_offsets()[:, 1], 0.04)  # along the bottom...
    assert failed.get_offset_transform() is not ax.transData  # ...in axes coordinates
    (star,) = marks(ax)[BEST_GID].get_offsets()
    best = int(table[Col.SCORE].idxmax())
    assert list(star) == pytest.approx([table["lr"][best], table[Col.SCORE][best]])
    assert 9e-3 < table["lr"][best] < 1.1e-2
    best_text = f"best accuracy: {table[Col.SCORE][best]:.4g}"
    assert legend_texts(fig) == ["58 ok (colour: score)", "2 failed", best_text]


def test_three_parameters_draw_one_scatter_of_the_two_that_vary_most():
    table = sampled_table(n=128, momentum=[0.0, 0.9])
    fig = plot_scores(table, metric="accuracy")
    (ax, _bar) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lr (log scale)", "width")
    assert len(marks(ax)[Status.OK].get_offsets()) == 128
    assert "also varying: momentum (all of them: plot_scatter_matrix)" in fig.get_suptitle()
    assert "importance" not in fig.get_suptitle()


def test_three_parameters_draw_a_corner_matrix_most_important_first():
    table = sampled_table(n=128, momentum=[0.0, 0.9])
    fig = plot_scatter_matrix(table, metric="accuracy")
    panels, bar = fig.axes[:-1], fig.axes[-1]
    assert len(panels) == 6 and bar.get_ylabel() == "accuracy (higher is better)"
    titles = [ax.get_title() for ax in panels if ax.get_title()]
    assert titles == ["accuracy over lr", "accuracy over width", "accuracy over momentum"]
    pairs = [(ax.get_xlabel(), ax.get_ylabel()) for ax in panels]
    # x labels along the bottom row only, y labels down the first column
    assert pairs == [
        ("", "accuracy (higher is better)"),
        ("", "width"),
        ("", ""),
        ("lr (log scale)", "momentum"),
        ("width", ""),
        ("momentum", ""),
    ]
    for ax in panels:  # every configuration in every panel
        assert len(marks(ax)[Status.OK].get_offsets()) == 128
    assert "over lr, width, momentum" in fig.get_suptitle()


def test_more_than_four_parameters_draw_the_four_most_important():
    table = sampled_table(n=128, momentum=[0.0, 0.9], opt=["sgd", "adam"], seed=1)
    rng = np.random.default_rng(0)
    table.insert(0, "noise", rng.uniform(0, 1, len(table)))  # varies, explains nothing
    table[Col.KEY] = None  # the columns are the parameters
    fig = plot_scatter_matrix(table)
    assert len(fig.axes) == 10 + 1
    title = fig.get_suptitle()
    assert "the 4 most important of 5 parameters" in title
    drawn = [ax.get_title().removeprefix("score over ") for ax in fig.axes if ax.get_title()]
    assert drawn[:2] == ["lr", "width"] and len(drawn) == 4
    left_out = [p for p in ("noise", "momentum", "opt") if p not in drawn]
    assert len(left_out) == 1 and f"{left_out[0]} " in title and "(not drawn)" in title


# --- pruned, failed and diverged ----------------------------------------------------------


def halving_table():
    """A sampled search whose worse configurations successive halving stopped early."""
    table = sampled_table(n=81, momentum=[0.0, 0.9])
    order = np.argsort(-table[Col.SCORE].to_numpy())
    epochs = np.ones(81, dtype=int)
    epochs[order[:27]], epochs[order[:9]], epochs[order[:3]] = 3, 9, 27
    table[Col.EPOCHS_TRAINED] = epochs
    table[Col.STATUS] = np.where(epochs == 27, Status.OK, Status.PRUNED)
    table.loc[order[3], Col.SCORE] = 0.999  # a rung score above every survivor's
    table.loc[order[-1], [Col.SCORE, Col.STATUS]] = [np.nan, Status.DIVERGED]
    table.loc[order[-2], [Col.SCORE, Col.STATUS]] = [np.nan, Status.FAILED]
    return table, order


def test_a_pruned_row_without_a_score_goes_along_the_bottom_of_a_score_plot():
    params = [{"lr": float(v)} for v in np.geomspace(1e-4, 1.0, 60)]  # too many for a line
    table = keyed_table(params, [-abs(math.log10(p["lr"]) + 2) for p in params])
    table[Col.STATUS] = Status.PRUNED
    table.loc[[57, 58, 59], Col.STATUS] = Status.OK
    table.loc[[3, 4], Col.SCORE] = np.nan  # the metric failed for these two at their rung
    fig = plot_scores(table, metric="accuracy")
    (ax,) = fig.axes
    kinds = marks(ax)
    scored = kinds[Status.PRUNED].get_offsets()
    assert len(scored) == 55 and np.all(np.isfinite(scored))
    unscored = kinds[f"{Status.PRUNED}-unscored"]
    assert hollow(unscored) and unscored.get_offset_transform() is not ax.transData
    expected = [[table["lr"][3], 0.04], [table["lr"][4], 0.04]]
    np.testing.assert_allclose(unscored.get_offsets(), expected)
    assert "57 pruned by successive halving (hollow: score when stopped)" in legend_texts(fig)
    render(fig)


def test_pruned_failed_and_diverged_are_marked_apart_and_pruned_is_never_best():
    table, order = halving_table()
    fig = plot_scores(table, x="lr", y="width", metric="accuracy")
    ax = fig.axes[0]
    kinds = marks(ax)
    assert sorted(kinds) == sorted(
        [Status.OK, Status.PRUNED, Status.FAILED, Status.DIVERGED, BEST_GID]
    )
    assert len(kinds[Status.OK].get_offsets()) == 3 and not hollow(kinds[Status.OK])
    assert len(kinds[Status.PRUNED].get_offsets()) == 76 and hollow(kinds[Status.PRUNED])
    assert kinds[Status.PRUNED].get_sizes()[0] < kinds[Status.OK].get_sizes()[0]
    np.testing.assert_allclose(kinds[Status.DIVERGED].get_offsets()[:, 0], table["lr"][order[-1]])
    np.testing.assert_allclose(kinds[Status.FAILED].get_offsets()[:, 0], table["lr"][order[-2]])
    (star,) = kinds[BEST_GID].get_offsets()
    assert star[0] == pytest.approx(table["lr"][order[0]])  # not the pruned 0.999
    legend = legend_texts(fig)
    assert "76 pruned by successive halving (hollow: score when stopped)" in legend
    assert "1 diverged" in legend and "1 failed" in legend
    assert f"best accuracy: {table[Col.SCORE][order[0]]:.4g}" in legend
    # the colour scale spans the fully trained rows; pruned rung scores are clipped to it
    bar = fig.axes[1]
    ok = table[table[Col.STATUS] == Status.OK][Col.SCORE]
    assert bar.get_ylim() == pytest.approx((ok.min(), ok.max()), abs=0.01 * (ok.max() - ok.min()))


def test_a_table_where_nothing_succeeded_still_draws():
    table = sampled_table(n=50)
    table[Col.STATUS] = Status.FAILED
    table[Col.SCORE] = np.nan
    fig = plot_scores(table)
    render(fig)
    assert "no configuration succeeded" in fig.get_suptitle()
    assert BEST_GID not in marks(fig.axes[0]) and len(fig.axes) == 1  # no colour bar


# --- levels, extreme values, plain text ---------------------------------------------------


def test_categories_get_levels_in_grid_order_with_jitter():
    table = sampled_table(n=60, solver=["saga", None, "lbfgs"], bias=[True, False])
    axes = {"solver": ["saga", None, "lbfgs"], "bias": [True, False]}
    fig = plot_scores(table, axes=axes, x="solver", y="bias")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["saga", "None", "lbfgs"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["True", "False"]
    offsets = marks(ax)[Status.OK].get_offsets()
    levels = np.array([axes["solver"].index(p["solver"]) for p in typed_params(table)])
    assert np.all(np.abs(offsets[:, 0] - levels) <= 0.32)


def test_extreme_values_fall_back_to_levels_and_draw_without_warnings():
    values = [1e308, -1e308, math.inf, 0.0, -0.0] + [float(i) for i in range(45)]
    table = keyed_table([{"a": v, "b": i % 7} for i, v in enumerate(values)], list(range(50)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_scores(table)
        render(fig)
    ax = fig.axes[0]
    assert np.isfinite(ax.get_xlim()).all() and np.isfinite(ax.get_ylim()).all()


def test_rows_that_leave_a_numeric_parameter_unset_are_drawn_beside_its_axis():
    from test_plot_points import conditional_configs

    params = conditional_configs()
    table = keyed_table(params, list(np.linspace(0.2, 0.9, len(params))))
    fig = plot_scores(table, x="gamma", y="C")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    render(fig)
    minor = [t.get_text() for t in ax.xaxis.get_ticklabels(minor=True)]
    assert minor == ["unset"]
    at = ax.xaxis.get_minorticklocs()[0]
    xs = marks(ax)[Status.OK].get_offsets()[:, 0]
    unset = np.array(["gamma" not in p for p in params])
    assert np.all(xs[unset] == at) and np.all(xs[~unset] > at)
    assert ax.get_xlim()[0] < at  # on the axes, not clipped


def test_the_unset_place_of_a_linear_axis_has_no_value_tick_of_its_own():
    """Values 0..100: the unset rows sit at -20, where matplotlib would put a major tick."""
    rng = np.random.default_rng(0)
    params = [{"kind": "a", "w": float(v), "C": float(rng.uniform())} for v in range(0, 100, 5)]
    params += [{"kind": "b", "C": float(rng.uniform())} for _ in range(5)]
    fig = plot_scores(keyed_table(params, list(np.linspace(0.2, 0.9, 25))), x="w", y="C")
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    render(fig)
    assert [t.get_text() for t in ax.xaxis.get_ticklabels(minor=True)] == ["unset"]
    at = ax.xaxis.get_minorticklocs()[0]
    assert -20 <= at < 0
    lo, hi = ax.get_xlim()
    shown = [v for v in ax.xaxis.get_majorticklocs() if lo <= v <= hi]
    assert shown and all(v > at / 2 for v in shown)  # none among the unset rows


def test_a_none_listed_in_the_grid_is_drawn_beside_the_axis_as_none():
    """max_depth=None is a value (no limit): labelled "None", as the heatmap labels it."""
    rng = np.random.default_rng(0)
    depths = [None, *range(1, 21)]
    params = [{"max_depth": d, "C": float(rng.uniform())} for d in depths]
    axes = {"max_depth": depths, "C": sorted(p["C"] for p in params)}
    table = keyed_table(params, list(np.linspace(0.2, 0.9, len(params))))
    fig = plot_scores(table, x="max_depth", y="C", axes=axes)
    render(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.xaxis.get_ticklabels(minor=True)] == ["None"]
    assert ax.xaxis.get_minorticklocs()[0] < 1


def test_scatter_texts_are_plain_text():
    params = [{"$lr$": c["lr"], "w_a_b": f"$v_{c['width']}$"} for c in configs(60)]
    table = keyed_table(params, list(np.linspace(0, 1, 60)))
    fig = plot_scores(table, metric="$m_e_t$")
    texts = texts_of(fig)
    assert math_texts(fig) == []
    assert "$v_32$" in texts and any("$m_e_t$" in t for t in texts)


# --- through fit_grid -----------------------------------------------------------------------


def test_a_sampled_search_writes_a_scatter(tmp_path):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import SGDClassifier

    X, y = make_classification(300, 8, n_informative=4, random_state=0)
    space = sample_space(
        {"alpha": stats.loguniform(1e-6, 1e-1), "loss": ["hinge", "log_loss"], "tol": [1e-3, None]},
        24,
        seed=1,
    )
    out = tmp_path / "sgd"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence
        res = fit_grid(
            SGDClassifier(max_iter=20),
            space,
            X[:200],
            y[:200],
            X[200:],
            y[200:],
            out=out,
            progress=False,
        )
    assert (out / "heatmap.png").read_bytes()[:8] == PNG_MAGIC
    assert len([ax for ax in res.plot().axes if marks(ax)]) == 1  # one scatter by default
    fig = plot_scatter_matrix(res.table, metric=res.metric, greater_is_better=True)
    assert images(fig) == []
    panels = [ax for ax in fig.axes if marks(ax)]
    assert len(panels) == 6  # three varying parameters: the corner matrix
    assert all(len(marks(ax)[BEST_GID].get_offsets()) == 1 for ax in panels)
    assert f"best {res.metric} = {res.best_score:.4g}" in fig.get_suptitle()
    (alpha,) = [ax for ax in panels if ax.get_xlabel() == "alpha (log scale)"]
    assert alpha.get_xscale() == "log"
    ok = res.table[Col.STATUS] == Status.OK
    np.testing.assert_allclose(marks(alpha)[Status.OK].get_offsets()[:, 0], res.table["alpha"][ok])


def space_configs(space, n, seed=0):
    """``n`` configurations drawn from ``space``, as plain dicts."""
    return [{k: v[0] for k, v in grid.items()} for grid in sample_space(space, n, seed=seed)]


def halving_sampled_table():
    """A sampled space after halving: 3 survivors close together (0.95 to 0.97), 45
    pruned at rung 1 with poor scores, one of them far off (0.05)."""
    params = space_configs(
        {"lr": stats.loguniform(1e-4, 1), "wd": stats.loguniform(1e-6, 1e-2)}, 48
    )
    rng = np.random.default_rng(0)
    scores = list(rng.uniform(0.5, 0.7, len(params)))
    scores[0] = 0.05
    table = keyed_table(params, scores)
    table[Col.STATUS] = Status.PRUNED
    table[Col.EPOCHS_TRAINED] = 1
    for i, score in zip((10, 20, 30), (0.95, 0.96, 0.97), strict=True):
        table.loc[i, [Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]] = [score, Status.OK, 9]
    return table


def test_survivors_colours_are_not_washed_out_by_pruned_rung_scores():
    # After halving nearly every row is pruned at an early rung with a poor score; the
    # colour scale spans those, so the few fully trained rows (the only comparable
    # scores, the ones the user chooses between) all get the same bright colour. Seen in
    # the repository's own results/mnist_mlp_halving/heatmap.png: 9 ok points, one yellow.
    table = halving_sampled_table()
    fig = plot_scores(table, metric="accuracy")
    ok = marks(fig.axes[0])[Status.OK]
    colours = ok.get_facecolors()[:, :3]
    spread = float(np.linalg.norm(colours.max(axis=0) - colours.min(axis=0)))
    # alone, the same three scores span the whole colour map (spread ~1.1 in RGB)
    assert spread > 0.3, f"the 3 ok points are coloured alike: {colours.round(2).tolist()}"


def test_the_ok_legend_swatch_has_the_same_colour_in_either_direction():
    # legend_handles draws the "ok" swatch as cmap(0.65); the map is reversed for a
    # lower-is-better metric, so the swatch turns dark blue, the colour of bad scores,
    # while the points it stands for are bright (bright is best in either direction).
    table = halving_sampled_table()

    from matplotlib.colors import to_rgba

    def swatch(greater):
        fig = plot_scores(table, metric="m", greater_is_better=greater)
        (legend,) = fig.legends
        handle = next(
            h
            for h, t in zip(legend.legend_handles, legend.get_texts(), strict=True)
            if t.get_text().endswith("ok (colour: score)")
        )
        return np.array(to_rgba(handle.get_color()))

    np.testing.assert_allclose(swatch(False), swatch(True), atol=0.05)


def test_lower_is_better_star_sits_at_the_minimum_among_survivors():
    table = halving_sampled_table()
    fig = plot_scores(table, metric="log_loss", greater_is_better=False)
    (best,) = marks(fig.axes[0])["best"].get_offsets()
    survivors = table[table[Col.STATUS] == Status.OK]
    lowest = survivors.loc[survivors[Col.SCORE].idxmin()]
    ax = fig.axes[0]
    x, y = (ax.get_xlabel().split()[0], ax.get_ylabel().split()[0])
    assert best[0] == pytest.approx(lowest[x]) and best[1] == pytest.approx(lowest[y])


def test_dollar_signs_in_sampled_values_are_plain_text():
    space = {"lr": stats.loguniform(1e-4, 1), "name": ["$a_b$", "price $5 or $6"], "e": [1, 2]}
    params = space_configs(space, 40)
    table = keyed_table(params, [math.sin(i) for i in range(40)])
    fig = plot_scores(table, metric="$m$")
    render(fig)
    assert math_texts(fig) == []


def test_all_failed_sampled_space_draws():
    params = space_configs({"lr": stats.loguniform(1e-4, 1), "wd": stats.loguniform(1e-6, 1)}, 50)
    table = keyed_table(params, [np.nan] * 50)
    table[Col.STATUS] = Status.FAILED
    fig = plot_scores(table)
    render(fig)
    assert "no configuration succeeded" in fig.get_suptitle()
