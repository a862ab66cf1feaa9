"""One static HTML page over every results folder under a root: ``parsearch report``.

:mod:`~parsearch.report.collect` finds the folders and reads each into a :class:`Run`
(or a :class:`Problem`, why not); :mod:`~parsearch.report.render` makes the page's HTML;
:func:`write_report` does both and writes the page.
"""

from pathlib import Path

from parsearch.report.collect import (
    Collection,
    Problem,
    collect_folders,
    collect_runs,
    find_results,
    load_run,
)
from parsearch.report.render import render_report
from parsearch.results.files import atomic_write
from parsearch.results.read import Run, UnreadableFolder

#: Default name of the page, written in the results root.
INDEX = "index.html"


def write_report(root="results", output=None):
    """Write the HTML page over every results folder under ``root``.

    A folder that cannot be read is listed on the page with the reason, the others shown;
    :func:`collect_folders` and :func:`write_page` tell which.

    Parameters
    ----------
    root : str or Path, default="results"
        The results root.
    output : str or Path, optional
        The HTML file (default: ``root/index.html``); images are linked relative to it.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    FileNotFoundError
        When ``root`` does not exist or holds no results folder.
    """
    return write_page(collect_folders(root), output=output)


def write_page(collection, output=None):
    """Write the page of a :class:`Collection` atomically (default: its root's index.html).

    Returns
    -------
    Path
        The file written.
    """
    output = Path(output) if output is not None else collection.root / INDEX
    title = f"parsearch report: {collection.root}"
    page = render_report(collection.entries, output, title=title, skipped=collection.skipped)
    with atomic_write(output) as f:
        f.write(page)
    return output


__all__ = [
    "INDEX",
    "Collection",
    "Problem",
    "Run",
    "UnreadableFolder",
    "collect_folders",
    "collect_runs",
    "find_results",
    "load_run",
    "render_report",
    "write_page",
    "write_report",
]
