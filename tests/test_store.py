"""Tests of parsearch.results.store: data fingerprints, scores.csv row by row, resume, meta.json."""

import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from parsearch.results import files as store_module
from parsearch.results import identity
from parsearch.results.files import META, SCORES
from parsearch.results.identity import ResumeMismatch, data_fingerprint
from parsearch.results.read import read_meta, read_scores
from parsearch.results.store import ResultStore
from parsearch.rows import Col, Status, config_key

COLUMNS = [
    "alpha",
    "loss",
    Col.SCORE,
    Col.STATUS,
    Col.ERROR,
    Col.FIT_SECONDS,
    Col.TRAIN_LOSS,
    Col.EPOCH_SCORES,
    Col.KEY,
]
IDENTITY = {"estimator": "sklearn.SGDClassifier({})", "data": "abc123", "metric": "accuracy"}


def row(alpha, loss, score, status=Status.OK, error="", epoch_scores=None, **extra):
    params = {"alpha": alpha, "loss": loss}
    return {
        **params,
        Col.SCORE: score,
        Col.STATUS: status,
        Col.ERROR: error,
        Col.FIT_SECONDS: 0.25,
        Col.TRAIN_LOSS: 0.5,
        Col.EPOCH_SCORES: epoch_scores,
        Col.KEY: config_key(params),
        **extra,
    }


ROWS = [
    row(1e-4, "hinge", 0.91, epoch_scores=[0.8, 0.875, 0.91]),
    row(1e-3, "hinge", np.nan, Status.FAILED, 'ValueError: bad value "x", try again'),
    row(np.float64(1e-2), "log_loss", np.float64(0.5), epoch_scores=[]),
]


def write_store(folder, rows=ROWS, identity=IDENTITY, meta=None):
    store = ResultStore(folder, COLUMNS, identity)
    store.open([])
    for r in rows:
        store.append(r)
    store.close()
    store.write_meta(meta or {"model": "SGDClassifier()"})
    return store


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


# ----------------------------------------------------------------------------------------
# data_fingerprint
# ----------------------------------------------------------------------------------------


@pytest.fixture
def arrays(mnist_small):
    X, y = mnist_small
    return X[:200].copy(), y[:200].copy(), X[200:300].copy(), y[200:300].copy()


def test_fingerprint_is_stable_for_equal_data(arrays):
    X, y, X_val, y_val = arrays
    first = data_fingerprint(X, y, X_val, y_val)
    assert first == data_fingerprint(X.copy(), y.copy(), X_val.copy(), y_val.copy())
    assert first.startswith(identity.FINGERPRINT_PREFIX)
    digits = first[len(identity.FINGERPRINT_PREFIX) :]
    assert len(digits) == 32
    int(digits, 16)


def test_fingerprint_does_not_depend_on_the_blocks_or_threads(arrays, monkeypatch):
    """Any block of a large array counts, whatever the number of threads hashing them."""
    X, y, X_val, y_val = arrays
    monkeypatch.setattr(identity, "FINGERPRINT_BLOCK", 4096)  # X is 627,200 bytes: 154 blocks
    before = data_fingerprint(X, y, X_val, y_val)
    monkeypatch.setattr(identity.os, "cpu_count", lambda: 1)
    assert data_fingerprint(X, y, X_val, y_val) == before
    for row in (0, 100, 199):  # the first, a middle and the last block
        value = X[row, -1]
        X[row, -1] = value + 1
        assert data_fingerprint(X, y, X_val, y_val) != before
        X[row, -1] = value
    assert data_fingerprint(X, y, X_val, y_val) == before


def test_legacy_fingerprint_is_the_former_blake2b(arrays):
    """Folders written by earlier versions hold this value: it must not change."""
    X, y, _, y_val = arrays
    digest = hashlib.blake2b(digest_size=16)
    for a in (X, y, None, y_val):
        if a is None:
            digest.update(b"none")
            continue
        digest.update(f"{a.shape}{a.dtype.str}".encode())
        digest.update(a.tobytes())
    old = identity.legacy_data_fingerprint(X, y, None, y_val)
    assert old == digest.hexdigest()
    assert identity.is_legacy_fingerprint(old)
    assert not identity.is_legacy_fingerprint(data_fingerprint(X, y, None, y_val))


