"""fit_grid's phases, one at a time: set up, plan, run and collect, finish."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.neighbors import KNeighborsClassifier

from parsearch import fit_grid
from parsearch.rows import Col, Status
from parsearch.search.phases import finish_search, plan_search, run_search
from parsearch.search.setup import set_up

OPTIONS = dict(
    metric="accuracy",
    greater_is_better=None,
    cv=3,
    device="auto",
    random_state=0,
    n_jobs=None,
    backend=None,
    client=None,
    engine="auto",
    resume=True,
    plot=False,
    progress=False,
    keep_models="best",
)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600], X[600:900] / 16.0, y[600:900]


def test_set_up_checks_and_seeds_without_touching_out(digits, tmp_path):
    X, y, Xv, yv = digits
    out = tmp_path / "run"
    search = set_up(SGDClassifier(), {"alpha": [1e-4, 1e-3]}, X, y, Xv, yv, out=out, **OPTIONS)
    assert search.base.random_state == 0 and search.options.out == out
    assert len(search.grid) == 2 and search.engine is None and search.n_classes == 10
    assert not out.exists()
    with pytest.raises(ValueError, match="keep_models"):
        set_up(SGDClassifier(), {"alpha": [1e-4]}, X, y, Xv, yv, **{**OPTIONS, "keep_models": "x"})


def test_plan_reuses_what_an_earlier_run_finished(digits, tmp_path):
    X, y, Xv, yv = digits
    grid = {"alpha": [1e-4, 1e-3, 1e-2]}
    fit_grid(SGDClassifier(), {"alpha": grid["alpha"][:2]}, X, y, Xv, yv, out=tmp_path,
             progress=False, plot=False)  # fmt: skip
    plan = plan_search(set_up(SGDClassifier(), grid, X, y, Xv, yv, out=tmp_path, **OPTIONS))
    assert sorted(plan.reused) == [0, 1]
    assert [job.indices for job in plan.jobs] == [(2,)]
    assert plan.meta["execution"]["reused_rows"] == 2 and plan.meta["status"] == "running"


def test_run_stores_each_row_and_finish_builds_the_result(digits, tmp_path):
    X, y, Xv, yv = digits
    grid = {"C": [0.01, 1.0]}
    search = set_up(LogisticRegression(max_iter=200), grid, X, y, Xv, yv, out=tmp_path, **OPTIONS)
    plan = plan_search(search)
    collected = run_search(search, plan)
    assert [row[Col.STATUS] for row in collected.rows] == [Status.OK, Status.OK]
    assert len((tmp_path / "scores.csv").read_text().splitlines()) == 3
    result = finish_search(search, plan, collected)
    expected = [LogisticRegression(max_iter=200, C=c).fit(X, y).score(Xv, yv) for c in grid["C"]]
    assert np.allclose(result.table[Col.SCORE], expected)
    assert result.best_score == max(expected)
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["status"] == "finished" and meta["counts"] == {"ok": 2, "failed": 0, "diverged": 0}


def test_a_full_disk_at_the_heatmap_is_a_warning_and_the_result_comes_back(
    digits, tmp_path, monkeypatch
):
    import errno

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    X, y, Xv, yv = digits
    monkeypatch.setattr(FigureCanvasAgg, "print_png", full_disk)
    with pytest.warns(RuntimeWarning, match="No space left"):
        res = fit_grid(SGDClassifier(), {"alpha": [1e-4, 1e-3]}, X, y, Xv, yv, out=tmp_path,
                       progress=False)  # fmt: skip
    assert len(res.table) == 2 and res.best_score > 0.5
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["status"] == "finished" and meta["heatmap"] is None
    assert "No space left" in meta["heatmap_error"]
    assert not (tmp_path / "heatmap.png").exists()


def test_a_grid_parameter_named_like_a_result_column_leaves_out_untouched(digits, tmp_path):
    X, y, Xv, yv = digits
    out = tmp_path / "never"
    with pytest.raises(ValueError, match="clash with result column names"):
        set_up(KNeighborsClassifier(), {"metric": ["euclidean"]}, X, y, Xv, yv, out=out,
               **OPTIONS)  # fmt: skip
    assert not out.exists()
