"""Find the results folders under a root and read each into a :class:`Run` for the report.

Reading only: each folder is read and checked by :func:`parsearch.results.read.read_run`
(the one reader of a results folder, which ``parsearch show`` and ``plot`` use too);
here the folders are found and each run gets its name and its images. Nothing here
knows about HTML.

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
    """Read one results folder into a :class:`~parsearch.results.read.Run`, with its images.

    :func:`parsearch.results.read.read_run` reads and checks the folder; here the run
    is named relative to the results root and given the folder's PNG images.

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
        As :func:`~parsearch.results.read.read_run`, for a folder that cannot be read.
    """
    folder = Path(folder)
    run = read_run(folder)
    name = _name(folder, root) if root is not None else folder.absolute().name
    with reading(folder):
        images, skipped = _images(folder, _real(root if root is not None else folder))
    return dataclasses.replace(run, name=name, images=images, skipped=skipped)


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
