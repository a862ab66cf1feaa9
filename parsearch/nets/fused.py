"""The fused trainer: many small MNIST networks trained at once as one batched model.

K configurations that differ only in fusable hyperparameters (learning rate, width,
momentum, weight decay) train together: every model sees the same minibatches, and
each gets exactly the update it would get alone (up to floating point rounding). The
layout that makes this fast:

- Layer 1 of every model reads the same input batch, so the first layers of all K
  models are one wide matrix ``W1`` of shape (H, D) with H the sum of the widths, and
  the forward pass is one matrix product ``W1 @ Xb.T`` (H, B) for the whole grid.
  Its weight gradient is again one product ``dZ1 @ Xb`` (H, D); layer 1 needs no
  input gradient. These two products are most of the work; ``parsearch.nets.gemm`` runs
  them on oneDNN on x86-64 CPUs in float32, else on ``torch.mm``.
- Later layers are batched per width: models of equal width form a group whose
  weights have a leading model axis, trained with ``bmm``.
- Activations are kept "transposed", features x batch, so that every model's slice of
  the wide layer-1 output is a contiguous (K_g, h, B) block: no copies between layers.
- Gradients are hand-written (a 1.3-1.8x gain over autograd for these nets) and
  land in one flat buffer, so that the optimizer update for the whole grid is a few
  element-wise operations with per-model hyperparameters (``parsearch.nets.optim``).
  The one exception is the layer-1 weight gradient: ``backward`` returns ``dZ1`` and
  the update rule runs ``dZ1 @ Xb`` itself, SGD straight into its momentum buffer.

One training step is ``_train_step``: forward, loss, gradient of the logits, backward,
update. Models never mix: every operation is row-wise or batched per model, so a model
whose loss, weights or outputs (for the validation set, or else for a training batch)
turn NaN or infinite does not touch the others; it is frozen (zeroed, its learning rate
set to zero) at the end of the epoch and reported as diverged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from parsearch.fused.live import LiveRun, RunData
from parsearch.nets import gemm, optim
from parsearch.nets.memory import heap_for_large_temporaries
from parsearch.nets.params import OPTIMIZERS

EVAL_CHUNK = 2048


@dataclass(frozen=True)
class TrainSpec:
    """Settings shared by every model of a fused chunk (the non-fusable ones).

    Attributes
    ----------
    depth : int
        Number of hidden layers (0 = multinomial logistic regression).
    epochs : int
        Passes over the training data.
    batch_size : int
        Minibatch size.
    optimizer : {"sgd", "adam"}
        Update rule (SGD with momentum, or Adam).
    seed : int
        Seed of the initial weights and of the batch order.
    dtype : torch.dtype
        Floating point type of the training.
    device : torch.device
        Where the training runs.
    """

    depth: int
    epochs: int
    batch_size: int
    optimizer: str
    seed: int
    dtype: torch.dtype
    device: torch.device


@dataclass(frozen=True)
class ModelHyper:
    """Per-model (fusable) hyperparameters."""

    lr: float
    width: int
    momentum: float = 0.0
    weight_decay: float = 0.0


def layer_sizes(n_features, width, depth, n_classes):
    """Return the (out, in) shapes of a network's layers, input to output."""
    sizes = [n_features] + [width] * depth + [n_classes]
    return [(sizes[i + 1], sizes[i]) for i in range(len(sizes) - 1)]


def init_layers(n_features, width, depth, n_classes, seed):
    """Initial weights of one network, as ``torch.nn.Linear`` draws them.

    Every weight and bias is uniform in ±1/sqrt(fan_in), drawn in float32 on the CPU
    from a generator seeded with ``seed``, layer by layer (weight, then bias), so the
    same seed gives the same network on every device and in every fused chunk.

    Returns
    -------
    list of (Tensor, Tensor)
        Weight (out, in) and bias (out,) of each layer.
    """
    gen = torch.Generator().manual_seed(int(seed))
    layers = []
    for fan_out, fan_in in layer_sizes(n_features, width, depth, n_classes):
        bound = 1.0 / math.sqrt(fan_in)
        weight = torch.rand(fan_out, fan_in, generator=gen).mul_(2 * bound).sub_(bound)
        bias = torch.rand(fan_out, generator=gen).mul_(2 * bound).sub_(bound)
        layers.append((weight, bias))
    return layers


