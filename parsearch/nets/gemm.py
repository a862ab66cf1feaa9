"""Matrix products of the fused trainer's wide first layer, on the fastest exact backend.

On x86 CPUs torch runs float32 ``mm``/``addmm`` on MKL, whose AVX-512 code is meant for
Intel processors; oneDNN, which ships inside torch too, reports AVX-512 on AMD ones as
well. On this project's development machine (AMD EPYC, 2 cores) oneDNN multiplied the
fused step's shapes at about 2.2x MKL's rate, in IEEE float32 (no reduced precision): see
``benchmarks/RESULTS.md``. The layer-1 products are most of a fused step, so they go
through oneDNN where torch offers it (its ``mkldnn._linear_pointwise`` operator), for
float32 tensors on x86-64 CPUs, after a one-time check of its result against ``torch.mm``;
every other case (float64, CUDA, ARM processors such as Apple's, whose BLAS is fast, a
torch without oneDNN) uses ``torch.mm``.

Set the environment variable ``PARSEARCH_ONEDNN=0`` before the first fit of the process
(it is read once), or turn off torch's ``torch.backends.mkldnn.enabled``, to keep to
``torch.mm`` everywhere.
"""

from __future__ import annotations

import functools
import os
import platform
import warnings

import torch

ENV_SWITCH = "PARSEARCH_ONEDNN"
X86_64 = ("x86_64", "amd64")


@functools.cache
def onednn_works() -> bool:
    """Whether float32 CPU products go through oneDNN in this process.

    They do on an x86-64 processor, with a torch that has oneDNN, unless turned off
    through ``PARSEARCH_ONEDNN``, and after a check, once per process, of a small product
    with a strided operand (as the fused step uses it) against ``torch.mm``: any error or
    disagreement turns oneDNN off with a warning.
    """
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if platform.machine().lower() not in X86_64 or not torch.backends.mkldnn.is_available():
        return False
    try:
        op = torch.ops.mkldnn._linear_pointwise
        gen = torch.Generator().manual_seed(0)
        a = torch.rand(37, 53, generator=gen) - 0.5
        b = torch.rand(53, 29, generator=gen) - 0.5  # used transposed: a strided operand
        got = op(a, b.T, None, "none", [], "").double()
    except Exception as err:  # not built in, refused these tensors, another signature
        warnings.warn(f"oneDNN matmul unavailable, using torch.mm: {err!r}", stacklevel=2)
        return False
    expected = a.double() @ b.double()
    if got.shape != expected.shape or not torch.allclose(got, expected, rtol=1e-5, atol=1e-5):
        warnings.warn("oneDNN matmul disagreed with torch.mm; using torch.mm.", stacklevel=2)
        return False
    return True


def use_onednn(dtype: torch.dtype, device: torch.device) -> bool:
    """Whether products of ``dtype`` tensors on ``device`` go through oneDNN.

    Also False while ``torch.backends.mkldnn.enabled`` is off (torch's own switch).
    """
    return (
        dtype == torch.float32
        and torch.device(device).type == "cpu"
        and torch.backends.mkldnn.enabled
        and onednn_works()
    )


def backend_name(dtype: torch.dtype, device: torch.device) -> str:
    """A short name of the library that runs the products, for meta.json and benchmarks."""
    if torch.device(device).type == "cuda":
        return "cuBLAS"
    return "oneDNN" if use_onednn(dtype, device) else "torch.mm"


def mm_t(a: torch.Tensor, b: torch.Tensor, onednn: bool) -> torch.Tensor:
    """Return ``a @ b.T`` as a new contiguous tensor.

    Parameters
    ----------
    a : Tensor
        (m, k).
    b : Tensor
        (n, k); may be a strided view.
    onednn : bool
        Use oneDNN (see ``use_onednn``) rather than ``torch.mm``.
    """
    if onednn:
        return torch.ops.mkldnn._linear_pointwise(a, b, None, "none", [], "")
    return torch.mm(a, b.T)


def linear_t(weight: torch.Tensor, x: torch.Tensor, bias: torch.Tensor, onednn: bool):
    """Return a layer's outputs features x batch: ``weight @ x.T + bias[:, None]``.

    Parameters
    ----------
    weight : Tensor
        (out, in).
    x : Tensor
        (batch, in).
    bias : Tensor
        (out,).
    onednn : bool
        Use oneDNN (see ``use_onednn``) rather than ``torch.addmm``.
    """
    if onednn:
        return mm_t(weight, x, True).add_(bias[:, None])
    return torch.addmm(bias[:, None], weight, x.T)


def accumulate_mm_t(out: torch.Tensor, a: torch.Tensor, b: torch.Tensor, beta: float, onednn: bool):
    """Set ``out = beta * out + a @ b.T`` in place (``beta=0`` ignores what ``out`` held)."""
    if not onednn:
        out.addmm_(a, b.T, beta=beta)
    elif beta == 0:
        out.copy_(mm_t(a, b, True))
    else:
        torch.add(mm_t(a, b, True), out, alpha=beta, out=out)


def accumulate_mm_t_rows(out: torch.Tensor, a: torch.Tensor, b: torch.Tensor, scale):
    """Set ``out = scale * out + a @ b.T`` in place on oneDNN, ``scale`` one value per row.

    The product is a temporary (oneDNN writes no existing tensor); the scaling and the
    sum are then one pass over ``out`` (``addcmul``), where scaling first would be two.

    Parameters
    ----------
    out : Tensor
        (m, n), changed in place.
    a, b : Tensor
        (m, k) and (n, k).
    scale : Tensor
        (m, 1).
    """
    torch.addcmul(mm_t(a, b, True), out, scale, out=out)
