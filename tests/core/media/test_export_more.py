"""More round trips: 8-bit numpy masters, drop-frame timecode, 10-bit DPX, cancel, EXR input."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from restoration_core.errors import Cancelled
from restoration_core.media import open_reel, open_writer, probe
from restoration_core.media.fixity import decoded_md5s, read_framemd5
from restoration_core.progress import CancelToken, run_to_end
from restoration_core.render.export import export
from tests.core.fixtures_media import make_dpx_sequence, make_exr_sequence, make_prores_10bit


def test_8bit_numpy_master_is_exact_and_manifest_matches(h264, tmp_path):
    out = tmp_path / "m.mkv"
    with open_reel(h264) as reel:
        frames = [f.data for f in reel.frames()]
        writer = open_writer(out, "master", reel.info, audio_source=h264)
        for data in frames:
            writer.write(data)
        result = writer.commit()
    with av.open(str(out)) as c:
        back = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert all(np.array_equal(a, b) for a, b in zip(frames, back, strict=True))
    assert read_framemd5(result.manifest_path) == [m for m, _ in decoded_md5s(out)]


@pytest.mark.parametrize("ext, preset", [(".mkv", "master"), (".mov", "mezzanine")])
def test_drop_frame_timecode_is_carried_and_shifted(tmp_path, ext, preset):
    src = make_prores_10bit(tmp_path / "df.mov", 6, fps=Fraction(30000, 1001), timecode="00:59:59;28", audio=False)
    assert probe(src).timecode == "00:59:59;28"
    out = tmp_path / f"out{ext}"
    result = run_to_end(export(src, out, preset, frame_range=(2, 5)))
    assert result.timecode == probe(out).timecode == "01:00:00;00"
    assert probe(out).fps == Fraction(30000, 1001)


def test_10bit_dpx_stays_10bit_and_exact(tmp_path):
    make_dpx_sequence(tmp_path / "d10", frames=3, with_gap=False, bits=10)
    info = probe(tmp_path / "d10")
    assert info.bit_depth == 10 and info.pix_fmt == "gbrp10le"
    run_to_end(export(tmp_path / "d10", tmp_path / "out", "dpx"))
    pairs = zip(sorted((tmp_path / "d10").iterdir()), sorted((tmp_path / "out").iterdir()), strict=True)
    for a, b in pairs:
        fa = av.CodecContext.create("dpx", "r").decode(av.Packet(a.read_bytes()))[0]
        fb = av.CodecContext.create("dpx", "r").decode(av.Packet(b.read_bytes()))[0]
        assert fb.format.name == "gbrp10le"
        assert all(bytes(x) == bytes(y) for x, y in zip(fa.planes, fb.planes, strict=True))


def test_cancelled_export_leaves_nothing(prores, tmp_path):
    token = CancelToken()
    task = export(prores, tmp_path / "x.mkv", "master", cancel=token)
    next(task)
    token.cancel()
    with pytest.raises(Cancelled):
        run_to_end(task)
    assert list(tmp_path.iterdir()) == []


def test_closing_the_generator_leaves_nothing(prores, tmp_path):
    task = export(prores, tmp_path / "seq", "png")
    next(task)
    task.close()
    assert list(tmp_path.iterdir()) == []


def test_exr_sequence_reads_as_uint16(tmp_path):
    make_exr_sequence(tmp_path / "exr", frames=3)
    with open_reel(tmp_path / "exr") as reel:
        assert reel.info.frames == 3 and reel.info.format == "exr_sequence"
        data = reel.read(1).data
    assert data.dtype == np.uint16 and data.shape == (48, 64, 3)
    assert 0 < int(data.max()) <= 65535


def test_sequence_output_refuses_non_empty_folder(prores, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    from restoration_core.errors import OutputError

    with pytest.raises(OutputError, match="not empty"):
        run_to_end(export(prores, tmp_path / "busy", "tiff"))
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"


def test_sequence_output_as_printf_pattern_keeps_source_numbers(tmp_path):
    from tests.core.fixtures_media import make_png_sequence

    make_png_sequence(tmp_path / "src", frames=4, start=100, step=2, bits=8)
    result = run_to_end(export(tmp_path / "src", tmp_path / "out" / "shot_%04d.png", "png", frame_range=(1, 3)))
    assert result.path == tmp_path / "out"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["shot_0102.png", "shot_0104.png"]
    info = probe(tmp_path / "out")
    assert (info.start_number, info.step, info.bit_depth) == (102, 2, 8)
    sums = (tmp_path / "out.sha256").read_text().splitlines()
    assert [line.split()[1] for line in sums] == ["out/shot_0102.png", "out/shot_0104.png"]


def test_range_audio_follows_video_start_time_in_mpegts(tmp_path):
    from tests.core.fixtures_media import _video_file, audio_samples

    src = _video_file(tmp_path / "clip.ts", "mpegts", "libx264", "yuv420p", 25, Fraction(25), (96, 64), None,
                      ("aac", "fltp"), {"g": "5", "bf": "0"}, bits=8)
    assert probe(src).audio and float(probe(src).audio[0].duration_s or 1) > 0.9
    out = tmp_path / "part.mkv"
    run_to_end(export(src, out, "master", frame_range=(5, 20)))
    samples = audio_samples(out)
    assert abs(samples.shape[1] - 15 / 25 * 48000) <= 2 * 1024


def test_dpx_output_carries_timecode_and_rate(prores, tmp_path):
    from restoration_core.media.dpx import read_industry_headers

    result = run_to_end(export(prores, tmp_path / "dpx", "dpx", frame_range=(2, 5)))
    files = sorted((tmp_path / "dpx").iterdir())
    assert [read_industry_headers(f)[0] for f in files] == ["01:00:00:02", "01:00:00:03", "01:00:00:04"]
    info = probe(tmp_path / "dpx")
    assert info.timecode == result.timecode == "01:00:00:02" and info.fps == Fraction(24000, 1001)
    assert info.bit_depth == 10
    with open_reel(tmp_path / "dpx") as out, open_reel(prores) as src:
        diff = np.abs(out.read(1).data.astype(int) - src.read(3).data.astype(int))
        assert diff.max() <= 64  # 16-bit RGB decode stored at 10 bits


def test_writer_stops_audio_with_the_last_frame(prores, tmp_path):
    from tests.core.fixtures_media import audio_samples

    with open_reel(prores) as reel:
        writer = open_writer(tmp_path / "short.mkv", "master", reel.info, audio_source=prores)
        for f in reel.frames(0, 6):
            writer.write(f.data)
        writer.commit()
    assert audio_samples(tmp_path / "short.mkv").shape[1] == round(6 * 1001 / 24000 * 48000)


def test_export_of_sequence_with_gaps_says_so(tiff_seq, tmp_path):
    task = export(tiff_seq, tmp_path / "m.mkv", "master")
    notes = []
    try:
        while True:
            p = next(task)
            notes.append(p.message)
    except StopIteration as stop:
        result = stop.value
    assert any("missing frame number" in n for n in notes) and result.frames == 6


def test_colour_tags_survive_a_lossless_master(tmp_path):
    """A BT.709-tagged source decodes to the same RGB from the master (tags copied, not guessed)."""
    from tests.core.fixtures_media import picture, rgb48_frames

    src = tmp_path / "tagged.mkv"
    with av.open(str(src), "w") as c:
        s = c.add_stream("ffv1", rate=24)
        s.width, s.height, s.pix_fmt = 96, 64, "yuv422p10le"
        s.codec_context.colorspace = s.codec_context.color_primaries = s.codec_context.color_trc = 1
        for i in range(3):
            f = av.VideoFrame.from_ndarray(picture(i), format="rgb48le").reformat(format="yuv422p10le",
                                                                                  dst_colorspace="itu709")
            f.pts, f.time_base = i, Fraction(1, 24)
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    assert probe(src).color["colorspace"] == 1
    run_to_end(export(src, tmp_path / "m.mkv", "master"))
    assert probe(tmp_path / "m.mkv").color == probe(src).color
    assert all(np.array_equal(a, b) for a, b in zip(rgb48_frames(src), rgb48_frames(tmp_path / "m.mkv"),
                                                     strict=True))


@pytest.mark.parametrize("bits", [16, 8])
def test_sequence_to_master_is_lossless(tmp_path, bits):
    from tests.core.fixtures_media import make_png_sequence, picture

    make_png_sequence(tmp_path / "png", frames=3, bits=bits)
    run_to_end(export(tmp_path / "png", tmp_path / "m.mkv", "master"))
    fmt = "rgb48le" if bits == 16 else "rgb24"
    with av.open(str(tmp_path / "m.mkv")) as c:
        back = [f.to_ndarray(format=fmt) for f in c.decode(video=0)]
    assert all(np.array_equal(b, picture(k, 80, 48, bits=bits)) for k, b in enumerate(back))
    assert len(back) == 3
