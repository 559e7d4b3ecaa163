"""``--screenshot``: grab the whole window once the first frame and its detection are shown."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer

from restoration_core.atomic import atomic_path

TIMEOUT_MS = 180_000


class Capturer(QObject):
    def __init__(self, window, target: Path, size: tuple[int, int], finish: Callable[[int], None]):
        super().__init__(window)
        self.window, self.target, self.size, self.finish = window, Path(target), size, finish
        self.frame_seen = False
        self.done = False
        c = window.controller
        c.frame_shown.connect(self._frame_shown)
        c.analysis_done.connect(self._analysed)
        c.open_failed.connect(self._failed)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._timeout)
        self.timer.start(TIMEOUT_MS)

    def _frame_shown(self, index: int) -> None:
        if index == self.window.transport.frame:
            self.frame_seen = True

    def _analysed(self, index: int) -> None:
        if index == 0 and self.frame_seen:
            # let the overlay and timeline repaint first
            QTimer.singleShot(150, lambda: self.now(0))
        elif index == 0:
            QTimer.singleShot(200, lambda: self._analysed(0))

    def _failed(self, message: str) -> None:
        print(f"reelwright: error: {message}", file=sys.stderr)
        self._end(2)

    def _timeout(self) -> None:
        print("reelwright: warning: the first frame's detection did not finish in time; "
              "saving the window as it is", file=sys.stderr)
        self.now(1)

    def now(self, code: int = 0) -> None:
        if self.done:
            return
        w = self.window
        if (w.width(), w.height()) != self.size:
            w.resize(*self.size)
        pixmap = w.grab()
        if pixmap.width() != self.size[0] or pixmap.height() != self.size[1]:
            pixmap = pixmap.scaled(*self.size, Qt.AspectRatioMode.IgnoreAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(self.target) as tmp:
                if not pixmap.save(str(tmp), "PNG"):
                    raise OSError("cannot write PNG")
        except OSError as exc:
            print(f"reelwright: error: {self.target}: {exc}", file=sys.stderr)
            self._end(2)
            return
        print(f"screenshot: {self.target} ({pixmap.width()}x{pixmap.height()})")
        self._end(code)

    def _end(self, code: int) -> None:
        if not self.done:
            self.done = True
            self.timer.stop()
            QTimer.singleShot(0, lambda: self.finish(code))


def capture(window, target: Path, size: tuple[int, int], finish: Callable[[int], None]) -> Capturer:
    return Capturer(window, target, size, finish)
