"""Optional dependencies, imported where they are used, with an install hint when missing."""

from __future__ import annotations

import importlib

#: What to install for each optional module (the package extra, or the package itself).
INSTALL_HINTS = {
    "torch": (
        "parsearch's networks need PyTorch: pip install 'parsearch[torch]' (or pip install torch)."
    ),
    "distributed": "Running on Dask needs dask.distributed: pip install 'parsearch[dask]'.",
    "matplotlib": (
        "parsearch.plot needs matplotlib to draw: pip install matplotlib "
        "(the score arrays of score_grid and score_line work without it)"
    ),
}


def import_optional(name, *submodules):
    """Import an optional module (and some of its submodules), or say what to install.

    Parameters
    ----------
    name : str
        The module: ``"torch"``, ``"distributed"`` or ``"matplotlib"``.
    *submodules : str
        Submodules to import too (``"figure"`` for ``matplotlib.figure``).

    Returns
    -------
    module
        The top-level module.

    Raises
    ------
    ImportError
        With the install hint of ``INSTALL_HINTS`` when it is missing.
    """
    try:
        module = importlib.import_module(name)
        for sub in submodules:
            importlib.import_module(f"{name}.{sub}")
    except ImportError as exc:
        raise ImportError(
            INSTALL_HINTS.get(name, f"this needs {name}: pip install {name}")
        ) from exc
    return module
