"""The resume identity: what a results folder's rows were computed from.

A rerun may reuse the rows of ``scores.csv`` only when the estimator (its fixed
parameters), the data, the metric and the validation (a holdout set, or the folds
themselves) are those of the run that wrote them; ``meta.json`` keeps these as
``identity``. Each configuration of a grid is identified by its ``config_key``
(``parsearch.rows.config_key``).

The estimator is described exactly (:func:`estimator_description`): every parameter,
nested estimators' too, in full, with functions and classes named by module and
qualified name, so that the description is the same in every process and differs for
any change. A value with no such name (a lambda, a function defined inside a function,
an object whose ``repr`` is its memory address) could never be recognised by a rerun:
:func:`check_resumable` refuses it, before any work, for a search that writes a results
folder to resume.

A class or function of the user's own (in ``__main__``: a script, a notebook; or in a
module beside them that no installed distribution holds; :mod:`parsearch.usercode`) is
named with a hash of its code, ``__main__.Net[code:1f0c...]``, in the estimator's
description and in configuration keys alike: edited and run again into the same folder,
it is not taken for the old one. As the estimator's class or a fixed parameter (skorch's
``module=Net``) it makes the rerun refuse with :class:`ResumeMismatch`, naming the class
whose code changed (nothing is overwritten; ``resume=False`` or another folder refits);
as a grid value its configurations are fitted again, the old rows kept in
``scores.previous.<UTC time>.csv``. Installed classes (scikit-learn, torch, skorch,
parsearch) keep ``module.qualname`` alone, so folders written before still resume.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from parsearch.checks import is_dataframe
from parsearch.rows import exact_repr, is_estimator
from parsearch.usercode import code_tag


class ResumeMismatch(ValueError):
    """The results folder was written by another search (estimator, data, metric or validation)."""


class NotResumable(ValueError):
    """A search to resume holds a value that no other process could recognise (a lambda)."""


#: Where parsearch's own classes lived before: folders their searches wrote still resume.
FORMER_CLASS_PATHS = {"parsearch.mlp.MLPClassifier": "parsearch.nets.mlp.MLPClassifier"}


def current_identity(identity):
    """An identity read from an older ``meta.json``, with today's class paths.

    Parameters
    ----------
    identity : dict
        ``meta.json``'s ``identity``.

    Returns
    -------
    dict
    """
    estimator = identity.get("estimator")
    if not isinstance(estimator, str):
        return identity
    for old, new in FORMER_CLASS_PATHS.items():
        if estimator.startswith(old + "("):
            return {**identity, "estimator": new + estimator[len(old) :]}
    return identity


#: The bytes of an array are hashed in blocks of this size, on several threads.
FINGERPRINT_BLOCK = 1 << 22  # 4 MiB
#: How a fingerprint of :func:`data_fingerprint` starts (older ones are 32 hex digits).
FINGERPRINT_PREFIX = "sha256/4MiB:"


def data_fingerprint(*arrays):
    """Hash arrays (shape, dtype and bytes) into a short string, at memory speed.

    Each array's bytes are cut into blocks of ``FINGERPRINT_BLOCK`` bytes, each block is
    hashed with SHA-256 on a pool of threads (``hashlib`` lets go of the GIL), and the
    fingerprint is the SHA-256 of the shapes, dtypes and block digests in order: the same
    for the same data whatever the number of threads. On the development machine it reads
    full MNIST (188 MB) in 0.07-0.08 s, where one BLAKE2b pass took 0.28-0.29 s.

    Parameters
    ----------
    *arrays : array-like or None
        The training and validation arrays.

    Returns
    -------
    str
        ``FINGERPRINT_PREFIX`` and 32 hex digits.
    """
    parts = [_described(part) for part in _byte_parts(arrays)]
    views = [
        block
        for _, view in parts
        for block in (
            view[i : i + FINGERPRINT_BLOCK] for i in range(0, len(view), FINGERPRINT_BLOCK)
        )
    ]
    if len(views) > 1:
        workers = min(len(views), os.cpu_count() or 1, 8)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            blocks = iter(list(pool.map(_block_digest, views)))
    else:
        blocks = iter([_block_digest(v) for v in views])
    digest = hashlib.sha256()
    for header, view in parts:
        digest.update(header)
        for _ in range(0, len(view), FINGERPRINT_BLOCK):
            digest.update(next(blocks))
    return FINGERPRINT_PREFIX + digest.hexdigest()[:32]


def legacy_data_fingerprint(*arrays):
    """The fingerprint of earlier versions: one BLAKE2b pass (16 bytes, 32 hex digits).

    Results folders written before :func:`data_fingerprint` hold it; a rerun compares it
    once and the folder then keeps the new one. The folds of a cross-validation are still
    identified with it (their indices are small).
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in _byte_parts(arrays):
        header, view = _described(part)
        digest.update(header)
        digest.update(view)
    return digest.hexdigest()


