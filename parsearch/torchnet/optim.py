"""Per-model SGD, Adam and AdamW over stacked parameters, in torch.optim's arithmetic.

A fused run holds each parameter of K models as one tensor with a leading model axis
(``torch.func.stack_module_state``). ``torch.optim`` takes one learning rate per
parameter group, so the update is our own: the same operations as
``torch.optim.SGD``/``Adam``/``AdamW`` (single-tensor, no AMSGrad) with each
hyperparameter a :class:`PerModel`, a float when every model shares it, else one value
per model broadcast over that model's slice (the ``parsearch.nets.optim.PerModel`` idea
on the stacked layout).
"""

from __future__ import annotations

import math

import torch


class PerModel:
    """One hyperparameter of K models: a shared float, or a (K,) tensor.

    Parameters
    ----------
    values : list of float
        One value per model.
    like : Tensor
        A stacked parameter: the float type and device of the tensor.
    """

    __slots__ = ("device", "dtype", "value")

    def __init__(self, values, like):
        self.dtype, self.device = like.dtype, like.device
        if len(set(values)) == 1:
            self.value = float(values[0])
        else:
            self.value = torch.tensor(values, dtype=like.dtype, device=like.device)

    @property
    def shared(self):
        """Whether every model has the same value (held as a float)."""
        return not isinstance(self.value, torch.Tensor)

    def on(self, tensor):
        """The value shaped to broadcast over a stacked tensor (K, ...)."""
        if self.shared:
            return self.value
        return self.value.view(-1, *([1] * (tensor.dim() - 1)))

    def nonzero(self):
        """Whether some model's value is not zero (read once per run: it syncs a device)."""
        return bool(self.value) if self.shared else bool((self.value != 0).any())

    def map(self, fn):
        """A new value ``fn(value)`` (elementwise)."""
        new = object.__new__(PerModel)
        new.dtype, new.device = self.dtype, self.device
        new.value = fn(self.value)
        return new

    def zero_models_(self, models):
        """Zero the value of some models (bool (K,) tensor); a shared value becomes a tensor."""
        if self.shared:
            self.value = torch.full(models.shape, self.value, dtype=self.dtype, device=self.device)
        self.value = self.value.masked_fill(models.to(self.device), 0)


class SGD:
    """``torch.optim.SGD`` (momentum, Nesterov, L2 weight decay, no dampening), per model.

    ``g = grad + weight_decay * p``; ``buf = momentum * buf + g`` (``buf = g`` at the first
    step, which a zero buffer gives exactly); ``g = g + momentum * buf`` with Nesterov,
    else ``g = buf``; ``p -= lr * g``.

    Parameters
    ----------
    params : dict
        Name -> stacked parameter (K, ...), updated in place.
    hypers : list of dict
        Each model's ``lr``, ``momentum``, ``weight_decay``, and the shared ``nesterov``.
    """

    def __init__(self, params, hypers):
        like = next(iter(params.values()))
        self.params = params
        self.lr = PerModel([h["lr"] for h in hypers], like)
        self.momentum = PerModel([h["momentum"] for h in hypers], like)
        self.weight_decay = PerModel([h["weight_decay"] for h in hypers], like)
        self.nesterov = bool(hypers[0]["nesterov"])
        self.state = {"momentum": {n: torch.zeros_like(p) for n, p in params.items()}}
        self.steps = 0
        self.use_momentum = self.momentum.nonzero()
        self.decay = self.weight_decay.nonzero()

    @torch.no_grad()
    def step(self, grads):
        """Update every model from its gradients (name -> (K, ...))."""
        self.steps += 1
        use_momentum, decay = self.use_momentum, self.decay
        for name, p in self.params.items():
            g = grads[name]
            if decay:
                g = _plus_product(g, p, self.weight_decay)  # g + wd * p
            if use_momentum:
                buf = self.state["momentum"][name]
                if self.momentum.shared:
                    buf.mul_(self.momentum.value).add_(g)
                else:
                    torch.addcmul(g, buf, self.momentum.on(p), out=buf)  # g + mu * buf
                g = _plus_product(g, buf, self.momentum) if self.nesterov else buf
            _plus_product(p, g, self.lr, -1.0, inplace=True)  # p - lr * g

    def freeze(self, models):
        """Zero the state and learning rate of some models (bool (K,) tensor)."""
        self.lr.zero_models_(models)
        for tensors in self.state.values():
            for t in tensors.values():
                t[models] = 0


