"""``examples/lesson9.ipynb`` runs in a fresh Jupyter kernel under nbclient.

The notebook runs the README's tour (an SGD grid) and lesson 9's network (a fused grid
over the learning rate) on the embedded MNIST subset. Each cell tagged ``plot`` must show
exactly one image and no other cell any; each cell tagged ``rich`` must show a result's
HTML view.
"""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip(
    "nbformat", reason="the notebook test needs nbformat (pip install -e '.[dev]')"
)
nbclient = pytest.importorskip(
    "nbclient", reason="the notebook test needs nbclient (pip install -e '.[dev]')"
)
pytest.importorskip(
    "ipykernel", reason="the notebook test needs ipykernel (pip install -e '.[dev]')"
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "lesson9.ipynb"


def _tagged(nb, tag):
    return [cell for cell in nb.cells if tag in cell.metadata.get("tags", [])]


def _images(cell):
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def test_notebook_is_committed_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source


@pytest.mark.slow
def test_notebook_runs_in_a_fresh_kernel(tmp_path, monkeypatch):
    # A fresh kernel as a student gets it: the repository's parsearch, matplotlib's
    # default Jupyter backend, and no full MNIST (the embedded subset: seconds).
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), pythonpath])))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("PARSEARCH_MNIST", raising=False)
    monkeypatch.setenv("PARSEARCH_CACHE", str(tmp_path / "cache"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import parsearch\nprint(parsearch.__file__)"))
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()

    where = nb.cells.pop().outputs[0]["text"].strip()
    assert Path(where).resolve() == ROOT / "parsearch" / "__init__.py"  # this checkout's

    plots, rich = _tagged(nb, "plot"), _tagged(nb, "rich")
    assert len(plots) == 4 and len(rich) == 3
    for cell in plots:
        assert _images(cell) == 1, (cell.source, cell.outputs)
    others = [cell for cell in nb.cells if cell.cell_type == "code" and cell not in plots]
    for cell in others:
        assert _images(cell) == 0, (cell.source, cell.outputs)
    for cell in rich:
        views = [
            out["data"]["text/html"] for out in cell.outputs if "text/html" in out.get("data", {})
        ]
        assert len(views) == 1, (cell.source, cell.outputs)
        assert "GridResult" in views[0] and "data:image/png;base64," in views[0]
    # What a student reads besides: no warning from the progress bar (tqdm.auto without
    # ipywidgets warns "IProgress not found" in every cell that searches).
    stderr = "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("name") == "stderr"
    )
    assert "IProgress" not in stderr and "TqdmWarning" not in stderr, stderr
