"""Tests of parsearch.usercode: the user's own classes, known by their code."""

import json
import os
import subprocess
import sys
import textwrap
import types

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
