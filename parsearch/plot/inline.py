"""Showing figures in Jupyter: once, inline, in a fresh kernel, and never twice.

Every figure parsearch draws is an :class:`InlineFigure`, which renders itself as a PNG
for IPython, so the last value of a cell shows inline without any pyplot call first;
outside IPython no backend is chosen and pyplot is not imported. In a kernel with the
inline backend, :func:`adopt` also hands a figure to pyplot (``plt.show()`` and the end of
the cell show it), and rendering it takes it back (:func:`release`), so it shows once.
"""

from __future__ import annotations

import base64
import io
import logging
import sys

import matplotlib
from matplotlib.figure import Figure

from parsearch.plot.style import DPI

logger = logging.getLogger(__name__)

_INLINE_BACKENDS = ("inline", "module://matplotlib_inline.backend_inline")


def png_bytes(fig):
    """The figure as PNG bytes, as :func:`parsearch.plot.save_figure` writes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


class InlineFigure(Figure):
    """A ``matplotlib.figure.Figure`` that shows itself as a PNG in IPython.

    As the last value of a Jupyter cell (or passed to ``display``) it shows as one
    ``image/png``, whatever the backend, and is taken back from pyplot if :func:`adopt`
    gave it there, so that the end of the cell does not show it a second time.
    """

    def _repr_mimebundle_(self, include=None, exclude=None):
        release(self)
        return {
            "image/png": base64.b64encode(png_bytes(self)).decode("ascii"),
            "text/plain": repr(self),
        }


def _backend():
    """matplotlib's backend as set, without resolving an automatic one (no pyplot import)."""
    if matplotlib.__version_info__ >= (3, 10):
        return matplotlib.get_backend(auto_select=False)
    return matplotlib.rcParams._get("backend")


def in_inline_kernel():
    """Whether this is a Jupyter kernel whose matplotlib backend is the inline one
    (IPython is not imported to find out: where nothing imported it, this is no kernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        return _backend() in _INLINE_BACKENDS
    except Exception:  # a matplotlib whose private accessor moved: no inline hand-over
        logger.debug("Could not read matplotlib's backend.", exc_info=True)
        return False


def adopt(fig):
    """``fig``, handed to pyplot in a Jupyter kernel with the inline backend.

    ``plt.show()`` and the end of the cell then show it (once), as a figure that
    ``plt.figure()`` made; anywhere else (a script, another backend) nothing is done.
    """
    if fig.canvas.manager is not None or not in_inline_kernel():
        return fig
    try:
        import matplotlib.pyplot as plt
        from matplotlib._pylab_helpers import Gcf
        from matplotlib_inline import backend_inline

        number = max(plt.get_fignums(), default=0) + 1
        manager = backend_inline.new_figure_manager_given_figure(number, fig)
        Gcf._set_new_active_manager(manager)
    except Exception:  # the figure still shows as a cell's last value
        logger.debug("Could not hand the figure to pyplot.", exc_info=True)
    return fig


def release(fig):
    """``fig``, taken back from pyplot if :func:`adopt` gave it there; it stays usable."""
    if fig.canvas.manager is not None and "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return fig
