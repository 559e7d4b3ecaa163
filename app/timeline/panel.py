"""The timeline dock: transport bar (shuttle, timecode, frame) over the timeline strip, and
playback at the reel's rate (reduced resolution while playing)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QToolButton, QVBoxLayout, QWidget

from app.theme import icon
from app.timecode import timecode_of
from app.timeline.thumbnails import ThumbnailCache
from app.timeline.view import TimelineView


class Player(QObject):
    """Advances the transport while ``speed`` is non-zero, at the reel's frame rate."""

    def __init__(self, transport, parent: QObject | None = None):
        super().__init__(parent)
        self.transport = transport
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        transport.events.speed.connect(self._speed)
        transport.events.fps.connect(lambda _f: self._speed(transport.speed))

    def _speed(self, speed: int) -> None:
        if speed:
            self.timer.start(max(5, int(1000 / max(1.0, self.transport.fps))))
        else:
            self.timer.stop()

    def _tick(self) -> None:
        if not self.transport.tick():
            self.timer.stop()


class TimelinePanel(QWidget):
    def __init__(self, window, parent: QWidget | None = None):
        super().__init__(parent)
        self.window = window
        t, s = window.transport, window.session
        self.transport, self.session = t, s
        self.view = TimelineView(t, s, self)
        self.player = Player(t, self)
        bar = QWidget(self)
        bar.setObjectName("transport")
        row = QHBoxLayout(bar)
        row.setContentsMargins(6, 2, 6, 2)
        for ic, tip, fn in (("mdi6.skip-backward", "First frame (Home)", lambda: t.seek(0)),
                            ("mdi6.step-backward", "Previous frame (Left)", lambda: t.step(-1)),
                            ("mdi6.rewind", "Shuttle reverse (J)", lambda: t.shuttle(-1)),
                            ("mdi6.stop", "Stop (K)", lambda: t.shuttle(0)),
                            ("mdi6.play", "Play / pause (Space)", t.play_pause),
                            ("mdi6.fast-forward", "Shuttle forward (L)", lambda: t.shuttle(1)),
                            ("mdi6.step-forward", "Next frame (Right)", lambda: t.step(1)),
                            ("mdi6.skip-forward", "Last frame (End)", lambda: t.seek(t.frames - 1))):
            b = QToolButton(bar)
            b.setIcon(icon(ic))
            b.setToolTip(tip)
            b.clicked.connect(fn)
            row.addWidget(b)
        self.timecode = QLabel("--:--:--:--", bar)
        self.timecode.setObjectName("timecode")
        row.addWidget(self.timecode)
        self.frame_box = QSpinBox(bar)
        self.frame_box.setRange(0, 0)
        self.frame_box.setPrefix("frame ")
        self.frame_box.setKeyboardTracking(False)
        self.frame_box.valueChanged.connect(t.seek)
        row.addWidget(self.frame_box)
        self.speed = QLabel("", bar)
        row.addWidget(self.speed)
        row.addStretch(1)
        self.marks = QLabel("", bar)
        row.addWidget(self.marks)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(bar)
        lay.addWidget(self.view, 1)
        t.events.connect(self._transport_changed)
        s.opened.connect(self._opened)
        s.closed.connect(self._closed)
        self.view.clip_moved.connect(self._clip_moved)
        s.project_changed.connect(self._project_changed)
        self._project = None

    def _project_changed(self) -> None:
        if self._project is not None:
            self._project.events.clips_changed.disconnect(self.view._repaint)
        self._project = self.session.project
        if self._project is not None:
            self._project.events.clips_changed.connect(self.view._repaint)
        self.view.update()

    def _opened(self) -> None:
        self._closed()
        self.view.thumbs = ThumbnailCache(str(self.session.reel.path), self)
        self.view.thumbs.ready.connect(lambda _i: self.view.update())
        self._transport_changed()

    def _closed(self) -> None:
        if self.view.thumbs is not None:
            self.view.thumbs.close()
            self.view.thumbs.deleteLater()
            self.view.thumbs = None
        self.view.update()

    def _transport_changed(self, *_args) -> None:
        t, reel = self.transport, self.session.reel
        self.frame_box.blockSignals(True)
        self.frame_box.setRange(0, max(0, t.frames - 1))
        self.frame_box.setValue(t.frame)
        self.frame_box.blockSignals(False)
        self.timecode.setText(timecode_of(t.frame, reel.fps, reel.start_timecode) if reel else "--:--:--:--")
        self.speed.setText("" if not t.speed else f"{'◀' if t.speed < 0 else '▶'} {abs(t.speed)}x")
        a, b = t.mark_in, t.mark_out
        self.marks.setText(("" if a < 0 else f"in {a}  ") + ("" if b <= 0 else f"out {b - 1}"))

    def _clip_moved(self, clip_id: str, a: int, b: int) -> None:
        project = self.session.project
        if project is not None:
            project.update_clip(clip_id, in_frame=a, out_frame=b)
            self.view.update()

    def shutdown(self) -> None:
        self.player.timer.stop()
        self._closed()
