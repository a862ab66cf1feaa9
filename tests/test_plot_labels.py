"""Tests of parsearch.plot.labels: axes, tick labels, parameter labels, cell numbers."""

import math

import numpy as np
import pandas as pd
import pytest
from test_plot import csv_round_trip, keyed_table

from parsearch.plot import labels, parameter_labels, score_line
from parsearch.plot.labels import best_text, format_values, make_axis, score_formatter
from parsearch.rows import Col, Status


def test_none_listed_in_the_grid_is_labelled_none():
    table = pd.DataFrame(
        {"max_depth": [None, 4, 8], Col.SCORE: [0.9, 0.8, 0.85], Col.STATUS: [Status.OK] * 3}
    )
    listed = score_line(table, "max_depth", axes={"max_depth": [None, 4, 8]})
    assert listed.x_labels == ["None", "4", "8"]
    assert score_line(table, "max_depth").x_labels == ["4", "8", "unset"]


def test_cell_numbers_tell_close_good_scores_apart_despite_an_outlier():
    scores = [0.1072, 0.9512, 0.9720, 0.9788, 0.9796, 0.9779, 0.9757]
    fmt = score_formatter(scores)
    assert fmt(0.9796) == "0.9796" and fmt(0.9788) == "0.9788"
    assert score_formatter([0.5, 0.6, 0.7, 0.8])(0.8) == "0.800"


def test_parameter_labels_of_a_csv_read_back():
    params = [{"max_depth": d, "alpha": a} for d in (None, 4) for a in (1e-4, 1e-3)]
    table = csv_round_trip(keyed_table(params, [0.1, 0.2, 0.3, 0.4]))
    labels = parameter_labels(table, {"max_depth": [None, 4], "alpha": [1e-4, 1e-3]})
    assert labels.to_dict("list") == {
        "max_depth": ["None", "None", "4", "4"],
        "alpha": ["1e-4", "1e-3", "1e-4", "1e-3"],
    }
    assert parameter_labels(table)["max_depth"].tolist() == ["unset", "unset", "4", "4"]


def test_an_axis_finds_a_value_that_lost_its_type():
    axis = make_axis([4.0, 8.0, np.nan, "16"], given=[None, 4, 8, 16])
    assert axis.values == [None, 4, 8, 16]
    assert axis.labels == ["None", "4", "8", "16"]
    assert [axis.index(v) for v in (4.0, 8, np.nan, None, "16", 16)] == [1, 2, 0, 0, 3, 3]
    assert axis.index(32) is None


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        ([-math.inf, 1.0, math.inf], ["-inf", "1", "inf"]),
        ([1e-3, 1e-1, math.inf], ["1e-3", "1e-1", "inf"]),  # still one log style
        ([math.nan, 0.5], ["nan", "0.5"]),
        ([-0.0, 0.0, 1.0], ["-0", "0", "1"]),
        ([1e308, -1e308, 1.0], ["1e308", "-1e308", "1"]),
        ([5e-324, 1e-300, 1.0], ["4.94e-324", "1e-300", "1"]),
        ([np.float32("inf"), np.float64("-inf")], ["inf", "-inf"]),
    ],
)
def test_non_finite_and_extreme_numbers_get_labels(values, labels):
    assert format_values(values) == labels


def test_nan_given_as_a_grid_value_is_a_value_of_its_own():
    axis = make_axis([math.nan, 1.0, None], given=[math.nan, 1.0, None])
    assert axis.labels == ["nan", "1", "None"]
    assert [axis.index(v) for v in (math.nan, np.nan, 1.0, None)] == [0, 0, 1, 2]
    # without the grid's order: numbers ascending, nan after them, unset last
    axis = make_axis([math.inf, math.nan, -math.inf, 2.0, None])
    assert axis.labels == ["-inf", "2", "inf", "nan", "unset"]
    assert [axis.index(v) for v in (-math.inf, 2.0, math.inf, math.nan, None)] == [0, 1, 2, 3, 4]


def test_non_finite_values_are_read_back_from_a_csv():
    values = [1.0, math.inf, -math.inf, math.nan]
    table = csv_round_trip(keyed_table([{"a": v} for v in values], [0.1, 0.2, 0.3, 0.4]))
    line = score_line(table, "a", axes={"a": values})
    assert line.x_labels == ["1", "inf", "-inf", "nan"]
    np.testing.assert_array_equal(line.scores, [0.1, 0.2, 0.3, 0.4])
    assert line.best_params == {"a": line.x_values[3]} and math.isnan(line.x_values[3])
    assert parameter_labels(table)["a"].tolist() == ["1", "inf", "-inf", "nan"]


def test_best_text_shows_values_as_display_labels():
    axis = make_axis(["a\nb" + "y" * 500])
    text = best_text("acc", 0.5, {"p": axis.values[0]}, {"p": axis})
    assert "\n" not in text and "a\\nb" in text and len(text) < 80


def test_tick_indices_are_capped():
    assert labels.tick_indices(7) == list(range(7))
    ticks = labels.tick_indices(3001)
    assert len(ticks) <= labels.MAX_TICKS and ticks[0] == 0
    assert len(set(np.diff(ticks))) == 1  # evenly strided
    assert labels.tick_indices(0) == []
