"""Round trips through the writer: lossless master, exact rate, audio, timecode, range trims."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from restoration_core.media import open_reel, open_writer, probe
from restoration_core.media.audio import AudioCopier
from restoration_core.media.fixity import decoded_md5s, read_framemd5, sha256_file
from restoration_core.progress import run_to_end
from restoration_core.render.export import export
from tests.core.fixtures_media import audio_samples, rgb48_frames


def test_master_is_bit_identical_with_audio_rate_and_timecode(prores, tmp_path):
    out = tmp_path / "master.mkv"
    result = run_to_end(export(prores, out, "master"))
    assert result.path == out and out.is_file()
    src, dst = rgb48_frames(prores), rgb48_frames(out)
    assert len(src) == len(dst) == 12
    assert all(np.array_equal(a, b) for a, b in zip(src, dst, strict=True))
    info = probe(out)
    assert info.fps == Fraction(24000, 1001) and info.frames == 12
    assert info.timecode == "01:00:00:00"
    assert np.array_equal(audio_samples(prores), audio_samples(out))
    # fixity manifest beside it: per-frame MD5 of the decoded picture + file SHA-256
    assert read_framemd5(result.manifest_path) == result.frame_md5 == [m for m, _ in decoded_md5s(out)]
    assert result.sha256 == sha256_file(out)
    assert result.sha256_path.read_text().split() == [result.sha256, "master.mkv"]
    # the same frames give the same file, byte for byte (no muxing date, no random segment UID)
    again = run_to_end(export(prores, tmp_path / "again.mkv", "master"))
    assert again.sha256 == result.sha256


def test_range_trims_audio_and_shifts_timecode(prores, tmp_path):
    out = tmp_path / "part.mkv"
    result = run_to_end(export(prores, out, "master", frame_range=(3, 9)))
    info = probe(out)
    assert info.frames == 6 and info.timecode == "01:00:00:03" and result.timecode == "01:00:00:03"
    src = audio_samples(prores)
    a, b = round(3 * 1001 / 24000 * 48000), round(9 * 1001 / 24000 * 48000)
    assert np.array_equal(audio_samples(out), src[:, a:b])
    assert all(np.array_equal(x, y) for x, y in zip(rgb48_frames(out), rgb48_frames(prores)[3:9], strict=True))


def test_writer_takes_numpy_frames_losslessly(prores, tmp_path):
    out = tmp_path / "restored.mkv"
    with open_reel(prores) as reel:
        frames = [f.data.copy() for f in reel.frames(0, 4)]
        frames[1][10:20, 10:20] = 12345  # a "repair"
        writer = open_writer(out, "master", reel.info, frame_range=(0, 4), audio_source=prores)
        for data in frames:
            writer.write(data)
        result = writer.commit()
    back = rgb48_frames(out)
    assert all(np.array_equal(a, b) for a, b in zip(frames, back, strict=True))
    assert result.frames == 4 and probe(out).fps == Fraction(24000, 1001)


def test_abort_leaves_nothing(prores, tmp_path):
    out = tmp_path / "never.mkv"
    with open_reel(prores) as reel:
        writer = open_writer(out, "master", reel.info)
        writer.write(reel.read(0).data)
        writer.abort()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("preset, codec", [("mezzanine", "prores"), ("access", "h264")])
def test_lossy_presets(prores, tmp_path, preset, codec):
    out = tmp_path / f"out.{ 'mov' if preset == 'mezzanine' else 'mp4'}"
    result = run_to_end(export(prores, out, preset))
    info = probe(out)
    assert info.codec == codec and info.frames == 12 and info.fps == Fraction(24000, 1001)
    assert info.timecode == "01:00:00:00"
    assert read_framemd5(result.manifest_path) == [m for m, _ in decoded_md5s(out)]
    if preset == "mezzanine":
        assert info.pix_fmt == "yuv422p10le"
        with av.open(str(out)) as c:
            assert c.streams.video[0].codec_tag == "apch"  # ProRes 422 HQ
        assert np.array_equal(audio_samples(prores), audio_samples(out))
    else:
        assert info.pix_fmt == "yuv420p" and info.audio[0].codec == "aac"
        assert any("re-encoded" in n for n in result.notes)
        assert info.audio[0].duration_s == pytest.approx(12 * 1001 / 24000, abs=0.05)


def test_h264_master_keeps_source_pixels(h264, tmp_path):
    out = tmp_path / "m.mkv"
    run_to_end(export(h264, out, "master"))
    assert all(np.array_equal(a, b) for a, b in zip(rgb48_frames(h264), rgb48_frames(out), strict=True))
    assert probe(out).audio[0].codec == "aac"


@pytest.mark.parametrize("preset, ext", [("dpx", ".dpx"), ("tiff", ".tif"), ("png", ".png")])
def test_sequence_presets(tiff_seq, tmp_path, preset, ext):
    out = tmp_path / "seq"
    result = run_to_end(export(tiff_seq, out, preset))
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"seq_{n:06d}{ext}" for n in (1, 2, 3, 5, 6, 7)]
    assert result.manifest_path == tmp_path / "seq.framemd5"
    md5 = []
    for f in files:
        with av.open(str(f)) as c:
            md5.extend(m for m, _ in [__import__("restoration_core.media.fixity", fromlist=["x"])
                                      .frame_md5_and_size(fr) for fr in c.decode(video=0)])
    assert md5 == result.frame_md5
    with open_reel(out) as back, open_reel(tiff_seq) as src:
        for k in range(len(src)):
            a, b = src.read(k).data, back.read(k).data
            if preset == "dpx":
                assert np.abs(a.astype(int) - b).max() == 0
            else:
                assert np.array_equal(a, b)


def test_mezzanine_of_rgb_sequence_is_prores_4444(tiff_seq, tmp_path):
    run_to_end(export(tiff_seq, tmp_path / "m.mov", "mezzanine"))
    with av.open(str(tmp_path / "m.mov")) as c:
        assert c.streams.video[0].codec_tag == "ap4h"
    with open_reel(tmp_path / "m.mov") as out, open_reel(tiff_seq) as src:
        diff = out.read(2).data.astype(int) - src.read(2).data.astype(int)
    assert np.abs(diff).mean() < 800  # 16-bit scale: ProRes quantizes the fixture's noise
    assert np.abs(diff.mean(axis=(0, 1))).max() < 50  # no colour shift (matrix and range match)


def test_a_range_past_the_audio_seek_copies_the_exact_samples(tmp_path):
    # from 1 s on, the audio copier seeks (in its own demuxer, the picture's packets discarded)
    from tests.core.fixtures_media import make_prores_10bit

    src = make_prores_10bit(tmp_path / "long.mov", frames=72, size=(64, 32))
    out = tmp_path / "part.mkv"
    run_to_end(export(src, out, "master", frame_range=(50, 62)))
    a, b = round(50 * 1001 / 24000 * 48000), round(62 * 1001 / 24000 * 48000)
    assert np.array_equal(audio_samples(out), audio_samples(src)[:, a:b])
    assert all(np.array_equal(x, y) for x, y in zip(rgb48_frames(out), rgb48_frames(src)[50:62], strict=True))


def _range_samples(a: int, b: int) -> tuple[int, int]:
    return round(a * 1001 / 24000 * 48000), round(b * 1001 / 24000 * 48000)


@pytest.mark.parametrize("kind", ["mkv", "mov"])
def test_range_audio_is_sample_exact_from_matroska_and_mov(kind, tmp_path):
    # Matroska stamps audio in milliseconds: a 1024-sample packet at sample 19456 is stamped
    # 405 ms (sample 19440); the PCM must be placed by counting samples, as from MOV's exact stamps
    from tests.core.fixtures_media import make_ffv1_mkv, make_prores_10bit

    if kind == "mkv":
        src = make_ffv1_mkv(tmp_path / "long.mkv", frames=72, size=(64, 32), audio=True)
    else:
        src = make_prores_10bit(tmp_path / "long.mov", frames=72, size=(64, 32))
    full = audio_samples(src)
    for a, b in [(0, 12), (10, 22), (23, 30), (50, 62), (61, 72)]:  # from frame 24 on the copier seeks
        out = tmp_path / f"part_{a}.mkv"
        run_to_end(export(src, out, "master", frame_range=(a, b)))
        lo, hi = _range_samples(a, b)
        got = audio_samples(out)
        assert got.shape == (2, hi - lo), (a, b)
        assert np.array_equal(got, full[:, lo:hi]), (a, b)


def test_range_of_an_exported_matroska_range_is_sample_exact(tmp_path):
    # an exported range starts with a part packet: counting must follow the real packet sizes
    from tests.core.fixtures_media import make_ffv1_mkv

    src = make_ffv1_mkv(tmp_path / "long.mkv", frames=72, size=(64, 32), audio=True)
    first = tmp_path / "first.mkv"
    run_to_end(export(src, first, "master", frame_range=(7, 70)))
    out = tmp_path / "second.mkv"
    run_to_end(export(first, out, "master", frame_range=(31, 45)))  # source frames 38..52
    lo, hi = _range_samples(7, 70)
    mid = audio_samples(first)
    assert np.array_equal(mid, audio_samples(src)[:, lo:hi])
    a, b = _range_samples(31, 45)
    assert np.array_equal(audio_samples(out), mid[:, a:b])


def test_matroska_pcm_reencoded_for_mp4_is_aligned(tmp_path):
    # Matroska leaves a PCM stream's layout unnamed ("2 channels"), which AAC refused; and the
    # re-encoded range starts at the counted sample (a 16-sample shift gives a clearly larger error)
    from tests.core.fixtures_media import make_ffv1_mkv

    src = make_ffv1_mkv(tmp_path / "long.mkv", frames=72, size=(64, 32), audio=True)
    full = audio_samples(src)[0].astype(np.float64) / 32767
    for a, b in [(10, 22), (50, 62)]:
        out = tmp_path / f"part_{a}.mp4"
        result = run_to_end(export(src, out, "access", frame_range=(a, b)))
        assert any("re-encoded to AAC" in n for n in result.notes)
        got = audio_samples(out)[0].astype(np.float64)
        lo = _range_samples(a, b)[0]
        seg = got[3000:9000]
        errors = {off: np.abs(full[lo + 3000 + off:lo + 9000 + off] - seg).mean() for off in range(-40, 41)}
        assert min(errors, key=errors.get) == 0, (a, b)


def _ramp(lo: int, hi: int) -> np.ndarray:
    s = np.arange(lo, hi)
    return np.stack([s % 30011, (s * 7) % 30011]).astype(np.int16)


def test_matroska_pcm_with_a_gap_is_placed_by_count_then_by_stamp(tmp_path):
    # 40 packets of 1000 samples (20.83 ms, stamps rounded) from 0, then a gap to 1.5 s: the count
    # follows the packets and takes the stamp again after the jump
    starts = [i * 1000 for i in range(40)] + [72000 + i * 1000 for i in range(72)]
    src = _pcm_mkv(tmp_path / "gap.mkv", 72, [(s0, 1000) for s0 in starts])
    for a, b in [(50, 62), (10, 17)]:  # past the gap and the seek; before it
        out = tmp_path / f"part_{a}.mkv"
        run_to_end(export(src, out, "master", frame_range=(a, b)))
        lo, hi = _range_samples(a, b)
        assert np.array_equal(audio_samples(out), _ramp(lo, hi)), (a, b)


def _spy_demux(monkeypatch) -> list[tuple[int, Fraction, Fraction]]:
    """Record (stream, start, duration) in seconds of every packet the audio copier demuxes."""

    seen: list[tuple[int, Fraction, Fraction]] = []
    demux = AudioCopier._demux

    def spy(self):
        for p in demux(self):
            if p.pts is not None:
                seen.append((p.stream.index, p.pts * p.time_base, (p.duration or 0) * p.time_base))
            yield p

    monkeypatch.setattr(AudioCopier, "_demux", spy)
    return seen


@pytest.mark.parametrize("kind", ["mkv", "mov"])
def test_the_audio_copier_stops_reading_at_the_range_end(kind, tmp_path, monkeypatch):
    # a range early in the reel: the copier reads at most one packet past the range's end, not to
    # the end of the file, and the audio stays sample-exact
    from tests.core.fixtures_media import make_ffv1_mkv, make_prores_10bit

    if kind == "mkv":
        src = make_ffv1_mkv(tmp_path / "long.mkv", frames=72, size=(64, 32), audio=True)
    else:
        src = make_prores_10bit(tmp_path / "long.mov", frames=72, size=(64, 32))
    full = audio_samples(src)
    for a, b in [(10, 22), (30, 41)]:
        seen = _spy_demux(monkeypatch)
        out = tmp_path / f"part_{a}.mkv"
        run_to_end(export(src, out, "master", frame_range=(a, b)))
        t1 = Fraction(b * 1001, 24000)
        beyond = [start for _, start, _ in seen if start >= t1]
        assert len(beyond) <= 1, (a, b, len(beyond))
        assert seen and max(start + d for _, start, d in seen) > t1  # the range's end was read
        lo, hi = _range_samples(a, b)
        assert np.array_equal(audio_samples(out), full[:, lo:hi]), (a, b)


def _pcm_mkv(path, frames: int, packets: list[tuple[int, int]]):
    """FFV1 (64x32) + stereo PCM in Matroska, the audio the ramp in packets of (start, samples)."""
    from tests.core.fixtures_media import picture

    fps = Fraction(24000, 1001)
    with av.open(str(path), "w", format="matroska") as c:
        vs = c.add_stream("ffv1", rate=fps)
        vs.width, vs.height, vs.pix_fmt = 64, 32, "yuv422p10le"
        vs.codec_context.time_base = 1 / fps
        aus = c.add_stream("pcm_s16le", rate=48000)
        aus.layout = "stereo"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(picture(i % 8, 64, 32), format="rgb48le").reformat(format="yuv422p10le")
            frame.pts, frame.time_base = i, 1 / fps
            for p in vs.encode(frame):
                c.mux(p)
        for p in vs.encode(None):
            c.mux(p)
        for s0, n in packets:
            af = av.AudioFrame.from_ndarray(_ramp(s0, s0 + n).T.reshape(1, -1), format="s16", layout="stereo")
            af.sample_rate, af.pts, af.time_base = 48000, s0, Fraction(1, 48000)
            for p in aus.encode(af):
                c.mux(p)
        for p in aus.encode(None):
            c.mux(p)
    return path


def test_matroska_pcm_on_a_regular_grid_is_seeked_and_sample_exact(tmp_path, monkeypatch):
    # 20 s of 1024-sample packets (ms stamps): a late range is reached by a seek, the first packet
    # after it placed on the grid from its rounded stamp; also a source whose first packet is a
    # part packet (an exported range), so the grid's offset is not a multiple of its size
    from tests.core.fixtures_media import make_ffv1_mkv

    src = make_ffv1_mkv(tmp_path / "long.mkv", frames=480, size=(32, 16), audio=True)
    full = audio_samples(src)
    for a, b in [(400, 412), (241, 250), (470, 480)]:
        seen = _spy_demux(monkeypatch)
        out = tmp_path / f"part_{a}.mkv"
        run_to_end(export(src, out, "master", frame_range=(a, b)))
        lo, hi = _range_samples(a, b)
        assert np.array_equal(audio_samples(out), full[:, lo:hi]), (a, b)
        t0 = Fraction(a * 1001, 24000)
        # the grid's first packets, then from about a second before the range
        assert len(seen) < 8 + 48 * 3 + (hi - lo) // 1024, (a, b, len(seen))
        assert sum(start < t0 - 3 for _, start, _ in seen) <= 8, (a, b)
    cut = tmp_path / "cut.mkv"
    run_to_end(export(src, cut, "master", frame_range=(7, 470)))
    seen = _spy_demux(monkeypatch)
    out = tmp_path / "of_cut.mkv"
    run_to_end(export(cut, out, "master", frame_range=(380, 400)))  # source frames 387..407
    lo, hi = _range_samples(387, 407)
    assert np.array_equal(audio_samples(out), full[:, lo:hi])
    assert sum(start < Fraction(380 * 1001, 24000) - 3 for _, start, _ in seen) <= 8


@pytest.mark.parametrize("kind", ["sizes", "gap"])
def test_irregular_matroska_pcm_is_counted_from_the_start_and_sample_exact(kind, tmp_path, monkeypatch):
    # not a grid where the copier seeks: 1000-sample packets turning 1024 after 0.625 s; or a gap
    # at 1.5 s to a start 480 samples (10 ms, so the stamps stay exact) off the 1000-sample grid:
    # placed by the grid both would be off; the copier reads from the start and stays exact
    if kind == "sizes":
        packets = [(i * 1000, 1000) for i in range(30)] + [(30000 + i * 1024, 1024) for i in range(200)]
    else:
        packets = [(i * 1000, 1000) for i in range(72)] + [(72480 + i * 1000, 1000) for i in range(150)]
    src = _pcm_mkv(tmp_path / f"{kind}.mkv", 96, packets)
    for a, b in [(72, 84), (60, 90)]:
        seen = _spy_demux(monkeypatch)
        out = tmp_path / f"part_{a}.mkv"
        run_to_end(export(src, out, "master", frame_range=(a, b)))
        lo, hi = _range_samples(a, b)
        assert np.array_equal(audio_samples(out), _ramp(lo, hi)), (kind, a, b)
        before = sum(s + n <= lo for s, n in packets)
        assert sum(start < Fraction(a * 1001, 24000) - 1 for _, start, _ in seen) >= before - 48, (kind, a, b)


def test_matroska_audio_seek_goes_by_the_pictures_cues(tmp_path):
    # Matroska's cues index the picture only; a seek on the (audio-only) demuxer's default stream
    # reads every cluster up to the point, indexing the audio as it goes (774 entries by 16.5 s;
    # by the cues: the first packets and those from 15 s, 87)
    from tests.core.fixtures_media import make_ffv1_mkv

    src = make_ffv1_mkv(tmp_path / "long.mkv", frames=480, size=(32, 16), audio=True)
    with av.open(str(tmp_path / "out.mkv"), "w", format="matroska") as out:
        copier = AudioCopier(src, out, Fraction(16), Fraction(17), None)
        copier.pump(Fraction(1, 2), out)
        assert len(copier._in.streams.audio[0].index_entries) < 150
        copier.finish(out)
    assert audio_samples(tmp_path / "out.mkv").shape == (2, 48000)
