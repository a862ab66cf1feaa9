"""Tests of the ``parsearch`` command (parsearch.cli) on folders written by real searches."""

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

from parsearch import MLPClassifier, fit_grid
from parsearch import plot as plot_module
from parsearch.cli import main
from parsearch.results.files import HEATMAP
from parsearch.results.read import read_scores

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def root(tmp_path_factory, mnist_small):
    """A results root written by two tiny real searches.

    ``lr``: LogisticRegression over C × tol, accuracy; C=-1 fails, so 2 of 6 failed.
    ``nets/mlp``: MLPClassifier over lr × width, log_loss (lower is better), with a
    train_loss column.
    """
    X, y = mnist_small
    X_train, y_train, X_val, y_val = X[:300], y[:300], X[300:400], y[300:400]
    root = tmp_path_factory.mktemp("cli") / "results"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and the failures, on purpose
        fit_grid(
            LogisticRegression(max_iter=50),
            {"C": [0.1, 1.0, -1.0], "tol": [1e-4, 1e-2]},
            X_train,
            y_train,
            X_val,
            y_val,
            out=root / "lr",
            progress=False,
        )
        fit_grid(
            MLPClassifier(depth=1, epochs=2, device="cpu"),
            {"lr": [0.01, 0.1], "width": [8, 16]},
            X_train,
            y_train,
            X_val,
            y_val,
            metric="log_loss",
            out=root / "nets" / "mlp",
            progress=False,
        )
    return root


@pytest.fixture
def copy(root, tmp_path):
    """A writable copy of the results root, for commands that write into it."""
    return Path(shutil.copytree(root, tmp_path / "results"))


@pytest.fixture
def figures(monkeypatch):
    """The figures that ``plot`` saves, captured on their way to the file."""
    saved = []
    save = plot_module.save_figure

    def capture(fig, path):
        saved.append(fig)
        return save(fig, path)

    monkeypatch.setattr(plot_module, "save_figure", capture)
    return saved


def run(capsys, *argv):
    """``main(argv)`` with its exit status, standard output and standard error."""
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def figure_text(fig):
    return " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))


# --- show ------------------------------------------------------------------------------


def test_show_prints_top_configurations_direction_failures_and_heatmap(root, capsys):
    status, out, err = run(capsys, "show", root / "lr", "--top", 2)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{root / 'lr'}: 6 configurations, metric accuracy (higher is better)"
    assert lines[1].startswith("model: LogisticRegression(")
    assert "not ok: 2 failed" in lines
    table = read_scores(root / "lr")
    ok = table[table["status"] == "ok"].sort_values("score", ascending=False, kind="stable")
    top = lines.index("top 2:")
    assert lines[top + 1].split() == ["C", "tol", "accuracy", "fit_seconds"]
    shown = [line.split() for line in lines[top + 2 : top + 4]]
    assert [(float(r[0]), float(r[1])) for r in shown] == list(
        zip(ok["C"].head(2), ok["tol"].head(2))
    )
    assert float(shown[0][2]) == pytest.approx(ok["score"].iloc[0], abs=1e-6)
    assert all(float(r[0]) > 0 for r in shown)  # the failed C=-1 rows are not listed
    assert lines[top + 4] == f"heatmap: {root / 'lr' / HEATMAP}"
    assert len(lines) == top + 5


def test_show_a_lower_is_better_metric_without_failures(root, capsys):
    status, out, _ = run(capsys, "show", root / "nets" / "mlp")
    assert status == 0
    assert "4 configurations, metric log_loss (lower is better)" in out
    assert "not ok" not in out and "top 4:" in out
    table = read_scores(root / "nets" / "mlp")
    best = table.sort_values("score", kind="stable").iloc[0]
    first = out.splitlines()[out.splitlines().index("top 4:") + 2].split()
    assert (float(first[0]), int(first[1])) == (best["lr"], best["width"])


def test_show_says_how_to_draw_a_missing_heatmap(copy, capsys):
    (copy / "lr" / HEATMAP).unlink()
    status, out, _ = run(capsys, "show", copy / "lr")
    assert status == 0
    assert f"no heatmap yet: run 'parsearch plot {copy / 'lr'}'" in out


# --- plot ------------------------------------------------------------------------------


def test_plot_redraws_the_heatmap_in_the_folder(copy, capsys, figures):
    heatmap = copy / "lr" / HEATMAP
    heatmap.unlink()
    status, out, err = run(capsys, "plot", copy / "lr")
    assert (status, err) == (0, "")
    assert out == f"wrote {heatmap}\n"
    assert heatmap.read_bytes()[:8] == PNG_MAGIC
    assert "accuracy" in figure_text(figures[0])


def test_plot_with_chosen_axes_and_output(root, tmp_path, capsys, figures):
    output = tmp_path / "png" / "tol_by_C.png"
    status, out, _ = run(capsys, "plot", root / "lr", "--x", "tol", "--y", "C", "--output", output)
    assert status == 0 and out == f"wrote {output}\n"
    assert output.read_bytes()[:8] == PNG_MAGIC
    ax = figures[0].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("tol", "C")


def test_plot_another_metric(root, tmp_path, capsys, figures):
    output = tmp_path / "train_loss.png"
    status, _, err = run(
        capsys, "plot", root / "nets" / "mlp", "--metric", "train_loss", "--output", output
    )
    assert (status, err) == (0, "")
    assert output.read_bytes()[:8] == PNG_MAGIC
    text = figure_text(figures[0])
    assert "train_loss" in text and "log_loss" not in text


