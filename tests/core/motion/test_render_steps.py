"""The frame steps in the real render: --rebuild and --stabilize through the CLI, into the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.errors import InputError
from restoration_core.media import open_reel
from restoration_core.render.spec import JobSpec, parse_frame_list
from restoration_core.restore.settings import RestoreSettings
from tests.core.fixtures_media import make_png_sequence


def frames_of(path) -> list[np.ndarray]:
    reel = open_reel(path)
    try:
        return [f.data for f in reel.frames()]
    finally:
        reel.close()


def test_parse_frame_list_and_settings():
    assert parse_frame_list("12,40:43") == [12, 40, 41, 42]
    assert parse_frame_list([5, 3]) == [3, 5]
    for bad in ("4,x", "3:", "-2"):
        with pytest.raises(InputError):
            parse_frame_list(bad)
    spec = JobSpec(output="o.mov", input="i.mov", settings={"rebuild": "1,4:6"})
    assert spec.settings["rebuild"] == [1, 4, 5]
    with pytest.raises(InputError):
        RestoreSettings(stabilize_smooth=1)


def test_rebuild_and_stabilize_through_the_cli(tmp_path):
    make_png_sequence(tmp_path / "src", frames=8, size=(96, 64))
    source = str(tmp_path / "src" / "frame_%06d.png")
    src = frames_of(source)
    out = tmp_path / "out"
    assert main(["restore", source, "-o", str(out), "--preset", "png", "--no-detect", "--rebuild", "3"]) == 0
    got = frames_of(out)
    assert len(got) == 8
    for k in range(8):
        if k != 3:
            assert np.array_equal(got[k], src[k]), k  # every other frame bit-exact
    assert got[3].dtype == np.uint16 and not np.array_equal(got[3], src[3])
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert report["extra"]["rebuilt"] == [{"frame": 3, "method": "interpolation", "sources": [2, 4], "area": "frame"}]
    assert [(i["frame"], i["kind"], i["source_frames"]) for i in report["interventions"]] == [(3, "rebuild", [2, 4])]

    out2 = tmp_path / "stab"
    assert main(["restore", source, "-o", str(out2), "--preset", "png", "--no-detect", "--stabilize",
                 "--stabilize-smooth", "4", "--report", str(tmp_path / "stab.json")]) == 0
    report = json.loads((tmp_path / "stab.json").read_text())
    st = report["extra"]["stabilization"]
    assert st["smooth"] == 4 and [f["frame"] for f in st["frames"]] == list(range(8))
    assert {"dx", "dy", "angle", "scale", "matrix"} <= set(st["frames"][0])
    assert sum(i["kind"] == "stabilize" for i in report["interventions"]) == 8
    assert "rebuild_candidates" in report["extra"]["frame_defects"]
    assert len(frames_of(out2)) == 8


def test_bad_rebuild_list_is_one_clear_error(tmp_path, capsys):
    make_png_sequence(tmp_path / "src", frames=6, size=(64, 48))
    source = str(tmp_path / "src" / "frame_%06d.png")
    assert main(["restore", source, "-o", str(tmp_path / "o"), "--preset", "png", "--no-detect",
                 "--rebuild", "1:5"]) == 2
    err = capsys.readouterr().err
    assert "at most 3" in err and not (tmp_path / "o").exists()


def test_repair_tears_through_the_cli(tmp_path):
    import cv2

    files = make_png_sequence(tmp_path / "src", frames=8, size=(96, 64))
    torn = cv2.imread(str(files[4]), cv2.IMREAD_UNCHANGED)
    torn[30:56, 8:40] = 65535  # a burnt hole, 13% of the frame
    cv2.imwrite(str(files[4]), torn)
    source = str(tmp_path / "src" / "frame_%06d.png")
    src = frames_of(source)
    out = tmp_path / "out"
    assert main(["restore", source, "-o", str(out), "--preset", "png", "--no-detect", "--repair-tears"]) == 0
    got = frames_of(out)
    report = json.loads((tmp_path / "out.report.json").read_text())
    tears = [i for i in report["interventions"] if i["kind"] == "tear"]
    assert [(t["frame"], t["source_frames"]) for t in tears] == [(4, [3, 5])]
    x, y, w, h = tears[0]["bbox"]
    assert x <= 8 and y <= 30 and x + w >= 40 and y + h >= 56
    outside = np.ones(src[4].shape[:2], bool)
    outside[max(0, y - 4):y + h + 4, max(0, x - 4):x + w + 4] = False
    assert np.array_equal(got[4][outside], src[4][outside])
    assert got[4][40, 20].max() < 60000  # the hole is filled
    assert all(np.array_equal(got[k], src[k]) for k in range(8) if k != 4)


def test_job_file_keys(tmp_path):
    from restoration_core.render.spec import load_job_file

    (tmp_path / "jobs.toml").write_text(
        '[defaults]\nstabilize = true\nstabilize_smooth = 30\n\n'
        '[[job]]\ninput = "a.mov"\noutput = "a_out.mov"\nrebuild = "12,40:43"\nrepair_tears = true\n')
    (spec,) = load_job_file(tmp_path / "jobs.toml")
    assert spec.settings == {"stabilize": True, "stabilize_smooth": 30, "rebuild": [12, 40, 41, 42],
                             "repair_tears": True}
    restore = RestoreSettings(**spec.settings)
    assert restore.rebuild == (12, 40, 41, 42) and restore.stabilize_smooth == 30


def test_report_crops_skip_stabilized_frames():
    from restoration_core.defects import Intervention
    from restoration_core.report.html import largest

    items = [Intervention(0, (0, 0, 96, 64), 96 * 64, "stabilize", "resample"),
             Intervention(0, (4, 4, 8, 8), 64, "dust", "temporal"),
             Intervention(1, (0, 0, 96, 64), 96 * 64, "rebuild", "interpolation", source_frames=(0, 2))]
    assert [i.kind for i in largest(items, 5)] == ["rebuild", "dust"]
