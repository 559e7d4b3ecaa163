"""Reports say where each region's mask came from (detected kind, painted, held) and how it was repaired."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration_core.detect import DetectSettings, detect_reel
from restoration_core.media import open_reel
from restoration_core.progress import run_to_end
from restoration_core.project import Project
from restoration_core.render.naming import ExportItem, job_specs, plan_exports
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec
from restoration_core.sample import make_sample_reel

DETECTED = {"dust", "dirt", "scratch", "blotch"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return make_sample_reel(tmp_path_factory.mktemp("sample"), frames=12, size=(64, 48))


def _box(y0, y1, x0, x1):
    m = np.zeros((48, 64), bool)
    m[y0:y1, x0:x1] = True
    return m


def _clean_spot(sample, frame):
    """A 4x4 spot of ``frame`` with no damage within 8 px (the sample's ground-truth masks)."""
    truth = cv2.imread(str(sample.parent / "masks" / f"{frame:06d}.png"), cv2.IMREAD_GRAYSCALE) > 0
    near = cv2.dilate(truth.astype(np.uint8), np.ones((13, 13), np.uint8)) > 0
    for y in range(2, 42):
        for x in range(2, 58):
            if not near[y - 2:y + 6, x - 2:x + 6].any():
                return y, x
    raise AssertionError("no clean spot in the sample frame")


def _at(items, frame, x, y):
    return [i for i in items if i["frame"] == frame and i["bbox"][0] <= x < i["bbox"][0] + i["bbox"][2]
            and i["bbox"][1] <= y < i["bbox"][1] + i["bbox"][3]]


def test_each_region_names_its_mask_source_and_method(sample, tmp_path):
    project = Project.create(tmp_path / "film.reelwright")
    reel = project.add_reel(sample, fixity=False)
    clip = project.add_clip(reel.id, 2, 10, settings={"engine": "classical"})
    py, px = _clean_spot(sample, 3)
    project.masks.set(reel.id, 3, "painted", _box(py, py + 4, px, px + 4))
    project.masks.hold(reel.id, 4, 7, _box(40, 44, 56, 60))
    project.save()
    spec = JobSpec(project=str(project.folder), clip=clip.id, output=str(tmp_path / "o.mkv"), preset="master")
    run_to_end(render(spec))
    items = json.loads((tmp_path / "o.report.json").read_text())["interventions"]
    assert [i["kind"] for i in _at(items, 3, px + 1, py + 1)] == ["painted"]
    with open_reel(sample) as src, open_reel(tmp_path / "o.mkv") as out:
        before, after = src.read(3).data, out.read(1).data
    ring = _box(py - 2, py + 6, px - 2, px + 6) & ~_box(py, py + 4, px, px + 4)
    assert np.array_equal(after[ring], before[ring]), "a painted mask is exact: not grown, not feathered"
    for f in (4, 5, 6):
        assert [i["kind"] for i in _at(items, f, 57, 41)] == ["held"], f
    rest = [i for i in items if not _at([i], 3, px + 1, py + 1) and not _at([i], i["frame"], 57, 41)]
    assert rest and {i["kind"] for i in rest} <= DETECTED, "automatic detections are named by kind"
    assert {i["method"] for i in items} == {"classical"}


def test_a_workbench_export_names_the_projects_detections_by_kind(sample, tmp_path):
    project = Project.create(tmp_path / "film.reelwright")
    reel = project.add_reel(sample, fixity=False)
    clip = project.add_clip(reel.id, 0, 12, settings={"engine": "temporal"})
    with open_reel(sample) as r:
        for p in detect_reel(r, DetectSettings()):
            fd = p.payload
            project.set_detection(reel.id, fd.index, fd.mask, fd.defects, fd.flicker)
    found = {d.kind for f in range(12) for d in project.defects(reel.id, f)}
    project.save()
    item = ExportItem(clip=clip.name, source=str(sample), frame_range=(0, 12), project=str(project.folder),
                      clip_id=clip.id, reel=reel.id)
    (folder := tmp_path / "out").mkdir()
    (spec,) = job_specs(plan_exports([item], ["master"], folder))   # detect=False: the reviewed masks
    run_to_end(render(spec))
    items = json.loads(open(spec.report).read())["interventions"]
    kinds = {i["kind"] for i in items}
    assert items and kinds <= DETECTED and "painted" not in kinds and kinds <= found
    methods = {i["method"] for i in items}
    assert methods & {"temporal", "classical"} and methods <= {"temporal", "classical", "none"}  # none: left for review
