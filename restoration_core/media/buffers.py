"""Pixel arrays taken from and given to PyAV video frames, counted.

PyAV 16-18 keeps one extra reference to ``None`` each time a plane's buffer is taken
(``VideoFrame.to_ndarray`` and ``from_ndarray``: Cython's ``__getbuffer__``). ``None``'s count
only grows, so it is harmless, but it is what a refcount check of the workbench sees (the
soak: one reference per decoded frame, thousands a minute while whole-reel detection reruns).
Every video frame the engine turns into an array, or an array into, goes through here, so a
check can subtract :func:`planes_taken` and still see a binding that leaks per signal emit.
"""

from __future__ import annotations

import threading

import av
import numpy as np

_lock = threading.Lock()
_taken = 0


def _count(planes: int) -> None:
    global _taken
    with _lock:
        _taken += planes


def planes_taken() -> int:
    """How many plane buffers the engine has taken from PyAV frames in this process."""
    with _lock:
        return _taken


def to_array(frame: av.VideoFrame, format: str | None = None, **kwargs) -> np.ndarray:
    """``frame.to_ndarray(format=...)``, counted (one buffer per plane of the array's format)."""
    arr = frame.to_ndarray(format=format, **kwargs)
    _count(len({c.plane for c in av.VideoFormat(format or frame.format.name).components}))
    return arr


def from_array(data: np.ndarray, format: str) -> av.VideoFrame:
    """``av.VideoFrame.from_ndarray(data, format=...)``, counted."""
    frame = av.VideoFrame.from_ndarray(data, format=format)
    _count(len(frame.planes))
    return frame
