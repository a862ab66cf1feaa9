"""Find the results folders under a root and read each into a :class:`Run` for the report.

Reading only: the rows, the best one, the counts and the direction come from
:mod:`parsearch.rows`; ``scores.csv`` and ``meta.json`` are read by
:mod:`parsearch.results.read`. Nothing here knows about HTML.

Every folder is read on its own: a folder that cannot be read (binary garbage, a
truncated or non-object ``meta.json``, a text score, an unknown status, a folder that
cannot be listed) raises :class:`UnreadableFolder` from :func:`load_run`, with a one-line
message that names the file and what is wrong, and :func:`collect_folders` lists it as a
:class:`Problem` beside the folders it could read.

Symlinks are followed inside the results root only. A folder, ``scores.csv``,
``meta.json`` or PNG image reached through a symlink whose target is outside the root
is skipped (and listed as skipped); a folder reached twice (a symlink to a folder also
reached by its own path, or a symlink cycle) is read once, under its own path where it
has one.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from parsearch import rows
from parsearch.results.files import META, SCORES
from parsearch.results.read import metric_direction, read_meta, read_scores
from parsearch.rows import Col, Direction, Status
from parsearch.text import epochs_text

#: The statuses a ``scores.csv`` may hold, as written there.
_STATUSES = [status.value for status in Status]
#: The directions a ``scores.csv`` may hold.
_DIRECTIONS = [direction.value for direction in Direction]
#: Result columns that hold numbers (or nothing).
_NUMBER_COLUMNS = (Col.SCORE, Col.FIT_SECONDS, Col.SCORE_STD, Col.TRAIN_LOSS, Col.EPOCHS_TRAINED)
#: Fields of meta.json that are JSON objects where present.
_META_OBJECTS = ("grid", "data", "execution", "versions", "halving")
#: Fields of meta.json's ``halving`` that are lists of numbers where present.
_HALVING_LISTS = ("rungs", "candidates")
#: Why something reached through a symlink is not read.
OUTSIDE = "a symlink to outside the results root"


class UnreadableFolder(ValueError):
    """A results folder that cannot be read.

    The message is one line that names the file (or folder) and what is wrong with it.

    Parameters
    ----------
    message : str
        What is wrong; line breaks are replaced by spaces.
    path : str or Path
        The file or folder it is about.
    """

    def __init__(self, message, path):
        super().__init__(_one_line(message))
        self.path = Path(path)


@dataclass
class Problem:
    """A folder or file under the results root that the report lists but does not show.

    Attributes
    ----------
    path : Path
        The folder (or symlink, or file).
    name : str
        Its path relative to the results root.
    reason : str
        Why it is not shown, in one line.
    """

    path: Path
    name: str
    reason: str


@dataclass
class Run:
    """One results folder, read and summarised for the report.

    Attributes
    ----------
    folder : Path
        The results folder.
    name : str
        Its path relative to the results root (``"."`` for the root itself).
    table : pandas.DataFrame
        The rows of ``scores.csv``.
    meta : dict
        The contents of ``meta.json`` (empty where there is none).
    metric : str
        The metric's name.
    greater_is_better : bool
        The metric's direction.
    best : int or None
        Row position of the best ok configuration (the earliest among ties).
    counts : dict
        ``{"ok": n, "failed": n, "diverged": n}``, and ``"pruned": n`` where some row
        was pruned by successive halving.
    images : list of Path
        The folder's PNG files, sorted by name.
    skipped : list of Problem
        PNG files left out: symlinks to outside the results root.
    """

    folder: Path
    name: str
    table: pd.DataFrame = field(repr=False)
    meta: dict = field(repr=False)
    metric: str
    greater_is_better: bool
    best: int | None
    counts: dict
    images: list
    skipped: list = field(default_factory=list)

    @property
    def direction(self):
        """The metric's :class:`~parsearch.rows.Direction`."""
        return Direction.of(self.greater_is_better)

    @property
    def params(self):
        """The parameter columns, in grid order."""
        return rows.param_columns(self.table.columns)

    @property
    def best_params(self):
        """The best configuration as a dict, or None when no configuration succeeded.

        Read back with their types from the row's configuration key where it has one,
        else taken from the parameter columns.
        """
        if self.best is None:
            return None
        row = self.table.iloc[self.best]
        params = rows.params_from_key(row.get(Col.KEY))
        if params is not None:
            return params
        return {p: row[p] for p in self.params}

    @property
    def halving(self):
        """meta.json's ``halving`` (factor, rungs, candidates, ...), or None where absent."""
        halving = self.meta.get("halving")
        return halving if isinstance(halving, dict) and halving else None

    @property
    def resource(self):
        """What a rung of successive halving counts: epochs, or passes of ``partial_fit``."""
        return "epochs" if Col.EPOCH_SCORES in self.table.columns else "partial_fit passes"

    def halving_text(self, arrow="→"):
        """meta.json's successive halving in words, or None where the search had none.

        Parameters
        ----------
        arrow : str
            Between the rungs.

        Returns
        -------
        str or None
            ``"factor 3; 243 → 81 → 27 → 9 configurations trained to 1 → 3 → 9 → 27
            epochs"``.
        """
        halving = self.halving
        if halving is None:
            return None
        rungs, candidates = halving.get("rungs"), halving.get("candidates")
        parts = []
        if candidates:
            parts.append(f" {arrow} ".join(_number(n) for n in candidates) + " configurations")
        if rungs:
            parts.append(f" {arrow} ".join(_number(r) for r in rungs) + f" {self.resource}")
        steps = " trained to ".join(parts)
        factor = halving.get("factor")
        head = f"factor {_number(factor)}" if _json_type(factor) == "number" else ""
        return "; ".join(t for t in (head, steps) if t) or None

    @property
    def best_score(self):
        """The best score (NaN when no configuration succeeded)."""
        return math.nan if self.best is None else float(self.table[Col.SCORE].iloc[self.best])


