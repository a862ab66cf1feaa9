"""Check the caller's input once, at the boundary, before any work starts."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np


def check_data(
    X_train,
    y_train,
    X_val=None,
    y_val=None,
    *,
    classifier=True,
    allow_nan=False,
    numeric=True,
    images=False,
):
    """Check training and validation data.

    The search checks what it needs itself (2-D X, 1-D y of the same length, targets
    that can be fitted) and leaves the rest to the estimator, as GridSearchCV does; NaN in
    X is refused here only for an estimator that does not take it (one clear error
    rather than a failed row per configuration).

    Parameters
    ----------
    X_train, y_train : array-like
        Training data; X must be 2-D, y 1-D of the same length.
    X_val, y_val : array-like, optional
        Validation data; give both or neither.
    classifier : bool
        Whether the estimator is a classifier (then validation classes never seen in
        training give a warning).
    allow_nan : bool
        Whether the estimator takes NaN (and missing values) in X (see
        :func:`accepts_nan`); if False, NaN and infinite values are refused.
    numeric : bool
        Whether X must be numeric (True for networks; a scikit-learn pipeline may encode
        text columns itself).
    images : bool
        Whether X may have more than two dimensions (images as ``(n, 1, 28, 28)``), for
        an engine that says it takes them (``accepts_images``); validation inputs must
        then have the training inputs' shape per sample.

    Returns
    -------
    tuple
        ``(X_train, y_train, X_val, y_val)``: X as an array, a CSR sparse matrix, or the
        DataFrame it was when its column names are unique strings (pipelines may select
        its columns by name); y as an array.

    Raises
    ------
    ValueError
        Naming the argument and what is wrong with it.
    """
    if (X_val is None) != (y_val is None):
        given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
        raise ValueError(
            f"{given} was given without {missing}: give both for a validation set, or "
            "neither to score by cross-validation."
        )
    rules = {"allow_nan": allow_nan, "numeric": numeric, "images": images}
    X_train, y_train = _check_xy(X_train, y_train, "X_train", "y_train", **rules)
    if X_val is None:
        if classifier:
            _refuse_one_class(y_train)
        return X_train, y_train, None, None
    X_val, y_val = _check_xy(X_val, y_val, "X_val", "y_val", **rules)
    if images and X_train.shape[1:] != X_val.shape[1:]:
        raise ValueError(
            f"X_train has samples of shape {X_train.shape[1:]} but X_val of {X_val.shape[1:]}."
        )
    if X_train.shape[1] != X_val.shape[1]:
        raise ValueError(f"X_train has {X_train.shape[1]} features but X_val has {X_val.shape[1]}.")
    _refuse_other_columns(X_train, X_val)
    if classifier:
        _refuse_one_class(y_train)
        unseen = np.setdiff1d(np.unique(y_val), np.unique(y_train))
        if unseen.size:
            warnings.warn(
                f"The validation set has classes never seen in training: "
                f"{unseen.tolist()}; their samples can never be predicted right. "
                "Scoring anyway.",
                UserWarning,
                stacklevel=3,
            )
    return X_train, y_train, X_val, y_val


def _refuse_other_columns(X_train, X_val):
    """Refuse DataFrames whose column names differ, or come in another order.

    An estimator fitted on a frame scores a frame by its column names, and refuses other
    names (every configuration would fail after its fit); a frame that becomes an array
    would silently pair the columns by position. Reorder with ``X_val[X_train.columns]``.
    """
    if not (is_dataframe(X_train) and is_dataframe(X_val)):
        return
    train, val = list(X_train.columns), list(X_val.columns)
    if train == val:
        return
    if sorted(map(str, train)) == sorted(map(str, val)):
        first = next(i for i, (a, b) in enumerate(zip(train, val)) if a != b)
        raise ValueError(
            "X_train and X_val have the same columns in another order (first difference at "
            f"column {first}: {train[first]!r} against {val[first]!r}); reorder X_val as "
            "X_val[X_train.columns]."
        )
    missing = [c for c in train if c not in set(val)][:5]
    extra = [c for c in val if c not in set(train)][:5]
    raise ValueError(
        "X_train and X_val have other column names: "
        f"X_val lacks {missing} and has {extra} (the first five of each)."
    )


def _refuse_one_class(y_train):
    classes = np.unique(y_train)
    if len(classes) < 2:
        raise ValueError(
            f"y_train holds one class only ({classes.tolist()}): a classifier needs samples of "
            "at least two classes."
        )


def is_dataframe(X):
    """Whether ``X`` is a pandas DataFrame."""
    import pandas as pd

    return isinstance(X, pd.DataFrame)


def keeps_frame(X):
    """Whether a DataFrame goes to the estimator as one: unique string column names.

    Those are the frames whose columns scikit-learn can address by name (a
    ColumnTransformer, say); any other frame becomes an array, as it always did.
    """
    names = list(X.columns)
    return all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


def numeric_array(X, name="X"):
    """A DataFrame of numeric columns as a float array (missing values become NaN).

    Raises
    ------
    ValueError
        Naming the first column that is not numeric.
    """
    import pandas as pd

    for position, dtype in enumerate(X.dtypes):
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ValueError(
                f"{name} must be numeric, but its column {X.columns[position]!r} has dtype {dtype}."
            )
    return X.to_numpy(dtype=float, na_value=np.nan)


def as_dense(X, name="X"):
    """A dense array: of a sparse matrix, of a DataFrame's numeric columns, or of ``X``."""
    if hasattr(X, "toarray"):
        return X.toarray()
    return numeric_array(X, name) if is_dataframe(X) else np.asarray(X)


