"""The timeline strip: a thin view over Transport, the session and the project's clips."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QToolTip, QWidget

from app.timecode import timecode_of

RULER, THUMBS, DENSITY, FLICKER, CLIPS = 26, 54, 22, 34, 24
MOTION = 64  # the motion lane, shown while the motion curve is (app.motion_curve)
MARGIN = 10
HANDLE_PX = 6
STATE_COLOURS = {None: QColor(90, 110, 150), "queued": QColor(120, 120, 140), "running": QColor(60, 140, 220),
                 "done": QColor(70, 170, 90), "failed": QColor(200, 70, 60), "cancelled": QColor(110, 90, 90)}


class TimelineView(QWidget):
    clip_moved = Signal(str, int, int)   # clip id, in, out (exclusive)
    context_requested = Signal(int, object)   # frame, global position (app.frame_candidates' menu)

    def __init__(self, transport, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.transport, self.session = transport, session
        self.thumbs = None                  # ThumbnailCache, set when a reel opens
        self._drag: tuple[str, str] | None = None   # ("seek", "") or (clip id, "in"|"out")
        self._clip_edit: dict[str, tuple[int, int]] = {}
        self.candidates = None              # RebuildCandidates, set by app.frame_candidates
        self.rebuild_frames = list          # () -> the frames listed to rebuild
        self.motion = None                  # MotionCurve, set by app.motion_curve
        self.setMinimumHeight(self.wanted_height())
        self.setMouseTracking(True)
        transport.events.connect(self._repaint)
        session.detection_ready.connect(lambda _i: self.update())
        session.opened.connect(self._repaint)
        session.closed.connect(self._repaint)

    def _repaint(self, *_args) -> None:
        self.update()

    # ---- geometry -------------------------------------------------------------------
    def _span(self) -> tuple[float, float]:
        return MARGIN, max(1.0, self.width() - 2 * MARGIN)

    def x_of(self, frame: float) -> float:
        x0, w = self._span()
        n = max(1, self.transport.frames)
        return x0 + frame / n * w

    def frame_at(self, x: float) -> int:
        x0, w = self._span()
        n = max(1, self.transport.frames)
        return max(0, min(n - 1, int((x - x0) / w * n)))

    def _lanes(self) -> list[tuple[str, int]]:
        motion = [("motion", MOTION)] if self.motion is not None and self.motion.visible else []
        return [("ruler", RULER), ("thumbs", THUMBS), ("density", DENSITY), ("flicker", FLICKER),
                *motion, ("clips", CLIPS)]

    def wanted_height(self) -> int:
        return sum(h + 2 for _name, h in self._lanes()) + 6

    def rows(self) -> dict[str, QRectF]:
        w = self.width()
        y, out = 0, {}
        for name, h in self._lanes():
            out[name] = QRectF(0, y, w, h)
            y += h + 2
        return out

    def clips(self) -> list:
        p = self.session.project
        if p is None or self.session.reel_id is None:
            return []
        return [c for c in p.clips if c.reel_id == self.session.reel_id]

    def clip_span(self, clip) -> tuple[int, int]:
        return self._clip_edit.get(clip.id, (clip.in_frame, clip.out_frame))

    # ---- paint ----------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 25, 28))
        n = self.transport.frames
        if not n:
            p.setPen(QColor(110, 112, 118))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No reel open")
            return
        rows = self.rows()
        self._labels: list[tuple[QRectF, str]] = []
        self._ruler(p, rows["ruler"], n)
        self._thumbs(p, rows["thumbs"], n)
        self._density(p, rows["density"])
        self._flicker(p, rows["flicker"])
        if "motion" in rows:
            self._motion(p, rows["motion"])
        self._clips(p, rows["clips"])
        self._rebuild_marks(p, rows["thumbs"])
        self._splice_marks(p, rows)
        a, b = self.transport.mark_in, self.transport.mark_out
        if a >= 0 or b > 0:
            lo, hi = self.transport.marked_range()
            p.fillRect(QRectF(self.x_of(lo), 0, self.x_of(hi) - self.x_of(lo), self.height()),
                       QColor(224, 160, 48, 38))
            p.setPen(QPen(QColor(224, 160, 48), 1))
            for x in ((self.x_of(lo),) if a >= 0 else ()) + ((self.x_of(hi),) if b > 0 else ()):
                p.drawLine(int(x), 0, int(x), self.height())
        x = self.x_of(self.transport.frame + 0.5)
        p.setPen(QPen(QColor(255, 70, 60), 2))
        p.drawLine(int(x), 0, int(x), self.height())
        p.setBrush(QColor(255, 70, 60))
        p.drawPolygon(QPolygonF([QPointF(x - 6, 0), QPointF(x + 6, 0), QPointF(x, 9)]))
        self._draw_labels(p)      # last: neither the playhead nor the lanes' data hide them

    def _draw_labels(self, p: QPainter) -> None:
        fm = p.fontMetrics()
        for r, text in self._labels:
            box = QRectF(r.left(), r.top(), fm.horizontalAdvance(text) + 8, min(r.height(), fm.height() + 2))
            p.fillRect(box, QColor(20, 20, 23, 230))
            p.setPen(QColor(150, 152, 158))
            p.drawText(box.adjusted(4, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)

    def _ruler(self, p: QPainter, r: QRectF, n: int) -> None:
        p.fillRect(r, QColor(32, 33, 37))
        f = QFont(self.font())
        f.setPointSizeF(max(7.0, f.pointSizeF() * 0.8))
        p.setFont(f)
        reel = self.session.reel
        fps = reel.fps if reel else 24.0
        start = reel.start_timecode if reel else None
        px_per_frame = self._span()[1] / n
        step = 1
        for s in (1, 2, 5, 10, 12, 24, 25, 30, 48, 50, 100, 120, 240, 250, 500, 1000, 2400, 5000):
            step = s
            if s * px_per_frame >= 90:
                break
        for i in range(0, n, max(1, step // 5) if step >= 5 else 1):
            x = self.x_of(i)
            major = i % step == 0
            p.setPen(QColor(120, 122, 128) if major else QColor(70, 72, 78))
            p.drawLine(int(x), int(r.bottom()) - (10 if major else 4), int(x), int(r.bottom()))
            if major:
                p.setPen(QColor(190, 192, 198))
                p.drawText(QRectF(x + 3, r.top(), 160, r.height() - 8), Qt.AlignmentFlag.AlignLeft
                           | Qt.AlignmentFlag.AlignVCenter, f"{i}  {timecode_of(i, fps, start)}")

    def _thumbs(self, p: QPainter, r: QRectF, n: int) -> None:
        p.fillRect(r, QColor(16, 16, 18))
        if self.thumbs is None:
            return
        reel = self.session.reel
        aspect = (reel.width / reel.height) if reel and reel.height else 16 / 9
        tw = max(24.0, r.height() * aspect)
        x0, span = self._span()
        count = max(1, int(span // tw))
        slot = span / count   # evenly spaced slots; each shows the frame at its left edge
        for k in range(count):
            frame = min(n - 1, int(k * n / count))
            img = self.thumbs.get(frame)
            target = QRectF(x0 + k * slot, r.top() + 1, min(tw, slot) - 1, r.height() - 2)
            if img is not None:
                p.drawImage(target, img)
            else:
                p.fillRect(target, QColor(34, 35, 39))

    def _density(self, p: QPainter, r: QRectF) -> None:
        p.fillRect(r, QColor(20, 20, 23))
        dens = self.session.density()
        if not dens:
            self._row_label(p, r, "damage")
            return
        peak = max(max(dens.values()), 1e-4)
        w = max(1.0, self.x_of(1) - self.x_of(0))
        for i, v in dens.items():
            h = max(1.0, (r.height() - 2) * min(1.0, v / peak))
            a = min(1.0, v / peak)
            p.fillRect(QRectF(self.x_of(i), r.bottom() - h, w, h),
                       QColor(int(200 + 55 * a), int(150 - 110 * a), 40))
        self._row_label(p, r, "damage")

    def _flicker(self, p: QPainter, r: QRectF) -> None:
        p.fillRect(r, QColor(20, 20, 23))
        curve = self.session.flicker_curve()
        p.setPen(QPen(QColor(60, 62, 68), 1, Qt.PenStyle.DotLine))
        p.drawLine(int(r.left()), int(r.center().y()), int(r.right()), int(r.center().y()))
        if len(curve) >= 1:
            lo, hi = min(curve.values()), max(curve.values())
            spread = max(abs(lo - 1.0), abs(hi - 1.0), 0.02)
            path = QPainterPath()
            for k, i in enumerate(sorted(curve)):
                y = r.center().y() - (curve[i] - 1.0) / spread * (r.height() / 2 - 3)
                pt = (self.x_of(i + 0.5), y)
                path.moveTo(*pt) if k == 0 else path.lineTo(*pt)
            p.setPen(QPen(QColor(120, 200, 255), 1.5))
            p.drawPath(path)
        self._row_label(p, r, "flicker")

    MOTION_COLOURS = {"x": QColor(235, 110, 90), "y": QColor(110, 210, 120), "rotation": QColor(190, 150, 255)}

    def _motion(self, p: QPainter, r: QRectF) -> None:
        """Upper half: the measured camera path (x, y px; rotation on its own scale) solid, the
        smoothed path the stabilizer keeps dotted. Lower half: the correction applied per frame."""
        p.fillRect(r, QColor(20, 20, 23))
        curve = self.motion
        samples = curve.samples() if curve is not None else []
        top, low = QRectF(r.left(), r.top(), r.width(), r.height() / 2), \
            QRectF(r.left(), r.center().y(), r.width(), r.height() / 2)
        p.setPen(QPen(QColor(60, 62, 68), 1, Qt.PenStyle.DotLine))
        for half in (top, low):
            p.drawLine(int(half.left()), int(half.center().y()), int(half.right()), int(half.center().y()))
        if not samples:
            self._row_label(p, r, "motion (measuring…)" if curve is not None and curve.reel_id else "motion")
            return
        cuts = set(curve.cuts)
        px, deg = curve.extent()
        fpx, fdeg = curve.correction_extent()
        lines = []
        for name, value, kept, fix in (("x", "dx", "kept_dx", "fix_dx"), ("y", "dy", "kept_dy", "fix_dy"),
                                       ("rotation", "angle", "kept_angle", "fix_angle")):
            scale, fscale = (deg, fdeg) if name == "rotation" else (px, fpx)
            lines += [(top, kept, scale, name, Qt.PenStyle.DotLine), (top, value, scale, name, Qt.PenStyle.SolidLine),
                      (low, fix, fscale, name, Qt.PenStyle.SolidLine)]
        for box, field, scale, name, style in lines:
            half, mid = box.height() / 2 - 2, box.center().y()
            path = QPainterPath()
            for k, s in enumerate(samples):
                pt = (self.x_of(s.frame + 0.5), mid - getattr(s, field) / scale * half)
                path.moveTo(*pt) if k == 0 or s.frame in cuts else path.lineTo(*pt)
            p.setPen(QPen(self.MOTION_COLOURS[name], 1.2, style))
            p.drawPath(path)
        p.setPen(QPen(QColor(230, 230, 235, 120), 1))
        for c in cuts:
            p.drawLine(int(self.x_of(c)), int(r.top()), int(self.x_of(c)), int(r.bottom()))
        self._row_label(p, top, f"motion  x y ±{px:.1f} px  rot ±{deg:.2f}°")
        self._row_label(p, low, f"correction  ±{fpx:.2f} px  ±{fdeg:.3f}°")

    def _clips(self, p: QPainter, r: QRectF) -> None:
        p.fillRect(r, QColor(20, 20, 23))
        for clip in self.clips():
            a, b = self.clip_span(clip)
            box = QRectF(self.x_of(a), r.top() + 2, max(4.0, self.x_of(b) - self.x_of(a)), r.height() - 4)
            colour = STATE_COLOURS.get(clip.job_state, STATE_COLOURS[None])
            p.setBrush(colour)
            p.setPen(QPen(colour.lighter(140), 1))
            p.drawRoundedRect(box, 3, 3)
            p.fillRect(QRectF(box.left(), box.top(), 3, box.height()), QColor(240, 240, 240))
            p.fillRect(QRectF(box.right() - 3, box.top(), 3, box.height()), QColor(240, 240, 240))
            p.setPen(QColor(245, 245, 245))
            p.drawText(box.adjusted(6, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter,
                       f"{clip.name}  {clip.job_state or ''}")
        self._row_label(p, r, "clips")

    def rebuild_marks(self) -> dict[int, str]:
        """Frame -> mark drawn over the thumbnails: a candidate's status, or "listed" (to rebuild)."""
        out = {} if self.candidates is None else {c.frame: self.candidates.status(c.frame)
                                                  for c in self.candidates.items()}
        for f in self.rebuild_frames():
            if out.get(f) != "dismissed":
                out[f] = "accepted" if f in out else "listed"
        return out

    def _rebuild_marks(self, p: QPainter, r: QRectF) -> None:
        colours = {"pending": QColor(240, 170, 40), "accepted": QColor(80, 200, 110),
                   "listed": QColor(80, 200, 110), "dismissed": QColor(120, 120, 126)}
        w = max(2.0, self.x_of(1) - self.x_of(0))
        for f, state in sorted(self.rebuild_marks().items()):
            c = colours[state]
            x = self.x_of(f)
            p.fillRect(QRectF(x, r.top(), w, r.height()), QColor(c.red(), c.green(), c.blue(), 70))
            p.setPen(QPen(c, 2))
            p.setBrush(c if state != "dismissed" else QColor(0, 0, 0, 0))
            cx = x + w / 2
            p.drawPolygon(QPolygonF([QPointF(cx - 5, r.bottom()), QPointF(cx + 5, r.bottom()),
                                     QPointF(cx, r.bottom() - 8)]))

    def splice_marks(self) -> list[int]:
        """Frames drawn with a cut mark: each starts a shot after a splice the frame scan found."""
        return [] if self.candidates is None else self.candidates.splices()

    def _splice_marks(self, p: QPainter, rows: dict[str, QRectF]) -> None:
        """A dashed line at each splice's frame line, from the thumbnails down, and a notch in the
        ruler: temporal steps (detection, fills, deflicker, stabilization) stop there."""
        colour = QColor(120, 220, 235)
        top, bottom = rows["thumbs"].top(), rows["clips"].bottom()
        ruler = rows["ruler"]
        for f in self.splice_marks():
            x = self.x_of(f)
            p.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, top), QPointF(x, bottom))
            p.setPen(QPen(colour, 1))
            p.setBrush(colour)
            p.drawPolygon(QPolygonF([QPointF(x - 5, ruler.bottom() - 9), QPointF(x + 5, ruler.bottom() - 9),
                                     QPointF(x, ruler.bottom())]))

    def _row_label(self, p: QPainter, r: QRectF, text: str) -> None:
        self._labels.append((QRectF(r), text))    # drawn by _draw_labels after the playhead

    # ---- mouse ----------------------------------------------------------------------
    def _hit_handle(self, x: float, y: float) -> tuple[str, str] | None:
        r = self.rows()["clips"]
        if not r.contains(x, y):
            return None
        for clip in self.clips():
            a, b = self.clip_span(clip)
            if abs(x - self.x_of(a)) <= HANDLE_PX:
                return clip.id, "in"
            if abs(x - self.x_of(b)) <= HANDLE_PX:
                return clip.id, "out"
        return None

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        if self.transport.frames:
            self.context_requested.emit(self.frame_at(event.pos().x()), event.globalPos())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or not self.transport.frames:
            return
        pos = event.position()
        self._drag = self._hit_handle(pos.x(), pos.y()) or ("seek", "")
        if self._drag[0] == "seek":
            self.transport.speed = 0
            self.transport.seek(self.frame_at(pos.x()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        if self._drag is None:
            hit = self._hit_handle(pos.x(), pos.y())
            self.setCursor(Qt.CursorShape.SizeHorCursor if hit else Qt.CursorShape.ArrowCursor)
            if self.transport.frames:
                f = self.frame_at(pos.x())
                reel = self.session.reel
                tip = f"frame {f}  {timecode_of(f, reel.fps, reel.start_timecode)}" if reel else ""
                c = self.candidates.at(f) if self.candidates is not None else None
                if c is not None:
                    tip += f"\nrebuild candidate: {c.kind} ({self.candidates.status(f)}; right-click to decide)"
                splice = self.candidates.splice_at(f) if self.candidates is not None else None
                if splice is not None:
                    tip += f"\nsplice before this frame: {splice}; temporal steps stop here"
                m = self.motion.at(f) if self.motion is not None and self.motion.visible else None
                if m is not None:
                    tip += (f"\nmotion x {m.dx:+.2f} y {m.dy:+.2f} px, rotation {m.angle:+.3f}°; correction "
                            f"x {m.fix_dx:+.2f} y {m.fix_dy:+.2f} px, {m.fix_angle:+.3f}°")
                QToolTip.showText(event.globalPosition().toPoint(), tip, self)
            return
        who, edge = self._drag
        f = self.frame_at(pos.x())
        if who == "seek":
            self.transport.seek(f)
            return
        clip = next((c for c in self.clips() if c.id == who), None)
        if clip is None:
            return
        a, b = self.clip_span(clip)
        if edge == "in":
            a = max(0, min(f, b - 1))
        else:
            b = min(self.transport.frames, max(f + 1, a + 1))
        self._clip_edit[who] = (a, b)
        self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        if drag and drag[0] != "seek" and drag[0] in self._clip_edit:
            a, b = self._clip_edit.pop(drag[0])
            self.clip_moved.emit(drag[0], a, b)
