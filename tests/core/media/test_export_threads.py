"""The threaded container writer: same bytes on any thread count, MD5s from the frames as
written (bgr0 too), --verify, errors and cancel from the encoder thread, a bounded queue."""

from __future__ import annotations

import dataclasses
import threading
import time

import av
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.errors import OutputError
from restoration_core.media import open_reel, open_writer, probe
from restoration_core.media import writer as writer_module
from restoration_core.media.fixity import decoded_md5s, read_framemd5, sha256_file
from restoration_core.media.prefetch import prefetch
from restoration_core.progress import run_to_end
from restoration_core.render.export import export
from tests.core.fixtures_media import make_ffv1_mkv, picture


@pytest.fixture
def rgb8(tmp_path):
    """An 8-bit source (restored 8-bit frames are written as bgr0 FFV1 by the master preset)."""
    return make_ffv1_mkv(tmp_path / "rgb8.mkv", frames=6, pix_fmt="bgr0", size=(96, 64))


def _write(out, info, frames, **kwargs):
    writer = open_writer(out, "master", info, **kwargs)
    for data in frames:
        writer.write(data)
    return writer.commit()


def test_bgr0_master_hashes_the_frames_as_written_and_any_thread_count_gives_the_same_bytes(rgb8, tmp_path):
    info = probe(rgb8)
    frames = [picture(i, 96, 64, bits=8) for i in range(6)]
    one = _write(tmp_path / "one.mkv", info, frames, threads=1)
    two = _write(tmp_path / "two.mkv", info, frames, threads=2, verify=True)
    assert one.sha256 == two.sha256 == sha256_file(tmp_path / "two.mkv")
    # the manifest taken from the input frames (pad byte as the FFV1 decoder writes it) is the decode's
    decoded = [m for m, _ in decoded_md5s(tmp_path / "one.mkv")]
    assert read_framemd5(one.manifest_path) == one.frame_md5 == decoded
    with open_reel(tmp_path / "one.mkv") as reel:
        assert all(np.array_equal(f.data, frames[f.index]) for f in reel.frames())


def test_untouched_8bit_export_manifest_equals_the_decode(rgb8, tmp_path):
    out = tmp_path / "m.mkv"
    result = run_to_end(export(rgb8, out, "master"))
    assert result.frame_md5 == [m for m, _ in decoded_md5s(out)] == [m for m, _ in decoded_md5s(rgb8)]


def test_bgr0_frames_from_another_decoder_have_their_padding_byte_hashed_as_zero(rgb8, tmp_path):
    # an FFV1 source's untouched frames are hashed as they are (its decoder zeroes the padding
    # byte); frames of the same format from any other decoder may carry anything there
    info = dataclasses.replace(probe(rgb8), codec="rawvideo")
    out = tmp_path / "pad.mkv"
    writer = open_writer(out, "master", info, source_frames=True)
    for i in range(3):
        data = np.full((64, 96, 4), 255, np.uint8)
        data[..., :3] = picture(i, 96, 64, bits=8)[..., ::-1]
        frame = av.VideoFrame(96, 64, "bgr0")
        frame.planes[0].update(data.tobytes())  # 96 x 4 bytes a row: no line padding
        writer.write_av(frame)
    result = writer.commit()
    assert result.frame_md5 == [m for m, _ in decoded_md5s(out)]


def test_verify_refuses_an_output_that_decodes_differently(rgb8, tmp_path, monkeypatch):
    info = probe(rgb8)
    frames = [picture(i, 96, 64, bits=8) for i in range(3)]
    real = writer_module.decoded_md5s

    def tampered(path):
        entries = real(path)
        entries[1] = ("0" * 32, entries[1][1])
        return entries

    monkeypatch.setattr(writer_module, "decoded_md5s", tampered)
    with pytest.raises(OutputError, match="verify failed: frame 1"):
        _write(tmp_path / "v.mkv", info, frames, verify=True)
    assert list(tmp_path.glob("v.mkv*")) == []
    _write(tmp_path / "plain.mkv", info, frames)  # without --verify the file is not decoded back


def test_an_encoder_error_reaches_the_caller_and_nothing_is_left(rgb8, tmp_path):
    info = probe(rgb8)
    writer = open_writer(tmp_path / "e.mkv", "master", info)

    def broken(frame, pix_fmt, size):
        raise ValueError("no such conversion")

    writer._to_target = broken
    with pytest.raises(OutputError, match="no such conversion"):
        for i in range(20):
            writer.write(picture(i, 96, 64, bits=8))
        writer.commit()
    writer.abort()
    assert list(tmp_path.iterdir()) == [rgb8]
    assert not any(t.name == "reelwright-encode" for t in threading.enumerate())


def test_abort_mid_write_stops_the_encoder_thread_and_removes_the_output(rgb8, tmp_path):
    info = probe(rgb8)
    writer = open_writer(tmp_path / "c.mkv", "master", info)
    for i in range(4):
        writer.write(picture(i, 96, 64, bits=8))
    writer.abort()
    assert list(tmp_path.iterdir()) == [rgb8]
    assert not any(t.name == "reelwright-encode" for t in threading.enumerate())
    with pytest.raises(OutputError, match="closed"):
        writer.write(picture(5, 96, 64, bits=8))


