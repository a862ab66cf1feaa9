"""Check that .ci/min-versions.txt pins every floor pyproject.toml declares, and no other.

Each ``name>=floor`` of ``[project] dependencies`` and of the extras ``torch``, ``dask`` and
``dev`` (ruff left out: it only lints) must appear in min-versions.txt as ``name==floor``;
``dask[distributed]`` stands for ``dask`` and ``distributed`` at the same version. Run with
the Python that runs CI (3.11 or newer, for tomllib); prints the pairs and exits 1 on a
mismatch.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib  # Python 3.11+, as CI's

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ("torch", "dask", "dev")
NOT_PINNED = {"ruff"}  # lint only: not installed in the minimum-versions venv
PIN_MAY_BE_ABOVE_FLOOR: set[str] = set()  # none: every pin is its floor


def key(version):
    """A comparable form of a release number: 2.2 and 2.2.0 are equal."""
    parts = [int(p) for p in version.split("+")[0].split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def floors():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in EXTRAS:
        specs += project["optional-dependencies"][extra]
    found = {}
    for spec in specs:
        m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([0-9.]+)\s*", spec)
        if m is None:
            raise SystemExit(f"pyproject.toml: {spec!r} is not of the form name>=floor")
        name, extras, floor = m.group(1).lower(), m.group(2) or "", m.group(3)
        if name in NOT_PINNED:
            continue
        names = [name, "distributed"] if name == "dask" and "distributed" in extras else [name]
        for n in names:
            if n in found and key(found[n]) != key(floor):
                raise SystemExit(f"pyproject.toml: two floors for {n}: {found[n]} and {floor}")
            found[n] = floor
    return found


def pins():
    found = {}
    for line in (ROOT / ".ci" / "min-versions.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[name.strip().lower()] = version.strip()
    return found


def main():
    declared, pinned = floors(), pins()
    bad = []
    for name in sorted(declared.keys() | pinned.keys()):
        floor, pin = declared.get(name), pinned.get(name)
        if floor is None or pin is None:
            ok = False
        elif name in PIN_MAY_BE_ABOVE_FLOOR:
            ok = key(pin) >= key(floor)
        else:
            ok = key(pin) == key(floor)
        mark = "" if ok else "MISMATCH"
        print(f"  {name:14} floor {floor or '-':12} pinned {pin or '-':12} {mark}")
        if not ok:
            bad.append(name)
    if bad:
        print(f"pyproject.toml and .ci/min-versions.txt disagree on {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
