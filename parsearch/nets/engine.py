"""The MLP engine: ``MLPClassifier`` grids trained fused (``parsearch.engine.Engine``).

``MLPClassifier.__parsearch_engine__`` returns :class:`MLPEngine`, the first engine of
the seam and the worked example of ``docs/ARCHITECTURE.md``'s "Adding an engine".
Configurations that differ only in ``FUSABLE_PARAMS`` (``lr``, ``width``, ``momentum``,
``weight_decay``) share a run; a run is a ``parsearch.nets.fused.MLPModels`` (the wide
layer-1 layout and the hand-written backward) under the shared
``parsearch.fused.live.LiveRun`` lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from parsearch.nets.params import FUSABLE_PARAMS, check_mlp_params


class OnTorchDevice:
    """The ``Engine`` methods of an engine whose estimator has torch's ``device`` and
    ``dtype`` parameters (this one, and ``parsearch.torchnet``'s): where a configuration
    trains, the chunk budget there, and which runs share a fold's tensors. torch is
    imported only when they are called."""

    def device(self, params):
        """The ``device`` parameter."""
        return params["device"]

    def device_budget(self, device):
        """Half the free GPU memory, or a quarter of RAM (<= 4 GiB) on the CPU."""
        from parsearch.nets import devices

        resolved = devices.resolve_device(device)
        return resolved.type, int(devices.memory_budget(resolved))

    def data_key(self, model):
        """Runs on the same device in the same float type share a fold's data."""
        from parsearch.nets import devices

        return str(devices.resolve_device(model.device)), model.dtype


@dataclass(frozen=True)
class MLPEngine(OnTorchDevice):
    """The fused engine of ``parsearch.MLPClassifier`` (see ``parsearch.engine.Engine``)."""

    name: str = "mlp"
    resource: str = "epochs"

    def group_key(self, params):
        """Everything but the fusable parameters: ``epochs``, ``depth``, ``optimizer``,
        ``batch_size``, ``seed`` (initial weights and batch order), ``dtype``, ``device``."""
        return tuple(sorted((k, repr(v)) for k, v in params.items() if k not in FUSABLE_PARAMS))

    def model_bytes(self, params, n_features, n_classes):
        """Parameters with their gradient and optimizer buffers, and the activations."""
        from parsearch.nets import fused

        return fused.model_bytes(
            n_features,
            params["width"],
            params["depth"],
            n_classes,
            params["batch_size"],
            params["optimizer"],
            8 if params["dtype"] == "float64" else 4,
        )

    def epochs(self, params):
        """The ``epochs`` parameter, checked."""
        check_mlp_params({"epochs": params["epochs"]})
        return params["epochs"]

    def prepare(self, base, grid, device, on_workers=False):
        """Apply ``device``, check every configuration; where they train, and the GEMM."""
        from parsearch.nets.devices import prepare_network

        where, matmul = prepare_network(base, grid, device, on_workers=on_workers)
        return {"device": where, "matmul": matmul}

    def run_data(self, split, model, score, proba):
        """The fold's arrays as tensors on the model's device, in its float type."""
        from parsearch.nets import fused

        dtype = model.dtype
        return fused.run_data(
            np.ascontiguousarray(split.X_fit, dtype=dtype),
            split.y_fit,
            len(split.classes),
            model._train_spec(),
            X_val=np.ascontiguousarray(split.X_score, dtype=dtype),
            score=score,
            proba=proba,
        )

    def start(self, data, models):
        """A live run of the models with their seeded initial weights."""
        from parsearch.fused.live import LiveRun
        from parsearch.nets import fused

        hypers = [m._hyper() for m in models]
        return LiveRun.start(fused.MLPModels.start(data, hypers, models[0]._train_spec()), data)

    def resume(self, data, models, states, epoch):
        """A live run rebuilt from the models' states after ``epoch`` epochs."""
        from parsearch.fused.live import LiveRun
        from parsearch.nets import fused

        hypers, spec = [m._hyper() for m in models], models[0]._train_spec()
        layout = fused.MLPModels.from_states(data, hypers, states, spec)
        return LiveRun.from_states(layout, data, states, epoch)

    def fitted(self, model, classes, n_features, outcome):
        """``model`` with the outcome's weights and loss curve."""
        return model._set_fitted(classes, n_features, outcome)
