"""The files of a results folder, and the one way they are replaced: atomically.

A results folder holds ``scores.csv`` (one row per configuration, appended as each
finishes), ``meta.json`` (what the search was and how it ended) and ``heatmap.png``;
while a search writes there, it also holds the lock files of
``parsearch.results.lock``. Every file that is replaced rather than appended goes
through :func:`atomic_write`, by way of a hidden temporary file beside it that never
outlives a failed write (and that a later search removes if a kill left one behind:
:func:`remove_temporaries`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from parsearch.rows import to_jsonable

SCORES = "scores.csv"
#: Name of the copy of an old scores.csv whose rows or columns a resume drops.
PREVIOUS_SCORES = "scores.previous.{stamp}.csv"
META = "meta.json"
HEATMAP = "heatmap.png"
#: The lock file a search holds for as long as it writes in the folder (it stays, empty).
LOCK = ".parsearch.lock"
#: Who holds the lock: process id, host, start time (removed when the lock is released).
LOCK_OWNER = ".parsearch.owner.json"
#: A halving search's survivors after its last rung (removed when the search ends).
CHECKPOINT = "halving.checkpoint.npz"
#: The fused models in training, after their last epoch saved (removed when the search ends).
FUSED_CHECKPOINT = "fused.checkpoint.npz"
#: Where earlier versions kept the halving checkpoint, as a pickle: never read (a pickle
#: runs code), only removed.
FORMER_CHECKPOINT = "halving.checkpoint.pkl"
#: Files a search writes through :func:`atomic_write` (their temporaries are its own).
WRITTEN = (SCORES, META, HEATMAP, LOCK_OWNER, CHECKPOINT, FUSED_CHECKPOINT)
#: The name of a checkpoint's JSON header among its arrays.
_HEADER = "__header__"
_TEMP_PREFIX, _TEMP_SUFFIX = ".{name}.", ".tmp"
#: meta.json's ``status``: while the search runs, and how it ended.
RUNNING, FINISHED, INTERRUPTED, ALL_FAILED = "running", "finished", "interrupted", "all_failed"


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
    fd, tmp = tempfile.mkstemp(
        prefix=_TEMP_PREFIX.format(name=path.name), suffix=_TEMP_SUFFIX, dir=path.parent
    )
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


def write_arrays_atomic(path, header, arrays):
    """Write a JSON header and named arrays into one ``.npz`` file, atomically.

    Nothing in it is code: numpy's own format, read back with ``allow_pickle=False``
    (:func:`read_arrays`), so a results folder copied from someone else runs nothing
    when a search resumes in it.

    Parameters
    ----------
    path : Path
        The file.
    header : dict
        Plain values (what JSON holds; NaN too).
    arrays : dict
        Name -> ndarray of numbers (not objects).

    Returns
    -------
    int
        The file's size in bytes.
    """
    text = json.dumps(header, default=_plain)  # NaN and infinity kept as Python writes them
    encoded = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    with atomic_write(path, binary=True) as f:
        np.savez(f, **{_HEADER: encoded}, **arrays)
        size = f.tell()
    return size


def _plain(value):
    """A value JSON has no form for, as a plain one: a numpy scalar's item, else
    ``to_jsonable``'s form."""
    if isinstance(value, np.generic):
        return value.item()
    return to_jsonable(value)


def read_arrays(path):
    """The header and arrays that :func:`write_arrays_atomic` wrote.

    Returns
    -------
    (dict, dict)
        The header, and name -> ndarray.

    Raises
    ------
    OSError, ValueError, KeyError, zipfile.BadZipFile
        For a file that is not such a checkpoint (pickled objects are refused).
    """
    with np.load(path, allow_pickle=False) as content:
        arrays = {name: content[name] for name in content.files}
    header = json.loads(bytes(arrays.pop(_HEADER)).decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    return header, arrays


def remove_temporaries(folder, names=WRITTEN):
    """Remove the temporary files that :func:`atomic_write` left for ``names`` in ``folder``.

    Only a write killed outright (SIGKILL, a power loss) leaves one; call this only
    while holding the folder's lock, when no other writer can be midway.

    Parameters
    ----------
    folder : Path
        A results folder.
    names : iterable of str
        The files whose temporaries to remove.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed = []
    for name in names:
        prefix = _TEMP_PREFIX.format(name=name)
        for path in Path(folder).glob(f"{glob.escape(prefix)}*{_TEMP_SUFFIX}"):
            if path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed
