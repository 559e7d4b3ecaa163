"""One mask truth: a project clip's repair mask is the project's rule in every render."""

from __future__ import annotations

import json

import numpy as np
import pytest

from restoration_core.progress import run_to_end
from restoration_core.project import Project
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec
from tests.core.jobs import fakes


@pytest.fixture
def eng():
    return fakes.engines()


def _project(tmp_path, frames=10, a=2, b=8):
    clip_path = fakes.make_clip(tmp_path / "reel.npy", frames=frames)
    project = Project.create(tmp_path / "film.reelwright")
    reel = project.add_reel(clip_path, info={"frames": frames, "width": 64, "height": 48}, fixity=False)
    clip = project.add_clip(reel.id, a, b, settings={"engine": "temporal"})
    return project, reel, clip, np.load(clip_path)


def _detect_in_project(project, reel, frames):
    src = fakes.Reel(str(reel.path))
    for p in fakes.detect_reel(src, {}, frame_range=frames):
        fd = p.payload
        project.set_detection(reel.id, fd.index, fd.mask, fd.defects, fd.flicker)


def _job(project, clip, out, **kw):
    return JobSpec(project=str(project.folder), clip=clip.id, output=str(out), **kw)


def test_a_clip_whose_detections_are_all_rejected_renders_untouched(tmp_path, eng):
    project, reel, clip, src = _project(tmp_path)
    _detect_in_project(project, reel, (2, 8))
    for f in range(2, 8):
        assert project.defects(reel.id, f), "the fake reel has specks on every frame"
        project.reject(reel.id, f)
    project.save()
    spec = _job(project, clip, tmp_path / "o.npy")   # detect=True, the default
    result = run_to_end(render(spec, engines=eng))
    assert result.interventions == 0
    assert np.array_equal(np.load(tmp_path / "o.npy"), src[2:8]), "output == source pixels"
    report = json.loads((tmp_path / "o.report.json").read_text())
    assert report["interventions"] == []


def test_frames_the_project_never_detected_are_detected_and_follow_the_rule(tmp_path, eng):
    project, reel, clip, src = _project(tmp_path)
    _detect_in_project(project, reel, (2, 5))
    for f in range(2, 5):
        project.reject(reel.id, f)
    project.save()
    run_to_end(render(_job(project, clip, tmp_path / "o.npy"), engines=eng))
    report = json.loads((tmp_path / "o.report.json").read_text())
    assert sorted({i["frame"] for i in report["interventions"]}) == [5, 6, 7]
    out = np.load(tmp_path / "o.npy")
    assert np.array_equal(out[:3], src[2:5])
    assert not np.any(np.all(out[3:] == 255, axis=3)), "the unreviewed frames' specks are repaired"


def test_a_taken_back_repair_stays_taken_back(tmp_path, eng):
    project, reel, clip, src = _project(tmp_path)
    project.save()
    first = run_to_end(render(_job(project, clip, tmp_path / "a.npy"), engines=eng))
    record = project.record_render_report(first.report)
    taken = project.interventions(record.id)[0]
    project.revoke_intervention(record.id, 0)
    project.save()
    run_to_end(render(_job(project, clip, tmp_path / "b.npy"), engines=eng))
    out = np.load(tmp_path / "b.npy")
    x, y, w, h = taken.bbox
    k = taken.frame - 2
    assert np.array_equal(out[k, y:y + h, x:x + w], src[taken.frame, y:y + h, x:x + w]), "left as scanned"
    again = json.loads((tmp_path / "b.report.json").read_text())["interventions"]
    assert len(again) == first.interventions - 1 and taken.frame not in {i["frame"] for i in again}


def test_batch_with_a_project_clip_keeps_rejections(tmp_path, monkeypatch):
    from restoration_core.cli import main
    from restoration_core.render import engines as engines_module

    monkeypatch.setattr(engines_module, "DEFAULT_ENGINES", "tests.core.jobs.fakes")
    project, reel, clip, src = _project(tmp_path)
    _detect_in_project(project, reel, (2, 8))
    for f in range(2, 8):
        project.reject(reel.id, f)
    project.save()
    (tmp_path / "jobs.toml").write_text(
        f'[[job]]\nproject = "film.reelwright"\nclip = "{clip.id}"\noutput = "o.npy"\n')
    assert main(["batch", str(tmp_path / "jobs.toml"), "--workers", "1", "--queue", str(tmp_path / "q.json")]) == 0
    assert np.array_equal(np.load(tmp_path / "o.npy"), src[2:8])
    assert json.loads((tmp_path / "o.report.json").read_text())["interventions"] == []
