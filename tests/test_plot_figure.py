"""Tests of parsearch.plot.figure: saving PNGs, no pyplot, drawing without matplotlib."""

import subprocess
import sys
import textwrap
from pathlib import Path

from test_plot import lr_width_table, three_param_table

from parsearch.plot import plot_scores, save_figure

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
        # the raw setting: matplotlib.get_backend() would itself import pyplot
        backend = dict.__getitem__(matplotlib.rcParams, "backend")
        import pandas as pd
        from parsearch.plot import plot_scores, save_figure
        table = pd.DataFrame({{"lr": [0.1, 0.01, 0.1, 0.01], "w": [1, 1, 2, 2],
                               "score": [0.1, 0.2, 0.3, 0.4], "status": ["ok"] * 4}})
        fig = plot_scores(table)
        save_figure(fig, {str(tmp_path / "f.png")!r})
        assert type(fig).__module__ == "matplotlib.figure", type(fig)
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
    for name in ("colors", "figure", "patches", "ticker", "transforms"):
        assert f"matplotlib.{name}" in sys.modules
    assert mpl is sys.modules["matplotlib"]
