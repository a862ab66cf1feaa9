"""The resume identity: what a results folder's rows were computed from.

A rerun may reuse the rows of ``scores.csv`` only when the estimator (its fixed
parameters), the data, the metric and the validation (a holdout set, or the folds
themselves) are those of the run that wrote them; ``meta.json`` keeps these as
``identity``. Each configuration of a grid is identified by its ``config_key``
(``parsearch.rows.config_key``).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from parsearch.checks import is_dataframe


class ResumeMismatch(ValueError):
    """The results folder was written by another search (estimator, data, metric or validation)."""


def data_fingerprint(*arrays):
    """Hash arrays (shape, dtype and bytes) into a short hex string.

    Parameters
    ----------
    *arrays : array-like or None
        The training and validation arrays.

    Returns
    -------
    str
    """
    digest = hashlib.blake2b(digest_size=16)
    for array in arrays:
        if array is None:
            digest.update(b"none")
            continue
        if hasattr(array, "tocsr"):  # scipy sparse
            array = array.tocsr()
            parts = [array.data, array.indices, array.indptr]
        elif is_dataframe(array):
            names = np.asarray([repr((c, str(t))) for c, t in array.dtypes.items()], dtype=str)
            parts = [names, pd.util.hash_pandas_object(array, index=False).to_numpy()]
        else:
            parts = [np.asarray(array)]
        for part in parts:
            if part.dtype == object:
                part = np.asarray([repr(v) for v in part.ravel()], dtype=str)
            part = np.ascontiguousarray(part)
            digest.update(f"{part.shape}{part.dtype.str}".encode())
            digest.update(memoryview(part).cast("B"))
    return digest.hexdigest()


def estimator_description(estimator, grid_names=()):
    """A string that identifies an estimator's class and its fixed parameters.

    Parameters named in the grid are left out: they vary between configurations.
    """
    cls = type(estimator)
    params = {
        name: repr(value)
        for name, value in sorted(estimator.get_params(deep=False).items())
        if name not in grid_names
    }
    return f"{cls.__module__}.{cls.__qualname__}({json.dumps(params, sort_keys=True)})"


def folds_identity(folds):
    """Name cross-validation by its folds themselves (count and a hash of their indices).

    Not by the splitter's repr: two generators of different splits print alike, and a
    resume must not mix scores of other folds.
    """
    indices = [part for train, test in folds for part in (np.asarray(train), np.asarray(test))]
    return f"cv: {len(folds)} folds {data_fingerprint(*indices)[:16]}"
