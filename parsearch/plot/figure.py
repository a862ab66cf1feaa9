"""What every figure shares: importing matplotlib, the colours, the title, saving a PNG.

matplotlib is imported only when drawing (:func:`import_matplotlib`), and
``matplotlib.pyplot`` never: figures are built with ``matplotlib.figure.Figure``
directly, so the user's backend and global state are left alone.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from parsearch._optional import import_optional
from parsearch.rows import Status

#: Colour of the marks of configurations that did not succeed.
FAILED_COLORS = {Status.FAILED: "tab:red", Status.DIVERGED: "tab:purple"}

_DPI = 120


def import_matplotlib():
    """Import matplotlib and every one of its modules that the drawing uses.

    ``fit_grid`` calls it in a background thread while the fits run, so that the
    plot after the search does not wait for the import.

    Returns
    -------
    module
        ``matplotlib``, with ``colors``, ``figure``, ``patches``, ``ticker`` and
        ``transforms`` imported.

    Raises
    ------
    ImportError
        If matplotlib is not installed, saying how to install it.
    """
    return import_optional("matplotlib", "colors", "figure", "patches", "ticker", "transforms")


def _wrap(text, width_in):
    chars = max(30, int(width_in * 11))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def set_title(fig, heading, best, width_in):
    """The figure's title: the heading, then the line naming the best, wrapped to fit."""
    fig.suptitle(_wrap(f"{heading}\n{best}", width_in), fontsize=10)


def needs_rotation(labels, space_in, fontsize=9.0):
    """Whether labels side by side, ``space_in`` inches apart, would overlap."""
    longest = max((len(s) for s in labels), default=0)
    return longest * fontsize * 0.6 / 72 > 0.9 * space_in


def rotate_x_labels(ax):
    """Tilt the x tick labels by 45 degrees, anchored at their right end."""
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")


def save_figure(fig, path):
    """Write a figure to a PNG file atomically.

    The image is written to a temporary file in the same folder and moved into place
    with :func:`os.replace`, so a reader never sees a half-written file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to save.
    path : str or os.PathLike
        Destination of the PNG; missing parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not hasattr(fig, "savefig"):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    from parsearch.results.files import atomic_write

    path = Path(path)
    with atomic_write(path, binary=True) as f:
        fig.savefig(f, format="png", dpi=_DPI)
    return path
