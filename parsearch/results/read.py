"""Read a results folder back: the one reader of ``scores.csv`` and ``meta.json``.

:func:`read_scores` (the table), :func:`read_meta` and :func:`metric_direction` serve
the resume of ``fit_grid`` and :func:`parsearch.load_results`; :func:`read_run` reads
and checks a whole folder once (:func:`read_scores` refuses unknown statuses and
directions, text or booleans for numbers, unreadable configuration keys;
:func:`read_meta` fields of ``meta.json`` that the report and the command line cannot
use) into the :class:`Run` that the report, ``parsearch show`` and ``parsearch plot``
all use. A folder that cannot be read or used raises :class:`UnreadableFolder`, one line
that names the file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from parsearch import rows
from parsearch.results.files import META, SCORES
from parsearch.rows import Col, Direction, Status
from parsearch.text import epochs_text, one_line

#: Result columns that hold numbers (or nothing) in every row, read as floats.
NUMERIC_COLUMNS = (Col.SCORE, Col.SCORE_STD, Col.FIT_SECONDS, Col.TRAIN_LOSS)
_MAX_FIELD = min(sys.maxsize, 2**31 - 1)  # the csv module's limit is a C long on every platform
#: The statuses a ``scores.csv`` may hold, as written there.
_STATUSES = [status.value for status in Status]
#: The directions a ``scores.csv`` may hold.
_DIRECTIONS = [direction.value for direction in Direction]
#: Fields of meta.json that are JSON objects where present.
_META_OBJECTS = ("grid", "data", "execution", "versions", "halving")
#: Fields of meta.json's ``halving`` that are lists of numbers where present.
_HALVING_LISTS = ("rungs", "candidates")


def read_scores(folder):
    """Read ``scores.csv`` of a results folder into a DataFrame.

    The file is UTF-8 (a byte order mark, as spreadsheets write one, is read past). A
    last line cut short (by a power loss, say) is dropped. List columns
    (``epoch_scores``) are parsed back from JSON. Fields of any length are read.

    Parameters
    ----------
    folder : str or Path
        A results folder, or the path of a ``scores.csv`` file.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    FileNotFoundError, ValueError
        For a folder without ``scores.csv`` or a malformed file (binary, not UTF-8,
        ragged records, text in a numeric column, bad ``epoch_scores``); the message
        names the file.
    """
    path = Path(folder)
    if not path.exists():
        raise FileNotFoundError(f"No such results folder: {path}")
    if path.is_dir():
        path = path / SCORES
    if not path.exists():
        raise FileNotFoundError(f"No {SCORES} in {path.parent}: is it a parsearch results folder?")
    text = _read_text(path, "scores file")
    try:
        with _any_field_size():
            text = _complete_records(text)
            records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ValueError(f"{path} is not a valid scores file: {exc}.") from None
    for number, record in enumerate(records[1:], start=2):
        if len(record) != len(records[0]):
            raise ValueError(
                f"{path} is not a valid scores file: record {number} has {len(record)} "
                f"fields, the header {len(records[0])}."
            )
    try:
        table = pd.read_csv(io.StringIO(text), keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path} is not a valid scores file: {exc}") from None
    missing = {Col.SCORE, Col.STATUS} - set(table.columns)
    if missing:
        raise ValueError(f"{path} is not a parsearch scores file: no {sorted(missing)} column.")
    for column in (c for c in (*NUMERIC_COLUMNS, Col.EPOCHS_TRAINED) if c in table.columns):
        numbers = _numbers(table[column], column, path)
        if column in NUMERIC_COLUMNS:  # epochs_trained keeps its integers
            table[column] = numbers
    for column in (Col.EPOCH_SCORES, Col.FOLD_SCORES, Col.TRAIN_SCORES):
        if column in table.columns:
            table[column] = _score_lists(table[column], column, path)
    for column in (Col.NAMED_SCORES, Col.SPLIT_SECONDS):
        if column in table.columns:
            table[column] = [_json_dict(v) for v in table[column]]
    if Col.ERROR in table.columns:
        table[Col.ERROR] = ["" if pd.isna(v) else str(v) for v in table[Col.ERROR]]
    _check_values(table, path)
    return table


def _read_text(path, what):
    """The text of a UTF-8 file, or a ValueError that names it."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path} is not a valid {what}: it is not UTF-8 text (byte "
            f"{exc.object[exc.start]:#04x} at position {exc.start}); is it a binary file?"
        ) from None


