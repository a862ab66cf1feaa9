"""The roofline of a fused grid: what its steps cost at best, and the rates that bound them.

Shared by ``bench_fused.py``, its presets and ``bench_halving.py``. The model: a training
step of a fused depth-1 grid (total width H over K models, batch b) costs its matrix-product
FLOPs (``step_flops``; products and parameters are counted over the trainer's own layer
shapes, ``parsearch.nets.fused.layer_sizes``, not a second model of them) and at least its
bytes (``step_bytes``: every parameter read by the forward product and, with its momentum
buffer, read and written by the update, plus the activations); a run is bound by the sum
over its steps of max(FLOPs / the best fp32 GEMM rate, bytes / the copy bandwidth)
(``roofline``), or, counting FLOPs only, by ``lower_bound``. The measurements (children of
the benchmarks): ``measure_gemm`` (large squares and the fused step's thin shape, through
``torch.mm`` and oneDNN, and the copy bandwidth), ``products_seconds`` (the layer-1
products alone), ``device_info``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import _common as c
from _reference import BATCH_SIZE, N_IN, N_OUT, sync


def _layers(width: int) -> list[tuple[int, int]]:
    """One depth-1 model's layer shapes (out, in), from the trainer's own layout
    (``parsearch.nets.fused.layer_sizes``), not a second model of it."""
    from parsearch.nets.fused import layer_sizes

    return layer_sizes(N_IN, width, 1, N_OUT)


def _product_flops(width: int, rows: int, backward: bool) -> float:
    """The matrix products of one model on ``rows`` samples: each layer's forward, and in
    training its weight gradient and, but for the first layer, its input gradient."""
    total = 0.0
    for k, (fan_out, fan_in) in enumerate(_layers(width)):
        products = (2 if k == 0 else 3) if backward else 1
        total += products * 2.0 * rows * fan_out * fan_in
    return total


def grid_flops(p) -> float:
    """Floating-point operations the whole grid needs at minimum (matmuls only).

    A matmul (m x k) @ (k x n) is 2*m*k*n FLOPs (a multiply and an add). Per training sample
    and model of hidden width h, over the trainer's layers (784 -> h -> 10):
      forward   2*(784*h + h*10)          layer 1 and layer 2
      backward  2*(784*h)                 layer-1 weight gradient (no input gradient needed)
              + 2*(h*10)*2                layer-2 weight gradient and its input gradient
    so 2*(2*784*h + 3*10*h) per sample, times n_train samples and the epochs; plus, after every
    epoch, a validation forward of 2*(784*h + h*10) for each of the n_val images. Biases, ReLU,
    log-softmax and the SGD update are O(h) per step and left out.
    """
    total = 0.0
    for _, h in p.configs:
        train = _product_flops(h, p.n_train, backward=True)
        val = _product_flops(h, p.n_val, backward=False)
        total += p.epochs * (train + val)
    return total


def lower_bound(flops: float, gemm: dict) -> tuple[float, float, float]:
    """The grid's time at the best and at the thin-shape GEMM rate.

    The rates are the best of every IEEE fp32 library measured (``gemm`` itself, and
    ``gemm["onednn"]`` where the CPU child measured oneDNN too); TF32 rates are not used.

    Returns
    -------
    (best_rate, bound_s, thin_bound_s): GFLOP/s, and seconds at each rate.
    """
    sources = [gemm, *([gemm["onednn"]] if "onednn" in gemm else [])]
    thin_rate = max(max(s["thin_gflops"], s["thin_t_gflops"]) for s in sources)
    best_rate = max([thin_rate, *(v for s in sources for v in s["square_gflops"].values())])
    return best_rate, flops / (best_rate * 1e9), flops / (thin_rate * 1e9)


ITEM = 4  # bytes of a float32


PARAM_PASSES = 5  # passes over every parameter per step, see step_bytes


FUSED_PASSES = 4  # the same with the next step's forward product fused into the update


def step_flops(widths: list[int], b: int) -> float:
    """FLOPs of one training step of the whole grid on a batch of ``b`` (matmuls only).

    With H = sum(widths): layer-1 forward ``W1 @ Xb.T`` 2*H*784*b, layer-1 weight gradient
    ``dZ1 @ Xb`` 2*H*784*b (no input gradient), layer-2 forward, weight gradient and input
    gradient 2*H*10*b each. Per sample and model this is ``grid_flops``'s count.
    """
    return sum(_product_flops(w, b, backward=True) for w in widths)


def val_flops(widths: list[int], n_val: int) -> float:
    """FLOPs of one validation pass of the whole grid: the forward products, 2*n*H*(784 + 10)."""
    return sum(_product_flops(w, n_val, backward=False) for w in widths)


def n_params(widths: list[int]) -> int:
    """Parameters of the whole grid: every model's weights and biases in the trainer's
    layout, W1 (H, 784), b1 (H,), the output layers (K, 10, h), (K, 10)."""
    return sum(o * i + o for w in widths for o, i in _layers(w))


def step_bytes(widths: list[int], b: int, passes: int = PARAM_PASSES) -> float:
    """The fewest bytes one SGD-momentum training step of the whole grid moves to and from memory.

    The count, float32 (4 bytes an element), H = sum(widths), K models, batch b:

    - every parameter (W1 (H, 784) is 98.6% of them; b1, the output weights and biases)
      ``passes`` = 5 times: read once by the forward pass; then ``buf = momentum * buf +
      grad`` and ``param -= lr * buf`` in one pass, which reads and writes the momentum
      buffer once and the parameter once. The gradient itself never reaches memory: it is
      accumulated into ``buf`` block by block as the product makes it (a GEMM with beta);
      the learning rates and momenta (one per row) are left out. ``FUSED_PASSES`` = 4 is
      the count if the next step's forward product were also computed from each block of
      updated rows while in cache (the next batch is known): no forward read.
    - the activations, each written once and read once: layer 1's output (H, b) (layer 2
      reads it as it is made; the backward pass reads it back), its gradient dZ1 (H, b)
      (read by the weight-gradient product), the logits and their gradient (K, 10, b);
    - the batch Xb (b, 784), read once (both products find it in cache).

    Not counted: the per-epoch gather of the shuffled data, the labels, the loss, the
    end-of-epoch divergence check over the parameters (parsearch's choice, not the rule's).
    """
    H, K = sum(widths), len(widths)
    acts = 2 * (2 * H * b) + 2 * (2 * K * N_OUT * b) + b * N_IN
    return float(ITEM * (passes * n_params(widths) + acts))


def val_bytes(widths: list[int], n_val: int) -> float:
    """The fewest bytes of one validation pass of the whole grid on ``n_val`` images.

    Every parameter and X_val read once; layer 1's outputs (H, n) and the logits
    (K, 10, n) each written once and read once.
    """
    H, K = sum(widths), len(widths)
    return float(ITEM * (n_params(widths) + n_val * N_IN + 2 * H * n_val + 2 * K * N_OUT * n_val))


@dataclass(frozen=True)
class Roofline:
    """A grid's counts and its time at the roofline (seconds)."""

    flops: float
    bytes: float
    flop_s: float  # all FLOPs at the GEMM rate
    bytes_s: float  # all bytes at the copy bandwidth
    roofline_s: float  # sum over steps of max(step FLOPs / rate, step bytes / bandwidth)