def test_plot_an_unknown_parameter_is_an_error(root, tmp_path, capsys):
    output = tmp_path / "never.png"
    status, out, err = run(capsys, "plot", root / "lr", "--x", "alpha", "--output", output)
    assert (status, out) == (2, "")
    assert err == "parsearch: error: Unknown parameter 'alpha'; the parameters are: ['C', 'tol'].\n"
    assert not output.exists()


@pytest.mark.parametrize(
    ("folder", "metric", "valid"),
    [
        ("lr", "train_loss", "['accuracy', 'fit_seconds']"),
        ("nets/mlp", "accuracy", "['log_loss', 'train_loss', 'fit_seconds']"),
    ],
)
def test_plot_an_unknown_metric_is_an_error(root, tmp_path, capsys, folder, metric, valid):
    output = tmp_path / "never.png"
    status, _, err = run(capsys, "plot", root / folder, "--metric", metric, "--output", output)
    assert status == 2
    assert f"Unknown metric {metric!r} for {root / folder}; valid: {valid}." in err
    assert not output.exists()


# --- report ----------------------------------------------------------------------------


def test_report_writes_one_page_over_all_folders(root, tmp_path, capsys):
    output = tmp_path / "site" / "report.html"
    status, out, err = run(capsys, "report", root, "--output", output)
    assert (status, err) == (0, "")
    assert out == f"wrote {output}\n"
    page = output.read_text()
    assert "<h2>lr</h2>" in page and "<h2>nets/mlp</h2>" in page
    assert "metric <strong>log_loss</strong> (lower is better)" in page
    assert '<span class="bad">2 failed</span>' in page
    assert page.count("<img ") == 2
    heatmap = Path(os.path.relpath(root / "nets" / "mlp" / HEATMAP, output.parent))
    assert f'src="{heatmap.as_posix()}"' in page


def test_report_defaults_to_results_and_its_index_html(copy, capsys, monkeypatch):
    monkeypatch.chdir(copy.parent)
    status, out, _ = run(capsys, "report")
    assert status == 0 and out == f"wrote {Path('results', 'index.html')}\n"
    page = (copy / "index.html").read_text()
    assert 'src="lr/heatmap.png"' in page and 'src="nets/mlp/heatmap.png"' in page


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "plot", "report"])
def test_a_folder_without_scores_is_an_error(tmp_path, capsys, command):
    (tmp_path / "empty").mkdir()
    status, out, err = run(capsys, command, tmp_path / "empty")
    assert (status, out) == (2, "")
    assert err.startswith("parsearch: error: ")
    if command == "report":
        assert f"No results folders under {tmp_path / 'empty'}" in err
    else:
        assert f"No scores.csv in {tmp_path / 'empty'}" in err
    assert not list((tmp_path / "empty").iterdir())


@pytest.mark.parametrize("command", ["show", "plot", "report"])
def test_a_missing_folder_is_an_error(tmp_path, capsys, command):
    status, _, err = run(capsys, command, tmp_path / "nowhere")
    assert status == 2 and str(tmp_path / "nowhere") in err


@pytest.mark.parametrize("command", ["show", "plot", "report"])
def test_a_malformed_scores_file_is_an_error(copy, capsys, command):
    scores = copy / "lr" / "scores.csv"
    lines = scores.read_text().splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + ',"extra"\n'  # one field too many on line 3
    scores.write_text("".join(lines))
    folder = copy if command == "report" else copy / "lr"
    status, out, err = run(capsys, command, folder)
    assert (status, out) == (2, "")
    assert f"parsearch: error: {scores} is not a valid scores file" in err
    assert not (copy / "index.html").exists()


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "usage: parsearch" in capsys.readouterr().err


# --- the installed console script ------------------------------------------------------


def console_script():
    found = shutil.which("parsearch") or shutil.which("parsearch", path=Path(sys.executable).parent)
    if found is None:
        pytest.skip("the parsearch console script is not installed (pip install -e .)")
    return found


def test_the_console_script_reports_and_exits_with_status_2_on_errors(root, tmp_path):
    script = console_script()
    output = tmp_path / "report.html"
    done = subprocess.run(
        [script, "report", str(root), "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout == f"wrote {output}\n"
    assert "<h2>nets/mlp</h2>" in output.read_text()

    done = subprocess.run(
        [script, "show", str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"parsearch: error: No scores.csv in {tmp_path}: is it a parsearch results folder?\n"
    )


@pytest.mark.parametrize("top", ["0", "-2", "two"])
def test_show_top_must_be_a_positive_integer(root, capsys, top):
    with pytest.raises(SystemExit) as info:
        main(["show", str(root / "lr"), "--top", top])
    assert info.value.code == 2
    assert "--top" in capsys.readouterr().err


def test_show_prints_parameters_as_the_grid_has_them(tmp_path, capsys, mnist_small):
    # A CSV column holding None and integers reads back as floats with NaN; show prints
    # the grid's values: None and 4, not NaN and 4.0.
    from sklearn.tree import DecisionTreeClassifier

    X, y = mnist_small
    out = tmp_path / "tree"
    grid = {"max_depth": [None, 4], "min_samples_leaf": [1, 5]}
    fit_grid(DecisionTreeClassifier(), grid, X[:300], y[:300], X[300:400], y[300:400], out=out)
    capsys.readouterr()
    status, text, _ = run(capsys, "show", out)
    assert status == 0
    rows = [line.split() for line in text.splitlines() if line.startswith(" ")]
    assert {r[0] for r in rows} == {"None", "4"} and {r[1] for r in rows} == {"1", "5"}
    assert "NaN" not in text and "4.0 " not in text
