"""Tests of parsearch.checks: every bad input is refused with a message naming it."""

import os
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from parsearch import fit_grid
from parsearch.checks import check_data, check_n_jobs, check_out


@pytest.fixture
def xy(mnist_small):
    X, y = mnist_small
    return X[:60].copy(), y[:60].copy(), X[60:90].copy(), y[60:90].copy()


# ----------------------------------------------------------------------------------------
# check_data
# ----------------------------------------------------------------------------------------


def test_valid_data_passes_through_as_arrays(xy):
    X, y, X_val, y_val = xy
    out = check_data(X.tolist(), list(y), X_val, y_val.reshape(-1, 1))
    X2, y2, Xv2, yv2 = out
    assert isinstance(X2, np.ndarray) and X2.shape == (60, 784)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    assert yv2.shape == (30,)  # a column vector is flattened
    np.testing.assert_array_equal(yv2, y_val)
    assert Xv2 is X_val


def test_without_validation_set(xy):
    X, y, _, _ = xy
    X2, y2, X_val, y_val = check_data(X, y)
    assert X_val is None and y_val is None
    assert X2 is X and y2 is y


def test_sparse_matrix_passes_through(xy):
    X, y, X_val, y_val = xy
    Xs = sp.csr_matrix(X)
    X2, _, Xv2, _ = check_data(Xs, y, sp.csr_matrix(X_val), y_val)
    assert X2 is Xs
    assert sp.issparse(Xv2)


def test_coo_matrix_becomes_csr_whose_rows_can_be_taken(xy):
    X, y, _, _ = xy
    X_train, *_ = check_data(sp.coo_matrix(X), y)
    assert sp.issparse(X_train) and X_train.format == "csr"
    assert (X_train[[0, 2]].toarray() == X[[0, 2]]).all()


def test_dataframe_passes_through_with_its_columns():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1, 2, 3], "kind": ["x", "y", "x"]})
    X_train, y_train, *_ = check_data(frame, pd.Series([0, 1, 0]))
    assert X_train is frame and isinstance(y_train, np.ndarray)


@pytest.mark.parametrize("names", [[0, 1, "c"], ["a", "a", "b"]], ids=["mixed", "duplicate"])
def test_dataframe_without_unique_string_names_becomes_an_array(names):
    # scikit-learn can address such columns by position only: they go on as an array.
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([[1.0, 2, 3.0], [4.0, 5, 6.0]], columns=names)
    X_train, *_ = check_data(frame, [0, 1])
    assert isinstance(X_train, np.ndarray) and X_train.dtype == float
    assert X_train.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_numeric_array_of_nullable_and_non_numeric_frames():
    pd = pytest.importorskip("pandas")
    from parsearch.checks import numeric_array

    nullable = pd.DataFrame({"a": pd.array([1.0, None], dtype="Float64"), "b": [1, 2]})
    assert np.isnan(numeric_array(nullable)[1, 0]) and numeric_array(nullable).dtype == float
    with pytest.raises(ValueError, match="column 'kind' has dtype"):
        numeric_array(pd.DataFrame({"a": [1.0], "kind": ["x"]}), "X_train")


@pytest.mark.parametrize(
    "column", [[1.0, np.nan, 3.0], [1.0, np.inf, 3.0], ["x", None, "y"]], ids=str
)
def test_dataframe_with_missing_or_infinite_values_is_refused(column):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": column})
    with pytest.raises(ValueError, match="X_train contains 1 NaN or infinite"):
        check_data(frame, [0, 1, 0])


def test_length_mismatch_names_both_and_the_lengths(xy):
    X, y, _, _ = xy
    with pytest.raises(ValueError) as info:
        check_data(X, y[:-1])
    message = str(info.value)
    assert "X_train and y_train have different lengths" in message
    assert "60 and 59" in message


def test_validation_length_mismatch(xy):
    X, y, X_val, y_val = xy
    with pytest.raises(ValueError, match="X_val and y_val have different lengths: 30 and 29"):
        check_data(X, y, X_val, y_val[:-1])


def test_x_val_without_y_val(xy):
    X, y, X_val, _ = xy
    with pytest.raises(ValueError, match="X_val was given without y_val"):
        check_data(X, y, X_val, None)


def test_y_val_without_x_val(xy):
    X, y, _, y_val = xy
    with pytest.raises(ValueError, match="y_val was given without X_val"):
        check_data(X, y, None, y_val)


