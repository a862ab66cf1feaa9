"""Tests of parsearch.plot.arrays: a results table -> ScoreGrid / ScoreLine arrays."""

import io

import numpy as np
import pandas as pd
import pytest
from test_plot import (
    csv_round_trip,
    four_param_table,
    halving_grid_table,
    keyed_table,
    lr_width_table,
    make_table,
    three_param_table,
)

from parsearch.plot import score_grid, score_line
from parsearch.plot.arrays import prepare, reduce_cells
from parsearch.rows import Col, Status


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


def test_score_grid_fixed_selects_one_panel():
    grid = score_grid(three_param_table(), "lr", "width", fixed={"optimizer": "sgd"})
    np.testing.assert_allclose(grid.scores, [[np.nan, 0.42], [0.65, 0.74]])
    assert grid.status[0, 0] == Status.FAILED
    assert grid.over == ()
    with pytest.raises(ValueError, match=r"'optimizer'.*values are"):
        score_grid(three_param_table(), "lr", "width", fixed={"optimizer": "adamw"})


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


def test_values_are_read_back_typed_from_the_config_key():
    # A CSV turns max_depth None and 4 into NaN and 4.0, and min_samples_split 2 into 2.0;
    # each row's config_key keeps their types.
    params = [{"max_depth": d, "min_samples_split": s} for d in (None, 4) for s in (2, 0.5)]
    table = csv_round_trip(keyed_table(params, [0.5, 0.6, 0.7, 0.8]))
    assert table["max_depth"].dtype == float

    grid = score_grid(table, "min_samples_split", "max_depth")
    assert grid.y_values == [4, None] and grid.x_values == [0.5, 2]
    assert grid.y_labels == ["4", "unset"] and grid.x_labels == ["0.5", "2"]
    assert grid.best_params == {"max_depth": 4, "min_samples_split": 0.5}
    assert type(grid.best_params["max_depth"]) is int
    listed = score_grid(table, "min_samples_split", "max_depth", axes={"max_depth": [None, 4]})
    assert listed.y_labels == ["None", "4"]
    np.testing.assert_array_equal(listed.scores, [[0.6, 0.5], [0.8, 0.7]])


def test_tuple_values_meet_their_json_form_in_the_csv_and_meta():
    sizes = [(8,), (16, 8)]
    params = [{"hidden_layer_sizes": h} for h in sizes]
    table = keyed_table(params, [0.7, 0.9])
    meta_axes = {"hidden_layer_sizes": [[8], [16, 8]]}  # as meta.json holds them
    read = csv_round_trip(table)
    for t, axes in [
        (table, {"hidden_layer_sizes": sizes}),
        (read, meta_axes),
        (read, None),
        (read.drop(columns=[Col.KEY]), meta_axes),
    ]:
        line = score_line(t, "hidden_layer_sizes", axes=axes)
        assert line.x_labels == ["(8,)", "(16, 8)"]
        assert line.best_params == {"hidden_layer_sizes": (16, 8)}
        assert list(line.status) == [Status.OK, Status.OK]


def test_reduce_cells_names_what_it_returns():
    cells = reduce_cells(prepare(lr_width_table()), ["width"], None, True)
    np.testing.assert_allclose(cells.scores, [np.log10(32) - 0.001, np.log10(512) - 0.01])
    assert cells.status.tolist() == [Status.OK, Status.OK]
    assert cells.best == 1
    assert cells.best_params == {"lr": 0.01, "width": 512}
    assert cells.over == ("lr",)


def test_ties_go_to_the_first_cell():
    table = make_table({"lr": [0.1, 0.01], "width": [32, 64]}, lambda lr, width: 0.5)
    assert score_grid(table, "lr", "width").best == (0, 0)
    assert score_grid(table, "lr", "width", greater_is_better=False).best == (0, 0)


def test_pruned_cells_keep_their_rung_score_and_epochs_but_are_never_best():
    grid = score_grid(halving_grid_table(), "lr", "width")
    assert grid.status.tolist() == [
        [Status.PRUNED, Status.PRUNED, Status.DIVERGED],
        [Status.PRUNED, Status.OK, Status.PRUNED],
    ]
    np.testing.assert_array_equal(grid.scores, [[0.60, 0.97, np.nan], [0.70, 0.95, 0.83]])
    np.testing.assert_array_equal(grid.epochs, [[1, 3, np.nan], [1, 9, 3]])  # none shown: NaN
    assert grid.best == (1, 1)  # 0.95 trained fully, not the pruned 0.97
    assert grid.best_params == {"lr": 1e-2, "width": 512}
    # read back from scores.csv (epochs_trained as floats, maybe with gaps): the same
    read = csv_round_trip(halving_grid_table().drop(columns=[Col.EPOCH_SCORES]))
    np.testing.assert_array_equal(score_grid(read, "lr", "width").epochs, grid.epochs)
    no_column = score_grid(halving_grid_table().drop(columns=[Col.EPOCHS_TRAINED]), "lr", "width")
    assert no_column.status[0, 1] == Status.PRUNED and np.isnan(no_column.epochs).all()


def test_a_cell_over_pruned_rows_shows_the_one_that_went_furthest():
    table = halving_grid_table()
    line = score_line(table, "width")  # each width: the best over the lrs
    assert line.status.tolist() == [Status.PRUNED, Status.OK]
    # width=32: only pruned rows; the one at 3 epochs (0.97), not the ones at 1
    assert (line.scores[0], line.epochs[0]) == (0.97, 3)
    assert (line.scores[1], line.epochs[1]) == (0.95, 9)  # an ok row beats the pruned ones
    table.loc[2, Col.SCORE] = 0.1  # at 3 epochs but worse than those at 1: still furthest
    assert (score_line(table, "width").scores[0], score_line(table, "width").epochs[0]) == (0.1, 3)
    lower = score_line(halving_grid_table(), "lr", greater_is_better=False)
    assert lower.scores.tolist()[0] == 0.60  # lr=1e-3: both at 1 epoch, the lower wins
