"""Tests of parsearch.plot.figure and .inline: saving PNGs, no pyplot in a script, showing
figures once in Jupyter, drawing without matplotlib."""

import base64
import errno
import math
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_plot import (
    four_param_table,
    keyed_grid_table,
    lr_width_table,
    make_table,
    math_texts,
    render,
    texts_of,
    three_param_table,
)

from parsearch.plot import figure, inline, plot_epoch_scores, plot_scores, save_figure
from parsearch.rows import Col, Status

REPO = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_save_figure_writes_a_png_atomically(tmp_path):
    import matplotlib.image

    path = tmp_path / "out" / "heatmap.png"
    written = save_figure(plot_scores(lr_width_table()), path)

    assert written == path
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
    save_figure(plot_scores(three_param_table()), path)  # replaces the old file
    assert matplotlib.image.imread(path).shape != pixels.shape
    assert sorted(p.name for p in path.parent.iterdir()) == ["heatmap.png"]  # no temp left


def test_no_pyplot_and_no_backend_change(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys
        import matplotlib
        import matplotlib.figure
        # the raw setting: matplotlib.get_backend() would itself import pyplot
        backend = dict.__getitem__(matplotlib.rcParams, "backend")
        import pandas as pd
        from parsearch.plot import plot_scores, save_figure
        from parsearch.plot.inline import adopt
        table = pd.DataFrame({{"lr": [0.1, 0.01, 0.1, 0.01], "w": [1, 1, 2, 2],
                               "score": [0.1, 0.2, 0.3, 0.4], "status": ["ok"] * 4}})
        fig = adopt(plot_scores(table))  # as GridResult.plot: outside Jupyter, nothing
        save_figure(fig, {str(tmp_path / "f.png")!r})
        assert isinstance(fig, matplotlib.figure.Figure), type(fig)
        assert fig.canvas.manager is None  # pyplot does not know it: no window
        assert "matplotlib.pyplot" not in sys.modules
        assert dict.__getitem__(matplotlib.rcParams, "backend") is backend
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_arrays_work_without_matplotlib():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["matplotlib"] = None  # as if not installed
        import pandas as pd
        from parsearch.plot import plot_scores, score_grid
        table = pd.DataFrame({"lr": [0.1, 0.01], "w": [1, 2], "score": [0.1, 0.2]})
        assert score_grid(table, "lr", "w").best == (1, 0)
        try:
            plot_scores(table)
        except ImportError as exc:
            assert "pip install matplotlib" in str(exc), exc
        else:
            raise AssertionError("plot_scores drew without matplotlib")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


def test_import_matplotlib_imports_the_modules_the_drawing_uses():
    from parsearch.plot.figure import import_matplotlib

    mpl = import_matplotlib()
    for name in ("cm", "colors", "figure", "lines", "patches", "text", "ticker", "transforms"):
        assert f"matplotlib.{name}" in sys.modules
    assert mpl is sys.modules["matplotlib"]


def test_the_single_point_draws_dollars_as_plain_text():
    fig = plot_scores(keyed_grid_table({"$p$": ["$a_b_c$"], "q": ["price $5 or $6"]}))
    texts = texts_of(fig)  # raised ParseFatalException before
    assert math_texts(fig) == []
    assert any("$p$=$a_b_c$, q=price $5 or $6" in t for t in texts)


def test_plain_text_leaves_the_math_of_matplotlibs_own_tick_labels():
    lrs = [10.0**k for k in range(-20, 0)]  # more than 15: matplotlib places the ticks
    fig = plot_scores(make_table({"lr": lrs}, lambda lr: -abs(math.log10(lr) + 5)))
    render(fig)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    own = [t for t in ax.get_xticklabels() if "mathdefault" in t.get_text()]
    assert own and all(t.get_parse_math() for t in own)  # 10^-5 stays a power
    assert not ax.xaxis.label.get_parse_math()  # our text does not


def kind_tables():
    """One results table per kind of plot_scores figure, and the epoch curves."""
    curves = pd.DataFrame(
        {
            "lr": [0.1, 0.01],
            Col.SCORE: [0.5, 0.6],
            Col.STATUS: [Status.OK] * 2,
            Col.EPOCH_SCORES: [[0.4, 0.5], [0.5, 0.6]],
        }
    )
    return {
        "single": lambda: plot_scores(make_table({"lr": [0.1]}, lambda lr: 0.5)),
        "line": lambda: plot_scores(make_table({"lr": [0.1, 0.01]}, lambda lr: lr)),
        "heatmap": lambda: plot_scores(lr_width_table()),
        "facets": lambda: plot_scores(three_param_table()),
        "best over the rest": lambda: plot_scores(four_param_table()),
        "curves": lambda: plot_epoch_scores(curves),
    }


KINDS = list(kind_tables())


def _shown_png(fig):
    """The PNG that IPython shows for ``fig``, from its mime bundle."""
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain"}
    return base64.b64decode(bundle["image/png"])


@pytest.mark.parametrize("kind", [*KINDS, "scatter"])
def test_every_figure_shows_itself_as_one_png_in_ipython(kind):
    # In a fresh Jupyter kernel no formatter knows matplotlib's Figure until pyplot's
    # inline backend loads: the figure must render itself.
    draw = kind_tables().get(kind) or (
        lambda: plot_scores(make_table({"lr": [1.1**k for k in range(50)]}, lambda lr: -lr))
    )
    fig = draw()
    assert fig.canvas.manager is None  # no pyplot figure: a script opens no window
    assert _shown_png(fig)[:8] == PNG_SIGNATURE


@pytest.fixture
def inline_kernel(monkeypatch):
    """``in_inline_kernel`` true, as in a Jupyter kernel; pyplot's figures closed after."""
    pytest.importorskip("matplotlib_inline", reason="comes with ipykernel (the dev extra)")
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    monkeypatch.setattr(inline, "in_inline_kernel", lambda: True)
    yield plt
    for number in set(plt.get_fignums()) - before:
        plt.close(number)


def test_in_a_kernel_a_figure_goes_to_pyplot_until_it_is_shown(inline_kernel):
    plt = inline_kernel
    fig = inline.adopt(plot_scores(lr_width_table()))
    assert plt.fignum_exists(fig.number)  # plt.show() and the cell's end would show it
    assert _shown_png(fig)[:8] == PNG_SIGNATURE
    assert not plt.fignum_exists(fig.number)  # shown as the cell's value: not again
    assert _shown_png(fig)[:8] == PNG_SIGNATURE  # shown again when asked again


def test_in_a_kernel_the_saved_heatmap_is_not_left_to_pyplot(inline_kernel, tmp_path):
    plt = inline_kernel
    before = set(plt.get_fignums())
    draw = lambda: inline.adopt(plot_scores(lr_width_table()))  # noqa: E731
    assert figure.save_plot_safely(draw, tmp_path / "heatmap.png") is None
    assert set(plt.get_fignums()) == before  # fit_grid's cell shows no figure


def test_outside_a_kernel_nothing_is_handed_to_pyplot():
    assert not inline.in_inline_kernel()
    fig = inline.adopt(plot_scores(lr_width_table()))
    assert fig.canvas.manager is None


def full_disk(self, filename_or_obj, *args, **kwargs):
    filename_or_obj.write(b"\x89PNG")  # a start, then no space left
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_is_a_warning_and_the_old_png_is_kept(tmp_path, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    path = tmp_path / "heatmap.png"
    path.write_bytes(b"old")
    monkeypatch.setattr(FigureCanvasAgg, "print_png", full_disk)
    with pytest.warns(RuntimeWarning, match="No space left on device") as record:
        message = figure.save_plot_safely(lambda: plot_scores(lr_width_table()), path)
    assert message == str(record[0].message)
    assert f"parsearch plot {tmp_path}" in message
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heatmap.png"]  # no temp left


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("stage", ["drawing", "rendering", "writing"])
def test_any_error_of_any_kind_of_plot_is_a_warning(kind, stage, tmp_path, monkeypatch):
    import matplotlib.axes
    import matplotlib.text
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def boom(*args, **kwargs):
        raise ValueError("a bug in the drawing")

    target = {
        "drawing": (matplotlib.axes.Axes, "set_ylabel", boom),
        "rendering": (matplotlib.text.Text, "draw", boom),
        "writing": (FigureCanvasAgg, "print_png", full_disk),
    }[stage]
    monkeypatch.setattr(*target)
    path = tmp_path / "heatmap.png"
    with pytest.warns(RuntimeWarning, match="The plot was not saved to"):
        message = figure.save_plot_safely(kind_tables()[kind], path)
    assert ("a bug in the drawing" if stage != "writing" else "No space left") in message
    assert not path.exists()


def test_matplotlib_missing_is_a_warning(tmp_path, monkeypatch):
    from parsearch.plot import dispatch

    def missing():
        raise ImportError("plotting needs matplotlib: pip install matplotlib")

    monkeypatch.setattr(dispatch, "import_matplotlib", missing)
    with pytest.warns(RuntimeWarning, match="pip install matplotlib"):
        assert figure.save_plot_safely(lambda: plot_scores(lr_width_table()), tmp_path / "h.png")


@pytest.mark.parametrize(
    "grid",
    [
        {"C": [0.1, 1.0, math.inf]},
        {"C": [0.1, math.inf], "name": ["$a_b_c$", "price $5 or $6"]},
        {"C": [-math.inf, math.nan], "name": ["$a_b_c$"], "x": ["\n", "\x00"]},
    ],
)
def test_values_that_crashed_the_plot_are_saved_without_a_warning(grid, tmp_path):
    path = tmp_path / "heatmap.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert figure.save_plot_safely(lambda: plot_scores(keyed_grid_table(grid)), path) is None
    assert path.read_bytes()[:8] == PNG_SIGNATURE
