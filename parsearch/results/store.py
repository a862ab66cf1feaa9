"""The results folder as a search writes it: ``scores.csv`` row by row, and ``meta.json``.

Each finished configuration is appended to ``scores.csv`` at once, as one complete
line in a single write, and flushed: a kill at any moment leaves a valid CSV of the
rows finished so far. ``meta.json`` is replaced atomically. A rerun with
``resume=True`` reads the finished rows back and skips those configurations, provided
the resume identity (estimator, data, metric and validation: see
``parsearch.results.identity``) is the one ``meta.json`` holds; rows that no
``meta.json`` identifies are never reused. A store does not lock its folder: its
writer holds ``parsearch.results.lock.hold_folder`` around it.
"""

from __future__ import annotations

import csv
import io
import shutil
import warnings
from datetime import datetime, timezone
from pathlib import Path

from parsearch.results.files import (
    CHECKPOINT,
    FORMER_CHECKPOINT,
    META,
    PREVIOUS_SCORES,
    SCORES,
    atomic_write,
    read_arrays,
    write_arrays_atomic,
    write_json_atomic,
)
from parsearch.results.identity import ResumeMismatch, changed_code, current_identity
from parsearch.results.read import read_meta, read_scores
from parsearch.rows import Col, csv_cell


class ResultStore:
    """Rows of a search in ``out/scores.csv`` and its description in ``out/meta.json``.

    Parameters
    ----------
    out : Path
        The results folder (created if needed).
    columns : list of str
        CSV columns: the parameter names, then result columns.
    identity : dict
        ``{"estimator", "data", "metric", "validation"}``: what a resumed run must match
        (see ``parsearch.results.identity``).
    former : dict, optional
        For entries of ``identity`` whose form has changed: name -> ``(is_former, value)``,
        ``is_former(stored)`` telling a value of the former kind and ``value()`` computing
        this search's value in that form (called only for such a folder).
    """

    def __init__(self, out, columns, identity, former=None):
        self.out = Path(out)
        self.columns = list(columns)
        self.identity = identity
        self.former = dict(former or {})
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
            When the folder holds results of another estimator, data, metric or
            validation, or rows without a ``meta.json`` (or one without the identity)
            to tell.
        ValueError
            For a malformed ``scores.csv`` or ``meta.json`` (naming the file).
        """
        if not resume or not self.scores_path.exists():
            return {}
        old = read_meta(self.out).get("identity")
        table = self._read = read_scores(self.out)
        if not isinstance(old, dict):
            if len(table):
                self._refuse_without_identity(len(table))
            return {}
        old = current_identity(old)
        what = self.identity_differs(old)
        if what is not None:
            self._refuse_other(what, old.get(what))
        if Col.KEY not in table.columns:
            return {}  # no row can be matched to a configuration (open keeps the file aside)
        rows = {}
        for record in table.to_dict("records"):
            rows[record[Col.KEY]] = record
        return rows

    def identity_differs(self, old):
        """The first entry in which a stored identity differs from this search's, or None.

        An entry of a former form (see ``former``) that equals this search's in that form
        is no difference.

        Parameters
        ----------
        old : dict
            An identity as ``meta.json`` or a halving checkpoint holds it.

        Returns
        -------
        str or None
        """
        for what in dict.fromkeys([*self.identity, *old]):  # "halving" is in one only, maybe
            if old.get(what) != self.identity.get(what) and not self._former_match(what, old):
                return what
        return None

    def _former_match(self, what, old):
        """Whether ``old[what]`` is of a former form and equals this search's in that form."""
        if what not in self.former:
            return False
        is_former, value = self.former[what]
        return is_former(old.get(what)) and old.get(what) == value()

    def _refuse_without_identity(self, n_rows):
        """Raise ResumeMismatch: rows whose estimator, data and metric nothing tells."""
        why = "is missing" if not self.meta_path.exists() else "holds no resume identity"
        raise ResumeMismatch(
            f"{self.scores_path} holds {n_rows} row(s), but {self.meta_path} {why}: nothing "
            "tells which estimator, data, metric and validation they were computed with, so "
            "they are not reused. Pass resume=False to start afresh (it overwrites "
            "scores.csv), or choose another out folder."
        )

    def _refuse_other(self, what, old):
        """Raise ResumeMismatch: the folder's rows are of another estimator, data, ..."""
        hint = changed_code(old, self.identity.get(what))
        if what == "validation" and "folds" in str(self.identity[what]):
            hint += (
                " Under cross-validation the folds themselves must be the same: a "
                "splitter with shuffle=True needs a random_state to make them again."
            )
        raise ResumeMismatch(
            f"{self.out} holds results for other {what} "
            f"({what} fingerprint {old!r}, now {self.identity.get(what)!r}).{hint} "
            "Pass resume=False to start afresh (it overwrites scores.csv), or "
            "choose another out folder."
        )

    def open(self, reused_rows, keys=None):
        """Start ``scores.csv`` afresh with the reused rows, ready to append.

        Rewriting through a temporary file keeps the old file intact until the new
        one (same rows, current columns) is complete. When the old file holds what the
        new one will not (rows of configurations outside ``keys``, the current grid; any
        row at all if it has no ``config_key`` column to match them by; or columns the
        new one does not have), it is first copied to ``scores.previous.<UTC time>.csv``
        (atomically, and never over an earlier copy).

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
        with atomic_write(self.scores_path, newline="") as f:
            writer = csv.writer(f)
            writer.writerow(self.columns)
            for row in reused_rows:
                writer.writerow([csv_cell(row.get(c)) for c in self.columns])
        self._file = open(self.scores_path, "a", newline="", encoding="utf-8")
        return kept

    def _keep_previous(self, keys):
        """Copy ``scores.csv`` aside if rewriting it would drop rows or columns."""
        if not self.scores_path.exists():
            return None
        old = self._read if self._read is not None else read_scores(self.out)
        outside = unmatched = 0
        if Col.KEY in old.columns:
            outside = int((~old[Col.KEY].isin(set(keys))).sum())
        else:
            unmatched = len(old)
        extra = [c for c in old.columns if c not in self.columns]
        if not (outside or unmatched or extra):
            return None
        kept = self._copy_aside()
        said = []
        if unmatched:
            said.append(
                f"{self.scores_path} has no {Col.KEY} column (was it edited in a "
                f"spreadsheet?), so none of its {unmatched} row(s) can be matched to this "
                "grid or reused."
            )
        held = [f"{outside} row(s) of configurations outside this grid"] if outside else []
        if extra:
            held.append(f"the column(s) {extra}")
        if held:
            said.append(
                f"{self.scores_path} held {' and '.join(held)}, which the new file does not keep."
            )
        return " ".join([*said, f"The old file is kept as {kept.name}."])

    def _copy_aside(self):
        """Copy ``scores.csv`` to a new ``scores.previous.<UTC time>.csv``, atomically."""
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = self.out / PREVIOUS_SCORES.format(stamp=stamp)
        number = 1
        while kept.exists():  # never overwrite an earlier copy
            number += 1
            kept = self.out / PREVIOUS_SCORES.format(stamp=f"{stamp}-{number}")
        # Through a temporary file: a copy cut short (a full disk) never looks complete.
        with open(self.scores_path, "rb") as source, atomic_write(kept, binary=True) as copy:
            shutil.copyfileobj(source, copy)
        return kept

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

    # --- checkpoints: a halving search's survivors, a fused grid's models in training ----------

    def checkpoint_path(self, name=CHECKPOINT):
        """Where checkpoint ``name`` lives (by default a halving search's)."""
        return self.out / name

    def write_checkpoint(self, header, arrays, name=CHECKPOINT):
        """Replace checkpoint ``name`` atomically: a JSON header and named arrays, no pickle
        (see ``files.write_arrays_atomic``).

        Returns
        -------
        int
            Its size in bytes.
        """
        return write_arrays_atomic(self.checkpoint_path(name), header, arrays)

    def read_checkpoint(self, name=CHECKPOINT):
        """The checkpoint ``name`` an interrupted search left, or None.

        A checkpoint that cannot be read (or holds pickled objects) is warned about and
        ignored: what it held trains again.

        Returns
        -------
        (dict, dict) or None
            Its header and its arrays.
        """
        path = self.checkpoint_path(name)
        if not path.exists():
            return None
        try:
            return read_arrays(path)
        except Exception as exc:
            warnings.warn(
                f"{path} cannot be read ({type(exc).__name__}: {exc}); what it held trains again.",
                RuntimeWarning,
                stacklevel=3,
            )
            return None

    def remove_checkpoint(self, name=CHECKPOINT):
        """Remove checkpoint ``name`` (its search has ended; an earlier version's pickle of
        the halving checkpoint goes too, unread)."""
        self.checkpoint_path(name).unlink(missing_ok=True)
        if name == CHECKPOINT:
            (self.out / FORMER_CHECKPOINT).unlink(missing_ok=True)
