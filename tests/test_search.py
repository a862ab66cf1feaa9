"""fit_grid end to end: scores, failures, resume after a kill, results folder."""

import base64
import json
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, PredefinedSplit, StratifiedKFold

from parsearch import fit_grid
from parsearch.results.identity import ResumeMismatch
from parsearch.results.read import read_scores
from parsearch.rows import Col, Direction, Status

TESTS = Path(__file__).resolve().parent

SGD_GRID = {"alpha": [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1], "eta0": [0.01, 0.1]}


@pytest.fixture(scope="module")
def split(mnist_small):
    X, y = mnist_small
    return X[:2000], y[:2000], X[2000:2600], y[2000:2600]


def sgd():
    return SGDClassifier(
        loss="log_loss", learning_rate="adaptive", max_iter=15, tol=None, random_state=0
    )


@pytest.fixture(scope="module")
def sgd_result(split, tmp_path_factory):
    out = tmp_path_factory.mktemp("sgd") / "results"
    Xtr, ytr, Xva, yva = split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short runs
        res = fit_grid(sgd(), SGD_GRID, Xtr, ytr, Xva, yva, out=out, n_jobs=2, progress=False)
    return res


def test_sgd_scores_equal_gridsearchcv_predefined_split(split, sgd_result):
    Xtr, ytr, Xva, yva = split
    X = np.concatenate([Xtr, Xva])
    y = np.concatenate([ytr, yva])
    fold = np.r_[np.full(len(Xtr), -1), np.zeros(len(Xva), dtype=int)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(sgd(), SGD_GRID, cv=PredefinedSplit(fold), n_jobs=2, refit=False)
        search.fit(X, y)
    expected = {
        (p["alpha"], p["eta0"]): s
        for p, s in zip(search.cv_results_["params"], search.cv_results_["split0_test_score"])
    }
    table = sgd_result.table
    assert len(table) == 12
    for row in table.itertuples():
        assert abs(row.score - expected[(row.alpha, row.eta0)]) <= 1e-12
    assert sgd_result.best_score == max(expected.values())


def test_results_folder_holds_csv_heatmap_and_meta(sgd_result):
    out = sgd_result.out
    table = read_scores(out)
    assert len(table) == 12
    assert set(table[Col.STATUS]) == {Status.OK}
    assert (table[Col.DIRECTION] == Direction.HIGHER).all()
    np.testing.assert_allclose(
        table.sort_values(["alpha", "eta0"])[Col.SCORE].to_numpy(),
        sgd_result.table.sort_values(["alpha", "eta0"])[Col.SCORE].to_numpy(),
        rtol=0,
        atol=1e-15,
    )
    png = (out / "heatmap.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "finished"
    assert meta["metric"] == {
        "name": "accuracy",
        "greater_is_better": True,
        "direction": Direction.HIGHER,
    }
    assert meta["grid"]["axes"] == {"alpha": SGD_GRID["alpha"], "eta0": SGD_GRID["eta0"]}
    assert meta["data"]["X_train"] == [2000, 784]
    assert meta["counts"] == {"ok": 12, "failed": 0, "diverged": 0}
    assert meta["best"]["score"] == sgd_result.best_score
    assert "sklearn" in meta["versions"] and meta["wall_seconds"] > 0


def test_best_model_is_the_scored_one_and_caller_untouched(split):
    Xtr, ytr, Xva, yva = split
    model = sgd()
    before = model.get_params()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(model, {"alpha": [1e-4, 1e-2]}, Xtr, ytr, Xva, yva, progress=False)
    assert model.get_params() == before
    assert not hasattr(model, "coef_")
    assert res.best_model.score(Xva, yva) == res.best_score
    assert res.best_model.get_params()["alpha"] == res.best_params["alpha"]
    assert res.models is None


def test_keep_all_models(split):
    Xtr, ytr, Xva, yva = split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(
            sgd(),
            {"alpha": [1e-4, 1e-2, -1.0]},
            Xtr,
            ytr,
            Xva,
            yva,
            keep_models="all",
            progress=False,
        )
    assert [m is None for m in res.models] == [False, False, True]
    for model, score in zip(res.models[:2], res.table[Col.SCORE][:2]):
        assert model.score(Xva, yva) == score


def test_one_failure_is_recorded_and_the_rest_go_on(split):
    Xtr, ytr, Xva, yva = split
    with pytest.warns(FitFailedWarning, match="alpha"):
        res = fit_grid(sgd(), {"alpha": [1e-4, -1.0, 1e-2]}, Xtr, ytr, Xva, yva, progress=False)
    table = res.table
    assert list(table[Col.STATUS]) == [Status.OK, Status.FAILED, Status.OK]
    assert np.isnan(table[Col.SCORE][1])
    assert "alpha" in table[Col.ERROR][1]
    assert table[Col.ERROR][0] == ""
    assert res.best_params["alpha"] in (1e-4, 1e-2)


def test_every_configuration_failing_raises_with_the_first_error(split, tmp_path):
    Xtr, ytr, Xva, yva = split
    with pytest.raises(RuntimeError, match=r"All 2 configurations failed.*alpha"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_grid(
                sgd(),
                {"alpha": [-1.0, -2.0]},
                Xtr,
                ytr,
                Xva,
                yva,
                out=tmp_path / "r",
                progress=False,
            )
    assert len(read_scores(tmp_path / "r")) == 2
    assert json.loads((tmp_path / "r" / "meta.json").read_text())["status"] == "all_failed"


def test_multiclass_probability_metrics(split):
    Xtr, ytr, Xva, yva = split
    grid = {"C": [0.01, 0.1, 1.0]}
    base = LogisticRegression(max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(
            base, grid, Xtr, ytr, Xva, yva, metric="log_loss", keep_models="all", progress=False
        )
        auc = fit_grid(base, grid, Xtr, ytr, Xva, yva, metric="roc_auc_ovr", progress=False)
    assert not res.greater_is_better
    assert (res.table[Col.DIRECTION] == Direction.LOWER).all()
    for model, score, auc_score in zip(res.models, res.table[Col.SCORE], auc.table[Col.SCORE]):
        proba = model.predict_proba(Xva)
        assert proba.shape[1] == 10
        assert score == pytest.approx(log_loss(yva, proba, labels=model.classes_), rel=1e-12)
        expected_auc = roc_auc_score(yva, proba, multi_class="ovr", labels=model.classes_)
        assert auc_score == pytest.approx(expected_auc, rel=1e-12)
    assert res.best_score == res.table[Col.SCORE].min()
    assert auc.best_score == auc.table[Col.SCORE].max()


def test_cross_validation_when_no_validation_set(split):
    Xtr, ytr, _, _ = split
    X, y = Xtr[:900], ytr[:900]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, X, y, cv=3, progress=False)
    folds = list(StratifiedKFold(3).split(X, y))
    for row in res.table.itertuples():
        scores = []
        for tr, te in folds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = clone(sgd()).set_params(alpha=row.alpha).fit(X[tr], y[tr])
            scores.append(model.score(X[te], y[te]))
        assert row.score == pytest.approx(np.mean(scores), abs=1e-12)
        assert row.score_std == pytest.approx(np.std(scores), abs=1e-12)
    # The best model is refit on all the training data.
    assert res.best_model.get_params()["alpha"] == res.best_params["alpha"]
    assert hasattr(res.best_model, "coef_")


def test_parallel_and_sequential_give_the_same_table(split, sgd_result):
    Xtr, ytr, Xva, yva = split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(sgd(), SGD_GRID, Xtr, ytr, Xva, yva, n_jobs=1, progress=False)
    pd.testing.assert_series_equal(res.table[Col.SCORE], sgd_result.table[Col.SCORE])


def test_threading_backend(split):
    Xtr, ytr, Xva, yva = split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(
            sgd(),
            {"alpha": [1e-4, 1e-2]},
            Xtr,
            ytr,
            Xva,
            yva,
            n_jobs=2,
            backend="threading",
            progress=False,
        )
    assert list(res.table[Col.STATUS]) == [Status.OK, Status.OK]


def test_classification_metric_on_a_regressor_is_refused_before_any_fit(split, tmp_path):
    from sklearn.linear_model import Ridge

    Xtr, ytr, Xva, yva = split
    with pytest.raises(ValueError, match=r"scores classifiers, and Ridge is not one.*r2"):
        fit_grid(Ridge(), {"alpha": [0.1, 1.0]}, Xtr, ytr, Xva, yva, out=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    res = fit_grid(Ridge(), {"alpha": [0.1, 1.0]}, Xtr, ytr, Xva, yva, metric="r2", progress=False)
    assert res.table[Col.STATUS].eq(Status.OK).all()


class MajorityVote(BaseEstimator):
    """A classifier by duck typing only (no ClassifierMixin): predicts the commonest label."""

    def __init__(self, k=0):
        self.k = k

    def fit(self, X, y):
        values, counts = np.unique(y, return_counts=True)
        self.label_ = values[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(len(X), self.label_)


def test_a_duck_typed_classifier_may_use_accuracy(split):
    Xtr, ytr, Xva, yva = split
    res = fit_grid(MajorityVote(), {"k": [0, 1]}, Xtr, ytr, Xva, yva, progress=False)
    assert res.best_score == pytest.approx(np.mean(yva == res.best_model.label_))


def test_probability_metric_without_predict_proba_is_refused_before_any_fit(split, tmp_path):
    Xtr, ytr, Xva, yva = split
    grid = {"loss": ["log_loss", "hinge"], "alpha": [1e-4]}
    with pytest.raises(ValueError, match=r"needs predict_proba.*'loss': 'hinge'"):
        fit_grid(sgd(), grid, Xtr, ytr, Xva, yva, metric="log_loss", out=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_dataframe_pipeline_selecting_columns_by_name_equals_gridsearchcv(split):
    # A ColumnTransformer picks columns by name: the DataFrame must reach it as one,
    # under cross-validation too (its folds are taken with .iloc).
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    Xtr, ytr, _, _ = split
    frame = pd.DataFrame(Xtr[:400, 200:240], columns=[f"p{i}" for i in range(40)])
    frame["parity"] = np.where(np.arange(400) % 2, "odd", "even")
    columns = ColumnTransformer(
        [
            ("pixels", StandardScaler(), [f"p{i}" for i in range(40)]),
            ("kind", OneHotEncoder(), ["parity"]),
        ]
    )
    model = make_pipeline(columns, LogisticRegression(max_iter=200))
    grid = {"logisticregression__C": [0.01, 1.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit_grid(model, grid, frame, ytr[:400], cv=3, progress=False)
        ref = GridSearchCV(model, grid, cv=StratifiedKFold(3)).fit(frame, ytr[:400])
    assert (res.table[Col.STATUS] == Status.OK).all()
    np.testing.assert_allclose(res.table[Col.SCORE], ref.cv_results_["mean_test_score"], rtol=1e-12)


def test_coo_sparse_x_under_cross_validation(split):
    import scipy.sparse as sp

    Xtr, ytr, _, _ = split
    X = sp.coo_matrix(Xtr[:300])
    res = fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, X, ytr[:300], cv=3, progress=False)
    dense = fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, Xtr[:300], ytr[:300], cv=3, progress=False)
    np.testing.assert_allclose(res.table[Col.SCORE], dense.table[Col.SCORE], rtol=1e-12)


WORKER_WARNINGS = """
import sys, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from parsearch import fit_grid
if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20)); y = (X[:, 0] > 0).astype(int)
    if sys.argv[1] == "ignore":
        warnings.simplefilter("ignore", ConvergenceWarning)
    short = SGDClassifier(loss="log_loss", max_iter=1, tol=1e-3, random_state=0)
    fit_grid(short, {"alpha": [1e-4, 1e-3]}, X[:200], y[:200], X[200:], y[200:],
             n_jobs=2, progress=False)
"""


def test_callers_warning_filters_reach_the_joblib_workers(tmp_path):
    # As with GridSearchCV: ignoring ConvergenceWarning around the call silences it in
    # the worker processes too (scikit-learn >= 1.7 passes the filters on). Fresh
    # processes: the workers' standard error is then this test's to read.
    import sklearn

    if tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 7):
        pytest.skip("scikit-learn < 1.7 does not pass warning filters to workers")
    script = tmp_path / "warn.py"
    script.write_text(WORKER_WARNINGS)

    def stderr(mode):
        done = subprocess.run(
            [sys.executable, str(script), mode], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert "ConvergenceWarning" in stderr("default")  # the workers do warn
    assert "ConvergenceWarning" not in stderr("ignore")


def test_progress_bar_shows_and_can_be_silenced(split, capsys):
    Xtr, ytr, Xva, yva = split
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, Xtr, ytr, Xva, yva, progress=True)
        shown = capsys.readouterr().err
        fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, Xtr, ytr, Xva, yva, progress=False)
        silent = capsys.readouterr().err
    assert "fit_grid 2 configs" in shown and "2/2" in shown and "accuracy=" in shown
    assert silent == ""


# --- resume ---------------------------------------------------------------------------------


def test_resume_skips_finished_and_rejects_other_data(split, tmp_path):
    Xtr, ytr, Xva, yva = split
    out = tmp_path / "r"
    log = tmp_path / "fits.log"
    from slow_estimator import SlowLoggingClassifier

    est = SlowLoggingClassifier(delay=0, log_path=str(log))
    fit_grid(est, {"c": [0, 1, 2]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    assert log.read_text().split() == ["0", "1", "2"]
    res = fit_grid(est, {"c": [0, 1, 2, 3]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    assert log.read_text().split() == ["0", "1", "2", "3"]
    assert len(res.table) == 4 and res.meta["execution"]["reused_rows"] == 3
    assert len(read_scores(out)) == 4
    before = (out / "scores.csv").read_bytes()
    with pytest.raises(ResumeMismatch, match="resume=False"):
        fit_grid(est, {"c": [0]}, Xtr, ytr[::-1].copy(), Xva, yva, out=out, progress=False)
    assert (out / "scores.csv").read_bytes() == before
    fit_grid(est, {"c": [0]}, Xtr, ytr, Xva, yva, out=out, resume=False, progress=False)
    assert len(read_scores(out)) == 1


def test_a_folder_with_the_former_data_fingerprint_resumes(split, tmp_path):
    """A folder written before the SHA-256 fingerprint resumes once and then holds the new one."""
    from slow_estimator import SlowLoggingClassifier

    from parsearch.results import identity

    Xtr, ytr, Xva, yva = split
    out, log = tmp_path / "r", tmp_path / "fits.log"
    est = SlowLoggingClassifier(delay=0, log_path=str(log))
    fit_grid(est, {"c": [0, 1]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    meta = json.loads((out / "meta.json").read_text())
    new = meta["identity"]["data"]
    meta["identity"]["data"] = identity.legacy_data_fingerprint(Xtr, ytr, Xva, yva)
    (out / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ResumeMismatch, match="data"):  # other data: the former form is no pass
        fit_grid(est, {"c": [0, 1]}, Xtr, ytr[::-1].copy(), Xva, yva, out=out, progress=False)
    res = fit_grid(est, {"c": [0, 1, 2]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    assert res.meta["execution"]["reused_rows"] == 2
    assert log.read_text().split() == ["0", "1", "2"]
    assert json.loads((out / "meta.json").read_text())["identity"]["data"] == new


def test_dict_and_list_values_fit_resume_and_plot_from_the_folder(tmp_path):
    """class_weight dicts and list values, as GridSearchCV takes them, end to end."""
    from parsearch.plot.arrays import score_grid
    from parsearch.results.read import read_meta

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=300) > 0.6).astype(int)
    grid = {"C": [0.1, 1.0], "class_weight": [None, {0: 1, 1: 3}, "balanced", {1: 3, 0: 1.5}]}
    args = (LogisticRegression(), grid, X[:200], y[:200], X[200:], y[200:])
    out = tmp_path / "r"
    res = fit_grid(*args, out=out, progress=False)
    expected = GridSearchCV(
        LogisticRegression(random_state=0),
        grid,
        cv=PredefinedSplit([-1] * 200 + [0] * 100),
        refit=False,
    ).fit(X, y)
    np.testing.assert_allclose(
        res.table["score"].to_numpy(), expected.cv_results_["mean_test_score"], atol=1e-12
    )
    best = int(np.argmax(expected.cv_results_["mean_test_score"]))
    assert res.best_params == expected.cv_results_["params"][best]
    again = fit_grid(*args, out=out, progress=False)
    assert again.meta["execution"]["reused_rows"] == 8
    assert again.table["score"].tolist() == res.table["score"].tolist()
    # From the folder, as `parsearch plot` reads it: every cell found, none missing.
    axes = read_meta(out)["grid"]["axes"]
    cells = score_grid(read_scores(out), "C", "class_weight", axes=axes)
    assert (cells.status == "ok").all() and cells.scores.shape == (4, 2)
    # The dicts written in another order are the same values: every row is reused.
    grid["class_weight"] = [None, {1: 3, 0: 1}, "balanced", {0: 1.5, 1: 3}]
    reordered = fit_grid(LogisticRegression(), grid, *args[2:], out=out, progress=False)
    assert reordered.meta["execution"]["reused_rows"] == 8


def test_tuple_values_holding_lists_find_their_cells_from_the_folder(split, tmp_path):
    """meta.json's axes read back as the rows' keys do, inside tuples too."""
    from slow_estimator import SlowLoggingClassifier

    from parsearch.plot.arrays import score_grid
    from parsearch.results.read import read_meta

    Xtr, ytr, Xva, yva = split
    out = tmp_path / "r"
    grid = {"c": [(1, [2]), (3,), ({0: 1},)], "delay": [0, 0.001]}
    fit_grid(SlowLoggingClassifier(), grid, Xtr, ytr, Xva, yva, out=out, progress=False)
    axes = read_meta(out)["grid"]["axes"]
    cells = score_grid(read_scores(out), "delay", "c", axes=axes)
    assert cells.scores.shape == (3, 2) and (cells.status == "ok").all()


def test_groups_split_the_folds_as_in_grid_search_cv(tmp_path):
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    y = (X[:, 0] + 0.5 * rng.normal(size=240) > 0.3).astype(int)
    groups = np.repeat(np.arange(8), 30)
    grid = {"C": [0.01, 0.1, 1.0]}
    for cv in (GroupKFold(4), LeaveOneGroupOut()):
        res = fit_grid(LogisticRegression(), grid, X, y, cv=cv, groups=groups, progress=False)
        expected = GridSearchCV(LogisticRegression(random_state=0), grid, cv=cv, refit=False)
        expected.fit(X, y, groups=groups)
        np.testing.assert_allclose(
            res.table["score"].to_numpy(), expected.cv_results_["mean_test_score"], atol=1e-12
        )
    # Other groups are other folds: a folder of the first does not resume under the second.
    out = tmp_path / "r"
    fit_grid(
        LogisticRegression(), grid, X, y, cv=GroupKFold(4), groups=groups, out=out, progress=False
    )
    with pytest.raises(ResumeMismatch, match="validation"):
        fit_grid(
            LogisticRegression(),
            grid,
            X,
            y,
            cv=GroupKFold(4),
            groups=groups % 5,
            out=out,
            progress=False,
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cv": "GroupKFold"}, "GroupKFold splits by groups: pass groups="),
        ({"groups": "short"}, r"one label per training sample: shape \(240,\), got \(10,\)"),
        ({"groups": "nan"}, "NaN or infinite"),
        ({"groups": "string-NA"}, "groups contains missing labels"),
        ({"groups": "object-NaN"}, "groups contains missing labels"),
        ({"groups": "ok", "X_val": True}, "only decides the cross-validation folds"),
    ],
)
def test_bad_groups_are_refused_before_any_fit(kwargs, message, tmp_path):
    from sklearn.model_selection import GroupKFold
    from slow_estimator import SlowLoggingClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(240, 4)), np.tile([0, 1], 120)
    groups = {
        "short": np.arange(10),
        "nan": np.where(np.arange(240) == 7, np.nan, np.arange(240) % 8),
        "ok": np.arange(240) % 8,
        "string-NA": pd.Series(["a", "b", None, "c"] * 60, dtype="string"),
        "object-NaN": pd.Series(["a", "b", np.nan, "c"] * 60, dtype=object),
    }
    log = tmp_path / "fits.log"
    est = SlowLoggingClassifier(delay=0, log_path=str(log))
    call = {"cv": GroupKFold(4)}
    if "groups" in kwargs:
        call["groups"] = groups[kwargs["groups"]]
    val = (X[:20], y[:20]) if kwargs.get("X_val") else (None, None)
    with pytest.raises(ValueError, match=message):
        fit_grid(est, {"c": [0, 1]}, X, y, *val, progress=False, **call)
    assert not log.exists()


def test_resume_keeps_rows_of_a_narrowed_grid_aside_and_retries_failures(split, tmp_path):
    Xtr, ytr, Xva, yva = split
    out = tmp_path / "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_grid(sgd(), {"alpha": [1e-4, 1e-3, -1.0]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    assert read_scores(out)[Col.STATUS].tolist() == [Status.OK, Status.OK, Status.FAILED]
    with pytest.warns(UserWarning, match=r"1 row.*outside this grid.*scores\.previous\."):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitFailedWarning)
            res = fit_grid(
                sgd(), {"alpha": [1e-4, -1.0]}, Xtr, ytr, Xva, yva, out=out, progress=False
            )
    assert res.meta["execution"]["reused_rows"] == 1  # the failed configuration ran again
    assert read_scores(out)["alpha"].tolist() == [1e-4, -1.0]
    (previous,) = out.glob("scores.previous.*.csv")
    assert read_scores(previous)["alpha"].tolist() == [1e-4, 1e-3, -1.0]


def test_sigkill_mid_grid_then_resume(split, tmp_path):
    """Kill a search with SIGKILL mid-grid; the rerun fits only what was not stored."""
    from slow_estimator import rerun_search, search_killed_mid_grid

    out, log, d = search_killed_mid_grid(tmp_path, split)
    finished = read_scores(out)
    done_before = set(finished["c"])
    assert 3 <= len(done_before) < 10
    fitted_before = log.read_text().split()

    res = rerun_search(out, log, d)
    fitted_after = [int(c) for c in log.read_text().split()[len(fitted_before) :]]
    assert not set(fitted_after) & done_before
    assert sorted(fitted_after) == sorted(set(range(10)) - done_before)
    final = read_scores(out)
    assert sorted(final["c"]) == list(range(10))
    assert final[Col.KEY].is_unique
    assert len(res.table) == 10 and (res.table[Col.STATUS] == Status.OK).all()


# --- bad input: a clear error before any work, and nothing in out damaged ----------------------

BAD_CALLS = {
    "length mismatch": lambda d: dict(y_train=d["ytr"][:-1]),
    "X_val without y_val": lambda d: dict(y_val=None),
    "empty grid": lambda d: dict(param_grid=[]),
    "empty values": lambda d: dict(param_grid={"alpha": []}),
    "bare scalar": lambda d: dict(param_grid={"alpha": 0.1}),
    "bare string": lambda d: dict(param_grid={"penalty": "l2"}),
    "unknown parameter": lambda d: dict(param_grid={"alpah": [0.1]}),
    "NaN in X": lambda d: dict(X_train=np.where(np.arange(784) == 3, np.nan, d["Xtr"])),
    "inf in X_val": lambda d: dict(X_val=np.where(np.arange(784) == 3, np.inf, d["Xva"])),
    "unknown metric": lambda d: dict(metric="acuracy"),
    "n_jobs=0": lambda d: dict(n_jobs=0),
    "out is a file": lambda d: dict(out=d["file"]),
    "bad engine": lambda d: dict(engine="fast"),
    "bad keep_models": lambda d: dict(keep_models="none"),
    "misspelled backend": lambda d: dict(backend="daks", n_jobs=2),
}
MESSAGES = {
    "length mismatch": "different lengths",
    "X_val without y_val": "X_val was given without y_val",
    "empty grid": "empty",
    "empty values": "'alpha' has an empty list",
    "bare scalar": r"Wrap a single value in a list",
    "bare string": r"Wrap a single value in a list",
    "unknown parameter": r"'alpah'.*Did you mean 'alpha'",
    "NaN in X": "X_train contains .* NaN or infinite",
    "inf in X_val": "X_val contains .* NaN or infinite",
    "unknown metric": r"Unknown metric 'acuracy'.*'accuracy'",
    "n_jobs=0": "n_jobs=0",
    "out is a file": "is a file",
    "bad engine": "engine must be one of",
    "bad keep_models": "keep_models must be one of",
    "misspelled backend": r"backend must be None or one of 'dask', .*got 'daks'",
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_input_fails_before_work_and_leaves_out_intact(split, tmp_path, case):
    Xtr, ytr, Xva, yva = split
    from slow_estimator import SlowLoggingClassifier

    log = tmp_path / "fits.log"
    out = tmp_path / "out"
    est = SlowLoggingClassifier(delay=0, log_path=str(log))
    fit_grid(est, {"c": [0, 1]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    log.unlink()
    snapshot = {p.name: p.read_bytes() for p in out.iterdir()}
    file = tmp_path / "a_file"
    file.write_text("x")
    d = {"Xtr": Xtr, "ytr": ytr, "Xva": Xva, "yva": yva, "file": file}
    kwargs = dict(
        model=SGDClassifier(),
        param_grid={"alpha": [1e-4]},
        X_train=Xtr,
        y_train=ytr,
        X_val=Xva,
        y_val=yva,
        out=out,
        progress=False,
    )
    if case in ("empty grid", "empty values", "bare scalar", "bare string"):
        kwargs["model"] = SGDClassifier()
    kwargs.update(BAD_CALLS[case](d))
    with pytest.raises((ValueError, TypeError), match=MESSAGES[case]):
        fit_grid(**kwargs)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == snapshot
    assert not log.exists()


def test_unseen_validation_classes_warn_and_score(split):
    Xtr, ytr, Xva, yva = split
    keep = ytr != 9
    with pytest.warns(UserWarning, match=r"never seen in training: \[9\]"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            res = fit_grid(
                LogisticRegression(max_iter=100),
                {"C": [0.1]},
                Xtr[keep],
                ytr[keep],
                Xva,
                yva,
                progress=False,
            )
    assert res.table[Col.STATUS][0] == Status.OK
    assert res.best_score <= 1 - (yva == 9).mean() + 1e-12


# --- networks: fused grids through fit_grid ---------------------------------------------------

NET_GRID = {"lr": [0.003, 0.03], "width": [16, 32]}


def mlp(**kw):
    from parsearch import MLPClassifier

    return MLPClassifier(**{"epochs": 3, "batch_size": 64, **kw})


def test_fused_grid_writes_epoch_scores_and_meta(split, tmp_path, capsys):
    pytest.importorskip("torch")
    from parsearch.nets import gemm

    Xtr, ytr, Xva, yva = split
    res = fit_grid(mlp(), NET_GRID, Xtr, ytr, Xva, yva, out=tmp_path / "r", progress=True)
    assert "model-epoch" in capsys.readouterr().err
    table = res.table
    assert len(table) == 4 and (table[Col.STATUS] == Status.OK).all()
    for row in table.itertuples():
        assert len(row.epoch_scores) == 3
        assert row.score == row.epoch_scores[-1]
        assert np.isfinite(row.train_loss)
    assert res.meta["execution"]["fused_groups"] == [4]
    assert res.meta["execution"]["device"] == "cpu"
    assert res.meta["execution"]["matmul"] == ("oneDNN" if gemm.onednn_works() else "torch.mm")
    assert res.best_model.score(Xva, yva) == res.best_score
    assert res.best_model.get_params()["lr"] == res.best_params["lr"]
    stored = read_scores(tmp_path / "r")
    assert [list(v) for v in stored[Col.EPOCH_SCORES]] == [list(v) for v in table[Col.EPOCH_SCORES]]
    assert (tmp_path / "r" / "heatmap.png").exists()
    meta = json.loads((tmp_path / "r" / "meta.json").read_text())
    assert meta["execution"]["fused_groups"] == [4]


def test_fused_equals_per_config_in_float64(split):
    pytest.importorskip("torch")
    Xtr, ytr, Xva, yva = split
    kw = dict(progress=False, keep_models="all")
    fused = fit_grid(mlp(dtype="float64", epochs=2), NET_GRID, Xtr, ytr, Xva, yva, **kw)
    alone = fit_grid(
        mlp(dtype="float64", epochs=2), NET_GRID, Xtr, ytr, Xva, yva, engine="per_config", **kw
    )
    assert alone.meta["execution"]["fused_groups"] == []
    assert list(fused.table[Col.EPOCH_SCORES]) == list(alone.table[Col.EPOCH_SCORES])
    for a, b in zip(fused.models, alone.models):
        for (wa, ba), (wb, bb) in zip(a.layers_, b.layers_):
            np.testing.assert_allclose(wa, wb, rtol=0, atol=1e-12)
            np.testing.assert_allclose(ba, bb, rtol=0, atol=1e-12)


def test_network_grid_resumes_without_training(split, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from parsearch.nets import fused

    Xtr, ytr, Xva, yva = split
    first = fit_grid(mlp(), NET_GRID, Xtr, ytr, Xva, yva, out=tmp_path / "r", progress=False)

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(fused, "train_fused", no_training)
    again = fit_grid(mlp(), NET_GRID, Xtr, ytr, Xva, yva, out=tmp_path / "r", progress=False)
    assert again.meta["execution"]["reused_rows"] == 4
    pd.testing.assert_series_equal(again.table[Col.SCORE], first.table[Col.SCORE])
    assert again.best_params == first.best_params


def test_diverging_network_is_reported_and_others_finish(split):
    pytest.importorskip("torch")
    Xtr, ytr, Xva, yva = split
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = fit_grid(
            mlp(), {"lr": [0.01, 1e8], "width": [16]}, Xtr, ytr, Xva, yva, progress=False
        )
    assert list(res.table[Col.STATUS]) == [Status.OK, Status.DIVERGED]
    assert np.isnan(res.table[Col.SCORE][1]) and "epoch 1" in res.table[Col.ERROR][1]
    assert res.best_params == {"lr": 0.01, "width": 16}


def test_blown_up_network_does_not_fail_its_chunk_under_a_probability_metric(split):
    # One update: its loss was finite, the weights it left give NaN probabilities, which
    # log_loss refuses. Only that model is reported diverged; its chunk-mate is scored.
    pytest.importorskip("torch")
    Xtr, ytr, Xva, yva = split
    model = mlp(epochs=1, batch_size=len(Xtr))
    with pytest.warns(RuntimeWarning, match="diverged"):
        res = fit_grid(
            model, {"lr": [1e30, 0.01]}, Xtr, ytr, Xva, yva, metric="log_loss", progress=False
        )
    assert list(res.table[Col.STATUS]) == [Status.DIVERGED, Status.OK]
    assert np.isfinite(res.table[Col.SCORE][1]) and res.best_params == {"lr": 0.01}


def test_one_device_under_two_names_is_refused(split):
    pytest.importorskip("torch")
    Xtr, ytr, Xva, yva = split
    for devices in (["cpu", "cpu:0"], ["auto", "cpu"] if not _cuda() else ["auto", "cuda"]):
        with pytest.raises(ValueError, match="all name the same device here"):
            fit_grid(mlp(), {"device": devices}, Xtr, ytr, Xva, yva, progress=False)


def _cuda():
    import torch

    return torch.cuda.is_available()


def test_network_grid_takes_sparse_and_dataframe_x(split):
    pytest.importorskip("torch")
    import scipy.sparse as sp

    Xtr, ytr, Xva, yva = split
    kw = dict(progress=False)
    dense = fit_grid(mlp(epochs=1), NET_GRID, Xtr, ytr, Xva, yva, **kw)
    sparse = fit_grid(
        mlp(epochs=1), NET_GRID, sp.csr_matrix(Xtr), ytr, sp.csr_matrix(Xva), yva, **kw
    )
    frame = fit_grid(mlp(epochs=1), NET_GRID, pd.DataFrame(Xtr), ytr, pd.DataFrame(Xva), yva, **kw)
    assert list(sparse.table[Col.SCORE]) == list(dense.table[Col.SCORE])
    assert list(frame.table[Col.SCORE]) == list(dense.table[Col.SCORE])
    assert sparse.best_model.score(sp.csr_matrix(Xva), yva) == dense.best_score


def test_network_grid_refuses_a_text_column_before_any_work(split, tmp_path):
    pytest.importorskip("torch")
    Xtr, ytr, Xva, yva = split
    frame = pd.DataFrame(Xtr[:, :20], columns=[f"p{i}" for i in range(20)]).assign(kind="x")
    val = pd.DataFrame(Xva[:, :20], columns=[f"p{i}" for i in range(20)]).assign(kind="x")
    with pytest.raises(ValueError, match="column 'kind' has dtype"):
        fit_grid(mlp(), NET_GRID, frame, ytr, val, yva, out=tmp_path / "r", progress=False)
    assert not (tmp_path / "r").exists()


def test_non_fusable_parameters_split_the_fused_groups(split):
    pytest.importorskip("torch")
    Xtr, ytr, Xva, yva = split
    res = fit_grid(
        mlp(),
        {"lr": [0.01, 0.03], "epochs": [1, 2], "width": [16]},
        Xtr[:500],
        ytr[:500],
        Xva,
        yva,
        progress=False,
    )
    assert res.meta["execution"]["fused_groups"] == [2, 2]
    assert [len(v) for v in res.table[Col.EPOCH_SCORES]] == [1, 2, 1, 2]


def test_network_probability_metric_and_cv(split):
    pytest.importorskip("torch")
    Xtr, ytr, Xva, yva = split
    res = fit_grid(mlp(), NET_GRID, Xtr, ytr, Xva, yva, metric="log_loss", progress=False)
    proba = res.best_model.predict_proba(Xva)
    assert res.best_score == pytest.approx(
        log_loss(yva, proba, labels=res.best_model.classes_), rel=1e-5
    )
    assert res.best_score == res.table[Col.SCORE].min()
    cv = fit_grid(mlp(epochs=1), {"lr": [0.01, 0.03]}, Xtr[:600], ytr[:600], cv=2, progress=False)
    assert cv.table[Col.SCORE_STD].notna().all()
    assert cv.best_model.predict(Xva[:3]).shape == (3,)


@pytest.mark.parametrize("engine", ["auto", "per_config"])
def test_network_progress_counts_every_fold_once(split, capsys, engine):
    pytest.importorskip("torch")
    Xtr, ytr, _, _ = split
    grid = {"lr": [0.01, 0.03]}
    fit_grid(mlp(epochs=2), grid, Xtr[:300], ytr[:300], cv=3, engine=engine, progress=True)
    err = capsys.readouterr().err
    # 2 configurations x 2 epochs x 3 folds model-epochs, and never more than that.
    assert "12/12" in err
    assert not re.search(r"\b(1[3-9]|[2-9]\d)/12\b", err)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"lr": [0.01, 0.0]}, "lr must be a number > 0"),
        ({"width": [0]}, "width must be an integer >= 1"),
        ({"depth": [-1]}, "depth must be an integer >= 0"),
        ({"optimizer": ["sgd", "lbfgs"]}, "optimizer must be one of"),
        ({"optimizer": ["sgd", "SGD"]}, "lists one value twice"),
        ({"learning_rate": [0.1]}, "Did you mean 'lr'"),
    ],
)
def test_bad_network_grids_fail_before_work(split, grid, message):
    pytest.importorskip("torch")
    Xtr, ytr, Xva, yva = split
    with pytest.raises(ValueError, match=message):
        fit_grid(mlp(), grid, Xtr, ytr, Xva, yva, progress=False)


def test_cuda_without_cuda_fails_before_work(split):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    Xtr, ytr, Xva, yva = split
    with pytest.raises(ValueError, match="CUDA is not available"):
        fit_grid(mlp(), NET_GRID, Xtr, ytr, Xva, yva, device="cuda", progress=False)


def test_resume_under_other_folds_is_refused(split, tmp_path):
    # Two fold generators print alike; their folds differ: the scores must not be mixed.
    from sklearn.model_selection import KFold

    Xtr, ytr, _, _ = split
    X, y = Xtr[:300], ytr[:300]
    kw = dict(out=tmp_path / "r", progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, X, y, cv=KFold(2).split(X), **kw)
        again = fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, X, y, cv=KFold(2).split(X), **kw)
        assert again.meta["execution"]["reused_rows"] == 2
        with pytest.raises(ResumeMismatch, match=r"other validation.*random_state"):
            fit_grid(sgd(), {"alpha": [1e-4, 1e-2]}, X, y, cv=KFold(3).split(X), **kw)


def test_resume_with_another_metric_is_refused(split, tmp_path):
    Xtr, ytr, Xva, yva = split
    from slow_estimator import SlowLoggingClassifier

    est = SlowLoggingClassifier(delay=0)
    fit_grid(est, {"c": [0, 1]}, Xtr, ytr, Xva, yva, out=tmp_path / "r", progress=False)
    with pytest.raises(ResumeMismatch, match="other metric"):
        fit_grid(
            est,
            {"c": [0, 1]},
            Xtr,
            ytr,
            Xva,
            yva,
            out=tmp_path / "r",
            metric="error_rate",
            progress=False,
        )


# --- results you can trust: one writer per folder, exact resume, readable errors -------------


def child_search(tmp_path, split, delay=0.3):
    """Start ``fit_grid(SlowLoggingClassifier(delay), c=0..9, out=tmp_path/'out')`` in a child.

    The data are the first 200 / 50 rows of ``split``; every fit is logged to
    ``tmp_path/fits.log``. Returns the child, the results folder, the arguments of the
    same search (estimator, grid and data) for a run here, and the log.
    """
    from slow_estimator import SlowLoggingClassifier

    Xtr, ytr, Xva, yva = split
    data = {"Xtr": Xtr[:200], "ytr": ytr[:200], "Xva": Xva[:50], "yva": yva[:50]}
    np.savez(tmp_path / "data.npz", **data)
    out, log = tmp_path / "out", tmp_path / "fits.log"
    script = tmp_path / "search.py"
    script.write_text(
        "import numpy as np\n"
        "from parsearch import fit_grid\n"
        "from slow_estimator import SlowLoggingClassifier\n"
        f"d = np.load({str(tmp_path / 'data.npz')!r})\n"
        f"fit_grid(SlowLoggingClassifier(delay={delay}, log_path={str(log)!r}),\n"
        "         {'c': list(range(10))}, d['Xtr'], d['ytr'], d['Xva'], d['yva'],\n"
        f"         out={str(out)!r}, progress=False)\n",
        encoding="utf-8",
    )
    env = {**os.environ}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    child = subprocess.Popen([sys.executable, str(script)], env=env)
    est = SlowLoggingClassifier(delay=delay, log_path=str(log))
    args = (est, {"c": list(range(10))}, data["Xtr"], data["ytr"], data["Xva"], data["yva"])
    return child, out, args, log


def wait_for_rows(child, out, rows):
    """Wait until ``out/scores.csv`` holds ``rows`` rows (or the child ended)."""
    scores = out / "scores.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if scores.exists() and len(scores.read_text(encoding="utf-8").splitlines()) > rows:
            return
        time.sleep(0.02)
    raise AssertionError(f"the child stored fewer than {rows} rows (exit status {child.poll()})")


def test_a_second_search_on_one_folder_is_refused_or_waits_and_no_row_is_lost(split, tmp_path):
    from parsearch.results.lock import FolderInUse

    child, out, args, log = child_search(tmp_path, split)
    try:
        wait_for_rows(child, out, 1)
        fitted = log.read_text().split()
        with pytest.raises(FolderInUse) as info:
            fit_grid(*args, out=out, progress=False)
        assert str(out) in str(info.value) and f"process {child.pid}" in str(info.value)
        # Asked to wait, the second search starts when the first has ended, and resumes.
        res = fit_grid(*args, out=out, progress=False, lock_timeout=120)
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
        child.wait()
    assert len(fitted) <= 3  # the refused call came early in the first search
    assert sorted(log.read_text().split()) == [str(c) for c in range(10)]  # each fitted once
    assert res.meta["execution"]["reused_rows"] == 10
    final = read_scores(out)
    assert sorted(final["c"]) == list(range(10)) and final[Col.KEY].is_unique


def test_lock_timeout_is_checked_before_any_work(split, tmp_path):
    Xtr, ytr, Xva, yva = split
    with pytest.raises(TypeError, match="lock_timeout must be None"):
        fit_grid(sgd(), {"alpha": [1e-4]}, Xtr, ytr, Xva, yva, out=tmp_path / "r", lock_timeout="1")
    assert not (tmp_path / "r").exists()


def test_sigterm_marks_meta_interrupted_and_still_ends_the_process(split, tmp_path):
    import signal

    child, out, args, _ = child_search(tmp_path, split)
    try:
        wait_for_rows(child, out, 2)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=60) == -signal.SIGTERM  # ended by SIGTERM, as asked
    finally:
        child.kill()
        child.wait()
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["status"] == "interrupted"
    done = read_scores(out)
    assert 2 <= len(done) < 10
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    res = fit_grid(*args, out=out, progress=False)
    assert res.meta["execution"]["reused_rows"] == len(done)


def test_fit_grid_restores_the_sigterm_handler(split, tmp_path):
    import signal

    from slow_estimator import SlowLoggingClassifier

    Xtr, ytr, Xva, yva = split
    seen = []

    class Watching(SlowLoggingClassifier):
        def fit(self, X, y):
            seen.append(signal.getsignal(signal.SIGTERM))
            return super().fit(X, y)

    before = signal.getsignal(signal.SIGTERM)
    fit_grid(Watching(delay=0), {"c": [0]}, Xtr, ytr, Xva, yva, out=tmp_path / "r", progress=False)
    assert signal.getsignal(signal.SIGTERM) == before
    assert seen and seen[0] != before  # a handler was in place while the search ran


def test_resume_without_meta_json_is_refused(split, tmp_path):
    # Without meta.json nothing tells which metric, data or estimator the rows are of.
    from slow_estimator import SlowLoggingClassifier

    Xtr, ytr, Xva, yva = split
    est = SlowLoggingClassifier(delay=0)
    out = tmp_path / "r"
    fit_grid(est, {"c": [0, 1]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    (out / "meta.json").unlink()
    before = (out / "scores.csv").read_bytes()
    with pytest.raises(ResumeMismatch, match=r"meta\.json.*resume=False"):
        fit_grid(
            est, {"c": [0, 1]}, Xtr, ytr, Xva, yva, out=out, metric="error_rate", progress=False
        )
    assert (out / "scores.csv").read_bytes() == before
    res = fit_grid(
        est,
        {"c": [0, 1]},
        Xtr,
        ytr,
        Xva,
        yva,
        out=out,
        metric="error_rate",
        resume=False,
        progress=False,
    )
    assert res.meta["execution"]["reused_rows"] == 0
    assert set(read_scores(out)[Col.METRIC]) == {"error_rate"}


def test_scores_without_a_config_key_column_are_kept_aside_with_a_warning(split, tmp_path):
    from slow_estimator import SlowLoggingClassifier

    Xtr, ytr, Xva, yva = split
    est = SlowLoggingClassifier(delay=0)
    out = tmp_path / "r"
    fit_grid(est, {"c": [0, 1]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    edited = read_scores(out).drop(columns=[Col.KEY])  # a spreadsheet edit lost the column
    edited.to_csv(out / "scores.csv", index=False)
    before = (out / "scores.csv").read_bytes()
    with pytest.warns(UserWarning, match=r"no config_key column.*2 row.*scores\.previous\."):
        res = fit_grid(est, {"c": [0, 1, 2]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    assert res.meta["execution"]["reused_rows"] == 0
    (previous,) = out.glob("scores.previous.*.csv")
    assert previous.read_bytes() == before
    assert sorted(read_scores(out)["c"]) == [0, 1, 2]


UNICODE_SEARCH = """
import locale, sys
import numpy as np
from parsearch import fit_grid
from parsearch.results.read import read_scores
from slow_estimator import SlowLoggingClassifier

assert locale.getpreferredencoding(False).lower().replace("-", "") != "utf8", "not C locale"
assert not sys.flags.utf8_mode
d = np.load(sys.argv[1])
folder, reused = sys.argv[2], int(sys.argv[3])
grid = {"c": ["naïve", "λ→µ", "✓ Zürich"]}
res = fit_grid(SlowLoggingClassifier(delay=0), grid, d["Xtr"], d["ytr"], d["Xva"], d["yva"],
               out=folder, progress=False)
assert res.meta["execution"]["reused_rows"] == reused, res.meta["execution"]
assert read_scores(folder)["c"].tolist() == grid["c"]
"""


def test_unicode_values_under_a_non_utf8_locale(split, tmp_path):
    from slow_estimator import SlowLoggingClassifier

    Xtr, ytr, Xva, yva = split
    np.savez(tmp_path / "data.npz", Xtr=Xtr[:200], ytr=ytr[:200], Xva=Xva[:50], yva=yva[:50])
    script = tmp_path / "unicode.py"
    script.write_text(UNICODE_SEARCH, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIO"))}
    env.update(LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    grid = {"c": ["naïve", "λ→µ", "✓ Zürich"]}

    def under_c_locale(folder, reused):
        done = subprocess.run(
            [sys.executable, str(script), str(tmp_path / "data.npz"), str(folder), str(reused)],
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=300,
        )
        assert done.returncode == 0, done.stderr

    # Written under the C locale, read back (and resumed) under UTF-8 ...
    under_c_locale(tmp_path / "c", reused=0)
    assert read_scores(tmp_path / "c")["c"].tolist() == grid["c"]
    est = SlowLoggingClassifier(delay=0)
    res = fit_grid(
        est, grid, Xtr[:200], ytr[:200], Xva[:50], yva[:50], out=tmp_path / "c", progress=False
    )
    assert res.meta["execution"]["reused_rows"] == 3
    # ... and written under UTF-8, resumed under the C locale.
    fit_grid(
        est, grid, Xtr[:200], ytr[:200], Xva[:50], yva[:50], out=tmp_path / "u", progress=False
    )
    under_c_locale(tmp_path / "u", reused=3)


def test_a_200000_character_value_resumes(split, tmp_path):
    from slow_estimator import SlowLoggingClassifier

    Xtr, ytr, Xva, yva = split
    long_value = "x" * 200_000
    est = SlowLoggingClassifier(delay=0)
    kw = dict(out=tmp_path / "r", progress=False)
    fit_grid(est, {"c": [long_value, "short"]}, Xtr, ytr, Xva, yva, **kw)
    res = fit_grid(est, {"c": [long_value, "short"]}, Xtr, ytr, Xva, yva, **kw)
    assert res.meta["execution"]["reused_rows"] == 2
    assert res.table["c"].tolist() == [long_value, "short"]


def test_a_text_score_in_scores_csv_is_named_on_resume(split, tmp_path):
    from slow_estimator import SlowLoggingClassifier

    Xtr, ytr, Xva, yva = split
    est = SlowLoggingClassifier(delay=0)
    out = tmp_path / "r"
    fit_grid(est, {"c": [0, 1]}, Xtr, ytr, Xva, yva, out=out, progress=False)
    table = read_scores(out)
    table[Col.SCORE] = table[Col.SCORE].astype(object)
    table.loc[1, Col.SCORE] = "about half"
    table.to_csv(out / "scores.csv", index=False)
    with pytest.raises(
        ValueError, match=re.escape(str(out / "scores.csv")) + r".*score.*'about half'"
    ):
        fit_grid(est, {"c": [0, 1]}, Xtr, ytr, Xva, yva, out=out, progress=False)


# --- how a GridResult shows itself ----------------------------------------------------------


def test_repr_names_the_counts_the_best_and_the_folder(sgd_result):
    lines = repr(sgd_result).splitlines()
    assert lines[0] == f"GridResult of {len(SGD_GRID['alpha']) * 2} configurations: 12 ok"
    assert lines[1] == f"  best accuracy (higher is better) = {sgd_result.best_score:.6g}"
    assert lines[2] == f"  best params: {sgd_result.best_params}"
    assert lines[3] == f"  folder: {sgd_result.out}"


def _rich_view_parts(view):
    """The table rows and the inline PNG of a GridResult's HTML view."""
    body = view.split("<tbody>")[1].split("</tbody>")[0]
    image = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', view)
    return body.count("<tr>"), base64.b64decode(image.group(1)) if image else None


def test_rich_view_holds_the_best_the_counts_the_top_rows_and_the_plot(sgd_result):
    view = sgd_result._repr_html_()
    assert "<strong>GridResult</strong> of 12 configurations: 12 ok" in view
    assert f"accuracy (higher is better) = {sgd_result.best_score:.6g}" in view
    assert f"folder: <code>{sgd_result.out}</code>" in view
    rows, png = _rich_view_parts(view)
    assert rows == 5
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    best = sgd_result.top(1).iloc[0]
    assert f"<td>{best['alpha']:.6g}</td><td>{best['eta0']:.6g}</td>" in view


def _result_of(table, metric="accuracy", out=None):
    from parsearch import GridResult

    best = table.index[table[Col.STATUS] == Status.OK][0]
    names = [c for c in table.columns if c not in (Col.SCORE, Col.STATUS)]
    return GridResult(
        table=table,
        best_params={n: table.loc[best, n] for n in names},
        best_score=float(table.loc[best, Col.SCORE]),
        _best_model=None,
        metric=metric,
        greater_is_better=True,
        axes={n: list(dict.fromkeys(table[n])) for n in names},
        out=out,
    )


def test_rich_view_escapes_every_value_from_the_user():
    table = pd.DataFrame(
        {
            "name": ["<script>alert(1)</script>", "a & b", 'say "hi"'],
            Col.SCORE: [0.5, 0.7, float("nan")],
            Col.STATUS: [Status.OK, Status.OK, Status.FAILED],
        }
    )
    result = _result_of(table, metric="<i>m</i>", out=Path("/tmp/<b>&"))
    view = result._repr_html_()
    assert "<script>" not in view and "<i>" not in view and "<b>" not in view
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in view
    assert "a &amp; b" in view and "&lt;i&gt;m&lt;/i&gt;" in view and "/tmp/&lt;b&gt;&amp;" in view
    assert "2 ok, 1 failed" in view
    assert _rich_view_parts(view)[1][:8] == b"\x89PNG\r\n\x1a\n"


def test_rich_view_without_its_plot_still_shows(monkeypatch):
    from parsearch import GridResult

    def broken(self, x=None, y=None):
        raise ValueError("no <plot>")

    monkeypatch.setattr(GridResult, "_draw", broken)
    table = pd.DataFrame({"lr": [0.1, 0.01], Col.SCORE: [0.5, 0.7], Col.STATUS: ["ok"] * 2})
    view = _result_of(table)._repr_html_()
    assert "The plot could not be drawn: ValueError: no &lt;plot&gt;" in view
    assert _rich_view_parts(view) == (2, None)
