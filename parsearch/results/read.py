"""Read a results folder back: ``scores.csv`` as a table, ``meta.json``, the metric's direction.

Used by the resume of ``fit_grid``, the command line and the report alike.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from pathlib import Path

import pandas as pd

from parsearch.results.files import META, SCORES
from parsearch.rows import Col, Direction

#: Result columns that hold numbers (or nothing) in every row.
NUMERIC_COLUMNS = (Col.SCORE, Col.SCORE_STD, Col.FIT_SECONDS, Col.TRAIN_LOSS)
_MAX_FIELD = min(sys.maxsize, 2**31 - 1)  # the csv module's limit is a C long on every platform


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
    for column in NUMERIC_COLUMNS:
        if column in table.columns:
            table[column] = _numbers(table[column], column, path)
    for column in (Col.EPOCH_SCORES, Col.FOLD_SCORES, Col.TRAIN_SCORES):
        if column in table.columns:
            table[column] = _score_lists(table[column], column, path)
    for column in (Col.NAMED_SCORES, Col.SPLIT_SECONDS):
        if column in table.columns:
            table[column] = [_json_dict(v) for v in table[column]]
    if Col.ERROR in table.columns:
        table[Col.ERROR] = ["" if pd.isna(v) else str(v) for v in table[Col.ERROR]]
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
    """A numeric result column as floats, or a ValueError naming the first text in it."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    numbers = pd.to_numeric(column, errors="coerce")
    text = numbers.isna() & column.notna()
    if text.any():
        row = int(text.to_numpy().argmax())
        raise ValueError(
            f"{path} is not a valid scores file: row {row + 1} has {column.iloc[row]!r} in "
            f"the {name} column, which holds numbers (or nothing)."
        )
    return numbers.astype(float)


def _score_lists(column, name, path):
    """A column of score lists parsed from JSON, or a ValueError naming the row."""
    parsed = []
    for row, value in enumerate(column, start=1):
        if not (isinstance(value, str) and value):
            parsed.append([])
            continue
        try:
            scores = json.loads(value)
        except ValueError:
            scores = None
        if not isinstance(scores, list):
            raise ValueError(
                f"{path} is not a valid scores file: row {row} has {value[:80]!r} in the "
                f"{name} column, which holds JSON lists of numbers."
            )
        parsed.append(scores)
    return parsed


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
        object; the message names the file.
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
