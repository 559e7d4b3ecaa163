"""Review decisions: items of a clip, accept/reject onto the repair mask, undo, save, stepping."""

from __future__ import annotations

import json

import numpy as np
import pytest

from restoration_core.defects import Defect, Intervention
from restoration_core.errors import InputError
from restoration_core.project import HoldEdit, Project
from restoration_core.project.decisions import (
    ACCEPTED,
    HELD_KEPT,
    HELD_REPAIRED,
    REJECTED,
    UNREVIEWED,
    ReviewQueue,
    decide,
    held_for_review,
    held_status,
    item_mask,
    items_in_frame,
    keep_held_scan,
    latest_render,
    recorded_repairs,
    repair_held,
)
from restoration_core.restore.safety import REVIEW_FILL, REVIEW_SOURCES
from tests.core.project.conftest import make_project

SHAPE = (20, 30)


def box(y, x, h, w):
    m = np.zeros(SHAPE, bool)
    m[y : y + h, x : x + w] = True
    return m


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, width=30, height=20, frames=10)


def detect(project, frame, *boxes_scores):
    """Detections at (y, x, h, w, kind, score) boxes; the detected layer is their union."""
    mask = np.zeros(SHAPE, bool)
    defects = []
    for n, (y, x, h, w, kind, score) in enumerate(boxes_scores, 1):
        mask |= box(y, x, h, w)
        defects.append(Defect(frame, (x, y, w, h), w * h, kind, "dark", score, id=n))
    project.set_detection("r1", frame, mask, defects)


def by_key(project, frame):
    return {i.key: i for i in items_in_frame(project, "r1", frame)}


def test_items_of_a_frame_detected_painted_and_held(project):
    detect(project, 3, (2, 2, 2, 2, "dust", 0.9), (10, 20, 3, 1, "scratch", 0.4))
    project.masks.set("r1", 3, "painted", box(12, 5, 2, 3) | box(1, 25, 2, 2))
    project.masks.hold("r1", 2, 5, box(15, 15, 2, 2))
    items = items_in_frame(project, "r1", 3)
    assert [(i.source, i.kind) for i in items] == [
        ("detected", "dust"), ("detected", "scratch"), ("painted", "painted"), ("painted", "painted"),
        ("held", "held")]
    assert items[2].bbox == (25, 1, 2, 2) and items[3].bbox == (5, 12, 3, 2)  # top to bottom
    assert items[3].area == 6 and items[3].score is None
    assert all(i.status == UNREVIEWED for i in items)
    assert item_mask(project, items[3]).shape == (2, 3) and item_mask(project, items[3]).all()
    assert [i.frame for i in items_in_frame(project, "r1", 4)] == [4]  # the held region


def test_rejecting_a_detection_is_project_reject_and_undoes(project):
    detect(project, 3, (2, 2, 2, 2, "dust", 0.9), (10, 20, 3, 1, "scratch", 0.4))
    dust = by_key(project, 3)["d1"]
    decide(project, dust, REJECTED)
    assert project.rejected("r1", 3) == {1}
    m = project.repair_mask("r1", 3, SHAPE)
    assert not m[2:4, 2:4].any() and m[10:13, 20].all()
    assert by_key(project, 3)["d1"].status == REJECTED
    decide(project, by_key(project, 3)["d2"], ACCEPTED)
    assert by_key(project, 3)["d2"].status == ACCEPTED and project.rejected("r1", 3) == {1}
    decide(project, by_key(project, 3)["d1"], ACCEPTED)  # change of mind
    assert project.rejected("r1", 3) == set() and project.repair_mask("r1", 3, SHAPE)[2, 2]
    project.undo.undo()
    assert project.rejected("r1", 3) == {1}
    project.undo.undo()
    project.undo.undo()
    assert {i.status for i in items_in_frame(project, "r1", 3)} == {UNREVIEWED}
    assert project.rejected("r1", 3) == set()


