"""Mask painting writes the project's "painted" layer; undo removes it; hold covers a range."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt

from tests.app.conftest import open_reel, wait_frame


def _screen(window, x: float, y: float) -> QPoint:
    cv = window.viewer.canvas
    return cv.to_screen(QPointF(x, y), cv.panels()[0]).toPoint()


def _painted(window, frame: int):
    s = window.session
    return s.project.masks.get(s.reel_id, frame, "painted")


def test_brush_stroke_paints_source_pixels_and_undo_removes_them(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    window.paint.tool = "brush"
    window.paint.size = 6
    window.paint.hardness = 1.0
    cv = window.viewer.canvas
    qtbot.mousePress(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 30.5, 40.5))
    for x in (40, 50, 60):
        qtbot.mouseMove(cv, _screen(window, x + 0.5, 40.5))
    qtbot.mouseRelease(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 70.5, 40.5))
    mask = _painted(window, 0)
    assert mask is not None and mask.shape == (90, 160)      # source resolution
    assert mask[40, 30:71].all()                             # along the stroke
    assert not mask[10, :].any() and not mask[:, 120:].any()  # nowhere else
    assert _painted(window, 1) is None
    assert window.viewer.painted is not None and window.viewer.painted[40, 50]
    window.undo_stack.undo()
    assert _painted(window, 0) is None
    window.undo_stack.redo()
    assert _painted(window, 0)[40, 50]


def test_rectangle_lasso_and_eraser(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    cv = window.viewer.canvas
    window.paint.tool = "rect"
    qtbot.mousePress(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 10.5, 10.5))
    qtbot.mouseMove(cv, _screen(window, 30.5, 20.5))
    qtbot.mouseRelease(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 30.5, 20.5))
    m = _painted(window, 0)
    assert m[10:21, 10:31].all() and m.sum() == 11 * 21
    window.paint.tool = "eraser"
    window.paint.size = 4
    qtbot.mousePress(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 20.5, 15.5))
    qtbot.mouseRelease(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 20.5, 15.5))
    m = _painted(window, 0)
    assert not m[15, 20] and m[10, 10]
    window.paint.tool = "lasso"
    # a triangle (100,50) -> (140,50) -> (140,80): filled as a polygon, not as its bounding box
    qtbot.mousePress(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 100.5, 50.5))
    qtbot.mouseMove(cv, _screen(window, 140.5, 50.5))
    qtbot.mouseRelease(cv, Qt.MouseButton.LeftButton, pos=_screen(window, 140.5, 80.5))
    m = _painted(window, 0)
    assert m[55, 130] and m[75, 138] and not m[75, 105] and not m[85, 120]
    assert window.undo_stack.count() == 3


def test_hold_over_range_writes_every_frame_of_the_range(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    window.transport.seek(2)
    wait_frame(qtbot, window, 2)
    s = window.session
    mask = np.zeros((90, 160), bool)
    mask[5:15, 100:120] = True
    window.painter.commit(s.project, s.reel_id, 2, mask, "Test paint")
    window.transport.mark_in, window.transport.mark_out = 2, 9
    window.hold_over_range()
    for f in range(12):
        held = s.project.masks.get(s.reel_id, f, "held")
        if 2 <= f < 9:
            assert held is not None and np.array_equal(held, mask), f
        else:
            assert held is None, f
    window.undo_stack.undo()
    assert all(s.project.masks.get(s.reel_id, f, "held") is None for f in range(12))


def test_reject_and_accept_detections_are_remembered(qtbot, window, reel_file):
    from restoration_core.defects import Defect

    open_reel(qtbot, window, reel_file)
    s = window.session
    mask = np.zeros((90, 160), bool)
    mask[40:44, 60:64] = True
    s.project.set_detection(s.reel_id, 0, mask, [Defect(0, (60, 40, 4, 4), 16, "dust", "dark", 0.9, 1)])
    window.set_frame_rejected(True, [1])
    assert s.project.rejected(s.reel_id, 0) == {1}
    assert s.project.repair_mask(s.reel_id, 0, (90, 160)) is None
    window.undo_stack.undo()
    assert s.project.rejected(s.reel_id, 0) == set()
    assert s.project.repair_mask(s.reel_id, 0, (90, 160))[41, 61]
