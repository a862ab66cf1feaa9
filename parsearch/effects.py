"""Grid parameters that some configurations ignore, as their estimators document it.

``SGDClassifier(learning_rate="optimal")``, its default, never reads ``eta0``: a grid over
``eta0`` then fits the same model several times, and the scores of its rows repeat with
nothing to say why. :func:`warn_ignored` warns of such grids once, at set-up, before any
fit, from a small table of documented no-ops (:data:`RULES`).

Each configuration is judged by its own values over the estimator's fixed ones (for a
step of a pipeline, the values that the step's prefix sets, ``sgdclassifier__eta0``, over
the step's own); a parameter is reported when the grid varies it (it takes more than one
value) and some configurations that set it ignore it, with their count.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rule:
    """When an estimator ignores one of its parameters, as its documentation says.

    Attributes
    ----------
    owners : tuple of str
        The estimators the rule is about, as ``"package.ClassName"`` (``"sklearn.SVC"``):
        a class with that name, or one derived from it, in that top-level package.
    parameter : str
        The parameter that can have no effect.
    used_only_when : tuple of (str, tuple)
        ``(name, values)`` pairs: the parameter is used only when every ``name`` has one
        of its ``values``.
    ignored_when : tuple of (str, tuple)
        ``(name, values)`` pairs: the parameter is ignored when any ``name`` has one of
        its ``values``.
    fix : str
        What to set for the parameter to matter (derived from ``used_only_when`` when
        empty).
    """

    owners: tuple
    parameter: str
    used_only_when: tuple = ()
    ignored_when: tuple = ()
    fix: str = ""

    @property
    def depends_on(self):
        """The names of the parameters the rule reads."""
        return tuple(name for name, _ in (*self.used_only_when, *self.ignored_when))

    def ignores(self, params):
        """Whether an estimator with these parameters ignores :attr:`parameter`.

        Parameters
        ----------
        params : dict
            The estimator's parameters (``get_params(deep=False)`` with the
            configuration's values over them).

        Returns
        -------
        bool
        """
        if any(name not in params for name in self.depends_on):
            return False  # not the estimator the rule knows
        unused = any(not _one_of(params[n], values) for n, values in self.used_only_when)
        return unused or any(_one_of(params[n], values) for n, values in self.ignored_when)

    def why(self, owner):
        """The rule in words for ``owner`` (a class name), with what to set instead."""
        used = [f"{name} is {_alternatives(values)}" for name, values in self.used_only_when]
        ignored = [f"{name} is {_alternatives(values)}" for name, values in self.ignored_when]
        parts = [f"uses {self.parameter} only when {' and '.join(used)}"] if used else []
        if ignored:
            what = "it" if used else self.parameter
            parts.append(f"ignores {what} when {' or '.join(ignored)}")
        text = f"{owner} {', and '.join(parts)}"
        fix = self.fix or " and ".join(
            f"{name}={_alternatives(values)}" for name, values in self.used_only_when
        )
        return f"{text}; set {fix}, or leave {self.parameter} out of those configurations"


_SGD = ("sklearn.SGDClassifier", "sklearn.SGDRegressor", "sklearn.SGDOneClassSVM")
_SVM = ("sklearn.SVC", "sklearn.SVR", "sklearn.NuSVC", "sklearn.NuSVR", "sklearn.OneClassSVM")
_MLP = ("sklearn.MLPClassifier", "sklearn.MLPRegressor")
_SGD_SOLVER = (("solver", ("sgd",)),)
_STOCHASTIC = (("solver", ("sgd", "adam")),)

#: The documented no-ops of scikit-learn 1.9's estimators (their docstrings), each checked by
#: fitting the estimator (``tests/test_effects.py``). An estimator class may declare its own
#: as a class attribute ``__parsearch_no_ops__``, a tuple of :class:`Rule` whose owners are
#: left empty (parsearch's networks do: ``parsearch.nets.params.NO_OPS``). Not here:
#: LogisticRegression's ``l1_ratio`` with an explicit ``penalty="l2"``, documented as
#: unused, still changes the fit of the ``saga`` solver in scikit-learn 1.9.
RULES = (
    Rule(
        _SGD,
        "eta0",
        ignored_when=(("learning_rate", ("optimal",)),),
        fix="learning_rate='constant', 'invscaling' or 'adaptive'",
    ),
    Rule(_SGD, "power_t", used_only_when=(("learning_rate", ("invscaling",)),)),
    Rule(
        ("sklearn.SGDClassifier", "sklearn.SGDRegressor", "sklearn.Perceptron"),
        "l1_ratio",
        used_only_when=(("penalty", ("elasticnet",)),),
    ),
    Rule(_SVM, "gamma", used_only_when=(("kernel", ("rbf", "poly", "sigmoid")),)),
    Rule(_SVM, "degree", used_only_when=(("kernel", ("poly",)),)),
    Rule(_SVM, "coef0", used_only_when=(("kernel", ("poly", "sigmoid")),)),
    *(Rule(_MLP, name, used_only_when=_SGD_SOLVER) for name in ("momentum", "learning_rate")),
    Rule(
        _MLP,
        "nesterovs_momentum",
        used_only_when=_SGD_SOLVER,
        ignored_when=(("momentum", (0,)),),
        fix="solver='sgd' and a momentum above 0",
    ),
    Rule(_MLP, "power_t", used_only_when=(*_SGD_SOLVER, ("learning_rate", ("invscaling",)))),
    *(
        Rule(_MLP, name, used_only_when=(("solver", ("adam",)),))
        for name in ("beta_1", "beta_2", "epsilon")
    ),
    *(
        Rule(_MLP, name, used_only_when=_STOCHASTIC)
        for name in ("learning_rate_init", "batch_size", "shuffle", "n_iter_no_change")
    ),
    Rule(_MLP, "max_fun", used_only_when=(("solver", ("lbfgs",)),)),
    Rule(_MLP, "validation_fraction", used_only_when=(("early_stopping", (True,)),)),
    Rule(
        ("sklearn.GradientBoostingRegressor",),
        "alpha",
        used_only_when=(("loss", ("huber", "quantile")),),
    ),
)

#: The class attribute by which an estimator declares the rules of its own parameters.
NO_OPS_ATTRIBUTE = "__parsearch_no_ops__"
_UNSET = object()


def _declared(cls):
    """The rules a class declares about its own parameters (``__parsearch_no_ops__``)."""
    return tuple(getattr(cls, NO_OPS_ATTRIBUTE, ()) or ())


def _table(estimator, configs):
    """Every rule that can apply: :data:`RULES`, and those the classes in play declare
    (the estimator's, its nested estimators', and the estimators the grid puts in)."""
    classes = {type(estimator)}
    values = [*estimator.get_params(deep=True).values()] if hasattr(estimator, "get_params") else []
    values += [v for config in configs for v in config.values()]
    classes.update(type(v) for v in values if hasattr(v, "get_params"))
    return RULES + tuple(rule for cls in classes for rule in _declared(cls))


@dataclass(frozen=True)
class Ignored:
    """A grid parameter that some configurations ignore.

    Attributes
    ----------
    name : str
        The parameter as the grid names it (``"sgdclassifier__eta0"``).
    owner : str
        The class name of the estimator that ignores it.
    rule : Rule
        Why.
    ignored, configurations : int
        How many configurations ignore it, of those that set it.
    """

    name: str
    owner: str
    rule: Rule
    ignored: int
    configurations: int

    def __str__(self):
        return (
            f"{self.name!r} in {self.ignored} of {self.configurations} configurations: "
            f"{self.rule.why(self.owner)}"
        )


def find_ignored(estimator, configs, varying):
    """The grid parameters that some configurations ignore, by :data:`RULES`.

    Parameters
    ----------
    estimator : estimator
        The estimator the grid configures (unfitted).
    configs : list of dict
        The grid's configurations.
    varying : collection of str
        The parameters the grid gives more than one value; only those are reported.

    Returns
    -------
    list of Ignored
        In the order the parameters are first met.
    """
    rules = _table(estimator, configs)
    parameters = {rule.parameter for rule in rules}
    names = [n for n in varying if n.rpartition("__")[2] in parameters]
    if not names:
        return []
    depends_on = {
        p: tuple(dict.fromkeys(n for r in rules if r.parameter == p for n in r.depends_on))
        for p in parameters
    }
    params_of = _ParamsCache()
    counts = {}  # (name, owner, rule) -> [ignored, configurations]
    for name in names:
        prefix, _, parameter = name.rpartition("__")
        # what decides the verdict: the estimators on the way to the owner, and the values
        # that the rules about this parameter read; configurations alike there are judged once
        parts = prefix.split("__") if prefix else []
        keys = ["__".join(parts[: i + 1]) for i in range(len(parts))]
        keys += [f"{prefix}__{n}" if prefix else n for n in depends_on[parameter]]
        verdicts = {}
        for config in configs:
            if name not in config:
                continue
            seen = tuple(_hashable(config.get(key, _UNSET)) for key in keys)
            if seen not in verdicts:
                verdicts[seen] = _verdicts(estimator, prefix, parameter, config, params_of)
            for owner, rule, ignored in verdicts[seen]:
                count = counts.setdefault((name, owner, rule), [0, 0])
                count[0] += ignored
                count[1] += 1
    return [
        Ignored(name, owner, rule, ignored, total)
        for (name, owner, rule), (ignored, total) in counts.items()
        if ignored
    ]


def warn_ignored(estimator, grid):
    """Warn once, before any fit, of grid parameters that some configurations ignore.

    Parameters
    ----------
    estimator : estimator
        The estimator the grid configures.
    grid : parsearch.grid.Grid
        The expanded grid.

    Warns
    -----
    UserWarning
        Naming each such parameter, how many configurations ignore it, why, and what to
        set for it to matter.
    """
    found = find_ignored(estimator, grid.configs, grid.varying)
    if not found:
        return
    lines = "\n".join(f"- {item}" for item in found)
    warnings.warn(
        "Some grid parameters have no effect in some configurations, as their estimators "
        "document, so those configurations repeat each other's fits and scores:\n" + lines,
        UserWarning,
        stacklevel=4,  # warn_ignored, set_up, fit_grid: the caller's line
    )


def _verdicts(estimator, prefix, parameter, config, params_of):
    """``(owner class name, rule, ignored)`` for each rule about this configuration's value."""
    owner = _owner(estimator, prefix, config, params_of)
    if owner is None:
        return []
    return [
        (
            type(owner).__name__,
            rule,
            rule.ignores(_values(rule.depends_on, params_of(owner), config, prefix)),
        )
        for rule in _rules(type(owner), parameter)
    ]


