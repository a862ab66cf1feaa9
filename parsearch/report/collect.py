"""Find the results folders under a root and read each into a :class:`Run` for the report.

Reading only: the rows, the best one, the counts and the direction come from
:mod:`parsearch.rows`; ``scores.csv`` and ``meta.json`` are read by
:mod:`parsearch.results.read`. Nothing here knows about HTML.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from parsearch import rows
from parsearch.results.files import META, SCORES
from parsearch.results.read import metric_direction, read_meta, read_scores
from parsearch.rows import Col, Direction, Status

#: The statuses a ``scores.csv`` may hold, as written there.
_STATUSES = [status.value for status in Status]


@dataclass
class Run:
    """One results folder, read and summarised for the report.

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
        ``{"ok": n, "failed": n, "diverged": n}``.
    images : list of Path
        The folder's PNG files, sorted by name.
    """

    folder: Path
    name: str
    table: pd.DataFrame = field(repr=False)
    meta: dict = field(repr=False)
    metric: str
    greater_is_better: bool
    best: int | None
    counts: dict
    images: list

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
    def best_score(self):
        """The best score (NaN when no configuration succeeded)."""
        return math.nan if self.best is None else float(self.table[Col.SCORE].iloc[self.best])


def find_results(root):
    """The results folders under ``root``: every folder, at any depth, with a scores.csv.

    Folders whose name starts with a dot (``.git``, ``.ipynb_checkpoints``) are not
    searched.

    Parameters
    ----------
    root : str or Path
        The results root (itself a results folder, or a folder that holds some).

    Returns
    -------
    list of Path
        The folders, sorted by their path relative to ``root``.

    Raises
    ------
    FileNotFoundError
        When ``root`` does not exist or holds no results folder.
    ValueError
        When a folder has a meta.json but no scores.csv (the store writes scores.csv
        first, so one of the two was lost or moved).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"No such results root: {root}")
    found, orphans = [], []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if SCORES in files:
            found.append(Path(folder))
        elif META in files:
            orphans.append(Path(folder))
    if orphans:
        raise ValueError(
            f"{orphans[0]} has a {META} but no {SCORES}: restore it, rerun the search, "
            "or move the folder out of the results root."
        )
    if not found:
        raise FileNotFoundError(
            f"No results folders under {root}: no folder there holds a {SCORES}. "
            "Pass the folder given as `out=` to fit_grid, or a folder above it."
        )
    return sorted(found, key=lambda f: f.relative_to(root).parts)


def load_run(folder, root=None):
    """Read one results folder into a :class:`Run`.

    Parameters
    ----------
    folder : str or Path
        The results folder.
    root : str or Path, optional
        The results root, for the run's name (default: ``folder`` itself).

    Returns
    -------
    Run

    Raises
    ------
    FileNotFoundError, ValueError
        For a folder without scores.csv, a malformed scores.csv or meta.json.
    """
    folder = Path(folder)
    table = read_scores(folder)
    _check_scores(table, folder / SCORES)
    try:
        meta = read_meta(folder)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{folder / META} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{folder / META} is not a JSON object.")
    greater, metric = metric_direction(table, meta)
    statuses = table[Col.STATUS].tolist()
    best = rows.best_index(table[Col.SCORE].tolist(), statuses, greater)
    counts = rows.status_counts(statuses)
    name = Path(os.path.relpath(folder, root)).as_posix() if root is not None else "."
    if name == ".":
        name = folder.absolute().name
    images = sorted(p for p in folder.glob("*.png") if p.is_file() and not p.name.startswith("."))
    return Run(folder, name, table, meta, metric, greater, best, counts, images)


def _check_scores(table, path):
    """Reject what ``read_scores`` lets through: rows longer than the header, odd statuses."""
    if not isinstance(table.index, pd.RangeIndex):
        # pandas takes the extra leading fields of a too-long first row as an index.
        raise ValueError(
            f"{path} is not a valid scores file: a row has more fields than the header."
        )
    odd = ~table[Col.STATUS].isin(_STATUSES)
    if odd.any():
        line = int(odd.to_numpy().argmax())
        raise ValueError(
            f"{path} is not a valid scores file: row {line + 1} has status "
            f"{table[Col.STATUS].iloc[line]!r}, not one of {', '.join(_STATUSES)}."
        )


def collect_runs(root):
    """Read every results folder under ``root`` (see :func:`find_results`).

    Parameters
    ----------
    root : str or Path
        The results root.

    Returns
    -------
    list of Run
        In the order of :func:`find_results`.
    """
    return [load_run(folder, root) for folder in find_results(root)]
