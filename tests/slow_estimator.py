"""A deliberately slow classifier that logs each fit, for the kill-and-resume tests.

It lives in its own module so that a child process can import it; so does the helper
that runs a search in a child process and kills it mid-grid.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class SlowLoggingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; each fit sleeps and appends ``c`` to a log file."""

    def __init__(self, c=0, delay=0.2, log_path=None):
        self.c = c
        self.delay = delay
        self.log_path = log_path

    def fit(self, X, y):
        if self.log_path:
            with open(self.log_path, "a") as f:
                f.write(f"{self.c}\n")
                f.flush()
                os.fsync(f.fileno())
        time.sleep(self.delay)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


#: Configurations of the killed search: c = 0..N_CONFIGS-1, each fit 0.3 s.
N_CONFIGS = 10


def search_killed_mid_grid(tmp_path, split, client_address=None, rows=3):
    """Run a search in a child process and SIGKILL it once ``rows`` rows are stored.

    The child fits ``SlowLoggingClassifier(delay=0.3)`` over ``c = 0..9`` on the first
    200 / 50 rows of ``split`` into ``tmp_path/out``, logging every fit to
    ``tmp_path/fits.log``; on the Dask cluster at ``client_address`` when given.

    Returns
    -------
    (Path, Path, dict)
        The results folder, the fit log, and the data the child used (``Xtr``, ``ytr``,
        ``Xva``, ``yva``), for the rerun.
    """
    Xtr, ytr, Xva, yva = split
    data = {"Xtr": Xtr[:200], "ytr": ytr[:200], "Xva": Xva[:50], "yva": yva[:50]}
    np.savez(tmp_path / "data.npz", **data)
    out, log = tmp_path / "out", tmp_path / "fits.log"
    connect, on = "", ""
    if client_address is not None:
        connect = f"from distributed import Client\nclient = Client({client_address!r})\n"
        on = "client=client, "
    script = tmp_path / "search.py"
    script.write_text(
        "import numpy as np\n"
        "from parsearch import fit_grid\n"
        "from slow_estimator import SlowLoggingClassifier\n"
        f"{connect}"
        f"d = np.load({str(tmp_path / 'data.npz')!r})\n"
        f"fit_grid(SlowLoggingClassifier(delay=0.3, log_path={str(log)!r}),\n"
        f"         {{'c': list(range({N_CONFIGS}))}}, d['Xtr'], d['ytr'], d['Xva'], d['yva'],\n"
        f"         {on}out={str(out)!r}, progress=False)\n"
    )
    here = str(Path(__file__).resolve().parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, str(script)], env=env)
    scores = out / "scores.csv"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if scores.exists() and len(scores.read_text().splitlines()) >= rows + 1:  # + header
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    return out, log, data


def rerun_search(out, log, data, **kwargs):
    """The killed search of ``search_killed_mid_grid`` run again here, resuming."""
    from parsearch import fit_grid

    return fit_grid(
        SlowLoggingClassifier(delay=0.3, log_path=str(log)),
        {"c": list(range(N_CONFIGS))},
        data["Xtr"],
        data["ytr"],
        data["Xva"],
        data["yva"],
        out=out,
        progress=False,
        **kwargs,
    )