def take_rows(X, rows):
    """Rows ``rows`` of an array, a sparse matrix or a DataFrame."""
    return X.iloc[rows] if is_dataframe(X) else X[rows]


def _check_xy(X, y, x_name, y_name, allow_nan=False, numeric=True, images=False):
    if hasattr(X, "tocsr"):  # scipy sparse matrix or array: CSR, whose rows can be taken
        X = X.tocsr()
        parts = [X.data]
    elif is_dataframe(X) and keeps_frame(X):  # float columns checked, others left as they are
        if not allow_nan:
            _refuse_nonfinite(x_name, int(X.isna().to_numpy().sum()))
        parts = [
            X.iloc[:, i].to_numpy(dtype=float) for i, t in enumerate(X.dtypes) if t.kind == "f"
        ]
    elif is_dataframe(X) and not numeric:  # the estimator decides what its columns hold
        X = X.to_numpy()
        parts = [X] if X.dtype.kind == "f" else []
    else:
        X = numeric_array(X, x_name) if is_dataframe(X) else np.asarray(X)
        parts = [X]
    if X.ndim != 2 and not (images and X.ndim > 2):
        raise ValueError(
            f"{x_name} must be 2-D (samples x features), got shape {X.shape}. "
            "Reshape images to (n_samples, n_pixels), e.g. X.reshape(len(X), -1)."
        )
    for data in parts:
        if numeric and not _numeric(data.dtype):
            raise ValueError(f"{x_name} must be numeric, got dtype {data.dtype}.")
        if not allow_nan and data.dtype.kind == "f":
            _refuse_nonfinite(x_name, count_nonfinite(data))
    if y is None:
        raise ValueError(
            f"{y_name} is None: parsearch searches supervised models, each scored against "
            f"its labels or targets; pass {y_name}."
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{y_name} must be 1-D, got shape {y.shape}.")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"{x_name} and {y_name} have different lengths: {X.shape[0]} and {y.shape[0]}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{x_name} is empty.")
    if X.shape[1] == 0:
        raise ValueError(f"{x_name} has no features (shape {X.shape}): give at least one column.")
    _refuse_missing_labels(y, y_name)
    return X, y


def _refuse_missing_labels(y, name):
    """Refuse NaN, infinite or missing (None, pd.NA) targets: no estimator can fit them."""
    import pandas as pd

    if y.dtype.kind == "f":
        bad = count_nonfinite(y)
    elif y.dtype.kind == "O":
        bad = int(
            sum(
                1
                for v in y
                if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v))
            )
        )
    else:
        bad = 0
    if bad:
        raise ValueError(
            f"{name} contains {bad} missing, NaN or infinite values; drop those samples first."
        )


