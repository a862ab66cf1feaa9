"""K configurations of one module trained at once through ``torch.func``.

Models of a run share everything but their optimizer hyperparameters, so they start from
the same seeded weights (``build.build_module``). Their parameters and buffers are stacked
with a leading model axis (``torch.func.stack_module_state``); one step is every model's
loss through ``vmap`` over ``functional_call`` of the module (BatchNorm's running
statistics, stacked too, are updated per model in place), one autograd backward pass of
their sum (models share no parameter, so each gets its own loss's gradient), then the
per-model update of ``parsearch.torchnet.optim``. Plain autograd rather than
``torch.func.grad``: the latter imports ``torch._dynamo`` at its first use, most of a
second per process.

A module that ``vmap`` cannot run (one that draws random numbers in training, as dropout
does; one that calls ``.item()`` or branches on tensor values; one that writes in place
into a tensor every model shares) is found at the first step: the run warns once, says
why, and trains its models one at a time from then on (plain autograd through
``functional_call`` per model, each model with its own random state as it would have
alone), with the same update rule, so the results are still those of each configuration
trained alone.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import functional_call, stack_module_state, vmap

from parsearch.nets.memory import heap_for_large_temporaries
from parsearch.torchnet.build import batched_loss_of, build_module, class_outputs
from parsearch.torchnet.optim import make_optimizer

EVAL_CHUNK = 1024


def hypers_of(params):
    """The hyperparameters the update rule reads from a configuration's parameters."""
    keys = ("lr", "momentum", "weight_decay", "nesterov", "betas", "eps")
    return {k: params[k] for k in keys}


class NotFusable(Warning):
    """A module's grid trains one model at a time: ``vmap`` cannot run the module."""


