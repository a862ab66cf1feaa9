"""Values and rows: what a configuration's parameters and its result row are, in one place.

A results table (``GridResult.table``, ``scores.csv``) has one column per grid parameter,
named as in the grid, followed by the result columns of :class:`Col`. This module owns
everything about those rows and the values in them:

- the vocabulary: column names (:class:`Col`), :class:`Status` and :class:`Direction`,
  string-valued enums, so that the CSV and the table hold plain ``"ok"`` and
  ``"higher_is_better"``;
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

import json
import math
from enum import Enum

import numpy as np
import pandas as pd


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
    TRAIN_LOSS = "train_loss"
    EPOCH_SCORES = "epoch_scores"
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
    Col.TRAIN_LOSS,
    Col.EPOCH_SCORES,
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


# --- a value: its canonical form, key, JSON form, CSV cell --------------------------------


def canonical(value):
    """The canonical JSON form of a parameter value, from which keys are made.

    Booleans, integers, finite floats, None and strings are themselves (numpy scalars
    become Python ones); a non-finite float is ``{"float": "inf"}`` (JSON has none); a
    tuple is the list of its items' forms; anything else is its ``repr``.
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
    return repr(value)


def value_key(value):
    """The identity of one parameter value: equal for a grid value and its form read back.

    ``32`` and ``32.0`` differ (an integer and a float parameter are not the same
    value), as in :func:`config_key`.
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
        The same string for equal configurations, whatever the order of the keys.
    """
    return json.dumps(
        {name: canonical(value) for name, value in sorted(params.items())},
        sort_keys=True,
    )


def _from_canonical(form):
    """A value back from its canonical form (lists become tuples, as they were given)."""
    if isinstance(form, dict) and set(form) == {"float"}:
        return float(form["float"])
    if isinstance(form, list):
        return tuple(_from_canonical(v) for v in form)
    return form


def params_from_key(key):
    """The parameters a configuration key was made of, with their types.

    Values whose canonical form is their ``repr`` (estimators, say) come back as that
    string.

    Parameters
    ----------
    key : str
        A :func:`config_key`.

    Returns
    -------
    dict or None
        None when ``key`` is not a configuration key (missing, or not a JSON object).
    """
    if not isinstance(key, str):
        return None
    try:
        forms = json.loads(key)
    except json.JSONDecodeError:
        return None
    if not isinstance(forms, dict):
        return None
    return {name: _from_canonical(form) for name, form in forms.items()}


def typed_params(table):
    """The parameter values of every row of a results table, with their grid types.

    Read from each row's ``config_key`` where it has one (the CSV turns ``None`` and
    ``4`` into ``NaN`` and ``4.0``; the key keeps them), else from the columns. A
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
        params = params_from_key(key)
        if params is None:
            params = {n: _native(v) for n, v in zip(names, values)}
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


def csv_cell(value):
    """A value as one ``scores.csv`` cell: lists as JSON, None and NaN as empty."""
    if isinstance(value, (list, tuple)):
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


def status_counts(statuses):
    """How many rows have each status: ``{"ok": n, "failed": n, "diverged": n}``."""
    values = list(statuses)
    return {str(s): sum(1 for v in values if v == s) for s in Status}