@contextlib.contextmanager
def _any_field_size():
    """Let the csv module read fields of any length, for the body of a ``with`` only.

    Its default limit (131,072 characters) is below what a long string value or
    traceback can take; the limit is put back after, so no other reader is changed.
    """
    old = csv.field_size_limit(_MAX_FIELD)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _numbers(column, name, path):
    """A result column as floats, or a ValueError naming its first text or boolean."""
    if pd.api.types.is_bool_dtype(column):  # True and False are not scores
        numbers, wrong = column, column.notna()
    elif pd.api.types.is_numeric_dtype(column):
        return column
    else:  # text, or booleans beside blank cells (read as objects: True, NaN)
        numbers = pd.to_numeric(column, errors="coerce")
        wrong = (numbers.isna() & column.notna()) | column.map(_is_bool).astype(bool)
    if wrong.any():
        row = int(wrong.to_numpy().argmax())
        value = column.astype(object).iloc[row]  # True, not np.True_
        raise ValueError(
            f"{path} is not a valid scores file: row {row + 1} has {value!r} in the {name} "
            "column, which holds numbers (or nothing)."
        )
    return numbers.astype(float)


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _score_lists(column, name, path):
    """A column of score lists parsed from JSON, or a ValueError naming the row.

    A score that was not finite is written as JSON ``null`` (:func:`parsearch.rows.to_jsonable`)
    and read back as NaN, so that a resumed table's lists equal an uninterrupted run's.
    """
    parsed = []
    for row, value in enumerate(column, start=1):
        if not (isinstance(value, str) and value):
            parsed.append([])
            continue
        try:
            scores = json.loads(value)
        except ValueError:
            scores = None
        if not (isinstance(scores, list) and all(map(_is_score, scores))):
            raise ValueError(
                f"{path} is not a valid scores file: row {row} has {value[:80]!r} in the "
                f"{name} column, which holds JSON lists of numbers."
            )
        parsed.append([math.nan if s is None else s for s in scores])
    return parsed


def _is_score(value):
    """Whether a parsed list item is a score: a number, or null for one that was not finite."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def _json_dict(value):
    """A dict cell parsed from JSON (None for an empty or unreadable one: the column only
    adds detail, GridSearchCV's per-split times and named scores)."""
    if not (isinstance(value, str) and value):
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _complete_records(text):
    """Drop a last record cut short, even inside a quoted multi-line field.

    Every complete record ends with a line break outside quotes, and quoting keeps an
    even number of quote characters; a cut leaves one of the two undone.
    """
    if not text or (text.endswith("\n") and text.count('"') % 2 == 0):
        return text
    records = list(csv.reader(io.StringIO(text)))[:-1]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(records)
    return buffer.getvalue()


def read_meta(folder):
    """Read ``meta.json`` of a results folder (an empty dict where there is none).

    Raises
    ------
    ValueError
        For a file that is not UTF-8, not valid JSON (cut short, say) or not a JSON
        object, or whose fields are not of the types written (:func:`check_meta`); the
        message names the file.
    """
    path = Path(folder) / META
    if not path.exists():
        return {}
    text = _read_text(path, "meta.json")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); was it cut short?") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path} is not a JSON object (it holds a {type(meta).__name__}).")
    check_meta(meta, path)
    return meta


def metric_direction(table, meta):
    """The metric's name and whether greater is better, from meta.json or the table.

    Parameters
    ----------
    table : pandas.DataFrame
        The rows of ``scores.csv``.
    meta : dict
        The contents of ``meta.json`` (may be empty).

    Returns
    -------
    (bool, str)
        ``greater_is_better`` and the metric's name (``"score"`` when unknown).
    """
    if "metric" in meta:
        return bool(meta["metric"]["greater_is_better"]), meta["metric"]["name"]
    if Col.DIRECTION in table.columns and len(table):
        name = str(table[Col.METRIC].iloc[0]) if Col.METRIC in table.columns else Col.SCORE
        return table[Col.DIRECTION].iloc[0] == Direction.HIGHER, name
    return True, Col.SCORE


# --- a whole folder, checked once -----------------------------------------------------------


class UnreadableFolder(ValueError):
    """A results folder that cannot be read.

    The message is one line that names the file (or folder) and what is wrong with it.

    Parameters
    ----------
    message : str
        What is wrong; line breaks are replaced by spaces.
    path : str or Path
        The file or folder it is about.
    """

    def __init__(self, message, path):
        super().__init__(one_line(message))
        self.path = Path(path)


