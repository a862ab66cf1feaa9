"""Values and rows: keys, forms, the best row, failed rows, counts, directions."""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from parsearch.rows import (
    BestSoFar,
    Col,
    Direction,
    Status,
    best_index,
    canonical,
    config_key,
    csv_cell,
    failed_row,
    metric_label,
    param_columns,
    params_from_key,
    ranked,
    status_counts,
    to_jsonable,
    typed_params,
    value_key,
)


def test_enums_are_their_string_values():
    assert Status.OK == "ok" and Direction.LOWER == "lower_is_better"
    assert {"ok": 1}[Status.OK] == 1  # hashed as the string
    assert str(Status.DIVERGED) == "diverged" and f"{Direction.HIGHER}" == "higher_is_better"
    assert json.dumps({Status.FAILED: Direction.HIGHER}) == '{"failed": "higher_is_better"}'
    assert pd.Series([Status.OK, "ok"]).value_counts().to_dict() == {"ok": 2}


def test_direction_words():
    assert Direction.of(True) is Direction.HIGHER and Direction.of(False) is Direction.LOWER
    assert Direction.HIGHER.greater_is_better and not Direction.LOWER.greater_is_better
    assert Direction.LOWER.label == "lower is better"
    assert metric_label("log_loss", False) == "log_loss (lower is better)"
    assert metric_label("accuracy", True) == "accuracy (higher is better)"


@pytest.mark.parametrize(
    "value",
    [None, True, 3, -2.5, 1e-4, "adam", (16, 32), float("inf"), float("-inf"), (1, (2.0, None))],
)
def test_a_key_gives_back_the_values_it_was_made_of(value):
    params = {"p": value, "q": 1}
    back = params_from_key(config_key(params))
    assert back == params
    assert type(back["p"]) is type(value)


def test_numpy_scalars_key_as_python_values():
    assert config_key({"a": np.int64(3), "b": np.float32(0.5)}) == config_key({"a": 3, "b": 0.5})
    assert canonical(np.bool_(True)) is True


def test_value_key_tells_ints_from_floats_and_finds_nan():
    assert value_key(32) != value_key(32.0)
    assert value_key(float("nan")) == value_key(np.nan)
    assert value_key((1, 2)) == value_key((1, 2))


def test_params_from_key_refuses_what_is_no_key():
    assert params_from_key(None) is None
    assert params_from_key("not json") is None
    assert params_from_key("[1, 2]") is None


def test_typed_params_read_the_key_and_fall_back_to_the_columns():
    table = pd.DataFrame(
        {
            "depth": [np.nan, 4.0],
            Col.SCORE: [0.5, 0.6],
            Col.STATUS: ["ok", "ok"],
            Col.KEY: [config_key({"depth": None}), np.nan],
        }
    )
    assert typed_params(table) == [{"depth": None}, {"depth": 4.0}]


def test_json_and_csv_forms():
    assert to_jsonable({"a": (1, np.float64(2.5)), "b": float("nan"), Status.OK: 1}) == {
        "a": [1, 2.5],
        "b": None,
        "ok": 1,
    }
    assert csv_cell([0.5, 0.25]) == "[0.5, 0.25]"
    assert csv_cell(None) == "" and csv_cell(float("nan")) == ""
    assert csv_cell(np.int64(4)) == 4 and type(csv_cell(np.int64(4))) is int


def test_best_index_takes_the_earliest_of_ties_and_skips_what_did_not_succeed():
    scores = [0.9, np.nan, 0.95, 0.95, 0.99]
    statuses = ["ok", "ok", "ok", "ok", "failed"]
    assert best_index(scores, statuses, greater_is_better=True) == 2
    assert best_index(scores, statuses, greater_is_better=False) == 0
    assert best_index([np.nan], ["ok"], True) is None
    assert best_index([], [], True) is None


