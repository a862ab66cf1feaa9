"""What the benchmark scripts share: the MNIST split, the fresh-process runner, the printing.

Every approach runs in its own fresh Python process (``python bench_x.py --approach NAME``).
The child does its imports and loads the data, then times only the search itself and prints one
line ``BENCH_RESULT {json}``; the parent measures the wall time of the whole child process,
runs the approaches interleaved round by round and prints medians.

MNIST is read from ``$PARSEARCH_MNIST`` (a folder holding the four ``.gz`` files), else from
``../shared/data/mnist`` beside the repository checkout.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO_ROOT / "benchmarks"
MNIST_DIR = Path(
    os.environ.get("PARSEARCH_MNIST")
    or os.environ.get("PARSEARCH_MNIST_DIR")  # the older name, still read
    or REPO_ROOT.parent / "shared" / "data" / "mnist"
).expanduser()
RESULT_PREFIX = "BENCH_RESULT "

# Approach statuses reported by a child.
OK = "ok"
UNAVAILABLE = "unavailable"  # parsearch (or one of its names) does not import yet
ERROR = "error"


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------


def _read_idx_prefix(path: Path, magic: int, header_bytes: int, item_bytes: int, n: int):
    """The first ``n`` items of a gzipped IDX file of unsigned bytes, header checked.

    Only that prefix is decompressed: ``parsearch.datasets.mnist.read_idx`` (the same arrays)
    decompresses the whole file, which adds about 0.2 s to every child process on the
    development machine and so would move every "process" figure of RESULTS.md.
    """
    with gzip.open(path, "rb") as f:
        raw = f.read(header_bytes + n * item_bytes)
    if int.from_bytes(raw[:4], "big") != magic or len(raw) < header_bytes + n * item_bytes:
        raise ValueError(f"{path}: not an IDX file of {magic=} with at least {n} items")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_bytes)


def mnist_split(n_train: int, n_val: int):
    """Fixed split of MNIST's standard train file: first ``n_train`` images, then ``n_val``.

    The standard file is already in random order, so contiguous slices are fair samples.
    Normalised as in the fast.ai lesson: ``(x - train_mean) / train_std`` with scalar mean
    and std of the training part (pixels scaled to [0, 1] first), float32.

    Returns
    -------
    X_train, y_train, X_val, y_val : np.ndarray
        float32 (n, 784) images and int64 labels.
    """
    n = n_train + n_val
    images = _read_idx_prefix(MNIST_DIR / "train-images-idx3-ubyte.gz", 2051, 16, 784, n)
    labels = _read_idx_prefix(MNIST_DIR / "train-labels-idx1-ubyte.gz", 2049, 8, 1, n)
    x = images.reshape(n, 784).astype(np.float32) / np.float32(255.0)  # (n, 784)
    labels = labels.astype(np.int64)
    x_train, x_val = x[:n_train], x[n_train:]
    mean, std = x_train.mean(), x_train.std()
    x_train = ((x_train - mean) / std).astype(np.float32)
    x_val = ((x_val - mean) / std).astype(np.float32)
    return x_train, labels[:n_train], x_val, labels[n_train:]


def data_line(n_train: int, n_val: int, permuted: bool = False) -> str:
    """The ``data    :`` line of a benchmark's header."""
    how = " (permuted once, seed 0)" if permuted else ""
    return (
        f"data    : MNIST train file ({MNIST_DIR}), images 0..{n_train - 1} train{how}, "
        f"{n_train}..{n_train + n_val - 1} validation; (x - train mean) / train std, float32"
    )


def jsonable(params: dict) -> dict:
    """JSON-friendly copy of a parameter dict (numpy scalars to Python numbers)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in params.items()}


# --------------------------------------------------------------------------------------------
# Child side
# --------------------------------------------------------------------------------------------


def emit(result: dict) -> None:
    """Print the child's one result line for the parent to parse."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_approach(name: str, search, imports=None) -> None:
    """Child entry: run ``imports()`` then time ``search()`` and emit one result line.

    ``imports`` does the heavy imports (not timed); it may raise ImportError/AttributeError
    when parsearch is not ready, which is reported as ``unavailable``. ``search(mods)`` gets
    what ``imports`` returned and returns a dict with at least ``best_score``.
    """
    import traceback

    def failed(status, exc):
        if status == ERROR:
            traceback.print_exc()
        emit({"approach": name, "status": status, "error": f"{type(exc).__name__}: {exc}"})

    try:
        mods = imports() if imports is not None else None
    except (ImportError, AttributeError) as exc:
        return failed(UNAVAILABLE, exc)
    except Exception as exc:  # e.g. a constructor that rejects an argument
        return failed(ERROR, exc)
    try:
        t0 = time.perf_counter()
        out = search(mods)
        seconds = time.perf_counter() - t0
    except Exception as exc:  # report, do not crash: the parent prints the other approaches
        return failed(ERROR, exc)
    emit({"approach": name, "status": OK, "inner_s": seconds, **out})


