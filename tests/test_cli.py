"""Tests of the ``parsearch`` command (parsearch.cli) on folders written by real searches."""

import builtins
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from test_plot import halving_grid_table

from parsearch import MLPClassifier, fit_grid, sample_space
from parsearch import plot as plot_module
from parsearch.cli import main
from parsearch.results.files import HEATMAP
from parsearch.results.read import read_scores
from parsearch.results.store import ResultStore
from parsearch.rows import Col

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


@pytest.mark.parametrize(
    ("status", "said"), [("interrupted", "search interrupted"), ("running", "search running")]
)
def test_show_says_when_the_search_did_not_finish(copy, capsys, status, said):
    path = copy / "lr" / "meta.json"
    meta = json.loads(path.read_text())
    path.write_text(json.dumps({**meta, "status": status}))
    _, out, _ = run(capsys, "show", copy / "lr")
    assert f"{said}" in out.splitlines()[1]
    assert "rerun fit_grid with the same arguments to finish it" in out


def test_show_of_a_finished_search_says_nothing_of_it(root, capsys):
    _, out, _ = run(capsys, "show", root / "lr")
    assert "rerun fit_grid" not in out


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
    if command == "report":  # the page is written, with lr listed as unreadable
        status, out, err = run(capsys, command, copy)
        assert (status, out) == (1, f"wrote {copy / 'index.html'}\n")
        assert f"parsearch: unreadable: {scores} is not a valid scores file" in err
        assert 'class="unreadable"' in (copy / "index.html").read_text()
        return
    status, out, err = run(capsys, command, copy / "lr")
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


# --- hostile folders: one clear line naming the file, never a traceback -----------------

SCORES_HEADER = ["C", "score", "status", "error", "fit_seconds", "metric", "direction"]


