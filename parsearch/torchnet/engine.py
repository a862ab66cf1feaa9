"""The module engine: ``TorchClassifier`` grids trained fused (``parsearch.engine.Engine``).

Configurations that differ only in ``FUSABLE_PARAMS`` (``lr``, ``momentum``,
``weight_decay``, ``betas``) share a run; anything else (``module`` and ``module__*``,
``epochs``, ``batch_size``, ``optimizer``, ``nesterov``, ``eps``, ``seed``, ``dtype``,
``loss``, ``device``) splits groups. A run is a ``parsearch.torchnet.fused.TorchModels``
under the shared ``parsearch.fused.live.LiveRun`` lifecycle.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from parsearch.nets.engine import OnTorchDevice
from parsearch.torchnet.params import FUSABLE_PARAMS, check_torch_params

#: The bytes assumed for a model whose parameters cannot be counted before the data is
#: seen (lazy layers).
UNKNOWN_MODEL_BYTES = 64 << 20


@dataclass(frozen=True)
class TorchEngine(OnTorchDevice):
    """The fused engine of ``parsearch.TorchClassifier`` (see ``parsearch.engine.Engine``).

    Attributes
    ----------
    accepts_images : bool
        ``X`` may have more than two dimensions (images as ``(n, 1, 28, 28)``): the
        search hands it to the estimator as it is.
    """

    name: str = "torch.func"
    resource: str = "epochs"
    accepts_images: bool = True

    def group_key(self, params):
        """Everything but the optimizer hyperparameters that can differ per model."""
        return tuple(sorted((k, repr(v)) for k, v in params.items() if k not in FUSABLE_PARAMS))

    def model_bytes(self, params, n_features, n_classes):
        """The parameters with their stacked copy, gradient and optimizer state, plus a
        batch's activations (a rough bound for small networks: 8 values per parameter per
        sample, at most 65,536 per sample)."""
        count = _parameter_count(params)
        if count is None:
            return UNKNOWN_MODEL_BYTES
        itemsize = 8 if params["dtype"] == "float64" else 4
        buffers = 5 if params["optimizer"] == "sgd" else 6
        activations = 8 * params["batch_size"] * min(count, 1 << 16)
        return itemsize * (buffers * count + activations)

    def epochs(self, params):
        """The ``epochs`` parameter, checked."""
        check_torch_params({"epochs": params["epochs"]})
        return params["epochs"]

    def prepare(self, base, grid, device, on_workers=False):
        """Apply ``device``, check every configuration; where the models train."""
        from parsearch.nets.devices import place_grid

        where, _ = place_grid(base, grid, device, _check_configuration, on_workers)
        return {"device": where, "matmul": "torch.func.vmap"}

    def run_data(self, split, model, score, proba):
        """The fold's arrays as tensors on the model's device, in its float type."""
        import torch

        from parsearch.fused.live import RunData
        from parsearch.nets.devices import resolve_device

        device, dtype = resolve_device(model.device), getattr(torch, model.dtype)

        def tensor(X):
            return torch.from_numpy(np.ascontiguousarray(X)).to(device=device, dtype=dtype)

        return RunData(
            X=tensor(split.X_fit),
            y=torch.from_numpy(np.asarray(split.y_fit, dtype=np.int64)).to(device),
            n_classes=len(split.classes),
            X_val=None if split.X_score is None else tensor(split.X_score),
            score=score,
            proba=proba,
        )

    def start(self, data, models):
        """A live run of the models from their seeded initial weights."""
        from parsearch.fused.live import LiveRun
        from parsearch.torchnet.fused import TorchModels

        return LiveRun.start(TorchModels(data, [m.get_params() for m in models]), data)

    def resume(self, data, models, states, epoch):
        """A live run rebuilt from the models' states after ``epoch`` epochs."""
        from parsearch.fused.live import LiveRun
        from parsearch.torchnet.fused import TorchModels

        layout = TorchModels(data, [m.get_params() for m in models], states)
        return LiveRun.from_states(layout, data, states, epoch)

    def fitted(self, model, classes, n_features, outcome):
        """``model`` with the outcome's weights and loss curve."""
        return model._set_fitted(classes, n_features, outcome)


def _parameter_count(params):
    """Parameters of the configuration's module (built once per module and arguments), or
    None for a module with lazy layers."""
    from parsearch.torchnet.params import module_kwargs

    kwargs = tuple(sorted(module_kwargs(params).items()))
    try:
        return _count(params["module"], kwargs)
    except TypeError:  # unhashable arguments: build it without the cache
        return _count.__wrapped__(params["module"], kwargs)


@functools.lru_cache(maxsize=64)
def _count(module, kwargs):
    import torch

    with torch.random.fork_rng(devices=[]):
        built = module(**dict(kwargs))
    if any(isinstance(p, torch.nn.parameter.UninitializedParameter) for p in built.parameters()):
        return None
    return sum(p.numel() for p in built.parameters())


def _check_configuration(params):
    """A configuration's parameters checked, a module required first."""
    if params["module"] is None:
        raise ValueError("TorchClassifier: give module, an nn.Module class or function.")
    check_torch_params(params)
