"""MLPClassifier: a scikit-learn compatible PyTorch classifier."""

import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import DataConversionWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.utils import get_tags  # noqa: E402

from parsearch import MLPClassifier  # noqa: E402
from parsearch.nets.mlp import check_mlp_params  # noqa: E402


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y = mnist_small
    return X[:3000], y[:3000], X[3000:4000], y[3000:4000]


def test_lesson_networks_learn_mnist(data):
    Xtr, ytr, Xva, yva = data
    logreg = MLPClassifier(depth=0, lr=0.01, epochs=3).fit(Xtr, ytr)
    hidden = MLPClassifier(depth=1, width=100, lr=0.01, epochs=3).fit(Xtr, ytr)
    assert [w.shape for w, _ in logreg.layers_] == [(10, 784)]
    assert [w.shape for w, _ in hidden.layers_] == [(100, 784), (10, 100)]
    assert logreg.score(Xva, yva) > 0.85
    assert hidden.score(Xva, yva) > 0.88
    assert len(hidden.loss_curve_) == 3 and hidden.loss_curve_[-1] < hidden.loss_curve_[0]


def test_adam_and_two_hidden_layers(data):
    Xtr, ytr, Xva, yva = data
    model = MLPClassifier(depth=2, width=64, optimizer="adam", lr=1e-3, epochs=2).fit(Xtr, ytr)
    assert model.score(Xva, yva) > 0.85


def test_predict_proba_and_any_label_type(data):
    Xtr, ytr, Xva, _ = data
    names = np.array(list("abcdefghij"))
    model = MLPClassifier(width=16, epochs=1).fit(Xtr, names[ytr])
    assert list(model.classes_) == list(names)
    proba = model.predict_proba(Xva)
    assert proba.shape == (len(Xva), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(model.predict(Xva), names[proba.argmax(axis=1)])


def test_seed_fixes_the_model(data):
    Xtr, ytr, _, _ = data
    a = MLPClassifier(width=16, epochs=1, seed=1).fit(Xtr[:500], ytr[:500])
    b = MLPClassifier(width=16, epochs=1, seed=1).fit(Xtr[:500], ytr[:500])
    c = MLPClassifier(width=16, epochs=1, seed=2).fit(Xtr[:500], ytr[:500])
    np.testing.assert_array_equal(a.layers_[0][0], b.layers_[0][0])
    assert not np.array_equal(a.layers_[0][0], c.layers_[0][0])


def test_works_inside_sklearn_model_selection(data):
    Xtr, ytr, _, _ = data
    X, y = Xtr[:600], ytr[:600]
    base = MLPClassifier(width=16, lr=0.05, epochs=3)
    assert clone(base).get_params() == base.get_params()
    scores = cross_val_score(base, X, y, cv=2)
    assert scores.shape == (2,) and np.all(scores > 0.5)
    search = GridSearchCV(base, {"lr": [0.01, 0.1]}, cv=2).fit(X, y)
    assert search.best_params_["lr"] in (0.01, 0.1)
    assert search.best_estimator_.predict(X[:5]).shape == (5,)


def test_pickle_round_trip(data):
    Xtr, ytr, Xva, _ = data
    model = MLPClassifier(width=16, epochs=1).fit(Xtr[:500], ytr[:500])
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(Xva), model.predict_proba(Xva))


def test_float64_training(data):
    Xtr, ytr, _, _ = data
    model = MLPClassifier(width=8, epochs=1, dtype="float64").fit(Xtr[:300], ytr[:300])
    assert model.layers_[0][0].dtype == np.float64


def test_diverging_training_is_flagged(data):
    Xtr, ytr, _, _ = data
    with pytest.warns(RuntimeWarning, match="NaN or infinite"):
        model = MLPClassifier(width=16, lr=1e8, epochs=2).fit(Xtr[:500], ytr[:500])
    assert model.diverged_
    assert np.isnan(model.loss_curve_).all()


def test_weights_blown_up_by_the_last_update_are_flagged(data):
    # One update per epoch, one epoch: the loss it saw was finite, the weights it left
    # give infinite outputs. The model must not come back as a normal fitted model.
    Xtr, ytr, _, _ = data
    with pytest.warns(RuntimeWarning, match="diverged"):
        model = MLPClassifier(width=16, lr=1e30, epochs=1, batch_size=300).fit(Xtr[:300], ytr[:300])
    assert model.diverged_ and np.isnan(model.loss_curve_).all()
    assert all(np.all(w == 0) and np.all(b == 0) for w, b in model.layers_)


def test_learning_rate_beyond_the_float_type_is_refused(data):
    Xtr, ytr, _, _ = data
    with pytest.raises(ValueError, match=r"lr=1e\+39 is beyond what float32 can hold"):
        MLPClassifier(lr=1e39).fit(Xtr[:100], ytr[:100])
    with pytest.raises(ValueError, match=r"weight_decay=1e\+39 is beyond"):
        MLPClassifier(weight_decay=1e39).fit(Xtr[:100], ytr[:100])
    check_mlp_params({"lr": 1e39, "dtype": "float64"})  # float64 holds it


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lr": 0}, "lr must be a number > 0"),
        ({"lr": -0.1}, "lr must be a number > 0"),
        ({"width": 0}, "width must be an integer >= 1"),
        ({"width": 2.5}, "width must be an integer >= 1"),
        ({"depth": -1}, "depth must be an integer >= 0"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"momentum": 1.5}, "momentum must be a number in"),
        ({"dtype": "float16"}, "dtype must be one of"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
    ],
)
def test_bad_hyperparameters(data, params, message):
    Xtr, ytr, _, _ = data
    with pytest.raises(ValueError, match=message):
        MLPClassifier(**params).fit(Xtr[:100], ytr[:100])


