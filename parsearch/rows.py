"""Values and rows: what a configuration's parameters and its result row are, in one place.

A results table (``GridResult.table``, ``scores.csv``) has one column per grid parameter,
named as in the grid, followed by the result columns of :class:`Col`. This module owns
everything about those rows and the values in them:

- the vocabulary: column names (:class:`Col`), :class:`Status` and :class:`Direction`,
  string-valued enums, so that the CSV and the table hold plain ``"ok"`` and
  ``"higher_is_better"``;
- a value's exact text (:func:`exact_repr`): scikit-learn's ``repr`` without its
  elisions and with functions named by module and qualified name, the same in every
  process; the values it cannot name so (lambdas, local functions, objects whose repr
  is their memory address) are listed as unstable;
- a value's canonical JSON form (:func:`canonical`), from which come the configuration
  key (:func:`config_key`) that identifies a configuration in ``scores.csv``, and the
  identity of one value (:func:`value_key`, under which a grid value and the same value
  read back from the CSV meet);
- reading typed parameters back from a row's key (:func:`params_from_key`,
  :func:`typed_params`): the CSV loses types (``None`` and ``4`` come back as ``NaN`` and
  ``4.0``), the key does not;
- a value's JSON form for ``meta.json`` (:func:`to_jsonable`) and its CSV cell
  (:func:`csv_cell`);
- which row is best (:func:`best_index`, :func:`ranked`, :class:`BestSoFar`), the failed
  row (:func:`failed_row`), status counts (:func:`status_counts`) and the direction's
  wording (:meth:`Direction.label`, :func:`metric_label`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import sys
import types
from enum import Enum

import numpy as np
import pandas as pd

from parsearch.usercode import code_tag


class _StrEnum(str, Enum):
    """An enum whose members are their string values: equal, hashed, printed alike."""

    __str__ = str.__str__
    __format__ = str.__format__

    def __hash__(self):
        return str.__hash__(self)


class Col:
    """Names of the result columns that follow the parameter columns."""

    SCORE = "score"
    STATUS = "status"
    ERROR = "error"
    FIT_SECONDS = "fit_seconds"
    METRIC = "metric"
    DIRECTION = "direction"
    SCORE_STD = "score_std"
    FOLD_SCORES = "fold_scores"
    TRAIN_SCORES = "train_scores"
    NAMED_SCORES = "named_scores"
    SPLIT_SECONDS = "split_seconds"
    TRAIN_LOSS = "train_loss"
    EPOCH_SCORES = "epoch_scores"
    EPOCHS_TRAINED = "epochs_trained"
    KEY = "config_key"


#: Result columns, in the order they follow the parameter columns.
RESULT_COLUMNS = (
    Col.SCORE,
    Col.STATUS,
    Col.ERROR,
    Col.FIT_SECONDS,
    Col.METRIC,
    Col.DIRECTION,
    Col.SCORE_STD,
    Col.FOLD_SCORES,
    Col.TRAIN_SCORES,
    Col.NAMED_SCORES,
    Col.SPLIT_SECONDS,
    Col.TRAIN_LOSS,
    Col.EPOCH_SCORES,
    Col.EPOCHS_TRAINED,
    Col.KEY,
)


class Status(_StrEnum):
    """The state of a configuration, as the ``status`` column holds it."""

    #: Its fit and scoring succeeded.
    OK = "ok"
    #: Its fit or scoring raised an exception.
    FAILED = "failed"
    #: A network whose training loss, weights or outputs became NaN or infinite.
    DIVERGED = "diverged"
    #: Stopped early by successive halving: its score is that of the rung where it
    #: stopped, after ``epochs_trained`` epochs (or passes of ``partial_fit``).
    PRUNED = "pruned"


class Direction(_StrEnum):
    """Whether a metric's greater values are better, as the ``direction`` column holds it."""

    HIGHER = "higher_is_better"
    LOWER = "lower_is_better"

    @classmethod
    def of(cls, greater_is_better):
        """The direction of a metric whose greater values are better or not."""
        return cls.HIGHER if greater_is_better else cls.LOWER

    @property
    def greater_is_better(self):
        """Whether greater values are better."""
        return self is Direction.HIGHER

    @property
    def label(self):
        """``"higher is better"`` or ``"lower is better"``."""
        return "higher is better" if self is Direction.HIGHER else "lower is better"