def test_frames_wait_in_a_bounded_queue(rgb8, tmp_path):
    info = probe(rgb8)
    writer = open_writer(tmp_path / "q.mkv", "master", info)
    convert = writer._to_target

    def slow(frame, pix_fmt, size):
        time.sleep(0.01)
        return convert(frame, pix_fmt, size)

    writer._to_target = slow
    most = 0
    for i in range(24):
        writer.write(picture(i % 6, 96, 64, bits=8))
        most = max(most, writer._queue.qsize())
    result = writer.commit()
    assert result.frames == 24 and 0 < most <= writer_module._QUEUE_DEPTH


def test_cli_export_verify(rgb8, tmp_path):
    out = tmp_path / "v.mkv"
    assert main(["export", str(rgb8), "-o", str(out), "--preset", "master", "--verify"]) == 0
    assert read_framemd5(tmp_path / "v.mkv.framemd5") == [m for m, _ in decoded_md5s(out)]


def test_prefetch_reads_ahead_in_order_raises_errors_and_stops_when_closed():
    assert list(prefetch(range(10), depth=2)) == list(range(10))

    def failing():
        yield 1
        raise ValueError("damaged media")

    items = prefetch(failing())
    assert next(items) == 1
    with pytest.raises(ValueError, match="damaged media"):
        next(items)

    closed = threading.Event()

    def endless():
        try:
            k = 0
            while True:
                yield k
                k += 1
        finally:
            closed.set()

    with prefetch(endless(), depth=3) as ahead:
        assert [next(ahead) for _ in range(5)] == [0, 1, 2, 3, 4]
    assert closed.is_set()  # the source was closed once the reading thread had stopped
    assert not any(t.name == "reelwright-prefetch" and t.is_alive() for t in threading.enumerate())


@pytest.mark.parametrize("bad", [0, 5])  # frame 0's MD5 is awaited in the encoder thread, frame 5's at commit
def test_a_failing_frame_hash_fails_the_export_in_one_line_and_leaves_nothing(rgb8, tmp_path, monkeypatch, capsys, bad):
    real = writer_module.frame_md5_and_size
    calls = []

    def failing(frame, zero_pad=False):
        calls.append(1)
        if len(calls) == bad + 1:
            raise MemoryError("no room for the plane")
        return real(frame, zero_pad)

    monkeypatch.setattr(writer_module, "frame_md5_and_size", failing)
    out = tmp_path / "h.mkv"
    with pytest.raises(OutputError, match="MD5 failed .*no room for the plane") as caught:
        run_to_end(export(rgb8, out, "master"))
    assert str(out) in str(caught.value) and "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == [rgb8]  # no output, no manifests, no temporary file
    assert not any(t.name == "reelwright-encode" and t.is_alive() for t in threading.enumerate())
    calls.clear()
    assert main(["export", str(rgb8), "-o", str(out), "--preset", "master"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]  # beside the progress
    assert len(errors) == 1 and "h.mkv: computing a frame's MD5 failed" in errors[0]
    assert list(tmp_path.iterdir()) == [rgb8]


def test_a_failing_file_hash_fails_the_export_and_leaves_nothing(rgb8, tmp_path, monkeypatch):
    def failing(path):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(writer_module, "sha256_file", failing)
    with pytest.raises(OutputError, match="SHA-256 failed .*Input/output error"):
        run_to_end(export(rgb8, tmp_path / "s.mkv", "master"))
    assert list(tmp_path.iterdir()) == [rgb8]


def test_frames_with_line_padding_hash_as_their_decode(tmp_path):
    # 98 px: yuv422p10le rows of 196 bytes and bgr0 rows of 392 in buffers aligned wider, so the
    # hashing threads go through their scratch buffers (the masked bgr0 pad byte too)
    src = make_ffv1_mkv(tmp_path / "odd.mkv", frames=5, pix_fmt="yuv422p10le", size=(98, 64))
    with av.open(str(src)) as c:
        plane = next(c.decode(video=0)).planes[0]
        assert plane.line_size > 196
    result = run_to_end(export(src, tmp_path / "m.mkv", "master", verify=True))
    assert result.frame_md5 == [m for m, _ in decoded_md5s(tmp_path / "m.mkv")] == [m for m, _ in decoded_md5s(src)]
    info = dataclasses.replace(probe(src), codec="rawvideo", pix_fmt="bgr0", bit_depth=8)
    writer = open_writer(tmp_path / "pad.mkv", "master", info, source_frames=True, verify=True)
    for i in range(3):
        frame = av.VideoFrame(98, 64, "bgr0")
        assert frame.planes[0].line_size > 98 * 4
        rows = np.frombuffer(frame.planes[0], np.uint8).reshape(64, -1)
        rows[...] = 255  # the pad byte (and line padding) set, as another decoder may leave them
        rows[:, : 98 * 4].reshape(64, 98, 4)[..., :3] = picture(i, 98, 64, bits=8)[..., ::-1]
        writer.write_av(frame)
    padded = writer.commit()
    assert padded.frame_md5 == [m for m, _ in decoded_md5s(tmp_path / "pad.mkv")]
