"""Tests of parsearch.report: the HTML page over results folders, checked as text and in
a headless Chromium (skipped where ``chromium`` is not installed)."""

import csv
import html
import json
import math
import os
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

import pytest

from parsearch.report import (
    INDEX,
    UnreadableFolder,
    collect_folders,
    collect_runs,
    find_results,
    load_run,
    render_report,
    write_report,
)
from parsearch.results.files import META, SCORES
from parsearch.rows import Col, Direction, Status

#: Folder names with characters that HTML and URLs must escape.
SGD = "sgd & <b>"
MLP = "group/mlp run"
PNG_WIDTH = 120  # pixels: 2.4 inches at 50 dpi
EVIL = "<script>alert('x')</script> & more"


def png(path, label):
    """Write a small real PNG (``PNG_WIDTH`` pixels wide) with matplotlib."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(PNG_WIDTH / 50, 1.2))
    ax = fig.subplots()
    ax.plot([0, 1, 2], [1, 0, 2])
    ax.set_title(label)
    fig.savefig(path, dpi=50)


def write_scores(folder, params, rows, metric, direction):
    """Write scores.csv with the columns fit_grid writes."""
    columns = [
        *params,
        Col.SCORE,
        Col.STATUS,
        Col.ERROR,
        Col.FIT_SECONDS,
        Col.METRIC,
        Col.DIRECTION,
        Col.KEY,
    ]
    with open(folder / "scores.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for values, score, status, error, seconds in rows:
            config = dict(zip(params, values))
            writer.writerow(
                [
                    *values,
                    "" if score is None else score,
                    status,
                    error,
                    seconds,
                    metric,
                    direction,
                    json.dumps(config, sort_keys=True),
                ]
            )


def write_meta(folder, model, metric, greater, device, wall, shapes):
    meta = {
        "parsearch_version": "0.1.0",
        "model": model,
        "metric": {
            "name": metric,
            "greater_is_better": greater,
            "direction": Direction.HIGHER if greater else Direction.LOWER,
        },
        "validation": "holdout",
        "data": {"X_train": shapes[0], "X_val": shapes[1], "n_classes": 10},
        "execution": {"device": device, "engine": "auto", "backend": None, "n_jobs": None},
        "versions": {"python": "3.11.7", "numpy": "2.4.6", "sklearn": "1.9.1"},
        "wall_seconds": wall,
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:00:09+00:00",
        "status": "finished",
    }
    (folder / "meta.json").write_text(json.dumps(meta))


@pytest.fixture
def results(tmp_path):
    """Two results folders (one nested, one with odd characters) and two decoys."""
    root = tmp_path / "results"
    sgd = root / SGD
    sgd.mkdir(parents=True)
    write_scores(
        sgd,
        ["alpha", "loss"],
        [
            ((1e-4, "hinge"), 0.81, Status.OK, "", 0.5),
            ((1e-3, "hinge"), 0.9, Status.OK, "", 0.25),
            ((1e-4, "log_loss"), None, Status.FAILED, EVIL, 0.01),
            ((1e-3, "log_loss"), 0.9, Status.OK, "", 2.0),
        ],
        "accuracy",
        Direction.HIGHER,
    )
    write_meta(sgd, "SGDClassifier(<tol=None>)", "accuracy", True, "cpu", 3.5, [[40, 784], None])
    png(sgd / "heatmap.png", "sgd")

    mlp = root / MLP
    mlp.mkdir(parents=True)
    # lr values whose text order (0.5, 10, 1e-05) and natural text order (0.5, 1e-05, 10)
    # both differ from their numeric order.
    write_scores(
        mlp,
        ["lr", "width"],
        [
            ((0.5, 32), 0.7, Status.OK, "", 1.5),
            ((10.0, 32), None, Status.DIVERGED, "training loss became nan at epoch 1", 0.2),
            ((1e-5, 32), 0.35, Status.OK, "", 1.25),
            ((0.5, 128), 0.45, Status.OK, "", 3.0),
            ((10.0, 128), None, Status.FAILED, "CUDA out of memory", 0.1),
            ((1e-5, 128), 0.35, Status.OK, "", 2.75),
        ],
        "log_loss",
        Direction.LOWER,
    )
    write_meta(
        mlp, "MLPClassifier(depth=1)", "log_loss", False, "cuda", 12.25, [[40, 784], [20, 784]]
    )
    png(mlp / "heatmap.png", "mlp")
    png(mlp / "train loss.png", "train loss")

    (root / "notes").mkdir()
    png(root / "notes" / "sketch.png", "not a results folder")
    (root / ".cache").mkdir()
    (root / ".cache" / "scores.csv").write_text("score,status\n1,ok\n")
    return root


class Tags(HTMLParser):
    """Start tags with their attributes, and the text of each h2."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.h2, self._in_h2 = [], [], False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "h2":
            self._in_h2 = True
            self.h2.append("")

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.h2[-1] += data

    def find(self, tag):
        return [attrs for t, attrs in self.tags if t == tag]


