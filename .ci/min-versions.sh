#!/usr/bin/env bash
# CI's second job: the whole test suite at the oldest supported versions (.ci/min-versions.txt,
# the floors of pyproject.toml), in a fresh virtual environment of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 .ci/check_floors.py

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
venv="$work/venv"
python3 -m venv "$venv"
# torch==2.13.0 takes the CPU build that lies on this machine's disk, as in the first job.
# setuptools 70.1 or newer builds the editable install below without the `wheel` package.
for attempt in 1 2 3; do
    "$venv/bin/python" -m pip install -q -r .ci/min-versions.txt "setuptools>=70.1" && break
    [ "$attempt" = 3 ] && { echo "could not install the minimum versions" >&2; exit 1; }
    echo "pip install failed (attempt $attempt), retrying" >&2
    sleep 15
done
# The package itself, with nothing else (its dependencies are the pins above).
"$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
"$venv/bin/python" -m pip check
"$venv/bin/python" - <<'EOF'
from importlib.metadata import version
names = ["numpy", "pandas", "scikit-learn", "scipy", "joblib", "matplotlib", "torch", "tqdm",
         "filelock", "mlxtend", "dask", "distributed", "pytest", "nbclient", "nbformat",
         "ipykernel", "skorch"]
print("minimum versions:", ", ".join(f"{n} {version(n)}" for n in names))
EOF

# The venv first on PATH, so that the tests' `parsearch` console script is the venv's.
# The timeout turns a hang (as older dask.distributed releases show) into a failure.
PATH="$venv/bin:$PATH" timeout --kill-after=30 1200 \
    "$venv/bin/python" -m pytest -p no:cacheprovider -q
