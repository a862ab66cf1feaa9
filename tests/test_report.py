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

from parsearch.report import INDEX, collect_runs, find_results, render_report, write_report
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
        write_report(results)


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
        write_report(results)
    assert str(results / MLP / "scores.csv") in str(error.value)
    assert not (results / INDEX).exists()


def test_malformed_meta_json_is_an_error_naming_it(results):
    (results / SGD / "meta.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"meta\.json is not valid JSON"):
        write_report(results)


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
