"""One static HTML page over every results folder under a root.

``parsearch report RESULTS_ROOT`` finds each folder (at any depth) that holds a
``scores.csv`` and writes a page with one section per folder: the metric and its
direction, the best configuration, how many configurations were ok, failed or
diverged, the folder's PNG images, a table of all rows that sorts when a column
header is clicked, and the facts from ``meta.json``.

Compute first, render second, one job a module:

- :mod:`~parsearch.report.collect` finds the folders and reads each (by
  :func:`parsearch.results.read.read_run`, the one reader that ``parsearch show`` and
  ``plot`` use too) into a :class:`Run` with its images (:func:`find_results`,
  :func:`load_run`, :func:`collect_runs`), or, one folder at a
  time, into a :class:`Collection` where a folder that cannot be read is a
  :class:`Problem` with the reason (:func:`collect_folders`); symlinks are followed
  inside the results root only;
- :mod:`~parsearch.report.render` turns them into the page's text
  (:func:`render_report`), from the package data files in ``assets/``: the page's
  skeleton (``page.html``), its CSS (``report.css``) and its sorting script
  (``report.js``), inlined so the page works opened straight from disk;
- :mod:`~parsearch.report.write` does both and writes the file atomically
  (:func:`write_report`, :func:`write_page`).
"""

from parsearch.report.collect import (
    Collection,
    Problem,
    collect_folders,
    collect_runs,
    find_results,
    load_run,
)
from parsearch.report.render import render_report
from parsearch.report.write import INDEX, write_page, write_report
from parsearch.results.read import Run, UnreadableFolder

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
