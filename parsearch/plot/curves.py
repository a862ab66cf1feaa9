"""Learning curves: the validation score after each epoch of the best networks.

Each curve ends where its model stopped. After successive halving the pruned models'
curves are drawn too, grey under the best ones, each ending in a hollow mark, and the
rungs are dotted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from parsearch.plot.figure import import_matplotlib, new_figure, plain_text
from parsearch.plot.labels import table_axes
from parsearch.plot.style import LOOKS, line_marks
from parsearch.rows import Col, Status, epochs_column, metric_label, ranked
from parsearch.text import display_label

#: The most pruned curves drawn (those that trained longest, the best among those).
MAX_PRUNED_CURVES = 60


def _curve(value):
    """A row's epoch scores as a list of floats ([] where it has none)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [float(v) if v is not None else np.nan for v in value]
    return []


def pruned_curves(table, greater_is_better, limit=MAX_PRUNED_CURVES):
    """At most ``limit`` pruned rows of a table that have epoch scores: those that trained
    longest first, the best scores first among them."""
    length = np.array([len(_curve(v)) for v in table[Col.EPOCH_SCORES]], dtype=np.intp)
    drawn = np.flatnonzero((table[Col.STATUS] == Status.PRUNED).to_numpy() & (length > 0))
    score = pd.to_numeric(table[Col.SCORE], errors="coerce").to_numpy(dtype=float)[drawn]
    signed = np.nan_to_num(score if greater_is_better else -score, nan=-np.inf)
    order = np.lexsort((-signed, -length[drawn]))
    return table.iloc[drawn[order[:limit]]]


def _draw_pruned(ax, table, greater_is_better):
    """The pruned curves, thin, each ending in a hollow mark; the rungs, dotted."""
    shown = pruned_curves(table, greater_is_better)
    if shown.empty:
        return
    look, pruned = LOOKS[Status.PRUNED], (table[Col.STATUS] == Status.PRUNED).to_numpy()
    total = int(pruned.sum())
    for k, value in enumerate(shown[Col.EPOCH_SCORES]):
        curve = _curve(value)
        label = None
        if k == 0:
            some = f"{len(shown)} of {total}" if len(shown) < total else f"{total}"
            label = f"{some} pruned, each ending where halving stopped it"
        thin = {"color": look.curve, "linewidth": 0.8, "alpha": 0.7, "zorder": 1}
        ax.plot(range(1, len(curve) + 1), curve, **thin)
        end = line_marks(look, 4, markerfacecolor="white", label=label)
        ax.plot([len(curve)], [curve[-1]], zorder=1.5, **end)  # white: hides the curve
    epochs = epochs_column(table)[pruned]
    for k, rung in enumerate(np.unique(epochs[np.isfinite(epochs)])):
        label = "the rungs of successive halving" if k == 0 else None
        ax.axvline(rung, color="0.5", linestyle=":", linewidth=0.9, zorder=0, label=label)


def plot_epoch_scores(table, *, metric="score", greater_is_better=True, top=5):
    """Learning curves: the validation score after each epoch of the best networks.

    Each curve ends where its model stopped training; up to :data:`MAX_PRUNED_CURVES`
    pruned ones are drawn too, thin and grey, with the rungs dotted.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table with an ``epoch_scores`` column (networks).
    metric : str
        Name of the metric, for the axis label.
    greater_is_better : bool
        Direction of the metric; picks the best rows.
    top : int
        How many of the best configurations to draw.

    Returns
    -------
    matplotlib.figure.Figure
        Its texts drawn as plain text (:func:`parsearch.plot.figure.plain_text`).
    """
    if Col.EPOCH_SCORES not in table.columns:
        raise ValueError("The table has no epoch_scores column (it is not a network grid).")
    mpl = import_matplotlib()
    metric = display_label(metric, 80)
    table = table.reset_index(drop=True)  # labels are positions into params
    axis_of, params = table_axes(table)
    # each curve is named by the parameters that vary, labelled as on their axes
    varying = [p for p, axis in axis_of.items() if len(axis.values) > 1] or list(axis_of)
    fig = new_figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    best = ranked(table, greater_is_better).head(top)
    for position, row in best.iterrows():
        curve = _curve(row[Col.EPOCH_SCORES])
        label = ", ".join(
            f"{display_label(p)}={display_label(axis_of[p].label(params[position][p]))}"
            for p in varying
        )
        ax.plot(
            range(1, len(curve) + 1),
            curve,
            marker="o",
            markersize=4,
            label=f"{label}: {row[Col.SCORE]:.4g}",
            zorder=2,
        )
    _draw_pruned(ax, table, greater_is_better)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric_label(metric, greater_is_better))
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title=f"best {len(best)}", title_fontsize=8)
    ax.set_title(f"validation {metric} after each epoch")
    return plain_text(fig)
