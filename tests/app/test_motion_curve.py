"""The measured motion curve on the timeline: View > Motion curve measures the open reel in the
background as a stabilized render does and draws x, y, rotation and the correction per frame."""

from __future__ import annotations

import numpy as np
import pytest

from app import motion_curve as motion_curve_module
from restoration_core.motion import plan_stabilization, similarity_params
from restoration_core.progress import run_to_end
from tests.app.conftest import ArrayReel, open_reel
from tests.core.motion.test_stabilize import jitter_track, woven

N = 12


@pytest.fixture
def woven_reel(tmp_path, monkeypatch):
    """A 12-frame reel with a known weave (1-2.5 px, 0.1 degree)."""
    track = jitter_track(N, 4)
    frames = np.stack(woven(N, track))
    path = tmp_path / "woven.fake"
    path.write_bytes(b"fake reel")
    from app import engine

    real = engine.open_reel
    monkeypatch.setattr(engine, "open_reel", lambda p: ArrayReel(frames) if str(p) == str(path) else real(p))
    return path, frames, track


def test_the_motion_lane_shows_the_measured_curve_and_the_correction(qtbot, window, woven_reel):
    path, frames, track = woven_reel
    w = window
    w.controller.detect_enabled = False
    open_reel(qtbot, w, path)
    mc, view = w.motion_curve, w.timeline.view
    assert "motion" not in view.rows() and not mc.model.measured
    height = view.minimumHeight()
    w.inspector.stabilize_smooth.setValue(6)
    mc.action.trigger()  # View > Motion curve
    assert mc.model.visible and "motion" in view.rows() and view.minimumHeight() > height
    qtbot.waitUntil(lambda: mc.model.measured, timeout=20000)
    samples = mc.model.samples()
    assert [s.frame for s in samples] == list(range(N))
    # the same curve a render's stabilization pre-pass measures, with the inspector's smoothing
    plan = run_to_end(plan_stabilization(ArrayReel(frames), smooth=6))
    for s, cam in zip(samples, plan.cameras, strict=True):
        assert (s.dx, s.dy) == pytest.approx(similarity_params(cam)[:2], abs=1e-9)
    # the measured camera follows the known weave (relative to frame 0), to a fraction of a pixel
    truth = [similarity_params(np.linalg.inv(track[0]) @ t) for t in track]
    assert max(abs(s.dx - t[0]) for s, t in zip(samples, truth, strict=True)) < 0.3
    assert max(abs(s.dx) for s in samples) > 1.0  # a real weave was drawn, not a flat line
    # the correction is the gap between the measured and the kept path
    assert any(abs(s.fix_dx) > 0.5 for s in samples)
    view.grab()  # paints the lane without error
    assert w.statusBar().currentMessage().startswith("Motion measured")
    mc.action.trigger()  # off again: the lane goes, the curve stays measured
    assert "motion" not in view.rows() and view.minimumHeight() == height and mc.model.measured


def test_the_curve_and_the_rebuild_candidates_share_one_frame_scan(qtbot, window, woven_reel, monkeypatch):
    """The motion curve scanned the reel for its shots on its own: it now takes the candidates'
    scan when there is one, and hands its own to them when there is none."""
    path, _frames, _track = woven_reel
    w = window
    w.controller.detect_enabled = False
    open_reel(qtbot, w, path)
    scans = []
    real = motion_curve_module.scan_frames

    def counted(reel, *args, **kwargs):
        scans.append(len(reel))
        return real(reel, *args, **kwargs)

    monkeypatch.setattr(motion_curve_module, "scan_frames", counted)
    mc, fc = w.motion_curve, w.frame_candidates
    runs = fc.run_id
    mc.set_visible(True)
    qtbot.waitUntil(lambda: mc.model.measured, timeout=20000)
    assert scans == [N] and fc.model.scanned and fc.run_id == runs   # its scan became the candidates'
    message = w.statusBar().currentMessage()
    assert message.startswith("Motion measured") and "No black, blank, torn or duplicate frame found" in message
    w.inspector.stabilize_smooth.setValue(4)  # measured again: with the one scan's cuts, no second scan
    qtbot.waitUntil(lambda: mc.model.measured and mc.model.smooth == 4, timeout=20000)
    assert scans == [N] and not fc.running


def test_the_curve_is_measured_again_for_another_reel_or_smoothing(qtbot, window, woven_reel, reel_file):
    path, _frames, _track = woven_reel
    w = window
    w.controller.detect_enabled = False
    open_reel(qtbot, w, path)
    mc = w.motion_curve
    mc.set_visible(True)
    qtbot.waitUntil(lambda: mc.model.measured, timeout=20000)
    w.inspector.stabilize_smooth.setValue(4)  # shown: measured again with the new smoothing
    qtbot.waitUntil(lambda: mc.model.measured and mc.model.smooth == 4, timeout=20000)
    open_reel(qtbot, w, reel_file)  # another reel: its own curve
    qtbot.waitUntil(lambda: mc.model.measured and mc.model.reel_id == w.session.reel_id, timeout=20000)
    assert len(mc.model.samples()) == 12
