"""Where networks train: device names resolved, fused chunk budgets, a grid's devices checked.

``device="auto"`` is CUDA where torch sees a GPU, else the CPU. A fused chunk may use
half the free memory of its GPU, or a quarter of this machine's RAM (at most 4 GiB) on
the CPU. :func:`prepare_network` applies ``fit_grid``'s ``device`` to a grid of
networks and checks every configuration's hyperparameters before any work starts.
"""

from __future__ import annotations

import os

import torch

from parsearch.nets import gemm
from parsearch.nets.params import check_mlp_params


def resolve_device(device):
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` into a torch device.

    Raises
    ------
    ValueError
        When CUDA is asked for and not available.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available here; use device='auto' "
            "(CUDA when present, else CPU) or device='cpu'."
        )
    try:
        return torch.device(device)
    except RuntimeError:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}.") from None


def memory_budget(device):
    """Bytes a fused chunk may use: half the free GPU memory, or a quarter of RAM (<= 4 GiB)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free // 2
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        available = 8 << 30
    return min(available // 4, 4 << 30)


def place_grid(base, grid, device, check, on_workers=False):
    """Apply ``device`` to a grid of torch networks, check every configuration, name where
    they train.

    On a Dask cluster (``on_workers``) the device is resolved where the networks train,
    on each worker, so it is only checked for its form here: the client process may well
    have no GPU while its workers do.

    Parameters
    ----------
    base : estimator
        The base estimator (``device`` set on it, unless the grid sets it).
    grid : parsearch.grid.Grid
        The configurations.
    device : str
        ``fit_grid``'s ``device``.
    check : callable
        The estimator's check of its parameters (raises ValueError).
    on_workers : bool
        Whether the networks train on Dask workers.

    Returns
    -------
    (str, set or None)
        The device(s) the networks train on, for meta.json, and the resolved
        ``(torch.device, torch.dtype)`` of the configurations (None on the workers).

    Raises
    ------
    ValueError
        For a bad configuration, a device this machine cannot give, or one device listed
        under two names (everything would train twice).
    """
    if device != "auto" and "device" not in grid.axes:
        base.set_params(device=device)
    params = base.get_params(deep=False)
    for config in grid.configs:
        check({**params, **config})
    settings = {(str({**params, **c}["device"]), {**params, **c}["dtype"]) for c in grid.configs}
    if on_workers:
        names = sorted({d for d, _ in settings})
        return ", ".join(f"{d} (on the Dask workers)" for d in names), None
    if "device" in grid.axes:  # one device under two names would train everything twice
        named = {}
        for value in grid.axes["device"]:
            device = resolve_device(value)
            if device.type == "cpu":
                key = "cpu"
            else:
                index = torch.cuda.current_device() if device.index is None else device.index
                key = f"{device.type}:{index}"
            named.setdefault(key, []).append(value)
        for key, names in named.items():
            if len(names) > 1:
                raise ValueError(
                    f"device values {names} all name the same device here ({key}); list it once."
                )
    resolved = {(resolve_device(d), getattr(torch, t)) for d, t in settings}
    return ", ".join(sorted({str(d) for d, _ in resolved})), resolved


def prepare_network(base, grid, device, on_workers=False):
    """Apply ``device`` to a grid of ``MLPClassifier``, check it (see :func:`place_grid`).

    Returns
    -------
    (str, str)
        The device(s) the networks train on, and the library that runs their layer-1
        matrix products (see ``parsearch.nets.gemm``), for meta.json.
    """
    names, resolved = place_grid(base, grid, device, check_mlp_params, on_workers)
    if resolved is None:
        return names, "chosen on the workers"
    return names, ", ".join(sorted({gemm.backend_name(t, d) for d, t in resolved}))
