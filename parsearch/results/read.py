"""Read a results folder back: ``scores.csv`` as a table, ``meta.json``, the metric's direction.

Used by the resume of ``fit_grid``, the command line and the report alike.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from parsearch.results.files import META, SCORES
from parsearch.rows import Col, Direction


def read_scores(folder):
    """Read ``scores.csv`` of a results folder into a DataFrame.

    A last line cut short (by a power loss, say) is dropped. List columns
    (``epoch_scores``) are parsed back from JSON.

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
        For a folder without ``scores.csv`` or a malformed file.
    """
    path = Path(folder)
    if not path.exists():
        raise FileNotFoundError(f"No such results folder: {path}")
    if path.is_dir():
        path = path / SCORES
    if not path.exists():
        raise FileNotFoundError(f"No {SCORES} in {path.parent}: is it a parsearch results folder?")
    text = _complete_records(path.read_text(encoding="utf-8"))
    records = list(csv.reader(io.StringIO(text)))
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
    if Col.EPOCH_SCORES in table.columns:
        table[Col.EPOCH_SCORES] = [
            json.loads(v) if isinstance(v, str) and v else [] for v in table[Col.EPOCH_SCORES]
        ]
    if Col.ERROR in table.columns:
        table[Col.ERROR] = ["" if pd.isna(v) else str(v) for v in table[Col.ERROR]]
    return table


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
    """Read ``meta.json`` of a results folder (an empty dict where there is none)."""
    path = Path(folder) / META
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


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