def model_bytes(n_features, width, depth, n_classes, batch_size, optimizer, itemsize=4):
    """Estimate the memory one model takes in a fused chunk, in bytes.

    Counts parameters with their gradient, hyperparameter and optimizer buffers, and
    the activations of a training batch and of an evaluation chunk.
    """
    n_params = sum(o * i + o for o, i in layer_sizes(n_features, width, depth, n_classes))
    buffers = 5 if optimizer == "adam" else 4
    activations = 2 * (batch_size + EVAL_CHUNK) * (width * depth + n_classes)
    return itemsize * (buffers * n_params + activations)


class FusedNet:
    """The parameters of K networks laid out for fused training.

    Models are ordered by width so that models of equal width are contiguous; the
    order of ``hypers`` is kept in ``order`` to map results back.

    Parameters
    ----------
    n_features, n_classes : int
        Input and output sizes.
    hypers : list of ModelHyper
        Per-model hyperparameters.
    spec : TrainSpec
        Shared settings.
    init : bool
        Load the seeded initial weights (False leaves zeros, to be set by the caller).
    """

    def __init__(self, n_features, n_classes, hypers, spec, init=True):
        self.n_features = n_features
        self.n_classes = n_classes
        self.spec = spec
        self.order = sorted(range(len(hypers)), key=lambda k: hypers[k].width)
        self.hypers = [hypers[k] for k in self.order]
        self.depth = spec.depth
        widths = [h.width for h in self.hypers] if spec.depth else [n_classes] * len(hypers)
        # Width groups: (first model, number of models, width).
        self.groups = []
        for k, w in enumerate(widths):
            if self.groups and self.groups[-1][2] == w:
                first, count, _ = self.groups[-1]
                self.groups[-1] = (first, count + 1, w)
            else:
                self.groups.append((k, 1, w))
        self.row_offsets = np.concatenate([[0], np.cumsum(widths)]).tolist()
        self.onednn = gemm.use_onednn(spec.dtype, spec.device)  # layer-1 products
        self._allocate(widths)
        if init:
            self._load_initial_weights()

    # --- layout -----------------------------------------------------------------------

    def _allocate(self, widths):
        """Lay every parameter out as a view of one flat buffer."""
        K, D, C = len(self.hypers), self.n_features, self.n_classes
        H = int(sum(widths))
        shapes = {"W1": (H, D), "b1": (H,)}
        for g, (_, count, w) in enumerate(self.groups):
            for layer in range(2, self.depth + 1):
                shapes[f"W{layer}_{g}"] = (count, w, w)  # (K_g, h_out, h_in)
                shapes[f"b{layer}_{g}"] = (count, w)
            if self.depth:
                shapes[f"Wo_{g}"] = (count, C, w)  # (K_g, C, h)
                shapes[f"bo_{g}"] = (count, C)
        total = sum(math.prod(s) for s in shapes.values())
        opts = {"dtype": self.spec.dtype, "device": self.spec.device}
        self.flat = torch.zeros(total, **opts)
        self.grad_flat = torch.zeros(total, **opts)
        self.model_of = torch.empty(total, dtype=torch.long)  # model index per element
        self.layout = {}  # name -> (offset, shape) in the flat buffer
        offset = 0
        for name, shape in shapes.items():
            size = math.prod(shape)
            self.layout[name] = (offset, shape)
            self.model_of[offset : offset + size] = self._owners(name, shape).reshape(-1)
            offset += size
        self.params, self.grads = self.views_in(self.flat), self.views_in(self.grad_flat)
        self.n_models = K
        self.w1_size = math.prod(shapes["W1"])
        self.row_model = self.model_of[: self.w1_size].view(shapes["W1"])[:, 0].clone()

    def _owners(self, name, shape):
        """Model index of each element of parameter ``name`` (CPU tensor of ``shape``)."""
        if name in ("W1", "b1"):
            rows = torch.repeat_interleave(
                torch.arange(len(self.hypers)),
                torch.tensor(np.diff(self.row_offsets), dtype=torch.long),
            )
            return rows.view(-1, *([1] * (len(shape) - 1))).expand(shape)
        group = int(name.rsplit("_", 1)[1])
        first, count, _ = self.groups[group]
        models = torch.arange(first, first + count)
        return models.view(-1, *([1] * (len(shape) - 1))).expand(shape)

    def per_element(self, values):
        """Broadcast one value per model to every element of the flat buffer."""
        per_model = torch.tensor(values, dtype=self.spec.dtype)
        return per_model[self.model_of].to(self.spec.device)

    def per_row(self, values):
        """One value per model, broadcast to the rows of ``W1``: shape (H, 1)."""
        per_model = torch.tensor(values, dtype=self.spec.dtype)
        return per_model[self.row_model][:, None].to(self.spec.device)

    def _load_initial_weights(self):
        cache = {}
        for k, hyper in enumerate(self.hypers):
            key = hyper.width
            if key not in cache:
                cache[key] = init_layers(
                    self.n_features, hyper.width, self.depth, self.n_classes, self.spec.seed
                )
            self.set_model_layers(k, cache[key])

    # --- per-model access ---------------------------------------------------------------

    def views_in(self, flat):
        """Every parameter's view of a buffer laid out as ``flat``: name -> tensor."""
        return {
            name: flat[offset : offset + math.prod(shape)].view(shape)
            for name, (offset, shape) in self.layout.items()
        }

    def _model_views(self, k, tensors=None):
        """Views of model k's (weight, bias) pairs, input layer first.

        ``tensors`` are the views of another buffer laid out as the parameters (an
        optimizer's momentum, say; see ``views_in``); by default the parameters.
        """
        p = self.params if tensors is None else tensors
        rows = slice(self.row_offsets[k], self.row_offsets[k + 1])
        views = [(p["W1"][rows], p["b1"][rows])]
        if self.depth == 0:
            return views
        g, j = self._group_of(k)
        for layer in range(2, self.depth + 1):
            views.append((p[f"W{layer}_{g}"][j], p[f"b{layer}_{g}"][j]))
        views.append((p[f"Wo_{g}"][j], p[f"bo_{g}"][j]))
        return views

    def _group_of(self, k):
        for g, (first, count, _) in enumerate(self.groups):
            if first <= k < first + count:
                return g, k - first
        raise IndexError(k)

    def set_model_layers(self, k, layers, tensors=None):
        """Copy (weight, bias) pairs into model k (in layout order).

        ``tensors``: the views of another buffer laid out as the parameters (see
        ``views_in``) to copy into instead.
        """
        for (w_view, b_view), (w, b) in zip(self._model_views(k, tensors), layers):
            w_view.copy_(torch.as_tensor(w))
            b_view.copy_(torch.as_tensor(b))

    def nonfinite_models(self):
        """Which models hold a NaN or infinite parameter: bool array (K,), in layout order.

        One pass over the parameters and one host sync; the models are looked up only
        when there is something to find.
        """
        bad = np.zeros(self.n_models, dtype=bool)
        finite = torch.isfinite(self.flat)
        if bool(finite.all()):
            return bad
        bad[np.unique(self.model_of[~finite.cpu()].numpy())] = True
        return bad

    def model_layers(self, k, tensors=None):
        """Model k's (weight, bias) pairs as host numpy arrays (layout order).

        ``tensors``: the views of another buffer laid out as the parameters (see
        ``views_in``) to read instead.
        """
        return [
            (w.detach().cpu().numpy().copy(), b.detach().cpu().numpy().copy())
            for w, b in self._model_views(k, tensors)
        ]

    def model_masks(self, models):
        """Where the given models live: bool masks over the flat buffer and the rows of ``W1``.

        Parameters
        ----------
        models : list of int
            Models, in layout order.

        Returns
        -------
        (Tensor, Tensor)
            A mask (n,) over ``flat`` and a mask (H, 1) over the rows of ``W1``, on the
            parameters' device.
        """
        device = self.flat.device
        models = torch.tensor(models)
        elements = torch.isin(self.model_of, models).to(device)
        rows = torch.isin(self.row_model, models).to(device)[:, None]  # (H, 1)
        return elements, rows

    # --- forward and backward -------------------------------------------------------------

    def forward(self, Xb):
        """Logits of every model for a batch: (K, C, B) from inputs (B, D)."""
        return self.forward_with_activations(Xb)[0]

    def forward_with_activations(self, Xb):
        """Logits of every model for a batch, and the activations ``backward`` needs.

        Parameters
        ----------
        Xb : Tensor
            Input batch (B, D).

        Returns
        -------
        logits : Tensor
            (K, C, B).
        acts : list
            ``acts[0]`` is the ReLU output of layer 1 of every model (H, B); ``acts[1 + g]``
            lists the outputs of layers 2..depth of width group g, each (K_g, h, B). Empty
            for depth 0.
        """
        p = self.params
        B = Xb.shape[0]
        z1 = gemm.linear_t(p["W1"], Xb, p["b1"], self.onednn)  # (H, B)
        if self.depth == 0:
            return z1.view(self.n_models, self.n_classes, B), []  # (K, C, B)
        z1.clamp_min_(0)  # ReLU in place: (H, B) activations of every model
        logits = torch.empty(self.n_models, self.n_classes, B, dtype=Xb.dtype, device=Xb.device)
        acts = [z1]
        for g, (first, count, w) in enumerate(self.groups):
            rows = slice(self.row_offsets[first], self.row_offsets[first + count])
            a = z1[rows].view(count, w, B)  # (K_g, h, B)
            group_acts = []
            for layer in range(2, self.depth + 1):
                a = torch.baddbmm(p[f"b{layer}_{g}"][:, :, None], p[f"W{layer}_{g}"], a)
                a.clamp_min_(0)  # (K_g, h, B)
                group_acts.append(a)
            torch.baddbmm(
                p[f"bo_{g}"][:, :, None], p[f"Wo_{g}"], a, out=logits[first : first + count]
            )  # (K_g, C, B)
            acts.append(group_acts)
        return logits, acts

    def backward(self, acts, dlogits):
        """Write the gradients of the per-model mean losses into ``grads``, but layer 1's weight's.

        The layer-1 weight gradient is ``dZ1 @ Xb`` (H, D), the largest product of the step;
        it is left to the update rule (see ``parsearch.nets.optim``), which puts it where
        it needs it. ``backward`` returns ``dZ1``.

        Parameters
        ----------
        acts : list
            The activations from ``forward_with_activations`` for this batch.
        dlogits : Tensor
            Gradient of each model's loss with respect to its logits (K, C, B).

        Returns
        -------
        Tensor
            Gradient with respect to layer 1's pre-activations, dZ1 (H, B).
        """
        p, gr = self.params, self.grads
        B = dlogits.shape[2]
        if self.depth == 0:
            dz1 = dlogits.view(-1, B)  # (K*C, B)
        else:
            z1 = acts[0]
            dz1 = torch.empty_like(z1)  # (H, B)
            for g, (first, count, w) in enumerate(self.groups):
                rows = slice(self.row_offsets[first], self.row_offsets[first + count])
                a_in = [z1[rows].view(count, w, B), *acts[g + 1]]  # inputs of layers 2..out
                d = dlogits[first : first + count]  # (K_g, C, B)
                torch.bmm(d, a_in[-1].transpose(1, 2), out=gr[f"Wo_{g}"])  # (K_g, C, h)
                torch.sum(d, dim=2, out=gr[f"bo_{g}"])
                weight = p[f"Wo_{g}"]
                for layer in range(self.depth, 1, -1):
                    a_out = a_in[layer - 1]  # output of this layer (K_g, h, B)
                    d = torch.bmm(weight.transpose(1, 2), d)  # (K_g, h, B)
                    torch.ops.aten.threshold_backward.grad_input(d, a_out, 0.0, grad_input=d)
                    torch.bmm(d, a_in[layer - 2].transpose(1, 2), out=gr[f"W{layer}_{g}"])
                    torch.sum(d, dim=2, out=gr[f"b{layer}_{g}"])
                    weight = p[f"W{layer}_{g}"]
                torch.bmm(weight.transpose(1, 2), d, out=dz1[rows].view(count, w, B))
            torch.ops.aten.threshold_backward.grad_input(dz1, z1, 0.0, grad_input=dz1)
        torch.sum(dz1, dim=1, out=gr["b1"])
        return dz1


