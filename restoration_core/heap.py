"""Handing a long render's freed memory back between its chunks.

Two things keep memory a chunk no longer uses. Reference cycles: the restore's sliding window,
its flow store and its flow cache refer to each other, so a finished chunk's window (its
frames, float pictures and up to (2r+1)^2 flows) waits for Python's cyclic collector, whose
full passes come rarely once a process holds a few hundred thousand objects; at 320x180 that
was about 40 MiB a chunk, piling up over several chunks before a pass ran, which made the peak
grow with the clip's length. And glibc's allocator, which keeps freed memory in its arenas for
reuse (OpenCV's and FFmpeg's large, short-lived buffers, allocated from several threads).
``trim()`` collects the cyclic garbage, then asks glibc to return what is free; elsewhere
(musl, macOS, Windows) the second half does nothing and it says so (README, throughput).
"""

from __future__ import annotations

import ctypes
import gc
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
    """Free unreachable reference cycles, then return freed heap memory to the system; True
    when the C library could do the second part."""
    gc.collect()
    fn = _malloc_trim()
    if fn is None:
        return False
    fn(0)
    return True
