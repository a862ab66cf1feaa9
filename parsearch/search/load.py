"""``load_results``: a results folder read back into Python as a ``GridResult``, no rerun."""

from __future__ import annotations

from pathlib import Path

from parsearch.results.files import SCORES
from parsearch.results.read import UnreadableFolder, read_run
from parsearch.rows import Col, param_columns, params_from_key, typed_params


def _axes(table, configs, meta):
    """Parameter -> values: ``meta.json``'s grid axes, else each column's values in order."""
    axes = (meta.get("grid") or {}).get("axes")
    if isinstance(axes, dict) and axes:
        return axes
    axes = {}
    for name in param_columns(table.columns):
        values = []
        for config in configs:
            value = config.get(name)
            if value is not None and value not in values:
                values.append(value)
        axes[name] = values
    return axes


def _best_params(table, configs, best):
    """The best row's parameters: those its configuration key names, else every column."""
    if Col.KEY in table.columns:
        named = params_from_key(table[Col.KEY].iloc[best])
        if named is not None:
            return {name: configs[best].get(name) for name in named}
    return dict(configs[best])


def load_results(out):
    """Read a results folder that ``fit_grid`` wrote back into a ``GridResult``, without rerunning.

    Built from the folder's ``scores.csv`` and ``meta.json``, read and checked as
    ``parsearch show`` and the report read them (:func:`parsearch.results.read.read_run`):
    the table, the best configuration and score (the best row as ``fit_grid`` picks it:
    status ok, a finite score, the best in the metric's direction, the earliest among
    ties), the metric and its direction, the grid's axes, and ``plot()`` as after the
    search. Parameter values keep their types (read from each row's ``config_key``); an
    estimator or function given as a grid value comes back as the text that names it.

    A folder holds no fitted model: ``best_model`` is None (refit it with
    ``sklearn.base.clone(model).set_params(**result.best_params).fit(...)``) and ``models``
    is None.

    Parameters
    ----------
    out : str or os.PathLike
        A results folder (the ``out`` given to ``fit_grid``), or its ``scores.csv``.

    Returns
    -------
    parsearch.GridResult
        ``best_params`` is None and ``best_score`` NaN when no row succeeded.

    Raises
    ------
    FileNotFoundError
        For a folder without ``scores.csv``.
    ValueError
        For a malformed ``scores.csv`` or ``meta.json``; the message names the file.
    """
    from parsearch.search.result import GridResult

    out = Path(out)
    if out.name == SCORES and out.is_file():  # the folder's scores.csv itself
        out = out.parent
    try:
        run = read_run(out)
    except UnreadableFolder as exc:
        if not (out / SCORES).is_file():  # no folder, or no scores.csv in it
            raise FileNotFoundError(str(exc)) from None
        raise
    table, best = run.table, run.best
    configs = typed_params(table)
    return GridResult(
        table=table,
        best_params=None if best is None else _best_params(table, configs, best),
        best_score=run.best_score,
        _best_model=None,
        metric=run.metric,
        greater_is_better=run.greater_is_better,
        axes=_axes(table, configs, run.meta),
        out=out,
        meta=run.meta,
        configs=configs,
    )