def test_rejecting_a_painted_region_erases_it_and_accepting_paints_it_back(project):
    project.masks.set("r1", 5, "painted", box(12, 5, 2, 3) | box(1, 25, 2, 2))
    region = by_key(project, 5)["p5,12,3,2"]
    decide(project, region, REJECTED)
    painted = project.masks.get("r1", 5, "painted")
    assert not painted[12:14, 5:8].any() and painted[1:3, 25:27].all()
    assert not project.repair_mask("r1", 5, SHAPE)[12:14, 5:8].any()
    assert by_key(project, 5)["p5,12,3,2"].status == REJECTED  # still listed, to change one's mind
    decide(project, by_key(project, 5)["p5,12,3,2"], ACCEPTED)
    assert project.masks.get("r1", 5, "painted")[12:14, 5:8].all()
    assert by_key(project, 5)["p5,12,3,2"].status == ACCEPTED
    project.undo.undo()
    project.undo.undo()
    np.testing.assert_array_equal(project.masks.get("r1", 5, "painted"), box(12, 5, 2, 3) | box(1, 25, 2, 2))
    assert by_key(project, 5)["p5,12,3,2"].status == UNREVIEWED


def test_rejecting_the_only_painted_region_leaves_no_painted_mask(project):
    project.masks.set("r1", 5, "painted", box(12, 5, 2, 3))
    decide(project, by_key(project, 5)["p5,12,3,2"], REJECTED)
    assert project.masks.get("r1", 5, "painted") is None
    assert project.repair_mask("r1", 5, SHAPE) is None
    decide(project, by_key(project, 5)["p5,12,3,2"], UNREVIEWED)
    assert project.masks.get("r1", 5, "painted")[12:14, 5:8].all()


def test_rejecting_a_held_region_excludes_it_on_that_frame_only(project):
    project.undo.push(HoldEdit.adding("r1", 2, 6, box(15, 15, 2, 2)))
    decide(project, by_key(project, 4)["h15,15,2,2"], REJECTED)
    assert project.repair_mask("r1", 4, SHAPE) is None
    assert project.repair_mask("r1", 3, SHAPE)[15, 15]  # the range's other frames are repaired
    assert by_key(project, 4)["h15,15,2,2"].status == REJECTED
    decide(project, by_key(project, 4)["h15,15,2,2"], ACCEPTED)
    assert project.repair_mask("r1", 4, SHAPE)[15, 15] and project.excluded("r1", 4) == []


def test_decisions_are_saved_and_old_projects_load(project):
    detect(project, 3, (2, 2, 2, 2, "dust", 0.9))
    project.masks.set("r1", 5, "painted", box(12, 5, 2, 3))
    decide(project, by_key(project, 3)["d1"], ACCEPTED)
    decide(project, by_key(project, 5)["p5,12,3,2"], REJECTED)
    project.save()
    doc = json.loads(project.path.read_text())
    assert doc["schema_version"] == 3 and set(doc["decisions"]["r1"]) == {"3", "5"}
    loaded = Project.load(project.folder)
    assert by_key(loaded, 3)["d1"].status == ACCEPTED
    assert by_key(loaded, 5)["p5,12,3,2"].status == REJECTED
    assert loaded.masks.get("r1", 5, "painted") is None
    loaded.undo.undo()  # the saved undo stack holds the review step too
    assert loaded.masks.get("r1", 5, "painted")[12, 5]
    # a schema-2 project (before the review pass) opens with no decisions
    del doc["decisions"]
    doc["schema_version"] = 2
    project.path.write_text(json.dumps(doc))
    old = Project.load(project.folder)
    assert old.migrated_from == 2 and old.decisions.to_json() == {}


def test_a_bad_decision_entry_is_refused_by_name(project):
    doc = project.to_json()
    doc["decisions"] = {"r1": {"3": {"d1": {"status": "maybe"}}}}
    project.path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="bad review decision 'd1' in frame 3"):
        Project.load(project.folder)


