"""Which figure a results table gets: :func:`plot_scores`, from how many parameters vary
(a point, a line, a heatmap, facets, a heatmap of the best over the rest, or, for a table
that is no grid, a scatter), and :func:`plot_scatter_matrix`, the opt-in corner matrix.
"""

from __future__ import annotations

import warnings

from parsearch.plot.arrays import check_param, grid_from, line_from, prepare
from parsearch.plot.figure import Frame, import_matplotlib, plain_text
from parsearch.plot.heatmap import plot_facets, plot_heatmap
from parsearch.plot.lines import plot_line, plot_single
from parsearch.plot.points import forms_grid, most_varied, points_from
from parsearch.plot.scatter import MAX_MATRIX, plot_matrix, plot_pair, plot_score_against
from parsearch.rows import Col, Direction
from parsearch.text import display_label

#: The most panels of small multiples; a third parameter with more values is reduced.
MAX_PANELS = 16


def _check_direction(table, greater_is_better):
    """Warn when the table's direction column says the other direction."""
    if Col.DIRECTION not in table.columns:
        return
    directions = set(table[Col.DIRECTION].dropna().unique())
    if len(directions) != 1 or not directions <= set(Direction):
        return
    said = Direction(directions.pop())
    if said.greater_is_better != greater_is_better:
        warnings.warn(
            f"greater_is_better={greater_is_better} but the table's {Col.DIRECTION!r} column "
            f"says {str(said)!r}; the best score may be the wrong one",
            UserWarning,
            stacklevel=3,
        )


def _choose_axes(varying, x, y):
    """``(line_x, x, y)``: the parameter of a line plot (or None), else the heatmap's axes.

    Unnamed axes are the first varying parameters not named; with no other one left, a
    line plot over the named one.
    """
    if x is None and y is None:
        if len(varying) == 1:
            return varying[0], None, None
        return None, *varying[:2]
    if y is None:
        others = [p for p in varying if p != x]
        return (None, x, others[0]) if others else (x, None, None)
    if x is None:
        others = [p for p in varying if p != y]
        return (None, others[0], y) if others else (y, None, None)
    return None, x, y


def _single_heading(metric, n_rows):
    if n_rows > 1:
        return f"{metric}: best of {n_rows} runs of the only configuration"
    return f"{metric} of the only configuration"


def _heatmap_heading(metric, x, y, over, greater_is_better):
    x, y = display_label(x), display_label(y)
    if over:
        return (
            f"{metric} over {x} × {y}\neach cell: the "
            f"{'highest' if greater_is_better else 'lowest'} over "
            f"{', '.join(display_label(p) for p in over)}"
        )
    return f"{metric} over {x} × {y}"


def _scatter_params(data, points, x, y):
    """What a scatter draws: ``x`` and ``y`` where named, else the one or two varying
    parameters (most important first), or of more the two that vary most."""
    ranked = points.params
    if x is None and y is None:
        return ranked if len(ranked) <= 2 else most_varied(data, ranked)[:2]
    others = [p for p in ranked if p not in (x, y)]
    if x is not None and y is not None:
        return [x, y]
    if not others:
        return [x if x is not None else y]
    return [x, others[0]] if x is not None else [others[0], y]


def _sampled_heading(metric, points, names, matrix=False):
    """What a scatter figure shows: how many configurations, over what, and either the
    importances (the matrix, or one or two parameters) or the parameters not drawn."""
    n = len(points.score)
    if matrix and len(names) < len(points.params):
        shown = f"the {len(names)} most important of {len(points.params)} parameters"
    elif len(names) > 2:
        shown = ", ".join(display_label(p) for p in names)
    else:
        shown = " × ".join(display_label(p) for p in names)
    heading = f"{metric} of {n} configurations over {shown}"
    if not matrix and len(names) < len(points.params):
        rest = ", ".join(display_label(p) for p in points.params if p not in names)
        return f"{heading}\nalso varying: {rest} (all of them: plot_scatter_matrix)"
    if len(points.params) > 1:
        weights = ", ".join(
            f"{display_label(p)} {points.importance[p]:.2f}"
            + ("" if p in names else " (not drawn)")
            for p in points.params
        )
        heading += f"\nimportance (share of the ranking it explains): {weights}"
    return heading


def _draw_sampled(mpl, data, x, y, title, metric, greater_is_better):
    """The scatter figure of a table that is no grid: one scatter, never the matrix."""
    points = points_from(data, greater_is_better)
    names = _scatter_params(data, points, x, y)
    heading = title if title is not None else _sampled_heading(metric, points, names)
    frame = Frame(mpl, data, metric, greater_is_better, heading)
    if len(names) == 1:
        return plot_score_against(frame, points, names[0])
    return plot_pair(frame, points, *names)