# --------------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------------


@dataclass
class Runs:
    """All rounds of one approach: each round's child result, with ``outer_s`` and ``busy``."""

    name: str
    label: str
    results: list[dict] = field(default_factory=list)
    status: str = OK
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK and bool(self.results)

    @property
    def last(self) -> dict:
        """The last round's result (per-configuration details, best params, threads)."""
        return self.results[-1] if self.results else {}

    def values(self, key: str) -> list:
        return [r[key] for r in self.results]

    def median(self, key: str) -> float:
        """Median over the rounds, ignoring NaN (nan when there is no value)."""
        values = [v for v in self.values(key) if v == v]
        return statistics.median(values) if values else float("nan")


def child_env(extra: dict | None = None) -> dict:
    """The environment of a child: the repo root and benchmarks dir on its path, Agg backend."""
    env = dict(os.environ, MPLBACKEND="Agg")  # never open a window (parfit calls plt.show)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), str(BENCH_DIR), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    )
    return {**env, **(extra or {})}


def run_child(script: str, approach: str, args: list[str], timeout: float = 1800) -> dict:
    """Run ``python script --approach NAME args...`` and return its parsed result.

    The child gets the repo root and benchmarks dir on its path and the Agg backend. Adds
    ``outer_s``, the parent-measured wall time of the whole child process.
    """
    cmd = [sys.executable, script, "--approach", approach, *args]
    return run_command(cmd, approach, timeout)


def run_command(
    cmd: list[str], name: str, timeout: float = 1800, env: dict | None = None, cwd=None
) -> dict:
    """Run ``cmd`` and return the result of its last ``BENCH_RESULT`` line, with ``outer_s``.

    Parameters
    ----------
    cmd : list of str
        The command line.
    name : str
        The approach it measures (named in an error result).
    timeout : float
        Seconds before it is killed (an error result).
    env : dict, optional
        Its environment (default: ``child_env()``).
    cwd : path, optional
        Its working directory.

    Returns
    -------
    dict
        The child's result and ``outer_s``, the parent-measured wall time of the process;
        or an error result (``status`` ``ERROR``, ``error`` with the output's tail).
    """
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=child_env() if env is None else env,
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"approach": name, "status": ERROR, "error": f"timed out after {timeout} s"}
    outer = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if not lines:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        error = f"child exited {proc.returncode} without a result line:\n{tail}"
        return {"approach": name, "status": ERROR, "error": error}
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["outer_s"] = outer
    if result.get("status") == ERROR:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        result["error"] = f"{result.get('error')}\n{tail}".strip()
    return result


def chosen_approaches(parser, text: str | None, choices) -> list[str]:
    """The approaches named in ``--approaches`` (all of ``choices`` when None).

    An unknown name is a usage error of ``parser``, listing the choices.
    """
    wanted = [a.strip() for a in (text or ",".join(choices)).split(",") if a.strip()]
    unknown = [a for a in wanted if a not in choices]
    if unknown:
        parser.error(f"unknown approach(es) {unknown}; choose from {list(choices)}")
    return wanted


def _progress(res: dict) -> str:
    return f"{res['outer_s']:.2f} s (search {res['inner_s']:.2f} s)"


def run_rounds(
    script, approaches: dict[str, str], args, rounds: int, progress=_progress, runner=None
):
    """Run every approach once per round, each in a fresh process; return ``{name: Runs}``.

    Approaches are interleaved (round 1: a, b, c; round 2: a, b, c; ...) so that slow drifts
    of a shared machine spread over all of them. An approach that is unavailable or errors is
    not retried in later rounds. ``progress(result)`` is printed after each child.
    ``runner(name, round)`` runs one child and returns its result (default: ``run_child``
    of ``script`` with ``args``).
    """
    runs = {name: Runs(name, label) for name, label in approaches.items()}
    for r in range(rounds):
        for name, run in runs.items():
            if run.status != OK:
                continue
            print(f"  round {r + 1}/{rounds}: {name} ...", end=" ", flush=True)
            busy = busy_cores()
            res = run_child(script, name, args) if runner is None else runner(name, r)
            if res.get("status") != OK:
                run.status, run.error = res.get("status", ERROR), res.get("error", "")
                print(run.status)
                continue
            run.results.append({**res, "busy": busy})
            print(progress(res), flush=True)
    return runs


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies of all CPUs from /proc/stat, or None where there is none."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return values[3] + values[4], sum(values[:8])  # idle + iowait; user..steal