def sections(page):
    """The HTML of each results section, keyed by its heading (unescaped)."""
    parts = re.findall(r"<section .*?</section>", page, flags=re.S)
    return {html.unescape(re.search(r"<h2>(.*?)</h2>", p).group(1)): p for p in parts}


# --- finding and summarising folders -------------------------------------------------


def test_find_results_finds_nested_folders_and_skips_hidden_ones(results):
    found = find_results(results)
    assert [f.relative_to(results).as_posix() for f in found] == [MLP, SGD]


def test_runs_summarise_metric_direction_best_and_counts(results):
    runs = {run.name: run for run in collect_runs(results)}
    assert set(runs) == {SGD, MLP}
    sgd, mlp = runs[SGD], runs[MLP]
    assert (sgd.metric, sgd.greater_is_better) == ("accuracy", True)
    # A tie between rows 1 and 3: the earlier one wins, as in fit_grid.
    assert (sgd.best, sgd.best_score, sgd.best_params) == (1, 0.9, {"alpha": 1e-3, "loss": "hinge"})
    assert sgd.counts == {Status.OK: 3, Status.FAILED: 1, Status.DIVERGED: 0}
    assert (mlp.metric, mlp.greater_is_better) == ("log_loss", False)
    assert (mlp.best, mlp.best_params) == (2, {"lr": 1e-5, "width": 32})
    assert mlp.counts == {Status.OK: 4, Status.FAILED: 1, Status.DIVERGED: 1}
    assert [p.name for p in mlp.images] == ["heatmap.png", "train loss.png"]


def test_a_results_root_that_is_itself_a_results_folder(results):
    folder = results / MLP
    path = write_report(folder)
    assert path == folder / INDEX
    assert list(sections(path.read_text())) == ["mlp run"]


# --- the page as text ----------------------------------------------------------------


def test_report_has_a_section_per_folder_with_summary_meta_and_table(results):
    path = write_report(results)
    assert path == results / INDEX
    page = path.read_text(encoding="utf-8")
    parts = sections(page)
    assert list(parts) == [MLP, SGD]

    sgd = parts[SGD]
    assert "metric <strong>accuracy</strong> (higher is better)" in sgd
    assert "4 configurations: 3 ok, " in sgd and ">1 failed<" in sgd and "0 diverged" in sgd
    assert "<code>alpha = 0.001, loss = hinge</code>" in sgd
    assert "accuracy <strong>0.9</strong>" in sgd
    assert "<dt>data</dt><dd>X_train 40×784, 10 classes</dd>" in sgd
    assert "<dt>device</dt><dd>cpu</dd>" in sgd
    assert "<dt>wall seconds</dt><dd>3.5</dd>" in sgd
    assert "python 3.11.7, numpy 2.4.6, sklearn 1.9.1" in sgd

    mlp = parts[MLP]
    assert "metric <strong>log_loss</strong> (lower is better)" in mlp
    assert "<code>lr = 1e-05, width = 32</code>" in mlp
    assert "X_train 40×784, X_val 20×784" in mlp and "<dd>cuda</dd>" in mlp
    assert "<dd>12.25</dd>" in mlp

    tags = Tags(page)
    headers = [(a["data-column"], a["data-type"]) for a in tags.find("th")]
    assert headers[:6] == [
        ("lr", "number"),
        ("width", "number"),
        (Col.SCORE, "number"),
        (Col.STATUS, "text"),
        (Col.ERROR, "text"),
        (Col.FIT_SECONDS, "number"),
    ]
    assert not {Col.METRIC, Col.DIRECTION, Col.KEY} & {c for c, _ in headers}
    rows = tags.find("tr")
    assert len([r for r in rows if "status-" in r.get("class", "")]) == 10
    assert sum("best" in r.get("class", "").split() for r in rows) == 2
    # A failed row's score is an empty cell that sorts last, not the text "nan".
    assert '<td class="num" data-value="">' in sgd and ">nan<" not in page


