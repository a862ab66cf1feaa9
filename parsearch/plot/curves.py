"""Learning curves: the validation score after each epoch of the best networks."""

from __future__ import annotations

from parsearch.plot.figure import import_matplotlib, plain_text
from parsearch.plot.labels import display_label, table_axes
from parsearch.rows import Col, metric_label, ranked


def plot_epoch_scores(table, *, metric="score", greater_is_better=True, top=5):
    """Learning curves: the validation score after each epoch of the best networks.

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
    fig = mpl.figure.Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    best = ranked(table, greater_is_better).head(top)
    for position, row in best.iterrows():
        curve = list(row[Col.EPOCH_SCORES])
        label = ", ".join(
            f"{display_label(p)}={display_label(axis_of[p].label(params[position][p]))}"
            for p in varying
        )
        ax.plot(range(1, len(curve) + 1), curve, marker="o", label=f"{label}: {row[Col.SCORE]:.4g}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric_label(metric, greater_is_better))
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title=f"best {len(best)}", title_fontsize=8)
    ax.set_title(f"validation {metric} after each epoch")
    return plain_text(fig)