def metric_label(name, greater_is_better):
    """A metric's name with its direction, e.g. ``"log_loss (lower is better)"``."""
    return f"{name} ({Direction.of(greater_is_better).label})"


def param_columns(columns):
    """The parameter columns of a results table, in order: the names that are not results.

    Parameters
    ----------
    columns : iterable of str
        Column names of a results table or ``scores.csv``.

    Returns
    -------
    list of str
    """
    return [c for c in columns if c not in RESULT_COLUMNS]


# --- a value: its exact text ----------------------------------------------------------------

#: Values whose Python ``repr`` is exact and the same in every process (containers of
#: them too): their exact text is their ``repr``.
_PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes, np.bool_, np.number)


def exact_repr(value, unstable=None, params_of=None):
    """A text that tells ``value`` from any other value, the same in every process.

    Like ``repr``, but exact where scikit-learn's and numpy's elide (lists past 30 items,
    text past 700 characters, arrays past 1,000 numbers) and stable where ``repr`` prints
    a memory address:

    - values whose ``repr`` is exact (None, bools, numbers, strings, bytes, and tuples,
      lists and dicts of them) are their ``repr``, as before;
    - an estimator (anything with ``get_params``) is its class path with its parameters,
      ``module.Class(name=<exact text>, ...)``, nested estimators the same way;
    - a function, class or other named callable is ``module.qualname``; a
      ``functools.partial`` and a bound method are spelled out;
    - a class or function of the user's own (defined in ``__main__``, a script or a
      notebook, or in a module that no installed distribution holds: see
      :mod:`parsearch.usercode`), and the class of an estimator or object of such a
      class, is followed by a hash of its code, ``__main__.Net[code:1f0c...]``: edited
      and run again under the same name, it is another value. Classes and functions
      of installed packages keep their name alone, as earlier versions wrote them;
    - a numpy array, a pandas object or a sparse matrix is its type, shape and a hash of
      its contents; a numpy random state is its state;
    - sets are sorted; any other object is its ``repr``, or, where that is only the
      default ``<... object at 0x...>``, its class path with its attributes (its
      ``__dict__``), as ``make_column_selector(...)`` and scikit-learn scorers (whose
      repr names a function by its bare name) are written.

    Parameters
    ----------
    value : object
    unstable : list, optional
        Receives one line for each part of ``value`` that has no stable text: a lambda,
        a function or class defined inside a function, a callable that its module does
        not hold under its name, an object whose ``repr`` is its memory address and that
        has no ``__dict__`` to describe it by, a container that holds itself. Their text
        is then their ``repr`` (unique in this process, not in another).
    params_of : callable, optional
        ``params_of(estimator) -> dict``: the parameters of an estimator to write
        (default ``estimator.get_params(deep=False)``).

    Returns
    -------
    str
    """
    if unstable is None:
        unstable = []
    if params_of is None:
        params_of = _own_params
    return _exact(value, unstable, params_of)


def _own_params(estimator):
    return estimator.get_params(deep=False)


def is_estimator(value):
    """Whether ``value`` is an estimator instance (has ``get_params``; a class is not one)."""
    return hasattr(value, "get_params") and not isinstance(value, type)


def _is_plain(value):
    if isinstance(value, _PLAIN_SCALARS):
        return True
    if type(value) in (tuple, list):
        return all(_is_plain(v) for v in value)
    if type(value) is dict:
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    return False


