"""parsearch.load_results: a results folder read back as a GridResult, without rerunning."""

import math
import warnings
from pathlib import Path

import pandas as pd
import pytest
from sklearn.linear_model import SGDClassifier

import parsearch
from parsearch import MLPClassifier, fit_grid, load_results
from parsearch.rows import Col, Status

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def split(mnist_small):
    X, y = mnist_small
    return X[:1500], y[:1500], X[1500:2000], y[1500:2000]


def test_a_folder_written_by_fit_grid_reads_back_as_its_result(split, tmp_path):
    grid = {"alpha": [1e-4, 1e-2], "eta0": [0.01, 0.1], "max_iter": [3, 5]}
    model = SGDClassifier(loss="log_loss", learning_rate="adaptive", tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(model, grid, *split, out=tmp_path / "sgd", progress=False)
    back = load_results(tmp_path / "sgd")

    assert isinstance(back, parsearch.GridResult)
    assert back.best_params == res.best_params
    assert type(back.best_params["max_iter"]) is int  # typed from config_key, not 5.0
    assert back.best_score == res.best_score
    assert (back.metric, back.greater_is_better) == (res.metric, res.greater_is_better)
    assert back.axes == {k: list(v) for k, v in res.axes.items()}
    assert back.configs == res.configs
    assert back.out == tmp_path / "sgd" and back.meta["status"] == res.meta["status"]
    pd.testing.assert_series_equal(back.table[Col.SCORE], res.table[Col.SCORE])
    assert back.best_model is None and back.models is None  # a folder keeps no model
    assert back.top(3)[Col.SCORE].tolist() == res.top(3)[Col.SCORE].tolist()
    assert back.plot().axes  # the heatmap again
    ranks = [r.cv_results_["rank_test_score"].tolist() for r in (back, res)]
    assert ranks[0] == ranks[1]
    by_file = load_results(tmp_path / "sgd" / "scores.csv")  # the folder's file works too
    assert by_file.out == tmp_path / "sgd" and by_file.best_params == res.best_params


def test_a_network_folder_reads_back_with_its_epoch_scores(split, tmp_path):
    res = fit_grid(
        MLPClassifier(depth=1, width=16, epochs=2),
        {"lr": [0.01, 0.1]},
        *split,
        out=tmp_path / "mlp",
        progress=False,
    )
    back = load_results(tmp_path / "mlp")
    assert back.best_params == res.best_params == {"lr": back.best_params["lr"]}
    assert back.table[Col.EPOCH_SCORES].tolist() == res.table[Col.EPOCH_SCORES].tolist()


def test_a_committed_results_folder_reads_back():
    back = load_results(REPO / "results" / "mnist_sgd_logreg")
    assert back.best_params == {"alpha": 0.0001, "learning_rate": "adaptive"}
    assert back.best_score == pytest.approx(0.9217)
    assert (back.metric, back.greater_is_better) == ("accuracy", True)
    assert len(back.table) == 15 and back.best_model is None
    assert "best params: {'alpha': 0.0001, 'learning_rate': 'adaptive'}" in repr(back)
    assert "0.9217" in back._repr_html_()


def test_a_folder_where_nothing_succeeded(tmp_path):
    table = pd.DataFrame(
        {"lr": [0.1, 0.2], Col.SCORE: [math.nan] * 2, Col.STATUS: [Status.FAILED] * 2}
    )
    table.to_csv(tmp_path / "scores.csv", index=False)
    back = load_results(tmp_path)
    assert back.best_params is None and math.isnan(back.best_score)
    assert back.axes == {"lr": [0.1, 0.2]}
    assert "no configuration succeeded" in repr(back)
    assert "2 configurations: 2 failed" in back._repr_html_()


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-here"):
        load_results(tmp_path / "nothing-here")


def test_a_scores_file_with_an_unknown_status_is_refused_naming_it(tmp_path):
    (tmp_path / "scores.csv").write_text("lr,score,status\n0.1,0.5,weird\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"scores.csv is not a valid scores file.*'weird'"):
        load_results(tmp_path)