def busy_cores(window: float = 0.25) -> float:
    """How many cores other processes kept busy over ``window`` seconds (nan if unknown).

    Taken while the parent sleeps and no child runs, so it measures the neighbours: a
    benchmark child that has to share its 2 cores runs slower, and this says how much.
    """
    before = _cpu_times()
    time.sleep(window)
    after = _cpu_times()
    if before is None or after is None or after[1] == before[1]:
        return float("nan")
    idle = (after[0] - before[0]) / (after[1] - before[1])
    return (1.0 - idle) * (os.cpu_count() or 1)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def print_machine(packages: list[str]) -> None:
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"machine : {cpu_model()}, {cores} logical cores ({usable} usable), load avg {load}")
    vers = ", ".join(f"{p} {_version(p)}" for p in packages)
    print(f"software: Python {platform.python_version()}, {vers}")


def fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None or x != x else f"{x:.{digits}f}"


def print_table(runs: dict[str, Runs], rounds: int) -> None:
    """One row per approach: median child wall, median search time, best accuracy."""
    head = f"{'approach':<50} {'process s':>10} {'search s':>9} {'best val acc':>13} {'busy':>5}"
    print(f"\nmedians over {rounds} round(s); process = whole child process (parent-measured),")
    print("search = time around the search inside the child (no imports, no data loading),")
    print("busy = cores used by other processes in the 0.25 s before each child started\n")
    print(head)
    print("-" * len(head))
    for run in runs.values():
        if run.ok:
            scores = sorted(set(round(s, 6) for s in run.values("best_score")))
            acc = fmt(scores[0], 4) if len(scores) == 1 else f"{fmt(run.median('best_score'), 4)}*"
            print(
                f"{run.label:<50} {fmt(run.median('outer_s')):>10} "
                f"{fmt(run.median('inner_s')):>9} {acc:>13} {fmt(run.median('busy')):>5}"
            )
        else:
            print(f"{run.label:<50} {run.status.upper():>10}")
    if any(r.ok and len(set(r.values("best_score"))) > 1 for r in runs.values()):
        print("* best accuracy varied between rounds; the median is shown")
    for run in runs.values():
        if not run.ok and run.error:
            first = run.error.strip().splitlines()
            print(f"\n{run.name}: {run.status}: {first[0] if first else ''}")
            if run.status == ERROR and len(first) > 1:
                print("    " + "\n    ".join(first[1:]))


def verdict(value: float, op: str | None, target: float | None) -> str:
    if op is None:
        return ""
    met = value <= target if op == "<=" else value >= target
    return " (met)" if met else " (NOT met)"


def ratio_line(label: str, num: Runs, den: Runs, op: str | None, target: float | None) -> str:
    """Median ratio num/den for the whole process and for the search alone, against a target.

    ``op`` is ``"<="`` or ``">="`` (or None for no target).
    """
    goal = f"   target {op} {target:g}" if op else ""
    if not (num.ok and den.ok):
        missing = ", ".join(r.name for r in (num, den) if not r.ok)
        return f"{label:<28} n/a ({missing} not measured){goal}"
    outer = num.median("outer_s") / den.median("outer_s")
    inner = num.median("inner_s") / den.median("inner_s")
    line = (
        f"{label:<28} process {outer:6.2f}x{verdict(outer, op, target):<10} "
        f"search {inner:6.2f}x{verdict(inner, op, target):<10}{goal}"
    )
    return line.rstrip()


def finish(runs: dict[str, Runs]) -> int:
    """Close a benchmark's output: the load average, the approaches that errored; exit status.

    A busy machine makes every absolute time larger, hence the load average at the end.
    """
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nload average now (1, 5, 15 min): {load} on {os.cpu_count()} logical cores")
    failed = [r.name for r in runs.values() if r.status == ERROR]
    if failed:
        print(f"approaches that errored: {failed}")
    return 1 if failed else 0