@dataclass
class Run:
    """One results folder, read, checked and summarised: what the report, ``parsearch
    show`` and ``parsearch plot`` use.

    Attributes
    ----------
    folder : Path
        The results folder.
    name : str
        Its path relative to the results root (``"."`` for the root itself).
    table : pandas.DataFrame
        The rows of ``scores.csv``.
    meta : dict
        The contents of ``meta.json`` (empty where there is none).
    metric : str
        The metric's name.
    greater_is_better : bool
        The metric's direction.
    best : int or None
        Row position of the best ok configuration (the earliest among ties).
    counts : dict
        ``{"ok": n, "failed": n, "diverged": n}``, and ``"pruned": n`` where some row
        was pruned by successive halving.
    images : list of Path
        The folder's PNG files, sorted by name (the report's
        :func:`~parsearch.report.collect.load_run` finds them; empty here).
    skipped : list of parsearch.report.Problem
        PNG files left out: symlinks to outside the results root.
    """

    folder: Path
    name: str
    table: pd.DataFrame = field(repr=False)
    meta: dict = field(repr=False)
    metric: str
    greater_is_better: bool
    best: int | None
    counts: dict
    images: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    @property
    def direction(self):
        """The metric's :class:`~parsearch.rows.Direction`."""
        return Direction.of(self.greater_is_better)

    @property
    def params(self):
        """The parameter columns, in grid order."""
        return rows.param_columns(self.table.columns)

    @property
    def best_params(self):
        """The best configuration as a dict, or None when no configuration succeeded.

        Read back with their types from the row's configuration key where it has one,
        else taken from the parameter columns.
        """
        if self.best is None:
            return None
        row = self.table.iloc[self.best]
        params = rows.params_from_key(row.get(Col.KEY))
        if params is not None:
            return params
        return {p: row[p] for p in self.params}

    @property
    def axes(self):
        """meta.json's grid axes (each parameter's values, in order), or None where absent."""
        return (self.meta.get("grid") or {}).get("axes")

    @property
    def halving(self):
        """meta.json's ``halving`` (factor, rungs, candidates, ...), or None where absent."""
        halving = self.meta.get("halving")
        return halving if isinstance(halving, dict) and halving else None

    @property
    def resource(self):
        """What a rung of successive halving counts: epochs, or passes of ``partial_fit``."""
        return "epochs" if Col.EPOCH_SCORES in self.table.columns else "partial_fit passes"

    def halving_text(self, arrow="→"):
        """meta.json's successive halving in words, or None where the search had none.

        Parameters
        ----------
        arrow : str
            Between the rungs.

        Returns
        -------
        str or None
            ``"factor 3; 243 → 81 → 27 → 9 configurations trained to 1 → 3 → 9 → 27
            epochs"``.
        """
        halving = self.halving
        if halving is None:
            return None
        rungs, candidates = halving.get("rungs"), halving.get("candidates")
        parts = []
        if candidates:
            parts.append(f" {arrow} ".join(_number(n) for n in candidates) + " configurations")
        if rungs:
            parts.append(f" {arrow} ".join(_number(r) for r in rungs) + f" {self.resource}")
        steps = " trained to ".join(parts)
        factor = halving.get("factor")
        head = f"factor {_number(factor)}" if _json_type(factor) == "number" else ""
        return "; ".join(t for t in (head, steps) if t) or None

    @property
    def best_score(self):
        """The best score (NaN when no configuration succeeded)."""
        return math.nan if self.best is None else float(self.table[Col.SCORE].iloc[self.best])