@dataclass
class Collection:
    """Every results folder under a root: those read, those unreadable, those skipped.

    Attributes
    ----------
    root : Path
        The results root.
    entries : list of Run or Problem
        Each results folder in the order of their paths: a :class:`Run` where it was
        read, a :class:`Problem` (why not) where it was unreadable.
    skipped : list of Problem
        Folders not read because a symlink leads out of the root.
    """

    root: Path
    entries: list
    skipped: list = field(default_factory=list)

    @property
    def runs(self):
        """The folders that were read, as :class:`Run` objects."""
        return [e for e in self.entries if isinstance(e, Run)]

    @property
    def unreadable(self):
        """The folders that could not be read, as :class:`Problem` objects."""
        return [e for e in self.entries if isinstance(e, Problem)]


# --- finding the folders ------------------------------------------------------------------


@dataclass
class _Scan:
    """What a walk of the results root found."""

    root: Path
    boundary: Path
    found: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def problem(self, kind, path, reason):
        getattr(self, kind).append(Problem(Path(path), _name(path, self.root), reason))


def _real(path):
    """The path with every symlink resolved."""
    return Path(os.path.realpath(path))


def _inside(path, boundary):
    """Whether ``path``, resolved, is ``boundary`` or under it."""
    return _real(path).is_relative_to(boundary)


def _name(path, root):
    """A path relative to the results root, as the report names it."""
    name = Path(os.path.relpath(path, root)).as_posix()
    return Path(path).absolute().name if name == "." else name


def _parts(path, root):
    """Sort key: the path's parts relative to the root (the root itself first)."""
    return Path(os.path.relpath(path, root)).parts if Path(path) != Path(root) else ()


def _is_dir(entry, follow):
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


