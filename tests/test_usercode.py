"""Tests of parsearch.usercode: the user's own classes, known by their code."""

import json
import os
import subprocess
import sys
import textwrap
import types

import pytest
from sklearn.linear_model import LogisticRegression

from parsearch.usercode import code_digest, code_tag, is_user_code


def _compiled(source, module="__main__"):
    """The names a piece of source defines, compiled as the module ``module``."""
    namespace = {"__name__": module}
    exec(compile(textwrap.dedent(source), f"<{module}>", "exec"), namespace)
    return types.SimpleNamespace(**namespace)


def test_where_the_line_goes():
    main = _compiled("class Net:\n    pass\ndef f():\n    pass\n")
    assert is_user_code(main.Net) and is_user_code(main.f)
    assert not is_user_code(LogisticRegression)  # installed
    assert not is_user_code(json.dumps)  # the standard library
    from parsearch.nets.mlp import MLPClassifier

    assert not is_user_code(MLPClassifier)  # parsearch's own: committed folders resume
    assert is_user_code(test_where_the_line_goes)  # a module beside the tests, not installed
    assert code_tag(LogisticRegression) == ""
    assert code_tag(main.Net).startswith("[code:")


NET = """
import math

WIDTH = {width}


def helper(x):
    return x * {factor}


class Net:
    {blank}
    def forward(self, x):
        return helper(x) + WIDTH + math.pi

    @property
    def size(self):
        return {size}
"""


def _net(width=3, factor=2, size=1, blank=""):
    return _compiled(NET.format(width=width, factor=factor, size=size, blank=blank)).Net


def test_the_code_digest_follows_what_the_class_does():
    assert code_digest(_net()) == code_digest(_net())
    assert code_digest(_net()) == code_digest(_net(blank="\n\n"))  # moved lines: same code
    assert code_digest(_net()) != code_digest(_net(width=4))  # a constant it uses
    assert code_digest(_net()) != code_digest(_net(factor=3))  # a helper it calls
    assert code_digest(_net()) != code_digest(_net(size=2))  # a property


def test_the_code_digest_is_not_changed_by_pickling_the_class():
    import pickle

    net = _net()
    before = code_digest(net)
    net.__module__ = "tests_pickled"  # so that pickle finds the class by name
    sys.modules["tests_pickled"] = types.SimpleNamespace(Net=net)
    try:
        pickle.dumps(net())  # copyreg caches __slotnames__ on the class
    finally:
        del sys.modules["tests_pickled"]
    assert "__slotnames__" in vars(net)
    net.__module__ = "__main__"
    assert code_digest(net) == before


def test_the_code_digest_is_the_same_in_every_process():
    # Set constants are hashed in hash order, which differs between processes.
    script = textwrap.dedent(
        """
        def pick(x):
            return x in {"alpha", "beta", "gamma", "delta"}

        from parsearch.usercode import code_digest
        print(code_digest(pick))
        """
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1


SKORCH_SCRIPT = """
import sys

import numpy as np
import torch
from skorch import NeuralNetClassifier

from parsearch import fit_grid


class MyModule(torch.nn.Module):
    def __init__(self, num_units=8):
        super().__init__()
        self.hidden = torch.nn.Linear(5, num_units)
        self.out = torch.nn.Linear(num_units, 2)

    def forward(self, X):
        return torch.softmax(self.out(torch.relu(self.hidden(X))) * SCALE, dim=-1)


SCALE = float(sys.argv[2])

if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    torch.manual_seed(0)
    net = NeuralNetClassifier(MyModule, max_epochs=2, train_split=None, verbose=0)
    result = fit_grid(
        net, {"lr": [0.1, 0.01]}, X[:40], y[:40], X[40:], y[40:],
        n_jobs=2, out=sys.argv[1], plot=False, progress=False, keep_models="all",
    )
    print("statuses", list(result.table["status"]))
    print("fitted", sum(m is not None for m in result.models))
    print("best", type(result.best_model.module_).__name__, result.best_model.predict(X[:3]))
"""


@pytest.mark.slow
def test_a_skorch_module_of_a_script_runs_in_workers_and_is_known_by_its_code(tmp_path):
    pytest.importorskip("skorch")
    script = tmp_path / "train.py"
    script.write_text(SKORCH_SCRIPT)
    out = tmp_path / "out"

    def run(scale):
        return subprocess.run(
            [sys.executable, str(script), str(out), str(scale)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )

    first = run(1.0)  # n_jobs=2: the fitted nets come back from loky's workers
    assert first.returncode == 0, first.stderr[-3000:]
    assert "statuses ['ok', 'ok']" in first.stdout
    assert "fitted 2" in first.stdout and "best MyModule" in first.stdout
    again = run(1.0)  # the same code: resumed, nothing fitted
    assert again.returncode == 0, again.stderr[-3000:]
    assert "fitted 0" in again.stdout
    edited = run(2.0)  # forward() now computes something else
    assert edited.returncode != 0
    assert "ResumeMismatch" in edited.stderr
    assert "The code of __main__.MyModule changed" in edited.stderr
