"""``MLPClassifier``'s parameter names and checks, without torch.

What the fused MLP engine may train per model (``FUSABLE_PARAMS``), its update rules
(``OPTIMIZERS``) and float types (``DTYPES``), and :func:`check_mlp_params`, which the
estimator, the engine and the devices share. Nothing here imports torch, so a grid can be
checked (and the engine's modules can import these) without loading it.
"""

from __future__ import annotations

import numbers

import numpy as np

from parsearch.effects import Rule

DTYPES = ("float32", "float64")
#: Update rules (``parsearch.nets.optim``): SGD with momentum, and Adam.
OPTIMIZERS = ("sgd", "adam")
#: What ``fit_grid`` warns of when a grid varies it where it has no effect
#: (``parsearch.effects``): Adam takes no momentum.
NO_OPS = (Rule((), "momentum", used_only_when=(("optimizer", ("sgd",)),)),)
#: Parameters that may differ between the models of one fused chunk.
FUSABLE_PARAMS = ("lr", "width", "momentum", "weight_decay")


def is_int(value):
    """An integer, not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value):
    """A real number, not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


#: The rules of the parameters every torch network of parsearch has (``MLPClassifier``,
#: ``TorchClassifier``): name -> (test, what it must be).
TORCH_RULES = {
    "epochs": (lambda v: is_int(v) and v >= 1, "an integer >= 1"),
    "batch_size": (lambda v: is_int(v) and v >= 1, "an integer >= 1"),
    "momentum": (lambda v: is_real(v) and 0 <= v < 1, "a number in [0, 1)"),
    "weight_decay": (lambda v: is_real(v) and np.isfinite(v) and v >= 0, "a number >= 0"),
    "dtype": (lambda v: v in DTYPES, f"one of {DTYPES}"),
    "seed": (lambda v: is_int(v) and 0 <= v < 2**63, "an integer in [0, 2**63)"),
    "device": (
        lambda v: v == "auto" or (isinstance(v, str) and v.split(":")[0] in ("cpu", "cuda")),
        "'auto', 'cpu', 'cuda' or 'cuda:N'",
    ),
}

MLP_RULES = {
    **TORCH_RULES,
    "width": (lambda v: is_int(v) and v >= 1, "an integer >= 1"),
    "depth": (lambda v: is_int(v) and v >= 0, "an integer >= 0"),
    "lr": (lambda v: is_real(v) and np.isfinite(v) and v > 0, "a number > 0"),
    "optimizer": (lambda v: v in OPTIMIZERS, f"one of {OPTIMIZERS}"),
}


def check_rules(params, rules, owner):
    """Refuse the first parameter of ``params`` that breaks its rule, naming it.

    Parameters
    ----------
    params : dict
        Parameter values (a full ``get_params()`` dict or a part of it).
    rules : dict
        Name -> (test, what it must be), as :data:`TORCH_RULES`.
    owner : str
        The estimator's name, for the message.

    Raises
    ------
    ValueError
        ``"{owner}: {name} must be {what}, got {value!r}."``
    """
    for name, value in params.items():
        if name in rules:
            ok, expected = rules[name]
            if not ok(value):
                raise ValueError(f"{owner}: {name} must be {expected}, got {value!r}.")


def check_mlp_params(params):
    """Check MLPClassifier hyperparameters, naming the bad one.

    Parameters
    ----------
    params : dict
        Parameter values (a full ``get_params()`` dict or a part of it).

    Raises
    ------
    ValueError
        For a value out of range or of the wrong type.
    """
    check_rules(params, MLP_RULES, "MLPClassifier")
    check_float_range(params, "MLPClassifier")


def check_float_range(params, owner):
    """Refuse an ``lr`` or ``weight_decay`` that the training's float type turns into
    infinity (``lr=1e39`` under float32).

    Parameters
    ----------
    params : dict
        Parameter values, already checked by :func:`check_rules`.
    owner : str
        The estimator's name, for the message.

    Raises
    ------
    ValueError
        Naming the parameter and the largest value its ``dtype`` holds.
    """
    dtype = params.get("dtype")
    if dtype not in DTYPES:
        return
    largest = float(np.finfo(dtype).max)
    for name in ("lr", "weight_decay"):
        if name in params and params[name] > largest:
            raise ValueError(
                f"{owner}: {name}={params[name]!r} is beyond what {dtype} can hold "
                f"(at most {largest:.4g})."
            )