def grid_phases(p, passes: int = PARAM_PASSES) -> list[tuple[int, float, float]]:
    """(how many, FLOPs, bytes) of each kind of step of the whole run.

    The full batches, the last short one (when ``n_train`` is no multiple of the batch), and
    the validation pass after each epoch.
    """
    widths = [w for _, w in p.configs]
    full, short = divmod(p.n_train, BATCH_SIZE)
    phases = [
        (p.epochs * full, step_flops(widths, BATCH_SIZE), step_bytes(widths, BATCH_SIZE, passes))
    ]
    if short:
        phases.append((p.epochs, step_flops(widths, short), step_bytes(widths, short, passes)))
    phases.append((p.epochs, val_flops(widths, p.n_val), val_bytes(widths, p.n_val)))
    return phases


def roofline(p, gflops: float, gbs: float, passes: int = PARAM_PASSES) -> Roofline:
    """The grid's roofline at ``gflops`` GFLOP/s and ``gbs`` GB/s.

    Each step is bound by the larger of its FLOPs at the GEMM rate and its bytes at the
    copy bandwidth; the run by the sum over its steps. The whole grid is counted as one
    fused chunk: more chunks read each batch once more each (a few hundred KB a step).
    """
    phases = grid_phases(p, passes)
    rate, bw = gflops * 1e9, gbs * 1e9
    return Roofline(
        flops=sum(n * f for n, f, _ in phases),
        bytes=sum(n * b for n, _, b in phases),
        flop_s=sum(n * f for n, f, _ in phases) / rate,
        bytes_s=sum(n * b for n, _, b in phases) / bw,
        roofline_s=sum(n * max(f / rate, b / bw) for n, f, b in phases),
    )


