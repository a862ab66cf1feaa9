"""Write the report: collect the results folders, render the page, write it atomically."""

from __future__ import annotations

from pathlib import Path

from parsearch.report.collect import collect_folders
from parsearch.report.render import render_report
from parsearch.results.files import atomic_write

#: Default name of the page, written in the results root.
INDEX = "index.html"


def write_report(root="results", output=None):
    """Write the HTML report over every results folder under ``root``.

    A folder that cannot be read is listed on the page as unreadable, with the reason,
    and the others are shown; symlinks out of ``root`` are listed as skipped (see
    :mod:`parsearch.report.collect`). Use :func:`collect_folders` and
    :func:`write_page` to know which.

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

    Raises
    ------
    FileNotFoundError
        When ``root`` does not exist or holds no results folder at all.
    """
    return write_page(collect_folders(root), output=output)


def write_page(collection, output=None):
    """Write the HTML page of a :class:`~parsearch.report.collect.Collection`.

    Parameters
    ----------
    collection : Collection
        The folders read from a results root (:func:`collect_folders`).
    output : str or Path, optional
        The HTML file to write (default: ``index.html`` in the collection's root).

    Returns
    -------
    Path
        The file written.
    """
    root = collection.root
    output = Path(output) if output is not None else root / INDEX
    page = render_report(
        collection.entries, output, title=f"parsearch report: {root}", skipped=collection.skipped
    )
    with atomic_write(output) as f:
        f.write(page)
    return output
