"""Turns canvas strokes into painted-mask edits on the current frame, at source resolution."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QPointF
from superqt.utils import qthrottled

from app.painting import raster, undo
from app.viewer.viewer import ViewerWidget

STROKE_REDRAW_MS = 33   # about 30 redraws a second while a stroke is drawn


class PaintController(QObject):
    """Connects :class:`PaintState` and the canvas to the project's "painted" layer."""

    def __init__(self, window, viewer: ViewerWidget):
        super().__init__(window)
        self.window, self.viewer = window, viewer
        self.paint = window.paint
        self.work: np.ndarray | None = None
        self.start: tuple[float, float] | None = None
        self.last: tuple[float, float] | None = None
        self.points: list[tuple[float, float]] = []
        self.redraws = 0
        viewer.canvas.stroke.connect(self.on_stroke)
        self.paint.events.connect(self._state_changed)
        self._state_changed()

    def _state_changed(self, *_args) -> None:
        cv = self.viewer.canvas
        cv.tool_active = self.paint.tool != "none"
        cv.brush_radius = raster.effective_radius(self.paint.size, self.paint.hardness) \
            if self.paint.tool in ("brush", "eraser") else 0.0
        cv.update()

    def _target(self):
        s = self.window.session
        data = self.viewer.data
        if s.project is None or s.reel_id is None or data is None or self.viewer.index < 0:
            return None
        return s.project, s.reel_id, self.viewer.index, data.shape[:2]

    def on_stroke(self, phase: str, x: float, y: float) -> None:
        target = self._target()
        if target is None:
            return
        project, reel_id, frame, shape = target
        tool = self.paint.tool
        value = tool != "eraser"
        pt = (x, y)
        if phase == "press":
            current = project.masks.get(reel_id, frame, "painted")
            self.work = np.zeros(shape, bool) if current is None else current.copy()
            self.start = self.last = pt
            self.points = [pt]
            if tool in ("brush", "eraser"):
                raster.stamp_segment(self.work, pt, pt, self._radius(), value)
        elif self.work is None:
            return
        elif phase == "move":
            if tool in ("brush", "eraser"):
                raster.stamp_segment(self.work, self.last, pt, self._radius(), value)
            elif tool == "lasso":
                self.points.append(pt)
            self.last = pt
        if tool in ("brush", "eraser"):
            self.redraw()
        self._preview(tool, pt)
        if phase == "release":
            if tool in ("brush", "eraser"):
                raster.stamp_segment(self.work, self.last, pt, self._radius(), value)  # the last stretch
            elif tool == "rect":
                raster.fill_rect(self.work, self.start, pt, True)
            elif tool == "lasso":
                self.points.append(pt)
                raster.fill_polygon(self.work, self.points, True)
            self.commit(project, reel_id, frame, self.work, {"brush": "Brush stroke", "eraser": "Erase",
                                                             "rect": "Rectangle", "lasso": "Lasso"}[tool])
            self.work, self.points = None, []
            self._preview(tool, None)

    @qthrottled(timeout=STROKE_REDRAW_MS, leading=True)
    def redraw(self) -> None:
        """Show the stroke so far: at most once per STROKE_REDRAW_MS however fast the mouse
        events come (rebuilding the overlay costs a full-frame pass); every event is still
        stamped into the mask, and the finished stroke is drawn when it is committed."""
        if self.work is not None:
            self.viewer.painted = self.work
            self.viewer._rebuild_overlay()
            self.redraws += 1

    def _radius(self) -> float:
        return raster.effective_radius(self.paint.size, self.paint.hardness)

    def _preview(self, tool: str, pt) -> None:
        cv = self.viewer.canvas
        if pt is None or tool in ("brush", "eraser"):
            cv.preview_path, cv.preview_closed = [], False
        elif tool == "rect":
            (x0, y0), (x1, y1) = self.start, pt
            cv.preview_path = [QPointF(x0, y0), QPointF(x1, y0), QPointF(x1, y1), QPointF(x0, y1)]
            cv.preview_closed = True
        elif tool == "lasso":
            cv.preview_path = [QPointF(a, b) for a, b in self.points]
            cv.preview_closed = False
        cv.update()

    def commit(self, project, reel_id: str, frame: int, mask: np.ndarray, text: str) -> None:
        """Replace the painted mask of ``frame`` as one undoable step."""
        from restoration_core.project import MaskEdit

        cmd = MaskEdit.capture(project, reel_id, "painted", {frame: mask.copy()}, text=f"{text} (frame {frame})")
        undo.push(self.window.undo_stack, project, cmd)