def test_all_text_is_escaped(results):
    page = write_report(results).read_text()
    assert page.count("<script") == 1  # the page's own sorting script
    assert "<b>" not in page and "alert('x')" not in page
    assert html.escape(EVIL) in page
    assert f"<h2>{html.escape(SGD)}</h2>" in page
    assert "SGDClassifier(&lt;tol=None&gt;)" in page
    assert "<title>parsearch report: " in page


def test_images_are_relative_paths_to_existing_files(results, tmp_path):
    for output in (results / INDEX, tmp_path / "site" / "deep" / "report.html"):
        page = write_report(results, output=output).read_text()
        sources = [attrs["src"] for attrs in Tags(page).find("img")]
        assert len(sources) == 3  # not notes/sketch.png: that folder has no scores.csv
        for src in sources:
            assert not src.startswith(("/", "file:")) and " " not in src and "&" not in src
            assert (output.parent / unquote(src)).is_file(), src
        assert sorted(Path(unquote(s)).name for s in sources) == [
            "heatmap.png",
            "heatmap.png",
            "train loss.png",
        ]
    assert sources[0].startswith("../../results/")


def test_output_is_written_atomically(results, monkeypatch):
    path = results / INDEX
    path.write_text("old page")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_report(results)
    assert path.read_text() == "old page"
    monkeypatch.undo()
    write_report(results)
    assert path.read_text().startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in results.iterdir() if p.is_file()) == [INDEX]
    assert path.stat().st_mode & 0o777 == 0o644 or os.name != "posix"


def test_the_page_inlines_its_css_and_script_from_package_data(results):
    page = write_report(results).read_text(encoding="utf-8")
    assets = resources.files("parsearch.report") / "assets"
    for name, tag in (("report.css", "style"), ("report.js", "script")):
        text = (assets / name).read_text(encoding="utf-8")
        assert text.strip() and f"<{tag}>\n{text}</{tag}>" in page, name
    assert "${" not in page


def test_render_report_of_no_runs_is_a_page():
    page = render_report([], "index.html")
    assert "0 results folders" in page and "<section" not in page


# --- successive halving ---------------------------------------------------------------


def halving_run(folder, halving=True, curves=True):
    """A results folder of lr x width searched with successive halving, as the store writes.

    From ``tests/test_plot.halving_grid_table``: one ok (0.95 at 9 epochs), four pruned
    (one with a rung score of 0.97), one diverged; the heatmap drawn from it.
    """
    from test_plot import halving_grid_table

    from parsearch.plot import plot_scores, save_figure
    from parsearch.results.store import ResultStore

    table = halving_grid_table()
    if not curves:
        table = table.drop(columns=[Col.EPOCH_SCORES])
    store = ResultStore(folder, list(table.columns), {"estimator": "e", "data": "d"})
    store.open([])
    for row in table.to_dict("records"):
        store.append(row)
    store.close()
    meta = {
        "model": "MLPClassifier(epochs=9)",
        "metric": {"name": "accuracy", "greater_is_better": True},
    }
    if halving:
        meta["halving"] = {"factor": 3, "rungs": [1, 3, 9], "candidates": [6, 2, 1]}
    store.write_meta(meta)
    save_figure(plot_scores(table, metric="accuracy"), folder / "heatmap.png")
    return folder