def write_folder(folder, rows, params=("C",), meta=None):
    """A results folder as fit_grid writes one: ``rows`` are ``(values, score, status)``."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "scores.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*params, *SCORES_HEADER[1:], "config_key"])
        for values, score, status in rows:
            key = json.dumps(dict(zip(params, values)), sort_keys=True)
            writer.writerow([*values, score, status, "", 0.5, "accuracy", "higher_is_better", key])
    meta = {"metric": {"name": "accuracy", "greater_is_better": True}} if meta is None else meta
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def edit_scores(folder, change):
    """Rewrite scores.csv with ``change(records)`` applied to its list of records."""
    with open(folder / "scores.csv", newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    change(records)
    with open(folder / "scores.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(records)


def edit_meta(folder, change):
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    change(meta)
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def set_cell(row, column, value):
    def change(records):
        records[row][records[0].index(column)] = value

    return change


def add_column(name, values):
    """A change to scores.csv: a new column with one value per row."""

    def change(records):
        records[0].append(name)
        for record, value in zip(records[1:], values, strict=True):
            record.append(value)

    return change


def drop_column(name):
    """A change to scores.csv: the column left out."""

    def change(records):
        where = records[0].index(name)
        for record in records:
            del record[where]

    return change


DEEP = "[" * 20_000 + "]" * 20_000  # nested past the recursion limit, under the field limit
GARBAGE = bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8))

#: Ways a results folder goes bad, each with the file that the message must name.
HOSTILE = {
    "binary scores.csv": (lambda f: (f / "scores.csv").write_bytes(GARBAGE), "scores.csv"),
    "empty scores.csv": (lambda f: (f / "scores.csv").write_text(""), "scores.csv"),
    "no status column": (lambda f: (f / "scores.csv").write_text("C,score\n1,0.5\n"), "scores.csv"),
    "text score": (lambda f: edit_scores(f, set_cell(1, "score", "abc")), "scores.csv"),
    "unknown status": (lambda f: edit_scores(f, set_cell(2, "status", "done")), "scores.csv"),
    "unknown direction": (lambda f: edit_scores(f, set_cell(1, "direction", "up")), "scores.csv"),
    "deep config_key": (lambda f: edit_scores(f, set_cell(1, "config_key", DEEP)), "scores.csv"),
    "scores.csv is a folder": (
        lambda f: ((f / "scores.csv").unlink(), (f / "scores.csv").mkdir()),
        "scores.csv",
    ),
    "truncated meta.json": (
        lambda f: (f / "meta.json").write_text((f / "meta.json").read_text()[:20]),
        "meta.json",
    ),
    "binary meta.json": (lambda f: (f / "meta.json").write_bytes(GARBAGE), "meta.json"),
    "meta.json is a list": (lambda f: (f / "meta.json").write_text("[1, 2]"), "meta.json"),
    "meta.json is a number": (lambda f: (f / "meta.json").write_text("5"), "meta.json"),
    "meta.json is null": (lambda f: (f / "meta.json").write_text("null"), "meta.json"),
    "meta.json nested deeply": (lambda f: (f / "meta.json").write_text(DEEP), "meta.json"),
    "metric is a string": (
        lambda f: edit_meta(f, lambda m: m.update(metric="accuracy")),
        "meta.json",
    ),
    "metric without a name": (
        lambda f: edit_meta(f, lambda m: m.update(metric={"greater_is_better": True})),
        "meta.json",
    ),
    "direction is a string": (
        lambda f: edit_meta(f, lambda m: m["metric"].update(greater_is_better="no")),
        "meta.json",
    ),
    "grid is a list": (lambda f: edit_meta(f, lambda m: m.update(grid=[1, 2])), "meta.json"),
    "grid axes not lists": (
        lambda f: edit_meta(f, lambda m: m.update(grid={"axes": {"C": 1}})),
        "meta.json",
    ),
    "text epochs_trained": (
        lambda f: edit_scores(f, add_column("epochs_trained", ["1", "three", "9"])),
        "scores.csv",
    ),
    "halving is a list": (lambda f: edit_meta(f, lambda m: m.update(halving=[1, 3])), "meta.json"),
    "halving rungs are text": (
        lambda f: edit_meta(f, lambda m: m.update(halving={"rungs": ["one", 3]})),
        "meta.json",
    ),
    "meta.json is a folder": (
        lambda f: ((f / "meta.json").unlink(), (f / "meta.json").mkdir()),
        "meta.json",
    ),
}


def good_folder(path):
    """A small valid results folder: C over three values, one failed."""
    return write_folder(path, [((0.1,), 0.5, "ok"), ((1.0,), 0.75, "ok"), ((10.0,), "", "failed")])


def assert_one_line_error(status, out, err, *named):
    assert (status, out) == (2, ""), err
    assert err.startswith("parsearch: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for name in named:
        assert str(name) in err, err


@pytest.mark.parametrize("command", ["show", "plot"])
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_bad_folder_is_one_line_naming_the_file(tmp_path, capsys, command, kind):
    spoil, name = HOSTILE[kind]
    folder = good_folder(tmp_path / "run")
    spoil(folder)
    status, out, err = run(capsys, command, folder)
    assert_one_line_error(status, out, err, folder / name)
    assert not (folder / HEATMAP).exists()


@pytest.mark.parametrize("command", ["show", "plot"])
def test_a_folder_that_is_a_file_is_one_line_naming_it(tmp_path, capsys, command):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    status, out, err = run(capsys, command, path)
    assert_one_line_error(status, out, err, path)
    assert "not a folder" in err


@pytest.mark.parametrize("command", ["show", "plot"])
@pytest.mark.parametrize("name", ["scores.csv", "meta.json"])
def test_permission_denied_is_one_line_naming_the_file(
    tmp_path, capsys, monkeypatch, command, name
):
    folder = good_folder(tmp_path / "run")
    denied = str(folder / name)
    real_open = io.open

    def guarded_open(file, *args, **kwargs):
        if os.fspath(file) == denied:
            raise PermissionError(13, "Permission denied", denied)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(builtins, "open", guarded_open)
    status, out, err = run(capsys, command, folder)
    assert_one_line_error(status, out, err, denied)
    assert "Permission denied" in err


def test_a_huge_field_never_tracebacks(tmp_path, capsys):
    folder = good_folder(tmp_path / "run")
    edit_scores(folder, set_cell(1, "C", "x" * 200_000))
    status, out, err = run(capsys, "show", folder)
    assert "Traceback" not in err
    if status:  # until scores.csv's reader raises the csv field limit
        assert_one_line_error(status, out, err, folder / "scores.csv")


def test_show_of_a_header_only_folder_says_so(tmp_path, capsys):
    folder = write_folder(tmp_path / "run", [])
    status, out, err = run(capsys, "show", folder)
    assert (status, err) == (0, "")
    assert "0 configurations" in out and "no configuration succeeded" in out


def test_plot_of_a_header_only_folder_is_one_line(tmp_path, capsys):
    folder = write_folder(tmp_path / "run", [])
    status, out, err = run(capsys, "plot", folder)
    assert_one_line_error(status, out, err, folder)
    assert not (folder / HEATMAP).exists()


def test_a_drawing_error_is_one_line_naming_the_folder(tmp_path, capsys, monkeypatch):
    folder = good_folder(tmp_path / "run")

    def fail(*args, **kwargs):
        raise ValueError("Unknown symbol: \\foo\n   ^\nParseFatalException")

    monkeypatch.setattr(plot_module, "plot_scores", fail)
    status, out, err = run(capsys, "plot", folder)
    assert_one_line_error(status, out, err, folder)
    assert "Unknown symbol" in err


def test_an_unwritable_heatmap_is_one_line_naming_it(tmp_path, capsys):
    folder = good_folder(tmp_path / "run")
    (folder / HEATMAP).mkdir()  # a folder where the PNG should go
    status, out, err = run(capsys, "plot", folder)
    assert_one_line_error(status, out, err, folder / HEATMAP)


def test_an_unexpected_error_is_one_line_unless_debugging(tmp_path, capsys, monkeypatch):
    folder = good_folder(tmp_path / "run")

    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(plot_module, "parameter_labels", bug)
    status, out, err = run(capsys, "show", folder)
    assert_one_line_error(status, out, err, "RuntimeError: a bug", "PARSEARCH_DEBUG=1")
    monkeypatch.setenv("PARSEARCH_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        main(["show", str(folder)])


def test_ctrl_c_is_one_line(tmp_path, capsys, monkeypatch):
    folder = good_folder(tmp_path / "run")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(plot_module, "parameter_labels", interrupt)
    status, out, err = run(capsys, "show", folder)
    assert (status, out, err) == (130, "", "parsearch: interrupted\n")


def test_a_bad_folder_in_a_subprocess_is_one_line(tmp_path):
    folder = good_folder(tmp_path / "run")
    (folder / "scores.csv").write_bytes(GARBAGE)
    for command in ("show", "plot"):
        done = subprocess.run(
            [sys.executable, "-m", "parsearch.cli", command, str(folder)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert_one_line_error(done.returncode, done.stdout, done.stderr, folder / "scores.csv")


def test_a_closed_pipe_is_no_traceback(root):
    with subprocess.Popen(
        [sys.executable, "-m", "parsearch.cli", "show", str(root / "lr")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as child:
        child.stdout.close()  # like `parsearch show ... | head -0`
        err = child.stderr.read().decode()
        child.wait(timeout=120)
    assert err == ""  # neither a traceback nor "error: [Errno 32] Broken pipe"
    assert child.returncode != 0


# --- control characters in the data are shown, not sent to the terminal ----------------

#: In the data: ESC sequences (colour, clear screen, a title change), a bell, a C1 CSI, a
#: carriage return, a right-to-left override and a NUL.
CONTROLS = "\x1b[31m\x1b[2J\x1b]0;owned\x07\x9b1m\r\u202e\x00"
#: In a path: no NUL, but a lone surrogate (how Python reads an undecodable byte).
PATH_CONTROLS = "\x1b[31m\x07\x9b\r\u202e\udcff"


def printable(text):
    return all(c.isprintable() or c == "\n" for c in text)


def test_show_escapes_control_characters_from_the_data(tmp_path, capsys):
    folder = write_folder(
        tmp_path / f"run{PATH_CONTROLS}",
        [((f"v{CONTROLS}",), 0.5, "ok"), (("plain",), 0.25, "ok")],
        params=(f"p{CONTROLS}",),
        meta={
            "metric": {"name": f"acc{CONTROLS}", "greater_is_better": True},
            "model": f"Model(\n    x='{CONTROLS}')",
        },
    )
    status, out, err = run(capsys, "show", folder)
    assert (status, err) == (0, "")
    assert printable(out), out
    assert "\\x1b[31m" in out and "\\u202e" in out and "\\x9b" in out and "\\x00" in out
    assert "\\udcff" in out  # the folder's undecodable byte
    lines = out.splitlines()
    assert "/run\\x1b[31m\\x07\\x9b\\r\\u202e\\udcff: 2 configurations" in lines[0]
    assert "metric acc\\x1b[31m" in lines[0]
    assert lines[1].startswith("model: Model( x='\\x1b[31m")  # one line, as in the report
    value = "v\\x1b[31m\\x1b[2J\\x1b]0;owned\\x07\\x9b1m\\r\\u202e\\x00"
    assert [line.split()[:2] for line in lines[lines.index("top 2:") + 2 :]][:2] == [
        [value, "0.50"],
        ["plain", "0.25"],
    ]


def test_error_messages_escape_control_characters(tmp_path, capsys):
    missing = tmp_path / f"no{PATH_CONTROLS}where"
    for command in ("show", "plot", "report"):
        status, _, err = run(capsys, command, missing)
        assert status == 2 and printable(err), err
        assert "no\\x1b[31m" in err
    folder = good_folder(tmp_path / "run")
    edit_scores(folder, set_cell(2, "status", f"ok{CONTROLS}"))
    status, _, err = run(capsys, "show", folder)
    assert status == 2 and printable(err), err


def test_plot_escapes_control_characters_in_its_messages(tmp_path, capsys):
    folder = write_folder(
        tmp_path / f"run{PATH_CONTROLS}",
        [
            ((f"v{CONTROLS}", 1), 0.5, "ok"),
            (("plain", 1), 0.25, "ok"),
            ((f"v{CONTROLS}", 2), 0.5, "ok"),
            (("plain", 2), 0.25, "ok"),
        ],
        params=(f"p{CONTROLS}", "q"),
    )
    status, out, err = run(capsys, "plot", folder)
    assert status == 0 and printable(out) and printable(err), (out, err)
    assert out.startswith("wrote ") and "run\\x1b[31m" in out
    assert (folder / HEATMAP).read_bytes()[:8] == PNG_MAGIC
    status, out, err = run(capsys, "plot", folder, "--x", f"z{CONTROLS}")
    assert status == 2 and printable(err) and "z\\x1b[31m" in err, err


# --- report: one bad folder is listed, the exit status says so --------------------------


def test_report_with_a_bad_folder_writes_the_page_and_exits_1(copy, capsys):
    (copy / "lr" / "meta.json").write_text("[1, 2]")
    status, out, err = run(capsys, "report", copy)
    assert status == 1
    assert out == f"wrote {copy / 'index.html'}\n"
    assert err.startswith(f"parsearch: unreadable: {copy / 'lr' / 'meta.json'} ")
    assert err.count("\n") == 1 and "object" in err
    page = (copy / "index.html").read_text()
    assert "<h2>nets/mlp</h2>" in page and 'class="unreadable"' in page


def test_report_lists_symlinks_out_of_the_root_and_exits_0(copy, root, capsys, tmp_path):
    (copy / "elsewhere").symlink_to(root / "lr", target_is_directory=True)
    status, out, err = run(capsys, "report", copy)
    assert status == 0 and out == f"wrote {copy / 'index.html'}\n"
    assert err == (
        f"parsearch: skipped: {copy / 'elsewhere'}: a symlink to outside the results root\n"
    )


def test_report_help_documents_the_exit_status(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0" in text and "1 when a folder was unreadable" in text
    assert "symlink" in text


def test_report_with_a_bad_folder_in_a_subprocess(copy):
    (copy / "lr" / "scores.csv").write_bytes(GARBAGE)
    done = subprocess.run(
        [sys.executable, "-m", "parsearch.cli", "report", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stdout == f"wrote {copy / 'index.html'}\n"
    assert done.stderr.startswith(f"parsearch: unreadable: {copy / 'lr' / 'scores.csv'}")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_show_and_plot_read_a_null_grid_as_none(tmp_path, capsys):
    folder = good_folder(tmp_path / "run")
    edit_meta(folder, lambda m: m.update(grid=None, data=None, versions=None))
    status, out, err = run(capsys, "show", folder)
    assert (status, err) == (0, "") and "top 2:" in out
    status, out, err = run(capsys, "plot", folder)
    assert (status, err) == (0, "") and out == f"wrote {folder / HEATMAP}\n"


def test_show_a_parameter_named_like_the_metric(tmp_path, capsys):
    folder = write_folder(
        tmp_path / "run", [((1,), 0.5, "ok"), ((2,), 0.25, "ok")], params=("accuracy",)
    )
    status, out, err = run(capsys, "show", folder)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[lines.index("top 2:") + 1].split() == ["accuracy", "accuracy", "fit_seconds"]


def test_report_of_a_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    status, out, err = run(capsys, "report", path)
    assert_one_line_error(status, out, err, path)
    assert "not a folder" in err


# --- successive halving and sampled spaces ----------------------------------------------

HALVING = {
    "factor": 3,
    "min_resource": 1,
    "max_resource": 9,
    "rungs": [1, 3, 9],
    "candidates": [6, 2, 1],
}


def halving_folder(folder, halving=HALVING):
    """A results folder of a grid searched with successive halving, written by the store.

    ``tests/test_plot.halving_grid_table``: lr x width, one survivor (1e-2, 512: 0.95 after
    9 epochs), four pruned (one with a rung score of 0.97), one diverged.
    """
    table = halving_grid_table()
    table[Col.METRIC], table[Col.DIRECTION] = "accuracy", "higher_is_better"
    columns = [
        "lr",
        "width",
        Col.SCORE,
        Col.STATUS,
        Col.ERROR,
        Col.FIT_SECONDS,
        Col.METRIC,
        Col.DIRECTION,
        Col.EPOCH_SCORES,
        Col.EPOCHS_TRAINED,
        Col.KEY,
    ]
    identity = {"estimator": "MLPClassifier()", "data": "abc", "metric": "accuracy"}
    store = ResultStore(folder, columns, identity)
    store.open([])
    for row in table.to_dict("records"):
        store.append(row)
    store.close()
    meta = {
        "model": "MLPClassifier(epochs=9)",
        "metric": {"name": "accuracy", "greater_is_better": True},
        "grid": {"axes": {"lr": [1e-3, 1e-2, 1e-1], "width": [32, 512]}},
    }
    if halving is not None:
        meta["halving"] = halving
    store.write_meta(meta)
    return folder


def test_show_a_halving_search_its_rungs_pruned_rows_and_epochs(tmp_path, capsys):
    folder = halving_folder(tmp_path / "halving")
    status, out, err = run(capsys, "show", folder)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{folder}: 6 configurations, metric accuracy (higher is better)"
    assert lines[2] == (
        "successive halving: factor 3; 6 -> 2 -> 1 configurations trained to 1 -> 3 -> 9 epochs"
    )
    assert lines[3].startswith("pruned: 4 stopped early by successive halving")
    assert lines[4] == "not ok: 1 diverged"  # pruned is not a failure
    top = lines.index("top 1:")  # the best among ok rows only: not the pruned 0.97
    assert lines[top + 1].split() == ["lr", "width", "accuracy", "epochs_trained", "fit_seconds"]
    assert lines[top + 2].split() == ["1e-2", "512", "0.95", "9", "0.1"]
    pruned = lines.index("pruned, the 4 that went furthest (scores at their last rung):")
    assert pruned == top + 3
    assert lines[pruned + 1].split() == [
        "lr",
        "width",
        "accuracy",
        "status",
        "epochs_trained",
        "fit_seconds",
    ]
    rows = [line.split()[:5] for line in lines[pruned + 2 : pruned + 6]]
    assert rows == [
        ["1e-2", "32", "0.97", "pruned", "3"],
        ["1e-1", "512", "0.83", "pruned", "3"],
        ["1e-3", "512", "0.70", "pruned", "1"],
        ["1e-3", "32", "0.60", "pruned", "1"],
    ]
    assert lines[pruned + 6] == f"no heatmap yet: run 'parsearch plot {folder}'"
    _, out, _ = run(capsys, "show", folder, "--top", 2)
    assert "pruned, the 2 that went furthest (scores at their last rung):" in out


def test_show_pruned_rows_without_meta_halving_or_epochs(tmp_path, capsys):
    folder = halving_folder(tmp_path / "halving", halving=None)
    edit_scores(folder, drop_column("epochs_trained"))
    status, out, err = run(capsys, "show", folder)
    assert (status, err) == (0, "")
    assert "successive halving:" not in out and "epochs_trained" not in out
    assert "pruned: 4 stopped early" in out
    lines = out.splitlines()
    top = lines.index("top 1:")
    assert lines[top + 1].split() == ["lr", "width", "accuracy", "fit_seconds"]


def test_plot_a_halving_search_draws_its_pruned_cells(tmp_path, capsys, figures):
    from parsearch.plot.heatmap import PRUNED_NOTE

    folder = halving_folder(tmp_path / "halving")
    status, out, err = run(capsys, "plot", folder)
    assert (status, out, err) == (0, f"wrote {folder / HEATMAP}\n", "")
    assert (folder / HEATMAP).read_bytes()[:8] == PNG_MAGIC
    (fig,) = figures
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert sum("pruned@" in t for t in texts) == 4 and "diverged" in texts
    assert [" ".join(t.get_text().split()) for t in fig.legends[0].get_texts()] == [PRUNED_NOTE]
    assert "best accuracy = 0.95 at lr=1e-2, width=512" in fig.get_suptitle()


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    """A results folder of a real sampled search: LogisticRegression over C, tol, penalty."""
    from scipy.stats import loguniform
    from sklearn.datasets import make_classification

    X, y = make_classification(300, 10, n_informative=4, random_state=0)
    space = {
        "C": loguniform(1e-3, 1e2),
        "tol": loguniform(1e-5, 1e-1),
        "fit_intercept": [True, False],
    }
    out = tmp_path_factory.mktemp("sampled") / "logreg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence
        res = fit_grid(
            LogisticRegression(max_iter=30),
            sample_space(space, 24, seed=0),
            X[:200],
            y[:200],
            X[200:],
            y[200:],
            out=out,
            progress=False,
        )
    return out, res


def test_plot_a_sampled_search_draws_scatters(sampled, tmp_path, capsys, figures):
    folder, res = sampled
    status, out, err = run(capsys, "plot", folder, "--matrix", "--output", tmp_path / "all.png")
    assert (status, err) == (0, "")
    (fig,) = figures
    assert not [image for ax in fig.axes for image in ax.images]  # no heatmap of a diagonal
    panels = [ax for ax in fig.axes if any(c.get_gid() == "ok" for c in ax.collections)]
    assert len(panels) == 6  # three varying parameters: the corner matrix
    assert f"best accuracy = {res.best_score:.4g}" in fig.get_suptitle()
    assert "importance (share of the ranking it explains)" in fig.get_suptitle()
    status, out, err = run(
        capsys, "plot", folder, "--x", "tol", "--y", "C", "--output", tmp_path / "two.png"
    )
    assert (status, out, err) == (0, f"wrote {tmp_path / 'two.png'}\n", "")
    ax = figures[1].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("tol (log scale)", "C (log scale)")
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert (tmp_path / "two.png").read_bytes()[:8] == PNG_MAGIC


def test_show_a_sampled_search(sampled, capsys):
    folder, res = sampled
    status, out, err = run(capsys, "show", folder, "--top", 3)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"{folder}: 24 configurations, metric accuracy (higher is better)"
    top = lines.index("top 3:")
    assert lines[top + 1].split() == ["C", "tol", "fit_intercept", "accuracy", "fit_seconds"]
    assert float(lines[top + 2].split()[3]) == pytest.approx(res.best_score, abs=1e-6)
    assert "pruned" not in out and "halving" not in out


def test_show_of_a_huge_halving_factor_or_epochs_is_short(tmp_path, capsys):
    # int(value) of an integral float: a meta.json factor of 1e300 (or epochs_trained of
    # 1e300) printed 301 digits, in show and in the report's facts.
    folder = halving_folder(tmp_path / "halving")
    edit_meta(folder, lambda m: m["halving"].update(factor=1e300))
    edit_scores(folder, set_cell(4, "epochs_trained", "1e300"))  # the ok row
    status, out, err = run(capsys, "show", folder)
    assert (status, err) == (0, "")
    assert max(len(line) for line in out.splitlines()) < 200, out