def _describe(exc, path):
    """What went wrong reading ``path``, in words that name it."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read {exc.filename or path}: {exc.strerror}"
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position "
            f"{exc.start}): is it a file parsearch wrote?"
        )
    if isinstance(exc, json.JSONDecodeError):
        return f"{path} is not valid JSON: {exc}"
    if isinstance(exc, RecursionError):
        return f"{path} is nested too deeply to read"
    text = one_line(exc) or type(exc).__name__
    if str(path) in text:
        return text
    if isinstance(exc, (ValueError, OSError)):
        return f"{path}: {text}"
    return f"{path}: {type(exc).__name__}: {text}"


@contextlib.contextmanager
def reading(path):
    """Turn any error raised while reading ``path`` into an :class:`UnreadableFolder`."""
    try:
        yield
    except UnreadableFolder:
        raise
    except Exception as exc:
        raise UnreadableFolder(_describe(exc, path), path) from exc


def _check_folder(folder):
    """A folder that is missing, a file, or without scores.csv, as its own error."""
    with reading(folder):
        if not folder.exists():
            raise UnreadableFolder(f"No such results folder: {folder}", folder)
        if not folder.is_dir():
            raise UnreadableFolder(
                f"{folder} is not a folder: pass the results folder that holds {SCORES}", folder
            )
        if not (folder / SCORES).exists() and not (folder / SCORES).is_symlink():
            raise UnreadableFolder(
                f"No {SCORES} in {folder}: is it a parsearch results folder?", folder
            )


def _invalid(path, what):
    return UnreadableFolder(f"{path} is not a valid scores file: {what}", path)


def _first(mask):
    return int(mask.to_numpy().argmax())


def _check_values(table, path):
    """What every row of a table read must hold besides numbers (:func:`_numbers`): a known
    status and direction, a configuration key that reads back."""
    odd = ~table[Col.STATUS].isin(_STATUSES)
    if odd.any():
        line = _first(odd)
        raise _invalid(
            path,
            f"row {line + 1} has status {table[Col.STATUS].iloc[line]!r}, "
            f"not one of {', '.join(_STATUSES)}.",
        )
    if Col.DIRECTION in table.columns:
        odd = table[Col.DIRECTION].notna() & ~table[Col.DIRECTION].isin(_DIRECTIONS)
        if odd.any():
            line = _first(odd)
            raise _invalid(
                path,
                f"row {line + 1} has direction {table[Col.DIRECTION].iloc[line]!r}, "
                f"not one of {', '.join(_DIRECTIONS)}.",
            )
    try:
        rows.typed_params(table)  # every row's configuration key can be read back
    except RecursionError:
        raise _invalid(path, f"a {Col.KEY} is nested too deeply to read.") from None


def _number(value):
    """A number of meta.json as written: 3, not 3.0."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return epochs_text(value)
    return str(value)


def _json_type(value):
    """The JSON name of a parsed value's type."""
    if isinstance(value, bool):
        return "boolean"
    for kind, name in ((dict, "object"), (list, "array"), (str, "string"), (type(None), "null")):
        if isinstance(value, kind):
            return name
    return "number"


def check_meta(meta, path):
    """Reject a meta.json whose fields the report and the command line cannot use."""

    def wrong(what):
        return UnreadableFolder(f"{path}: {what}", path)

    if "metric" in meta:
        metric = meta["metric"]
        if not isinstance(metric, dict):
            raise wrong(f"'metric' is a JSON {_json_type(metric)}, not an object")
        if not isinstance(metric.get("name"), str):
            found = _json_type(metric.get("name"))
            raise wrong(f"the metric's 'name' is a JSON {found}, not a string")
        if not isinstance(metric.get("greater_is_better"), bool):
            found = _json_type(metric.get("greater_is_better"))
            raise wrong(f"the metric's 'greater_is_better' is a JSON {found}, not a boolean")
    for key in _META_OBJECTS:
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise wrong(f"{key!r} is a JSON {_json_type(meta[key])}, not an object")
    axes = (meta.get("grid") or {}).get("axes")
    if axes is not None and not (
        isinstance(axes, dict) and all(isinstance(v, list) for v in axes.values())
    ):
        raise wrong("the grid's 'axes' must map each parameter to the list of its values")
    for key in _HALVING_LISTS:
        values = (meta.get("halving") or {}).get(key)
        if values is not None and not (
            isinstance(values, list) and all(_json_type(v) == "number" for v in values)
        ):
            raise wrong(f"the halving's {key!r} must be a list of numbers")
    wall = meta.get("wall_seconds")
    if wall is not None and _json_type(wall) != "number":
        raise wrong(f"'wall_seconds' is a JSON {_json_type(wall)}, not a number")


def read_run(folder):
    """Read and check one results folder: the :class:`Run` every reader uses.

    ``scores.csv`` and ``meta.json`` are read and checked once, here
    (:func:`read_scores`, :func:`read_meta`);
    every error is an :class:`UnreadableFolder` whose one line names the file.

    Parameters
    ----------
    folder : str or Path
        The results folder.

    Returns
    -------
    Run
        Named by the folder's name, without images.

    Raises
    ------
    UnreadableFolder
        A :class:`ValueError` naming the file, for a missing folder, a file given as
        the folder, a folder without scores.csv, and anything in scores.csv or
        meta.json that cannot be read or used.
    """
    folder = Path(folder)
    _check_folder(folder)
    scores, meta_path = folder / SCORES, folder / META
    with reading(scores):
        table = read_scores(folder)
    with reading(meta_path):
        meta = read_meta(folder)
        greater, metric = metric_direction(table, meta)
    statuses = table[Col.STATUS].tolist()
    best = rows.best_index(table[Col.SCORE].tolist(), statuses, greater)
    counts = rows.status_counts(statuses)
    return Run(folder, folder.absolute().name, table, meta, metric, greater, best, counts)
