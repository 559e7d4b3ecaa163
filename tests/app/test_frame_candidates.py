"""Rebuild candidates on the timeline: scanned, accepted into the rebuild lists, dismissed, and a
rendered rebuild taken back in the review pass."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent

from restoration_core.defects import Defect, Intervention
from tests.app.conftest import ArrayReel, make_frames, open_reel, wait_frame

BLACK = 4


@pytest.fixture
def black_frame_reel(tmp_path, monkeypatch):
    """A 12-frame reel whose frame 4 is black (a rebuild candidate)."""
    frames = make_frames()
    frames[BLACK] = 3
    path = tmp_path / "black.fake"
    path.write_bytes(b"fake reel")
    from app import engine

    real = engine.open_reel
    monkeypatch.setattr(engine, "open_reel", lambda p: ArrayReel(frames) if str(p) == str(path) else real(p))
    return path


@pytest.fixture
def scanned(qtbot, window, black_frame_reel):
    window.controller.detect_enabled = False
    open_reel(qtbot, window, black_frame_reel)
    fc = window.frame_candidates
    assert fc.scan()
    qtbot.waitUntil(lambda: fc.model.scanned, timeout=10000)
    return window


def test_scan_marks_the_black_frame_on_the_timeline(qtbot, scanned):
    fc, view = scanned.frame_candidates, scanned.timeline.view
    assert [(c.frame, c.kind) for c in fc.model.items()] == [(BLACK, "black")]
    assert view.rebuild_marks() == {BLACK: "pending"}
    view.grab()   # paints the marks without error
    assert scanned.statusBar().currentMessage().startswith("1 frame to consider rebuilding")


def test_accept_lists_the_frame_for_the_inspector_and_the_clip_dismiss_takes_it_off(qtbot, scanned):
    w = scanned
    fc, view, s = w.frame_candidates, w.timeline.view, w.session
    clip = s.project.add_clip(s.reel_id, 0, 8)
    other = s.project.add_clip(s.reel_id, 8, 12)
    texts = [t for t, _fn in fc.menu_actions(BLACK)]
    assert texts[0].startswith("Accept: rebuild frame 4 (black)") and any(t.startswith("Dismiss") for t in texts)
    dict(fc.menu_actions(BLACK))[texts[0]]()
    assert w.inspector.rebuild.text() == "4"
    assert s.project.clip(clip.id).settings["restore"]["rebuild"] == [4]
    assert "rebuild" not in s.project.clip(other.id).settings.get("restore", {})
    assert view.rebuild_marks() == {BLACK: "accepted"}
    assert w.inspector.settings_dict()["restore"]["rebuild"] == [4]     # what a queued clip gets
    fc.dismiss(BLACK)
    assert w.inspector.rebuild.text() == ""
    assert "rebuild" not in s.project.clip(clip.id).settings["restore"]
    assert view.rebuild_marks() == {BLACK: "dismissed"}
    assert not any(t.startswith("Dismiss") for t, _fn in fc.menu_actions(BLACK))
    # the dismissal is in the project's history: a later scan (the project reopened) keeps it
    assert [h.params for h in s.project.history if h.op == "rebuild_candidate"][-1] == \
        {"reel_id": s.reel_id, "frame": BLACK, "status": "dismissed"}
    fc.model.reset(s.reel_id)
    assert fc.scan()
    qtbot.waitUntil(lambda: fc.model.scanned, timeout=10000)
    assert view.rebuild_marks() == {BLACK: "dismissed"}


def test_rebuild_this_frame_and_the_timeline_context_menu(qtbot, scanned):
    w = scanned
    fc, view = w.frame_candidates, w.timeline.view
    w.transport.seek(7)
    wait_frame(qtbot, w, 7)
    fc.act_rebuild.trigger()
    assert w.inspector.rebuild.text() == "7" and view.rebuild_marks() == {BLACK: "pending", 7: "listed"}
    assert [t for t, _fn in fc.menu_actions(7)] == ["Don't rebuild frame 7"]
    assert [t for t, _fn in fc.menu_actions(9)] == ["Rebuild frame 9 from its neighbours"]
    x = int(view.x_of(BLACK + 0.5))
    with qtbot.waitSignal(view.context_requested, timeout=2000) as got:
        view.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(x, 40),
                                                view.mapToGlobal(QPoint(x, 40))))
    assert got.args[0] == BLACK
    fc.goto(-1)
    assert w.transport.frame == BLACK


def test_a_rendered_rebuild_taken_back_in_the_review_leaves_the_lists(qtbot, scanned):
    w = scanned
    fc, rp, s = w.frame_candidates, w.review_pass, w.session
    p, r = s.project, s.reel_id
    clip = p.add_clip(r, 0, 12)
    speck = np.zeros((90, 160), bool)
    speck[40:44, 60:64] = True
    p.set_detection(r, BLACK, speck, [Defect(BLACK, (60, 40, 4, 4), 16, "dust", "dark", 0.9, 1)])
    fc.accept(BLACK)
    done = [Intervention(BLACK, (0, 0, 160, 90), 160 * 90, "rebuild", "interpolation", source_frames=(3, 5)),
            Intervention(2, (20, 20, 5, 5), 25, "dirt", "temporal", source_frames=(1, 3))]
    p.record_restore(r, (0, 12), done, (90, 160))
    rp.auto_preview = False
    rp.panel.render_btn.setChecked(True)
    w.activateWindow()
    qtbot.keyClick(w.viewer.canvas, Qt.Key.Key_V)
    assert rp.active and [x.frame for x in rp.repairs] == [2, BLACK]
    qtbot.keyClick(w.viewer.canvas, Qt.Key.Key_Y)                     # keep the dirt repair
    wait_frame(qtbot, w, BLACK)
    assert "rebuild, interpolation from frames 3, 5" in rp.panel.item_label.text()
    qtbot.keyClick(w.viewer.canvas, Qt.Key.Key_X)                     # take the rebuilt frame back
    assert w.inspector.rebuild.text() == "" and "rebuild" not in p.clip(clip.id).settings["restore"]
    assert fc.model.status(BLACK) == "dismissed"
    assert "1 taken back" in rp.panel.progress_label.text()
    # the frame's detected repairs stay: no whole-frame region was revoked
    assert p.repair_mask(r, BLACK, (90, 160))[40:44, 60:64].all()
    assert not [h for h in p.history if h.op == "revoke_intervention" and h.params.get("index") == 1]


def test_a_finished_reel_detection_scans_the_frames_once(qtbot, window, black_frame_reel):
    window.controller.detect_enabled = False
    open_reel(qtbot, window, black_frame_reel)
    fc = window.frame_candidates
    window.reel_detection.ended.emit("cancelled")
    assert not fc.running and not fc.model.scanned
    window.reel_detection.ended.emit("finished")
    qtbot.waitUntil(lambda: fc.model.scanned, timeout=10000)
    runs = fc.run_id
    window.reel_detection.ended.emit("finished")     # detection again: the frames are the same
    assert fc.run_id == runs and not fc.running
    assert [c.frame for c in fc.model.items()] == [BLACK]
