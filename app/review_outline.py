"""The review pass's mark on the picture: the region's mask outlined, its box, its label.

A transparent child of the viewer canvas (mouse events pass through), drawn in image
coordinates through the canvas's zoom and pan, in every panel (side by side too). It only
draws on the frame the item belongs to, so a stale frame never shows the next region's outline.
"""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QWidget

OUTLINE = QColor(60, 255, 140)
REJECTED = QColor(255, 90, 90)
ACCEPTED = QColor(120, 200, 255)


def outline_path(mask: np.ndarray, x0: int, y0: int) -> QPainterPath:
    """The outer contours of a region's mask (its box at ``x0, y0``) as a path in image pixels."""
    path = QPainterPath()
    contours, _h = cv2.findContours(np.ascontiguousarray(mask, np.uint8), cv2.RETR_EXTERNAL,
                                    cv2.CHAIN_APPROX_SIMPLE)
    for c in contours:
        pts = c.reshape(-1, 2)
        path.moveTo(QPointF(x0 + pts[0][0] + 0.5, y0 + pts[0][1] + 0.5))
        for px, py in pts[1:]:
            path.lineTo(QPointF(x0 + px + 0.5, y0 + py + 0.5))
        path.closeSubpath()
    return path


class ReviewOutline(QWidget):
    """Draws the current review region over the canvas; ``shown(frame)`` after each paint of it."""

    shown = Signal(int)

    def __init__(self, canvas, viewer):
        super().__init__(canvas)
        self.canvas, self.viewer = canvas, viewer
        self.frame = -1
        self.bbox: tuple[int, int, int, int] | None = None
        self.path = QPainterPath()
        self.label = ""
        self.status = "unreviewed"
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setGeometry(canvas.rect())
        canvas.installEventFilter(self)
        for group in (canvas.view.events, canvas.compare.events):
            group.connect(self._changed)
        self.hide()

    def _changed(self, *_args) -> None:
        self.update()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt naming
        if obj is self.canvas and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.canvas.rect())
        return False

    def set_region(self, frame: int, bbox, mask: np.ndarray | None, label: str, status: str) -> None:
        """Outline ``mask`` (the region inside ``bbox``; None: the box only) on ``frame``."""
        self.frame, self.bbox = int(frame), tuple(int(v) for v in bbox)
        x, y, w, h = self.bbox
        self.path = outline_path(mask, x, y) if mask is not None else QPainterPath()
        self.label, self.status = label, status
        self.setGeometry(self.canvas.rect())
        self.raise_()
        self.show()
        self.update()

    def set_status(self, status: str) -> None:
        self.status = status
        self.update()

    def clear(self) -> None:
        self.frame, self.bbox = -1, None
        self.hide()

    def paintEvent(self, event) -> None:  # noqa: N802
        if self.bbox is None or self.viewer.index != self.frame or self.canvas.before is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = {"rejected": REJECTED, "accepted": ACCEPTED}.get(self.status, OUTLINE)
        v = self.canvas.view
        x, y, w, h = self.bbox
        for panel in self.canvas.panels():
            p.save()
            p.setClipRect(panel)
            c = panel.center()
            p.setTransform(QTransform(v.scale, 0, 0, v.scale, c.x() - v.cx * v.scale, c.y() - v.cy * v.scale))
            pen = QPen(colour, 2)
            pen.setCosmetic(True)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(self.path)
            p.resetTransform()
            a = self.canvas.to_screen(QPointF(x, y), panel)
            b = self.canvas.to_screen(QPointF(x + w, y + h), panel)
            box = QRectF(a, b).adjusted(-6, -6, 6, 6)
            p.setPen(QPen(colour, 1, Qt.PenStyle.DashLine))
            p.drawRect(box)
            self._tag(p, box, colour)
            p.restore()
        p.end()
        self.shown.emit(self.frame)

    def _tag(self, p: QPainter, box: QRectF, colour: QColor) -> None:
        if not self.label:
            return
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        fm = p.fontMetrics()
        tw, th = fm.horizontalAdvance(self.label) + 10, fm.height() + 4
        top = box.top() - th - 2 if box.top() - th - 2 > 0 else box.bottom() + 2
        # kept on screen: a whole frame's box (a frame to rebuild) reaches the canvas' edges
        left = max(2.0, min(box.left(), self.width() - tw - 2.0))
        tag = QRectF(left, min(top, self.height() - th - 2.0), tw, th)
        p.fillRect(tag, QColor(0, 0, 0, 170))
        p.setPen(colour)
        p.drawText(tag, Qt.AlignmentFlag.AlignCenter, self.label)
