"""probe() and open_reel(): exact rates, timecode, gaps and step, frame-accurate random access."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from restoration_core.media import open_reel, probe
from tests.core.fixtures_media import make_png_sequence, picture


def test_probe_prores_10bit_with_pcm_and_timecode(prores):
    info = probe(prores)
    assert info.fps == Fraction(24000, 1001) and isinstance(info.fps, Fraction)
    assert (info.frames, info.width, info.height) == (12, 96, 64)
    assert info.bit_depth == 10 and info.pix_fmt == "yuv422p10le"
    assert info.timecode == "01:00:00:00"
    assert [(a.codec, a.sample_rate, a.channels) for a in info.audio] == [("pcm_s16le", 48000, 2)]
    assert info.audio[0].duration_s == pytest.approx(12 * 1001 / 24000, abs=0.01)
    d = info.to_dict()
    assert d["fps"] == "24000/1001" and d["timecode"] == "01:00:00:00" and d["gaps"] == []


def test_probe_h264_aac(h264):
    info = probe(h264)
    assert info.fps == 25 and info.frames == 12 and info.bit_depth == 8
    assert info.audio[0].codec == "aac"


def test_probe_sequences_report_gaps_and_start(tiff_seq, dpx_seq):
    tif = probe(tiff_seq)
    assert tif.is_sequence and tif.frames == 6 and tif.bit_depth == 16
    assert tif.start_number == 1 and tif.gaps == [4]
    dpx = probe(dpx_seq)
    assert dpx.start_number == 1001 and dpx.gaps == [1004] and dpx.bit_depth == 16


def test_sequence_given_as_pattern_or_one_file(dpx_seq):
    by_pattern = probe(dpx_seq / "frame_%06d.dpx")
    by_file = probe(sorted(dpx_seq.iterdir())[2])
    assert by_pattern.frames == by_file.frames == 6
    assert by_pattern.gaps == by_file.gaps == [1004]


def test_constant_step_is_not_a_gap(tmp_path):
    make_png_sequence(tmp_path / "s", frames=5, start=100, step=2, bits=8)
    info = probe(tmp_path / "s")
    assert (info.start_number, info.step, info.gaps, info.frames) == (100, 2, [], 5)
    (tmp_path / "s" / "frame_000104.png").unlink()
    info = probe(tmp_path / "s")
    assert info.step == 2 and info.gaps == [104]


@pytest.mark.parametrize("name", ["prores", "h264", "ffv1", "tiff_seq", "dpx_seq"])
def test_random_access_matches_sequential_decode(name, request):
    path = request.getfixturevalue(name)
    with open_reel(path, cache_bytes=0) as reel:
        sequential = [f.data for f in reel.frames()]
        assert len(sequential) == len(reel)
        order = list(range(len(reel)))
        random.Random(1).shuffle(order)
        for i in order + order[::-1]:
            frame = reel.read(i)
            assert frame.index == i
            assert np.array_equal(frame.data, sequential[i]), f"frame {i}"
        assert sequential[0].dtype == (np.uint8 if reel.info.bit_depth <= 8 else np.uint16)


def test_sequence_pixels_exact_16bit(tiff_seq):
    with open_reel(tiff_seq) as reel:
        for k in range(len(reel)):
            assert np.array_equal(reel.read(k).data, picture(k, 80, 48, bits=16))


def test_frames_range_and_timecode(prores):
    with open_reel(prores) as reel:
        frames = list(reel.frames(3, 7))
        assert [f.index for f in frames] == [3, 4, 5, 6]
        assert frames[0].timecode == "01:00:00:03"
        assert reel.timecode_of(11) == "01:00:00:11"
        assert np.array_equal(frames[1].data, reel.read(4).data)


def test_cache_is_bounded_in_bytes(prores):
    one = 96 * 64 * 3 * 2
    with open_reel(prores, cache_bytes=3 * one) as reel:
        for i in range(len(reel)):
            reel.read(i)
        assert len(reel.cache) == 3 and reel.cache.bytes <= 3 * one
        data = reel.read(11).data
        data[:] = 0  # callers own their copy
        assert reel.read(11).data.any()


@pytest.mark.parametrize("name", ["prores", "tiff_seq"])
def test_thumbnail(name, request):
    import cv2

    with open_reel(request.getfixturevalue(name), cache_bytes=0) as reel:
        thumb = reel.thumbnail(2, max_side=48)
        full = [reel.read(i).data for i in (1, 2, 3)]
    h, w = full[0].shape[:2]
    assert thumb.dtype == np.uint8 and thumb.shape == (round(h * 48 / w), 48, 3)
    errors = [np.abs(cv2.resize((f >> 8).astype(np.uint8), (48, thumb.shape[0]), interpolation=cv2.INTER_AREA)
                     .astype(int) - thumb).mean() for f in full]
    assert errors[1] < 10 and errors[1] == min(errors)  # frame 2's picture, not a neighbour's


@pytest.mark.parametrize(
    "fmt, ext, codec, pix_fmt, size, options",
    [
        ("avi", ".avi", "mpeg4", "yuv420p", (96, 64), {"bf": "2", "g": "6"}),
        ("mxf", ".mxf", "mpeg2video", "yuv422p", (128, 96), {"g": "6", "bf": "2", "b": "5M"}),
        ("mpegts", ".ts", "libx264", "yuv420p", (96, 64), {"g": "5", "bf": "2"}),
        ("h264", ".h264", "libx264", "yuv420p", (96, 64), {"g": "5", "bf": "2"}),  # no timestamps at all
    ],
)
def test_other_containers_random_access(tmp_path, fmt, ext, codec, pix_fmt, size, options):
    from tests.core.fixtures_media import _video_file

    path = _video_file(tmp_path / f"clip{ext}", fmt, codec, pix_fmt, 10, Fraction(25), size, None, None,
                       options, bits=8)
    with open_reel(path, cache_bytes=0) as reel:
        assert reel.info.frames == 10 and reel.info.fps == 25
        sequential = [f.data for f in reel.frames()]
        assert len(sequential) == 10
        for i in [7, 2, 9, 0, 5, 6, 1]:
            assert np.array_equal(reel.read(i).data, sequential[i]), f"frame {i}"
    # every decoded frame is the picture it was made from (not a neighbour)
    expected = [picture(k, *size, bits=8).astype(int) for k in range(10)]
    for i, data in enumerate(sequential):
        errors = [np.abs(data.astype(int) - e).mean() for e in expected]
        assert int(np.argmin(errors)) == i


@pytest.mark.parametrize("name", ["prores", "h264", "ffv1"])
def test_large_file_rate_index_reads_the_same_frames(name, request, monkeypatch):
    from restoration_core.media import ptsindex

    path = request.getfixturevalue(name)
    with open_reel(path, cache_bytes=0) as exact:
        expected = [f.data for f in exact.frames()]
        exact_info = exact.info
    monkeypatch.setattr(ptsindex, "FULL_SCAN_MAX_BYTES", 0)  # treat the fixture as a huge file
    with open_reel(path, cache_bytes=0) as reel:
        assert reel._source.index.estimated
        assert reel.info.frames == exact_info.frames and reel.info.fps == exact_info.fps
        assert reel.info.start_time == exact_info.start_time
        assert all(np.array_equal(a.data, b) for a, b in zip(reel.frames(), expected, strict=True))
        for i in [5, 1, len(expected) - 1, 0, 3, 4, 8, 2]:
            assert np.array_equal(reel.read(i).data, expected[i]), f"frame {i}"
        assert [f.index for f in reel.frames(4, 7)] == [4, 5, 6]


def _peak_reading(path, cache_bytes: int) -> int:
    import tracemalloc

    rng = random.Random(5)
    tracemalloc.start()
    try:
        with open_reel(path, cache_bytes=cache_bytes) as reel:
            for f in reel.frames():
                _ = f.data
            for i in rng.sample(range(len(reel)), 20):
                _ = reel.read(i).data
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_memory_does_not_grow_with_reel_length(tmp_path):
    from tests.core.fixtures_media import make_ffv1_mkv

    short = make_ffv1_mkv(tmp_path / "short.mkv", frames=30, size=(128, 96))
    long = make_ffv1_mkv(tmp_path / "long.mkv", frames=240, size=(128, 96))
    budget = 8 * 128 * 96 * 3 * 2          # the cache holds 8 frames
    _peak_reading(short, budget)           # warm imports and codec tables
    a, b = _peak_reading(short, budget), _peak_reading(long, budget)
    assert b < 1.3 * a + 256 * 1024, f"peak {a / 1e6:.1f} MB for 30 frames, {b / 1e6:.1f} MB for 240"
