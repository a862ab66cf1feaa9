"""Write the report: collect the results folders, render the page, write it atomically."""

from __future__ import annotations

from pathlib import Path

from parsearch.report.collect import collect_runs
from parsearch.report.render import render_report
from parsearch.results.files import atomic_write

#: Default name of the page, written in the results root.
INDEX = "index.html"


def write_report(root="results", output=None):
    """Write the HTML report over every results folder under ``root``.

    Parameters
    ----------
    root : str or Path, default="results"
        The results root.
    output : str or Path, optional
        The HTML file to write (default: ``root/index.html``). Images are referenced
        relative to its folder.

    Returns
    -------
    Path
        The file written.
    """
    root = Path(root)
    runs = collect_runs(root)
    output = Path(output) if output is not None else root / INDEX
    page = render_report(runs, output, title=f"parsearch report: {root}")
    with atomic_write(output) as f:
        f.write(page)
    return output
