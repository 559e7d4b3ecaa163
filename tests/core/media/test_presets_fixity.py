"""Presets as data files, range parsing, fixity helpers."""

from __future__ import annotations

import hashlib
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from restoration_core.errors import InputError
from restoration_core.media import PRESET_NAMES, ReelInfo, load_preset
from restoration_core.media.fixity import (
    frame_bytes,
    frame_md5,
    frame_md5_and_size,
    framemd5_text,
    sha256_file,
)
from restoration_core.media.presets import available_presets
from restoration_core.render.spec import parse_range


def _info(pix_fmt: str, bits: int, rgb: bool = False, sequence: bool = False) -> ReelInfo:
    return ReelInfo(Path("x"), "mov", 10, Fraction(24), Fraction(1, 24), 64, 48, bits, pix_fmt,
                    is_rgb=rgb, is_sequence=sequence)


def test_every_preset_loads_from_its_toml():
    assert set(PRESET_NAMES) <= set(available_presets())
    for name in PRESET_NAMES:
        preset = load_preset(name)
        assert preset.name == name and preset.codec in av.codecs_available
    assert load_preset("master").lossless and load_preset("dpx").is_sequence


def test_unknown_preset_is_an_input_error():
    with pytest.raises(InputError, match="unknown export preset 'vhs'"):
        load_preset("vhs")


@pytest.mark.parametrize(
    "preset, info, source_frames, expected",
    [
        ("master", _info("yuv422p10le", 10), True, "yuv422p10le"),
        ("master", _info("yuvj420p", 8), True, "gbrp16le"),
        ("master", _info("yuv422p10le", 10), False, "gbrp16le"),
        ("master", _info("yuv420p", 8), False, "bgr0"),
        ("mezzanine", _info("yuv420p", 8), True, "yuv422p10le"),
        ("mezzanine", _info("gbrp10le", 10, rgb=True), True, "yuv444p10le"),
        ("mezzanine", _info("rgb48le", 16, rgb=True, sequence=True), False, "yuv444p10le"),
        ("access", _info("yuv422p10le", 10), True, "yuv420p"),
        ("dpx", _info("yuv422p10le", 10), True, "gbrp10le"),
        ("dpx", _info("rgb48le", 16), False, "rgb48le"),
        ("tiff", _info("yuv420p", 8), False, "rgb48le"),
        ("png", _info("yuv420p", 8), False, "rgb24"),
        ("png", _info("rgb48le", 16), False, "rgb48be"),
    ],
)
def test_pixel_format_choice(preset, info, source_frames, expected):
    assert load_preset(preset).pix_fmt_for(info, source_frames=source_frames) == expected


def test_parse_range():
    assert parse_range(None, 10) == (0, 10)
    assert parse_range("2:5", 10) == (2, 5)
    assert parse_range("3:", 10) == (3, 10)
    assert parse_range(":4", 10) == (0, 4)
    for bad in ("5:5", "0:11", "-1:3", "a:b", "3"):
        with pytest.raises(InputError):
            parse_range(bad, 10)


def test_frame_md5_covers_planes_without_padding():
    frame = av.VideoFrame(65, 33, "yuv420p")  # odd width: rows are padded in memory
    for plane in frame.planes:
        plane.update(bytes([7]) * plane.buffer_size)
    md5, size = frame_md5_and_size(frame)
    expected = bytes([7]) * (65 * 33 + 2 * 33 * 17)
    assert size == len(expected) and md5 == hashlib.md5(expected).hexdigest()
    arr = np.arange(24, dtype=np.uint16).reshape(2, 4, 3)
    assert frame_md5(arr) == hashlib.md5(arr.tobytes()).hexdigest()


def test_framemd5_text_and_sha256(tmp_path):
    text = framemd5_text([("a" * 32, 10), ("b" * 32, 10)], 4, 2, Fraction(24000, 1001))
    assert "#tb 0: 1001/24000" in text and text.rstrip().endswith("b" * 32)
    f = tmp_path / "x.bin"
    f.write_bytes(b"reel")
    assert sha256_file(f) == hashlib.sha256(b"reel").hexdigest()


def _reference_md5(frame, zero_pad=False):
    """framemd5's definition spelled out: each plane's rows without line padding, bgr0's pad byte as zero."""
    h = hashlib.md5()
    for plane in frame_bytes(frame):
        if zero_pad:
            plane = plane.copy().reshape(plane.shape[0], -1, 4)
            plane[..., 3] = 0
        h.update(plane.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("fmt,zero_pad", [("yuv422p10le", False), ("bgr0", True), ("bgr0", False)])
def test_padded_planes_are_hashed_through_a_reused_buffer(fmt, zero_pad):
    rng = np.random.default_rng(3)
    frames = []
    for w, h in ((1998, 64), (65, 33), (1998, 64)):  # line padding; a smaller frame between two larger
        frame = av.VideoFrame(w, h, fmt)
        for plane in frame.planes:
            plane.update(rng.integers(0, 256, plane.buffer_size, dtype=np.uint8).tobytes())
        assert frame.planes[0].line_size > frame.planes[0].width * (4 if fmt == "bgr0" else 2)
        frames.append(frame)
    for frame in frames:
        assert frame_md5_and_size(frame, zero_pad)[0] == _reference_md5(frame, zero_pad)
    # the same from another thread (each has its own buffer) and with no per-frame copy allocated
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(frame_md5_and_size, frames[1], zero_pad).result()[0] == _reference_md5(frames[1], zero_pad)
    tracemalloc.start()
    try:
        frame_md5_and_size(frames[2], zero_pad)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024, f"{peak} bytes allocated to hash a {frames[2].planes[0].buffer_size}-byte plane"
