"""Tests of parsearch.results.identity: what identifies a search, exactly and across processes."""

import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectKBest, f_classif, mutual_info_classif
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import fbeta_score, make_scorer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from parsearch import fit_grid
from parsearch.grid import expand_grid
from parsearch.results.identity import (
    NotResumable,
    ResumeMismatch,
    data_fingerprint,
    estimator_description,
    folds_identity,
)
from parsearch.rows import config_key

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "results"


def _columns(changed_at=None):
    names = [f"c{i}" for i in range(40)]
    if changed_at is not None:
        names[changed_at] = "changed"
    return names


def _column_pipeline(changed_at=None):
    # More than 30 column names: scikit-learn's repr of the nested ColumnTransformer elides them.
    columns = ColumnTransformer([("num", StandardScaler(), _columns(changed_at))])
    return make_pipeline(columns, LogisticRegression())


def _long_string_transformer(middle):
    # A repr over 700 characters is elided in its middle.
    return FunctionTransformer(kw_args={"tag": "x" * 400 + middle + "x" * 400})


def _run(code, *args, env=None):
    """Run ``code`` in a fresh ``python -c`` process; its stdout, stripped."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# --- exact: nothing elided ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (_column_pipeline(), _column_pipeline(changed_at=35)),
        (
            make_pipeline(_long_string_transformer("a")),
            make_pipeline(_long_string_transformer("b")),
        ),
    ],
    ids=["31st-column-name", "middle-of-a-long-string"],
)
def test_an_estimator_changed_past_the_repr_elision_has_another_identity(old, new):
    assert repr(old) == repr(new)  # what the identity was built from
    assert estimator_description(old) != estimator_description(new)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (_column_pipeline().steps[0][1], _column_pipeline(changed_at=35).steps[0][1]),
        (_long_string_transformer("a"), _long_string_transformer("b")),
    ],
    ids=["31st-column-name", "middle-of-a-long-string"],
)
def test_estimators_as_grid_values_with_equal_reprs_have_different_keys(a, b):
    assert repr(a) == repr(b)
    assert config_key({"step": a}) != config_key({"step": b})
    assert len(expand_grid({"step": [a, b]})) == 2


def test_an_estimator_grid_value_keys_as_its_class_and_a_hash_of_its_parameters():
    key = json.loads(config_key({"clf": SVC(C=2.0), "C": 1}))
    assert key["C"] == 1
    assert key["clf"]["estimator"] == "sklearn.svm._classes.SVC"
    assert len(key["clf"]["params_hash"]) == 32
    assert config_key({"clf": SVC(C=2.0)}) == config_key({"clf": SVC(C=2.0)})
    assert config_key({"clf": SVC(C=2.0)}) != config_key({"clf": SVC(C=3.0)})


def test_a_function_grid_value_keys_as_its_module_and_qualified_name():
    key = json.loads(config_key({"score_func": mutual_info_classif}))
    assert key == {
        "score_func": {"callable": "sklearn.feature_selection._mutual_info.mutual_info_classif"}
    }
    assert config_key({"f": np.log1p}) == '{"f": {"callable": "numpy.log1p"}}'
    assert config_key({"f": SVC}) == '{"f": {"callable": "sklearn.svm._classes.SVC"}}'


def test_arrays_dicts_and_sets_in_parameters_are_exact():
    def described(**params):
        return estimator_description(LogisticRegression(**params))

    weights = np.zeros(2000)
    other = weights.copy()
    other[1000] = 1.0  # numpy's repr elides the middle of a long array
    assert described(class_weight={0: weights}) != described(class_weight={0: other})
    assert described(class_weight={0: 1.0, 1: 2.0}) != described(class_weight={0: 1.0, 1: 3.0})
    assert "0x" not in described(class_weight={0: weights})


# --- stable: the same in another process ----------------------------------------------------


_DESCRIBE = """
    import json
    import numpy as np
    from sklearn.feature_selection import SelectKBest, mutual_info_classif
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import SVC
    from parsearch.results.identity import estimator_description
    from parsearch.rows import config_key

    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(
        make_column_transformer((StandardScaler(), make_column_selector(dtype_include=float))),
        FunctionTransformer(np.log1p),
        SelectKBest(mutual_info_classif),
        LogisticRegression(random_state=np.random.RandomState(3)),
    )
    print(json.dumps([
        estimator_description(model),
        config_key({"f": mutual_info_classif, "m": SVC(C=2.0), "t": FunctionTransformer(np.abs)}),
    ]))
