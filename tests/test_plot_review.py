"""Review of the plots, CLI and report for successive halving and sampled spaces.

Each test shows one bug a user or a hostile folder hits; see the review report.
"""

import math

import numpy as np
import pytest
from scipy import stats
from test_cli import edit_meta, edit_scores, halving_folder, run, set_cell
from test_plot import halving_grid_table, keyed_table, render

from parsearch import sample_space
from parsearch.plot import plot_scores
from parsearch.rows import Col, Status


def configs(space, n, seed=0):
    return [{k: v[0] for k, v in grid.items()} for grid in sample_space(space, n, seed=seed)]


def marks(ax):
    return {c.get_gid(): c for c in ax.collections if c.get_gid()}


def halving_sampled_table():
    """A sampled space after halving: 3 survivors close together (0.95 to 0.97), 45
    pruned at rung 1 with poor scores, one of them far off (0.05)."""
    params = configs({"lr": stats.loguniform(1e-4, 1), "wd": stats.loguniform(1e-6, 1e-2)}, 48)
    rng = np.random.default_rng(0)
    scores = list(rng.uniform(0.5, 0.7, len(params)))
    scores[0] = 0.05
    table = keyed_table(params, scores)
    table[Col.STATUS] = Status.PRUNED
    table[Col.EPOCHS_TRAINED] = 1
    for i, score in zip((10, 20, 30), (0.95, 0.96, 0.97), strict=True):
        table.loc[i, [Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED]] = [score, Status.OK, 9]
    return table


# --- 1. the survivors' colours are washed out by the rung scores of pruned rows ----------


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


# --- 2. a numeric parameter unset in some rows becomes one level per value ---------------


# --- 3. the legend's "ok" swatch is a bad colour for a lower-is-better metric -------------


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


# --- 4. a huge epochs_trained or halving factor is written out in 300 digits -------------


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


def test_show_of_a_huge_halving_factor_or_epochs_is_short(tmp_path, capsys):
    # collect._number and cli._epochs_text write int(value) of any integral float: a
    # meta.json factor of 1e300 (or epochs_trained of 1e300) prints 301 digits, in show
    # and in the report's facts.
    folder = halving_folder(tmp_path / "halving")
    edit_meta(folder, lambda m: m["halving"].update(factor=1e300))
    edit_scores(folder, set_cell(4, "epochs_trained", "1e300"))  # the ok row
    status, out, err = run(capsys, "show", folder)
    assert (status, err) == (0, "")
    assert max(len(line) for line in out.splitlines()) < 200, out


# --- checks that pass: kept so the fixes do not break them -------------------------------


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
    from test_plot import math_texts

    space = {"lr": stats.loguniform(1e-4, 1), "name": ["$a_b$", "price $5 or $6"], "e": [1, 2]}
    params = configs(space, 40)
    table = keyed_table(params, [math.sin(i) for i in range(40)])
    fig = plot_scores(table, metric="$m$")
    render(fig)
    assert math_texts(fig) == []


def test_all_failed_sampled_space_draws():
    params = configs({"lr": stats.loguniform(1e-4, 1), "wd": stats.loguniform(1e-6, 1)}, 50)
    table = keyed_table(params, [np.nan] * 50)
    table[Col.STATUS] = Status.FAILED
    fig = plot_scores(table)
    render(fig)
    assert "no configuration succeeded" in fig.get_suptitle()
