"""Stopping a fused search mid-training, for the tests of resuming: an interrupt at a
chosen run-epoch in this process, or a SIGKILL in a child process running a search script."""

import os
import subprocess
import sys
from pathlib import Path

from parsearch.fused.live import LiveRun


class Kill(KeyboardInterrupt):
    """The interrupt :func:`count_epochs` raises."""


def count_epochs(monkeypatch, kill_at=None):
    """Count the run-epochs trained (``LiveRun._epoch``); raise :class:`Kill` at the
    ``kill_at``-th.

    Returns
    -------
    list of int
        Filled as epochs train: each one's number of models.
    """
    trained, original = [], LiveRun._epoch

    def epoch(self, order):
        if kill_at is not None and len(trained) + 1 == kill_at:
            raise Kill
        trained.append(self.n_models)
        return original(self, order)

    monkeypatch.setattr(LiveRun, "_epoch", epoch)
    return trained


#: What a search script run by :func:`run_script` starts with: every epoch is saved, the
#: process SIGKILLs itself at its ``sys.argv[3]``-th run-epoch (0: never), as the OOM
#: killer or ``kill -9`` would, and ``trained`` lists the run-epochs it trained.
SIGKILL_AT = """
import os, signal, sys
from parsearch.fused import checkpoint
from parsearch.fused.live import LiveRun

checkpoint.SAVE_EVERY_SECONDS = 0.0
kill_at = int(sys.argv[3])
trained = []
original = LiveRun._epoch

def epoch(self, order):
    if len(trained) + 1 == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    trained.append(self.n_models)
    return original(self, order)

LiveRun._epoch = epoch
"""


def run_script(script, data, out, kill_at):
    """Run ``script`` (starting with :data:`SIGKILL_AT`) in a fresh Python on ``data``
    (an ``.npz``) into ``out``; the completed process."""
    paths = [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    return subprocess.run(
        [sys.executable, str(script), str(data), str(out), str(kill_at)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
