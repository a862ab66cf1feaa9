"""Keep the fused trainer's large temporaries in the heap while it trains (glibc only).

The layer-1 weight-gradient product of a fused grid is a new (H, D) tensor every step:
oneDNN has no form that writes into an existing one. Above glibc's mmap threshold (at
most 32 MiB by default: a grid of about 10,000 hidden units on MNIST) every such tensor
is mapped fresh and unmapped again, and each step pays a page fault for every 4 KiB of
it: on the development machine, a 243-model grid's (48,000 x 784) product took 79 ms a
step that way and 29 ms from the heap. :func:`heap_for_large_temporaries` raises the
thresholds for the duration of the training (so the freed blocks are reused) and then
puts glibc's default values back and returns the freed memory to the system
(``malloc_trim``). Elsewhere (macOS, Windows, musl) it does nothing, and
``PARSEARCH_MALLOC_TUNING=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
import threading

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: glibc's documented defaults of both thresholds (128 KiB).
_DEFAULT_THRESHOLD = 128 * 1024
_KEEP = 1 << 30  # blocks up to 1 GiB come from the heap while training
_lock = threading.Lock()
_depth = 0


def _glibc():
    """glibc's handle, or None where the C library is not glibc (or tuning is off)."""
    if os.environ.get("PARSEARCH_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith(
        "linux"
    ):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _ = libc.gnu_get_libc_version  # only glibc has it (AttributeError elsewhere)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


@contextlib.contextmanager
def heap_for_large_temporaries():
    """For the body, serve blocks up to 1 GiB from the heap and keep freed ones there.

    Nested or concurrent uses share one setting; the last to leave restores glibc's
    defaults and trims the heap.
    """
    global _depth
    if _LIBC is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            _LIBC.mallopt(_M_MMAP_THRESHOLD, _KEEP)
            _LIBC.mallopt(_M_TRIM_THRESHOLD, 2 * _KEEP - 1)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _LIBC.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_THRESHOLD)
                _LIBC.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_THRESHOLD)
                _LIBC.malloc_trim(0)
