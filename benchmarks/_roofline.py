"""The roofline of a fused grid: what its steps cost at best, and the rates that bound them.

Every count comes from the trainer itself, not from a second model of its layout:

- FLOPs (``step_flops``, ``val_flops``, ``grid_flops``): the matrix products over the layer
  shapes of ``parsearch.nets.fused.layer_sizes`` (784 -> h -> 10): in a training step each
  layer's forward product, its weight gradient and, but for layer 1, its input gradient; in
  a validation pass the forward products. A product (m x k) @ (k x n) is 2mkn FLOPs.
  Biases, ReLU, the loss and the update are O(h) per sample and left out.
- Bytes (``step_bytes``, ``val_bytes``): the sizes of the tensors an SGD-momentum step reads
  and writes, read off the trainer's own objects (``model_share``): a
  ``parsearch.nets.fused.FusedNet`` of one model of each width, its flat parameter buffer
  (``W1``, ``b1``, ``Wo``, ``bo`` as ``FusedNet`` lays them out), the momentum buffer of
  ``parsearch.nets.optim.SGD`` over it (``SGD.buffers()``), and the activations of one
  ``forward_with_activations`` and ``backward`` on a batch (layer 1's output (h, b), its
  gradient dZ1 (h, b), the logits (10, b)). Every tensor of the fused layout is a per-model
  slice, so a grid's count is the sum of its models'. Counted, float32 (4 bytes), per step:
  the parameters 3 times (read by the forward product, read and written by the update) and
  the momentum buffer twice (read and written): ``PARAM_PASSES`` = 5 passes over the
  parameters' size; layer 1's output, dZ1, the logits and their gradient (the logits' size)
  each written once and read once; the batch read once. Per validation pass: the parameters
  and the images read once, layer 1's output and the logits written and read once.
  This is the fewest the step can move, not what it moves. Not counted: the layer-1 weight
  gradient (taken as accumulated into the momentum buffer as the product makes it, a GEMM
  with beta; the trainer's oneDNN path writes it to a temporary first); the other gradients
  in ``FusedNet.grad_flat`` and the per-model learning rates the update reads (together
  2.9% of the parameters' size in these grids); temporaries; the per-epoch gather of the
  shuffled data; the end-of-epoch divergence check. ``FUSED_PASSES`` = 4: the same with the
  next step's forward product computed from the updated rows while in cache.

A run is bound by the sum over its steps of max(FLOPs / the best fp32 GEMM rate, bytes / the
copy bandwidth) (``roofline``), or, counting FLOPs only, by ``lower_bound``. The rates are
measured in a child (``measure_gemm``: large squares and the fused step's thin shape through
``torch.mm`` and oneDNN, and the copy bandwidth); ``measure_products`` times the layer-1
products alone.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path

import _common as c
from _common import BATCH_SIZE, MOMENTUM, N_IN, N_OUT, sync

ITEM = 4  # bytes of a float32
PARAM_PASSES = 5  # passes over the parameters' size a step: see the module's docstring
FUSED_PASSES = 4  # the same with the next step's forward product fused into the update


# FLOPs, from the trainer's layer shapes


def _product_flops(width: int, rows: int, backward: bool) -> float:
    """The matrix products of one model on ``rows`` samples (see the module's docstring)."""
    from parsearch.nets.fused import layer_sizes

    total = 0.0
    for k, (fan_out, fan_in) in enumerate(layer_sizes(N_IN, width, 1, N_OUT)):
        products = (2 if k == 0 else 3) if backward else 1
        total += products * 2.0 * rows * fan_out * fan_in
    return total


def step_flops(widths: list[int], b: int) -> float:
    """FLOPs of one training step of the whole grid on a batch of ``b``."""
    return sum(_product_flops(w, b, backward=True) for w in widths)


def val_flops(widths: list[int], n_val: int) -> float:
    """FLOPs of one validation pass of the whole grid over ``n_val`` images."""
    return sum(_product_flops(w, n_val, backward=False) for w in widths)


def grid_flops(g) -> float:
    """The FLOPs of a whole run of grid ``g``: every epoch's steps and validation pass."""
    widths = [w for _, w in g.configs]
    return g.epochs * (step_flops(widths, g.n_train) + val_flops(widths, g.n_val))


def lower_bound(flops: float, gemm: dict) -> tuple[float, float, float]:
    """(best GFLOP/s, seconds at it, seconds at the thin-shape rate) for ``flops``.

    The rates are the best IEEE fp32 rates of every library the GEMM child measured.
    """
    sources = [gemm, *([gemm["onednn"]] if "onednn" in gemm else [])]
    thin_rate = max(max(s["thin_gflops"], s["thin_t_gflops"]) for s in sources)
    best_rate = max([thin_rate, *(v for s in sources for v in s["square_gflops"].values())])
    return best_rate, flops / (best_rate * 1e9), flops / (thin_rate * 1e9)


# Bytes, from the trainer's tensors


@functools.cache
def model_share(width: int) -> dict[str, int]:
    """One model's elements in the tensors of a fused SGD step, from the trainer's objects.

    ``params`` and ``state`` (the momentum buffer) per model; ``layer1`` (layer 1's output,
    and dZ1, the same size) and ``logits`` per sample. See the module's docstring.
    """
    import torch

    from parsearch.nets.fused import FusedNet, ModelHyper, TrainSpec
    from parsearch.nets.optim import SGD

    cpu = torch.device("cpu")
    spec = TrainSpec(1, 1, BATCH_SIZE, "sgd", 0, torch.float32, cpu)
    net = FusedNet(N_IN, N_OUT, [ModelHyper(0.01, width, MOMENTUM)], spec, init=False)
    logits, acts = net.forward_with_activations(torch.zeros(BATCH_SIZE, N_IN))
    dz1 = net.backward(acts, torch.zeros_like(logits))
    assert dz1.shape == acts[0].shape
    return {
        "params": net.flat.numel(),
        "state": sum(t.numel() for t in SGD(net).buffers().values()),
        "layer1": acts[0].numel() // BATCH_SIZE,
        "logits": logits.numel() // BATCH_SIZE,
    }


def _total(widths: list[int], key: str) -> int:
    return sum(model_share(w)[key] for w in widths)


def step_bytes(widths: list[int], b: int, passes: int = PARAM_PASSES) -> float:
    """The fewest bytes one training step of the whole grid on ``b`` samples moves."""
    weights = (passes - 2) * _total(widths, "params") + 2 * _total(widths, "state")
    acts = 2 * b * (2 * _total(widths, "layer1") + 2 * _total(widths, "logits"))
    return float(ITEM * (weights + acts + b * N_IN))


def val_bytes(widths: list[int], n_val: int) -> float:
    """The fewest bytes of one validation pass of the whole grid over ``n_val`` images."""
    acts = 2 * n_val * (_total(widths, "layer1") + _total(widths, "logits"))
    return float(ITEM * (_total(widths, "params") + n_val * N_IN + acts))


def working_set(widths: list[int]) -> float:
    """Bytes a training step keeps touching: parameters, momentum, activations, batch."""
    acts = BATCH_SIZE * (2 * _total(widths, "layer1") + 2 * _total(widths, "logits"))
    weights = _total(widths, "params") + _total(widths, "state")
    return float(ITEM * (weights + acts + BATCH_SIZE * N_IN))


# The roofline


@dataclass(frozen=True)
class Roofline:
    """A grid's counts and its time at the roofline (seconds)."""

    flops: float
    bytes: float
    flop_s: float  # all FLOPs at the GEMM rate
    bytes_s: float  # all bytes at the copy bandwidth
    roofline_s: float  # sum over steps of max(step FLOPs / rate, step bytes / bandwidth)


def grid_phases(g, passes: int = PARAM_PASSES) -> list[tuple[int, float, float]]:
    """(how many, FLOPs, bytes) of each kind of step of the run: the full batches, the last
    short one (when ``n_train`` is no multiple of the batch), the validation passes."""
    widths = [w for _, w in g.configs]
    full, short = divmod(g.n_train, BATCH_SIZE)
    phases = [
        (g.epochs * full, step_flops(widths, BATCH_SIZE), step_bytes(widths, BATCH_SIZE, passes))
    ]
    if short:
        phases.append((g.epochs, step_flops(widths, short), step_bytes(widths, short, passes)))
    phases.append((g.epochs, val_flops(widths, g.n_val), val_bytes(widths, g.n_val)))
    return phases


def roofline(g, gflops: float, gbs: float, passes: int = PARAM_PASSES) -> Roofline:
    """The grid's roofline at ``gflops`` GFLOP/s and ``gbs`` GB/s, counted as one fused
    chunk (more chunks read each batch once more each: a few hundred KB a step)."""
    phases = grid_phases(g, passes)
    rate, bw = gflops * 1e9, gbs * 1e9
    return Roofline(
        flops=sum(n * f for n, f, _ in phases),
        bytes=sum(n * b for n, _, b in phases),
        flop_s=sum(n * f for n, f, _ in phases) / rate,
        bytes_s=sum(n * b for n, _, b in phases) / bw,
        roofline_s=sum(n * max(f / rate, b / bw) for n, f, b in phases),
    )


def measured(gemm: dict | None) -> bool:
    """Whether the GEMM child measured its rates."""
    return gemm is not None and gemm.get("status") == c.OK


def grid_roofline(g, gemm: dict | None, passes: int = PARAM_PASSES) -> Roofline | None:
    """``roofline`` of ``g`` at the best measured GEMM rate and bandwidth (None: not measured)."""
    if not measured(gemm):
        return None
    return roofline(g, lower_bound(0.0, gemm)[0], gemm["copy_gbs"], passes)


def cache_note(g, gemm: dict | None, measured_s: float) -> str | None:
    """For a grid whose working set fits the CPU's L3 (whose parameters need not come from
    memory each step): the roofline at the in-cache bandwidth. None otherwise."""
    if not measured(gemm) or not gemm.get("llc_bytes") or "cache_copy_gbs" not in gemm:
        return None
    llc, ws = gemm["llc_bytes"], working_set([w for _, w in g.configs])
    if ws > llc:
        return None
    bandwidth = max(gemm["cache_copy_gbs"], gemm["copy_gbs"])  # a noisy run may invert them
    roof = roofline(g, lower_bound(0.0, gemm)[0], bandwidth)
    ratio = c.fmt(measured_s / roof.roofline_s)
    return (
        f"working set {ws / 1e6:.1f} MB fits the {llc >> 20} MiB L3: at the in-cache bandwidth "
        f"the roofline is {roof.roofline_s:.3f} s (measured / it {ratio}x)"
    )


# Measurements (children)


def device_info(device: str) -> dict:
    """The device and software a GPU preset runs on (an error result if it is missing)."""
    import torch

    out = {
        "approach": "info",
        "status": c.OK,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }
    dev = torch.device(device)
    if dev.type != "cuda":
        return {**out, "name": f"CPU ({c.cpu_model()})"}
    if not torch.cuda.is_available():
        error = (
            f"--device {device} but torch.cuda.is_available() is False (torch {torch.__version__})"
        )
        return {**out, "status": c.ERROR, "error": error}
    props = torch.cuda.get_device_properties(dev)
    name = f"{torch.cuda.get_device_name(dev)}, compute capability {props.major}.{props.minor}"
    return {**out, "name": f"{name}, {props.total_memory / 2**30:.1f} GiB"}


def best_rate(torch, dev, product, amount, block_s, blocks) -> float:
    """``amount`` per second of ``product()`` in units of 1e9, the best of ``blocks`` blocks of
    about ``block_s`` s each (on a shared machine the slow blocks measure the neighbours)."""
    for _ in range(2):
        product()  # warm-up
    sync(torch, dev)
    t0 = time.perf_counter()
    product()
    sync(torch, dev)
    reps = max(1, round(block_s / max(time.perf_counter() - t0, 1e-6)))
    best = float("inf")
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(reps):
            product()
        sync(torch, dev)
        best = min(best, (time.perf_counter() - t0) / reps)
    return amount / best / 1e9


COPY_MIB = {False: 256, True: 64}  # size of the copied tensor (its destination the same again)
CACHE_COPY_MIB = 4  # a copy whose source and destination (8 MiB) stay in a CPU's L3
COPIES_PER_BLOCK = 4


def copy_bandwidth(torch, dev, mib: int, quick: bool) -> float:
    """Best copy bandwidth, read + write, GB/s: ``dst.copy_(src)`` of a ``mib`` MiB tensor.

    Each copy counts ``2 * size`` bytes (no write-allocate read, as the roofline counts none).
    The fastest block of ``COPIES_PER_BLOCK`` copies of those timed in about 0.3 s (1.6 s;
    at least 5 blocks): short blocks, as a long one always meets a neighbour on a shared
    machine; several copies a block, as a single copy now and then runs far faster than the
    memory sustains (65 GB/s once, against 34-36 GB/s best blocks on the development machine).
    """
    n = mib << 18  # float32 elements
    src = torch.rand(n, generator=torch.Generator().manual_seed(0)).to(dev)
    dst = torch.empty_like(src)
    best, blocks, end = float("inf"), 0, time.perf_counter() + (0.3 if quick else 1.6)
    for _ in range(2):
        dst.copy_(src)  # warm-up: pages touched
    while blocks < 5 or time.perf_counter() < end:
        sync(torch, dev)
        t0 = time.perf_counter()
        for _ in range(COPIES_PER_BLOCK):
            dst.copy_(src)
        sync(torch, dev)
        best, blocks = min(best, (time.perf_counter() - t0) / COPIES_PER_BLOCK), blocks + 1
    return 2.0 * src.element_size() * n / best / 1e9


def llc_bytes() -> int | None:
    """Size of this CPU's last-level cache (L3, from sysfs) in bytes; None where unknown."""
    try:
        text = Path("/sys/devices/system/cpu/cpu0/cache/index3/size").read_text().strip()
    except OSError:
        return None
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    scale = units.get(text[-1:].upper(), 1)
    digits = text[:-1] if text[-1:].upper() in units else text
    return int(digits) * scale if digits.isdigit() else None


def measure_gemm(device: str | None, quick: bool, total_width: int = c.CPU_GRID.total_width):
    """Best fp32 matmul rates: large squares and the fused step's thin shape, and the copy
    bandwidth (on the CPU also in cache).

    On the CPU with 2 torch threads, through ``torch.mm`` and, where torch has it, through
    oneDNN as ``parsearch.nets.gemm`` calls it (under ``"onednn"``). On CUDA with TF32 off
    (PyTorch's default, as every approach trains). ``total_width``: the thin shape's N,
    the summed width of a full grid (also under ``quick``, which only shortens the timing).
    """
    import torch

    from parsearch.nets import gemm

    dev = torch.device(device or "cpu")
    cuda = dev.type == "cuda"
    if not cuda:
        torch.set_num_threads(2)
    if cuda:
        block_s, blocks = (0.02, 3) if quick else (0.1, 5)
        sizes = (1024, 2048) if quick else (4096, 8192)
    else:
        block_s, blocks = (0.05, 3) if quick else (0.2, 8)
        sizes = (512, 1024) if quick else (1024, 2048)
    g = torch.Generator().manual_seed(0)
    mats = {str(n): (torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)) for n in sizes}
    mats = {k: (a.to(dev), b.to(dev)) for k, (a, b) in mats.items()}
    x = torch.randn(BATCH_SIZE, N_IN, generator=g).to(dev)
    w = torch.randn(N_IN, total_width, generator=g).to(dev)  # (784, N)
    w_t = torch.randn(total_width, N_IN, generator=g).to(dev)  # (N, 784), like nn.Linear.weight
    thin = 2.0 * BATCH_SIZE * N_IN * total_width

    def rates(square, thin_product, thin_t_product) -> dict:
        def rate(product, amount):
            return best_rate(torch, dev, product, amount, block_s, blocks)

        return {
            "square_gflops": {
                n: rate(lambda a=a, b=b: square(a, b), 2.0 * int(n) ** 3)
                for n, (a, b) in mats.items()
            },
            "thin_gflops": rate(thin_product, thin),
            "thin_t_gflops": rate(thin_t_product, thin),
        }

    out = {
        "approach": "gemm",
        "status": c.OK,
        "threads": torch.get_num_threads(),
        "thin_shape": f"({BATCH_SIZE} x {N_IN}) @ ({N_IN} x {total_width})",
        "copy_gbs": copy_bandwidth(torch, dev, COPY_MIB[quick], quick),
        "copy_mib": COPY_MIB[quick],
        "blas": "cuBLAS" if cuda else torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0],
    }
    if not cuda:  # (on CUDA, TF32 is off by default: true fp32, as every approach trains)
        out["cache_copy_gbs"] = copy_bandwidth(torch, dev, CACHE_COPY_MIB, quick)
        out["llc_bytes"] = llc_bytes()
        if gemm.onednn_works():  # the second thin product as the fused step has it
            out["onednn"] = rates(
                lambda a, b: gemm.mm_t(a, b.T, True),
                lambda: gemm.mm_t(x, w_t, True),
                lambda: gemm.mm_t(w_t, x, True),
            )
    return {**out, **rates(lambda a, b: a @ b, lambda: x @ w, lambda: x @ w_t.T)}