def test_fingerprint_changes_when_one_value_changes(arrays):
    X, y, X_val, y_val = arrays
    before = data_fingerprint(X, y, X_val, y_val)
    X_val[57, 400] = np.nextafter(X_val[57, 400], np.float32(np.inf))
    assert data_fingerprint(X, y, X_val, y_val) != before
    X_val[57, 400] = np.nextafter(X_val[57, 400], np.float32(-np.inf))
    assert data_fingerprint(X, y, X_val, y_val) == before
    y[0] = (y[0] + 1) % 10
    assert data_fingerprint(X, y, X_val, y_val) != before


def test_fingerprint_sees_shape_dtype_and_order(arrays):
    X, y, _, _ = arrays
    base = data_fingerprint(X, y)
    assert data_fingerprint(X.reshape(100, -1), y) != base
    assert data_fingerprint(X.astype(np.float64), y) != base
    assert data_fingerprint(X, y.astype(np.int32)) != base
    assert data_fingerprint(y, X) != base
    assert data_fingerprint(X[::-1], y[::-1]) != base


def test_fingerprint_of_a_strided_view_equals_its_copy(arrays):
    X = arrays[0]
    view = X[::2, ::3]
    assert not view.flags.c_contiguous
    assert data_fingerprint(view) == data_fingerprint(np.ascontiguousarray(view))


def test_fingerprint_with_none_entries(arrays):
    X, y, _, _ = arrays
    with_none = data_fingerprint(X, y, None, None)
    assert with_none == data_fingerprint(X.copy(), y.copy(), None, None)
    assert with_none != data_fingerprint(X, y)
    assert data_fingerprint(None, X) != data_fingerprint(X, None)
    assert data_fingerprint(None) != data_fingerprint(None, None)


def test_fingerprint_of_sparse_matrices(arrays):
    X, y, _, _ = arrays
    X = np.where(X > 1.0, X, 0).astype(np.float32)
    Xs = sp.csr_matrix(X)
    base = data_fingerprint(Xs, y)
    assert base == data_fingerprint(sp.csr_matrix(X), y)
    assert base == data_fingerprint(sp.csc_matrix(X), y)  # same matrix, other format
    assert base != data_fingerprint(X, y)
    changed = Xs.copy()
    changed.data[10] += 1.0
    assert data_fingerprint(changed, y) != base
    # Same stored values, other positions: the indices count too.
    diagonal = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    anti_diagonal = sp.csr_matrix(np.array([[0.0, 1.0], [2.0, 0.0]]))
    np.testing.assert_array_equal(diagonal.data, anti_diagonal.data)
    assert data_fingerprint(diagonal) != data_fingerprint(anti_diagonal)


def test_fingerprint_of_string_and_object_labels():
    labels = np.array(["cat", "dog", "cat"])
    assert data_fingerprint(labels) == data_fingerprint(["cat", "dog", "cat"])
    assert data_fingerprint(labels) != data_fingerprint(np.array(["cat", "dog", "emu"]))
    objects = np.array(["cat", 1, None], dtype=object)
    assert data_fingerprint(objects) == data_fingerprint(objects.copy())
    assert data_fingerprint(objects) != data_fingerprint(np.array(["cat", 2, None], dtype=object))


# ----------------------------------------------------------------------------------------
# scores.csv
# ----------------------------------------------------------------------------------------


def test_rows_round_trip_through_the_csv(tmp_path):
    write_store(tmp_path)
    table = read_scores(tmp_path)
    assert list(table.columns) == COLUMNS
    assert len(table) == 3
    assert table["alpha"].tolist() == [1e-4, 1e-3, 1e-2]
    assert table["loss"].tolist() == ["hinge", "hinge", "log_loss"]
    assert table[Col.SCORE][0] == 0.91
    assert math.isnan(table[Col.SCORE][1])
    assert table[Col.SCORE][2] == 0.5
    assert table[Col.STATUS].tolist() == [Status.OK, Status.FAILED, Status.OK]
    assert table[Col.ERROR].tolist() == ["", 'ValueError: bad value "x", try again', ""]
    assert table[Col.EPOCH_SCORES].tolist() == [[0.8, 0.875, 0.91], [], []]
    assert table[Col.KEY].tolist() == [r[Col.KEY] for r in ROWS]
    assert table[Col.FIT_SECONDS].tolist() == [0.25] * 3


def test_epoch_scores_with_a_nan_and_multiline_errors(tmp_path):
    rows = [
        row(1.0, "hinge", 0.5, epoch_scores=(0.25, 0.5)),
        row(2.0, "hinge", np.nan, Status.DIVERGED, "line one\nline two, with comma"),
    ]
    write_store(tmp_path, rows)
    table = read_scores(tmp_path)
    assert table[Col.EPOCH_SCORES][0] == [0.25, 0.5]
    assert table[Col.ERROR][1] == "line one\nline two, with comma"
    assert table[Col.STATUS].tolist() == [Status.OK, Status.DIVERGED]