def test_best_so_far_agrees_with_best_index_in_any_order():
    scores = [0.3, 0.1, 0.1, 0.7, np.inf]
    statuses = ["ok", "ok", "ok", "diverged", "ok"]
    for greater in (True, False):
        best = BestSoFar(greater)
        for i in (4, 2, 0, 3, 1):
            best.offer(i, {Col.SCORE: scores[i], Col.STATUS: statuses[i]}, model=f"m{i}")
        assert best.index == best_index(scores, statuses, greater)
        assert best.model == f"m{best.index}"


def test_ranked_orders_the_rows_that_succeeded():
    table = pd.DataFrame(
        {"a": [1, 2, 3, 4], Col.SCORE: [0.2, 0.5, np.nan, 0.5], Col.STATUS: ["ok"] * 4}
    )
    assert ranked(table, True)["a"].tolist() == [2, 4, 1]
    assert ranked(table, False)["a"].tolist() == [1, 2, 4]


def test_failed_row_names_the_exception():
    row = failed_row({"alpha": 0.1}, ValueError("bad"), seconds=1.5)
    assert row[Col.STATUS] == Status.FAILED and row[Col.ERROR] == "ValueError: bad"
    assert math.isnan(row[Col.SCORE]) and row[Col.FIT_SECONDS] == 1.5
    assert row[Col.KEY] == config_key({"alpha": 0.1}) and row["alpha"] == 0.1


def test_status_counts_and_param_columns():
    assert status_counts(["ok", "failed", "ok"]) == {"ok": 2, "failed": 1, "diverged": 0}
    assert param_columns(["lr", "width", Col.SCORE, Col.KEY, "depth"]) == ["lr", "width", "depth"]


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (True, '{"p": true}'),
        (np.bool_(False), '{"p": false}'),
        (3, '{"p": 3}'),
        (np.int64(3), '{"p": 3}'),
        (0.1, '{"p": 0.1}'),
        (1e-06, '{"p": 1e-06}'),
        (float("inf"), '{"p": {"float": "inf"}}'),
        (float("nan"), '{"p": {"float": "nan"}}'),
        ("log_loss", '{"p": "log_loss"}'),
        ("é", '{"p": "\\u00e9"}'),
        (None, '{"p": null}'),
        ((16, (8, None)), '{"p": [16, [8, null]]}'),
    ],
)
def test_keys_of_plain_values_are_as_before(value, key):
    # scores.csv files written before hold these keys: the format must not drift.
    assert config_key({"p": value}) == key


def test_estimator_and_function_values_come_back_from_a_key_as_text():
    from sklearn.feature_selection import f_classif
    from sklearn.svm import SVC

    back = params_from_key(config_key({"clf": SVC(C=2.0), "f": f_classif, "C": 1}))
    assert back["C"] == 1
    assert back["f"] == "sklearn.feature_selection._univariate_selection.f_classif"
    assert back["clf"].startswith("sklearn.svm._classes.SVC(params_hash=")


def test_typed_params_take_estimator_values_from_their_column():
    from sklearn.svm import SVC

    live = SVC(C=2.0)
    table = pd.DataFrame(
        {"clf": [live, "SVC(C=2.0)"], "C": [1, 2], Col.SCORE: [0.5, 0.6], Col.STATUS: ["ok"] * 2}
    )
    table[Col.KEY] = [config_key({"clf": live, "C": 1}), config_key({"clf": live, "C": 2})]
    params = typed_params(table)
    # A live table holds the estimator itself; a read scores.csv its text (as meta.json's axes).
    assert params[0]["clf"] is live and params[0]["C"] == 1
    assert params[1] == {"clf": "SVC(C=2.0)", "C": 2}


def test_value_key_of_an_estimator_is_its_content():
    from sklearn.svm import SVC

    assert value_key(SVC(C=2.0)) == value_key(SVC(C=2.0))
    assert value_key(SVC(C=2.0)) != value_key(SVC(C=3.0))


def test_set_valued_grid_values_key_the_same_in_every_process():
    code = "from parsearch.rows import config_key; print(config_key({'s': frozenset('abcdef')}))"
    keys = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": ""},
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(keys) == 1 and keys != {""}
