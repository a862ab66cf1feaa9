"""The ``parsearch`` command: ``show``, ``plot`` and ``report`` over results folders.

``show`` prints the best configurations (after successive halving, the rungs and the
pruned configurations that went furthest), ``plot`` redraws the figure from
``scores.csv``, ``report`` writes one HTML page over every results folder under a root;
each folder is read by :func:`parsearch.results.read.read_run`.

Whatever the folders hold, a command ends with one line per problem on standard error
(``parsearch: error: ...``, naming the file), never a traceback unless
``PARSEARCH_DEBUG=1``; the exit statuses are in ``--help`` and :func:`main`. Text from the
data is printed with control characters escaped (``\\x1b`` as those four characters), so
a results folder cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from parsearch.plot.style import LOOKS
from parsearch.report import INDEX, collect_folders, write_page
from parsearch.results.files import HEATMAP, INTERRUPTED, RUNNING
from parsearch.results.read import read_run
from parsearch.rows import Col, Status, epochs_column, metric_label, ranked
from parsearch.text import epochs_text, one_line, visible

#: Where ``plot --matrix`` writes the corner matrix by default.
SCATTER_MATRIX = "scatter_matrix.png"

#: The most pruned configurations ``show`` lists.
MAX_PRUNED_SHOWN = 5

#: Columns other than ``score`` that ``plot --metric`` can draw, with their direction.
PLOTTABLE = {Col.TRAIN_LOSS: False, Col.FIT_SECONDS: False, Col.SCORE_STD: False}

#: Exit statuses: all read; the report written, but a folder unreadable; an error.
EXIT_OK, EXIT_UNREADABLE, EXIT_ERROR = 0, 1, 2
#: Exit status when interrupted (Ctrl-C) and when the reader of the output went away.
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141
#: Set to 1 for the traceback of an error instead of its one line.
DEBUG_ENV = "PARSEARCH_DEBUG"


def _emit(line, file):
    """Print one line of text that :func:`visible` made safe, in ``file``'s encoding."""
    encoding = getattr(file, "encoding", None) or "utf-8"
    try:
        line = line.encode(encoding, "backslashreplace").decode(encoding)
    except LookupError:
        pass
    print(line, file=file)


def _say(kind, message):
    """One line on standard error: ``parsearch: KIND: MESSAGE``, escaped."""
    _emit(f"parsearch: {kind}: {visible(one_line(message))}", sys.stderr)


def _positive_int(text):
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


_positive_int.__name__ = "positive integer"  # argparse: "invalid positive integer value"


def _rows_text(run, rows, results):
    """Rows of a run as an aligned text table: parameters as the figures label them, epochs
    as ``27`` (not ``27.0``), text escaped."""
    from parsearch.plot import parameter_labels  # looked up at each call, as tests patch it

    shown = rows[[*run.params, *results]].copy()
    labels = parameter_labels(rows, run.axes)
    for name in run.params:
        shown[name] = [visible(value) for value in labels[name]]
    if Col.EPOCHS_TRAINED in shown.columns:
        epochs = epochs_column(shown)
        shown[Col.EPOCHS_TRAINED] = ["" if np.isnan(e) else epochs_text(e) for e in epochs]
    if Col.STATUS in shown.columns:
        shown[Col.STATUS] = [visible(v) for v in shown[Col.STATUS]]
    shown.columns = [visible(run.metric if c == Col.SCORE else c) for c in shown.columns]
    return shown.to_string(index=False).splitlines()


def _furthest_pruned(run, n):
    """The ``n`` pruned rows that trained longest (the best scores among those)."""
    table = run.table
    pruned = (table[Col.STATUS] == Status.PRUNED).to_numpy()
    score = table[Col.SCORE].to_numpy(dtype=float)
    signed = np.nan_to_num(score if run.greater_is_better else -score, nan=-np.inf)
    epochs = np.nan_to_num(epochs_column(table), nan=-1.0)
    order = [i for i in np.lexsort((-signed, -epochs)) if pruned[i]]
    return table.iloc[order[:n]]