def test_a_nan_in_a_score_list_reads_back_as_nan(tmp_path):
    rows = [row(1.0, "hinge", np.nan, Status.DIVERGED, epoch_scores=(0.25, np.nan, np.inf))]
    write_store(tmp_path, rows)
    (scores,) = read_scores(tmp_path)[Col.EPOCH_SCORES]
    assert scores[0] == 0.25 and math.isnan(scores[1]) and math.isnan(scores[2])


@pytest.mark.parametrize("cell", ['"[0.5, ""high""]"', '"[true]"', '"[[0.5]]"'])
def test_a_score_list_of_other_things_is_named(tmp_path, cell):
    write_store(tmp_path)
    text = (tmp_path / SCORES).read_text(encoding="utf-8")
    (tmp_path / SCORES).write_text(text.replace('"[0.8, 0.875, 0.91]"', cell), encoding="utf-8")
    with pytest.raises(ValueError, match="epoch_scores column, which holds JSON lists of numbers"):
        read_scores(tmp_path)


def test_each_appended_row_is_on_disk_before_close(tmp_path):
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    store.open([])
    assert len(read_scores(tmp_path)) == 0
    store.append(ROWS[0])
    assert read_scores(tmp_path)[Col.SCORE].tolist() == [0.91]
    store.append(ROWS[2])
    assert read_scores(tmp_path)[Col.SCORE].tolist() == [0.91, 0.5]
    store.close()
    store.close()  # closing twice is harmless


def test_missing_columns_in_a_row_are_left_empty(tmp_path):
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    store.open([])
    store.append({"alpha": 0.1, Col.SCORE: 0.7, Col.STATUS: Status.OK})
    store.close()
    table = read_scores(tmp_path)
    assert table[Col.SCORE].tolist() == [0.7]
    assert table[Col.ERROR].tolist() == [""]
    assert table[Col.EPOCH_SCORES].tolist() == [[]]
    assert math.isnan(table[Col.TRAIN_LOSS][0])


def test_a_partial_last_line_is_dropped(tmp_path):
    write_store(tmp_path)
    with open(tmp_path / SCORES, "a") as f:
        f.write("0.1,hinge,0.97,o")  # a row cut short by a crash
    table = read_scores(tmp_path)
    assert len(table) == 3
    assert table[Col.SCORE][0] == 0.91
    assert table[Col.STATUS].tolist() == [Status.OK, Status.FAILED, Status.OK]


def test_a_partial_header_gives_a_clear_error(tmp_path):
    (tmp_path / SCORES).write_text("alpha,sco")
    with pytest.raises(ValueError, match="not a valid scores file"):
        read_scores(tmp_path)


def test_a_partial_last_row_cut_inside_a_multiline_error_is_dropped(tmp_path):
    write_store(tmp_path)
    with open(tmp_path / SCORES, "a", newline="") as f:
        f.write('0.1,hinge,,failed,"ValueError: Input X contains NaN.\nLogisticRegr')
    table = read_scores(tmp_path)
    assert len(table) == 3


def test_read_scores_accepts_the_csv_path(tmp_path):
    write_store(tmp_path)
    assert len(read_scores(tmp_path / SCORES)) == 3


def test_read_scores_of_a_folder_without_scores(tmp_path):
    with pytest.raises(FileNotFoundError, match=SCORES):
        read_scores(tmp_path)


def test_read_scores_of_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_scores(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("header", "missing"),
    [("alpha,accuracy\n0.1,0.9\n", "['score', 'status']"), ("alpha,score\n0.1,0.9\n", "status")],
)
def test_read_scores_of_a_csv_without_score_or_status(tmp_path, header, missing):
    (tmp_path / SCORES).write_text(header)
    with pytest.raises(ValueError) as info:
        read_scores(tmp_path)
    assert "not a parsearch scores file" in str(info.value)
    assert missing in str(info.value)