def _visit(folder, scan, pending, links):
    """List one folder: queue its subfolders and symlinks, note what it holds."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError as exc:
        scan.problem("unreadable", folder, f"cannot list {folder}: {exc.strerror or exc}")
        return
    names = {entry.name for entry in entries}
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            if _is_dir(entry, follow=True):
                links.append(Path(entry.path))
        elif _is_dir(entry, follow=False):
            pending.append(Path(entry.path))
    outside = [
        name
        for name in (SCORES, META)
        if name in names and not _inside(Path(folder) / name, scan.boundary)
    ]
    if outside:
        scan.problem("skipped", folder, f"{outside[0]} is {OUTSIDE}")
    elif SCORES in names:
        scan.found.append(Path(folder))
    elif META in names:
        scan.problem(
            "unreadable",
            folder,
            f"{folder} has a {META} but no {SCORES}: restore it, rerun the search, "
            "or move the folder out of the results root.",
        )


def _scan(root):
    """Walk the results root, following symlinks that stay inside it, each folder once."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"{root} is not a folder: pass the results root, a folder")
    if not root.is_dir():
        raise FileNotFoundError(f"No such results root: {root}")
    scan = _Scan(root, _real(root))
    seen, pending, links = set(), [root], []
    while pending or links:
        if pending:  # every folder reachable by its own path first, then the symlinks
            folder = pending.pop()
        else:
            links.sort(key=lambda link: _parts(link, root))
            folder = links.pop(0)
            if not _inside(folder, scan.boundary):
                scan.problem("skipped", folder, OUTSIDE)
                continue
        real = _real(folder)
        if real not in seen:  # else read already, or a cycle
            seen.add(real)
            _visit(folder, scan, pending, links)
    return scan


def _no_results(root, skipped):
    note = f" ({len(skipped)} symlinks to outside it skipped)" if skipped else ""
    return FileNotFoundError(
        f"No results folders under {root}{note}: no folder there holds a {SCORES}. "
        "Pass the folder given as `out=` to fit_grid, or a folder above it."
    )


def find_results(root):
    """The results folders under ``root``: every folder, at any depth, with a scores.csv.

    Folders whose name starts with a dot (``.git``, ``.ipynb_checkpoints``) are not
    searched. Symlinks are followed inside ``root`` only, each folder found once.

    Parameters
    ----------
    root : str or Path
        The results root (itself a results folder, or a folder that holds some).

    Returns
    -------
    list of Path
        The folders, sorted by their path relative to ``root``.

    Raises
    ------
    FileNotFoundError
        When ``root`` does not exist or holds no results folder.
    NotADirectoryError
        When ``root`` is a file.
    ValueError
        When a folder has a meta.json but no scores.csv (the store writes scores.csv
        first, so one of the two was lost or moved), or a folder cannot be listed.
        :func:`collect_folders` lists such folders instead.
    """
    scan = _scan(root)
    if scan.unreadable:
        raise UnreadableFolder(scan.unreadable[0].reason, scan.unreadable[0].path)
    if not scan.found:
        raise _no_results(scan.root, scan.skipped)
    return sorted(scan.found, key=lambda f: _parts(f, scan.root))


# --- reading one folder -------------------------------------------------------------------


def _one_line(text):
    return re.sub(r"\s*[\r\n]+\s*", " ", str(text)).strip()