def _show_lines(run, top):
    """The lines ``show`` prints for a :class:`~parsearch.results.read.Run`, escaped."""
    table, meta = run.table, run.meta
    label = metric_label(run.metric, run.greater_is_better)
    lines = [f"{visible(run.folder)}: {len(table)} configurations, metric {visible(label)}"]
    status = meta.get("status")
    if status in (RUNNING, INTERRUPTED):
        lines.append(
            f"search {'interrupted' if status == INTERRUPTED else 'running, or stopped'} "
            "before its end (meta.json): rerun fit_grid with the same arguments to finish it"
        )
    if "model" in meta:
        model = one_line(meta["model"])  # sklearn's repr breaks long lines
        lines.append(f"model: {visible(model)}")
    halving = run.halving_text(arrow="->")
    if halving:
        lines.append(f"successive halving: {visible(halving)}")
    # The statuses that LOOKS gives a meaning (pruned) get a line each; the others that
    # are not ok (failed, diverged) one line together.
    counted = [(s, n, LOOKS[s].meaning) for s, n in run.counts.items() if n]
    lines.extend(f"{s}: {n} {meaning}" for s, n, meaning in counted if meaning)
    failed = [f"{n} {s}" for s, n, meaning in counted if s != Status.OK and not meaning]
    if failed:
        lines.append("not ok: " + ", ".join(failed))
    ok = ranked(table, run.greater_is_better)
    if ok.empty:
        lines.append("no configuration succeeded")
    else:
        columns = (Col.SCORE, Col.EPOCHS_TRAINED, Col.FIT_SECONDS)
        results = [c for c in columns if c in table.columns]
        lines.append(f"top {min(top, len(ok))}:")
        lines.extend(_rows_text(run, ok.head(top), results))
    furthest = _furthest_pruned(run, min(top, MAX_PRUNED_SHOWN))
    if not furthest.empty:
        columns = (Col.SCORE, Col.STATUS, Col.EPOCHS_TRAINED, Col.FIT_SECONDS)
        results = [c for c in columns if c in table.columns]
        lines.append(f"pruned, the {len(furthest)} that went furthest (scores at their last rung):")
        lines.extend(_rows_text(run, furthest, results))
    heatmap = run.folder / HEATMAP
    if heatmap.exists():
        lines.append(f"heatmap: {visible(heatmap)}")
    else:
        lines.append(f"no heatmap yet: run 'parsearch plot {visible(run.folder)}'")
    return lines


def show(folder, top=10, file=None):
    """Print the best configurations of a results folder, control characters escaped.

    Parameters
    ----------
    folder : str or Path
        The results folder.
    top : int
        How many configurations to list.
    file : file-like, optional
        Where to print (default: standard output).

    Raises
    ------
    parsearch.results.read.UnreadableFolder
        A :class:`ValueError` naming the file, when the folder cannot be read; nothing
        is printed then.
    """
    lines = _show_lines(read_run(folder), top)
    file = file or sys.stdout
    for line in lines:
        _emit(line, file)


@contextlib.contextmanager
def _writing(path):
    """Turn an error writing ``path`` into an OSError that names it."""
    try:
        yield
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from exc


def plot(folder, x=None, y=None, metric=None, output=None, matrix=False):
    """Redraw the figure of a results folder (:func:`parsearch.plot.plot_scores`).

    Parameters
    ----------
    folder : str or Path
        The results folder.
    x, y : str, optional
        Parameters for the axes of the heatmap or the scatter.
    metric : str, optional
        Column to draw: ``score`` (default) or one of ``PLOTTABLE``.
    output : str or Path, optional
        Where to write the PNG (default: ``folder/heatmap.png``; with ``matrix``,
        ``folder/scatter_matrix.png``).
    matrix : bool
        Draw the corner matrix of every pair of parameters, ranked by importance
        (:func:`parsearch.plot.plot_scatter_matrix`), instead; ``x`` and ``y``, where
        given, are its first parameters.

    Returns
    -------
    Path
        The PNG written.

    Raises
    ------
    ValueError
        When the folder cannot be read (:class:`parsearch.results.read.UnreadableFolder`),
        for an unknown parameter or metric, and when the figure cannot be drawn.
    OSError
        When the PNG cannot be written.
    """
    from parsearch import plot as plotting

    run = read_run(folder)
    table, greater, name = run.table, run.greater_is_better, run.metric
    if metric not in (None, Col.SCORE, name):
        if metric not in PLOTTABLE or metric not in table.columns:
            valid = [name] + [c for c in PLOTTABLE if c in table.columns]
            raise ValueError(f"Unknown metric {metric!r} for {run.folder}; valid: {valid}.")
        table = table.drop(columns=[Col.SCORE, Col.DIRECTION], errors="ignore")
        table = table.rename(columns={metric: Col.SCORE})
        greater, name = PLOTTABLE[metric], metric
    for axis in (x, y):
        if axis is not None and axis not in run.params:
            raise ValueError(f"Unknown parameter {axis!r}; the parameters are: {run.params}.")
    kwargs = {"axes": run.axes, "metric": name, "greater_is_better": greater}
    try:
        if matrix:
            named = [p for p in (x, y) if p is not None]
            fig = plotting.plot_scatter_matrix(table, params=named, **kwargs)
        else:
            fig = plotting.plot_scores(table, x=x, y=y, **kwargs)
    except Exception as exc:
        what = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        raise ValueError(f"cannot draw the scores of {run.folder}: {what}") from exc
    output = Path(output) if output else run.folder / (SCATTER_MATRIX if matrix else HEATMAP)
    with _writing(output):
        return plotting.save_figure(fig, output)