"""


def test_functions_in_parameters_and_grid_values_are_the_same_in_another_process():
    first = json.loads(_run(_DESCRIBE))
    second = json.loads(_run(_DESCRIBE))
    assert first == second
    description, key = first
    assert "0x" not in description and "0x" not in key
    assert "sklearn.feature_selection._mutual_info.mutual_info_classif" in description
    assert "numpy.log1p" in description


_PARTS = '''
"""Module-level pieces of a pipeline, as a user's own module would define them."""

from pathlib import Path

import numpy as np

CALLS = Path(__file__).with_name("calls.log")


def doubled(X):
    with CALLS.open("a") as f:
        f.write("called\\n")
    return np.asarray(X) * 2.0


def variance_score(X, y):
    return np.var(X, axis=0)
'''

_SEARCH = """
    import json, sys
    from sklearn.datasets import make_classification
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from parsearch import fit_grid
    import my_parts

    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    model = make_pipeline(FunctionTransformer(my_parts.doubled), SelectKBest(k=3),
                          LogisticRegression())
    grid = {"selectkbest__score_func": [f_classif, my_parts.variance_score],
            "logisticregression__C": [0.1, 1.0]}
    res = fit_grid(model, grid, X[:80], y[:80], X[80:], y[80:], out=sys.argv[1],
                   progress=False, plot=False)
    print(json.dumps({"reused": res.meta["execution"]["reused_rows"],
                      "scores": res.table["score"].tolist()}))
"""


def test_a_search_with_functions_resumes_in_a_new_process_reusing_every_row(tmp_path):
    (tmp_path / "my_parts.py").write_text(_PARTS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    out = tmp_path / "results"
    first = json.loads(_run(_SEARCH, out, env=env))
    calls = (tmp_path / "calls.log").read_text()
    assert first["reused"] == 0 and calls
    second = json.loads(_run(_SEARCH, out, env=env))
    assert second["reused"] == 4
    assert second["scores"] == first["scores"]
    assert (tmp_path / "calls.log").read_text() == calls  # nothing was fitted again


def test_objects_with_only_a_default_repr_are_described_by_their_attributes():
    from sklearn.compose import make_column_selector

    def described(selector):
        return estimator_description(ColumnTransformer([("num", StandardScaler(), selector)]))

    a = described(make_column_selector(dtype_include=float))
    assert a == described(make_column_selector(dtype_include=float))
    assert a != described(make_column_selector(dtype_include=int))
    assert (
        "make_column_selector(dtype_exclude=None, dtype_include=builtins.float, pattern=None)" in a
    )


def test_a_scorer_is_described_by_its_function_not_its_bare_name():
    from sklearn.metrics import accuracy_score, make_scorer

    from parsearch.rows import exact_repr

    assert (
        repr(make_scorer(accuracy_score))
        == "make_scorer(accuracy_score, response_method='predict')"
    )
    assert "sklearn.metrics._classification.accuracy_score" in exact_repr(
        make_scorer(accuracy_score)
    )
    unstable = []
    exact_repr(make_scorer(lambda y, p: 0.0), unstable)
    assert len(unstable) == 1 and "lambda" in unstable[0]


def test_random_states_are_described_by_their_state():
    def described(random_state):
        return estimator_description(SGDClassifier(random_state=random_state))

    assert described(np.random.RandomState(0)) == described(np.random.RandomState(0))
    assert described(np.random.RandomState(0)) != described(np.random.RandomState(1))
    assert "0x" not in described(np.random.default_rng(0))


def test_an_object_that_holds_itself_is_unstable_not_endless():
    from parsearch.rows import exact_repr

    class Node:
        pass

    node = Node()
    node.me = node
    unstable = []
    exact_repr(node, unstable)
    assert len(unstable) == 1 and "holds itself" in unstable[0]


# --- refused: values no other process can find -----------------------------------------------


def _module_level_score(X, y):
    return f_classif(X, y)


class _NoState:
    """A callable with only the default repr and no attributes to describe it by."""

    __slots__ = ()

    def __call__(self, X):
        return X


@pytest.mark.parametrize(
    ("model", "grid", "shown"),
    [
        (make_pipeline(FunctionTransformer(lambda X: X), SVC()), {"svc__C": [1.0]}, "lambda"),
        (
            make_pipeline(SelectKBest(k=1), SVC()),
            {"selectkbest__score_func": [lambda X, y: X]},
            "lambda",
        ),
        (SVC(), {"C": [1.0], "kernel": [lambda X, Y: X @ Y.T]}, "lambda"),
        (make_pipeline(FunctionTransformer(_NoState()), SVC()), {"svc__C": [1.0]}, "0x"),
    ],
    ids=["lambda-in-the-estimator", "lambda-in-the-grid", "lambda-grid-value", "default-repr"],
)
def test_a_value_without_a_stable_identity_is_refused_with_the_way_out(model, grid, shown):
    from parsearch.results.identity import NotResumable, check_resumable

    with pytest.raises(NotResumable) as info:
        check_resumable(model, expand_grid(grid))
    message = str(info.value)
    assert shown in message
    assert "module level" in message
    assert "resume=False" in message and "out" in message


def test_a_locally_defined_function_is_refused():
    from parsearch.results.identity import NotResumable, check_resumable

    def local_score(X, y):
        return f_classif(X, y)

    model = make_pipeline(SelectKBest(local_score, k=1), SVC())
    with pytest.raises(NotResumable, match=r"local_score.*module level"):
        check_resumable(model, expand_grid({"svc__C": [1.0]}))


def test_module_level_functions_classes_and_random_states_are_resumable():
    from parsearch.results.identity import check_resumable

    model = make_pipeline(
        FunctionTransformer(np.log1p),
        SelectKBest(mutual_info_classif),
        SGDClassifier(random_state=np.random.RandomState(0)),
    )
    grid = {
        "selectkbest__score_func": [_module_level_score, f_classif],
        "sgdclassifier__alpha": [1.0],
    }
    check_resumable(model, expand_grid(grid))  # no error


def test_a_grid_value_that_replaces_an_unstable_part_is_not_refused():
    from parsearch.results.identity import check_resumable

    model = make_pipeline(SelectKBest(lambda X, y: X, k=1), SVC())
    check_resumable(model, expand_grid({"selectkbest__score_func": [f_classif]}))


def test_a_search_without_a_results_folder_takes_any_function():
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    Xtr, ytr, Xva, yva = X[:80], y[:80], X[80:], y[80:]
    model = make_pipeline(FunctionTransformer(lambda X: X), SGDClassifier(max_iter=5, tol=None))
    res = fit_grid(
        model,
        {
            "functiontransformer__func": [lambda X: X, lambda X: X * 2],
            "sgdclassifier__alpha": [1e-3],
        },
        Xtr,
        ytr,
        Xva,
        yva,
        progress=False,
        plot=False,
    )
    assert res.table["status"].tolist() == ["ok", "ok"]


# --- what the grid sets is not the estimator's identity -----------------------------------------


def test_parameters_set_by_every_configuration_are_left_out_nested_ones_too():
    grid = expand_grid({"sgdclassifier__alpha": [1e-4, 1e-3]})
    a = make_pipeline(StandardScaler(), SGDClassifier(alpha=0.5))
    b = make_pipeline(StandardScaler(), SGDClassifier(alpha=0.7))
    assert estimator_description(a, grid.always_set) == estimator_description(b, grid.always_set)
    c = make_pipeline(StandardScaler(with_mean=False), SGDClassifier(alpha=0.5))
    assert estimator_description(a, grid.always_set) != estimator_description(c, grid.always_set)


def test_a_parameter_that_one_sub_grid_leaves_unset_is_part_of_the_identity():
    # The second sub-grid fits with the estimator's own alpha: a change to it must show.
    grid = expand_grid([{"alpha": [1e-4, 1e-3]}, {"penalty": ["l1"]}])
    a, b = SGDClassifier(alpha=0.5), SGDClassifier(alpha=0.7)
    assert estimator_description(a, grid.always_set) != estimator_description(b, grid.always_set)
    assert estimator_description(a, ["alpha"]) == estimator_description(b, ["alpha"])


# --- unchanged for what was exact already --------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        SGDClassifier(loss="log_loss", eta0=0.01, max_iter=30, tol=1e-3, random_state=0),
        LogisticRegression(C=0.5, class_weight={0: 1.0, 1: 2.5}, solver="saga"),
        SVC(kernel="poly", degree=3, gamma="scale", probability=True),
    ],
)
def test_a_flat_estimator_is_described_as_before(model):
    # Results folders written before keep resuming: the same string for plain parameters.
    grid_names = ("alpha", "learning_rate")
    cls = type(model)
    params = {
        name: repr(value)
        for name, value in sorted(model.get_params(deep=False).items())
        if name not in grid_names
    }
    before = f"{cls.__module__}.{cls.__qualname__}({json.dumps(params, sort_keys=True)})"
    assert estimator_description(model, grid_names) == before


def test_the_committed_sgd_results_folder_keeps_its_identity():
    meta = json.loads((COMMITTED / "mnist_sgd_logreg" / "meta.json").read_text())
    model = SGDClassifier(loss="log_loss", eta0=0.01, max_iter=30, tol=1e-3, random_state=0)
    stored = meta["identity"]["estimator"]
    names = set(json.loads(stored[stored.index("(") + 1 : -1]))
    if names != set(model.get_params()) - {"alpha", "learning_rate"}:
        pytest.skip("this scikit-learn has other SGDClassifier parameters than the folder's")
    grid = expand_grid({"alpha": [1e-6, 1e-5], "learning_rate": ["optimal", "invscaling"]})
    assert estimator_description(model, grid.always_set) == stored


def test_data_and_folds_fingerprints_are_unchanged():
    X = np.arange(12.0).reshape(4, 3)
    assert data_fingerprint(X, None) == data_fingerprint(X.copy(), None)
    assert data_fingerprint(X, None) != data_fingerprint(X + 1, None)
    folds = [(np.array([0, 1]), np.array([2, 3])), (np.array([2, 3]), np.array([0, 1]))]
    assert folds_identity(folds).startswith("cv: 2 folds ")


def test_folders_written_before_the_subpackages_still_resume(tmp_path):
    import json

    from parsearch.results.identity import current_identity, estimator_description
    from parsearch.results.store import ResultStore

    pytest.importorskip("torch")
    from parsearch import MLPClassifier

    now = estimator_description(MLPClassifier(epochs=2), ["lr"])
    assert now.startswith("parsearch.nets.mlp.MLPClassifier(")
    before = now.replace("parsearch.nets.mlp.", "parsearch.mlp.", 1)
    assert current_identity({"estimator": before, "data": "d"}) == {"estimator": now, "data": "d"}
    identity = {"estimator": now, "data": "d", "metric": "accuracy", "validation": "holdout"}
    (tmp_path / "scores.csv").write_text('lr,score,status,config_key\n0.1,0.9,ok,"{""lr"": 0.1}"\n')
    (tmp_path / "meta.json").write_text(json.dumps({"identity": {**identity, "estimator": before}}))
    rows = ResultStore(tmp_path, ["lr", "score", "status", "config_key"], identity).finished_rows(
        True
    )
    assert list(rows) == ['{"lr": 0.1}']


# ----------------------------------------------------------------------------------------
# A user's own class or function: known by its code, not its name alone
# ----------------------------------------------------------------------------------------

USER_MODULE = '''
from sklearn.linear_model import LogisticRegression

