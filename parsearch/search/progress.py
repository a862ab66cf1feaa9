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
    from tqdm.auto import tqdm

    unit = unit or ("model-epoch" if network else "fit")
    desc = f"fit_grid {n_configs} configs" + (f" ({n_reused} resumed)" if n_reused else "")
    return tqdm(total=total, unit=unit, desc=desc, disable=not enabled)


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
