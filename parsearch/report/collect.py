"""Find the results folders under a root and read each into a :class:`Run` with its images.

Each folder is read and checked by :func:`parsearch.results.read.read_run`; one that
cannot be read raises :class:`UnreadableFolder` (:func:`load_run`) or is listed as a
:class:`Problem` (:func:`collect_folders`). Symlinks are followed inside the root only: a
folder, ``scores.csv``, ``meta.json`` or PNG reached through one that leads out is
skipped; a folder reached twice (or through a cycle) is read once, under its own path
where it has one.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from parsearch.results.files import META, SCORES
from parsearch.results.read import Run, UnreadableFolder, read_run, reading

#: Why something reached through a symlink is not read.
OUTSIDE = "a symlink to outside the results root"


@dataclass
class Problem:
    """A folder or file under the results root that the report lists but does not show.

    Attributes
    ----------
    path : Path
        The folder, symlink or file.
    name : str
        Its path relative to the results root.
    reason : str
        Why, in one line.
    """

    path: Path
    name: str
    reason: str


@dataclass
class Collection:
    """Every results folder under a root: those read, those unreadable, those skipped.

    Attributes
    ----------
    root : Path
        The results root.
    entries : list of Run or Problem
        Each folder in the order of their paths: its :class:`Run`, or why it is unreadable.
    skipped : list of Problem
        What was not read because a symlink leads out of the root.
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
    """Sort key: the path's parts relative to the root (the root itself, ``()``, first)."""
    return Path(os.path.relpath(path, root)).parts


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
    """The folders under ``root``, at any depth, that hold a scores.csv.

    Folders named with a leading dot (``.git``) are not searched.

    Parameters
    ----------
    root : str or Path
        The results root (a results folder itself, or a folder above some).

    Returns
    -------
    list of Path
        Sorted by their path relative to ``root``.

    Raises
    ------
    FileNotFoundError
        When ``root`` does not exist or holds no results folder.
    NotADirectoryError
        When ``root`` is a file.
    UnreadableFolder
        For a folder that cannot be listed, or has a meta.json but no scores.csv (which
        the store writes first); :func:`collect_folders` lists these instead.
    """
    scan = _scan(root)
    if scan.unreadable:
        raise UnreadableFolder(scan.unreadable[0].reason, scan.unreadable[0].path)
    if not scan.found:
        raise _no_results(scan.root, scan.skipped)
    return sorted(scan.found, key=lambda f: _parts(f, scan.root))


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
    """:func:`~parsearch.results.read.read_run`, named relative to ``root``, with its PNGs.

    Parameters
    ----------
    folder : str or Path
        The results folder.
    root : str or Path, optional
        The results root (default: ``folder``): the run's name is relative to it, and a
        PNG that is a symlink out of it is left out, listed in :attr:`Run.skipped`.

    Returns
    -------
    Run

    Raises
    ------
    UnreadableFolder
        For a folder that cannot be read.
    """
    folder = Path(folder)
    root = folder if root is None else root
    run = read_run(folder)
    with reading(folder):
        images, skipped = _images(folder, _real(root))
    return dataclasses.replace(run, name=_name(folder, root), images=images, skipped=skipped)


def collect_folders(root):
    """Read every results folder under ``root``, listing those that cannot be read.

    Returns
    -------
    Collection

    Raises
    ------
    FileNotFoundError, NotADirectoryError
        As :func:`find_results`.
    """
    scan = _scan(root)
    entries = list(scan.unreadable)
    for folder in scan.found:
        try:
            entries.append(load_run(folder, scan.root))
        except UnreadableFolder as exc:
            entries.append(Problem(folder, _name(folder, scan.root), str(exc)))
    if not entries:
        raise _no_results(scan.root, scan.skipped)

    def order(entry):
        return _parts(entry.folder if isinstance(entry, Run) else entry.path, scan.root)

    skipped = sorted(scan.skipped, key=order)
    return Collection(scan.root, sorted(entries, key=order), skipped)


def collect_runs(root):
    """The :class:`Run` of every folder of :func:`find_results`, in its order; strict: an
    :class:`UnreadableFolder` at the first that cannot be read."""
    return [load_run(folder, root) for folder in find_results(root)]