def test_a_halving_run_counts_its_pruned_and_says_its_rungs(tmp_path):
    run = load_run(halving_run(tmp_path / "halving"))
    assert run.counts == {Status.OK: 1, Status.FAILED: 0, Status.DIVERGED: 1, Status.PRUNED: 4}
    assert (run.best, run.best_score) == (3, 0.95)  # the ok row, not the pruned 0.97
    assert run.halving_text() == ("factor 3; 6 → 2 → 1 configurations trained to 1 → 3 → 9 epochs")
    assert run.halving_text("->").endswith("1 -> 3 -> 9 epochs")
    sklearn = load_run(halving_run(tmp_path / "sgd", curves=False))
    assert sklearn.halving_text().endswith("1 → 3 → 9 partial_fit passes")
    plain = load_run(halving_run(tmp_path / "plain", halving=False))
    assert plain.halving is None and plain.halving_text() is None
    assert plain.counts[Status.PRUNED] == 4


def test_the_report_shows_pruned_counts_rows_rungs_and_the_figure(tmp_path):
    root = tmp_path / "results"
    halving_run(root / "halving")
    page = write_report(root).read_text(encoding="utf-8")
    section = sections(page)["halving"]
    assert "6 configurations: 1 ok, 0 failed, " in section
    assert (
        '<span class="bad">1 diverged</span>, <span class="pruned" title="stopped early' in section
    )
    assert ">4 pruned</span>" in section
    assert (
        "<dt>successive halving</dt><dd>factor 3; 6 → 2 → 1 configurations trained to "
        "1 → 3 → 9 epochs</dd>"
    ) in section
    assert "accuracy <strong>0.95</strong>" in section
    tags = Tags(section)
    rows = [r.get("class", "").split() for r in tags.find("tr")]
    assert sum("status-pruned" in r for r in rows) == 4
    assert [r for r in rows if "best" in r] == [["status-ok", "best"]]
    headers = {a["data-column"]: a["data-type"] for a in tags.find("th")}
    assert headers[Col.EPOCHS_TRAINED] == "number"
    assert [a["src"] for a in tags.find("img")] == ["halving/heatmap.png"]
    css = (resources.files("parsearch.report") / "assets" / "report.css").read_text()
    assert "tr.status-pruned" in css and ".pruned {" in css


def test_a_run_without_pruned_rows_shows_no_pruned_count(results):
    section = sections(write_report(results).read_text(encoding="utf-8"))[SGD]
    assert "pruned" not in section and "successive halving" not in section


# --- errors ----------------------------------------------------------------------------


def test_a_root_without_results_folders_is_an_error(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"No results folders under .*scores\.csv"):
        write_report(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="No such results root"):
        write_report(tmp_path / "missing")


def test_a_folder_with_meta_but_no_scores_is_an_error(results):
    (results / SGD / "scores.csv").unlink()
    with pytest.raises(ValueError, match=r"meta\.json but no scores\.csv"):
        find_results(results)
    # The report lists it as unreadable and shows the others.
    parts = sections(write_report(results).read_text(encoding="utf-8"))
    assert re.search(r"meta\.json but no scores\.csv", html.unescape(parts[SGD]))
    assert 'class="unreadable"' in parts[SGD] and 'class="run"' in parts[MLP]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr,score,status\n0.1,0.5,ok\n0.2,0.4,ok,extra\n", "record 3 has 4 fields"),
        ("lr,score,status\n0.1,0.5,ok,extra,x\n", "record 2 has 5 fields"),
        ("lr,score,status\n0.1,0.5,ok\n0.2\n", "record 3 has 1 fields"),
        ("lr,score,status\n0.1,0.5,ok\n0.2,0.4,\n", "row 2 has status nan"),
        ("lr,accuracy\n0.1,0.5\n", "not a parsearch scores file"),
        ("", "not a valid scores file"),
    ],
)
def test_a_malformed_scores_file_is_an_error_naming_it(results, text, message):
    (results / MLP / "scores.csv").write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        load_run(results / MLP, results)
    assert str(results / MLP / "scores.csv") in str(error.value)
    # The report lists it as unreadable, with that reason, and shows the others.
    parts = sections(write_report(results).read_text(encoding="utf-8"))
    assert 'class="unreadable"' in parts[MLP] and html.escape(str(error.value)) in parts[MLP]
    assert 'class="run"' in parts[SGD]