def _plus_product(a, b, scale, sign=1.0, inplace=False):
    """``a + sign * scale * b`` (in place into ``a`` when ``inplace``), one pass: the
    rounding of ``torch.optim``'s ``a.add(b, alpha=sign * scale)``."""
    if scale.shared:
        return (
            a.add_(b, alpha=sign * scale.value) if inplace else a.add(b, alpha=sign * scale.value)
        )
    if inplace:
        return a.addcmul_(b, scale.on(b), value=sign)
    return torch.addcmul(a, b, scale.on(b), value=sign)


class Adam:
    """``torch.optim.Adam`` (L2 weight decay) or ``AdamW`` (decoupled), per model.

    Parameters
    ----------
    params : dict
        Name -> stacked parameter (K, ...), updated in place.
    hypers : list of dict
        Each model's ``lr``, ``betas``, ``weight_decay``, and the shared ``eps``.
    decoupled : bool
        AdamW: ``p *= 1 - lr * weight_decay`` before the step, instead of adding
        ``weight_decay * p`` to the gradient.
    """

    def __init__(self, params, hypers, decoupled=False):
        like = next(iter(params.values()))
        self.params, self.decoupled = params, decoupled
        self.lr = PerModel([h["lr"] for h in hypers], like)
        self.beta1 = PerModel([float(h["betas"][0]) for h in hypers], like)
        self.beta2 = PerModel([float(h["betas"][1]) for h in hypers], like)
        self.weight_decay = PerModel([h["weight_decay"] for h in hypers], like)
        self.eps = float(hypers[0]["eps"])
        self.decay = self.weight_decay.nonzero()
        self.state = {
            "exp_avg": {n: torch.zeros_like(p) for n, p in params.items()},
            "exp_avg_sq": {n: torch.zeros_like(p) for n, p in params.items()},
        }
        self.steps = 0

    @torch.no_grad()
    def step(self, grads):
        """Update every model from its gradients (name -> (K, ...))."""
        self.steps += 1
        step, decay = self.steps, self.decay
        bias1 = self.beta1.map(lambda b: 1 - b**step)
        bias2_sqrt = self.beta2.map(
            lambda b: math.sqrt(1 - b**step) if isinstance(b, float) else (1 - b**step).sqrt()
        )
        for name, p in self.params.items():
            g = grads[name]
            if decay and self.decoupled:
                p.mul_(1 - self.lr.on(p) * self.weight_decay.on(p))
            elif decay:
                g = g.add(p * self.weight_decay.on(p))
            m, v = self.state["exp_avg"][name], self.state["exp_avg_sq"][name]
            m.lerp_(g, 1 - self.beta1.on(p))
            if self.beta2.shared:  # torch.optim's own operations where the models share it
                v.mul_(self.beta2.value).addcmul_(g, g, value=1 - self.beta2.value)
            else:
                v.mul_(self.beta2.on(p)).add_(g * g * (1 - self.beta2.on(p)))
            denom = (v.sqrt() / bias2_sqrt.on(p)).add_(self.eps)
            step_size = self.lr.on(p) / bias1.on(p)
            if isinstance(step_size, float):
                p.addcdiv_(m, denom, value=-step_size)
            else:
                p.sub_(m / denom * step_size)

    def freeze(self, models):
        """Zero the moments and learning rate of some models (bool (K,) tensor)."""
        SGD.freeze(self, models)


def make_optimizer(name, params, hypers):
    """The update rule ``name`` (``"sgd"``, ``"adam"``, ``"adamw"``) over stacked ``params``."""
    if name == "sgd":
        return SGD(params, hypers)
    if name in ("adam", "adamw"):
        return Adam(params, hypers, decoupled=name == "adamw")
    raise ValueError(f"optimizer must be 'sgd', 'adam' or 'adamw', got {name!r}.")


def torch_optimizer(params, parameters):
    """The ``torch.optim`` optimizer a plain loop builds for one configuration."""
    name = params["optimizer"]
    if name == "sgd":
        return torch.optim.SGD(
            parameters,
            lr=params["lr"],
            momentum=params["momentum"],
            weight_decay=params["weight_decay"],
            nesterov=bool(params["nesterov"]),
        )
    kind = torch.optim.Adam if name == "adam" else torch.optim.AdamW
    return kind(
        parameters,
        lr=params["lr"],
        betas=tuple(float(b) for b in params["betas"]),
        eps=params["eps"],
        weight_decay=params["weight_decay"],
    )
