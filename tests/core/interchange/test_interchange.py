"""OTIO round trip of project clips; OTIO and CMX 3600 EDL import create clips."""

from __future__ import annotations

import json
from fractions import Fraction

import opentimelineio as otio
import pytest

from restoration_core.defects import Intervention
from restoration_core.errors import InputError, OutputError
from restoration_core.interchange import export_otio, import_cut_list, parse_edl
from restoration_core.project import Project


def make_project(tmp_path, name="p", fps="24000/1001", tc="01:00:00:00"):
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    src = media / "reel_one.mkv"
    src.write_bytes(b"not decoded in these tests")
    project = Project.create(tmp_path / f"{name}.reelwright")
    info = {"fps": fps, "frames": 500, "timecode": tc, "width": 64, "height": 48}
    reel = project.add_reel(src, info=info, sha256="ab" * 32)
    return project, reel


def test_otio_round_trips_clips(tmp_path):
    project, reel = make_project(tmp_path)
    a = project.add_clip(reel.id, 10, 58, name="Opening titles", settings={"engine": "temporal", "feather": 3},
                         notes="heavy dust on the titles; scratch at 00:00:01")
    project.add_clip(reel.id, 100, 101, name="Single frame")
    items = [Intervention(12, (1, 2, 3, 4), 10, "dust", "temporal", None, (11, 13)),
             Intervention(13, (5, 5, 2, 2), 4, "scratch", "diffusion", None, (), 7)]
    project.record_restore(reel.id, (10, 58), items, (48, 64), clip_id=a.id, output="/out/a.mkv")
    out = export_otio(project, tmp_path / "cut.otio")
    tl = otio.adapters.read_from_file(str(out))
    clips = list(tl.find_clips())
    assert [c.name for c in clips] == ["Opening titles", "Single frame"]
    rate = 24000 / 1001
    assert clips[0].source_range.start_time == otio.opentime.RationalTime(86400 + 10, rate)  # 01:00:00:00 + 10
    assert clips[0].source_range.duration.value == 48
    meta = clips[0].metadata["reelwright"]
    assert meta["notes"].startswith("heavy dust") and meta["settings"]["feather"] == 3
    assert meta["restores"][0]["interventions"] == 2 and meta["restores"][0]["by_kind"] == {"dust": 1, "scratch": 1}
    with pytest.raises(OutputError, match="already exists"):
        export_otio(project, out)
    # into a second project with the same reel: same clips back
    other, _ = make_project(tmp_path, "q")
    new = import_cut_list(other, out)
    assert [(c.name, c.in_frame, c.out_frame, c.notes, c.settings) for c in new] == [
        (c.name, c.in_frame, c.out_frame, c.notes, c.settings) for c in project.clips]


def test_foreign_otio_is_read_against_the_available_range(tmp_path):
    project, reel = make_project(tmp_path, fps="24", tc="10:00:00:00")
    rate = 24.0
    start = 10 * 3600 * 24
    ref = otio.schema.ExternalReference(
        target_url=reel.path.as_uri(),
        available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                                 otio.opentime.RationalTime(500, rate)))
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(otio.schema.Clip(name="Shot 1", media_reference=ref, source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(start + 30, rate), otio.opentime.RationalTime(20, rate))))
    track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(duration=otio.opentime.RationalTime(5, rate))))
    tl = otio.schema.Timeline(name="editor")
    tl.tracks.append(track)
    path = tmp_path / "editor.otio"
    otio.adapters.write_to_file(tl, str(path))
    [clip] = import_cut_list(project, path)
    assert (clip.name, clip.in_frame, clip.out_frame) == ("Shot 1", 30, 50)


EDL = """TITLE: RESTORATION PULLS
FCM: NON-DROP FRAME

001  REEL_ONE V     C        01:00:01:00 01:00:02:12 00:00:00:00 00:00:01:12
* FROM CLIP NAME: Opening
* COMMENT: dust on the titles
002  REEL_ONE AA    C        01:00:01:00 01:00:02:12 00:00:00:00 00:00:01:12
003  BL       V     C        00:00:00:00 00:00:01:00 00:00:01:12 00:00:02:12
004  REEL_ONE V     C        01:00:10:00 01:00:10:00 00:00:02:12 00:00:02:12
004  REEL_ONE V     D    024 01:00:12:00 01:00:14:00 00:00:02:12 00:00:04:12
M2   REEL_ONE       048.0    01:00:12:00
"""


def test_edl_parses_video_events():
    events = parse_edl(EDL.replace("01:00:10:00 01:00:10:00", "01:00:10:00 01:00:10:01"), Fraction(24))
    assert [e.name for e in events] == ["Opening", "RESTORATION PULLS 004", "RESTORATION PULLS 004"]
    first = events[0]
    assert first.reel_name == "REEL_ONE" and first.duration == 36 and first.notes == "dust on the titles"
    assert first.source_start == 3600 * 24 + 24
    assert events[2].duration == 48
    with pytest.raises(InputError, match="not after"):
        parse_edl(EDL, Fraction(24))  # event 004's zero-length cut
    with pytest.raises(InputError, match="not a CMX 3600 event"):
        parse_edl("001 what is this\n", Fraction(24))


def test_edl_import_creates_clips(tmp_path):
    project, reel = make_project(tmp_path, fps="24")
    path = tmp_path / "pulls.edl"
    path.write_text(EDL.replace("01:00:10:00 01:00:10:00", "01:00:10:00 01:00:10:01"))
    clips = import_cut_list(project, path)
    assert [(c.name, c.in_frame, c.out_frame) for c in clips] == [
        ("Opening", 24, 60), ("RESTORATION PULLS 004", 240, 241), ("RESTORATION PULLS 004", 288, 336)]
    assert clips[0].notes == "dust on the titles" and len(project.clips) == 3
    # a cut past the end of the reel adds nothing at all
    path.write_text(EDL.replace("01:00:12:00 01:00:14:00", "01:00:12:00 01:01:14:00")
                    .replace("01:00:10:00 01:00:10:00", "01:00:10:00 01:00:10:01"))
    with pytest.raises(InputError, match="outside reel"):
        import_cut_list(project, path)
    assert len(project.clips) == 3
    json.dumps([c.to_dict() for c in project.clips])


def test_cli_export_and_import(tmp_path, capsys):
    from restoration_core.cli import main

    project, reel = make_project(tmp_path)
    project.add_clip(reel.id, 5, 15, name="A")
    project.save()
    out = tmp_path / "a.otio"
    assert main(["otio", "export", str(project.folder), "-o", str(out)]) == 0
    assert main(["otio", "export", str(project.folder), "-o", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    other, _ = make_project(tmp_path, "q")
    other.save()
    assert main(["otio", "import", str(other.folder), str(out)]) == 0
    assert Project.load(other.folder).clips[0].name == "A"
    assert main(["otio", "import", str(other.folder), str(tmp_path / "none.edl")]) == 2
    assert "does not exist" in capsys.readouterr().err