def test_malformed_meta_json_is_an_error_naming_it(results):
    (results / SGD / "meta.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"meta\.json is not valid JSON"):
        load_run(results / SGD, results)
    parts = sections(write_report(results).read_text(encoding="utf-8"))
    assert re.search(r"meta\.json is not valid JSON", html.unescape(parts[SGD]))


# --- one bad folder does not stop the report ------------------------------------------

DEEP = "[" * 20_000 + "]" * 20_000  # nested past the recursion limit, under the field limit


def replace_cell(column, value, row=1):
    def spoil(folder):
        with open(folder / "scores.csv", newline="") as f:
            records = list(csv.reader(f))
        records[row][records[0].index(column)] = value
        with open(folder / "scores.csv", "w", newline="") as f:
            csv.writer(f).writerows(records)

    return spoil


def replace_meta(change):
    def spoil(folder):
        meta = json.loads((folder / "meta.json").read_text())
        change(meta)
        (folder / "meta.json").write_text(json.dumps(meta))

    return spoil


#: Ways a results folder goes bad, with the file its reason must name.
BAD = {
    "binary scores.csv": (lambda f: (f / "scores.csv").write_bytes(bytes(range(256)) * 4), SCORES),
    "empty scores.csv": (lambda f: (f / "scores.csv").write_text(""), SCORES),
    "text score": (replace_cell(Col.SCORE, "abc"), SCORES),
    "text fit_seconds": (replace_cell(Col.FIT_SECONDS, "slow"), SCORES),
    "unknown status": (replace_cell(Col.STATUS, "done"), SCORES),
    "deep config_key": (replace_cell(Col.KEY, DEEP), SCORES),
    "scores.csv is a folder": (
        lambda f: ((f / "scores.csv").unlink(), (f / "scores.csv").mkdir()),
        SCORES,
    ),
    "truncated meta.json": (lambda f: (f / "meta.json").write_text('{"model": "SGD'), META),
    "meta.json is a list": (lambda f: (f / "meta.json").write_text("[]"), META),
    "meta.json nested deeply": (lambda f: (f / "meta.json").write_text(DEEP), META),
    "metric is a string": (replace_meta(lambda m: m.update(metric="accuracy")), META),
    "data is a list": (replace_meta(lambda m: m.update(data=[1, 2])), META),
    "versions is a string": (replace_meta(lambda m: m.update(versions="1.0")), META),
    "wall_seconds is text": (replace_meta(lambda m: m.update(wall_seconds="long")), META),
    "meta.json is a folder": (
        lambda f: ((f / "meta.json").unlink(), (f / "meta.json").mkdir()),
        META,
    ),
}


def add_folder(root, name):
    """A valid results folder ``name`` under ``root``, like the fixture's."""
    folder = root / name
    folder.mkdir(parents=True)
    write_scores(
        folder,
        ["alpha"],
        [((0.1,), 0.5, Status.OK, "", 1.0), ((1.0,), 0.25, Status.OK, "", 1.5)],
        "accuracy",
        Direction.HIGHER,
    )
    write_meta(folder, "Ridge()", "accuracy", True, "cpu", 1.0, [[4, 2], None])
    png(folder / "heatmap.png", name)
    return folder


def without_ids(parts):
    """Sections with their position-dependent anchors taken out."""
    return {name: re.sub(r'id="run-\d+"', "", text) for name, text in parts.items()}


@pytest.mark.parametrize("kind", list(BAD))
def test_a_bad_folder_is_listed_as_unreadable_and_the_others_render_as_before(results, kind):
    before = sections(write_report(results).read_text(encoding="utf-8"))
    spoil, name = BAD[kind]
    bad = add_folder(results, "a bad one")
    spoil(bad)
    collection = collect_folders(results)
    assert [run.name for run in collection.runs] == [MLP, SGD]
    [problem] = collection.unreadable
    assert (problem.name, problem.path) == ("a bad one", bad)
    assert str(bad / name) in problem.reason, problem.reason
    assert "\n" not in problem.reason

    page = write_report(results).read_text(encoding="utf-8")
    parts = sections(page)
    assert list(parts) == ["a bad one", MLP, SGD]
    unreadable = parts.pop("a bad one")
    assert 'class="unreadable"' in unreadable and html.escape(problem.reason) in unreadable
    assert "<table" not in unreadable and "<img" not in unreadable
    assert without_ids(parts) == without_ids(before)
    assert "3 results folders, 1 unreadable" in page
    assert re.search(
        r'<li><a href="#run-1">a bad one</a> <span class="bad">unreadable</span>', page
    )


def test_every_folder_bad_is_still_a_page(results):
    for folder in (results / SGD, results / MLP):
        (folder / "scores.csv").write_bytes(b"\xff\xfe\x00garbage")
    collection = collect_folders(results)
    assert collection.runs == [] and [p.name for p in collection.unreadable] == [MLP, SGD]
    page = write_report(results).read_text(encoding="utf-8")
    assert "2 results folders, 2 unreadable" in page
    assert page.count('class="unreadable"') == 2


def test_a_folder_that_cannot_be_listed_is_unreadable(results, monkeypatch):
    locked = add_folder(results, "locked")
    scandir = os.scandir

    def guarded(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", guarded)
    collection = collect_folders(results)
    assert [run.name for run in collection.runs] == [MLP, SGD]
    [problem] = collection.unreadable
    assert problem.name == "locked" and f"cannot list {locked}: Permission denied" in problem.reason


def test_a_bad_folder_is_an_error_for_the_strict_functions(results):
    (results / SGD / "meta.json").write_text("[]")
    with pytest.raises(UnreadableFolder, match=re.escape(f"{results / SGD / META}")) as error:
        collect_runs(results)
    assert isinstance(error.value, ValueError) and error.value.path == results / SGD / META


# --- symlinks: followed inside the results root, never out of it ----------------------


def test_a_folder_linked_from_outside_the_root_is_skipped_and_listed(results, tmp_path):
    outside = add_folder(tmp_path / "elsewhere", "secret")
    write_meta(outside, "Secret(model='hush')", "accuracy", True, "cpu", 1.0, [[4, 2], None])
    (results / "linked").symlink_to(outside, target_is_directory=True)
    (results / "notes" / "deeper").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    collection = collect_folders(results)
    assert [run.name for run in collection.runs] == [MLP, SGD]
    assert [p.name for p in collection.skipped] == ["linked", "notes/deeper"]
    assert all("outside the results root" in p.reason for p in collection.skipped)
    page = write_report(results).read_text(encoding="utf-8")
    assert "Secret" not in page and "hush" not in page and "elsewhere" not in page
    assert list(sections(page)) == [MLP, SGD]
    skipped = re.search(r'<div class="skipped">.*?</div>', page, flags=re.S).group(0)
    assert "<code>linked</code>" in skipped and "<code>notes/deeper</code>" in skipped


@pytest.mark.parametrize("name", [SCORES, META])
def test_a_results_file_linked_from_outside_the_root_skips_its_folder(results, tmp_path, name):
    outside = add_folder(tmp_path / "elsewhere", "secret")
    linked = results / "linked"
    linked.mkdir()
    for file in (SCORES, META):
        source = outside / file if file == name else results / SGD / file
        if file == name:
            (linked / file).symlink_to(source)
        else:
            shutil.copy(source, linked / file)
    collection = collect_folders(results)
    assert [run.name for run in collection.runs] == [MLP, SGD]
    [skipped] = collection.skipped
    assert skipped.name == "linked" and f"{name} is a symlink to outside" in skipped.reason


def test_folders_linked_inside_the_root_are_shown_once(results):
    store = add_folder(results / ".store", "run-7")
    (results / "latest").symlink_to(store, target_is_directory=True)  # only way to reach it
    (results / "again").symlink_to(results / SGD, target_is_directory=True)  # shown already
    collection = collect_folders(results)
    assert [run.name for run in collection.runs] == [MLP, "latest", SGD]
    assert collection.skipped == [] and collection.unreadable == []
    page = write_report(results).read_text(encoding="utf-8")
    assert 'src="latest/heatmap.png"' in page


def test_a_symlink_cycle_ends(results):
    (results / MLP / "loop").symlink_to(results, target_is_directory=True)
    (results / "notes" / "self").symlink_to(results / "notes", target_is_directory=True)
    (results / "a").symlink_to(results / "b", target_is_directory=True)
    (results / "b").symlink_to(results / "a", target_is_directory=True)  # a broken cycle
    collection = collect_folders(results)
    assert [run.name for run in collection.runs] == [MLP, SGD]


def test_a_root_that_is_a_symlink_is_read_through_it(results, tmp_path):
    link = tmp_path / "link-to-results"
    link.symlink_to(results, target_is_directory=True)
    assert [run.name for run in collect_folders(link).runs] == [MLP, SGD]
    page = write_report(link).read_text(encoding="utf-8")
    assert page.count("<img ") == 3


def test_an_image_linked_from_outside_the_root_is_left_out(results, tmp_path):
    png(tmp_path / "private.png", "private")
    (results / SGD / "stolen.png").symlink_to(tmp_path / "private.png")
    (results / SGD / "sketch.png").symlink_to(results / "notes" / "sketch.png")  # inside
    runs = {run.name: run for run in collect_folders(results).runs}
    assert [p.name for p in runs[SGD].images] == ["heatmap.png", "sketch.png"]
    assert [p.name for p in runs[SGD].skipped] == ["stolen.png"]
    page = write_report(results).read_text(encoding="utf-8")
    sources = [unquote(attrs["src"]) for attrs in Tags(page).find("img")]
    assert not any("stolen" in s or "private" in s for s in sources)
    assert f"{SGD}/sketch.png" in sources
    section = sections(page)[SGD]
    assert re.search(r'class="skipped">.*<code>stolen\.png</code>', section)


# --- in a headless browser -----------------------------------------------------------

CHROMIUM = shutil.which("chromium")

#: Injected into a copy of the page, never shipped: records script errors from the
#: start, and once everything (images included) has loaded, clicks every column header
#: twice and writes what it saw into <pre id="selftest">.
SELFTEST_HEAD = """<script>
window.selftestErrors = [];
window.addEventListener("error", function (e) { window.selftestErrors.push(String(e.message)); });
</script>"""
SELFTEST_BODY = """<script>
window.addEventListener("load", function () {
  var out = { errors: window.selftestErrors, images: [], tables: [] };
  document.querySelectorAll("img").forEach(function (img) {
    out.images.push({ src: img.getAttribute("src"), complete: img.complete,
                      width: img.naturalWidth });
  });
  function column(table, index) {
    return Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      var cell = row.cells[index];
      return cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
    });
  }
  document.querySelectorAll("section.run").forEach(function (section) {
    var table = section.querySelector("table.scores");
    var entry = { name: section.querySelector("h2").textContent, columns: {} };
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      var seen = { before: column(table, i) };
      th.querySelector("button").click();
      seen.ascending = column(table, i);
      seen.state1 = th.getAttribute("aria-sort");
      th.querySelector("button").click();
      seen.descending = column(table, i);
      seen.state2 = th.getAttribute("aria-sort");
      entry.columns[th.dataset.column] = seen;
    });
    out.tables.push(entry);
  });
  var pre = document.createElement("pre");
  pre.id = "selftest";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def run_selftest(page, scratch):
    """Load a self-testing copy of ``page`` in headless Chromium; return what it saw."""
    text = page.read_text(encoding="utf-8")
    assert text.count("<head>") == 1 and text.count("</body>") == 1
    text = text.replace("<head>", "<head>" + SELFTEST_HEAD)
    text = text.replace("</body>", SELFTEST_BODY + "</body>")
    copy = page.with_name("selftest-" + page.name)  # beside it: same relative image paths
    copy.write_text(text, encoding="utf-8")
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={scratch}",
        "--virtual-time-budget=3000",
        "--dump-dom",
        copy.as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"chromium did not finish in {exc.timeout} s: {exc.stderr!r:.2000}")
    found = re.search(r'<pre id="selftest">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, f"no self-test output (exit {done.returncode}); stderr:\n{done.stderr[-3000:]}"
    return json.loads(html.unescape(found.group(1)))


def png_width(path):
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">I", header[16:20])[0]


def numeric_order(values, descending):
    """Expected order of data-value strings: by number, empty (NaN) last either way."""
    present = sorted((v for v in values if v != ""), key=float, reverse=descending)
    return present + [v for v in values if v == ""]


@pytest.mark.skipif(CHROMIUM is None, reason="needs `chromium` (apt-get install chromium)")
def test_page_in_a_browser_loads_images_and_sorts_columns(results, tmp_path):
    page = write_report(results, output=tmp_path / "out" / "report.html")
    seen = run_selftest(page, tmp_path / "chromium-profile")
    assert seen["errors"] == []

    assert len(seen["images"]) == 3
    for image in seen["images"]:
        assert image["complete"] and image["width"] == PNG_WIDTH, image
    assert png_width(results / SGD / "heatmap.png") == PNG_WIDTH

    tables = {t["name"]: t["columns"] for t in seen["tables"]}
    assert set(tables) == {SGD, MLP}
    for name, columns in tables.items():
        for column, s in columns.items():
            assert (s["state1"], s["state2"]) == ("ascending", "descending")
            if column in ("alpha", "lr", "width", Col.SCORE, Col.FIT_SECONDS):
                assert s["ascending"] == numeric_order(s["before"], False), (name, column)
                assert s["descending"] == numeric_order(s["before"], True), (name, column)

    mlp = tables[MLP]
    # File order, then numeric (not text), NaN scores last both ways.
    assert [float(v) for v in mlp["lr"]["before"]] == [0.5, 10, 1e-5, 0.5, 10, 1e-5]
    assert [float(v) for v in mlp["lr"]["ascending"]] == [1e-5, 1e-5, 0.5, 0.5, 10, 10]
    assert [float(v) for v in mlp["lr"]["descending"]] == [10, 10, 0.5, 0.5, 1e-5, 1e-5]
    assert mlp[Col.SCORE]["ascending"][-2:] == ["", ""]
    assert mlp[Col.SCORE]["descending"][-2:] == ["", ""]
    assert [math.isnan(float(v or "nan")) for v in mlp[Col.SCORE]["descending"]] == [
        False,
        False,
        False,
        False,
        True,
        True,
    ]
    assert mlp[Col.STATUS]["ascending"] == ["diverged", "failed", "ok", "ok", "ok", "ok"]
    assert mlp[Col.STATUS]["descending"] == ["ok", "ok", "ok", "ok", "failed", "diverged"]
    # Text with empty cells: the empties last in both directions.
    errors = tables[SGD][Col.ERROR]
    assert errors["ascending"][0] == EVIL and errors["descending"][0] == EVIL
    assert errors["ascending"][1:] == ["", "", ""] == errors["descending"][1:]