def count_nonfinite(data):
    """How many NaN or infinite values a float array holds.

    One summing pass answers 0 for an all-finite array (any NaN or infinity makes the sum
    non-finite); only otherwise, or when finite values overflow the sum, are they counted.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(data, dtype=data.dtype)):
            return 0
    return int(np.size(data) - np.count_nonzero(np.isfinite(data)))


def _numeric(dtype):
    return np.issubdtype(dtype, np.number) or dtype.kind == "b"


def _refuse_nonfinite(name, n_bad):
    """Refuse ``n_bad`` NaN, infinite or missing values (None, pd.NA) in ``name``."""
    if n_bad:
        raise ValueError(
            f"{name} contains {n_bad} NaN or infinite values, which this estimator does not "
            "take; impute or drop them first (e.g. make_pipeline(SimpleImputer(), model)), "
            "or use an estimator that handles missing values (HistGradientBoostingClassifier)."
        )


def accepts_nan(estimator):
    """Whether an estimator may take NaN in X: False only where its parts say so for sure.

    scikit-learn's ``allow_nan`` tag is trusted where it is True, and where a scikit-learn
    estimator that holds no other estimator sets it. Its composites do not compute the tag
    from their parts (scikit-learn 1.9 leaves ``Pipeline``, ``ColumnTransformer`` and
    ``FeatureUnion`` at the default, False), so their parts are looked into as those
    composites route the columns:

    - a ``Pipeline`` takes what its first step takes (later steps see that step's output);
    - a ``FeatureUnion`` gives every column to every transformer, so it takes NaN when
      each of them does (``"drop"`` and ``"passthrough"`` do);
    - a ``ColumnTransformer`` takes NaN when one of its transformers does, ``"drop"`` and
      ``"passthrough"`` among them, or a remainder estimator that does (which columns
      hold NaN is not known here, so NaN may go only to the parts that take it).

    Any other meta-estimator (with an estimator among its parameters:
    OneVsRestClassifier, CalibratedClassifierCV, a search) and an estimator from outside
    scikit-learn (whose tags may be the defaults, unset) decide for themselves.

    Parameters
    ----------
    estimator : estimator, ``"drop"``, ``"passthrough"`` or None
        The estimator, or a composite's part.

    Returns
    -------
    bool
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import FeatureUnion, Pipeline

    if estimator is None or isinstance(estimator, str):
        return True  # "drop" or "passthrough": nothing there refuses NaN
    if _allow_nan_tag(estimator):
        return True
    if isinstance(estimator, Pipeline):
        steps = [s for _, s in estimator.steps if s is not None and s != "passthrough"]
        return accepts_nan(steps[0]) if steps else True
    if isinstance(estimator, FeatureUnion):
        return all(accepts_nan(part) for _, part in estimator.transformer_list)
    if isinstance(estimator, ColumnTransformer):
        parts = [part for _, part, _ in estimator.transformers]
        if estimator.remainder != "drop":  # "drop" leaves out columns that may not exist
            parts.append(estimator.remainder)
        return any(accepts_nan(part) for part in parts)
    if not type(estimator).__module__.startswith("sklearn."):
        return True
    try:
        params = estimator.get_params(deep=False).values()
    except Exception:
        return True
    if any(hasattr(value, "fit") for value in params):
        return True
    return _allow_nan_tag(estimator) is not False


def _allow_nan_tag(estimator):
    """scikit-learn's ``allow_nan`` tag of ``estimator``, or None where it cannot be read."""
    try:
        from sklearn.utils import get_tags
    except ImportError:  # scikit-learn < 1.6
        tags = getattr(estimator, "_get_tags", None)
        return None if tags is None else bool(tags().get("allow_nan", False))
    try:
        return bool(get_tags(estimator).input_tags.allow_nan)
    except Exception:  # an estimator whose tags cannot be read: let it decide
        return None


def check_n_jobs(n_jobs):
    """Check ``n_jobs`` as joblib reads it (None, a positive int, or a negative int).

    Raises
    ------
    ValueError
        For ``n_jobs=0`` or a non-integer.
    """
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)):
        raise TypeError(f"n_jobs must be an int or None, got {n_jobs!r}.")
    if n_jobs == 0:
        raise ValueError(
            "n_jobs=0 runs nothing: use n_jobs=1 (sequential), n_jobs=k (k workers) "
            "or n_jobs=-1 (all cores)."
        )
    return int(n_jobs)


def check_backend(backend):
    """Check a backend name: None, ``"dask"``, or a joblib backend registered here.

    Raises
    ------
    ValueError
        For a name joblib does not know, listing those it does.
    """
    if backend is None or backend == "dask" or not isinstance(backend, str):
        return backend  # a joblib backend instance is joblib's to check
    from joblib.parallel import BACKENDS

    if backend not in BACKENDS:
        known = ", ".join(repr(b) for b in sorted({*BACKENDS, "dask"}))
        raise ValueError(f"backend must be None or one of {known}, got {backend!r}.")
    return backend


def check_out(out):
    """Check that ``out`` can be a results folder, without creating or changing it.

    Parameters
    ----------
    out : str or path-like or None
        The results folder.

    Returns
    -------
    Path or None

    Raises
    ------
    ValueError
        When ``out`` is an existing file or its nearest existing parent is not a
        writable folder.
    """
    if out is None:
        return None
    path = Path(out).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"out={str(out)!r} is a file; give a folder for the results.")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"out={str(out)!r}: {str(existing)!r} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"out={str(out)!r}: {str(existing)!r} is not writable.")
    return path
