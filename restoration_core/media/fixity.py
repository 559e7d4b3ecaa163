"""Fixity: per-frame MD5 of decoded pictures (as ffmpeg's framemd5 computes them) and SHA-256.

A frame's MD5 covers its planes in the frame's own pixel format, row by row without
padding, which is what ``ffmpeg -i FILE -f framemd5 -`` prints for the same decode.
"""

from __future__ import annotations

import hashlib
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def sha256_file(path: str | Path, chunk: int = 1024 * 1024) -> str:
    """SHA-256 of a file, read into one reused buffer (a fresh 4 MiB ``bytes`` per read cost a
    third more CPU than the hash itself: 60 against 40 ms for a 65 MB master)."""
    h = hashlib.sha256()
    buf = bytearray(chunk)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


# which byte of a 4-byte packed pixel is padding (not a component)
PAD_BYTE = {"bgr0": 3, "rgb0": 3, "0rgb": 0, "0bgr": 0}


def _plane_row_bytes(fmt: av.VideoFormat, plane_index: int, width: int) -> int:
    if not fmt.is_planar:
        return width * (fmt.padded_bits_per_pixel // 8)
    per_pixel = sum((c.bits + 7) // 8 for c in fmt.components if c.plane == plane_index)
    return width * per_pixel


def _plane_rows(frame: av.VideoFrame, index: int) -> np.ndarray:
    """A view of one plane's picture bytes, (height, row bytes), line padding left out."""
    plane = frame.planes[index]
    row = _plane_row_bytes(frame.format, index, plane.width)
    buf = np.frombuffer(plane, np.uint8)[: plane.line_size * plane.height].reshape(plane.height, plane.line_size)
    return buf[:, :row]


def frame_bytes(frame: av.VideoFrame) -> list[np.ndarray]:
    """The picture's planes as contiguous byte rows (no line padding)."""
    return [np.ascontiguousarray(_plane_rows(frame, i)) for i in range(len(frame.planes))]


_scratch = threading.local()  # each hashing thread's buffer for planes that cannot be hashed in place


def _scratch_rows(shape: tuple[int, int]) -> np.ndarray:
    """This thread's reusable (rows, bytes) buffer: a plane with line padding (or bgr0's pad byte
    to mask) is copied into it instead of into a fresh array, whose pages the kernel would
    have to fault in and zero on every frame."""
    need = shape[0] * shape[1]
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.size < need:
        buf = _scratch.buf = np.empty(need, np.uint8)
    return buf[:need].reshape(shape)


def frame_md5(picture: av.VideoFrame | np.ndarray) -> str:
    """MD5 of a decoded picture: an av frame (ffmpeg framemd5) or a numpy array's bytes."""
    if not isinstance(picture, np.ndarray):
        return frame_md5_and_size(picture)[0]
    h = hashlib.md5()
    h.update(np.ascontiguousarray(picture))
    return h.hexdigest()


def frame_md5_and_size(frame: av.VideoFrame, zero_pad: bool = False) -> tuple[str, int]:
    """framemd5 entry (MD5, byte size) of a picture; ``zero_pad``: its packed padding byte
    (bgr0's) hashed as zero, which is what the FFV1 decoder puts there.

    Planes without line padding are hashed in place, in the frame's own buffer; others (and a
    masked padding byte) go through this thread's scratch buffer: no allocation per frame.
    """
    h = hashlib.md5()
    size = 0
    mask = zero_pad and frame.format.name in PAD_BYTE
    for i in range(len(frame.planes)):
        rows = _plane_rows(frame, i)
        if mask:
            keep = 0x00FFFFFF if PAD_BYTE[frame.format.name] == 3 else 0xFFFFFF00  # as little-endian words
            out = _scratch_rows(rows.shape)
            np.bitwise_and(rows.view("<u4"), np.uint32(keep), out=out.view("<u4"))
            rows = out
        elif not rows.flags.c_contiguous:
            out = _scratch_rows(rows.shape)
            np.copyto(out, rows)
            rows = out
        h.update(rows)
        size += rows.nbytes
    return h.hexdigest(), size


def framemd5_text(entries: list[tuple[str, int]], width: int, height: int, fps: Fraction) -> str:
    """A framemd5 manifest in ffmpeg's format (stream 0 = the picture, time base 1/fps)."""
    tb = 1 / Fraction(fps)
    lines = [
        "#format: frame checksums",
        "#version: 2",
        "#hash: MD5",
        f"#tb 0: {tb.numerator}/{tb.denominator}",
        "#media_type 0: video",
        "#codec_id 0: rawvideo",
        f"#dimensions 0: {width}x{height}",
        "#sar 0: 1/1",
        "#stream#, dts,        pts, duration,     size, hash",
    ]
    for k, (md5, size) in enumerate(entries):
        lines.append(f"0, {k:10d}, {k:10d},        1, {size:8d}, {md5}")
    return "\n".join(lines) + "\n"


def decoded_md5s(path: str | Path) -> list[tuple[str, int]]:
    """framemd5 entries of every decoded picture of a container file's first video stream."""
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            out.append(frame_md5_and_size(frame))
    return out


def read_framemd5(path: str | Path) -> list[str]:
    """The MD5 column of a framemd5 manifest."""
    return [line.rsplit(",", 1)[1].strip() for line in Path(path).read_text().splitlines()
            if line and not line.startswith("#")]
