"""``plot_scores``: which figure a results table gets, from how many parameters vary.

- 0: one marked point with the score (:func:`parsearch.plot.lines.plot_single`);
- 1: the score over that parameter (:func:`parsearch.plot.lines.plot_line`);
- 2: an annotated heatmap (:func:`parsearch.plot.heatmap.plot_heatmap`);
- 3: one heatmap per value of the third parameter, sharing one colour scale
  (:func:`parsearch.plot.heatmap.plot_facets`), up to :data:`MAX_PANELS` of them;
- 4 or more (or a third one with more values than that): a heatmap over two parameters
  where each cell is the best score over all the others.

A table that is no grid (a sampled search space: the rows fill at most half of the
product of the parameters' values, or a numeric parameter has more values than a heatmap
axis labels; :func:`parsearch.plot.points.forms_grid`) gets scatter plots instead, one
point per configuration (:mod:`parsearch.plot.scatter`): the score against its one
varying parameter; a scatter over the two (the more important on x); or, with more, a
scatter over the two that vary most (the most distinct values). The corner matrix over
the :data:`~parsearch.plot.scatter.MAX_MATRIX` most important parameters, with their
importances, is its own figure, asked for: :func:`plot_scatter_matrix`.

Every text of the figure is drawn as plain text (:func:`parsearch.plot.figure.plain_text`).
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
    """The parameters a scatter figure draws: ``x`` and ``y`` where named; else one or
    two varying parameters (most important first), or, of more, the two that vary most."""
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
    ``x`` and ``y`` whose cells are the best score over all other parameters. Failed and
    diverged configurations are drawn as such, pruned ones (successive halving) in a
    lighter style with the score and epochs of their last rung, and the best one is
    marked and named in the title.

    A table that is no grid (a sampled search space, see
    :func:`parsearch.plot.points.forms_grid`) is drawn as scatter plots, one point per
    configuration: the score against its one varying parameter; a scatter over the two
    (or ``x`` and ``y``), coloured by the score; of more, a scatter over the two that vary
    most, the title naming the others. Log axes and levels follow the rules of
    :mod:`parsearch.plot.points`. The corner matrix of every pair, with each parameter's
    importance, is :func:`plot_scatter_matrix`.

    Every text is drawn as plain text (a ``$`` is a dollar sign, never mathtext),
    control characters escaped and long values shortened; every value has a label,
    ``inf`` and ``nan`` too, and of thousands of values every k-th is labelled.

    Parameters
    ----------
    table : pandas.DataFrame
        Results table: one column per grid parameter, then the result columns
        (``score``, ``status``, ...), e.g. ``res.table`` or a read ``scores.csv``.
    axes : dict of str to list, optional
        Values of each parameter in the order of the user's grid; the plot's axes use
        that order. Without it, numeric values are sorted ascending and others kept in
        order of first appearance.
    metric : str, default "score"
        Name of the metric, for the colour bar, axis label and title.
    greater_is_better : bool, default True
        Whether higher scores are better. For lower-is-better metrics the colour map is
        reversed, so that the best cells always have the same (bright) colour.
    x, y : str, optional
        Parameters for the horizontal and vertical axes of the heatmaps; by default the
        first two varying parameters. With three varying parameters the remaining one
        gives the small multiples; with more, the rest are reduced by taking the best.
    title : str, optional
        First line of the title, instead of the automatic description. The line naming
        the best score and its parameters follows it.

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

    Opt-in, as Optuna keeps ``plot_param_importances`` beside its default plots: below
    the diagonal a scatter of each pair of parameters, on it the score against each, over
    the :data:`~parsearch.plot.scatter.MAX_MATRIX` most important varying parameters
    (Kruskal-Wallis, see :mod:`parsearch.plot.points`), whose importances the title
    gives. Marks, colours and axes as in :func:`plot_scores`'s scatters.

    Parameters
    ----------
    table : pandas.DataFrame
        Results table (``res.table`` or a read ``scores.csv``); a grid's too.
    axes : dict of str to list, optional
        Values of each parameter in the order of the user's grid.
    metric : str, default "score"
        Name of the metric.
    greater_is_better : bool, default True
        Whether higher scores are better.
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
