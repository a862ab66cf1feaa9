"""The user's module, built as a plain loop builds it, and its outputs read as classes.

:func:`build_module` is the first lines of the loop a user writes: ``torch.manual_seed``,
the module built with its ``module__*`` parameters, moved to the device and float type,
lazy layers materialized by one forward of a training sample. The estimator's ``fit`` and
every fused run build their models here, so they start from the same weights and the same
random state. :func:`class_outputs` turns a module's outputs into class probabilities or
indices (its first ``n_classes`` columns), and :func:`loss_of` is the training loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from parsearch.torchnet.params import module_kwargs


def resolve_device(device):
    """``"auto"`` (CUDA where torch sees a GPU, else the CPU), ``"cpu"``, ``"cuda:N"``."""
    from parsearch.nets.devices import resolve_device as resolve

    return resolve(device)


def build_module(params, example=None):
    """The module of a configuration, seeded, on its device, in its float type, training.

    Parameters
    ----------
    params : dict
        The estimator's parameters (``module``, ``module__*``, ``seed``, ``device``,
        ``dtype``).
    example : Tensor, optional
        A training batch on the device: materializes lazy layers (``nn.LazyLinear``) by one
        forward in evaluation mode without gradients, as a user does before building the
        optimizer.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    TypeError
        When ``module`` does not give an ``nn.Module``.
    """
    torch.manual_seed(int(params["seed"]))
    module = params["module"](**module_kwargs(params))
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"TorchClassifier: module must be an nn.Module class or a function returning a "
            f"module; {params['module']!r} gave {type(module).__name__}."
        )
    module.to(device=resolve_device(params["device"]), dtype=getattr(torch, params["dtype"]))
    if example is not None and has_lazy(module):
        module.eval()
        with torch.no_grad():
            module(example[:1])
    return module.train()


def has_lazy(module):
    """Whether the module still has lazy (uninitialized) parameters or buffers."""
    return any(isinstance(m, nn.modules.lazy.LazyModuleMixin) for m in module.modules())


def loss_of(outputs, target, loss):
    """The mean loss of a batch: NLL of log-probabilities, or cross-entropy of logits."""
    if loss == "nll":
        return F.nll_loss(outputs, target)
    return F.cross_entropy(outputs, target)


def batched_loss_of(outputs, target, loss):
    """:func:`loss_of` in operations that ``vmap`` batches natively.

    ``F.nll_loss`` has no batching rule: under ``vmap`` it runs a Python decomposition,
    which is slower, and whose first use imports sympy (most of a second). This is the
    same mean of the picked log-probabilities.
    """
    if loss != "nll":
        outputs = torch.log_softmax(outputs, dim=1)
    return -outputs.gather(1, target[:, None]).mean()


def class_outputs(outputs, n_classes, loss, proba):
    """Class probabilities (float64 rows that sum to 1) or indices from a module's outputs.

    The first ``n_classes`` columns are the classes (in sorted order); a module with more
    outputs (one built for ten digits, fitted on three) has the others ignored.

    Parameters
    ----------
    outputs : Tensor
        (..., n_outputs) log-probabilities (``loss="nll"``) or logits.
    n_classes : int
        Classes seen in training.
    loss : {"nll", "cross_entropy"}
        What the outputs are.
    proba : bool
        Probabilities, or else class indices.

    Returns
    -------
    Tensor
        (..., n_classes) float64 probabilities, or (...) int64 indices.

    Raises
    ------
    ValueError
        When the module gives fewer outputs than classes.
    """
    if outputs.shape[-1] < n_classes:
        raise ValueError(
            f"TorchClassifier: the module gives {outputs.shape[-1]} outputs per sample for "
            f"{n_classes} classes; it needs one output per class."
        )
    outputs = outputs[..., :n_classes]
    if not proba:
        return outputs.argmax(dim=-1)
    outputs = outputs.double()
    if loss == "nll":
        p = outputs.exp()
        return p / p.sum(dim=-1, keepdim=True)
    return torch.softmax(outputs, dim=-1)