_EPILOG = (
    "Exit status: 0 when every folder was read, 2 on an error (one line on standard "
    "error names the file and what is wrong; nothing is written). Control characters "
    "in the data are printed escaped. Set PARSEARCH_DEBUG=1 for a traceback instead."
)
_REPORT_EPILOG = (
    "Exit status: 0 when every results folder was read; 1 when a folder was unreadable "
    "(the page lists it with the reason, standard error names it, and the other folders "
    "are shown as usual); 2 on an error, with nothing written. Symlinks are followed "
    "inside ROOT only: a folder, scores.csv, meta.json or image reached through a symlink "
    "to outside ROOT is skipped, and listed as skipped on the page and on standard error "
    "(the exit status stays 0); a folder reached twice is shown once."
)


def _parser():
    parser = argparse.ArgumentParser(
        prog="parsearch", description="Look at parsearch results folders.", epilog=_EPILOG
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_show = sub.add_parser("show", help="print the best configurations", epilog=_EPILOG)
    p_show.add_argument("folder", help="a results folder (with scores.csv)")
    p_show.add_argument(
        "--top", type=_positive_int, default=10, help="how many to list (default 10)"
    )
    p_plot = sub.add_parser(
        "plot",
        help="redraw the figure from scores.csv (a heatmap; scatters of a sampled space)",
        epilog=_EPILOG,
    )
    p_plot.add_argument("folder", help="a results folder (with scores.csv)")
    p_plot.add_argument("--x", help="parameter along the x axis")
    p_plot.add_argument("--y", help="parameter along the y axis")
    p_plot.add_argument("--metric", help="column to draw: score (default) or train_loss, ...")
    p_plot.add_argument(
        "--matrix",
        action="store_true",
        help="draw the corner matrix of every pair of parameters, ranked by importance "
        "(default output: FOLDER/scatter_matrix.png)",
    )
    p_plot.add_argument("--output", help="PNG to write (default: FOLDER/heatmap.png)")
    p_report = sub.add_parser(
        "report", help="write one HTML page over all results folders", epilog=_REPORT_EPILOG
    )
    p_report.add_argument(
        "root",
        nargs="?",
        default="results",
        help="folder searched, at any depth, for results folders (default: results)",
    )
    p_report.add_argument("--output", help="HTML file to write (default: ROOT/index.html)")
    return parser


def _run_show(args):
    show(args.folder, top=args.top)
    return EXIT_OK


def _run_plot(args):
    path = plot(
        args.folder,
        x=args.x,
        y=args.y,
        metric=args.metric,
        output=args.output,
        matrix=args.matrix,
    )
    _emit(f"wrote {visible(path)}", sys.stdout)
    return EXIT_OK


def _run_report(args):
    collection = collect_folders(args.root)
    output = Path(args.output) if args.output else collection.root / INDEX
    with _writing(output):
        path = write_page(collection, output=output)
    _emit(f"wrote {visible(path)}", sys.stdout)
    for problem in collection.unreadable:
        _say("unreadable", problem.reason)
    skipped = [*collection.skipped, *(p for run in collection.runs for p in run.skipped)]
    for problem in skipped:
        _say("skipped", f"{problem.path}: {problem.reason}")
    return EXIT_UNREADABLE if collection.unreadable else EXIT_OK


_COMMANDS = {"show": _run_show, "plot": _run_plot, "report": _run_report}


def _quiet_stdout():
    """After a broken pipe: send what is left of standard output nowhere."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _run(args):
    """Run a command; its warnings are printed escaped, one line each."""
    with warnings.catch_warnings(record=True) as caught:
        try:
            status = _COMMANDS[args.command](args)
            sys.stdout.flush()  # a closed pipe shows here, not at exit
            return status
        finally:
            for warning in caught:
                _say("warning", warning.message)


def main(argv=None):
    """Entry point of the ``parsearch`` command; returns the exit status.

    0: done; 1: ``report`` wrote the page but a folder was unreadable; 2: an error,
    printed as one line naming the file (with ``PARSEARCH_DEBUG=1`` it is raised
    instead); 130: interrupted; 141: standard output was closed.
    """
    args = _parser().parse_args(argv)
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("parsearch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as exc:
        if debug:
            raise
        if isinstance(exc, (OSError, ValueError)):
            _say("error", exc)
        else:
            _say(
                "error",
                f"unexpected {type(exc).__name__}: {exc} (a bug in parsearch? "
                f"set {DEBUG_ENV}=1 to see the traceback)",
            )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
