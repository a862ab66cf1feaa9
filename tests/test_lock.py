"""Tests of parsearch.results.lock: one search at a time in a results folder."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from types import SimpleNamespace

import pytest

from parsearch.results.files import LOCK, LOCK_OWNER, META, SCORES
from parsearch.results.lock import FolderInUse, check_lock_timeout, folder_owner, hold_folder


def holder(out, seconds=60):
    """A child process that holds ``out``'s lock for ``seconds``; returns once it holds it."""
    script = textwrap.dedent(
        f"""
        import time
        from parsearch.results.lock import hold_folder
        with hold_folder({str(out)!r}):
            print("held", flush=True)
            time.sleep({seconds})
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )
    assert child.stdout.readline().strip() == "held"
    return child


def test_hold_folder_creates_the_folder_and_records_its_owner(tmp_path):
    out = tmp_path / "new" / "results"
    with hold_folder(out):
        assert (out / LOCK).exists()
        owner = folder_owner(out)
        assert owner["pid"] == os.getpid()
        assert owner["host"] == socket.gethostname()
        assert "started" in owner
    # Released: the owner record goes, the (empty) lock file stays for the next holder.
    assert folder_owner(out) is None
    assert sorted(p.name for p in out.iterdir()) == [LOCK]


def test_hold_folder_without_out_does_nothing():
    with hold_folder(None):
        pass


def test_a_second_process_is_refused_at_once_with_the_holders_name(tmp_path):
    out = tmp_path / "r"
    child = holder(out)
    try:
        start = time.monotonic()
        with pytest.raises(FolderInUse) as info:
            with hold_folder(out):
                pytest.fail("two holders at once")
        assert time.monotonic() - start < 5
        message = str(info.value)
        assert str(out) in message
        assert f"process {child.pid}" in message
        assert socket.gethostname() in message
        assert "lock_timeout" in message
        assert isinstance(info.value, RuntimeError)
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("timeout", [0, 0.5])
def test_deleting_the_lock_file_does_not_let_a_second_search_in(tmp_path, timeout):
    # A clean-up of dot files while a search runs: its lock must hold all the same.
    out = tmp_path / "r"
    child = holder(out)
    try:
        for name in (LOCK, LOCK_OWNER):
            (out / name).unlink()
        start = time.monotonic()
        with pytest.raises(FolderInUse, match="in use by another search"):
            with hold_folder(out, timeout=timeout):
                pytest.fail("two holders at once")
        assert time.monotonic() - start >= timeout
        # And a third process, started now, is kept out too.
        third = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from parsearch.results.lock import hold_folder\n"
                f"with hold_folder({str(out)!r}): pass",
            ],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        assert third.returncode != 0
        assert "FolderInUse" in third.stderr
    finally:
        child.kill()
        child.wait()
    with hold_folder(out):  # the holder gone, the folder is free again
        assert (out / LOCK).exists()


def test_a_waiting_holder_gets_the_folder_when_the_first_one_ends(tmp_path):
    out = tmp_path / "r"
    child = holder(out, seconds=1.0)
    try:
        start = time.monotonic()
        with hold_folder(out, timeout=None):
            waited = time.monotonic() - start
            assert folder_owner(out)["pid"] == os.getpid()
        assert 0.3 < waited < 30
        assert child.wait(timeout=30) == 0  # the first holder ended as it should
    finally:
        child.kill()
        child.wait()


def test_a_timeout_waits_that_long_then_refuses(tmp_path):
    out = tmp_path / "r"
    child = holder(out)
    try:
        start = time.monotonic()
        with pytest.raises(FolderInUse, match=r"waited 0\.5 s"):
            with hold_folder(out, timeout=0.5):
                pass
        assert 0.4 < time.monotonic() - start < 10
    finally:
        child.kill()
        child.wait()


def test_a_killed_holder_never_blocks_the_next_one(tmp_path):
    out = tmp_path / "r"
    child = holder(out)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert folder_owner(out)["pid"] == child.pid  # its record is left behind, stale
    start = time.monotonic()
    with hold_folder(out):
        assert time.monotonic() - start < 5
        assert folder_owner(out)["pid"] == os.getpid()


def test_two_threads_of_one_process_are_refused_too(tmp_path):
    out = tmp_path / "r"
    errors = []

    def second():
        try:
            with hold_folder(out):
                pass
        except FolderInUse as exc:
            errors.append(exc)

    with hold_folder(out):
        thread = threading.Thread(target=second)
        thread.start()
        thread.join()
    assert len(errors) == 1 and f"process {os.getpid()}" in str(errors[0])


def test_a_holder_removes_temporary_files_a_killed_writer_left(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    stale = [out / f".{name}.k3j4l5.tmp" for name in (SCORES, META, "heatmap.png")]
    for path in stale:
        path.write_text("half")
    (out / ".notes.tmp").write_text("not ours")
    with hold_folder(out):
        assert not any(p.exists() for p in stale)
    assert (out / ".notes.tmp").exists()


def test_an_unreadable_owner_record_still_gives_a_clear_refusal(tmp_path):
    out = tmp_path / "r"
    child = holder(out)
    try:
        (out / LOCK_OWNER).write_bytes(b"\xff\x00 not json")
        with pytest.raises(FolderInUse, match="another process"):
            with hold_folder(out):
                pass
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("value", [0, 0.5, 3, None])
def test_check_lock_timeout_accepts(value):
    assert check_lock_timeout(value) == value


@pytest.mark.parametrize(
    ("value", "error"),
    [(-1, ValueError), (float("nan"), ValueError), ("5", TypeError), (True, TypeError)],
)
def test_check_lock_timeout_refuses(value, error):
    with pytest.raises(error, match="lock_timeout"):
        check_lock_timeout(value)


def test_a_file_system_without_flock_falls_back_to_the_file_lock(tmp_path, monkeypatch):
    import errno

    from parsearch.results import lock

    if lock.fcntl is None:
        pytest.skip("no fcntl here: the file lock alone is used anyway")

    def no_flock(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    # The folder's flock fails; filelock's own (on the real fcntl) still works.
    fake = SimpleNamespace(flock=no_flock, LOCK_EX=lock.fcntl.LOCK_EX, LOCK_NB=lock.fcntl.LOCK_NB)
    monkeypatch.setattr(lock, "fcntl", fake)
    out = tmp_path / "r"
    with hold_folder(out):
        assert folder_owner(out)["pid"] == os.getpid()
        with pytest.raises(FolderInUse):  # the file lock still keeps a second one out
            with hold_folder(out):
                pytest.fail("two holders at once")
