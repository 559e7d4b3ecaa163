"""GUI test fixtures: small generated reels, a window that is always shut down, leak check."""

from __future__ import annotations

import gc
from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip("PySide6")


@dataclass
class _Info:
    frames: int
    width: int
    height: int
    fps: float = 24.0
    bit_depth: int = 8
    timecode: str | None = "01:00:00:00"

    def to_dict(self) -> dict:
        return {"frames": self.frames, "width": self.width, "height": self.height, "fps": "24/1",
                "bit_depth": self.bit_depth}


class ArrayReel:
    """A reel over generated frames (the media engine's Reel interface: info, len, read)."""

    def __init__(self, frames: np.ndarray):
        self.data = frames
        n, h, w = frames.shape[:3]
        bits = 16 if frames.dtype == np.uint16 else 8
        self.info = _Info(n, w, h, bit_depth=bits)

    def __len__(self) -> int:
        return len(self.data)

    def read(self, index: int):
        from restoration_core.media.frame import Frame

        if not 0 <= index < len(self.data):
            raise IndexError(index)
        return Frame(self.data[index].copy(), index, None)

    def frames(self, start: int = 0, stop: int | None = None):
        for i in range(start, len(self.data) if stop is None else min(stop, len(self.data))):
            yield self.read(i)

    def close(self) -> None:
        pass


def make_frames(n: int = 12, w: int = 160, h: int = 90, dtype=np.uint8) -> np.ndarray:
    """Moving gradient content with a dark speck on every even frame."""
    yy, xx = np.mgrid[0:h, 0:w]
    frames = []
    for i in range(n):
        r = (xx * 255 // w + i * 3) % 256
        g = yy * 255 // h
        b = np.full_like(r, 90)
        f = np.stack([r, g, b], axis=2).astype(np.float64) / 255.0
        if i % 2 == 0:
            f[40:44, 60:64] = 0.02
        peak = 65535 if dtype == np.uint16 else 255
        frames.append(np.round(f * peak).astype(dtype))
    return np.stack(frames)


@pytest.fixture
def reel_file(tmp_path, monkeypatch):
    """A path that opens as a 12-frame 160x90 reel (the media engine's opener is replaced)."""
    frames = make_frames()
    path = tmp_path / "reel.fake"
    path.write_bytes(b"fake reel")
    from app import engine

    real = engine.open_reel

    def opener(p):
        if str(p) == str(path):
            return ArrayReel(frames)
        return real(p)

    monkeypatch.setattr(engine, "open_reel", opener)
    return path


@pytest.fixture
def window(qtbot):
    from app.main_window import MainWindow

    w = MainWindow()
    w.headless = False
    w.jobs.auto_run = False
    w.resize(1200, 800)
    # pytest-qt closes the window before this fixture's teardown runs: stop the workers and
    # drop the project first, so closing never asks "Save changes?"
    qtbot.addWidget(w, before_close_func=_quiet_close)
    w.show()
    yield w
    _quiet_close(w)
    w.close()


def _quiet_close(w) -> None:
    w.shutdown()
    w.session.project = None   # nothing to save on close


def open_reel(qtbot, window, path, frame: int = 0):
    with qtbot.waitSignal(window.controller.opened, timeout=10000):
        window.open_path(str(path))
    wait_frame(qtbot, window, frame)


def wait_frame(qtbot, window, frame: int):
    qtbot.waitUntil(lambda: window.viewer.index == frame and window.viewer.data is not None, timeout=10000)


_MODALS = {
    "QMessageBox": ("question", "critical", "warning", "information"),
    "QFileDialog": ("getOpenFileName", "getSaveFileName", "getExistingDirectory"),
    "QInputDialog": ("getInt", "getText", "getItem", "getDouble"),
}


@pytest.fixture(autouse=True)
def _no_blocking_dialogs(monkeypatch):
    """A modal dialog in an offscreen test waits forever for a click (and the timeout's signal
    never reaches Python inside Qt's nested loop): answer each one with Cancel and fail the test.
    Tests that expect a dialog patch the function themselves, which takes precedence."""
    from PySide6 import QtWidgets

    shown: list[str] = []

    def refuse(cls_name: str, name: str):
        def answer(*args, **kwargs):
            shown.append(f"{cls_name}.{name}{args[1:3]}")
            if cls_name == "QMessageBox":
                return QtWidgets.QMessageBox.StandardButton.Cancel
            if cls_name == "QFileDialog":
                return "" if name == "getExistingDirectory" else ("", "")
            return (0, False) if name in ("getInt", "getDouble") else ("", False)
        return staticmethod(answer)

    for cls_name, names in _MODALS.items():
        for name in names:
            monkeypatch.setattr(getattr(QtWidgets, cls_name), name, refuse(cls_name, name))

    def exec_refused(self, *args):
        shown.append(f"{type(self).__name__}.exec()")
        return 0

    monkeypatch.setattr(QtWidgets.QDialog, "exec", exec_refused)
    yield
    assert not shown, f"the test opened modal dialogs it did not expect: {shown}"


@pytest.fixture(autouse=True)
def _no_widget_leaks(qapp):
    """Fail a test that leaves top-level widgets behind (napari's leak check)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    before = {id(w) for w in QApplication.topLevelWidgets()}
    yield
    for w in QApplication.topLevelWidgets():
        if id(w) not in before and w.isWindow() and not w.isHidden():
            w.close()
    QApplication.processEvents()
    for w in list(QApplication.topLevelWidgets()):
        if id(w) not in before:
            w.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    gc.collect()
    leaked = [w for w in QApplication.topLevelWidgets()
              if id(w) not in before and type(w).__name__ not in ("QMenu", "QToolTip", "QTipLabel")]
    assert not leaked, f"widgets leaked: {[type(w).__name__ for w in leaked]}"
