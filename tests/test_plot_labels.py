"""Tests of parsearch.plot.labels: axes, tick labels, parameter labels, cell numbers."""

import numpy as np
import pandas as pd
from test_plot import csv_round_trip, keyed_table

from parsearch.plot import parameter_labels, score_line
from parsearch.plot.labels import make_axis, score_formatter
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