def test_open_keeps_the_old_file_when_rows_or_columns_would_be_dropped(tmp_path):
    write_store(tmp_path)
    before = (tmp_path / SCORES).read_bytes()

    def resume(keys):
        store = ResultStore(tmp_path, COLUMNS, IDENTITY)
        finished = store.finished_rows(resume=True)
        message = store.open([finished[k] for k in keys if k in finished], keys=keys)
        store.close()
        return message

    def copies():
        return sorted(tmp_path.glob("scores.previous.*.csv"))

    keys = [ROWS[0][Col.KEY], ROWS[1][Col.KEY]]  # the grid no longer has the third row
    message = resume(keys)
    assert "1 row(s) of configurations outside this grid" in message
    (first,) = copies()
    assert first.name in message and first.read_bytes() == before
    assert len(read_scores(tmp_path)) == 2
    # Nothing dropped: no new copy, no message.
    assert resume(keys) is None and copies() == [first]
    # Dropped again (in the same second, even): a second copy, the first one intact.
    assert "1 row(s)" in resume(keys[:1])
    assert len(copies()) == 2 and first.read_bytes() == before


def test_open_keeps_only_the_reused_rows_and_leaves_no_temp_file(tmp_path):
    write_store(tmp_path)
    store = ResultStore(tmp_path, [*COLUMNS, "note"], IDENTITY)
    reused = list(store.finished_rows(resume=True).values())
    store.open([r for r in reused if r[Col.STATUS] == Status.OK])
    store.append(row(0.5, "log_loss", 0.6, note="new"))
    store.close()
    assert listing(tmp_path) == [META, SCORES]
    table = read_scores(tmp_path)
    assert list(table.columns) == [*COLUMNS, "note"]
    assert table["alpha"].tolist() == [1e-4, 1e-2, 0.5]
    assert table[Col.EPOCH_SCORES].tolist() == [[0.8, 0.875, 0.91], [], []]
    assert table[Col.KEY].tolist() == [
        ROWS[0][Col.KEY],
        ROWS[2][Col.KEY],
        config_key({"alpha": 0.5, "loss": "log_loss"}),
    ]
    assert table["note"].fillna("").tolist() == ["", "", "new"]


# ----------------------------------------------------------------------------------------
# Resume
# ----------------------------------------------------------------------------------------


def test_finished_rows_by_config_key_with_resume(tmp_path):
    write_store(tmp_path)
    again = ResultStore(tmp_path, COLUMNS, dict(IDENTITY))
    rows = again.finished_rows(resume=True)
    assert list(rows) == [r[Col.KEY] for r in ROWS]
    first = rows[ROWS[0][Col.KEY]]
    assert first["alpha"] == 1e-4
    assert first[Col.SCORE] == 0.91
    assert first[Col.EPOCH_SCORES] == [0.8, 0.875, 0.91]
    assert rows[ROWS[1][Col.KEY]][Col.STATUS] == Status.FAILED


def test_finished_rows_without_resume_is_empty(tmp_path):
    write_store(tmp_path)
    assert ResultStore(tmp_path, COLUMNS, IDENTITY).finished_rows(resume=False) == {}


def test_finished_rows_of_a_new_folder_is_empty(tmp_path):
    store = ResultStore(tmp_path / "new", COLUMNS, IDENTITY)
    assert store.finished_rows(resume=True) == {}
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("what", ["data", "estimator"])
def test_resume_with_other_data_or_estimator_raises(tmp_path, what):
    write_store(tmp_path)
    other = {**IDENTITY, what: "something else"}
    store = ResultStore(tmp_path, COLUMNS, other)
    with pytest.raises(ResumeMismatch) as info:
        store.finished_rows(resume=True)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert what in message
    assert "resume=False" in message
    assert "something else" in message
    # Starting afresh is allowed, and the mismatch did not touch the old results.
    assert store.finished_rows(resume=False) == {}
    assert len(read_scores(tmp_path)) == 3


def test_resume_false_then_open_starts_afresh(tmp_path):
    write_store(tmp_path)
    store = ResultStore(tmp_path, COLUMNS, {**IDENTITY, "data": "new"})
    store.open(list(store.finished_rows(resume=False).values()))
    store.append(ROWS[2])
    store.close()
    assert read_scores(tmp_path)[Col.KEY].tolist() == [ROWS[2][Col.KEY]]


# ----------------------------------------------------------------------------------------
# meta.json
# ----------------------------------------------------------------------------------------


def test_write_meta_includes_the_identity_and_leaves_no_temp_file(tmp_path):
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    tmp_path.joinpath("other").mkdir()
    store.write_meta(
        {"n": np.int64(3), "best": np.float64(0.5), "nan": float("nan"), "axes": {"a": (1, 2)}}
    )
    assert listing(tmp_path) == [META, "other"]
    meta = read_meta(tmp_path)
    assert meta == {
        "n": 3,
        "best": 0.5,
        "nan": None,
        "axes": {"a": [1, 2]},
        "identity": IDENTITY,
    }
    assert json.loads((tmp_path / META).read_text()) == meta


