"""What the benchmarks share: the data, the fresh-process runner, the header and tables, and
the reference side of the comparisons (the plain PyTorch loop, joblib's task, skorch's
module, and the fused approach over an lr x width grid).

Every approach runs in its own fresh Python process (``python bench_x.py --approach NAME``):
the child does its imports and loads the data untimed, times the search alone and prints one
line ``BENCH_RESULT {json}``; the parent measures the whole child process, runs the
approaches interleaved round by round and prints medians. MNIST is read from
``$PARSEARCH_MNIST`` (a folder holding the four ``.gz`` files), else from
``../shared/data/mnist`` beside the repository checkout.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
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
OK, UNAVAILABLE, ERROR = "ok", "unavailable", "error"  # a child's status

#: The networks' input and output sizes (MNIST), and how every approach trains them.
N_IN, N_OUT = 784, 10
BATCH_SIZE = 64
MOMENTUM = 0.9


# Data


def _read_idx_prefix(path: Path, magic: int, header_bytes: int, item_bytes: int, n: int):
    """The first ``n`` items of a gzipped IDX file of unsigned bytes, header checked.

    Only that prefix is decompressed (``parsearch.datasets.mnist.read_idx`` decompresses the
    whole file, about 0.2 s more in every child process).
    """
    with gzip.open(path, "rb") as f:
        raw = f.read(header_bytes + n * item_bytes)
    if int.from_bytes(raw[:4], "big") != magic or len(raw) < header_bytes + n * item_bytes:
        raise ValueError(f"{path}: not an IDX file of {magic=} with at least {n} items")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_bytes)


def mnist_split(n_train: int, n_val: int):
    """MNIST's train file: the first ``n_train`` images train, the next ``n_val`` validate.

    The file is in random order, so contiguous slices are fair samples. Pixels in [0, 1],
    then ``(x - train_mean) / train_std`` (scalars of the training part), float32; labels
    int64. Returns ``X_train, y_train, X_val, y_val``.
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


def mnist_missing() -> bool:
    """Whether MNIST's files are missing (then says so)."""
    if (MNIST_DIR / "train-images-idx3-ubyte.gz").is_file():
        return False
    print(f"\nERROR: MNIST not found in {MNIST_DIR}: set PARSEARCH_MNIST to a folder holding it")
    return True


def jsonable(params: dict) -> dict:
    """JSON-friendly copy of a parameter dict (numpy scalars to Python numbers)."""
    return {k: (v.item() if hasattr(v, "item") else v) for k, v in params.items()}


# Child side


def emit(result: dict) -> None:
    """Print the child's one result line for the parent to parse."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_approach(name: str, search, imports=None) -> None:
    """Child entry: ``imports()`` untimed, then ``search(what imports gave)`` timed; emit.

    An ImportError or AttributeError in ``imports`` is reported as ``unavailable``, any other
    exception as ``error``; ``search`` returns a dict with at least ``best_score``.
    """

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


# Parent side: running the children


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
    """A child's environment: the repo root and benchmarks dir on its path, Agg backend."""
    env = dict(os.environ, MPLBACKEND="Agg")  # never open a window (parfit calls plt.show)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO_ROOT), str(BENCH_DIR), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])]
    )
    return {**env, **(extra or {})}


def run_child(script, approach: str, args: list[str], timeout: float = 1800, cmd=None, **kw):
    """Run ``python script --approach NAME args...`` (or ``cmd``); return its last result.

    Adds ``outer_s``, the parent-measured wall time of the whole process; a child without a
    result line, or timed out, gives an ``ERROR`` result with the output's tail. ``kw``:
    ``env`` (default ``child_env()``) and ``cwd``.
    """
    cmd = cmd or [sys.executable, str(script), "--approach", approach, *args]
    kw["env"] = kw.get("env") or child_env()
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return {"approach": approach, "status": ERROR, "error": f"timed out after {timeout} s"}
    outer = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if not lines:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        error = f"child exited {proc.returncode} without a result line:\n{tail}"
        return {"approach": approach, "status": ERROR, "error": error}
    result = json.loads(lines[-1][len(RESULT_PREFIX) :])
    result["outer_s"] = outer
    if result.get("status") == ERROR:
        tail = "\n".join(proc.stderr.strip().splitlines()[-10:])
        result["error"] = f"{result.get('error')}\n{tail}".strip()
    return result


def run_measurement(script, name: str, args: list[str], what: str) -> dict:
    """One measuring child (``gemm``, ``products``), with its progress line."""
    print(f"  {what} ...", end=" ", flush=True)
    res = run_child(script, name, args)
    print("done" if res.get("status") == OK else res.get("error"))
    return res