def run_data(X, y, n_classes, spec, X_val=None, score=None, proba=True):
    """A fold's arrays as a ``RunData`` of tensors on ``spec``'s device in its float type."""
    device, dtype = spec.device, spec.dtype
    return RunData(
        X=torch.as_tensor(X).to(device=device, dtype=dtype),
        y=torch.as_tensor(y).to(device=device, dtype=torch.long),
        n_classes=n_classes,
        X_val=None if X_val is None else torch.as_tensor(X_val).to(device=device, dtype=dtype),
        score=score,
        proba=proba,
    )


class MLPModels:
    """The MLP engine's side of a live run (``parsearch.engine.FusedModels``).

    The lifecycle (epochs, divergence freezing, scores, states) is
    ``parsearch.fused.live.LiveRun``'s; this is the layout and the math: a
    :class:`FusedNet`, its update rule, and the run's data.

    Parameters
    ----------
    net : FusedNet
        The models.
    opt : parsearch.nets.optim.SGD or parsearch.nets.optim.Adam
        Their update rule.
    data : parsearch.fused.live.RunData
        What they train on and are scored on.
    """

    def __init__(self, net, opt, data):
        self.net, self.opt, self.data = net, opt, data
        self._eye = torch.eye(data.n_classes, dtype=net.spec.dtype, device=net.spec.device)
        # Models whose weights give NaN or infinite outputs for these inputs have diverged.
        self._check = data.X_val if data.scoring else data.X[: net.spec.batch_size]

    @classmethod
    def start(cls, data, hypers, spec):
        """Models with their seeded initial weights, before the first epoch."""
        if spec.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {spec.optimizer!r}.")
        net = FusedNet(data.X.shape[1], data.n_classes, hypers, spec)
        return cls(net, optim.make_optimizer(spec.optimizer, net), data)

    @classmethod
    def from_states(cls, data, hypers, states, spec):
        """Models taken out of runs of the same ``spec`` and data (``ModelState``), with
        their hyperparameters."""
        net = FusedNet(data.X.shape[1], data.n_classes, hypers, spec, False)
        opt = optim.make_optimizer(spec.optimizer, net)
        buffers = {name: net.views_in(flat) for name, flat in opt.buffers().items()}
        for position, original in enumerate(net.order):
            state = states[original]
            net.set_model_layers(position, state.layers)
            for name, tensors in buffers.items():
                net.set_model_layers(position, state.buffers[name], tensors)
        opt.steps = states[0].steps if states else 0
        return cls(net, opt, data)

    @property
    def n_models(self):
        """Models in the run."""
        return self.net.n_models

    @property
    def order(self):
        """Layout position -> position of the model among the hypers given."""
        return self.net.order

    @property
    def n_samples(self):
        """Training samples."""
        return self.data.X.shape[0]

    @property
    def seed(self):
        """Seed of the batch order (and of the initial weights)."""
        return self.net.spec.seed

    @property
    def steps(self):
        """Optimizer steps taken."""
        return self.opt.steps

    def training(self):
        """While epochs run, glibc keeps each step's large temporaries in the heap."""
        return heap_for_large_temporaries()

    def train_epoch(self, order):
        """One epoch of every model; each model's mean training loss (one host sync)."""
        net, data = self.net, self.data
        loss_sum = _train_epoch(
            net, self.opt, data.X, data.y, self._eye, order, net.spec.batch_size
        )
        return (loss_sum / data.X.shape[0]).cpu().numpy()

    def nonfinite_models(self):
        """Which models hold a NaN or infinite parameter."""
        return self.net.nonfinite_models()

    def check_outputs(self, scoring, proba):
        """Validation outputs (when ``scoring``) and whether each model's were finite."""
        if scoring:
            return predict_outputs(self.net, self._check, proba=proba, with_finite=True)
        return None, finite_outputs(self.net, self._check)

    def freeze(self, models):
        """Zero the parameters, optimizer state and learning rates of ``models``."""
        _freeze(self.net, self.opt, models)

    def weights(self, p):
        """Model ``p``'s (weight, bias) pairs as host arrays."""
        return self.net.model_layers(p)

    def take(self, p):
        """Model ``p``'s weights and optimizer buffers, as host arrays."""
        buffers = {
            name: self.net.model_layers(p, self.net.views_in(flat))
            for name, flat in self.opt.buffers().items()
        }
        return self.net.model_layers(p), buffers