def test_write_meta_replaces_the_old_file(tmp_path):
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    store.write_meta({"status": "running"})
    store.write_meta({"status": "done"})
    assert read_meta(tmp_path)["status"] == "done"
    assert listing(tmp_path) == [META]


def test_write_meta_failing_midway_keeps_the_old_file(tmp_path, monkeypatch):
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    store.write_meta({"status": "running"})
    before = (tmp_path / META).read_text()

    def broken_dump(data, f, **kwargs):
        f.write('{"status": "do')
        raise OSError("disk full")

    monkeypatch.setattr(store_module.json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        store.write_meta({"status": "done"})
    assert (tmp_path / META).read_text() == before
    assert listing(tmp_path) == [META]


def test_read_meta_without_meta_is_empty(tmp_path):
    assert read_meta(tmp_path) == {}


def test_read_scores_rejects_a_record_with_more_fields_than_the_header(tmp_path):
    (tmp_path / SCORES).write_text("alpha,score,status\n0.1,0.9,ok,extra\n0.2,0.8,ok\n")
    with pytest.raises(ValueError, match="record 2 has 4 fields, the header 3"):
        read_scores(tmp_path)


# ----------------------------------------------------------------------------------------
# Resume identity: no reuse without it
# ----------------------------------------------------------------------------------------


def test_finished_rows_without_meta_json_is_refused(tmp_path):
    # Without meta.json nothing tells which estimator, data or metric the rows are of.
    write_store(tmp_path)
    (tmp_path / META).unlink()
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    with pytest.raises(ResumeMismatch) as info:
        store.finished_rows(resume=True)
    message = str(info.value)
    assert str(tmp_path / META) in message and "3 row(s)" in message
    assert "resume=False" in message
    assert store.finished_rows(resume=False) == {}


def test_finished_rows_with_a_meta_json_without_identity_is_refused(tmp_path):
    write_store(tmp_path)
    (tmp_path / META).write_text('{"status": "finished"}', encoding="utf-8")
    with pytest.raises(ResumeMismatch, match="no resume identity"):
        ResultStore(tmp_path, COLUMNS, IDENTITY).finished_rows(resume=True)


def test_an_identity_part_missing_from_meta_json_is_a_mismatch(tmp_path):
    write_store(tmp_path, identity={k: v for k, v in IDENTITY.items() if k != "metric"})
    with pytest.raises(ResumeMismatch, match=r"other metric.*None.*'accuracy'"):
        ResultStore(tmp_path, COLUMNS, IDENTITY).finished_rows(resume=True)


def test_a_scores_file_with_no_rows_needs_no_meta_json(tmp_path):
    # A search killed between writing scores.csv's header and meta.json: nothing to reuse.
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    store.open([])
    store.close()
    assert ResultStore(tmp_path, COLUMNS, IDENTITY).finished_rows(resume=True) == {}


def test_open_keeps_a_scores_file_without_config_key_aside(tmp_path):
    # A spreadsheet edit lost the config_key column: no row can be matched to the grid.
    write_store(tmp_path)
    read_scores(tmp_path).drop(columns=[Col.KEY]).to_csv(tmp_path / SCORES, index=False)
    before = (tmp_path / SCORES).read_bytes()
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    assert store.finished_rows(resume=True) == {}
    message = store.open([], keys=[r[Col.KEY] for r in ROWS])
    store.close()
    (copy,) = tmp_path.glob("scores.previous.*.csv")
    assert copy.read_bytes() == before
    assert "no config_key column" in message and "3 row(s)" in message and copy.name in message
    assert len(read_scores(tmp_path)) == 0


def test_a_backup_copy_that_fails_midway_leaves_no_partial_copy(tmp_path, monkeypatch):
    write_store(tmp_path)
    before = (tmp_path / SCORES).read_bytes()
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    store.finished_rows(resume=True)

    def disk_full(src, dst, *args, **kwargs):
        dst_file = open(dst, "wb") if isinstance(dst, (str, Path)) else dst
        dst_file.write(before[:10])
        dst_file.flush()
        raise OSError(28, "No space left on device")

    import shutil

    monkeypatch.setattr(shutil, "copyfile", disk_full)
    monkeypatch.setattr(shutil, "copyfileobj", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.open([], keys=[ROWS[0][Col.KEY]])
    assert listing(tmp_path) == [META, SCORES]
    assert (tmp_path / SCORES).read_bytes() == before


# ----------------------------------------------------------------------------------------
# Errors that name their file; long values
# ----------------------------------------------------------------------------------------


def test_binary_garbage_in_scores_csv_is_named(tmp_path):
    (tmp_path / SCORES).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / SCORES)) + ".*not UTF-8 text"):
        read_scores(tmp_path)