def _hashable(value):
    """``value`` where it can be a dictionary key, else its identity."""
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return value


class _ParamsCache:
    """``get_params(deep=...)`` of each object, read once (the objects do not change)."""

    def __init__(self):
        self._params = {}

    def __call__(self, obj, deep=False):
        key = (id(obj), deep)
        if key not in self._params:
            try:
                self._params[key] = (obj, dict(obj.get_params(deep=deep)))
            except Exception:
                self._params[key] = (obj, {})
        return self._params[key][1]


def _owner(estimator, prefix, config, params_of):
    """The estimator that a parameter with ``prefix`` belongs to in this configuration.

    A configuration may put in a step (or a nested estimator) itself, which then owns the
    parameters below it.
    """
    owner, path = estimator, []
    for part in prefix.split("__") if prefix else ():
        path.append(part)
        key = "__".join(path)
        # a Pipeline's steps are among its deep parameters only
        owner = config[key] if key in config else params_of(owner, deep=True).get(part)
        if owner is None or not hasattr(owner, "get_params"):
            return None
    return owner


def _values(names, own, config, prefix):
    """The values of ``names`` for the estimator at ``prefix`` in this configuration.

    The configuration's value, else the estimator's own (``own``, its
    ``get_params(deep=False)``); a name it has neither way is left out.
    """
    start = f"{prefix}__" if prefix else ""
    values = {}
    for name in names:
        key = start + name
        if key in config:
            values[name] = config[key]
        elif name in own:
            values[name] = own[name]
    return values


@functools.lru_cache(maxsize=256)
def _rules(cls, parameter):
    """The rules about ``parameter`` of class ``cls`` (or a class it derives from)."""
    if cls is None:
        return ()
    lineage = {f"{c.__module__.partition('.')[0]}.{c.__name__}" for c in cls.__mro__}
    known = [r for r in RULES if r.parameter == parameter and lineage.intersection(r.owners)]
    return (*known, *(r for r in _declared(cls) if r.parameter == parameter))


def _one_of(value, values):
    """Whether ``value`` is one of ``values`` (by identity, or by a plain equality)."""
    for candidate in values:
        if value is candidate:
            return True
        try:
            equal = value == candidate
        except Exception:
            continue
        if isinstance(equal, (bool, np.bool_)) and equal:
            return True
    return False


def _alternatives(values):
    """``'rbf', 'poly' or 'sigmoid'``."""
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