def parser(doc: str, rounds: int | None = 3, rounds_help: str | None = None, quick_help: str = ""):
    """A benchmark's command line: ``--rounds``, ``--quick``, ``--approaches`` and the
    children's ``--approach``; ``rounds_help`` says the default where it is not ``rounds``,
    ``quick_help`` what ``--quick`` runs."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    default = rounds_help or f"default {rounds}"
    ap.add_argument("--rounds", type=int, default=rounds, help=f"rounds, medians ({default})")
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run, 1 round{quick_help and ': '}{quick_help}",
    )
    ap.add_argument("--approaches", help="comma-separated subset of the approaches")
    ap.add_argument("--approach", help=argparse.SUPPRESS)  # child mode
    return ap


def parse(ap: argparse.ArgumentParser, argv, child):
    """The options of ``argv``; in a child (``--approach``), ``child(options)`` and None."""
    args = ap.parse_args(argv)
    if not args.approach:
        return args
    child(args)
    return None


def chosen_approaches(parser, text: str | None, choices) -> list[str]:
    """The approaches named in ``--approaches`` (all of ``choices`` when None)."""
    wanted = [a.strip() for a in (text or ",".join(choices)).split(",") if a.strip()]
    unknown = [a for a in wanted if a not in choices]
    if unknown:
        parser.error(f"unknown approach(es) {unknown}; choose from {list(choices)}")
    return wanted


def _progress(res: dict) -> str:
    return f"{res['outer_s']:.2f} s (search {res['inner_s']:.2f} s)"


def run_rounds(script, approaches: dict, args, rounds: int, progress=_progress, runner=None):
    """Every approach once per round, each in a fresh process; returns ``{name: Runs}``.

    Interleaved (round 1: a, b, c; round 2: a, b, c; ...) so that slow drifts of a shared
    machine spread over all of them; an approach that fails is not retried. ``runner(name,
    round)`` runs one child (default: ``run_child`` of ``script`` with ``args``).
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
    """How many cores other processes kept busy over ``window`` s, no child running (nan:
    unknown): a child that has to share its cores runs slower, and this says how much."""
    before = _cpu_times()
    time.sleep(window)
    after = _cpu_times()
    if before is None or after is None or after[1] == before[1]:
        return float("nan")
    idle = (after[0] - before[0]) / (after[1] - before[1])
    return (1.0 - idle) * (os.cpu_count() or 1)


# Parent side: printing


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


def header(title: str, packages: list[str], quick: bool = False) -> None:
    """A benchmark's first lines: its title, the machine, the software's versions."""
    print(title + (" (QUICK smoke run)" if quick else ""))
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"machine : {cpu_model()}, {cores} logical cores ({usable} usable), load avg {load}")
    vers = ", ".join(f"{p} {_version(p)}" for p in packages)
    print(f"software: Python {platform.python_version()}, {vers}")


def fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None or x != x else f"{x:.{digits}f}"


def best_acc(run: Runs) -> str:
    """The median best accuracy, starred when it varied between rounds."""
    scores = set(round(s, 6) for s in run.values("best_score"))
    return fmt(run.median("best_score"), 4) + ("*" if len(scores) > 1 else "")


LEGEND = (
    "process = whole child process (parent-measured),\n"
    "search = time around the search inside the child (no imports, no data loading),\n"
    "busy = cores used by other processes in the 0.25 s before each child started"
)
COLUMNS = [
    ("process s", 10, lambda r: fmt(r.median("outer_s"))),
    ("search s", 9, lambda r: fmt(r.median("inner_s"))),
    ("best val acc", 13, best_acc),
    ("busy", 5, lambda r: fmt(r.median("busy"))),
]


def print_table(runs: dict[str, Runs], rounds: int, columns=None, legend=LEGEND, width=50):
    """One row per approach: ``columns`` (header, width, value of a Runs), medians.

    A column of width 0 is left-aligned after two spaces (a last, free-form column). Then
    the approaches that failed, with their error.
    """
    columns = columns or COLUMNS

    def cells(values):
        return "".join(
            f"  {v}" if w == 0 else f" {v:>{w}}" for v, (_, w, _) in zip(values, columns)
        )

    print(f"\nmedians over {rounds} round(s); {legend}\n")
    head = f"{'approach':<{width}}" + cells([h for h, _, _ in columns])
    print(head)
    print("-" * len(head))
    for run in runs.values():
        if run.ok:
            print(f"{run.label:<{width}}" + cells([value(run) for _, _, value in columns]))
        else:
            print(f"{run.label:<{width}} {run.status.upper():>{columns[0][1]}}")
    if any(r.ok and best_acc(r).endswith("*") for r in runs.values()):
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
    """Median ratio num/den of the whole process and of the search, against a target
    (``op`` ``"<="`` or ``">="``, or None)."""
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
    """The load average now and the approaches that errored; the exit status."""
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nload average now (1, 5, 15 min): {load} on {os.cpu_count()} logical cores")
    failed = [r.name for r in runs.values() if r.status == ERROR]
    if failed:
        print(f"approaches that errored: {failed}")
    return 1 if failed else 0