def device_info(device: str) -> dict:
    """The device and software the preset runs on (an error result if it is missing)."""
    import torch

    out = {
        "approach": "info",
        "status": c.OK,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
        "precision": torch.get_float32_matmul_precision(),
    }
    dev = torch.device(device)
    if dev.type != "cuda":
        return {**out, "name": f"CPU ({c.cpu_model()})"}
    if not torch.cuda.is_available():
        return {
            **out,
            "status": c.ERROR,
            "error": f"--device {device} but torch.cuda.is_available() is False "
            f"(torch {torch.__version__}, built for CUDA {torch.version.cuda})",
        }
    props = torch.cuda.get_device_properties(dev)
    return {
        **out,
        "name": torch.cuda.get_device_name(dev),
        "capability": f"{props.major}.{props.minor}",
        "sms": props.multi_processor_count,
        "memory_gib": props.total_memory / 2**30,
        "cudnn": torch.backends.cudnn.version(),
    }


def best_rate(torch, dev, product, amount, block_s, blocks) -> float:
    """``amount`` per second of ``product()``, in units of 1e9: the best of ``blocks`` blocks.

    Each timed block runs ``product()`` for about ``block_s`` seconds. Best-of, because on a
    shared machine the slow blocks measure the neighbours (and a GPU's first blocks may run
    before its clocks are up).
    """
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


COPIES_PER_BLOCK = 4  # copies timed together (see copy_bandwidth)


