"""Handing freed heap memory back to the system between a long render's chunks.

glibc's allocator keeps memory that was freed in its arenas for reuse (OpenCV's and FFmpeg's
large, short-lived buffers, allocated from several threads). ``trim()`` asks glibc to return
what is free; elsewhere (musl, macOS, Windows) it does nothing and says so. Measured on a
320x180 render of 300 / 520 frames: peak RSS 343 / 397 MiB without, 328 / 381 MiB with a trim
before each chunk (README, throughput).
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache


@cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
    return fn


def trim() -> bool:
    """Return freed heap memory to the system; True when the C library could do it."""
    fn = _malloc_trim()
    if fn is None:
        return False
    fn(0)
    return True