def _draw(mpl, data, table, x, y, title, metric, greater_is_better):
    """The figure of the kind that the varying parameters call for."""
    if not forms_grid(data):
        return _draw_sampled(mpl, data, x, y, title, metric, greater_is_better)

    def frame(heading):
        return Frame(mpl, data, metric, greater_is_better, title if title is not None else heading)

    varying = [p for p in data.params if len(data.axes[p].values) > 1]
    if not varying and x is None and y is None:
        return plot_single(frame(_single_heading(metric, len(table))))
    line_x, x, y = _choose_axes(varying, x, y)
    if line_x is not None:
        line = line_from(data, line_x, None, greater_is_better)
        heading = title if title is not None else f"{metric} over {display_label(line_x)}"
        if line.over:
            heading += f" (best over {', '.join(display_label(p) for p in line.over)})"
        return plot_line(Frame(mpl, data, metric, greater_is_better, heading), line)

    rest = [p for p in varying if p not in (x, y)]
    if len(rest) == 1 and len(data.axes[rest[0]].values) <= MAX_PANELS:
        names = f"{display_label(x)} × {display_label(y)}, by {display_label(rest[0])}"
        return plot_facets(frame(f"{metric} over {names}"), x, y, rest[0])
    grid = grid_from(data, x, y, None, greater_is_better)
    return plot_heatmap(frame(_heatmap_heading(metric, x, y, grid.over, greater_is_better)), grid)


def plot_scores(
    table,
    *,
    axes=None,
    metric="score",
    greater_is_better=True,
    x=None,
    y=None,
    title=None,
):
    """Plot the scores of a finished grid search.

    The kind of plot follows from the number of varying parameters (those with more than
    one distinct value): 0, a single marked point; 1, a line plot of the score over it;
    2, an annotated heatmap; 3, one heatmap per value of the third parameter with a
    shared colour scale (up to :data:`MAX_PANELS` values); 4 or more, a heatmap over
    ``x`` and ``y`` whose cells are the best score over all other parameters. A table
    that is no grid (a sampled search space, :func:`parsearch.plot.points.forms_grid`)
    gets one point per configuration: the score against its one varying parameter, or a
    scatter over two (``x`` and ``y``, else the two that vary most), coloured by the
    score. Failed and diverged configurations are drawn as such, pruned ones (successive
    halving) lighter, with the score and epochs of their last rung, and the best one is
    marked and named in the title. Every text is drawn as plain text (a ``$`` is a
    dollar sign), and of thousands of values every k-th is labelled.

    Parameters
    ----------
    table : pandas.DataFrame
        Results table: one column per grid parameter, then the result columns
        (``score``, ``status``, ...), e.g. ``res.table`` or a read ``scores.csv``.
    axes : dict of str to list, optional
        Values of each parameter in the order of the user's grid, which the axes keep;
        without it, numbers ascending and others in order of first appearance.
    metric : str, default "score"
        Name of the metric, for the colour bar, axis label and title.
    greater_is_better : bool, default True
        Whether higher scores are better; the best is always the bright colour.
    x, y : str, optional
        Parameters for the horizontal and vertical axes; by default the first two
        varying parameters.
    title : str, optional
        First line of the title, instead of the automatic description; the line naming
        the best follows it.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, not shown; save it with :func:`save_figure` or ``fig.savefig``.

    Raises
    ------
    ValueError
        If the table is empty or has no ``score`` column, or ``x`` / ``y`` is not one of
        its parameters.
    ImportError
        If matplotlib is not installed.
    """
    data = prepare(table, axes)
    for name, value in (("x", x), ("y", y)):
        if value is not None:
            check_param(data, name, value)
    if x is not None and x == y:
        raise ValueError(f"x and y must be different parameters, both are {x!r}")
    _check_direction(table, greater_is_better)
    mpl = import_matplotlib()
    metric = display_label(metric, 80)  # as drawn: one line, not too long
    fig = _draw(mpl, data, table, x, y, title, metric, greater_is_better)
    return plain_text(fig)


def plot_scatter_matrix(
    table, *, axes=None, metric="score", greater_is_better=True, params=None, title=None
):
    """The corner matrix of a results table, its parameters ranked by importance.

    Below the diagonal a scatter of each pair of parameters, on it the score against
    each, over the :data:`~parsearch.plot.scatter.MAX_MATRIX` most important varying
    parameters (:mod:`parsearch.plot.points`), whose importances the title gives; marks
    and colours as in :func:`plot_scores`'s scatters.

    Parameters
    ----------
    table, axes, metric, greater_is_better
        As in :func:`plot_scores` (a grid's table too).
    params : list of str, optional
        Parameters drawn first, in order; the rest, up to
        :data:`~parsearch.plot.scatter.MAX_MATRIX`, are the most important others.
    title : str, optional
        First line of the title, instead of the automatic description.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the table is empty or has no ``score`` column, or a name in ``params`` is
        not one of its parameters.
    ImportError
        If matplotlib is not installed.
    """
    data = prepare(table, axes)
    for value in params or ():
        check_param(data, "params", value)
    _check_direction(table, greater_is_better)
    mpl = import_matplotlib()
    metric = display_label(metric, 80)
    points = points_from(data, greater_is_better)
    names = list(dict.fromkeys(params or ()))
    names += [p for p in points.params if p not in names][: max(MAX_MATRIX - len(names), 0)]
    names = names or data.params[:1]
    heading = title if title is not None else _sampled_heading(metric, points, names, True)
    frame = Frame(mpl, data, metric, greater_is_better, heading)
    return plain_text(plot_matrix(frame, points, names))