def print_rates(gemm: dict) -> None:
    """The GEMM rates of every library measured, and the copy bandwidth."""
    where = "TF32 off" if gemm["blas"] == "cuBLAS" else f"{gemm['threads']} torch threads"
    print(f"fp32 GEMM, {where}, GFLOP/s (best of several):")
    rows = [(f"torch.mm ({gemm['blas']})", gemm, "with (N, 784) weights used transposed")]
    if "onednn" in gemm:
        rows.append(
            ("oneDNN", gemm["onednn"], "as (N x 784) @ (784 x 64), the fused step's layout")
        )
    for name, r, how in rows:
        sq = ", ".join(f"{n}^2 {v:,.1f}" for n, v in r["square_gflops"].items())
        print(
            f"  {name}: square {sq}; thin {gemm['thin_shape']} {r['thin_gflops']:,.1f}, "
            f"{r['thin_t_gflops']:,.1f} {how}"
        )
    line = (
        f"copy bandwidth (read + write, best of short blocks): {gemm['copy_mib']} MiB tensor "
        f"{gemm['copy_gbs']:,.1f} GB/s (memory)"
    )
    if "cache_copy_gbs" in gemm:
        llc = gemm.get("llc_bytes")
        where = f"in the {llc >> 20} MiB L3" if llc else "in cache"
        line += f"; {CACHE_COPY_MIB} MiB tensor {gemm['cache_copy_gbs']:,.1f} GB/s ({where})"
    print(line)