def is_legacy_fingerprint(value):
    """Whether a stored data fingerprint is of :func:`legacy_data_fingerprint`'s kind."""
    return isinstance(value, str) and len(value) == 32 and not value.startswith("sha")


def _block_digest(view):
    return hashlib.sha256(view).digest()


def _byte_parts(arrays):
    """The arrays to hash, in order: ``None`` as a marker, else contiguous numpy arrays."""
    for array in arrays:
        if array is None:
            yield None
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
            yield np.ascontiguousarray(part)


def _described(part):
    """(header bytes, byte view) of one part from ``_byte_parts``."""
    if part is None:
        return b"none", memoryview(b"")
    return f"{part.shape}{part.dtype.str}".encode(), memoryview(part).cast("B")


def estimator_description(estimator, grid_names=()):
    """A string that identifies an estimator's class and its fixed parameters, exactly.

    ``module.Class({"name": <exact text>, ...})``, each parameter's text its
    :func:`parsearch.rows.exact_repr`: nothing elided, functions named by module and
    qualified name, the same in every process. For an estimator whose parameters are
    all plain values (numbers, strings, None, tuples of them) it is the string that
    earlier versions wrote, so their results folders keep resuming.

    Parameters
    ----------
    estimator : estimator
    grid_names : collection of str
        Parameters that the grid sets in every configuration
        (:attr:`parsearch.grid.Grid.always_set`): they are left out, nested ones
        (``"svc__C"``) too, and a nested estimator that the grid replaces (``"svc"``) is
        its class alone. A parameter that some configurations leave unset must not be
        named: those fit with the estimator's own value.

    Returns
    -------
    str
    """
    params_of = _fixed_params(estimator, grid_names)
    params = {
        name: exact_repr(value, None, params_of) for name, value in params_of(estimator).items()
    }
    cls = type(estimator)
    path = f"{cls.__module__}.{cls.__qualname__}{code_tag(cls)}"
    return f"{path}({json.dumps(params, sort_keys=True)})"


def _fixed_params(estimator, grid_names):
    """``params_of(est)``: the parameters of ``estimator`` or a nested one, less the grid's."""
    grid_names = set(grid_names)
    prefixes = {id(estimator): ""}
    for name, value in estimator.get_params(deep=True).items():
        if is_estimator(value):
            prefixes.setdefault(id(value), f"{name}__")

    def params_of(est):
        params = est.get_params(deep=False)
        prefix = prefixes.get(id(est))
        if prefix is None:  # not reachable by a parameter name: nothing of it is set
            return params
        if prefix and prefix[:-2] in grid_names:  # the grid replaces it
            return {}
        return {n: v for n, v in params.items() if prefix + n not in grid_names}

    return params_of


#: A user's class or function in an identity's text: its name and the hash of its code.
_TAGGED = re.compile(r"([\w.]+)\[code:([0-9a-f]+)\]")