def train_fused(X, y, hypers, spec, n_classes, X_val=None, score=None, proba=True, on_epoch=None):
    """Train K networks at once on the same minibatches.

    Parameters
    ----------
    X : ndarray or Tensor
        Training inputs (n, D).
    y : ndarray or Tensor
        Encoded training labels in ``range(n_classes)``.
    hypers : list of ModelHyper
        Per-model hyperparameters; K = len(hypers).
    spec : TrainSpec
        Shared settings.
    n_classes : int
        Number of classes.
    X_val : ndarray or Tensor, optional
        Validation inputs, scored after every epoch with ``score``.
    score : callable, optional
        ``score(outputs)`` -> float for one model's validation outputs: probabilities
        (n_val, n_classes) when ``proba``, else predicted class indices (n_val,).
    proba : bool
        Whether ``score`` takes probabilities or class indices.
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, n_models)`` after each epoch.

    Returns
    -------
    list of parsearch.fused.live.FusedOutcome
        One per model, in the order of ``hypers``.
    """
    data = run_data(X, y, n_classes, spec, X_val=X_val, score=score, proba=proba)
    run = LiveRun.start(MLPModels.start(data, hypers, spec), data)
    run.train_to(spec.epochs, on_epoch)
    return run.results()


def _train_epoch(net, opt, X, y, eye, order, batch_size):
    """One pass over the training data in ``order``, in minibatches.

    Parameters
    ----------
    net : FusedNet
        The models.
    opt : parsearch.nets.optim.SGD or parsearch.nets.optim.Adam
        Their update rule.
    X, y : Tensor
        Training inputs (n, D) and labels (n,), on the models' device.
    eye : Tensor
        Identity matrix (C, C), whose rows are the one-hot labels.
    order : ndarray
        This epoch's order of the samples.
    batch_size : int
        Minibatch size.

    Returns
    -------
    Tensor
        Each model's summed training loss over the epoch (K,), on the device.
    """
    perm = torch.from_numpy(order).to(X.device)
    X_epoch = X.index_select(0, perm)  # (n, D), batches are slices
    y_epoch = y.index_select(0, perm)  # (n,)
    onehot = eye.index_select(0, y_epoch).T.contiguous()  # (C, n)
    loss_sum = torch.zeros(net.n_models, dtype=X.dtype, device=X.device)
    for start in range(0, X.shape[0], batch_size):
        batch = slice(start, start + batch_size)
        loss_sum.sub_(_train_step(net, opt, X_epoch[batch], y_epoch[batch], onehot[:, batch]))
    return loss_sum