SHIFT = {shift}


class Flipped(LogisticRegression):
    """A student's estimator: a logistic regression that predicts the other class."""

    def predict(self, X):
        return 1 - super().predict(X) + SHIFT


def squash(X):
    return X * {scale}
'''


def _user_module(tmp_path, monkeypatch, shift=0, scale=1.0):
    """(Re)load a module of the user's own, beside the script, from ``tmp_path``."""
    import importlib

    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "student_models.py"
    path.write_text(USER_MODULE.format(shift=shift, scale=scale))
    importlib.invalidate_caches()
    loaded = sys.modules.get("student_models")
    if loaded is not None and Path(loaded.__file__) == path:
        return importlib.reload(loaded)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "student_models", raising=False)
    return importlib.import_module("student_models")


def _user_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    return X[:50], (X[:50, 0] > 0).astype(int), X[50:], (X[50:, 0] > 0).astype(int)


def test_a_user_class_edited_and_rerun_is_refused_naming_it(tmp_path, monkeypatch):
    from parsearch.results.identity import ResumeMismatch

    out = tmp_path / "out"
    models = _user_module(tmp_path / "src", monkeypatch)
    grid = {"C": [0.1, 1.0]}
    first = fit_grid(models.Flipped(), grid, *_user_data(), out=out, plot=False, progress=False)
    assert list(first.table["status"]) == ["ok", "ok"]
    # The same code again (reloaded, as a rerun of the notebook's cell): every row reused.
    models = _user_module(tmp_path / "src", monkeypatch)
    again = fit_grid(models.Flipped(), grid, *_user_data(), out=out, plot=False, keep_models="all")
    assert again.models == [None, None]  # reused, not fitted
    # The method edited (the constant it uses): its old scores are not this code's.
    models = _user_module(tmp_path / "src", monkeypatch, shift=1)
    scores = (out / "scores.csv").read_bytes()
    with pytest.raises(ResumeMismatch, match=r"The code of student_models\.Flipped changed"):
        fit_grid(models.Flipped(), grid, *_user_data(), out=out, plot=False)
    assert (out / "scores.csv").read_bytes() == scores  # nothing lost
    # Refitting is asked for by resume=False, as the message says.
    refit = fit_grid(models.Flipped(), grid, *_user_data(), out=out, plot=False, resume=False)
    assert list(refit.table["score"]) != list(first.table["score"])


def test_a_user_function_edited_as_a_grid_value_is_fitted_again(tmp_path, monkeypatch):
    out = tmp_path / "out"
    models = _user_module(tmp_path / "src", monkeypatch)

    def run(module):
        model = make_pipeline(FunctionTransformer(), LogisticRegression())
        grid = {"functiontransformer__func": [module.squash, None]}
        return fit_grid(model, grid, *_user_data(), out=out, plot=False, keep_models="all")

    first = run(models)
    models = _user_module(tmp_path / "src", monkeypatch, scale=-3.0)
    with pytest.warns(UserWarning, match="scores.previous"):
        second = run(models)
    # squash changed: its configuration is fitted again; None's row is reused.
    assert second.models[0] is not None and second.models[1] is None
    assert first.table["config_key"][0] != second.table["config_key"][0]
    assert first.table["config_key"][1] == second.table["config_key"][1]
    (previous,) = out.glob("scores.previous.*.csv")  # the old row is kept
    assert first.table["config_key"][0] in set(pd.read_csv(previous)["config_key"])


def test_installed_classes_keep_their_name_alone():
    from parsearch.rows import exact_repr

    assert exact_repr(LogisticRegression) == "sklearn.linear_model._logistic.LogisticRegression"
    assert estimator_description(SGDClassifier(), ["alpha"]).startswith(
        "sklearn.linear_model._stochastic_gradient.SGDClassifier({"
    )


def test_a_scorer_of_other_arguments_does_not_reuse_rows(small_digits, tmp_path):
    X, y, Xv, yv = small_digits
    b = (y >= 5).astype(int), (yv >= 5).astype(int)
    grid = {"C": [0.01, 1.0]}
    kwargs = dict(out=tmp_path, progress=False, plot=False)
    fit_grid(LogisticRegression(), grid, X, b[0], Xv, b[1],
             metric=make_scorer(fbeta_score, beta=0.1), **kwargs)  # fmt: skip
    with pytest.raises(ResumeMismatch, match="metric"):
        fit_grid(LogisticRegression(), grid, X, b[0], Xv, b[1],
                 metric=make_scorer(fbeta_score, beta=10), **kwargs)  # fmt: skip


def test_a_lambda_metric_is_refused_when_the_search_resumes(small_digits, tmp_path):
    X, y, Xv, yv = small_digits
    with pytest.raises(NotResumable, match="the metric"):
        fit_grid(LogisticRegression(), {"C": [1.0]}, X, y, Xv, yv, out=tmp_path,
                 metric=lambda t, p: float(np.mean(t == p)))  # fmt: skip
    partial = functools.partial(fbeta_score, beta=2, average="macro")
    res = fit_grid(LogisticRegression(), {"C": [1.0]}, X, y, Xv, yv, out=tmp_path,
                   metric=partial, progress=False, plot=False)  # fmt: skip
    assert res.best_score > 0.5


def test_scipy_ufuncs_resume(tmp_path):
    code = """
import numpy as np, scipy.special
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import Ridge
from parsearch import fit_grid
rng = np.random.default_rng(0)
X = rng.normal(size=(120, 3)); y = scipy.special.expit(X @ [1.0, -1.0, 0.5])
model = TransformedTargetRegressor(Ridge(), func=scipy.special.logit,
                                   inverse_func=scipy.special.expit)
res = fit_grid(model, {"regressor__alpha": [0.1, 1.0]}, X[:80], y[:80], X[80:], y[80:],
               metric="r2", out=r"OUT", progress=False, plot=False)
print(res.meta["execution"]["reused_rows"])
""".replace("OUT", str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            for _ in range(2)]  # fmt: skip
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr[-2000:]
    assert [r.stdout.split()[-1] for r in runs] == ["0", "2"]
