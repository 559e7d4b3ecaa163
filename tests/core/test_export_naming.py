"""Export naming: tokens, one job per preset, never overwrite unless asked."""

from __future__ import annotations

from fractions import Fraction

import pytest

from restoration_core.errors import InputError, OutputError
from restoration_core.render.naming import (
    ExportItem,
    destination_name,
    job_specs,
    plan_exports,
    resolve_destination,
)

ITEM = ExportItem(source="/scans/reel 1.mkv", reel="Reel 1", clip="Opening: titles", frame_range=(24, 48),
                  fps=Fraction(24), start_timecode="01:00:00:00")


def test_tokens_fill_the_name():
    assert destination_name(ITEM, "master") == "Reel_1_Opening_titles_01-00-01-00_master.mkv"
    name = destination_name(ITEM, "access", "{clip}-{in_tc}-{out_tc}.{preset}.{ext}")
    assert name == "Opening_titles-01-00-01-00-01-00-01-23.access.mp4"
    assert destination_name(ITEM, "png") == "Reel_1_Opening_titles_01-00-01-00_png"  # a sequence folder
    no_tc = ExportItem("/s.mkv", "r", "c", (0, 25), Fraction(25))
    assert destination_name(no_tc, "master", "{in_tc}_{out_tc}") == "00-00-00-00_00-00-00-24.mkv"


def test_bad_patterns_are_refused():
    with pytest.raises(InputError, match="unknown token"):
        destination_name(ITEM, "master", "{reel}_{date}")
    with pytest.raises(InputError, match="plain file name"):
        destination_name(ITEM, "master", "sub/{reel}")


def test_two_presets_make_two_jobs(tmp_path):
    plan = plan_exports([ITEM], ["master", "access"], tmp_path)
    assert [p.preset for p in plan] == ["master", "access"]
    assert [p.output.name for p in plan] == ["Reel_1_Opening_titles_01-00-01-00_master.mkv",
                                             "Reel_1_Opening_titles_01-00-01-00_access.mp4"]
    assert plan[0].report.name == "Reel_1_Opening_titles_01-00-01-00_master.report.json"
    specs = job_specs(plan)
    assert [s.preset for s in specs] == ["master", "access"]
    assert specs[0].frame_range == (24, 48) and specs[0].input == ITEM.source
    assert specs[1].output == str(plan[1].output) and specs[1].report == str(plan[1].report)
    assert not any(s.overwrite for s in specs), "the jobs, too, refuse a file that appears meanwhile"
    assert all(s.overwrite for s in job_specs(plan, overwrite=True))


def test_never_overwrites_unless_asked(tmp_path):
    existing = tmp_path / destination_name(ITEM, "master")
    existing.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists"):
        plan_exports([ITEM], ["master", "access"], tmp_path)
    with pytest.raises(OutputError, match="already exists"):
        resolve_destination(existing)
    assert existing.read_bytes() == b"precious"
    plan = plan_exports([ITEM], ["master"], tmp_path, overwrite=True)
    assert plan[0].output == existing
    # a pattern that gives two jobs the same name is refused before anything runs
    with pytest.raises(OutputError, match="same file"):
        plan_exports([ITEM], ["master", "access"], tmp_path, "{clip}.out", overwrite=True)
    with pytest.raises(OutputError, match="does not exist"):
        plan_exports([ITEM], ["master"], tmp_path / "missing")
    with pytest.raises(InputError):
        plan_exports([], ["master"], tmp_path)


def _png_sequence(folder, frames=5, size=(48, 64)):
    import cv2
    import numpy as np

    folder.mkdir()
    rng = np.random.default_rng(3)
    pics = []
    for k in range(frames):
        pic = rng.integers(0, 256, (*size, 3), dtype=np.uint8)
        cv2.imwrite(str(folder / f"scan_{k:04d}.png"), cv2.cvtColor(pic, cv2.COLOR_RGB2BGR))
        pics.append(pic)
    return pics


def _decode(path):
    from restoration_core.media import open_reel

    with open_reel(path) as reel:
        return [f.data for f in reel.frames()]


def test_two_preset_export_gives_identical_lossless_outputs(tmp_path):
    import json

    import numpy as np

    from restoration_core.progress import run_to_end
    from restoration_core.render.plan import run_plan

    pics = _png_sequence(tmp_path / "scan")
    item = ExportItem(str(tmp_path / "scan"), "scan", "Test clip", (1, 4), Fraction(24))
    out = tmp_path / "out"
    out.mkdir()
    plan = plan_exports([item], ["master", "png"], out)
    result = run_to_end(run_plan(plan, review={"layout": "split", "preset": "png"}))
    master, seq = (_decode(p.output) for p in plan)
    assert len(master) == len(seq) == 3
    for k in range(3):  # master and PNG copy decode to the same pixels, and to the source's
        assert np.array_equal(master[k], seq[k]) and np.array_equal(master[k], pics[1 + k])
    doc = json.loads(plan[0].report.read_text())
    assert doc["output"]["sha256"] == result.exports[0].sha256 and doc["interventions"] == []
    assert doc["source"]["frame_md5"] and doc["frame_range"] == [1, 4]
    [review] = result.reviews
    frames = _decode(review)
    assert len(frames) == 3 and frames[0].shape == pics[0].shape
    # exporting the same plan again is refused before anything is written
    with pytest.raises(OutputError, match="already exists"):
        plan_exports([item], ["master", "png"], out)


def _av_source(path, frames=6):
    import av
    import numpy as np

    with av.open(str(path), "w") as c:
        v = c.add_stream("ffv1", rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "bgr0"
        a = c.add_stream("pcm_s16le", rate=48000)
        a.layout = "stereo"
        for k in range(frames):
            pic = np.full((48, 64, 3), 20 * k, np.uint8)
            for pkt in v.encode(av.VideoFrame.from_ndarray(pic, format="rgb24")):
                c.mux(pkt)
            samples = np.zeros((1, 2000 * 2), np.int16)
            af = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
            af.sample_rate, af.pts = 48000, k * 2000
            for pkt in a.encode(af):
                c.mux(pkt)
        for s in (v, a):
            for pkt in s.encode():
                c.mux(pkt)


@pytest.mark.parametrize("audio", [True, False])
def test_audio_passthrough_can_be_turned_off(tmp_path, audio):
    import av

    from restoration_core.progress import run_to_end
    from restoration_core.render.plan import run_plan

    src = tmp_path / "src.mkv"
    _av_source(src)
    item = ExportItem(str(src), "src", "c", (0, 6), Fraction(24))
    [p] = plan_exports([item], ["master"], tmp_path)
    run_to_end(run_plan([p], reports=False, audio=audio))
    with av.open(str(p.output)) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == (1 if audio else 0)
