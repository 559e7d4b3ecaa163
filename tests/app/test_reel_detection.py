"""Whole-reel detection: progress, cancel, "finished" message, and everything it found shown
again after the project is reopened (damage strip, flicker curve, overlays, no re-detection)."""

from __future__ import annotations

from tests.app.conftest import open_reel, wait_frame


def _messages(window) -> list[str]:
    seen: list[str] = []
    window.statusBar().messageChanged.connect(lambda m: seen.append(m) if m else None)
    return seen


def test_detect_whole_reel_reports_progress_and_says_when_it_is_done(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    seen = _messages(window)
    det = window.reel_detection
    with qtbot.waitSignal(det.ended, timeout=120_000) as ended:
        window.detect_reel()
        assert det.running and det.box.isVisibleTo(window.statusBar())
    assert ended.args == ["finished"]
    assert any(m.startswith("Detecting the whole reel: frame ") for m in seen)
    assert any(m.startswith("Detection finished: 12 frames") for m in seen), seen
    assert not det.running and not det.box.isVisibleTo(window.statusBar())
    assert det.bar.value() == 12
    s = window.session
    assert sorted(s.detections) == list(range(12))
    assert set(s.density()) == set(range(12))
    assert len(s.flicker_curve()) == 12


def test_detection_can_be_cancelled_and_keeps_what_it_found(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    seen = _messages(window)
    det = window.reel_detection

    def cancel_after_first(run_id, d, done, total) -> None:
        if done == 2:
            det.cancel()

    det.item.connect(cancel_after_first)
    with qtbot.waitSignal(det.ended, timeout=120_000) as ended:
        window.detect_reel()
    assert ended.args == ["cancelled"]
    assert any(m.startswith("Detection cancelled after ") for m in seen), seen
    assert not det.running
    n = len(window.session.detections)
    assert 2 <= n < 12, n
    det.item.disconnect(cancel_after_first)
    with qtbot.waitSignal(det.ended, timeout=120_000) as again:      # a second run goes to the end
        window.detect_reel()
    assert again.args == ["finished"] and len(window.session.detections) == 12


def test_detections_persist_with_the_project_and_show_on_reopen(qtbot, window, reel_file, monkeypatch):
    from app import engine, project_io

    open_reel(qtbot, window, reel_file)
    s = window.session
    with qtbot.waitSignal(window.reel_detection.ended, timeout=120_000):
        window.detect_reel()
    density, flicker = s.density(), s.flicker_curve()
    damaged = sorted(i for i, v in density.items() if v > 0)
    assert damaged, "the generated reel has a speck on every even frame"
    assert project_io.save(window)
    folder = s.project.folder

    window.controller.close()                  # what a new session starts from: nothing open
    assert not s.detections and window.session.project is None
    detected_again: list[int] = []
    real = engine.detect_frame
    monkeypatch.setattr(engine, "detect_frame", lambda reel, i, st=None: (detected_again.append(i), real(reel, i, st))[1])
    with qtbot.waitSignal(window.controller.opened, timeout=10_000):
        window.open_path(str(folder))
    wait_frame(qtbot, window, 0)
    assert window.session.project.folder == folder
    assert sorted(i for i, v in s.density().items() if v > 0) == damaged
    assert s.density() == {i: v for i, v in density.items() if v > 0 or i in s.detections}
    assert s.flicker_curve() == flicker
    f = damaged[0]
    window.transport.seek(f)
    wait_frame(qtbot, window, f)
    qtbot.waitUntil(lambda: window.viewer.detected is not None, timeout=10_000)
    assert window.viewer.detected.any(), "the frame's detected mask is shown from the project"
    assert window.inspector.defects.count() == len(s.project.defects(s.reel_id, f)) > 0
    qtbot.wait(500)                             # past the scrub rest that starts a frame's detection
    assert detected_again == [], "frames the project holds are not detected again"