def _describe(exc, path):
    """What went wrong reading ``path``, in words that name it."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read {exc.filename or path}: {exc.strerror}"
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"{path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position "
            f"{exc.start}): is it a file parsearch wrote?"
        )
    if isinstance(exc, json.JSONDecodeError):
        return f"{path} is not valid JSON: {exc}"
    if isinstance(exc, RecursionError):
        return f"{path} is nested too deeply to read"
    text = _one_line(exc) or type(exc).__name__
    if str(path) in text:
        return text
    if isinstance(exc, (ValueError, OSError)):
        return f"{path}: {text}"
    return f"{path}: {type(exc).__name__}: {text}"


@contextlib.contextmanager
def _reading(path):
    """Turn any error raised while reading ``path`` into an :class:`UnreadableFolder`."""
    try:
        yield
    except UnreadableFolder:
        raise
    except Exception as exc:
        raise UnreadableFolder(_describe(exc, path), path) from exc


def _check_folder(folder):
    """A folder that is missing, a file, or without scores.csv, as its own error."""
    with _reading(folder):
        if not folder.exists():
            raise UnreadableFolder(f"No such results folder: {folder}", folder)
        if not folder.is_dir():
            raise UnreadableFolder(
                f"{folder} is not a folder: pass the results folder that holds {SCORES}", folder
            )
        if not (folder / SCORES).exists() and not (folder / SCORES).is_symlink():
            raise UnreadableFolder(
                f"No {SCORES} in {folder}: is it a parsearch results folder?", folder
            )


def _invalid(path, what):
    return UnreadableFolder(f"{path} is not a valid scores file: {what}", path)


def _first(mask):
    return int(mask.to_numpy().argmax())


def _check_scores(table, path):
    """Reject what ``read_scores`` lets through: long rows, odd statuses, text numbers."""
    if not isinstance(table.index, pd.RangeIndex):
        # pandas takes the extra leading fields of a too-long first row as an index.
        raise _invalid(path, "a row has more fields than the header.")
    odd = ~table[Col.STATUS].isin(_STATUSES)
    if odd.any():
        line = _first(odd)
        raise _invalid(
            path,
            f"row {line + 1} has status {table[Col.STATUS].iloc[line]!r}, "
            f"not one of {', '.join(_STATUSES)}.",
        )
    for column in (c for c in _NUMBER_COLUMNS if c in table.columns):
        values = table[column]
        if pd.api.types.is_bool_dtype(values):  # True and False are not scores
            text = values.notna()
        elif pd.api.types.is_numeric_dtype(values):
            continue
        else:
            text = values.notna() & pd.to_numeric(values, errors="coerce").isna()
        if text.any():
            line = _first(text)
            raise _invalid(
                path, f"row {line + 1} has {column} {values.iloc[line]!r}, not a number."
            )
    if Col.DIRECTION in table.columns:
        odd = table[Col.DIRECTION].notna() & ~table[Col.DIRECTION].isin(_DIRECTIONS)
        if odd.any():
            line = _first(odd)
            raise _invalid(
                path,
                f"row {line + 1} has direction {table[Col.DIRECTION].iloc[line]!r}, "
                f"not one of {', '.join(_DIRECTIONS)}.",
            )
    try:
        rows.typed_params(table)  # every row's configuration key can be read back
    except RecursionError:
        raise _invalid(path, f"a {Col.KEY} is nested too deeply to read.") from None


def _number(value):
    """A number of meta.json as written: 3, not 3.0."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return epochs_text(value)
    return str(value)


def _json_type(value):
    """The JSON name of a parsed value's type."""
    if isinstance(value, bool):
        return "boolean"
    for kind, name in ((dict, "object"), (list, "array"), (str, "string"), (type(None), "null")):
        if isinstance(value, kind):
            return name
    return "number"


def _check_meta(meta, path):
    """Reject a meta.json whose fields the report and the command line cannot use."""

    def wrong(what):
        return UnreadableFolder(f"{path}: {what}", path)

    if not isinstance(meta, dict):
        raise UnreadableFolder(f"{path} is a JSON {_json_type(meta)}, not an object", path)
    if "metric" in meta:
        metric = meta["metric"]
        if not isinstance(metric, dict):
            raise wrong(f"'metric' is a JSON {_json_type(metric)}, not an object")
        if not isinstance(metric.get("name"), str):
            found = _json_type(metric.get("name"))
            raise wrong(f"the metric's 'name' is a JSON {found}, not a string")
        if not isinstance(metric.get("greater_is_better"), bool):
            found = _json_type(metric.get("greater_is_better"))
            raise wrong(f"the metric's 'greater_is_better' is a JSON {found}, not a boolean")
    for key in _META_OBJECTS:
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise wrong(f"{key!r} is a JSON {_json_type(meta[key])}, not an object")
    axes = (meta.get("grid") or {}).get("axes")
    if axes is not None and not (
        isinstance(axes, dict) and all(isinstance(v, list) for v in axes.values())
    ):
        raise wrong("the grid's 'axes' must map each parameter to the list of its values")
    for key in _HALVING_LISTS:
        values = (meta.get("halving") or {}).get(key)
        if values is not None and not (
            isinstance(values, list) and all(_json_type(v) == "number" for v in values)
        ):
            raise wrong(f"the halving's {key!r} must be a list of numbers")
    wall = meta.get("wall_seconds")
    if wall is not None and _json_type(wall) != "number":
        raise wrong(f"'wall_seconds' is a JSON {_json_type(wall)}, not a number")


