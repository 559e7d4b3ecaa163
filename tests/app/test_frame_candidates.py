"""Rebuild candidates on the timeline: scanned, accepted into the rebuild lists, dismissed, and a
rendered rebuild taken back in the review pass."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent

from app import engine
from restoration_core.defects import Defect, Intervention
from restoration_core.detect import frames as frames_module
from restoration_core.progress import run_to_end
from restoration_core.project import Project
from tests.app.conftest import ArrayReel, make_frames, open_reel, wait_frame
from tests.core.detect.scenes import texture

BLACK = 4


def _black_frames() -> np.ndarray:
    frames = make_frames()
    frames[BLACK] = 3
    return frames


@pytest.fixture
def black_frame_reel(tmp_path, monkeypatch):
    """A 12-frame reel whose frame 4 is black (a rebuild candidate)."""
    frames = _black_frames()
    path = tmp_path / "black.fake"
    path.write_bytes(b"fake reel")

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
        {"reel_id": s.reel_id, "frame": BLACK, "status": "dismissed", "listed": False}
    fc.model.reset(s.reel_id)
    assert fc.scan()
    qtbot.waitUntil(lambda: fc.model.scanned, timeout=10000)
    assert view.rebuild_marks() == {BLACK: "dismissed"}


def press(qtbot, w, key, mod=Qt.KeyboardModifier.NoModifier):
    w.activateWindow()
    qtbot.keyClick(w.viewer.canvas, key, mod)


def test_accept_dismiss_and_rebuild_this_frame_are_undone_and_redone_with_the_keys(qtbot, scanned):
    w = scanned
    fc, view, s = w.frame_candidates, w.timeline.view, w.session
    p = s.project
    clip = p.add_clip(s.reel_id, 0, 12)
    undo_act = w.undo_stack.undo_action
    ctrl, shift = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier

    def state():
        return (w.inspector.rebuild.text(), p.clip(clip.id).settings.get("restore", {}).get("rebuild"),
                view.rebuild_marks())

    def recorded():
        return [(h.params["frame"], h.params.get("status"), h.params["listed"]) for h in p.history
                if h.op == "rebuild_candidate"]

    assert fc.accept(BLACK)
    assert state() == ("4", [4], {BLACK: "accepted"}) and undo_act.text() == "Undo Accept rebuild candidate (frame 4)"
    assert fc.dismiss(BLACK)
    assert state() == ("", None, {BLACK: "dismissed"})
    w.transport.seek(7)
    wait_frame(qtbot, w, 7)
    w.inspector.rebuild_this_frame()                   # the inspector's button: the same one step
    assert state() == ("7", [7], {BLACK: "dismissed", 7: "listed"})
    assert not fc.add_rebuild(7)                       # already so: no empty step on the stack
    assert w.undo_stack.count() == 3
    press(qtbot, w, Qt.Key.Key_Z, ctrl)                # undo "rebuild frame 7"
    assert state() == ("", None, {BLACK: "dismissed"})
    press(qtbot, w, Qt.Key.Key_Z, ctrl)                # undo the dismissal: accepted and listed again
    assert state() == ("4", [4], {BLACK: "accepted"})
    press(qtbot, w, Qt.Key.Key_Z, ctrl)                # undo the acceptance: pending, nothing listed
    assert state() == ("", None, {BLACK: "pending"}) and not undo_act.isEnabled()
    press(qtbot, w, Qt.Key.Key_Z, ctrl | shift)        # redo
    assert state() == ("4", [4], {BLACK: "accepted"})
    press(qtbot, w, Qt.Key.Key_Z, ctrl | shift)
    assert state() == ("", None, {BLACK: "dismissed"})
    # every step, undone and redone ones included, is in the history; its last word on a frame counts
    assert recorded() == [(4, "accepted", True), (4, "dismissed", False), (7, None, True), (7, None, False),
                          (4, "accepted", True), (4, "pending", False), (4, "accepted", True),
                          (4, "dismissed", False)]
    assert fc.recorded_decisions() == {BLACK: "dismissed"}
    # the stack is saved with the project and the step still undoes after reloading it
    p.save()

    again = Project.load(p.path)
    assert again.undo.undo_text == "Dismiss rebuild candidate (frame 4)"
    again.undo.undo()
    assert again.clip(clip.id).settings["restore"]["rebuild"] == [4]


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


def _rendered_rebuild(w, *others):
    """The black frame accepted and rendered as a rebuild, with a detected speck of its own kept
    in the project, plus ``others`` recorded in the same render: (project, reel, clip, record)."""
    p, r = w.session.project, w.session.reel_id
    clip = p.add_clip(r, 0, 12)
    speck = np.zeros((90, 160), bool)
    speck[40:44, 60:64] = True
    p.set_detection(r, BLACK, speck, [Defect(BLACK, (60, 40, 4, 4), 16, "dust", "dark", 0.9, 1)])
    w.frame_candidates.accept(BLACK)
    done = [Intervention(BLACK, (0, 0, 160, 90), 160 * 90, "rebuild", "interpolation", source_frames=(3, 5)),
            *others]
    return p, r, clip, p.record_restore(r, (0, 12), done, (90, 160))


def test_a_rendered_rebuild_taken_back_in_the_review_leaves_the_lists(qtbot, scanned):
    w = scanned
    fc, rp = w.frame_candidates, w.review_pass
    p, r, clip, _rec = _rendered_rebuild(w, Intervention(2, (20, 20, 5, 5), 25, "dirt", "temporal",
                                                         source_frames=(1, 3)))
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


def test_the_inspectors_take_back_of_a_rebuilt_frame_leaves_the_lists_like_the_review(qtbot, scanned):
    """Take back repair on a rebuilt frame's entry unlists the frame; it does not revoke a
    whole-frame box (which would leave the frame's other repairs out of later renders)."""
    w = scanned
    fc, insp = w.frame_candidates, w.inspector
    p, r, clip, rec = _rendered_rebuild(w)
    w.transport.frame = BLACK
    wait_frame(qtbot, w, BLACK)
    insp._frame_changed()
    assert insp.repairs.count() == 1 and "rebuild, interpolation" in insp.repairs.item(0).text()
    insp.take_back.click()
    assert "rebuild" not in p.clip(clip.id).settings["restore"] and fc.model.status(BLACK) == "dismissed"
    assert p.excluded(r, BLACK) == [], "no whole-frame box revoked"
    assert p.repair_mask(r, BLACK, (90, 160))[40:44, 60:64].all(), "the frame's detected repair stays"
    assert [h.params["record_id"] for h in p.history if h.op == "revoke_intervention"] == [rec.id]
    w.undo_stack.undo()
    assert fc.is_listed(BLACK), "undone: listed to rebuild again"


SPLICE, SPLICE_BLACK = 9, 3


@pytest.fixture
def spliced_reel(tmp_path, monkeypatch):
    """16 frames of two panning shots spliced at frame 9 (tape at the frame line), frame 3 black."""
    def shot(n, seed):
        big = texture(90, 160 + 2 * n, seed)
        return [np.repeat((big[:, 2 * k: 2 * k + 160, None] * 255).astype(np.uint8), 3, axis=2) for k in range(n)]

    frames = np.stack(shot(SPLICE, 0) + shot(16 - SPLICE, 5))
    frames[SPLICE, :5] = 255
    frames[SPLICE_BLACK] = 3
    path = tmp_path / "spliced.fake"
    path.write_bytes(b"fake reel")

    real = engine.open_reel
    monkeypatch.setattr(engine, "open_reel", lambda p: ArrayReel(frames) if str(p) == str(path) else real(p))
    return path


def test_whole_reel_detection_scans_the_reel_once_for_cuts_candidates_and_splice_marks(
        qtbot, window, spliced_reel, monkeypatch):
    window.controller.detect_enabled = False          # no per-frame detection (it scans around its frame)
    open_reel(qtbot, window, spliced_reel)
    scans = []
    real = frames_module.scan_frames

    def counted(reel, frame_range=None, *args, **kwargs):
        scans.append(frame_range)
        return real(reel, frame_range, *args, **kwargs)

    monkeypatch.setattr(frames_module, "scan_frames", counted)
    fc, view = window.frame_candidates, window.timeline.view
    runs = fc.run_id
    with qtbot.waitSignal(window.reel_detection.ended, timeout=30000):
        assert window.reel_detection.start()
    assert scans == [(0, 16)]                         # one pass over the reel ...
    assert fc.run_id == runs and not fc.running       # ... and the candidates did not scan again
    assert fc.model.scanned and [(c.frame, c.kind) for c in fc.model.items()] == [(SPLICE_BLACK, "black")]
    assert fc.model.splices() == [SPLICE] and "bar at the top" in fc.model.splice_at(SPLICE)
    assert view.splice_marks() == [SPLICE] and view.rebuild_marks() == {SPLICE_BLACK: "pending"}
    view.grab()                                       # the cut mark paints
    with qtbot.waitSignal(window.reel_detection.ended, timeout=30000):
        assert window.reel_detection.start()          # detection again: the frames are the same
    assert scans == [(0, 16), (0, 16)] and fc.run_id == runs and fc.model.splices() == [SPLICE]
    # the timeline says why temporal steps stop there
    shown = []
    monkeypatch.setattr("app.timeline.view.QToolTip.showText", lambda _pos, text, _w: shown.append(text))
    x = int(view.x_of(SPLICE + 0.5))
    qtbot.mouseMove(view, QPoint(x, 40))
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert "splice before this frame" in shown[-1] and "temporal steps stop here" in shown[-1]


def test_the_candidates_whole_reel_detection_finds_stay_in_its_status_messages(qtbot, window, spliced_reel):
    """The "frames to consider rebuilding" note was overwritten at once by detection's next
    progress message: it is now part of every message of that run, its end included."""
    window.controller.detect_enabled = False
    open_reel(qtbot, window, spliced_reel)
    seen: list[str] = []
    window.statusBar().messageChanged.connect(lambda m: seen.append(m) if m else None)
    with qtbot.waitSignal(window.reel_detection.ended, timeout=30000):
        assert window.reel_detection.start()
    note = "1 frame to consider rebuilding, 1 splice (marked on the timeline)"
    noted = [k for k, m in enumerate(seen) if note in m]
    assert noted and any(m.startswith("Detecting the whole reel: frame ") for m in seen[noted[0]:]), seen
    assert all(note in m for m in seen[noted[0]:]), seen
    assert seen[-1].startswith("Detection finished: 16 frames") and note in window.statusBar().currentMessage()


def test_only_a_whole_reel_scan_from_detection_becomes_the_candidates(qtbot, window, black_frame_reel):
    window.controller.detect_enabled = False
    open_reel(qtbot, window, black_frame_reel)
    fc = window.frame_candidates
    partial = run_to_end(frames_module.scan_frames(ArrayReel(make_frames()), (2, 8)))
    window.reel_detection.frame_scan.emit(partial)    # a scan of part of the reel is no candidates list
    assert not fc.model.scanned
    whole = run_to_end(frames_module.scan_frames(ArrayReel(_black_frames())))
    window.reel_detection.frame_scan.emit(whole)
    assert fc.model.scanned and [c.frame for c in fc.model.items()] == [BLACK]
    assert not fc.running


def test_the_review_pass_before_a_render_steps_through_the_frames_to_rebuild(qtbot, scanned):
    w = scanned
    fc, rp, s = w.frame_candidates, w.review_pass, w.session
    p, r = s.project, s.reel_id
    clip = p.add_clip(r, 0, 12, settings={"restore": {"rebuild": [7]}})     # the clip's own entry
    p.set_detection(r, 2, _box(20, 20, 5, 5), [Defect(2, (20, 20, 5, 5), 25, "dirt", "dark", 0.7, 1)])
    p.set_detection(r, BLACK, _box(40, 60, 4, 4), [Defect(BLACK, (60, 40, 4, 4), 16, "dust", "dark", 0.9, 1)])
    fc.accept(BLACK)                                                        # an accepted candidate
    rp.auto_preview = False
    ctrl = Qt.KeyboardModifier.ControlModifier
    press(qtbot, w, Qt.Key.Key_V)
    assert rp.active and rp.current.frame == 2 and rp.current.kind == "dirt"
    assert [(i.frame, i.kind) for i in rp.items()] == [(2, "dirt"), (BLACK, "black"), (BLACK, "dust"), (7, "listed")]
    assert "2 frames to rebuild: 0 reviewed, 0 taken out" in rp.panel.progress_label.text()
    assert rp.panel.progress_label.text().startswith("0 of 2 reviewed")
    press(qtbot, w, Qt.Key.Key_Y)                                           # keep the dirt repair
    wait_frame(qtbot, w, BLACK)
    assert rp.current.source == "rebuild" and rp.current.bbox == (0, 0, 160, 90)   # shown whole
    assert rp.outline.frame == BLACK and "rebuild (black)" in rp.panel.item_label.text()
    assert "will be rebuilt" in rp.panel.item_label.text()
    press(qtbot, w, Qt.Key.Key_X)                                           # take the black frame out
    assert w.inspector.rebuild.text() == "" and p.clip(clip.id).settings["restore"]["rebuild"] == [7]
    assert fc.model.status(BLACK) == "dismissed"
    assert rp.current.frame == BLACK and rp.current.kind == "dust"          # on to the frame's regions
    qtbot.waitUntil(lambda: "1 reviewed, 1 taken out" in rp.panel.progress_label.text(), timeout=2000)
    press(qtbot, w, Qt.Key.Key_Z, ctrl)                                     # undo the take-out
    assert w.inspector.rebuild.text() == "4" and p.clip(clip.id).settings["restore"]["rebuild"] == [4, 7]
    assert rp.active and rp.rebuilds.item(BLACK).status == "unreviewed"
    qtbot.waitUntil(lambda: "0 reviewed, 0 taken out" in rp.panel.progress_label.text(), timeout=2000)
    press(qtbot, w, Qt.Key.Key_Comma)                                       # back to the rebuilt frame
    assert rp.current.source == "rebuild" and rp.current.frame == BLACK
    press(qtbot, w, Qt.Key.Key_Y)                                           # keep it this time
    assert rp.rebuilds.item(BLACK).status == "accepted" and w.inspector.rebuild.text() == "4"
    assert rp.current.kind == "dust"
    press(qtbot, w, Qt.Key.Key_N)                                           # the next unreviewed: frame 7
    assert rp.current.source == "rebuild" and rp.current.frame == 7 and rp.current.kind == "listed"
    press(qtbot, w, Qt.Key.Key_X)                                           # a clip's entry taken out
    assert w.inspector.rebuild.text() == "4" and p.clip(clip.id).settings["restore"]["rebuild"] == [4]
    assert rp.current.frame == BLACK and rp.current.kind == "dust"          # the one left unreviewed
    # the filter can hide them; the regions stay
    rp.panel.kind_boxes["rebuild"].setChecked(False)
    assert [i.source for i in rp.items()] == ["detected", "detected"] and rp.current.kind == "dust"
    assert rp.panel.progress_label.text() == "1 of 2 reviewed"
    rp.panel.kind_boxes["rebuild"].setChecked(True)
    press(qtbot, w, Qt.Key.Key_V)
    assert not rp.active


def test_a_rebuilt_frame_taken_back_after_the_render_is_undone_and_shown_kept(qtbot, scanned):
    w = scanned
    fc, rp, s = w.frame_candidates, w.review_pass, w.session
    p, r = s.project, s.reel_id
    clip = p.add_clip(r, 0, 12)
    fc.accept(BLACK)
    done = [Intervention(BLACK, (0, 0, 160, 90), 160 * 90, "rebuild", "interpolation", source_frames=(3, 5))]
    p.record_restore(r, (0, 12), done, (90, 160))
    rp.auto_preview = False
    rp.panel.render_btn.setChecked(True)
    press(qtbot, w, Qt.Key.Key_V)
    wait_frame(qtbot, w, BLACK)
    press(qtbot, w, Qt.Key.Key_X)                                           # take the rebuilt frame back
    assert "rebuild" not in p.clip(clip.id).settings["restore"] and rp.repairs[0].taken_back
    assert "1 taken back" in rp.panel.progress_label.text()
    press(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)      # undo: rebuilt again
    assert p.clip(clip.id).settings["restore"]["rebuild"] == [BLACK] and w.inspector.rebuild.text() == "4"
    assert fc.model.status(BLACK) == "accepted" and not rp.repairs[0].taken_back
    qtbot.waitUntil(lambda: "0 taken back" in rp.panel.progress_label.text(), timeout=2000)
    assert "kept" in rp.panel.item_label.text()


def _box(y, x, h, w):
    m = np.zeros((90, 160), bool)
    m[y:y + h, x:x + w] = True
    return m