def test_a_utf8_byte_order_mark_is_read_past(tmp_path):
    write_store(tmp_path)
    (tmp_path / SCORES).write_bytes(b"\xef\xbb\xbf" + (tmp_path / SCORES).read_bytes())
    assert list(read_scores(tmp_path).columns) == COLUMNS


def test_a_text_score_is_named_with_its_file_row_and_value(tmp_path):
    write_store(tmp_path)
    text = (tmp_path / SCORES).read_text(encoding="utf-8")
    (tmp_path / SCORES).write_text(text.replace(",0.5,", ",about half,"), encoding="utf-8")
    with pytest.raises(ValueError) as info:
        read_scores(tmp_path)
    message = str(info.value)
    assert str(tmp_path / SCORES) in message
    assert "'about half'" in message and "score" in message and "row 3" in message


def test_bad_epoch_scores_are_named(tmp_path):
    write_store(tmp_path)
    text = (tmp_path / SCORES).read_text(encoding="utf-8")
    (tmp_path / SCORES).write_text(text.replace('"[0.8, 0.875, 0.91]"', "[0.8"), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / SCORES)) + ".*epoch_scores"):
        read_scores(tmp_path)


@pytest.mark.parametrize(
    ("content", "what"),
    [
        (b'{"status": "runn', "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    ],
)
def test_a_bad_meta_json_is_named(tmp_path, content, what):
    (tmp_path / META).write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / META)) + f".*{what}"):
        read_meta(tmp_path)
    write_store(tmp_path, meta={"x": 1})
    (tmp_path / META).write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / META))):
        ResultStore(tmp_path, COLUMNS, IDENTITY).finished_rows(resume=True)


def test_a_200000_character_field_is_read_back(tmp_path):
    import csv

    limit = csv.field_size_limit()
    long_error = "E" * 200_000
    write_store(tmp_path, [row(1.0, "x" * 200_000, np.nan, Status.FAILED, long_error)])
    table = read_scores(tmp_path)
    assert table["loss"][0] == "x" * 200_000 and table[Col.ERROR][0] == long_error
    rows = ResultStore(tmp_path, COLUMNS, IDENTITY).finished_rows(resume=True)
    assert len(rows) == 1
    assert csv.field_size_limit() == limit  # raised only while reading


# ----------------------------------------------------------------------------------------
# Failed writes leave no temporary file
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["write", "fsync", "chmod", "replace"])
def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, step):
    import os

    target = tmp_path / "file.txt"
    target.write_text("old", encoding="utf-8")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if step != "write":
        monkeypatch.setattr(os, step, fail)
    with pytest.raises(OSError, match="No space left"):
        with store_module.atomic_write(target) as f:
            f.write("new")
            if step == "write":
                fail()
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old"
    assert listing(tmp_path) == ["file.txt"]


def test_a_rewrite_of_scores_that_fails_leaves_no_temporary(tmp_path, monkeypatch):
    import os

    write_store(tmp_path)
    before = (tmp_path / SCORES).read_bytes()
    store = ResultStore(tmp_path, COLUMNS, IDENTITY)
    reused = list(store.finished_rows(resume=True).values())

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="No space left"):
        store.open(reused)
    assert listing(tmp_path) == [META, SCORES]
    assert (tmp_path / SCORES).read_bytes() == before


@pytest.mark.parametrize(
    ("body", "cell", "column"),
    [
        ("0.1,True,ok,\n0.2,False,ok,\n", "True", "score"),
        ("0.1,True,ok,\n0.2,,failed,\n", "True", "score"),  # beside a blank: read as objects
        ("0.1,0.5,ok,True\n0.2,,failed,\n", "True", "epochs_trained"),
        ("0.1,0.5,ok,three\n", "'three'", "epochs_trained"),
    ],
)
def test_booleans_and_text_in_a_number_column_are_named(tmp_path, body, cell, column):
    (tmp_path / SCORES).write_text("lr,score,status,epochs_trained\n" + body, encoding="utf-8")
    with pytest.raises(ValueError, match=f"has {cell} in the {column} column, which holds numbers"):
        read_scores(tmp_path)
