"""The fused trainer's update rules: SGD with momentum and Adam over a whole grid at once.

Each rule updates every parameter of a :class:`~parsearch.nets.fused.FusedNet` (one flat
buffer holding all K models) with each model's own hyperparameters, and follows the
arithmetic of ``torch.optim.SGD`` and ``torch.optim.Adam`` (L2 weight decay added to the
gradient). A per-model hyperparameter is a :class:`PerModel`: one float when every model
shares it, else a tensor that broadcasts one value per model over the parameters.

The layer-1 weight gradient ``dZ1 @ Xb`` (H, D), by far the largest, is not in the net's
gradient buffer: ``FusedNet.backward`` returns ``dZ1`` and each rule's ``step`` runs the
product where it wants the result. SGD accumulates it straight into its momentum buffer
(``buf = momentum * buf + dZ1 @ Xb``), which saves two passes over (H, D); Adam writes it
to ``grads["W1"]``.
"""

from __future__ import annotations

import math

import torch

from parsearch.nets import gemm
from parsearch.nets.params import OPTIMIZERS

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


class PerModel:
    """One hyperparameter of every model of a fused net: a shared float, or a tensor.

    When all models share the value it is a Python float, so the update costs a scalar
    operation (and a zero weight decay costs nothing); otherwise it is a tensor holding
    each model's value at every element it applies to, shaped to broadcast against the
    parameters it scales: (n,) over (a slice of) the flat buffer, or (H, 1) over ``W1``.

    Parameters
    ----------
    value : float or Tensor
        The shared value, or the per-element values.
    """

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    @classmethod
    def of(cls, values, spread, shareable=True):
        """Build from one value per model (layout order).

        Parameters
        ----------
        values : list of float
            One value per model.
        spread : callable
            Turns ``values`` into the per-element tensor: ``FusedNet.per_element`` or
            ``FusedNet.per_row``.
        shareable : bool
            Keep a value common to all models as a float (False: always a tensor, which
            ``zero_models_`` needs).
        """
        if shareable and len(set(values)) == 1:
            return cls(float(values[0]))
        return cls(spread(values))

    @property
    def shared(self):
        """Whether every model has the same value (held as a float)."""
        return not isinstance(self.value, torch.Tensor)

    def part(self, index, shape=None):
        """The values for ``tensor[index]`` of the tensor this one spans (viewed as ``shape``)."""
        if self.shared:
            return self
        part = self.value[index]
        return PerModel(part if shape is None else part.view(shape))

    def __neg__(self):
        return PerModel(-self.value)

    def scale_(self, tensor):
        """``tensor *= self`` in place; returns ``tensor``."""
        return tensor.mul_(self.value)

    def add_scaled_(self, out, tensor, alpha=1.0):
        """``out += alpha * self * tensor`` in place; returns ``out``.

        A shared zero does nothing (a weight decay of 0 costs no pass over ``out``).
        """
        if not self.shared:
            return out.addcmul_(tensor, self.value, value=alpha)
        if self.value:
            out.add_(tensor, alpha=self.value * alpha)
        return out

    def zero_models_(self, mask):
        """Set the value to zero where ``mask`` is true (for frozen models)."""
        if self.shared:
            raise TypeError("a value shared by all models cannot be zeroed for some of them")
        self.value.masked_fill_(mask, 0)