# The reference side: an lr x width grid of depth-1 MLPs, and the ways to train it


@dataclass(frozen=True)
class Grid:
    """An lr x width grid of depth-1 MLPs (SGD momentum 0.9, batch 64) on MNIST's train file."""

    n_train: int
    n_val: int
    lrs: list[float]
    widths: list[int]
    epochs: int

    @property
    def configs(self) -> list[tuple[float, int]]:
        """Grid order: lr outer, width inner (as ParameterGrid orders {"lr", "width"})."""
        return [(lr, w) for lr in self.lrs for w in self.widths]

    @property
    def total_width(self) -> int:
        """H, the summed width of the grid: the rows of the fused layer-1 matrix."""
        return sum(w for _, w in self.configs)


#: The CPU grid of ``bench_fused`` (and ``bench_process``, on more data): its summed width,
#: 2,400, is the thin GEMM shape every benchmark times on the CPU.
CPU_GRID = Grid(4_000, 1_000, [0.001, 0.003, 0.01, 0.03, 0.1], [32, 64, 128, 256], 3)


# The SGD logistic-regression grid of bench_sklearn and bench_dask: 12 configurations, the first
# 10,000 images of MNIST's train file to train, the next 10,000 to score (--quick: 1,000 each).
ALPHAS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
ETA0S = [0.01, 0.1]
SGD_GRID = {"alpha": ALPHAS, "eta0": ETA0S}
# "invscaling" (eta = eta0 / t**0.25 per sample) converged within max_iter on normalised MNIST
# in a trial run and reached ~0.90 validation accuracy; "adaptive" hit max_iter every time.
SGD_PARAMS = {"loss": "log_loss", "learning_rate": "invscaling", "max_iter": 20, "tol": 1e-3}


def sgd_sizes(quick: bool) -> tuple[int, int]:
    return (1_000, 1_000) if quick else (10_000, 10_000)


def sgd():
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(random_state=0, **SGD_PARAMS)


def sgd_text() -> tuple[str, str]:
    """The SGD grid's model and grid, as the headers print them."""
    params = ", ".join(f"{k}={v!r}" for k, v in SGD_PARAMS.items())
    return (
        f"SGDClassifier({params}, random_state=0)",
        f"alpha={ALPHAS} x eta0={ETA0S} = {len(ALPHAS) * len(ETA0S)} configs",
    )


def load_data(g: Grid):
    """The grid's split, the training part permuted once (seed 0), the same for every approach."""
    X_train, y_train, X_val, y_val = mnist_split(g.n_train, g.n_val)
    perm = np.random.default_rng(0).permutation(g.n_train)
    return X_train[perm], y_train[perm], X_val, y_val


def start(torch, device: str | None, threads: int | None):
    """Untimed: torch's threads pinned on the CPU; on CUDA, the context and cuBLAS made ready."""
    dev = torch.device(device or "cpu")
    if dev.type == "cpu":
        if threads:
            torch.set_num_threads(threads)
    else:
        a = torch.ones(64, 64, device=dev)
        (a @ a).sum().item()
    return dev


