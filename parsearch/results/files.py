"""The files of a results folder, and the one way they are replaced: atomically.

A results folder holds ``scores.csv`` (one row per configuration, appended as each
finishes), ``meta.json`` (what the search was and how it ended) and ``heatmap.png``.
Every file that is replaced rather than appended goes through :func:`atomic_write`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from parsearch.rows import to_jsonable

SCORES = "scores.csv"
#: Name of the copy of an old scores.csv whose rows or columns a resume drops.
PREVIOUS_SCORES = "scores.previous.{stamp}.csv"
META = "meta.json"
HEATMAP = "heatmap.png"


@contextlib.contextmanager
def atomic_write(path, binary=False, newline=None):
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
    newline : str, optional
        ``newline`` of a text file (``""`` for the csv module).

    Yields
    ------
    file object
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(
            fd, "wb" if binary else "w", encoding=None if binary else "utf-8", newline=newline
        ) as f:
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