def _exact(value, unstable, params_of, active=frozenset()):
    """:func:`exact_repr` of one value (``unstable`` and ``params_of`` as there).

    ``active``: the ids of the containers and objects being written around ``value``,
    so that one that holds itself is named unstable, not followed forever.
    """
    if _is_plain(value):
        return repr(value)
    if id(value) in active:
        text = repr(value)
        unstable.append(f"{text} (it holds itself)")
        return text
    inner = active | {id(value)}

    def exact(v):
        return _exact(v, unstable, params_of, inner)

    if type(value) is tuple:
        items = [exact(v) for v in value]
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
    if type(value) is list:
        return f"[{', '.join(exact(v) for v in value)}]"
    if type(value) is dict:
        return f"{{{', '.join(f'{exact(k)}: {exact(v)}' for k, v in value.items())}}}"
    if isinstance(value, (set, frozenset)):
        return f"{type(value).__name__}({{{', '.join(sorted(exact(v) for v in value))}}})"
    if isinstance(value, functools.partial):
        args = [exact(value.func), *map(exact, value.args)]
        args += [f"{k}={exact(v)}" for k, v in sorted(value.keywords.items())]
        return f"functools.partial({', '.join(args)})"
    if isinstance(value, types.MethodType):
        return f"{exact(value.__self__)}.{value.__name__}"
    if is_estimator(value):
        params = sorted(params_of(value).items())
        return f"{_class_path(value)}({', '.join(f'{n}={exact(v)}' for n, v in params)})"
    if _is_callable_value(value):
        return _named(value, unstable)
    contents = _contents_text(value, exact)
    if contents is not None:
        return contents
    text = repr(value)
    # A scikit-learn scorer's repr names its function by __name__ alone (a lambda too).
    scorer = hasattr(value, "_score_func") and hasattr(value, "_sign")
    if " at 0x" not in text and not scorer:  # a repr of its own: trusted to tell it apart
        return text + code_tag(type(value))
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):  # its class and its attributes
        attributes = ", ".join(f"{k}={exact(v)}" for k, v in sorted(state.items()))
        return f"{_class_path(value)}({attributes})"
    unstable.append(f"{text} (an object whose repr names only its memory address)")
    return text


def _class_path(value, tagged=True):
    """``module.Class`` of a value's class; a class of the user's own with its code tag."""
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}{code_tag(cls) if tagged else ''}"


def _named(value, unstable):
    """``module.qualname`` of a function or class that its module holds under that name."""
    module = getattr(value, "__module__", None)
    if module is None and hasattr(value, "__objclass__"):  # str.lower and its kind
        module = value.__objclass__.__module__
    qualname = getattr(value, "__qualname__", None) or value.__name__
    if module is None and isinstance(value, np.ufunc):  # scipy.special's have no module
        module = next((m for m in _UFUNC_HOMES if _lookup(m, qualname) is value), None)
    if "<lambda>" in qualname:
        why = "a lambda, which has no name that another process can find it by"
    elif "<locals>" in qualname:
        why = "defined inside a function, so another process cannot find it by its name"
    elif _lookup(module, qualname) is value:
        return f"{module}.{qualname}{code_tag(value)}"
    else:
        why = f"not found as {module}.{qualname}, so another process cannot find it"
    text = repr(value)
    unstable.append(f"{text} ({why})")
    return text


#: Modules whose ufuncs have no ``__module__`` (scipy.special.expit, logit, erf ...).
_UFUNC_HOMES = ("numpy", "scipy.special")


def _lookup(module, qualname):
    """The object that ``module.qualname`` names in this process, or None."""
    found = sys.modules.get(module) if isinstance(module, str) else None
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found