def copy_bandwidth(torch, dev, mib: int, quick: bool) -> float:
    """Best copy bandwidth, read + write, in GB/s: ``dst.copy_(src)`` of a ``mib`` MiB tensor.

    With ``COPY_MIB`` the tensor is far larger than any cache, so every byte is read from
    and written to memory; with ``CACHE_COPY_MIB`` both tensors stay in the last-level
    cache. Each copy counts ``2 * size`` bytes (a write-allocate's extra read is not
    counted, as the roofline does not count it either). The fastest block of
    ``COPIES_PER_BLOCK`` copies of those timed in about 0.3 s (1.6 s; at least 5 blocks):
    short blocks, because on a shared machine a long one always meets a neighbour that
    takes a core from one of the threads; several copies a block, because a single copy
    now and then runs far faster than the memory sustains (seen: 65 GB/s once, against
    34-36 GB/s best blocks and 25 GB/s a median copy on the development machine).
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


def measure_gemm(device: str | None, quick: bool, total_width: int) -> dict:
    """Best fp32 matmul rates: large square and the fused step's thin shape.

    On the CPU with 2 torch threads, through ``torch.mm`` (MKL on x86) and, where torch
    has it, through oneDNN as ``parsearch.nets.gemm`` calls it (under ``"onednn"``): the lower
    bound takes the best IEEE fp32 rate of either. On a CUDA device the fp32 rates are
    taken with TF32 off (PyTorch's default, what both approaches train with), and again
    with TF32 on, for reference; every timed block ends with ``torch.cuda.synchronize``.
    ``total_width`` is the summed width of the grid whose thin shape is timed (the full
    grid's, also under ``quick``, which only shortens the timing).
    """
    import torch

    dev = torch.device(device or "cpu")
    cuda = dev.type == "cuda"
    if not cuda:
        torch.set_num_threads(2)

    def rate(product, amount, block_s, blocks):
        return best_rate(torch, dev, product, amount, block_s, blocks)

    if cuda:
        block_s, blocks = (0.02, 3) if quick else (0.1, 5)
        sizes = (1024, 2048) if quick else (4096, 8192)
    else:
        block_s, blocks = (0.05, 3) if quick else (0.2, 8)
        sizes = (512, 1024) if quick else (1024, 2048)
    g = torch.Generator().manual_seed(0)
    mats = {str(n): (torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)) for n in sizes}
    x = torch.randn(BATCH_SIZE, N_IN, generator=g)
    w = torch.randn(N_IN, total_width, generator=g)  # (784, N)
    w_t = torch.randn(total_width, N_IN, generator=g)  # (N, 784), like nn.Linear.weight
    mats = {k: (a.to(dev), b.to(dev)) for k, (a, b) in mats.items()}
    x, w, w_t = x.to(dev), w.to(dev), w_t.to(dev)
    thin_flops = 2.0 * BATCH_SIZE * N_IN * total_width

    def rates() -> dict:
        return {
            "square_gflops": {
                n: rate(lambda a=a, b=b: a @ b, 2.0 * int(n) ** 3, block_s, blocks)
                for n, (a, b) in mats.items()
            },
            "thin_gflops": rate(lambda: x @ w, thin_flops, block_s, blocks),
            "thin_t_gflops": rate(lambda: x @ w_t.T, thin_flops, block_s, blocks),
        }

    def onednn_rates() -> dict:
        """The same products through oneDNN; the second thin one as the fused step has it."""
        from parsearch.nets import gemm

        return {
            "square_gflops": {
                n: rate(
                    lambda a=a, bt=b.T: gemm.mm_t(a, bt, True), 2.0 * int(n) ** 3, block_s, blocks
                )
                for n, (a, b) in mats.items()
            },
            "thin_gflops": rate(lambda: gemm.mm_t(x, w_t, True), thin_flops, block_s, blocks),
            "thin_t_gflops": rate(lambda: gemm.mm_t(w_t, x, True), thin_flops, block_s, blocks),
        }

    out = {
        "approach": "gemm",
        "status": c.OK,
        "device": str(dev),
        "threads": torch.get_num_threads(),
        "thin_shape": f"({BATCH_SIZE} x {N_IN}) @ ({N_IN} x {total_width})",
        "copy_gbs": copy_bandwidth(torch, dev, COPY_MIB[quick], quick),
        "copy_mib": COPY_MIB[quick],
    }
    if not cuda:
        from parsearch.nets import gemm

        out["cache_copy_gbs"] = copy_bandwidth(torch, dev, CACHE_COPY_MIB, quick)
        out["llc_bytes"] = llc_bytes()

        out["blas"] = torch.__config__.show().split("BLAS_INFO=")[-1].split(",")[0]
        if gemm.onednn_works():
            out["onednn"] = onednn_rates()
        return {**out, **rates()}
    out["blas"] = "cuBLAS"
    # This child exits right after, so the setting is not restored. One API only: PyTorch 2.9+
    # may refuse to read a precision that was set through the other.
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):  # PyTorch >= 2.9

        def precision(tf32_on):
            matmul.fp32_precision = "tf32" if tf32_on else "ieee"

    else:

        def precision(tf32_on):
            torch.set_float32_matmul_precision("high" if tf32_on else "highest")

    precision(False)  # TF32 off: true fp32, as both approaches train
    fp32 = rates()
    precision(True)
    return {**out, **fp32, "tf32": rates()}


def working_set(widths: list[int]) -> float:
    """Bytes a training step keeps touching: parameters, momentum buffer, activations, batch."""
    H, K, b = sum(widths), len(widths), BATCH_SIZE
    return float(ITEM * (2 * n_params(widths) + 2 * H * b + 2 * K * N_OUT * b + b * N_IN))


def products_seconds(torch, gemm, H, p, onednn, block_s, blocks) -> float:
    """The run's layer-1 products at width ``H`` (see ``measure_products``), in seconds."""
    dev = torch.device("cpu")
    g = torch.Generator().manual_seed(0)
    w1 = torch.randn(H, N_IN, generator=g) * 0.05

    def best_seconds(product):  # best_rate of an amount of 1e9 is the calls per second
        return 1.0 / best_rate(torch, dev, product, 1e9, block_s, blocks)

    full, short = divmod(p.n_train, BATCH_SIZE)
    per_epoch = 0.0
    for rows, count, backward in ((BATCH_SIZE, full, True), (short, 1, True), (p.n_val, 1, False)):
        if not rows:
            continue
        xb = torch.randn(rows, N_IN, generator=g)
        dz1 = torch.randn(H, rows, generator=g) * 0.01
        per_epoch += count * best_seconds(lambda xb=xb: gemm.mm_t(w1, xb, onednn))
        if backward:  # the validation pass has none
            per_epoch += count * best_seconds(lambda xb=xb, dz1=dz1: gemm.mm_t(dz1, xb.T, onednn))
    return p.epochs * per_epoch


def measured(gemm: dict | None) -> bool:
    """Whether the GEMM child measured its rates."""
    return gemm is not None and gemm.get("status") == c.OK


def print_rates(gemm: dict) -> None:
    """The GEMM rates of every library measured, and the copy bandwidth."""
    where = f"{gemm['threads']} torch threads" if "tf32" not in gemm else "TF32 off"
    print(f"fp32 GEMM, {where}, GFLOP/s (best of several):")
    transposed = "with (N, 784) weights used transposed"
    rows = [(f"torch.mm ({gemm['blas']})", gemm, transposed)]
    if "onednn" in gemm:
        rows.append(
            ("oneDNN", gemm["onednn"], "as (N x 784) @ (784 x 64), the fused step's layout")
        )
    if "tf32" in gemm:
        rows.append(
            (f"torch.mm ({gemm['blas']}), TF32 on, for reference", gemm["tf32"], transposed)
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


def grid_roofline(p, gemm: dict | None, passes: int = PARAM_PASSES) -> Roofline | None:
    """``roofline`` of ``p`` at the best measured GEMM rate and bandwidth (None: not measured)."""
    if not measured(gemm):
        return None
    return roofline(p, lower_bound(0.0, gemm)[0], gemm["copy_gbs"], passes)


def cache_note(p, gemm: dict | None, measured_s: float) -> str | None:
    """For a grid whose working set fits the CPU's L3: the roofline at the in-cache bandwidth.

    Such a grid's parameters need not come from memory each step, so the roofline at the
    memory bandwidth may not bound it; at the in-cache copy bandwidth it does. None for
    a grid that does not fit (or where the cache was not measured).
    """
    if not measured(gemm) or not gemm.get("llc_bytes") or "cache_copy_gbs" not in gemm:
        return None
    llc, ws = gemm["llc_bytes"], working_set([w for _, w in p.configs])
    if ws > llc:
        return None
    bandwidth = max(gemm["cache_copy_gbs"], gemm["copy_gbs"])  # a noisy run may invert them
    roof = roofline(p, lower_bound(0.0, gemm)[0], bandwidth)
    ratio = measured_s / roof.roofline_s
    return (
        f"working set {ws / 1e6:.1f} MB fits the {llc >> 20} MiB L3: at the in-cache bandwidth "
        f"the roofline is {roof.roofline_s:.3f} s (measured / it {c.fmt(ratio)}x)"
    )


def measure_products(presets: dict, quick: bool) -> dict:
    """The two layer-1 products of each grid alone, through the fused trainer's backend.

    Per grid (``presets``: label -> Preset; H = the sum of its widths): the forward product
    ``gemm.mm_t(W1, Xb)`` (H x 784 by 784 x b) and the weight-gradient product
    ``gemm.mm_t(dZ1, Xb.T)`` (H x b by b x 784), for a full batch and for the epoch's last
    short one, and the validation forward over the ``n_val`` images; each the best of
    several timed blocks, with 2 torch threads and the trainer's heap setting; no bias, no
    accumulation into the momentum buffer, no update. Their sum over the run is what these
    products cost at the rates the backend reaches on their shapes: a bound that no fusion
    of the other work can beat.
    """
    import torch

    from parsearch.nets import gemm
    from parsearch.nets.memory import heap_for_large_temporaries

    torch.set_num_threads(2)
    dev = torch.device("cpu")
    onednn = gemm.use_onednn(torch.float32, dev)
    block_s, blocks = (0.05, 3) if quick else (0.2, 5)
    out = {"approach": "products", "status": c.OK, "backend": gemm.backend_name(torch.float32, dev)}
    with heap_for_large_temporaries():
        for label, p in presets.items():
            H = sum(w for _, w in p.configs)
            seconds = products_seconds(torch, gemm, H, p, onednn, block_s, blocks)
            out[label] = {"H": H, "products_s": seconds}
    return out


def run_products(script: str, child_args: list[str]) -> dict:
    """The products child (see ``measure_products``), with its progress line."""
    print("  layer-1 products alone ...", end=" ", flush=True)
    products = c.run_child(script, "products", child_args)
    print("done" if products.get("status") == c.OK else products.get("error"))
    return products


def run_gemm(script: str, child_args: list[str]) -> dict:
    """The GEMM child (rates and copy bandwidth), with its progress line."""
    print("  GEMM rate and copy bandwidth ...", end=" ", flush=True)
    gemm = c.run_child(script, "gemm", child_args)
    print("done" if gemm.get("status") == c.OK else gemm.get("error"))
    return gemm