class TorchModels:
    """K models of one module laid out to train at once (``parsearch.engine.FusedModels``).

    Parameters
    ----------
    data : parsearch.fused.live.RunData
        What the models train and are scored on.
    params : list of dict
        Each model's full estimator parameters (they differ only in the optimizer's
        hyperparameters).
    states : list of parsearch.fused.live.ModelState, optional
        Models taken out of other runs, to go on from (else the seeded initial weights).
    """

    def __init__(self, data, params, states=None):
        first = params[0]
        self.data, self.loss = data, first["loss"]
        self.batch_size, self.seed = int(first["batch_size"]), int(first["seed"])
        self.n_models, self.order = len(params), list(range(len(params)))
        self.n_samples = data.X.shape[0]
        with torch.random.fork_rng(devices=_cuda(data.X)):
            module = build_module(first, data.X[: self.batch_size])
            self.rng = [_rng_state(data.X.device)] * self.n_models  # each model's, alone
        self.param_names = [n for n, _ in module.named_parameters()]
        self.buffer_names = [n for n, _ in module.named_buffers()]
        stacked, buffers = stack_module_state([module] * self.n_models)
        self.params = {n: t.detach().requires_grad_() for n, t in stacked.items()}
        self.buffers = {n: t.detach() for n, t in buffers.items()}
        self.skeleton = copy.deepcopy(module).to("meta")
        self.opt = make_optimizer(first["optimizer"], self.params, [hypers_of(p) for p in params])
        self.frozen = torch.zeros(self.n_models, dtype=torch.bool, device=data.X.device)
        self.fused = None  # unknown until the first step: True, or False (one at a time)
        self.why = None
        if states is not None:
            self._load(states)
        self.wide = wide_first_layer(module)
        if self.wide is None:
            self._forward = vmap(self._loss, in_dims=(0, 0, None, None), randomness="error")
        else:
            self._rest = vmap(self._rest_loss, in_dims=(0, 0, 1, None), randomness="error")

    # --- the math -----------------------------------------------------------------------

    def _loss(self, params, buffers, xb, yb):
        outputs = functional_call(self.skeleton, (params, buffers), (xb,))
        return batched_loss_of(outputs, yb, self.loss)

    def _rest_loss(self, params, buffers, z, yb):
        outputs = functional_call(self.wide.rest, (params, buffers), (z,))
        return batched_loss_of(outputs, yb, self.loss)

    def _losses(self, xb, yb):
        """Every model's loss on the batch (K,), through ``vmap``, autograd recording."""
        if self.wide is None:
            return self._forward(self.params, self.buffers, xb, yb)
        wide = self.wide
        x = wide.prefix(xb) if wide.prefix is not None else xb  # (B, D)
        weight = self.params[wide.weight]  # (K, H, D)
        K, H, D = weight.shape
        flat = weight.reshape(K * H, D)
        if wide.bias:
            z = torch.addmm(self.params[wide.bias].reshape(-1), x, flat.T)  # (B, K*H)
        else:
            z = x @ flat.T
        rest = {n: t for n, t in self.params.items() if n not in (wide.weight, wide.bias)}
        return self._rest(rest, self.buffers, z.view(-1, K, H), yb)

    def _step(self, xb, yb):
        """Every model's gradients and loss, by one backward pass of the summed losses.

        The models share no parameter, so the gradient of the sum with respect to model
        k's parameters is the gradient of model k's own loss. The first ``Linear`` of a
        :class:`WideFirst` module is one product ``x @ W.T`` over every model's weights
        (K*H, D), and autograd's weight gradient of it one product ``dZ.T @ x``;
        ``vmap`` alone would run it as a batched product over K broadcast copies of the
        input.
        """
        losses = self._losses(xb, yb)
        params = list(self.params.values())
        grads = torch.autograd.grad(losses.sum(), params, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
        return dict(zip(self.params, grads)), losses.detach()

    @property
    def alone(self):
        """Why the models train one at a time (``vmap`` refused the module), or None
        (``parsearch.engine.FusedModels``: it reaches ``meta.json``)."""
        return self.why if self.fused is False else None

    def _fused_step(self, xb, yb):
        """Gradients and losses of every model at once; None when ``vmap`` cannot run it."""
        if self.fused is False:
            return None
        if self.fused:
            return self._step(xb, yb)
        saved = {n: b.clone() for n, b in self.buffers.items()}
        try:
            result = self._step(xb, yb)
        except Exception as exc:  # not vmap-able: one model at a time from now on
            for n, b in saved.items():
                self.buffers[n].copy_(b)
            first_line = (str(exc).splitlines() or [""])[0]
            self.fused, self.why = False, f"{type(exc).__name__}: {first_line}"
            warnings.warn(
                f"TorchClassifier: the module {_name(self.skeleton)} cannot be trained fused "
                f"(torch.func.vmap refused it: {self.why}); its configurations train one "
                "at a time, each as it would alone. Modules that "
                "draw random numbers in training (dropout), call .item() or branch on "
                "tensor values cannot be fused.",
                NotFusable,
                stacklevel=2,
            )
            return None
        self.fused = True
        return result

    def _one_step(self, k, xb, yb):
        """Model k's gradients and loss by plain autograd, with its own random state."""
        params = {n: t[k].detach().requires_grad_() for n, t in self.params.items()}
        buffers = {n: t[k] for n, t in self.buffers.items()}  # views: BatchNorm writes through
        with torch.random.fork_rng(devices=_cuda(xb)):
            _set_rng_state(self.rng[k], xb.device)
            loss = self._loss(params, buffers, xb, yb)
            grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
            self.rng[k] = _rng_state(xb.device)
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params.values(), grads)]
        return dict(zip(params, grads)), loss.detach()

    def _train_step(self, xb, yb):
        """Every model's step on one batch; each model's loss (K,)."""
        result = self._fused_step(xb, yb)
        if result is None:
            steps = [self._one_step(k, xb, yb) for k in range(self.n_models)]
            grads = {n: torch.stack([g[n] for g, _ in steps]) for n in self.params}
            losses = torch.stack([loss for _, loss in steps])
        else:
            grads, losses = result
        self.opt.step(grads)
        if self.frozen.any():
            self._zero(self.frozen)
        return losses.detach()

    def _outputs(self, X):
        """Every model's outputs for ``X`` in evaluation mode, in chunks: (K, n, ...)."""
        self.skeleton.eval()
        try:
            with torch.no_grad():
                if self.fused is False:
                    return torch.cat(
                        [self._alone_outputs(X[s : s + EVAL_CHUNK]) for s in _chunks(X)], dim=1
                    )
                call = vmap(
                    lambda p, b, x: functional_call(self.skeleton, (p, b), (x,)),
                    in_dims=(0, 0, None),
                )
                parts = [call(self.params, self.buffers, X[s : s + EVAL_CHUNK]) for s in _chunks(X)]
                return torch.cat(parts, dim=1)
        finally:
            self.skeleton.train()

    def _alone_outputs(self, X):
        rows = []
        for k in range(self.n_models):
            p = {n: t[k] for n, t in self.params.items()}
            b = {n: t[k].clone() for n, t in self.buffers.items()}
            rows.append(functional_call(self.skeleton, (p, b), (X,)))
        return torch.stack(rows)

    # --- FusedModels --------------------------------------------------------------------

    @property
    def steps(self):
        """Optimizer steps taken."""
        return self.opt.steps

    def training(self):
        """While epochs run, glibc keeps each step's large temporaries in the heap."""
        return heap_for_large_temporaries()

    def train_epoch(self, order):
        """One epoch of every model in ``order``; each model's mean training loss."""
        X, y = self.data.X, self.data.y
        perm = torch.from_numpy(np.asarray(order)).to(X.device)
        X_epoch, y_epoch = X.index_select(0, perm), y.index_select(0, perm)
        loss_sum = torch.zeros(self.n_models, dtype=torch.float64, device=X.device)
        for start in range(0, self.n_samples, self.batch_size):
            xb = X_epoch[start : start + self.batch_size]
            yb = y_epoch[start : start + self.batch_size]
            loss_sum += self._train_step(xb, yb).double() * xb.shape[0]
        return (loss_sum / self.n_samples).cpu().numpy()

    def nonfinite_models(self):
        """Which models hold a NaN or infinite parameter or buffer: bool (K,)."""
        bad = torch.zeros(self.n_models, dtype=torch.bool, device=self.frozen.device)
        for t in [*self.params.values(), *self.buffers.values()]:
            if t.is_floating_point():
                bad |= ~torch.isfinite(t).reshape(self.n_models, -1).all(dim=1)
        return bad.cpu().numpy()

    def check_outputs(self, scoring, proba):
        """Validation outputs (when ``scoring``), and whether each model's were finite."""
        X = self.data.X_val if scoring else self.data.X[: self.batch_size]
        outputs = self._outputs(X)
        finite = torch.isfinite(outputs).reshape(self.n_models, -1).all(dim=1).cpu().numpy()
        if not scoring:
            return None, finite
        return class_outputs(outputs, self.data.n_classes, self.loss, proba).cpu().numpy(), finite

    def freeze(self, models):
        """Zero the parameters, buffers, optimizer state and learning rate of ``models``."""
        mask = torch.as_tensor(np.asarray(models, dtype=bool), device=self.frozen.device)
        self.frozen |= mask
        self.opt.freeze(mask)
        self._zero(mask)

    def _zero(self, mask):
        with torch.no_grad():
            for t in [*self.params.values(), *self.buffers.values()]:
                t[mask] = 0

    def weights(self, p):
        """Model p: ``[(parameters...), (buffers...)]`` as host arrays, in the module's order."""
        return [_host(self.params, p), _host(self.buffers, p)]

    def take(self, p):
        """Model p's weights, and its optimizer state laid out as them."""
        buffers = {name: [_host(state, p), ()] for name, state in self.opt.state.items()}
        return self.weights(p), buffers

    def _load(self, states):
        with torch.no_grad():
            for k, state in enumerate(states):
                _put(self.params, k, state.layers[0])
                _put(self.buffers, k, state.layers[1])
                for name, tensors in self.opt.state.items():
                    _put(tensors, k, state.buffers[name][0])
        self.opt.steps = states[0].steps if states else 0