def test_one_dimensional_x_suggests_a_reshape(xy):
    X, y, _, _ = xy
    with pytest.raises(ValueError) as info:
        check_data(X[:, 0], y)
    message = str(info.value)
    assert "X_train must be 2-D" in message
    assert "(60,)" in message
    assert "reshape" in message


def test_image_shaped_x_is_refused(xy):
    X, y, _, _ = xy
    with pytest.raises(ValueError, match=r"X_train must be 2-D.*\(60, 28, 28\)"):
        check_data(X.reshape(60, 28, 28), y)


def test_two_column_y_is_refused(xy):
    X, y, _, _ = xy
    with pytest.raises(ValueError, match=r"y_train must be 1-D, got shape \(60, 2\)"):
        check_data(X, np.stack([y, y], axis=1))


def test_no_y_is_named_before_any_work(xy):
    X, _, _, _ = xy
    with pytest.raises(ValueError, match="y_train is None: parsearch searches supervised"):
        check_data(X, None)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_x_train(xy, bad):
    X, y, _, _ = xy
    X[3, 100] = bad
    X[7, 5] = bad
    with pytest.raises(ValueError) as info:
        check_data(X, y)
    message = str(info.value)
    assert "X_train" in message
    assert "2 NaN or infinite values" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_x_val(xy, bad):
    X, y, X_val, y_val = xy
    X_val[0, 0] = bad
    with pytest.raises(ValueError, match="X_val contains 1 NaN or infinite values"):
        check_data(X, y, X_val, y_val)


def test_nan_in_a_sparse_matrix(xy):
    X, y, _, _ = xy
    Xs = sp.csr_matrix(X)
    Xs.data[0] = np.nan
    with pytest.raises(ValueError, match="X_train contains 1 NaN"):
        check_data(Xs, y)


@pytest.mark.parametrize(
    "X",
    [
        np.array([["a", "b"], ["c", "d"]]),
        np.array([[1, "b"], [2, "d"]], dtype=object),
        np.array([[1.0, 2.0], [3.0, 4.0]], dtype=object),
    ],
)
def test_non_numeric_x(X):
    with pytest.raises(ValueError, match="X_train must be numeric, got dtype"):
        check_data(X, [0, 1])


def test_integer_and_bool_x_are_accepted():
    y = np.array([0, 1])
    check_data(np.array([[1, 2], [3, 4]], dtype=np.uint8), y)
    check_data(np.array([[True, False], [False, True]]), y)


def test_empty_x_is_refused():
    with pytest.raises(ValueError, match="X_train is empty"):
        check_data(np.zeros((0, 5)), np.zeros(0))


def test_feature_count_mismatch(xy):
    X, y, X_val, y_val = xy
    with pytest.raises(ValueError, match="X_train has 784 features but X_val has 783"):
        check_data(X, y, X_val[:, 1:], y_val)


def test_validation_classes_unseen_in_training_warn(xy):
    X, y, X_val, y_val = xy
    keep = y != 7
    y_val = y_val.copy()
    y_val[:2] = 7
    with pytest.warns(UserWarning, match=r"never seen in training: \[7\]"):
        out = check_data(X[keep], y[keep], X_val, y_val)
    assert out[3] is not None  # a warning, not an error: the data comes back


def test_training_classes_missing_from_validation_do_not_warn(xy):
    X, y, X_val, y_val = xy
    keep = y_val != y_val[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_data(X, y, X_val[keep], y_val[keep])


def test_unseen_values_do_not_warn_for_regressors(xy):
    X, _, X_val, _ = xy
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_data(X, np.linspace(0, 1, 60), X_val, np.linspace(2, 3, 30), classifier=False)


# ----------------------------------------------------------------------------------------
# check_n_jobs
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n_jobs", "expected"), [(None, None), (1, 1), (4, 4), (-1, -1)])
def test_valid_n_jobs(n_jobs, expected):
    assert check_n_jobs(n_jobs) == expected


def test_numpy_integer_n_jobs_becomes_an_int():
    value = check_n_jobs(np.int64(2))
    assert value == 2 and type(value) is int


def test_n_jobs_zero_explains_the_choices():
    with pytest.raises(ValueError) as info:
        check_n_jobs(0)
    message = str(info.value)
    assert "n_jobs=0" in message
    assert "n_jobs=1" in message and "n_jobs=-1" in message


@pytest.mark.parametrize("n_jobs", [1.5, 2.0, "4", True, False])
def test_n_jobs_of_the_wrong_type(n_jobs):
    with pytest.raises(TypeError, match=f"n_jobs must be an int or None, got {n_jobs!r}"):
        check_n_jobs(n_jobs)


# ----------------------------------------------------------------------------------------
# check_out
# ----------------------------------------------------------------------------------------


def test_out_none():
    assert check_out(None) is None


def test_new_nested_folder_is_accepted_and_not_created(tmp_path):
    out = tmp_path / "a" / "b" / "results"
    assert check_out(str(out)) == out
    assert not (tmp_path / "a").exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_accepted_and_left_unchanged(tmp_path):
    (tmp_path / "scores.csv").write_text("x\n")
    assert check_out(tmp_path) == tmp_path
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]
    assert (tmp_path / "scores.csv").read_text() == "x\n"


