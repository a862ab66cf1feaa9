"""The ``parsearch`` command: look at results folders.

``parsearch show RESULTS_DIR [--top N]`` prints the best configurations, the metric
and its direction, how many failed, and where the heatmap is.
``parsearch plot RESULTS_DIR [--x P --y P --metric M]`` redraws the heatmap from
``scores.csv``.
``parsearch report [RESULTS_ROOT] [--output FILE]`` writes one HTML page over every
results folder under RESULTS_ROOT (default ``results``; the page goes to
``RESULTS_ROOT/index.html``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parsearch.report import write_report
from parsearch.results.files import HEATMAP
from parsearch.results.read import metric_direction, read_meta, read_scores
from parsearch.rows import Col, Status, metric_label, param_columns, ranked, status_counts

#: Columns other than ``score`` that ``plot --metric`` can draw, with their direction.
PLOTTABLE = {Col.TRAIN_LOSS: False, Col.FIT_SECONDS: False, Col.SCORE_STD: False}


def _positive_int(text):
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


_positive_int.__name__ = "positive integer"  # argparse: "invalid positive integer value"


def show(folder, top=10, file=None):
    """Print the best configurations of a results folder.

    Parameters
    ----------
    folder : str or Path
        The results folder.
    top : int
        How many configurations to list.
    file : file-like, optional
        Where to print (default: standard output).
    """
    from parsearch.plot import parameter_labels

    file = file or sys.stdout
    folder = Path(folder)
    table = read_scores(folder)
    meta = read_meta(folder)
    greater, name = metric_direction(table, meta)
    params = param_columns(table.columns)
    ok = ranked(table, greater)
    print(f"{folder}: {len(table)} configurations, metric {metric_label(name, greater)}", file=file)
    if "model" in meta:
        print(f"model: {meta['model']}", file=file)
    counts = status_counts(table[Col.STATUS])
    failed = {s: n for s, n in counts.items() if n and s != Status.OK}
    if failed:
        print("not ok: " + ", ".join(f"{n} {s}" for s, n in failed.items()), file=file)
    if ok.empty:
        print("no configuration succeeded", file=file)
    else:
        shown = ok.head(top)[[*params, Col.SCORE, Col.FIT_SECONDS]].rename(
            columns={Col.SCORE: name}
        )
        shown[params] = parameter_labels(ok.head(top), meta.get("grid", {}).get("axes"))
        print(f"top {len(shown)}:", file=file)
        print(shown.to_string(index=False), file=file)
    heatmap = folder / HEATMAP
    if heatmap.exists():
        print(f"heatmap: {heatmap}", file=file)
    else:
        print(f"no heatmap yet: run 'parsearch plot {folder}'", file=file)


def plot(folder, x=None, y=None, metric=None, output=None):
    """Redraw the heatmap of a results folder from its ``scores.csv``.

    Parameters
    ----------
    folder : str or Path
        The results folder.
    x, y : str, optional
        Parameters for the heatmap axes.
    metric : str, optional
        Column to draw: ``score`` (default) or one of ``PLOTTABLE``.
    output : str or Path, optional
        Where to write the PNG (default: ``folder/heatmap.png``).

    Returns
    -------
    Path
        The PNG written.
    """
    from parsearch.plot import plot_scores, save_figure

    folder = Path(folder)
    table = read_scores(folder)
    meta = read_meta(folder)
    greater, name = metric_direction(table, meta)
    if metric not in (None, Col.SCORE, name):
        if metric not in PLOTTABLE or metric not in table.columns:
            valid = [name] + [c for c in PLOTTABLE if c in table.columns]
            raise ValueError(f"Unknown metric {metric!r} for {folder}; valid: {valid}.")
        table = table.drop(columns=[Col.SCORE, Col.DIRECTION], errors="ignore")
        table = table.rename(columns={metric: Col.SCORE})
        greater, name = PLOTTABLE[metric], metric
    params = param_columns(table.columns)
    for axis in (x, y):
        if axis is not None and axis not in params:
            raise ValueError(f"Unknown parameter {axis!r}; the parameters are: {params}.")
    axes = meta.get("grid", {}).get("axes")
    fig = plot_scores(table, axes=axes, metric=name, greater_is_better=greater, x=x, y=y)
    return save_figure(fig, Path(output) if output else folder / HEATMAP)


def report(root="results", output=None):
    """Write one HTML page over every results folder under ``root``.

    Parameters
    ----------
    root : str or Path
        Folder searched, at any depth, for folders with a ``scores.csv``.
    output : str or Path, optional
        The HTML file (default: ``root/index.html``).

    Returns
    -------
    Path
        The file written.
    """
    return write_report(root, output=output)


def _parser():
    parser = argparse.ArgumentParser(
        prog="parsearch", description="Look at parsearch results folders."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_show = sub.add_parser("show", help="print the best configurations")
    p_show.add_argument("folder", help="a results folder (with scores.csv)")
    p_show.add_argument(
        "--top", type=_positive_int, default=10, help="how many to list (default 10)"
    )
    p_plot = sub.add_parser("plot", help="redraw the heatmap from scores.csv")
    p_plot.add_argument("folder", help="a results folder (with scores.csv)")
    p_plot.add_argument("--x", help="parameter along the x axis")
    p_plot.add_argument("--y", help="parameter along the y axis")
    p_plot.add_argument("--metric", help="column to draw: score (default) or train_loss, ...")
    p_plot.add_argument("--output", help="PNG to write (default: FOLDER/heatmap.png)")
    p_report = sub.add_parser("report", help="write one HTML page over all results folders")
    p_report.add_argument(
        "root",
        nargs="?",
        default="results",
        help="folder searched, at any depth, for results folders (default: results)",
    )
    p_report.add_argument("--output", help="HTML file to write (default: ROOT/index.html)")
    return parser


def main(argv=None):
    """Entry point of the ``parsearch`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "show":
            show(args.folder, top=args.top)
        elif args.command == "report":
            print(f"wrote {report(args.root, output=args.output)}")
        else:
            path = plot(args.folder, x=args.x, y=args.y, metric=args.metric, output=args.output)
            print(f"wrote {path}")
    except (OSError, ValueError) as exc:
        print(f"parsearch: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