def _train_step(net, opt, Xb, yb, onehot):
    """Train every model on one minibatch: forward, loss, dlogits, backward, update.

    Parameters
    ----------
    net : FusedNet
        The models.
    opt : parsearch.nets.optim.SGD or parsearch.nets.optim.Adam
        Their update rule.
    Xb : Tensor
        Inputs (B, D).
    yb : Tensor
        Labels (B,).
    onehot : Tensor
        The labels one-hot, classes x batch (C, B).

    Returns
    -------
    Tensor
        Each model's summed log-likelihood of the batch (K,): minus its summed loss.
    """
    K, nb = net.n_models, Xb.shape[0]
    logits, acts = net.forward_with_activations(Xb)  # (K, C, B)
    logp = torch.log_softmax(logits, dim=1)  # (K, C, B)
    picked = logp.gather(1, yb.view(1, 1, nb).expand(K, 1, nb))  # (K, 1, B): log p(label)
    # The gradient of each model's mean loss: (softmax - onehot) / B, in place over logp.
    dlogits = logp.exp_().sub_(onehot).div_(nb)  # (K, C, B)
    dz1 = net.backward(acts, dlogits)  # every gradient but layer 1's weight's; dZ1 (H, B)
    # The update computes layer 1's weight gradient dZ1 @ Xb itself: SGD straight into
    # its momentum buffer, buf = momentum * buf + dZ1 @ Xb (see optim.SGD.step).
    opt.step(Xb, dz1)
    return picked.sum(dim=(1, 2))


