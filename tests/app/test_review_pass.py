"""The review pass driven by its keys: decisions land in the project and in its repair mask."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from restoration_core.defects import Defect, Intervention
from restoration_core.restore.safety import REVIEW_FILL, REVIEW_SOURCES
from tests.app.conftest import open_reel, wait_frame

SHAPE = (90, 160)


def press(qtbot, window, key, mods=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.viewer.canvas, key, mods)


def region(y, x, h, w):
    m = np.zeros(SHAPE, bool)
    m[y:y + h, x:x + w] = True
    return m


@pytest.fixture
def reviewing(qtbot, window, reel_file):
    """A reel with two detections on frame 0, one on frame 2 and a painted patch on frame 5
    (the shown frame's own background detection is off: it would replace these)."""
    window.controller.detect_enabled = False
    open_reel(qtbot, window, reel_file)
    window.activateWindow()
    s = window.session
    p, r = s.project, s.reel_id
    p.set_detection(r, 0, region(40, 60, 4, 4) | region(10, 100, 30, 2),
                    [Defect(0, (60, 40, 4, 4), 16, "dust", "dark", 0.9, 1),
                     Defect(0, (100, 10, 2, 30), 60, "scratch", "bright", 0.3, 2)])
    p.set_detection(r, 2, region(20, 20, 5, 5), [Defect(2, (20, 20, 5, 5), 25, "dirt", "dark", 0.7, 1)])
    p.masks.set(r, 5, "painted", region(60, 120, 6, 8))
    window.review_pass.auto_preview = False
    return window


def test_keys_step_through_regions_and_decide(qtbot, reviewing):
    w = reviewing
    rp, s = w.review_pass, w.session
    p, r = s.project, s.reel_id
    press(qtbot, w, Qt.Key.Key_V)
    assert rp.active and rp.queue is not None
    assert [(i.frame, i.kind) for i in rp.queue.items()] == [(0, "scratch"), (0, "dust"), (2, "dirt"),
                                                           (5, "painted")]
    assert rp.current.kind == "scratch" and rp.panel.progress_label.text() == "0 of 4 reviewed"
    assert not w.overlay.detected and not w.overlay.painted   # outlined, not filled
    with qtbot.waitSignal(rp.outline.shown, timeout=5000):
        rp.outline.update()
    view = w.viewer.canvas.view
    assert not view.fit and (view.cx, view.cy) == (101.0, 25.0)   # centred on the scratch
    assert view.scale > 2.0                                        # zoomed in (fit is about 6x smaller)
    qtbot.waitUntil(lambda: 2 in w.controller.frames.cache, timeout=5000)   # the next frame read ahead
    assert w.viewer.index == 0

    press(qtbot, w, Qt.Key.Key_Y)                                  # accept the scratch
    assert rp.current.kind == "dust"                               # the next one at once
    assert p.decisions.entries(r, 0)["d2"]["status"] == "accepted"
    press(qtbot, w, Qt.Key.Key_X)                                  # reject the dust
    assert p.rejected(r, 0) == {1}
    m = p.repair_mask(r, 0, SHAPE)
    assert not m[40:44, 60:64].any() and m[10:40, 100:102].all()
    assert rp.current.frame == 2
    wait_frame(qtbot, w, 2)
    press(qtbot, w, Qt.Key.Key_X)                                  # reject the dirt
    assert p.repair_mask(r, 2, SHAPE) is None
    wait_frame(qtbot, w, 5)
    assert rp.current.kind == "painted" and w.viewer.index == 5
    press(qtbot, w, Qt.Key.Key_X)                                  # reject the painted patch
    assert p.masks.get(r, 5, "painted") is None and p.repair_mask(r, 5, SHAPE) is None
    qtbot.waitUntil(lambda: rp.panel.progress_label.text() == "4 of 4 reviewed", timeout=2000)
    assert "All 4 regions reviewed" in w.statusBar().currentMessage()

    press(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)   # the project's undo
    assert p.masks.get(r, 5, "painted")[60, 120]
    qtbot.waitUntil(lambda: rp.panel.progress_label.text() == "3 of 4 reviewed", timeout=2000)
    press(qtbot, w, Qt.Key.Key_N)                                  # the one left unreviewed
    assert rp.current.frame == 5 and rp.current.status == "unreviewed"
    press(qtbot, w, Qt.Key.Key_Comma)                              # any previous region
    assert rp.current.frame == 2 and rp.current.status == "rejected"

    press(qtbot, w, Qt.Key.Key_Backslash)                          # before / after
    assert w.compare.show_after
    press(qtbot, w, Qt.Key.Key_V)                                  # end the pass
    assert not rp.active and not rp.act_accept.isEnabled() and not rp.outline.isVisible()
    assert w.overlay.detected and w.overlay.boxes          # the fills the pass hid are back
    press(qtbot, w, Qt.Key.Key_X)                                  # X does nothing outside the pass
    assert p.masks.get(r, 5, "painted")[60, 120]


def test_kind_and_score_filter(qtbot, reviewing):
    w = reviewing
    rp = w.review_pass
    press(qtbot, w, Qt.Key.Key_V)
    rp.panel.kind_boxes["scratch"].setChecked(False)
    assert rp.current.kind == "dust"                               # the shown one was filtered out
    rp.panel.min_score.setValue(0.8)
    assert [(i.frame, i.kind) for i in rp.queue.items()] == [(0, "dust"), (5, "painted")]
    assert rp.panel.progress_label.text() == "0 of 2 reviewed"
    press(qtbot, w, Qt.Key.Key_Y)
    assert rp.current.kind == "painted"
    press(qtbot, w, Qt.Key.Key_Y)
    qtbot.waitUntil(lambda: rp.panel.progress_label.text() == "2 of 2 reviewed", timeout=2000)


def test_review_of_the_recorded_repairs_takes_one_back(qtbot, reviewing):
    w = reviewing
    rp, s = w.review_pass, w.session
    p, r = s.project, s.reel_id
    done = [Intervention(2, (20, 20, 5, 5), 25, "dirt", "temporal", source_frames=(1, 3)),
            Intervention(0, (60, 40, 4, 4), 16, "dust", "temporal", source_frames=(1,))]
    rec = p.record_restore(r, (0, 12), done, SHAPE)
    rp.panel.render_btn.setChecked(True)
    press(qtbot, w, Qt.Key.Key_V)
    assert rp.active and [x.frame for x in rp.repairs] == [0, 2]
    assert "Repair 1 of 2" in rp.panel.item_label.text()
    press(qtbot, w, Qt.Key.Key_Y)                                  # keep the dust repair
    assert rp.repair_pos == 1
    wait_frame(qtbot, w, 2)
    press(qtbot, w, Qt.Key.Key_X)                                  # take the dirt repair back
    assert [taken for *_x, taken in p.repairs_in_frame(r, 2)] == [True]
    assert p.repair_mask(r, 2, SHAPE) is None                      # later renders leave it as scanned
    assert "1 taken back" in rp.panel.progress_label.text()
    w.undo_stack.undo()
    assert p.repair_mask(r, 2, SHAPE)[22, 22]
    assert rec.id == rp.repairs[0].record_id


def test_review_preview_gives_the_after_picture(qtbot, reviewing):
    w = reviewing
    rp = w.review_pass
    rp.auto_preview = True
    press(qtbot, w, Qt.Key.Key_V)
    qtbot.waitUntil(lambda: 0 in w.session.previews and w.viewer.after_data is not None, timeout=20000)
    press(qtbot, w, Qt.Key.Key_Backslash)
    assert w.compare.show_after and w.viewer.canvas.after is not None


def test_no_preview_dialog_per_region_with_diffusion_and_no_model(qtbot, reviewing):
    w = reviewing
    rp = w.review_pass
    rp.auto_preview = True
    w.inspector.engine.setCurrentText("diffusion")     # no model chosen: a preview would be refused
    press(qtbot, w, Qt.Key.Key_V)
    press(qtbot, w, Qt.Key.Key_Y)
    qtbot.wait(200)
    assert rp.active and not w.session.previews        # no preview, and no dialog (the fixture checks)


def test_regions_held_for_review_are_listed_and_repaired_or_kept(qtbot, reviewing):
    w = reviewing
    rp, s = w.review_pass, w.session
    p, r = s.project, s.reel_id
    done = [Intervention(2, (20, 20, 5, 5), 25, "dirt", "none", review=REVIEW_FILL),
            Intervention(0, (60, 40, 4, 4), 16, "dust", "temporal", source_frames=(1,)),
            Intervention(0, (100, 10, 2, 30), 60, "scratch", "none", review=REVIEW_SOURCES)]
    p.record_restore(r, (0, 12), done, SHAPE)
    rp.panel.render_btn.setChecked(True)
    press(qtbot, w, Qt.Key.Key_V)
    panel = rp.panel
    assert panel.held_list.isVisible() and panel.held_label.text() == "Held for review (2)"
    assert [panel.held_list.item(k).text() for k in range(2)] == ["Frame 0 · scratch · undecided",
                                                                  "Frame 2 · dirt · undecided"]
    assert "2 held for review, 2 undecided" in panel.progress_label.text()
    panel.held_list.itemClicked.emit(panel.held_list.item(1))       # the dirt the render left alone
    wait_frame(qtbot, w, 2)
    assert "held for review: " + REVIEW_FILL in panel.item_label.text()
    assert panel.buttons["accept"].text() == "Repair it  Y"
    press(qtbot, w, Qt.Key.Key_Y)                                    # repair it after all
    assert p.masks.get(r, 2, "painted")[20:25, 20:25].all()         # painted: the next render repairs it
    assert panel.held_list.item(1).text() == "Frame 2 · dirt · repair chosen"
    panel.held_list.itemClicked.emit(panel.held_list.item(0))       # the scratch
    wait_frame(qtbot, w, 0)
    press(qtbot, w, Qt.Key.Key_X)                                    # keep the scan
    assert not p.repair_mask(r, 0, SHAPE)[10:40, 100:102].any()     # out of every later repair
    assert p.repair_mask(r, 0, SHAPE)[40:44, 60:64].all()           # the other detection stays
    qtbot.waitUntil(lambda: panel.held_list.item(0).text() == "Frame 0 · scratch · scan kept", timeout=2000)
    assert "2 held for review, 0 undecided" in panel.progress_label.text()
    w.undo_stack.undo()                                              # the kept scan, undone
    assert p.repair_mask(r, 0, SHAPE)[10:40, 100:102].all()
    press(qtbot, w, Qt.Key.Key_V)
    assert not panel.held_list.isVisible()
