"""``TorchClassifier``: any ``torch.nn.Module`` as a scikit-learn classifier.

Fitted alone it is exactly the loop a user writes: ``torch.manual_seed(seed)``, the
module built with its ``module__*`` parameters, a ``torch.optim`` optimizer, minibatches
in an order fixed by the seed (``parsearch.fused.live.batch_orders``), zero the
gradients, forward, loss, backward, step. In ``fit_grid`` its grids train fused
(``parsearch.torchnet.engine.TorchEngine``), each model getting the update it would get
here.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from parsearch._optional import import_optional
from parsearch.nets.classifier import NetClassifierMixin
from parsearch.torchnet.params import MODULE_PREFIX, check_torch_params

PREDICT_CHUNK = 4096


class TorchClassifier(NetClassifierMixin, ClassifierMixin, BaseEstimator):
    """A classifier of your own ``torch.nn.Module``, trained with SGD, Adam or AdamW.

    Parameters
    ----------
    module : type or callable
        An ``nn.Module`` class, or a module-level function returning a module, called
        with the ``module__*`` parameters (``module__hidden=100`` calls
        ``module(hidden=100)``). It gives one output per class (more are ignored), in
        the order of the sorted labels: log-probabilities with ``loss="nll"`` (a
        ``LogSoftmax`` last, as in the lesson), logits with ``loss="cross_entropy"``.
    lr : float, default=0.01
        Learning rate.
    epochs : int, default=3
        Passes over the training data.
    batch_size : int, default=64
        Minibatch size (the last batch of an epoch may be smaller).
    optimizer : {"sgd", "adam", "adamw"}, default="sgd"
        ``torch.optim.SGD``, ``Adam`` or ``AdamW``.
    momentum : float, default=0.0
        SGD's momentum.
    nesterov : bool, default=False
        SGD's Nesterov momentum.
    weight_decay : float, default=0.0
        L2 penalty (SGD, Adam) or decoupled weight decay (AdamW).
    betas : tuple of float, default=(0.9, 0.999)
        Adam's and AdamW's moment coefficients.
    eps : float, default=1e-8
        Adam's and AdamW's epsilon.
    loss : {"nll", "cross_entropy"}, default="nll"
        NLL of the module's log-probabilities, or cross-entropy of its logits.
    seed : int, default=0
        ``torch.manual_seed`` before the module is built (its initial weights, and the
        random numbers it draws in training), and the order of the minibatches.
    device : str, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU.
    dtype : {"float32", "float64"}, default="float32"
        Floating point type of the module and the data.
    **module__params
        ``module__*`` parameters, handed to ``module`` without the prefix.

    Attributes
    ----------
    module_ : torch.nn.Module
        The fitted module, in evaluation mode.
    classes_ : ndarray
        Class labels seen in ``fit``.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    diverged_ : bool
        Whether the training loss or a weight became NaN or infinite (training then
        stopped and the weights were zeroed).
    n_features_in_ : int
        ``X.shape[1]`` in ``fit`` (the channels of images).

    Notes
    -----
    ``X`` may be 2-D (the module reshapes, as the lesson's ``LogReg`` does) or images,
    say ``(n, 1, 28, 28)``. Lazy layers (``nn.LazyLinear``) are materialized by one
    forward of a training sample before the optimizer is built.
    """

    def __init__(
        self,
        module=None,
        *,
        lr=0.01,
        epochs=3,
        batch_size=64,
        optimizer="sgd",
        momentum=0.0,
        nesterov=False,
        weight_decay=0.0,
        betas=(0.9, 0.999),
        eps=1e-8,
        loss="nll",
        seed=0,
        device="auto",
        dtype="float32",
        **module__params,
    ):
        self.module = module
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.betas = betas
        self.eps = eps
        self.loss = loss
        self.seed = seed
        self.device = device
        self.dtype = dtype
        for name, value in module__params.items():
            if not name.startswith(MODULE_PREFIX):
                raise TypeError(
                    f"TorchClassifier got an unexpected keyword argument {name!r}; the "
                    f"module's own parameters take the prefix {MODULE_PREFIX!r}."
                )
            setattr(self, name, value)

    # --- parameters: the constructor's and the module__* ones -------------------------

    def get_params(self, deep=True):
        """The estimator's parameters, with every ``module__*`` one given."""
        params = super().get_params(deep=False)
        params.update({k: v for k, v in vars(self).items() if k.startswith(MODULE_PREFIX)})
        return params

    def set_params(self, **params):
        """Set parameters; ``module__*`` ones are new module parameters where not given yet."""
        own = {k: v for k, v in params.items() if not k.startswith(MODULE_PREFIX)}
        for name, value in params.items():
            if name.startswith(MODULE_PREFIX):
                setattr(self, name, value)
        return super().set_params(**own) if own else self

    # --- the fused engine (parsearch.torchnet.engine) -----------------------------------

    def __parsearch_engine__(self):
        """The fused engine that trains grids of this estimator at once (``TorchEngine``)."""
        from parsearch.torchnet.engine import TorchEngine

        return TorchEngine()

    def _check_params(self):
        if self.module is None:
            raise ValueError(
                "TorchClassifier: give module, an nn.Module class or a function returning one."
            )
        check_torch_params(self.get_params())

    def _check_X(self, X, y=None, reset=True):
        out = validate_data(
            self, X, y if y is not None else "no_validation", reset=reset, allow_nd=True,
            dtype=self.dtype, order="C",
        )  # fmt: skip
        X, y = out if isinstance(out, tuple) else (out, None)
        if not X.flags.writeable:  # torch tensors share the array's memory
            X = X.copy()
        return X, y

    # --- scikit-learn API ----------------------------------------------------------------

    def fit(self, X, y):
        """Train the module: the plain loop, with ``torch.optim``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training inputs (images keep their shape).
        y : array-like of shape (n_samples,)
            Class labels of any type.

        Returns
        -------
        self
        """
        self._check_params()
        X, y = self._check_X(X, y, reset=True)
        check_classification_targets(y)
        classes, y_enc = np.unique(y, return_inverse=True)
        torch = import_optional("torch")
        from parsearch.fused.live import batch_orders
        from parsearch.torchnet.build import build_module, loss_of, resolve_device
        from parsearch.torchnet.optim import torch_optimizer

        params = self.get_params()
        device = resolve_device(self.device)
        X_t = torch.from_numpy(X).to(device)
        y_t = torch.from_numpy(y_enc.astype(np.int64)).to(device)
        cuda = [device] if device.type == "cuda" else []
        curve, diverged = [], None
        with torch.random.fork_rng(devices=cuda):
            module = build_module(params, X_t[: self.batch_size])
            opt = torch_optimizer(params, module.parameters())
            for epoch, order in enumerate(batch_orders(len(X), self.epochs, self.seed), 1):
                total = 0.0
                for start in range(0, len(X), self.batch_size):
                    idx = torch.from_numpy(order[start : start + self.batch_size]).to(device)
                    opt.zero_grad()
                    loss = loss_of(module(X_t[idx]), y_t[idx], self.loss)
                    loss.backward()
                    opt.step()
                    total += loss.item() * len(idx)
                curve.append(total / len(X))
                if not math.isfinite(curve[-1]) or not _finite(module):
                    diverged = epoch
                    with torch.no_grad():
                        for t in [*module.parameters(), *module.buffers()]:
                            t.zero_()
                    break
        self.classes_, self.loss_curve_ = classes, curve
        self.module_ = module.eval()
        self._diverged(diverged)
        return self

    def _diverged(self, epoch):
        self.diverged_ = epoch is not None
        if self.diverged_:
            warnings.warn(
                f"TorchClassifier(lr={self.lr}): training diverged (the loss or the weights "
                f"became NaN or infinite) in epoch {epoch} and stopped. Lower the learning "
                "rate.",
                RuntimeWarning,
                stacklevel=3,
            )

    def _set_fitted(self, classes, n_features, outcome):
        """This estimator with the weights and curve of a fused run's outcome."""
        torch = import_optional("torch")
        from parsearch.torchnet.build import build_module

        with torch.random.fork_rng(devices=[]):
            module = build_module(self.get_params())
        names = [n for n, _ in module.named_parameters()] + [n for n, _ in module.named_buffers()]
        arrays = [*outcome.layers[0], *outcome.layers[1]]
        module.load_state_dict({n: torch.as_tensor(a) for n, a in zip(names, arrays)})
        self.module_ = module.eval()
        self.classes_, self.n_features_in_ = classes, n_features
        self.loss_curve_ = list(outcome.train_loss)
        self._diverged(outcome.diverged_epoch)
        return self

    def _outputs(self, X, proba):
        check_is_fitted(self)
        X, _ = self._check_X(X, reset=False)
        torch = import_optional("torch")
        from parsearch.torchnet.build import class_outputs

        device = next(iter(self.module_.parameters())).device
        parts = []
        with torch.no_grad():
            for start in range(0, len(X), PREDICT_CHUNK):
                out = self.module_(torch.from_numpy(X[start : start + PREDICT_CHUNK]).to(device))
                parts.append(class_outputs(out, len(self.classes_), self.loss, proba).cpu())
        return torch.cat(parts).numpy()


def _finite(module):
    import torch

    return all(bool(torch.isfinite(t).all()) for t in module.parameters())