class SGD:
    """SGD with momentum and L2 weight decay, per-model hyperparameters.

    Every model gets ``buf = momentum * buf + grad + weight_decay * param`` and then
    ``param -= lr * buf``, as with ``torch.optim.SGD``. Layer 1's weights add the weight
    decay after the product that brings their gradient into ``buf``, the other
    parameters add it to their gradient first: the same sum, rounded in another order.

    Parameters
    ----------
    net : FusedNet
        The parameters, their gradients and each model's hyperparameters.
    """

    def __init__(self, net):
        self.net = net
        n1 = net.w1_size
        shape = net.params["W1"].shape  # (H, D)
        lr = [h.lr for h in net.hypers]
        mu = [h.momentum for h in net.hypers]
        wd = [h.weight_decay for h in net.hypers]
        weight_decay = PerModel.of(wd, net.per_element)
        # Layer 1's weights (H, D): its momentum and learning rate are one value per row.
        self.neg_lr_w1 = -PerModel.of(lr, net.per_row, shareable=False)  # (H, 1)
        self.momentum_w1 = PerModel.of(mu, net.per_row)  # (H, 1)
        self.weight_decay_w1 = weight_decay.part(slice(None, n1), shape)  # (H, D)
        # Everything else: one value per element of the flat buffer after W1.
        self.neg_lr_rest = -PerModel.of(lr, net.per_element, shareable=False).part(slice(n1, None))
        self.momentum_rest = PerModel.of(mu, net.per_element).part(slice(n1, None))
        self.weight_decay_rest = weight_decay.part(slice(n1, None))
        self.buf = torch.zeros_like(net.flat)  # the momentum buffer, laid out as net.flat
        self.buf_w1 = self.buf[:n1].view(shape)  # (H, D)
        self.w1 = net.params["W1"]  # (H, D)
        self.param_rest, self.grad_rest = net.flat[n1:], net.grad_flat[n1:]
        self.buf_rest = self.buf[n1:]
        self.steps = 0  # updates so far (carried with the models; Adam's bias correction)

    def step(self, Xb, dz1):
        """Update every model from the last backward pass.

        Parameters
        ----------
        Xb : Tensor
            The batch (B, D).
        dz1 : Tensor
            Gradient of the losses with respect to layer 1's pre-activations (H, B), as
            ``FusedNet.backward`` returned it; the other gradients are in ``net.grads``.
        """
        onednn = self.net.onednn
        self.steps += 1
        # Layer 1. Its weight gradient goes straight into the momentum buffer, by the
        # gradient's own matrix product: buf = momentum * buf + dZ1 @ Xb  (H, D).
        if self.momentum_w1.shared:  # the product scales buf itself
            gemm.accumulate_mm_t(self.buf_w1, dz1, Xb.T, self.momentum_w1.value, onednn)
        elif onednn:  # one pass: buf = product + momentum * buf, the product a temporary
            gemm.accumulate_mm_t_rows(self.buf_w1, dz1, Xb.T, self.momentum_w1.value)
        else:
            self.momentum_w1.scale_(self.buf_w1)  # per-row momentum first, then add
            gemm.accumulate_mm_t(self.buf_w1, dz1, Xb.T, 1.0, onednn)
        self.weight_decay_w1.add_scaled_(self.buf_w1, self.w1)  # buf += wd * W1
        self.neg_lr_w1.add_scaled_(self.w1, self.buf_w1)  # W1 -= lr * buf
        # The rest, whose gradients backward wrote to grad_flat.
        param, grad, buf = self.param_rest, self.grad_rest, self.buf_rest
        self.weight_decay_rest.add_scaled_(grad, param)  # grad += wd * param
        self.momentum_rest.scale_(buf).add_(grad)  # buf = momentum * buf + grad
        self.neg_lr_rest.add_scaled_(param, buf)  # param -= lr * buf

    def buffers(self):
        """The state to carry when models move to another fused net: name -> flat buffer.

        Each buffer is laid out as ``net.flat`` (see ``FusedNet.views_in``).
        """
        return {"momentum": self.buf}

    def freeze(self, elements, rows):
        """Zero the momentum and learning rates of some models.

        Parameters
        ----------
        elements : Tensor
            Bool mask over the flat buffer: the models' elements.
        rows : Tensor
            Bool mask (H, 1) over the rows of ``W1``: the models' rows.
        """
        self.buf.masked_fill_(elements, 0)
        self.neg_lr_w1.zero_models_(rows)
        self.neg_lr_rest.zero_models_(elements[self.net.w1_size :])


class Adam:
    """Adam (betas ``ADAM_BETAS``, epsilon ``ADAM_EPS``) with L2 weight decay, per-model.

    Parameters
    ----------
    net : FusedNet
        The parameters, their gradients and each model's hyperparameters.
    """

    def __init__(self, net):
        self.net = net
        self.neg_lr = -PerModel.of([h.lr for h in net.hypers], net.per_element, shareable=False)
        self.weight_decay = PerModel.of([h.weight_decay for h in net.hypers], net.per_element)
        self.m = torch.zeros_like(net.flat)  # first moment, laid out as net.flat
        self.v = torch.zeros_like(net.flat)  # second moment
        self.steps = 0

    def step(self, Xb, dz1):
        """Update every model from the last backward pass (see ``SGD.step``)."""
        net = self.net
        gemm.accumulate_mm_t(net.grads["W1"], dz1, Xb.T, 0.0, net.onednn)  # dZ1 @ Xb (H, D)
        param, grad = net.flat, net.grad_flat
        self.weight_decay.add_scaled_(grad, param)  # grad += wd * param
        self.steps += 1
        b1, b2 = ADAM_BETAS
        self.m.lerp_(grad, 1 - b1)
        self.v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
        bias1 = 1 - b1**self.steps
        bias2_sqrt = math.sqrt(1 - b2**self.steps)
        denom = self.v.sqrt().div_(bias2_sqrt).add_(ADAM_EPS)
        self.neg_lr.add_scaled_(param, self.m.div(denom), alpha=1 / bias1)  # param -= lr * ...

    def buffers(self):
        """The moments, laid out as ``net.flat`` (see ``SGD.buffers``)."""
        return {"m": self.m, "v": self.v}

    def freeze(self, elements, rows):
        """Zero the moments and learning rates of some models (see ``SGD.freeze``)."""
        self.m.masked_fill_(elements, 0)
        self.v.masked_fill_(elements, 0)
        self.neg_lr.zero_models_(elements)


def make_optimizer(name, net):
    """The update rule ``name`` (one of ``OPTIMIZERS``) over ``net``'s parameters.

    Raises
    ------
    ValueError
        For another name.
    """
    rules = {"sgd": SGD, "adam": Adam}
    if name not in rules:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}.")
    return rules[name](net)
