"""One search at a time in a results folder: a lock held for as long as a search writes there.

Two searches writing one folder would clobber each other: the later one rewrites
``scores.csv`` while the earlier one appends to the file it replaced, and rows reach no
file at all. So ``fit_grid`` holds the folder's lock (an OS file lock on
``out/.parsearch.lock``, by the ``filelock`` package) from before it reads the finished
rows until ``meta.json`` and the heatmap are written. A second search on the folder is
refused at once with a message that names the holder (process id, host, start time and
command, recorded in ``out/.parsearch.owner.json``), or waits for it if asked to.

The operating system releases the lock when its process ends, however it ends: a lock
left by a killed search never blocks the next one (its owner record, left behind, is
overwritten).

A lock on a file alone would end with the file: a clean-up of dot files that deletes
``.parsearch.lock`` while a search runs lets the next search create a new file and lock
that one, and two searches write the folder. So on POSIX systems the folder itself is
locked too (``fcntl.flock`` on a descriptor of the directory, :class:`_FolderLock`): a
directory cannot be deleted while it holds files, and the lock is on the directory, not
on a name in it, so it holds whatever happens to the files in it. The file lock stays
besides (searches of earlier versions, which lock only the file, are kept out as
before). On Windows, which has no ``fcntl``, the file lock alone holds the folder: there
a file that a process holds open cannot be deleted, so the clean-up cannot take it away.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import numbers
import os
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from parsearch.results.files import LOCK, LOCK_OWNER, remove_temporaries, write_json_atomic

try:
    import fcntl
except ImportError:  # Windows: the file lock alone (see the module's docstring)
    fcntl = None

#: Errors of ``flock`` on a file system that does not lock: the file lock alone holds there.
_NO_FLOCK = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL}

#: Seconds between two tries of a lock that another search holds (as filelock's default).
POLL_INTERVAL = 0.05


class FolderInUse(RuntimeError):
    """Another search (in this process or another) is writing the results folder."""


def check_lock_timeout(lock_timeout):
    """Check ``fit_grid``'s ``lock_timeout``: None, or a number of seconds (0 or more).

    Returns
    -------
    float or None

    Raises
    ------
    TypeError, ValueError
        For anything else.
    """
    if lock_timeout is None:
        return None
    if isinstance(lock_timeout, bool) or not isinstance(lock_timeout, numbers.Real):
        raise TypeError(
            "lock_timeout must be None (wait as long as it takes) or a number of seconds, "
            f"got {type(lock_timeout).__name__} {lock_timeout!r}."
        )
    if math.isnan(lock_timeout) or lock_timeout < 0:
        raise ValueError(
            f"lock_timeout must be 0 (refuse at once), a positive number of seconds or None "
            f"(wait as long as it takes), got {lock_timeout!r}."
        )
    return float(lock_timeout)


@contextlib.contextmanager
def hold_folder(out, timeout=0):
    """Hold the lock of the results folder ``out`` for the body of a ``with`` block.

    Creates ``out`` if needed, takes its lock, records this process as the owner and
    removes the temporary files a killed writer left; on exit removes the owner record
    and releases the lock. Without ``out`` it does nothing.

    Parameters
    ----------
    out : str or Path or None
        The results folder.
    timeout : float or None, default=0
        Seconds to wait for another holder to let go: 0 refuses at once, None waits as
        long as it takes.

    Raises
    ------
    FolderInUse
        When another search holds the folder (still, after ``timeout`` seconds).
    """
    if out is None:
        yield
        return
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout is None or math.isinf(timeout) else time.monotonic() + timeout
    with _FolderLock(out) as folder_lock:
        if not folder_lock.acquire(deadline):
            raise FolderInUse(_in_use_message(out, timeout))
        lock = FileLock(out / LOCK)
        wait = -1 if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise FolderInUse(_in_use_message(out, timeout)) from None
        try:
            write_json_atomic(out / LOCK_OWNER, _this_process())
            remove_temporaries(out)
            yield
        finally:
            try:
                (out / LOCK_OWNER).unlink(missing_ok=True)
            finally:
                lock.release()


class _FolderLock:
    """An exclusive ``flock`` on the folder's own directory descriptor (POSIX only).

    The lock belongs to the directory, not to a name in it, so deleting or replacing
    the files in the folder does not end it; the operating system lets go when the
    descriptor is closed, on exit from the ``with`` block or when the process dies.
    Two descriptors of one process exclude each other too. Where there is no
    ``fcntl`` (Windows), or the folder cannot be opened or its file system does not
    ``flock`` (some network ones), :meth:`acquire` succeeds at once and the file lock
    alone decides, as before.
    """

    def __init__(self, folder):
        self.folder = folder
        self.fd = None

    def __enter__(self):
        if fcntl is not None:
            with contextlib.suppress(OSError):  # a folder it may not open: the file lock
                self.fd = os.open(self.folder, os.O_RDONLY)
        return self

    def acquire(self, deadline):
        """Take the lock, waiting until ``deadline`` (``time.monotonic()``; None: forever).

        Returns
        -------
        bool
            Whether this process now holds it.
        """
        if self.fd is None:
            return True
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_INTERVAL)
            except OSError as error:
                if error.errno not in _NO_FLOCK:
                    raise
                return True  # a file system without flock (some network ones): the file lock

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # lets go of the lock, if held
            self.fd = None


def folder_owner(out):
    """The record of who holds (or last held, if it was killed) ``out``'s lock.

    Returns
    -------
    dict or None
        ``{"pid", "host", "started", "command"}``; None where there is no readable record.
    """
    try:
        owner = json.loads((Path(out) / LOCK_OWNER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return owner if isinstance(owner, dict) else None


def _this_process():
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv)[:300],
    }


def _in_use_message(out, timeout):
    owner = folder_owner(out)
    if owner is None:
        who = f"another process (its record {LOCK_OWNER} is missing or unreadable)"
    else:
        who = (
            f"process {owner.get('pid')} on host {owner.get('host')}, started "
            f"{owner.get('started')}"
        )
        if owner.get("command"):
            who += f" ({owner['command']})"
    waited = f" (waited {timeout:g} s)" if timeout else ""
    return (
        f"The results folder {out} is in use by another search{waited}: {who}. Two "
        "searches writing one folder would lose each other's rows. Wait for it to end, "
        "pass lock_timeout=None to wait for it (or a number of seconds), or give this "
        f"search another out folder. (The lock is the file {out / LOCK}.)"
    )
