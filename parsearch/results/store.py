"""The results folder: ``scores.csv`` appended row by row, and ``meta.json``.

Each finished configuration is appended to ``scores.csv`` at once, as one complete
line in a single write, and flushed: a kill at any moment leaves a valid CSV of the
rows finished so far. ``meta.json`` is replaced atomically. A rerun with
``resume=True`` reads the finished rows back and skips those configurations, provided
the estimator and the data are the same (checked by fingerprints in ``meta.json``).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from parsearch.checks import is_dataframe
from parsearch.rows import (
    Col,
    csv_cell,
    to_jsonable,
)

SCORES = "scores.csv"
#: Name of the copy of an old scores.csv whose rows or columns a resume drops.
PREVIOUS_SCORES = "scores.previous.{stamp}.csv"
META = "meta.json"
HEATMAP = "heatmap.png"


class ResumeMismatch(ValueError):
    """The results folder was written for another estimator or other data."""


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


@contextlib.contextmanager
def atomic_write(path, binary=False):
    """Open a temporary file beside ``path``; on success, move it into place.

    A reader never sees a half-written file: the content is flushed to disk, then the
    temporary file replaces ``path`` in one ``os.replace``. Missing parent folders are
    created; an existing file's permissions are kept (new files get 0644). On error the
    temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or Path
        The file to write.
    binary : bool
        Open in binary mode (else text, UTF-8).

    Yields
    ------
    file object
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path, data):
    """Write JSON to ``path`` atomically (see :func:`atomic_write`)."""
    with atomic_write(path) as f:
        json.dump(to_jsonable(data), f, indent=2)
        f.write("\n")


class ResultStore:
    """Rows of a search in ``out/scores.csv`` and its description in ``out/meta.json``.

    Parameters
    ----------
    out : Path
        The results folder (created if needed).
    columns : list of str
        CSV columns: the parameter names, then result columns.
    identity : dict
        ``{"estimator": ..., "data": ...}`` fingerprints that a resumed run must match.
    """

    def __init__(self, out, columns, identity):
        self.out = Path(out)
        self.columns = list(columns)
        self.identity = identity
        self.scores_path = self.out / SCORES
        self.meta_path = self.out / META
        self._file = None
        self._read = None  # scores.csv as finished_rows read it

    def finished_rows(self, resume):
        """Rows already in ``scores.csv`` that may be reused, keyed by configuration.

        Parameters
        ----------
        resume : bool
            Whether to reuse finished rows; if False nothing is read (and ``open``
            starts a fresh file).

        Returns
        -------
        dict
            ``config_key -> row dict`` (values as read from the CSV).

        Raises
        ------
        ResumeMismatch
            When the folder holds results of another estimator or other data.
        """
        if not resume or not self.scores_path.exists():
            return {}
        meta = read_meta(self.out) if self.meta_path.exists() else {}
        old = meta.get("identity", {})
        for what in self.identity:
            if old.get(what) is not None and old[what] != self.identity[what]:
                hint = ""
                if what == "validation" and "folds" in str(self.identity[what]):
                    hint = (
                        " Under cross-validation the folds themselves must be the same: a "
                        "splitter with shuffle=True needs a random_state to make them again."
                    )
                raise ResumeMismatch(
                    f"{self.out} holds results for other {what} "
                    f"({what} fingerprint {old[what]!r}, now {self.identity[what]!r}).{hint} "
                    "Pass resume=False to start afresh (it overwrites scores.csv), or "
                    "choose another out folder."
                )
        table = self._read = read_scores(self.out)
        if Col.KEY not in table.columns:
            return {}
        rows = {}
        for record in table.to_dict("records"):
            rows[record[Col.KEY]] = record
        return rows

    def open(self, reused_rows, keys=None):
        """Start ``scores.csv`` afresh with the reused rows, ready to append.

        Rewriting through a temporary file keeps the old file intact until the new
        one (same rows, current columns) is complete. When the old file holds what the
        new one will not (rows of configurations outside ``keys``, the current grid, or
        columns it does not have), it is first copied to ``scores.previous.<UTC time>.csv``
        (never over an earlier copy).

        Parameters
        ----------
        reused_rows : list of dict
            Rows carried over from the old file.
        keys : collection of str, optional
            Configuration keys of the current grid.

        Returns
        -------
        str or None
            What the old file held that the new one drops, and where it was kept.
        """
        self.out.mkdir(parents=True, exist_ok=True)
        kept = self._keep_previous(keys) if keys is not None else None
        fd, tmp = tempfile.mkstemp(prefix=f".{SCORES}.", dir=self.out)
        with os.fdopen(fd, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(self.columns)
            for row in reused_rows:
                writer.writerow([csv_cell(row.get(c)) for c in self.columns])
        os.replace(tmp, self.scores_path)
        self._file = open(self.scores_path, "a", newline="")
        return kept

    def _keep_previous(self, keys):
        """Copy ``scores.csv`` aside if rewriting it would drop rows or columns."""
        if not self.scores_path.exists():
            return None
        old = self._read if self._read is not None else read_scores(self.out)
        outside = 0
        if Col.KEY in old.columns:
            outside = int((~old[Col.KEY].isin(set(keys))).sum())
        extra = [c for c in old.columns if c not in self.columns]
        if not outside and not extra:
            return None
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = self.out / PREVIOUS_SCORES.format(stamp=stamp)
        number = 1
        while kept.exists():  # never overwrite an earlier copy
            number += 1
            kept = self.out / PREVIOUS_SCORES.format(stamp=f"{stamp}-{number}")
        shutil.copy2(self.scores_path, kept)
        parts = [f"{outside} row(s) of configurations outside this grid"] if outside else []
        if extra:
            parts.append(f"the column(s) {extra}")
        return (
            f"{self.scores_path} held {' and '.join(parts)}, which the new file does not "
            f"keep; the old file is kept as {kept.name}."
        )

    def append(self, row):
        """Append one finished row in a single write and flush it."""
        buffer = io.StringIO()
        csv.writer(buffer).writerow([csv_cell(row.get(c)) for c in self.columns])
        self._file.write(buffer.getvalue())
        self._file.flush()

    def close(self):
        """Close ``scores.csv``."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def write_meta(self, meta):
        """Write ``meta.json`` atomically, with the identity fingerprints added."""
        write_json_atomic(self.meta_path, {**meta, "identity": self.identity})


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
    text = _complete_records(path.read_text())
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
    with open(path) as f:
        return json.load(f)