def test_out_is_an_existing_file(tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("data")
    with pytest.raises(ValueError, match="is a file; give a folder"):
        check_out(target)
    assert target.read_text() == "data"


def test_out_below_a_file(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("")
    with pytest.raises(ValueError) as info:
        check_out(blocker / "sub" / "results")
    message = str(info.value)
    assert "notes.txt" in message
    assert "is a file, not a folder" in message
    assert blocker.is_file()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_out_in_an_unwritable_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="is not writable"):
            check_out(locked / "results")
        assert not (locked / "results").exists()
    finally:
        locked.chmod(0o700)


def test_unwritable_folder_is_found_through_os_access(tmp_path, monkeypatch):
    # Runs also as root: the check asks os.access about the nearest existing folder.
    asked = []

    def deny(path, mode):
        asked.append(str(path))
        return False

    monkeypatch.setattr(os, "access", deny)
    with pytest.raises(ValueError, match="is not writable"):
        check_out(tmp_path / "new" / "results")
    assert asked == [str(tmp_path)]


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array([0.0, 1.0, np.nan, 1.0]), "y_train contains 1 missing, NaN or infinite"),
        (np.array([0.0, 1.0, np.inf, 1.0]), "y_train contains 1 missing, NaN or infinite"),
        (np.array(["a", None, "b", "a"], dtype=object), "y_train contains 1 missing"),
        (np.array([3, 3, 3, 3]), r"one class only \(\[3\]\)"),
    ],
)
def test_targets_no_classifier_can_fit_are_refused(y, message):
    with pytest.raises(ValueError, match=message):
        check_data(np.ones((4, 2)), y, classifier=True)


def test_one_class_is_fine_for_a_regressor_and_in_validation():
    check_data(np.ones((4, 2)), np.array([3.0, 3.0, 3.0, 3.0]), classifier=False)
    check_data(np.ones((4, 2)), np.array([0, 1, 0, 1]), np.ones((2, 2)), np.array([1, 1]))


def test_data_without_features_is_refused():
    with pytest.raises(ValueError, match=r"X_train has no features \(shape \(4, 0\)\)"):
        check_data(np.ones((4, 0)), np.array([0, 1, 0, 1]))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_count_nonfinite_counts_exactly_even_when_the_sum_overflows(dtype):
    from parsearch.checks import count_nonfinite

    big = np.finfo(dtype).max
    data = np.full((50, 7), big / 2, dtype=dtype)  # finite, but its sum overflows
    assert count_nonfinite(data) == 0
    data[3, 4], data[10, 0], data[49, 6] = np.nan, np.inf, -np.inf
    assert count_nonfinite(data) == 3
    assert count_nonfinite(np.zeros((0, 3), dtype=dtype)) == 0


