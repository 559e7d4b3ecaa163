"""The picture: paints before/after/difference with overlays, zoom, pan and a wipe.

A thin view over :class:`CompareState`, :class:`OverlayState` and :class:`ViewTransform`.
It never touches frame data: it is given display QImages and emits image coordinates
for the pixel readout and the painting tools.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from app.models.state import CompareState, OverlayState, ViewTransform

WIPE_GRAB_PX = 7


class ViewerCanvas(QWidget):
    hovered = Signal(float, float)            # image coords under the cursor
    stroke = Signal(str, float, float)        # "press" | "move" | "release", image coords
    context_at = Signal(float, float)
    left = Signal()                           # the mouse left the canvas

    def __init__(self, compare: CompareState, overlay: OverlayState, view: ViewTransform,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.compare, self.overlay, self.view = compare, overlay, view
        self.before: QImage | None = None
        self.after: QImage | None = None
        self.diff: QImage | None = None
        self.overlay_image: QImage | None = None
        self.boxes: list[tuple[QRectF, str, bool]] = []   # rect, tooltip, rejected
        self.hud_text = ""
        self.message = ""
        self.tool_active = False
        self.brush_radius = 0.0
        self.preview_path: list[QPointF] = []
        self.preview_closed = False
        self._cursor_img: QPointF | None = None
        self._pan_from: QPointF | None = None
        self._space = False
        self._drag_wipe = False
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(320, 200)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        for group in (compare.events, overlay.events, view.events):
            group.connect(self._repaint)
        compare.events.mode.connect(self._mode_changed)
        overlay.events.connect(self._overlay_switched)

    def _mode_changed(self, mode: str, old: str | None = None) -> None:
        """Side by side halves the panel: entering it fits both frames (as leaving it does when
        the view was fitted)."""
        if mode == "side" or (old == "side" and self.view.fit):
            self.fit()

    def _overlay_switched(self, *_args) -> None:
        if not (self.overlay.boxes and self.overlay.detected):
            QToolTip.hideText()       # a defect's tooltip must not outlive its overlay

    def _repaint(self, *_args) -> None:
        self.update()

    # ---- content -------------------------------------------------------------------
    def image_size(self) -> tuple[int, int]:
        img = self.before or self.after
        return (img.width(), img.height()) if img is not None else (0, 0)

    def set_images(self, before: QImage | None, after: QImage | None = None,
                   diff: QImage | None = None) -> None:
        first = self.before is None
        self.before, self.after, self.diff = before, after, diff
        if first or self.view.fit:
            self.fit()
        self.update()

    # ---- geometry ------------------------------------------------------------------
    def panels(self) -> list[QRectF]:
        r = QRectF(self.rect())
        if self.compare.mode == "side":
            half = r.width() / 2
            return [QRectF(0, 0, half - 1, r.height()), QRectF(half + 1, 0, half - 1, r.height())]
        return [r]

    def panel_at(self, pos: QPointF) -> QRectF:
        for p in self.panels():
            if p.contains(pos):
                return p
        return self.panels()[0]

    def to_image(self, pos: QPointF, panel: QRectF | None = None) -> QPointF:
        panel = panel or self.panel_at(pos)
        s = self.view.scale
        return QPointF((pos.x() - panel.center().x()) / s + self.view.cx,
                       (pos.y() - panel.center().y()) / s + self.view.cy)

    def to_screen(self, pt: QPointF, panel: QRectF) -> QPointF:
        s = self.view.scale
        return QPointF((pt.x() - self.view.cx) * s + panel.center().x(),
                       (pt.y() - self.view.cy) * s + panel.center().y())

    def fit(self) -> None:
        w, h = self.image_size()
        if not w:
            return
        panel = self.panels()[0]
        scale = min(panel.width() / w, panel.height() / h) * 0.98
        with self.view.events.blocked():
            self.view.scale, self.view.cx, self.view.cy = max(scale, 1e-3), w / 2, h / 2
        self.view.fit = True
        self.update()

    def one_to_one(self) -> None:
        self.view.fit = False
        self.view.scale = 1.0

    def zoom_at(self, factor: float, pos: QPointF) -> None:
        panel = self.panel_at(pos)
        before = self.to_image(pos, panel)
        scale = min(64.0, max(0.02, self.view.scale * factor))
        with self.view.events.blocked():
            self.view.scale = scale
            self.view.cx = before.x() - (pos.x() - panel.center().x()) / scale
            self.view.cy = before.y() - (pos.y() - panel.center().y()) / scale
        self.view.fit = False
        self.update()

    def wipe_screen_pos(self) -> float:
        """The divider's position in widget pixels (x when vertical, y when horizontal)."""
        panel = self.panels()[0]
        w, h = self.image_size()
        if self.compare.wipe_vertical:
            return self.to_screen(QPointF(w * self.compare.wipe_pos, 0), panel).x()
        return self.to_screen(QPointF(0, h * self.compare.wipe_pos), panel).y()

    # ---- painting ------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(18, 18, 20))
        if self.before is None:
            p.setPen(QColor(140, 140, 150))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message or "No reel open")
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.view.scale < 1.0)
        mode = self.compare.mode
        after = self.after if self.after is not None else self.before
        if mode == "side":
            left, right = self.panels()
            self._draw_image(p, self.before, left, overlays=True)
            self._draw_image(p, after, right, overlays=False)
            self._label(p, left, "BEFORE")
            self._label(p, right, "AFTER" if self.after is not None else "AFTER (no preview)")
        elif mode == "wipe":
            panel = self.panels()[0]
            cut = self.wipe_screen_pos()
            first, second = QRectF(panel), QRectF(panel)
            if self.compare.wipe_vertical:
                first.setRight(cut)
                second.setLeft(cut)
            else:
                first.setBottom(cut)
                second.setTop(cut)
            self._draw_image(p, self.before, panel, overlays=True, clip=first)
            self._draw_image(p, after, panel, overlays=False, clip=second)
            p.setPen(QPen(QColor(255, 200, 60), 2))
            if self.compare.wipe_vertical:
                p.drawLine(QPointF(cut, 0), QPointF(cut, panel.height()))
            else:
                p.drawLine(QPointF(0, cut), QPointF(panel.width(), cut))
            self._label(p, first, "BEFORE")
            self._label(p, second, "AFTER" if self.after is not None else "AFTER (no preview)",
                        right=self.compare.wipe_vertical)
        elif mode == "diff":
            panel = self.panels()[0]
            self._draw_image(p, self.diff if self.diff is not None else self.before, panel, overlays=False)
            self._label(p, panel, f"DIFFERENCE x{self.compare.diff_gain:g}"
                        + ("" if self.diff is not None else " (no preview)"))
        else:
            panel = self.panels()[0]
            show_after = self.compare.show_after and self.after is not None
            self._draw_image(p, self.after if show_after else self.before, panel, overlays=not show_after)
            if self.after is not None:
                self._label(p, panel, "AFTER" if show_after else "BEFORE")
        self._draw_tool(p)
        if self.overlay.hud and self.hud_text:
            self._hud(p)

    def _draw_image(self, p: QPainter, img: QImage, panel: QRectF, overlays: bool,
                    clip: QRectF | None = None) -> None:
        p.save()
        p.setClipRect(clip if clip is not None else panel)
        tl = self.to_screen(QPointF(0, 0), panel)
        target = QRectF(tl.x(), tl.y(), img.width() * self.view.scale, img.height() * self.view.scale)
        p.drawImage(target, img)
        if overlays and self.overlay_image is not None:
            p.drawImage(target, self.overlay_image)
        if overlays and self.overlay.boxes:
            for rect, _tip, rejected in self.boxes:
                a = self.to_screen(rect.topLeft(), panel)
                b = self.to_screen(rect.bottomRight(), panel)
                colour = QColor(150, 150, 150) if rejected else QColor(255, 170, 40)
                p.setPen(QPen(colour, 1, Qt.PenStyle.DashLine if rejected else Qt.PenStyle.SolidLine))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(a, b).adjusted(-2, -2, 2, 2))
        p.restore()

    def _label(self, p: QPainter, rect: QRectF, text: str, right: bool = True) -> None:
        p.save()
        f = QFont(self.font())
        f.setBold(True)
        f.setPointSizeF(max(8.0, f.pointSizeF() * 0.9))
        p.setFont(f)
        fm = p.fontMetrics()
        w = fm.horizontalAdvance(text) + 12
        x = rect.right() - w - 8 if right else rect.left() + 8
        box = QRectF(x, rect.bottom() - fm.height() - 14, w, fm.height() + 6)
        p.fillRect(box, QColor(0, 0, 0, 150))
        p.setPen(QColor(235, 235, 235))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.restore()

    def _hud(self, p: QPainter) -> None:
        p.save()
        f = QFont("monospace")
        f.setStyleHint(QFont.StyleHint.Monospace)
        p.setFont(f)
        fm = p.fontMetrics()
        box = QRectF(8, 8, fm.horizontalAdvance(self.hud_text) + 14, fm.height() + 8)
        p.fillRect(box, QColor(0, 0, 0, 160))
        p.setPen(QColor(255, 214, 90))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self.hud_text)
        p.restore()

    def _draw_tool(self, p: QPainter) -> None:
        if not self.tool_active:
            return
        panel = self.panels()[0]
        p.save()
        p.setBrush(Qt.BrushStyle.NoBrush)
        if self.preview_path:
            path = QPainterPath(self.to_screen(self.preview_path[0], panel))
            for pt in self.preview_path[1:]:
                path.lineTo(self.to_screen(pt, panel))
            if self.preview_closed:
                path.closeSubpath()
            p.setPen(QPen(QColor(40, 200, 255), 1, Qt.PenStyle.DashLine))
            p.drawPath(path)
        if self._cursor_img is not None and self.brush_radius > 0:
            c = self.to_screen(self._cursor_img, panel)
            r = self.brush_radius * self.view.scale
            p.setPen(QPen(QColor(255, 255, 255, 200), 1))
            p.drawEllipse(c, r, r)
        p.restore()

    # ---- input ---------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802
        if self.view.fit:
            self.fit()
        super().resizeEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_at(1.25 ** steps, event.position())

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and self.tool_active:
            self._space = True
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat() and self._space:
            self._space = False
            return
        super().keyReleaseEvent(event)

    def _near_wipe(self, pos: QPointF) -> bool:
        if self.compare.mode != "wipe" or self.before is None:
            return False
        coord = pos.x() if self.compare.wipe_vertical else pos.y()
        return abs(coord - self.wipe_screen_pos()) <= WIPE_GRAB_PX

    def mousePressEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        pan = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and (self._space or not self.tool_active)
            and not self._near_wipe(pos))
        if event.button() == Qt.MouseButton.LeftButton and self._near_wipe(pos):
            self._drag_wipe = True
        elif pan:
            self._pan_from = pos
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        elif event.button() == Qt.MouseButton.LeftButton and self.tool_active:
            img = self.to_image(pos)
            self.stroke.emit("press", img.x(), img.y())
        elif event.button() == Qt.MouseButton.RightButton:
            img = self.to_image(pos)
            self.context_at.emit(img.x(), img.y())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        img = self.to_image(pos)
        self._cursor_img = img
        self.hovered.emit(img.x(), img.y())
        if self._drag_wipe:
            w, h = self.image_size()
            frac = img.x() / w if self.compare.wipe_vertical else img.y() / h
            self.compare.wipe_pos = min(1.0, max(0.0, frac))
        elif self._pan_from is not None:
            d = pos - self._pan_from
            self._pan_from = pos
            with self.view.events.blocked():
                self.view.cx -= d.x() / self.view.scale
                self.view.cy -= d.y() / self.view.scale
            self.view.fit = False
            self.update()
        elif self.tool_active and event.buttons() & Qt.MouseButton.LeftButton:
            self.stroke.emit("move", img.x(), img.y())
        else:
            if self._near_wipe(pos):
                self.setCursor(Qt.CursorShape.SplitHCursor if self.compare.wipe_vertical
                               else Qt.CursorShape.SplitVCursor)
            elif not self.tool_active:
                self.setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.setCursor(Qt.CursorShape.CrossCursor)
            self._tooltip(event, img)
        if self.tool_active:
            self.update()

    def _tooltip(self, event, img: QPointF) -> None:
        if not self.overlay.boxes:
            QToolTip.hideText()
            return
        for rect, tip, _rej in self.boxes:
            if rect.adjusted(-2, -2, 2, 2).contains(img):
                QToolTip.showText(event.globalPosition().toPoint(), tip, self)
                return
        QToolTip.hideText()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._drag_wipe:
            self._drag_wipe = False
        elif self._pan_from is not None:
            self._pan_from = None
            self.unsetCursor()
        elif event.button() == Qt.MouseButton.LeftButton and self.tool_active:
            img = self.to_image(event.position())
            self.stroke.emit("release", img.x(), img.y())

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._cursor_img = None
        QToolTip.hideText()
        self.left.emit()
        self.update()
        super().leaveEvent(event)
