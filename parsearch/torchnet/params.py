"""``TorchClassifier``'s parameter names and checks, without torch.

What may differ between the models of one fused run (``FUSABLE_PARAMS``: the optimizer
hyperparameters that can be per-model vectors), the update rules (``OPTIMIZERS``), the
losses (``LOSSES``), and :func:`check_torch_params`, which the estimator and the engine
share.
"""

from __future__ import annotations

import numpy as np

from parsearch.nets.params import TORCH_RULES, check_float_range, check_rules, is_real

#: Update rules: ``torch.optim.SGD``, ``torch.optim.Adam``, ``torch.optim.AdamW``.
OPTIMIZERS = ("sgd", "adam", "adamw")
#: ``"nll"``: the module gives log-probabilities (the lesson's ``LogSoftmax``), NLL loss;
#: ``"cross_entropy"``: the module gives logits.
LOSSES = ("nll", "cross_entropy")
#: Parameters that may differ between the models of one fused run.
FUSABLE_PARAMS = ("lr", "momentum", "weight_decay", "betas")
#: The prefix of the parameters handed to the module's constructor (skorch's convention).
MODULE_PREFIX = "module__"


def _betas_ok(v):
    return (
        isinstance(v, (tuple, list)) and len(v) == 2 and all(is_real(b) and 0 <= b < 1 for b in v)
    )


RULES = {
    **TORCH_RULES,
    "lr": (lambda v: is_real(v) and np.isfinite(v) and v >= 0, "a number >= 0"),
    "nesterov": (lambda v: isinstance(v, (bool, np.bool_)), "True or False"),
    "betas": (_betas_ok, "a pair of numbers in [0, 1)"),
    "eps": (lambda v: is_real(v) and v >= 0, "a number >= 0"),
    "optimizer": (lambda v: v in OPTIMIZERS, f"one of {OPTIMIZERS}"),
    "loss": (lambda v: v in LOSSES, f"one of {LOSSES}"),
    "module": (lambda v: callable(v), "an nn.Module class or a function returning a module"),
}


def check_torch_params(params):
    """Check TorchClassifier parameters, naming the bad one.

    Parameters
    ----------
    params : dict
        Parameter values (a full ``get_params()`` dict or a part of it).

    Raises
    ------
    ValueError
        For a value out of range or of the wrong type, or Nesterov momentum without
        momentum (``torch.optim.SGD`` refuses it too).
    """
    check_rules(params, RULES, "TorchClassifier")
    check_float_range(params, "TorchClassifier")
    if params.get("nesterov") and params.get("optimizer", "sgd") == "sgd":
        if params.get("momentum", 0) <= 0:
            raise ValueError("TorchClassifier: nesterov=True needs a momentum > 0.")


def module_kwargs(params):
    """The ``module__*`` parameters without their prefix: what the module is built with."""
    n = len(MODULE_PREFIX)
    return {k[n:]: v for k, v in params.items() if k.startswith(MODULE_PREFIX)}
