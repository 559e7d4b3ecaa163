"""Every render honours the review pass's decisions (they act through project.repair_mask)."""

from __future__ import annotations

import json

import numpy as np

from restoration_core.progress import run_to_end
from restoration_core.project import Project
from restoration_core.project.decisions import ACCEPTED, REJECTED, decide, items_in_frame
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec
from tests.core.jobs import fakes


def test_rejected_regions_are_left_as_scanned_and_accepted_ones_repaired(tmp_path):
    clip_path = fakes.make_clip(tmp_path / "reel.npy", frames=8)
    src = np.load(clip_path)
    project = Project.create(tmp_path / "film.reelwright")
    reel = project.add_reel(clip_path, info={"frames": 8, "width": 64, "height": 48}, fixity=False)
    clip = project.add_clip(reel.id, 2, 6, settings={"engine": "temporal"})
    for p in fakes.detect_reel(fakes.Reel(str(reel.path)), {}, frame_range=(2, 6)):
        project.set_detection(reel.id, p.payload.index, p.payload.mask, p.payload.defects, p.payload.flicker)
    painted = np.zeros((48, 64), bool)
    painted[30:34, 40:46] = True
    project.masks.set(reel.id, 4, "painted", painted)
    detected = [i for f in range(2, 6) for i in items_in_frame(project, reel.id, f) if i.source == "detected"]
    assert len(detected) >= 2
    rejected, accepted = detected[0], detected[1]
    decide(project, rejected, REJECTED)
    decide(project, accepted, ACCEPTED)
    (region,) = [i for i in items_in_frame(project, reel.id, 4) if i.source == "painted"]
    decide(project, region, REJECTED)
    project.save()

    spec = JobSpec(project=str(project.folder), clip=clip.id, output=str(tmp_path / "o.npy"))
    run_to_end(render(spec, engines=fakes.engines()))
    out = np.load(tmp_path / "o.npy")
    for item, kept in ((rejected, True), (region, True), (accepted, False)):
        x, y, w, h = item.bbox
        same = np.array_equal(out[item.frame - 2, y:y + h, x:x + w], src[item.frame, y:y + h, x:x + w])
        assert same == kept, (item.kind, item.frame, item.bbox)
    done = json.loads((tmp_path / "o.report.json").read_text())["interventions"]
    boxes = {(i["frame"], tuple(i["bbox"])) for i in done}
    assert (rejected.frame, rejected.bbox) not in boxes and (accepted.frame, accepted.bbox) in boxes
