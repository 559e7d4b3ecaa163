"""History: restore records keep enough to take back one intervention later."""

from __future__ import annotations

import json

import numpy as np
import pytest

from restoration_core.defects import Defect, Intervention
from restoration_core.project import Project
from restoration_core.project.decisions import recorded_repairs

SHAPE = (20, 30)


def box(y, x, h, w):
    m = np.zeros(SHAPE, bool)
    m[y : y + h, x : x + w] = True
    return m


def test_restore_record_and_revoking_one_intervention(project):
    dust, hair, painted = box(2, 2, 3, 3), box(10, 20, 6, 1), box(12, 5, 4, 4)
    project.set_detection("r1", 4, dust, [Defect(4, (2, 2, 3, 3), 9, "dust", "dark", 0.9, id=1)])
    project.masks.hold("r1", 0, 10, hair)
    project.masks.set("r1", 4, "painted", painted)
    everything = dust | hair | painted
    np.testing.assert_array_equal(project.repair_mask("r1", 4, SHAPE), everything)
    done = [
        Intervention(4, (2, 2, 3, 3), 9, "dust", "temporal", source_frames=(3, 5)),
        Intervention(4, (20, 10, 1, 6), 6, "scratch", "classical"),
        Intervention(4, (5, 12, 4, 4), 16, "painted", "diffusion", seed=7),
    ]
    rec = project.record_restore(
        "r1", (0, 10), done, SHAPE, clip_id=None, output="out.mkv", settings={"steps": 4}
    )
    assert set(rec.params["mask_digests"]) == {str(f) for f in range(10)}  # every frame with a mask
    project.save()

    loaded = Project.load(project.folder)
    assert loaded.interventions(rec.id) == done
    loaded.revoke_intervention(rec.id, 1)  # the held hair on frame 4 only
    np.testing.assert_array_equal(loaded.repair_mask("r1", 4, SHAPE), dust | painted)
    np.testing.assert_array_equal(loaded.repair_mask("r1", 5, SHAPE), hair)  # other frames keep it
    loaded.revoke_intervention(rec.id, 2)  # painted: the painting is erased there
    np.testing.assert_array_equal(loaded.repair_mask("r1", 4, SHAPE), dust)
    assert loaded.masks.get("r1", 4, "painted") is None
    assert [h.op for h in loaded.history] == ["restore", "revoke_intervention", "revoke_intervention"]
    loaded.save()

    again = Project.load(project.folder)
    np.testing.assert_array_equal(again.repair_mask("r1", 4, SHAPE), dust)
    again.undo.undo()  # revocations are undoable, after a reload too
    again.undo.undo()
    np.testing.assert_array_equal(again.repair_mask("r1", 4, SHAPE), everything)
    again.undo.redo()
    np.testing.assert_array_equal(again.repair_mask("r1", 4, SHAPE), dust | painted)
    with pytest.raises(IndexError):
        again.revoke_intervention(rec.id, 3)
    with pytest.raises(KeyError):
        again.interventions(2)  # a revoke record, not a restore


def test_a_render_report_is_recorded_once_and_its_repairs_are_listed_per_frame(project, tmp_path):
    report = {"created": "2026-12-01T08:00:00+00:00", "reel": "r1", "clip": None, "frame_range": [3, 6],
              "output": str(tmp_path / "out.mkv"), "settings": {"engine": "auto"},
              "interventions": [Intervention(4, (2, 2, 3, 3), 9, "dust", "temporal", source_frames=(3, 5)).to_dict(),
                                Intervention(5, (1, 1, 2, 2), 4, "dirt", "classical").to_dict()]}
    rec = project.record_render_report(tmp_path / "out.report.json", report)
    (tmp_path / "out.report.json").write_text(json.dumps(report))
    assert project.record_render_report(tmp_path / "out.report.json") is rec, "read again from the file: kept once"
    assert [h.op for h in project.history] == ["restore"]
    (only,) = project.repairs_in_frame("r1", 4)
    assert only[:2] == (rec.id, 0) and only[2].source_frames == (3, 5) and only[3] is False
    assert project.repairs_in_frame("r1", 3) == [] and project.repairs_in_frame("other", 4) == []
    project.revoke_intervention(rec.id, 1)
    assert project.repairs_in_frame("r1", 5)[0][3] is True, "taken back"
    assert project.record_render_report(None, {**report, "reel": None}) is None


def test_an_undone_take_back_stands_repaired_again_in_the_history(project):
    """Undo and redo of a take-back are recorded: the repair lists read the latest of them."""
    done = [Intervention(4, (2, 2, 3, 3), 9, "dust", "temporal", source_frames=(3, 5)),
            Intervention(4, (20, 10, 1, 6), 6, "scratch", "classical")]
    rec = project.record_restore("r1", (0, 10), done, SHAPE, clip_id=None, output="out.mkv", settings={})

    def taken_back():
        in_frame = [t for _r, _k, _iv, t in project.repairs_in_frame("r1", 4)]
        assert in_frame == [r.taken_back for r in recorded_repairs(project, rec.id)]
        return in_frame

    project.revoke_intervention(rec.id, 1)
    assert taken_back() == [False, True]
    project.undo.undo()
    assert taken_back() == [False, False], "the undo brought the repair back"
    assert project.excluded("r1", 4) == []
    project.undo.redo()
    assert taken_back() == [False, True]
    assert [h.op for h in project.history] == ["restore", "revoke_intervention", "revoke_undone",
                                               "revoke_intervention"]
    undone = project.history[2].params
    assert (undone["record_id"], undone["index"], undone["frame"]) == (rec.id, 1, 4)
    project.save()
    again = Project.load(project.folder)
    again.undo.undo()          # a reloaded stack still records its undo
    assert [t for *_x, t in again.repairs_in_frame("r1", 4)] == [False, False]
    assert again.history[-1].op == "revoke_undone"
