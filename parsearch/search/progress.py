"""What a search shows while it runs: a progress bar, and matplotlib loaded in the meantime."""

from __future__ import annotations

import threading


def progress_bar(enabled, total, network, n_configs, n_reused, unit=None):
    """A tqdm bar over model-epochs (networks) or fits.

    Parameters
    ----------
    enabled : bool
        False gives a silent bar.
    total : int
        Units to run.
    network : bool
        Whether the units are model-epochs.
    n_configs, n_reused : int
        Configurations of the grid, and those reused from an earlier run.
    unit : str, optional
        The unit's name, if not model-epochs or fits (``"pass"`` of ``partial_fit``).

    Returns
    -------
    tqdm.tqdm
    """
    tqdm = _tqdm_class()
    unit = unit or ("model-epoch" if network else "fit")
    desc = f"fit_grid {n_configs} configs" + (f" ({n_reused} resumed)" if n_reused else "")
    return tqdm(total=total, unit=unit, desc=desc, disable=not enabled)


def _tqdm_class():
    """tqdm's widget bar where Jupyter can draw it (``ipywidgets`` installed), else its
    text bar, which a notebook shows as well: without ``ipywidgets`` ``tqdm.auto`` would
    warn ("IProgress not found") in every student's first cell, then draw the text bar."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm


def prefetch_plotting():
    """Import matplotlib in a background thread while the fits run in worker processes.

    The import takes about half a second; overlapped with the search it is off the
    critical path. Not to be done while fused chunks train in this process: a busy core
    slows torch's threads far more than the import saves.
    """

    def load():
        from parsearch.plot.figure import import_matplotlib

        import_matplotlib()

    threading.Thread(target=load, name="parsearch-prefetch-plotting", daemon=True).start()