@dataclass(frozen=True)
class WideFirst:
    """A module whose first layer is a ``Linear`` on the input: run as one wide product.

    Attributes
    ----------
    prefix : torch.nn.Module or None
        What comes before it and holds no parameters (a ``Flatten``), applied to the batch.
    weight, bias : str
        The layer's parameter names (``bias`` empty when it has none).
    rest : torch.nn.Module
        The layers after it (on the meta device; parameter names as in the module).
    """

    prefix: object
    weight: str
    bias: str
    rest: object


def wide_first_layer(module):
    """The :class:`WideFirst` of an ``nn.Sequential`` that starts (after parameter-free
    ``Flatten`` layers) with an ``nn.Linear``; None for any other module."""
    if not isinstance(module, torch.nn.Sequential):
        return None
    children = list(module.named_children())
    position = 0
    while position < len(children) and isinstance(children[position][1], torch.nn.Flatten):
        position += 1
    if position >= len(children) - 1 or type(children[position][1]) is not torch.nn.Linear:
        return None
    name, linear = children[position]
    prefix = module[:position] if position else None
    rest = copy.deepcopy(module[position + 1 :]).to("meta")
    return WideFirst(
        prefix=prefix,
        weight=f"{name}.weight",
        bias=f"{name}.bias" if linear.bias is not None else "",
        rest=rest,
    )


def _host(tensors, p):
    return tuple(t[p].detach().cpu().numpy().copy() for t in tensors.values())


def _put(tensors, k, arrays):
    if len(arrays) != len(tensors):
        raise ValueError(
            f"a saved model has {len(arrays)} tensors where the module has {len(tensors)}"
        )
    for t, a in zip(tensors.values(), arrays):
        if tuple(a.shape) != tuple(t.shape[1:]):
            raise ValueError(
                f"a saved tensor of shape {a.shape} where the module has {tuple(t.shape[1:])}"
            )
        t[k] = torch.as_tensor(a).to(t.device, t.dtype)


def _chunks(X):
    return range(0, X.shape[0], EVAL_CHUNK)


def _rng_state(device):
    """The random state a module on ``device`` draws from (the CPU's, and the GPU's)."""
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return torch.get_rng_state(), cuda


def _set_rng_state(state, device):
    torch.set_rng_state(state[0])
    if state[1] is not None:
        torch.cuda.set_rng_state(state[1], device)


def _cuda(tensor):
    return [tensor.device] if tensor.device.type == "cuda" else []


def _name(module):
    return type(module).__qualname__