def changed_code(old, new):
    """What to say when two identities differ in the code of the user's own classes.

    Parameters
    ----------
    old, new : object
        An entry of a stored identity and of this search's (texts, normally).

    Returns
    -------
    str
        A sentence naming each class or function whose code hash differs (or that one
        side names with code and the other without), or ``""``.
    """
    if not isinstance(old, str) or not isinstance(new, str):
        return ""
    before, now = dict(_TAGGED.findall(old)), dict(_TAGGED.findall(new))
    names = sorted(
        n for n in before.keys() | now.keys() if before.get(n) != now.get(n) and n in new
    )
    if not names:
        return ""
    return (
        f" The code of {', '.join(names)} changed since those rows were computed (a class or "
        "function of your own is known by its code, not its name alone): its old scores "
        "are not this code's."
    )


def metric_identity(metric):
    """The metric's part of the resume identity: its name, and for a callable or a
    scorer object what it is exactly (its function, keyword arguments, response method
    and sign), so that two metrics of one name never share rows.
    """
    if metric.registered is not None:
        return metric.name  # as every earlier version wrote it
    return f"{metric.name}: {exact_repr(metric.func)}"


def check_resumable(estimator, grid, metric=None):
    """Refuse a search whose results a rerun could not recognise, before any work.

    Every part of the resume identity (the estimator's fixed parameters, nested ones
    too) and every grid value must have a text that is the same in every process
    (:func:`parsearch.rows.exact_repr`). A lambda, a function or class defined inside a
    function, or an object whose ``repr`` is only its memory address has none: a rerun
    would take the folder for another search's (or refit such grid values every time).

    Call it only for a search that writes a results folder and resumes from it
    (``out`` given and ``resume=True``): a search without one never resumes, and any
    value will do.

    Parameters
    ----------
    estimator : estimator
        The base estimator.
    grid : parsearch.grid.Grid
        The expanded grid.
    metric : parsearch.metrics.Metric, optional
        The metric: a callable one must have a stable identity too.

    Raises
    ------
    NotResumable
        Naming each value without a stable identity, and how to make the search
        resumable.
    """
    problems = []
    grid_names = set(grid.always_set)
    deep = estimator.get_params(deep=True)
    named = {id(v) for v in deep.values() if is_estimator(v)}  # listed by their own names

    def unnamed_params(est):
        return {} if id(est) in named else est.get_params(deep=False)

    for name, value in sorted(deep.items()):
        parts = name.split("__")
        if any("__".join(parts[: i + 1]) in grid_names for i in range(len(parts))):
            continue  # the grid sets it, or replaces an estimator it belongs to
        if id(value) in named:
            continue
        unstable = []
        exact_repr(value, unstable, unnamed_params)
        problems += [f"the estimator's parameter {name!r} holds {u}" for u in unstable]
    for name, values in grid.axes.items():
        for value in values:
            unstable = []
            exact_repr(value, unstable)
            problems += [f"the grid's value of {name!r} is or holds {u}" for u in unstable]
    if metric is not None and metric.registered is None:
        unstable = []
        exact_repr(metric.func, unstable)
        problems += [f"the metric is or holds {u}" for u in unstable]
    if problems:
        raise NotResumable(
            "A search with out= must be recognisable by a rerun in another process, but "
            f"{'; '.join(problems)}. Define each such function or class with def at module "
            "level (in your script or a module you import), give such an object a repr "
            "that names its parameters, or pass resume=False (each run then starts the "
            "results folder afresh) or no out."
        )


def folds_identity(folds):
    """Name cross-validation by its folds themselves (count and a hash of their indices).

    Not by the splitter's repr: two generators of different splits print alike, and a
    resume must not mix scores of other folds.
    """
    indices = [part for train, test in folds for part in (np.asarray(train), np.asarray(test))]
    return f"cv: {len(folds)} folds {legacy_data_fingerprint(*indices)[:16]}"