def test_bad_inputs(data):
    # The messages are scikit-learn's own (validate_data), which check_estimator asks for.
    Xtr, ytr, Xva, _ = data
    with pytest.raises(ValueError, match=r"flatten images with X\.reshape"):
        MLPClassifier().fit(Xtr[:100].reshape(100, 28, 28), ytr[:100])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        MLPClassifier().fit(Xtr[0], ytr[:1])
    with pytest.raises(ValueError, match="could not convert string to float"):
        MLPClassifier().fit(np.full((10, 3), "a"), np.arange(10))
    with pytest.raises(ValueError, match="Complex data not supported"):
        MLPClassifier().fit(np.ones((10, 3), complex), np.arange(10))
    with pytest.raises(ValueError, match="datetimes or timedeltas"):
        MLPClassifier().fit(np.ones((10, 3), "m8[s]"), np.arange(10))
    with pytest.raises(ValueError, match="0 sample"):
        MLPClassifier().fit(np.ones((0, 784)), np.arange(0))
    with pytest.raises(ValueError, match="0 feature"):
        MLPClassifier().fit(np.ones((10, 0)), np.arange(10))
    with_nan = Xtr[:100].copy()
    with_nan[3, 5] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MLPClassifier().fit(with_nan, ytr[:100])
    too_large = Xtr[:100].astype(np.float64)
    too_large[0, 0] = 1e300  # finite in float64, infinite in the float32 of training
    with np.errstate(over="ignore"), pytest.raises(ValueError, match="infinity or a value too"):
        MLPClassifier().fit(too_large, ytr[:100])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        MLPClassifier().fit(Xtr[:100], ytr[:99])
    with pytest.raises(ValueError, match="requires y to be passed"):
        MLPClassifier().fit(Xtr[:100], None)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        MLPClassifier().fit(Xtr[:100], np.linspace(0, 1, 100))
    with pytest.raises(ValueError, match="Input y contains infinity"):
        MLPClassifier().fit(Xtr[:100], np.r_[ytr[:99], np.inf])
    model = MLPClassifier(width=8, epochs=1).fit(Xtr[:100], ytr[:100])
    with pytest.raises(ValueError, match="X has 100 features, but MLPClassifier is expecting 784"):
        model.predict(Xva[:, :100])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict(with_nan)


def test_predict_before_fit_is_not_fitted_error(data):
    _, _, Xva, _ = data
    for method in ("predict", "predict_proba", "score"):
        args = (Xva[:5],) if method != "score" else (Xva[:5], np.zeros(5))
        with pytest.raises(NotFittedError):
            getattr(MLPClassifier(), method)(*args)


def test_column_y_is_raveled_with_a_warning(data):
    Xtr, ytr, Xva, _ = data
    flat = MLPClassifier(width=8, epochs=1).fit(Xtr[:200], ytr[:200])
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = MLPClassifier(width=8, epochs=1).fit(Xtr[:200], ytr[:200, None])
    np.testing.assert_array_equal(column.predict_proba(Xva), flat.predict_proba(Xva))


def test_sparse_input_is_made_dense(data):
    sparse = pytest.importorskip("scipy.sparse")
    Xtr, ytr, Xva, _ = data
    assert get_tags(MLPClassifier()).input_tags.sparse
    dense = MLPClassifier(width=8, epochs=1).fit(Xtr[:200], ytr[:200])
    for fmt in (sparse.csr_matrix, sparse.csc_array, sparse.coo_matrix, sparse.dok_array):
        model = MLPClassifier(width=8, epochs=1).fit(fmt(Xtr[:200]), ytr[:200])
        np.testing.assert_array_equal(model.layers_[0][0], dense.layers_[0][0])
        np.testing.assert_array_equal(model.predict_proba(fmt(Xva)), dense.predict_proba(Xva))
    with_nan = sparse.dok_array(Xtr[:200])
    with_nan[3, 5] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MLPClassifier().fit(with_nan, ytr[:200])


def test_read_only_input_is_not_shared_with_torch(data):
    Xtr, ytr, _, _ = data
    X = Xtr[:200].copy()
    X.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns of tensors on non-writable arrays
        model = MLPClassifier(width=8, epochs=1).fit(X, ytr[:200])
        model.predict(X)


def test_nullable_dataframe_in_and_out(data):
    pd = pytest.importorskip("pandas")
    Xtr, ytr, Xva, _ = data
    frame = pd.DataFrame(Xtr[:200, :50]).astype("Float64")
    model = MLPClassifier(width=8, epochs=1).fit(frame, ytr[:200])
    assert model.predict(pd.DataFrame(Xva[:10, :50]).astype("Float64")).shape == (10,)
    frame.iloc[3, 4] = pd.NA
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MLPClassifier(width=8, epochs=1).fit(frame, ytr[:200])


def test_dataframe_feature_names_are_checked(data):
    pd = pytest.importorskip("pandas")
    Xtr, ytr, Xva, _ = data
    names = [f"px{i}" for i in range(20)]
    model = MLPClassifier(width=8, epochs=1).fit(
        pd.DataFrame(Xtr[:200, :20], columns=names), ytr[:200]
    )
    assert list(model.feature_names_in_) == names
    shuffled = pd.DataFrame(Xva[:10, :20], columns=names[::-1])
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(shuffled)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error(data):
    Xtr, ytr, _, _ = data
    with pytest.raises(ValueError, match="CUDA is not available"):
        MLPClassifier(device="cuda").fit(Xtr[:100], ytr[:100])


def test_a_seed_beyond_64_bits_is_refused_up_front():
    from parsearch.nets.mlp import check_mlp_params

    with pytest.raises(ValueError, match="seed must be an integer in"):
        check_mlp_params({"seed": 2**64})