# ----------------------------------------------------------------------------------------
# accepts_nan: composites looked into as scikit-learn routes the columns
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frame_with_holes():
    """A frame of two numeric columns with NaN and a text column, split 200 / 100."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 300
    a, b = rng.normal(size=n), rng.normal(size=n)
    city = rng.choice(["oslo", "lima", "pune"], size=n)
    y = ((a + 0.5 * b + (city == "lima") + 0.5 * rng.normal(size=n)) > 0.3).astype(int)
    a[rng.random(n) < 0.15] = np.nan
    b[rng.random(n) < 0.15] = np.nan
    X = pd.DataFrame({"a": a, "b": b, "city": city})
    return X.iloc[:200], y[:200], X.iloc[200:], y[200:]


def _imputed_columns():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    columns = ColumnTransformer(
        [("num", SimpleImputer(), ["a", "b"]), ("cat", OneHotEncoder(), ["city"])]
    )
    return make_pipeline(columns, LogisticRegression()), {"logisticregression__C": [0.01, 1.0]}


def _imputed_union():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import MissingIndicator, SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    union = FeatureUnion([("mean", SimpleImputer()), ("missing", MissingIndicator())])
    numeric = ColumnTransformer([("num", union, ["a", "b"])])
    return make_pipeline(numeric, LogisticRegression()), {"logisticregression__C": [0.01, 1.0]}


@pytest.mark.parametrize("build", [_imputed_columns, _imputed_union])
def test_nan_through_column_transformers_and_unions_is_searched_as_grid_search_cv_does(
    frame_with_holes, build
):
    import pandas as pd
    from sklearn.model_selection import GridSearchCV, PredefinedSplit

    from parsearch import fit_grid

    X, y, Xv, yv = frame_with_holes
    model, grid = build()
    res = fit_grid(model, grid, X, y, Xv, yv, progress=False)
    split = PredefinedSplit(np.r_[np.full(len(y), -1), np.zeros(len(yv))])
    gs = GridSearchCV(model, grid, cv=split, refit=False).fit(pd.concat([X, Xv]), np.r_[y, yv])
    assert (res.table["status"] == "ok").all()
    np.testing.assert_allclose(res.table["score"], gs.cv_results_["mean_test_score"])


def _refusing_models():
    from sklearn.compose import make_column_transformer
    from sklearn.decomposition import PCA
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    return {
        "estimator": LogisticRegression(),
        "columns": make_pipeline(
            make_column_transformer((PCA(), ["a", "b"])), LogisticRegression()
        ),
        "union": make_pipeline(
            make_column_transformer((make_union(SimpleImputer(), PCA()), ["a", "b"])),
            LogisticRegression(),
        ),
    }


@pytest.mark.parametrize("which", ["estimator", "columns", "union"])
def test_nan_that_reaches_a_part_refusing_it_is_refused_up_front(frame_with_holes, which, tmp_path):
    from parsearch import fit_grid

    X, y, Xv, yv = frame_with_holes
    model = _refusing_models()[which]
    grid = {"C": [1.0]} if which == "estimator" else {"logisticregression__C": [1.0]}
    out = tmp_path / "never"
    with pytest.raises(
        ValueError, match=r"X_train contains \d+ NaN or infinite values, which this"
    ):
        fit_grid(model, grid, X[["a", "b"]], y, Xv[["a", "b"]], yv, out=out)
    assert not out.exists()


def test_accepts_nan_looks_into_each_composite_as_it_routes_columns():
    from sklearn.compose import make_column_transformer
    from sklearn.decomposition import PCA
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline, make_union

    from parsearch.checks import accepts_nan

    # a union gives every column to every part: all of them must take NaN
    assert accepts_nan(make_union(SimpleImputer(), "passthrough"))
    assert not accepts_nan(make_union(SimpleImputer(), PCA()))
    # a column transformer: NaN may be in the columns of the part that takes it
    assert accepts_nan(make_column_transformer((SimpleImputer(), [0]), (PCA(), [1])))
    assert accepts_nan(make_column_transformer((PCA(), [0]), remainder="passthrough"))
    assert not accepts_nan(make_column_transformer((PCA(), [0]), remainder=PCA()))
    # a pipeline: its first step, itself a composite
    assert accepts_nan(make_pipeline(make_column_transformer((SimpleImputer(), [0])), PCA()))
    assert not accepts_nan(make_pipeline(make_union(PCA(), SimpleImputer()), SimpleImputer()))


def test_a_text_frame_without_string_names_reaches_the_pipeline():
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({0: rng.normal(size=200), 1: rng.choice(["a", "b"], size=200)})
    y = (frame[1] == "a").to_numpy().astype(int)
    model = Pipeline([
        ("encode", make_column_transformer((OneHotEncoder(), [1]), remainder="passthrough")),
        ("clf", LogisticRegression()),
    ])  # fmt: skip
    res = fit_grid(model, {"clf__C": [1.0]}, frame[:150], y[:150], frame[150:], y[150:],
                   progress=False)  # fmt: skip
    assert res.best_score > 0.9
