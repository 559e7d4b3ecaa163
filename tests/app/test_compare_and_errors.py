"""Wipe compare shows before and after on either side; bad input gives a dialog."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QMessageBox

from tests.app.conftest import open_reel


def test_wipe_shows_before_left_and_after_right(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    before = np.zeros((90, 160, 3), np.uint8)
    before[:] = (200, 20, 20)
    after = np.zeros_like(before)
    after[:] = (20, 20, 200)
    window.viewer.show_frame(0, before, None)
    window.viewer.set_after(after)
    window.overlay.detected = window.overlay.painted = window.overlay.hud = False
    window.compare.mode = "wipe"
    window.compare.wipe_pos = 0.5
    cv = window.viewer.canvas
    cv.fit()
    img = cv.grab().toImage()
    cut = int(cv.wipe_screen_pos())
    y = cv.height() // 2
    left, right = img.pixelColor(cut - 20, y), img.pixelColor(cut + 20, y)
    assert (left.red(), left.blue()) == (200, 20)
    assert (right.red(), right.blue()) == (20, 200)
    window.compare.wipe_pos = 0.9     # drag the divider: more of "before"
    img = cv.grab().toImage()
    assert img.pixelColor(cut + 20, y).red() == 200
    window.compare.mode = "diff"
    img = cv.grab().toImage()
    c = img.pixelColor(cv.width() // 2, y)
    assert c.red() == 255 and c.blue() == 255 and c.green() == 0   # |after-before|*8 clipped


def test_sixteen_bit_display_scales_without_truncating(qtbot, window, reel_file):
    from app.viewer.display import to_display

    data = np.array([[[0, 257, 65535], [32896, 128, 65300]]], np.uint16)
    out = to_display(data)
    assert out.tolist() == [[[0, 1, 255], [128, 0, 254]]]   # truncating (v >> 8) would give 255 last
    open_reel(qtbot, window, reel_file)
    window.viewer.show_frame(0, (np.ones((90, 160, 3)) * 40000).astype(np.uint16), None)
    window.viewer._readout(3.2, 4.7)
    assert "R 40000" in window.viewer.readout.text()


def test_bad_file_gives_a_dialog_not_a_crash(qtbot, window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: shown.append(text))
    bad = tmp_path / "broken.mov"
    bad.write_bytes(b"this is not a film")
    with qtbot.waitSignal(window.controller.open_failed, timeout=10000):
        window.open_path(str(bad))
    assert len(shown) == 1 and str(bad) in shown[0] and "\n" not in shown[0]
    assert window.session.reel is None
    window.open_path(str(tmp_path / "missing.mkv"))
    assert len(shown) == 2 and "missing.mkv" in shown[1]