def _freeze(net, opt, models):
    """Zero the parameters, optimizer state and learning rates of ``models`` (bool (K,))."""
    if not models.any():
        return
    elements, rows = net.model_masks(np.flatnonzero(models).tolist())
    net.flat.masked_fill_(elements, 0)
    opt.freeze(elements, rows)


def _finite_per_model(logits):
    """Which models' logits (K, C, b) are all finite: a bool tensor (K,)."""
    return torch.isfinite(logits).flatten(1).all(dim=1)


@torch.no_grad()
def finite_outputs(net, X):
    """Which models of ``net`` give finite logits for every row of ``X``: bool array (K,)."""
    return _finite_per_model(net.forward(X)).cpu().numpy()


@torch.no_grad()
def predict_outputs(net, X, proba=True, with_finite=False):
    """Class probabilities (or labels) of every model of ``net`` for ``X``.

    Parameters
    ----------
    net : FusedNet
        The models.
    X : Tensor
        Inputs (n, D) on the models' device.
    proba : bool
        Probabilities, or else predicted class indices.
    with_finite : bool
        Also return which models gave finite logits for every input.

    Returns
    -------
    ndarray, or (ndarray, ndarray)
        (K, n, C) probabilities as float64, or (K, n) labels; with ``with_finite``, and
        a bool array (K,).
    """
    parts = []
    finite = torch.ones(net.n_models, dtype=torch.bool, device=X.device)
    for start in range(0, X.shape[0], EVAL_CHUNK):
        logits = net.forward(X[start : start + EVAL_CHUNK])  # (K, C, b)
        if with_finite:
            finite &= _finite_per_model(logits)
        if proba:
            parts.append(torch.softmax(logits, dim=1).transpose(1, 2).cpu())  # (K, b, C)
        else:
            parts.append(logits.max(dim=1).indices.cpu())  # (K, b); 20x faster than argmax
    out = torch.cat(parts, dim=1).numpy()
    if proba:
        out = out.astype(np.float64)
        out = out / out.sum(axis=-1, keepdims=True)  # rows sum to 1 in float64 too
    return (out, finite.cpu().numpy()) if with_finite else out
