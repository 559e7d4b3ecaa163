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


# RGB array channel of each plane of a planar RGB format (FFmpeg's gbrp order: G, B, R)
_PLANAR_RGB = {"gbrp16le": (np.uint16, (1, 2, 0))}
# RGB array channel of each byte of a packed 4-byte format's pixel; None: the padding byte
_PACKED_RGB0 = {"bgr0": (2, 1, 0, None), "rgb0": (0, 1, 2, None), "0rgb": (None, 0, 1, 2), "0bgr": (None, 2, 1, 0)}


def target_from_array(data: np.ndarray, pix_fmt: str) -> av.VideoFrame | None:
    """An HxWx3 RGB array (uint8 or uint16) as a frame of ``pix_fmt``, by numpy plane copies, or
    None where that is not a plain reordering of the samples (then swscale converts it).

    16-bit RGB to ``gbrp16le`` (each channel into its plane) and 8-bit RGB to a packed format
    with a padding byte (``bgr0``...; the padding byte zero) are the bytes swscale's
    ``rgb48le`` / ``rgb24`` conversion gives (its padding byte is 255; FFV1 does not store it),
    at a fifth of the CPU for 16 bits (a 1080p frame: 4 against 20 ms).
    """
    h, w = data.shape[:2]
    if pix_fmt in _PLANAR_RGB and data.dtype == _PLANAR_RGB[pix_fmt][0]:
        dtype, channels = _PLANAR_RGB[pix_fmt]
        frame = av.VideoFrame(w, h, pix_fmt)
        size = np.dtype(dtype).itemsize
        for plane, c in zip(frame.planes, channels, strict=True):
            rows = np.frombuffer(plane, dtype)[: plane.line_size // size * h]
            rows.reshape(h, plane.line_size // size)[:, :w] = data[..., c]
        _count(len(frame.planes))
        return frame
    if pix_fmt in _PACKED_RGB0 and data.dtype == np.uint8:
        frame = av.VideoFrame(w, h, pix_fmt)
        plane = frame.planes[0]
        pixels = np.frombuffer(plane, np.uint8)[: plane.line_size * h].reshape(h, plane.line_size)[:, : 4 * w]
        pixels = pixels.reshape(h, w, 4)
        for byte, c in enumerate(_PACKED_RGB0[pix_fmt]):
            pixels[..., byte] = 0 if c is None else data[..., c]
        _count(1)
        return frame
    return None