def _digest(*parts):
    """A short hex hash of byte strings and texts."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else bytes(part))
        digest.update(b"\0")
    return digest.hexdigest()


def _contents_text(value, exact):
    """The exact text of an array, a pandas object, a sparse matrix or a random state."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            contents = exact(value.ravel().tolist()).encode()
        else:
            contents = value.tobytes()
        digest = _digest(str(value.dtype), contents)  # str(dtype) names a record's fields
        return f"numpy.ndarray(shape={value.shape}, dtype={value.dtype.str!r}, blake2b={digest!r})"
    if isinstance(value, (pd.Index, pd.Series, pd.DataFrame)):
        frame = isinstance(value, pd.DataFrame)
        names = list(value.columns) if frame else [value.name]
        dtypes = [str(t) for t in (value.dtypes if frame else [value.dtype])]
        try:
            contents = pd.util.hash_pandas_object(value, index=False).to_numpy()
            index = getattr(value, "index", None)
            if index is not None:
                contents = [contents, pd.util.hash_pandas_object(index).to_numpy()]
        except TypeError:  # unhashable cells
            contents = [value.to_numpy().tolist(), list(getattr(value, "index", []))]
        digest = _digest(exact(names), exact(dtypes), exact(contents))
        return f"{_class_path(value)}(shape={value.shape}, blake2b={digest!r})"
    if hasattr(value, "tocsr") and hasattr(value, "nnz"):  # scipy sparse
        csr = value.tocsr(copy=True)
        csr.sort_indices()
        parts = [exact(csr.data), exact(csr.indices), exact(csr.indptr)]
        return f"{_class_path(value)}(shape={value.shape}, blake2b={_digest(*parts)!r})"
    if isinstance(value, np.random.RandomState):
        return f"numpy.random.RandomState(state={exact(value.get_state(legacy=False))})"
    if isinstance(value, np.random.Generator):
        return f"numpy.random.Generator(state={exact(value.bit_generator.state)})"
    if isinstance(value, np.random.BitGenerator):
        return f"{_class_path(value)}(state={exact(value.state)})"
    return None


# --- a value: its canonical form, key, JSON form, CSV cell --------------------------------