def measure_products(grids: dict, quick: bool) -> dict:
    """The two layer-1 products of each grid alone, through the fused trainer's backend.

    Per grid (label -> Grid; H its summed width): the forward ``gemm.mm_t(W1, Xb)`` (H x 784
    by 784 x b) and the weight gradient ``gemm.mm_t(dZ1, Xb.T)`` (H x b by b x 784) of a
    full batch and of the epoch's last short one, and the validation forward; each the best
    of several blocks, 2 torch threads, the trainer's heap setting; nothing else. Their sum
    over the run is a bound no fusion of the other work can beat.
    """
    import torch

    from parsearch.nets import gemm
    from parsearch.nets.memory import heap_for_large_temporaries

    torch.set_num_threads(2)
    dev = torch.device("cpu")
    onednn = gemm.use_onednn(torch.float32, dev)
    block_s, blocks = (0.05, 3) if quick else (0.2, 5)
    gen = torch.Generator().manual_seed(0)

    def seconds(product):  # best_rate of an amount of 1e9 is the calls per second
        return 1.0 / best_rate(torch, dev, product, 1e9, block_s, blocks)

    out = {"approach": "products", "status": c.OK, "backend": gemm.backend_name(torch.float32, dev)}
    with heap_for_large_temporaries():
        for label, g in grids.items():
            H = g.total_width
            w1 = torch.randn(H, N_IN, generator=gen) * 0.05
            full, short = divmod(g.n_train, BATCH_SIZE)
            epoch = 0.0
            for rows, count, train in ((BATCH_SIZE, full, 1), (short, 1, 1), (g.n_val, 1, 0)):
                if not rows:
                    continue
                xb = torch.randn(rows, N_IN, generator=gen)
                dz1 = torch.randn(H, rows, generator=gen) * 0.01
                epoch += count * seconds(lambda xb=xb, w1=w1: gemm.mm_t(w1, xb, onednn))
                if train:  # the validation pass has no gradient
                    epoch += count * seconds(lambda xb=xb, d=dz1: gemm.mm_t(d, xb.T, onednn))
            out[label] = {"H": H, "products_s": g.epochs * epoch}
    return out