def test_queue_steps_filters_counts_and_follows_edits(project):
    detect(project, 1, (2, 2, 2, 2, "dust", 0.9), (10, 20, 3, 1, "scratch", 0.3))
    detect(project, 4, (5, 5, 2, 2, "dirt", 0.7))
    project.masks.set("r1", 6, "painted", box(12, 5, 2, 3))
    detect(project, 9, (5, 5, 2, 2, "dust", 0.8))  # outside the clip
    queue = ReviewQueue(project, "r1", (0, 8))
    assert [(i.frame, i.key) for i in queue.items()] == [(1, "d1"), (1, "d2"), (4, "d1"), (6, "p5,12,3,2")]
    assert queue.progress_text() == "0 of 4 reviewed"
    first = queue.step(None)
    assert (first.frame, first.key) == (1, "d1")
    decide(project, first, ACCEPTED)
    assert queue.counts() == (1, 4)
    nxt = queue.step(first)
    assert (nxt.frame, nxt.key) == (1, "d2")
    decide(project, nxt, REJECTED)
    assert (queue.step(nxt).frame, queue.step(nxt, -1).frame) == (4, 6)  # -1 wraps to the end
    assert queue.step(nxt, -1, unreviewed=False).key == "d1"
    queue.set_filter(kinds={"dust", "dirt"}, min_score=0.5)
    assert [(i.frame, i.key) for i in queue.items()] == [(1, "d1"), (4, "d1")]
    assert queue.progress_text() == "1 of 2 reviewed"
    decide(project, queue.step(None), REJECTED)
    assert queue.step(None) is None  # everything that passes the filter is reviewed
    queue.set_filter()
    project.masks.set("r1", 2, "painted", box(0, 0, 1, 1))  # new painting appears at once
    assert (2, "p0,0,1,1") in [(i.frame, i.key) for i in queue.items()]
    queue.close()


def test_recorded_repairs_of_the_latest_render_and_taking_one_back(project):
    detect(project, 3, (2, 2, 2, 2, "dust", 0.9))
    done = [Intervention(3, (2, 2, 2, 2), 4, "dust", "temporal", source_frames=(2, 4)),
            Intervention(1, (5, 5, 3, 3), 9, "dirt", "temporal", source_frames=(0, 2))]
    assert latest_render(project, "r1") is None
    rec = project.record_restore("r1", (0, 8), done, SHAPE)
    assert latest_render(project, "r1") == rec.id
    repairs = recorded_repairs(project, rec.id)
    assert [(r.frame, r.index, r.taken_back) for r in repairs] == [(1, 1, False), (3, 0, False)]
    project.revoke_intervention(rec.id, 0)
    assert [r.taken_back for r in recorded_repairs(project, rec.id)] == [False, True]
    assert project.repair_mask("r1", 3, SHAPE) is None  # the region stays as scanned


def test_regions_a_render_left_as_scanned_are_listed_for_review_and_decided(project, tmp_path):
    detect(project, 3, (2, 2, 3, 3, "dust", 0.9))
    detect(project, 5, (4, 10, 4, 4, "dirt", 0.8))  # y, x, h, w: the box (10, 4, 4, 4)
    done = [Intervention(1, (5, 5, 3, 3), 9, "dirt", "temporal", source_frames=(0, 2)),
            Intervention(3, (2, 2, 3, 3), 9, "dust", "none", review=REVIEW_FILL),
            Intervention(5, (10, 4, 4, 4), 16, "dirt", "none", review=REVIEW_SOURCES)]
    # what a finished render's report carries reaches the project (the GUI and batch record it)
    report = {"reel": "r1", "frame_range": [0, 8], "created": "2026-12-02T00:00:00Z",
              "interventions": [i.to_dict() for i in done]}
    assert held_for_review(project, "r1") == []
    project.record_render_report(None, report=report)
    held = held_for_review(project, "r1")
    assert [(r.frame, r.intervention.review) for r in held] == [(3, REVIEW_FILL), (5, REVIEW_SOURCES)]
    assert [held_status(project, r) for r in held] == [UNREVIEWED, UNREVIEWED]
    with pytest.raises(ValueError, match="not held"):
        repair_held(project, recorded_repairs(project, held[0].record_id)[0])

    repair_held(project, held[0])              # the archivist wants it repaired: painted, exact
    assert project.masks.get("r1", 3, "painted")[2:5, 2:5].all()
    assert project.repair_mask("r1", 3, SHAPE)[2:5, 2:5].all()
    keep_held_scan(project, held[1])           # keep the scan: out of every later repair
    assert project.repair_mask("r1", 5, SHAPE) is None
    assert [held_status(project, r) for r in held] == [HELD_REPAIRED, HELD_KEPT]
    assert [h.op for h in project.history][-2:] == ["repair_held", "revoke_intervention"]
    project.save()

    again = Project.load(project.folder)
    held = held_for_review(again, "r1")
    assert [held_status(again, r) for r in held] == [HELD_REPAIRED, HELD_KEPT]
    again.undo.undo()                          # the scan kept: taken back
    again.undo.undo()                          # the repair chosen: taken back
    assert [held_status(again, r) for r in held] == [UNREVIEWED, UNREVIEWED]