def sync(torch, dev) -> None:
    """Wait for a CUDA device's queued work; on the CPU, nothing."""
    dev = torch.device(dev)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def train_one(lr, width, X_train, y_train, X_val, y_val, epochs, batch_size=BATCH_SIZE):
    """The plain PyTorch loop: one depth-1 MLP on tensors; its final validation accuracy.

    Runs on the tensors' device; the host syncs are one ``.item()`` per epoch (the
    validation accuracy) and one at the end (the last training loss).
    """
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(N_IN, width), nn.ReLU(), nn.Linear(width, N_OUT), nn.LogSoftmax(dim=1)
    ).to(X_train.device)  # initialised on the CPU: the same weights on every device
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    n = X_train.shape[0]
    epoch_scores = []
    loss = torch.tensor(float("nan"))
    for _ in range(epochs):
        for i in range(0, n, batch_size):
            loss = F.nll_loss(model(X_train[i : i + batch_size]), y_train[i : i + batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            pred = model(X_val).argmax(dim=1)
        epoch_scores.append((pred == y_val).float().mean().item())
    return {"lr": lr, "width": width, "score": epoch_scores[-1], "train_loss": loss.item()}


def joblib_task(lr, width, X_train, y_train, X_val, y_val, epochs):
    """One joblib task: one configuration on one torch thread, from numpy arrays."""
    import torch

    torch.set_num_threads(1)  # 2 workers x 1 thread on 2 cores: never more threads than cores
    # joblib hands large arrays over as read-only memmaps: copy into tensors
    t = [torch.tensor(np.asarray(a)) for a in (X_train, y_train, X_val, y_val)]
    out = train_one(lr, width, *t, epochs)
    out["threads"] = torch.get_num_threads()
    return out


def best_of(rows: list[dict]) -> dict:
    best = max(rows, key=lambda r: r["score"])
    return {"best_score": best["score"], "best_params": {"lr": best["lr"], "width": best["width"]}}


def skorch_net(torch, NeuralNetClassifier, Callback, epochs: int, init=None, seed=0, **kw):
    """The depth-1 network in skorch, trained as the other approaches train it: logits and
    CrossEntropyLoss (log-softmax + NLL; skorch's default NLLLoss expects probabilities), SGD,
    batch 64 in the data's order, no internal split (the search scores), on the CPU, 1 torch
    thread. ``seed``: the seed set before the module is built (skorch initialises callbacks
    first), so that it draws the same weights as ``train_one``."""

    class MLP(torch.nn.Module):
        def __init__(self, width=32):
            super().__init__()
            self.hidden = torch.nn.Linear(N_IN, width)
            self.relu = torch.nn.ReLU()
            self.out = torch.nn.Linear(width, N_OUT)
            if init is not None:  # init(linears, width): the initial weights
                init([self.hidden, self.out], width)

        def forward(self, X):
            return self.out(self.relu(self.hidden(X)))

    class Setup(Callback):
        def initialize(self):
            torch.set_num_threads(1)  # 2 workers x 1 thread on 2 cores
            if seed is not None:
                torch.manual_seed(seed)
            return self

    return NeuralNetClassifier(
        MLP,
        module__width=32,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.SGD,
        lr=0.01,
        max_epochs=epochs,
        batch_size=BATCH_SIZE,
        train_split=None,
        iterator_train__shuffle=False,
        callbacks=[Setup()],
        device="cpu",
        verbose=0,
        **kw,
    )


def mlp_init(torch, linears, width: int, seed: int = 0) -> None:
    """``MLPClassifier(seed=seed)``'s initial weights (``parsearch.nets.fused.init_layers``,
    depth 1) into two Linear layers: uniform in +-1/sqrt(fan_in), float32, from a generator
    seeded ``seed``, weight then bias, layer by layer. Written again here so that the
    approaches compared with parsearch's need not import it."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for lin, fan_in in zip(linears, (N_IN, width)):
            bound = 1.0 / math.sqrt(fan_in)
            for t in (lin.weight, lin.bias):
                t.copy_(torch.rand(t.shape, generator=gen).mul_(2 * bound).sub_(bound))


def epoch_orders(torch, n: int, seed: int = 0):
    """A DataLoader sampler giving ``MLPClassifier(seed=seed)``'s batch order: its e-th
    ``__iter__`` yields the e-th ``default_rng(seed).permutation(n)`` (a fit in
    scikit-learn gets a fresh copy through ``clone``)."""

    class EpochOrders(torch.utils.data.Sampler):
        def __init__(self, n):
            self.n, self.rng = n, np.random.default_rng(seed)

        def __iter__(self):
            return iter(self.rng.permutation(self.n).tolist())

        def __len__(self):
            return self.n

    return EpochOrders(n)


def predefined_split(data, PredefinedSplit):
    """``(X, y, cv)``: the training and validation rows stacked, and the split scoring on the
    validation rows."""
    X_train, y_train, X_val, y_val = data
    fold = np.r_[np.full(len(y_train), -1), np.zeros(len(y_val), dtype=int)]
    return np.concatenate([X_train, X_val]), np.concatenate([y_train, y_val]), PredefinedSplit(fold)


def fused_child(g: Grid, data, device: str | None, threads: int | None):
    """The fused approach: ``fit_grid(MLPClassifier(depth=1, ...), {"lr", "width"})``."""

    def imports():
        import torch

        import parsearch

        dev = start(torch, device, threads)
        model = parsearch.MLPClassifier(
            depth=1,
            epochs=g.epochs,
            batch_size=BATCH_SIZE,
            optimizer="sgd",
            momentum=MOMENTUM,
            **({"device": device} if device else {}),  # on the CPU: the default, "auto"
        )
        return torch, dev, parsearch.fit_grid, model

    def search(mods):
        torch, dev, fit_grid, model = mods
        res = fit_grid(model, {"lr": g.lrs, "width": g.widths}, *data, progress=False)
        sync(torch, dev)
        execution = res.meta.get("execution", {})
        return {
            "best_score": float(res.best_score),
            "best_params": jsonable(res.best_params),
            "threads": torch.get_num_threads(),
            "device": execution.get("device"),
            "fused_groups": execution.get("fused_groups"),
        }

    return imports, search