def _images(folder, boundary):
    """The folder's PNG files, and those left out: symlinks out of ``boundary``."""
    images, skipped = [], []
    for path in sorted(folder.glob("*.png")):
        if path.name.startswith(".") or not path.is_file():
            continue
        if _inside(path, boundary):
            images.append(path)
        else:
            skipped.append(Problem(path, path.name, OUTSIDE))
    return images, skipped


def load_run(folder, root=None):
    """Read one results folder into a :class:`Run`.

    Parameters
    ----------
    folder : str or Path
        The results folder.
    root : str or Path, optional
        The results root, for the run's name and as the boundary for its images
        (default: ``folder`` itself): a PNG that is a symlink to outside it is left out
        and listed in :attr:`Run.skipped`.

    Returns
    -------
    Run

    Raises
    ------
    UnreadableFolder
        A :class:`ValueError` naming the file, for a missing folder, a file given as
        the folder, a folder without scores.csv, and anything in scores.csv or
        meta.json that cannot be read or used.
    """
    folder = Path(folder)
    _check_folder(folder)
    scores, meta_path = folder / SCORES, folder / META
    with _reading(scores):
        table = read_scores(folder)
        _check_scores(table, scores)
    with _reading(meta_path):
        meta = read_meta(folder)
        _check_meta(meta, meta_path)
        greater, metric = metric_direction(table, meta)
    statuses = table[Col.STATUS].tolist()
    best = rows.best_index(table[Col.SCORE].tolist(), statuses, greater)
    counts = rows.status_counts(statuses)
    name = _name(folder, root) if root is not None else folder.absolute().name
    with _reading(folder):
        images, skipped = _images(folder, _real(root if root is not None else folder))
    return Run(folder, name, table, meta, metric, greater, best, counts, images, skipped)


# --- every folder -------------------------------------------------------------------------


def collect_folders(root):
    """Read every results folder under ``root``, listing those that cannot be read.

    Parameters
    ----------
    root : str or Path
        The results root.

    Returns
    -------
    Collection
        A :class:`Run` per folder read and a :class:`Problem` per folder that was not,
        in the order of their paths; the symlinks to outside the root, skipped.

    Raises
    ------
    FileNotFoundError
        When ``root`` does not exist or holds no results folder at all.
    NotADirectoryError
        When ``root`` is a file.
    """
    scan = _scan(root)
    keyed = [(_parts(problem.path, scan.root), problem) for problem in scan.unreadable]
    for folder in scan.found:
        try:
            entry = load_run(folder, scan.root)
        except UnreadableFolder as exc:
            entry = Problem(folder, _name(folder, scan.root), str(exc))
        keyed.append((_parts(folder, scan.root), entry))
    if not keyed:
        raise _no_results(scan.root, scan.skipped)
    keyed.sort(key=lambda pair: pair[0])
    skipped = sorted(scan.skipped, key=lambda p: _parts(p.path, scan.root))
    return Collection(scan.root, [entry for _, entry in keyed], skipped)


def collect_runs(root):
    """Read every results folder under ``root`` (see :func:`find_results`), strictly.

    Parameters
    ----------
    root : str or Path
        The results root.

    Returns
    -------
    list of Run
        In the order of :func:`find_results`.

    Raises
    ------
    UnreadableFolder
        At the first folder that cannot be read; :func:`collect_folders` lists them.
    """
    return [load_run(folder, root) for folder in find_results(root)]
