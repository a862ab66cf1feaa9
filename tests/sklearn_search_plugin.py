"""A pytest plugin that runs scikit-learn's own search tests against parsearch's classes.

Loaded with ``-p sklearn_search_plugin`` by ``tests/test_gridsearch_sklearn.py`` in a
subprocess that runs the installed ``sklearn/model_selection/tests/test_search.py``:

- before the test module is imported, ``sklearn.model_selection.GridSearchCV`` and
  ``RandomizedSearchCV`` are rebound to ``parsearch``'s, so the module's own
  ``from sklearn.model_selection import GridSearchCV`` (and every parametrization that
  names the class or builds an instance of it at import) takes ours;
- of its tests, only those of one class run (``PARSEARCH_SKLEARN_CLASS``: ``grid`` or
  ``random``): a test parametrized by a search class or instance runs for that class
  only; any other test runs when its source names the class;
- every test's outcome is written as JSON to ``PARSEARCH_SKLEARN_REPORT``.
"""

from __future__ import annotations

import inspect
import json
import os
import re

NAMES = {"grid": "GridSearchCV", "random": "RandomizedSearchCV"}


def pytest_configure(config):
    import sklearn.model_selection as ms

    from parsearch.search import sklearn_api

    config._parsearch_originals = {n: getattr(ms, n) for n in NAMES.values()}
    for name in NAMES.values():
        setattr(ms, name, getattr(sklearn_api, name))
    config._parsearch_outcomes = {}


def _search_class(value):
    """The search class a parametrized value is, or builds (an instance), or None."""
    from parsearch.search import sklearn_api

    ours = (sklearn_api.GridSearchCV, sklearn_api.RandomizedSearchCV)
    if isinstance(value, type) and issubclass(value, ours):
        return value.__name__
    if isinstance(value, ours):
        return type(value).__name__
    return None


def selected(item, wanted):
    """Whether ``item`` is a test of the search class named ``wanted``."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        classes = {_search_class(v) for v in callspec.params.values()} - {None}
        if classes:
            return classes == {wanted}
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError):
        return False
    return re.search(rf"(?<!Halving){wanted}\b", source) is not None


def pytest_collection_modifyitems(session, config, items):
    wanted = NAMES[os.environ.get("PARSEARCH_SKLEARN_CLASS", "grid")]
    keep = [item for item in items if selected(item, wanted)]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = keep


def pytest_runtest_logreport(report):
    outcomes = _config()._parsearch_outcomes
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcomes[report.nodeid.split("::", 1)[-1]] = report.outcome
        if report.failed:
            outcomes["__why__" + report.nodeid.split("::", 1)[-1]] = _error_text(report)


def _error_text(report):
    """The error lines of a failed test's report, joined (the start and end of a long one)."""
    text = str(report.longrepr or "")
    lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    text = " ".join(lines) if lines else text
    return text if len(text) <= 500 else f"{text[:200]} ... {text[-300:]}"


_CONFIG = []


def pytest_sessionstart(session):
    _CONFIG.append(session.config)


def _config():
    return _CONFIG[-1]


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("PARSEARCH_SKLEARN_REPORT")
    if path:
        with open(path, "w") as handle:
            json.dump(session.config._parsearch_outcomes, handle, indent=1, sort_keys=True)