def canonical(value):
    """The canonical JSON form of a parameter value, from which keys are made.

    Booleans, integers, finite floats, None and strings are themselves (numpy scalars
    become Python ones); a non-finite float is ``{"float": "inf"}`` (JSON has none); a
    tuple is the list of its items' forms. These are the keys of every earlier version.

    An estimator is ``{"estimator": "module.Class", "params_hash": h}``, ``h`` a hash of
    its :func:`exact_repr`; a function or class is ``{"callable": "module.qualname"}``
    (with the hash of its code for the user's own, see :func:`exact_repr`): the same in
    every process, and different for different values. Anything else is
    its :func:`exact_repr` (its ``repr`` where that is exact already).
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"float": repr(value)}
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple):
        return [canonical(v) for v in value]
    if is_estimator(value):
        path = _class_path(value, tagged=False)  # its code, if its own, is in the hash
        return {"estimator": path, "params_hash": _digest(exact_repr(value))}
    if _is_callable_value(value):
        return {"callable": exact_repr(value)}
    # Sets sorted, random states by their state: as in any process; dicts (nested ones
    # too) by their items in the order of their keys' text, as equal dicts are equal.
    return exact_repr(_keys_in_order(value))


def _keys_in_order(value):
    """``value`` with every plain dict in it rebuilt with its keys in order of their text."""
    if type(value) is dict:
        items = sorted(value.items(), key=lambda item: exact_repr(item[0]))
        return {k: _keys_in_order(v) for k, v in items}
    if type(value) in (list, tuple):
        return type(value)(_keys_in_order(v) for v in value)
    return value


def _is_callable_value(value):
    """A function, class or other named callable (what :func:`_named` names)."""
    return isinstance(value, (type, functools.partial, types.MethodType)) or (
        callable(value) and hasattr(value, "__name__")
    )


def _is_object_form(form):
    """Whether a canonical form is that of an estimator or a callable."""
    return isinstance(form, dict) and set(form) in ({"estimator", "params_hash"}, {"callable"})


def value_key(value):
    """The identity of one parameter value: equal for a grid value and its form read back.

    ``32`` and ``32.0`` differ (an integer and a float parameter are not the same
    value), as in :func:`config_key`. Two estimators with the same class and parameters
    are the same value.
    """
    return json.dumps(canonical(value), sort_keys=True)


def config_key(params):
    """A canonical string that identifies a configuration.

    Parameters
    ----------
    params : dict
        Parameter values of one configuration.

    Returns
    -------
    str
        The same string for equal configurations, whatever the order of the keys, and
        in every process (see :func:`canonical`; a value that :func:`exact_repr` finds
        unstable, such as a lambda, is keyed by its ``repr`` and so only in this process).
    """
    return json.dumps(
        {name: canonical(value) for name, value in sorted(params.items())},
        sort_keys=True,
    )


def _from_canonical(form):
    """A value back from its canonical form (lists become tuples, as they were given).

    An estimator comes back as the text ``module.Class(params_hash=...)``, a callable as
    ``module.qualname``.
    """
    if isinstance(form, dict) and set(form) == {"float"}:
        return float(form["float"])
    if _is_object_form(form):
        if "callable" in form:
            return form["callable"]
        return f"{form['estimator']}(params_hash={form['params_hash']})"
    if isinstance(form, list):
        return tuple(_from_canonical(v) for v in form)
    return form


def _key_forms(key):
    """The canonical forms a configuration key was made of, or None if it is none."""
    if not isinstance(key, str):
        return None
    try:
        forms = json.loads(key)
    except json.JSONDecodeError:
        return None
    return forms if isinstance(forms, dict) else None


def params_from_key(key):
    """The parameters a configuration key was made of, with their types.

    Values whose canonical form is their ``repr`` come back as that string, estimators
    and callables as a text that names them (see :func:`_from_canonical`).

    Parameters
    ----------
    key : str
        A :func:`config_key`.

    Returns
    -------
    dict or None
        None when ``key`` is not a configuration key (missing, or not a JSON object).
    """
    forms = _key_forms(key)
    if forms is None:
        return None
    return {name: _from_canonical(form) for name, form in forms.items()}


def typed_params(table):
    """The parameter values of every row of a results table, with their grid types.

    Read from each row's ``config_key`` where it has one (the CSV turns ``None`` and
    ``4`` into ``NaN`` and ``4.0``; the key keeps them), else from the columns. An
    estimator or callable value is taken from its column (the object itself in a live
    table, its text in a read ``scores.csv``, as ``meta.json``'s axes hold it). A
    parameter that a row's sub-grid leaves unset is None.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table or a read ``scores.csv``.

    Returns
    -------
    list of dict
        One ``{parameter: value}`` per row, in the table's order.
    """
    names = param_columns(table.columns)
    keys = table[Col.KEY] if Col.KEY in table.columns else [None] * len(table)
    rows = []
    for key, values in zip(keys, table[names].itertuples(index=False, name=None)):
        cells = {n: _native(v) for n, v in zip(names, values)}
        forms = _key_forms(key)
        if forms is None:
            params = cells
        else:
            params = {
                n: cells.get(n) if _is_object_form(f) else _from_canonical(f)
                for n, f in forms.items()
            }
        rows.append({n: params.get(n) for n in names})
    return rows


def _native(value):
    """A cell as a Python value: numpy scalars unwrapped, NaN and pd.NA as None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def to_jsonable(value):
    """A value's JSON form for ``meta.json``: numpy scalars unwrapped, tuples as lists.

    Non-finite floats become None (null) and other objects their ``repr``.
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return str(value) if isinstance(value, Enum) else value
    return repr(value)


def axis_jsonable(value):
    """A grid value's JSON form for ``meta.json``'s axes, as it reads back from a key.

    A value whose canonical form is its exact text (a dict such as ``class_weight={0: 1,
    1: 3}``, a list, a set) is that text, which is also what :func:`typed_params` reads
    back from a row's key (a dict would lose its integer keys to JSON); everything else
    is :func:`to_jsonable`'s.
    """
    if isinstance(value, tuple):  # a list in meta.json, its items each as below
        return [axis_jsonable(v) for v in value]
    form = canonical(value)
    if isinstance(form, str) and not isinstance(value, str):
        return form
    return to_jsonable(value)


def csv_cell(value):
    """A value as one ``scores.csv`` cell: lists and dicts as JSON, None and NaN as empty."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(to_jsonable(value))
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return ""
    if isinstance(value, np.generic):
        return value.item()
    return value


# --- rows: the best one, failed ones, counts --------------------------------------------------


def succeeded(status, score):
    """Whether a row counts: status ok and a finite score."""
    try:
        return status == Status.OK and score is not None and math.isfinite(float(score))
    except (TypeError, ValueError):
        return False


def is_better(score, than, greater_is_better):
    """Whether ``score`` beats ``than`` (strictly) in the metric's direction."""
    return score > than if greater_is_better else score < than


def best_index(scores, statuses, greater_is_better):
    """Position of the best row that succeeded, the earliest among ties.

    Parameters
    ----------
    scores, statuses : sequence
        The ``score`` and ``status`` of each row, in order.
    greater_is_better : bool
        The metric's direction.

    Returns
    -------
    int or None
        None when no row succeeded (status ok with a finite score).
    """
    best = None
    for position, (status, score) in enumerate(zip(statuses, scores)):
        if succeeded(status, score) and (
            best is None or is_better(float(score), float(scores[best]), greater_is_better)
        ):
            best = position
    return best


def ranked(table, greater_is_better):
    """The rows of a results table that succeeded, best first (ties in table order).

    Parameters
    ----------
    table : pandas.DataFrame
        A results table or a read ``scores.csv``.
    greater_is_better : bool
        The metric's direction.

    Returns
    -------
    pandas.DataFrame
    """
    scores = pd.to_numeric(table[Col.SCORE], errors="coerce")
    ok = table[(table[Col.STATUS] == Status.OK) & np.isfinite(scores)]
    order = scores[ok.index].sort_values(ascending=not greater_is_better, kind="stable")
    return ok.loc[order.index]


class BestSoFar:
    """The best row of a search as rows arrive in any order (the earliest among ties).

    Parameters
    ----------
    greater_is_better : bool
        The metric's direction.
    """

    def __init__(self, greater_is_better):
        self.greater_is_better = greater_is_better
        self.index = None
        self.score = math.nan
        self.model = None

    def offer(self, index, row, model=None):
        """Consider row ``index`` (with its fitted model, if any)."""
        score = row.get(Col.SCORE)
        if not succeeded(row.get(Col.STATUS), score):
            return
        score = float(score)
        if (
            self.index is None
            or is_better(score, self.score, self.greater_is_better)
            or (score == self.score and index < self.index)
        ):
            self.index, self.score, self.model = index, score, model


def slot_keys(keys):
    """A key per grid position, unique even where the grid lists a configuration twice.

    ``config_key#n``: the n-th occurrence of the key in the grid (0 for the first).
    """
    seen, slots = {}, []
    for key in keys:
        slots.append(f"{key}#{seen.get(key, 0)}")
        seen[key] = seen.get(key, 0) + 1
    return slots


def new_row(params):
    """The row of a configuration before its result: its parameters, key and no error."""
    return {**params, Col.KEY: config_key(params), Col.ERROR: ""}


def failed_row(params, message, seconds=0.0):
    """The row of a configuration that failed.

    Parameters
    ----------
    params : dict
        Its parameter values.
    message : str or BaseException
        Why (an exception is written as ``"TypeName: message"``).
    seconds : float
        How long it ran.

    Returns
    -------
    dict
    """
    if isinstance(message, BaseException):
        message = f"{type(message).__name__}: {message}"
    return {
        **new_row(params),
        Col.SCORE: math.nan,
        Col.STATUS: Status.FAILED,
        Col.ERROR: message,
        Col.FIT_SECONDS: seconds,
    }


def epochs_column(table):
    """Each row's ``epochs_trained`` as floats, NaN where missing or without the column."""
    epochs = table.get(Col.EPOCHS_TRAINED, pd.Series(np.nan, index=table.index))
    return pd.to_numeric(epochs, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def status_counts(statuses):
    """How many rows have each status: ``{"ok": n, "failed": n, "diverged": n}``.

    ``"pruned"`` is counted only when some row has it (a halving search).
    """
    values = list(statuses)
    counts = {str(s): sum(1 for v in values if v == s) for s in Status}
    if not counts[Status.PRUNED]:
        del counts[Status.PRUNED]
    return counts
