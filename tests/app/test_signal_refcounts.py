"""A binding that leaks a reference per signal emission kills the workbench during playback.

PySide6 6.12.0's ``Signal.emit()`` dropped a reference to its argument on every call:
playback emits ``None``/``True``/``False`` thousands of times a second, and Python 3.11
aborts with ``none_dealloc`` when ``None``'s count reaches zero. This guard emits each kind
of signal the workbench uses 100,000 times and fails if ``sys.getrefcount`` of the
singletons moved (the pin in pyproject.toml names this file).
"""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

N = 100_000
TOLERANCE = 50          # unrelated interpreter activity moves a count by a few, a leak by ~N


class Emitter(QObject):
    obj = Signal(object)
    integer = Signal(int)
    boolean = Signal(bool)
    several = Signal(int, object, object, object, float, bool)   # the shape of frame_ready


class Sink(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def take(self, *_args) -> None:
        self.count += 1


def _counts() -> tuple[int, int, int]:
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def _assert_held(before: tuple[int, int, int], what: str) -> None:
    after = _counts()
    drift = [a - b for a, b in zip(after, before, strict=True)]
    assert all(abs(d) <= TOLERANCE for d in drift), (
        f"{what}: refcount drift of None/True/False after {N:,} emits: {drift} "
        "(this Qt binding leaks a reference per emit; see the PySide6 pin in pyproject.toml)")


@pytest.mark.parametrize("signal,values", [
    ("obj", (None, True, False)),
    ("integer", (True, False)),
    ("boolean", (True, False)),
])
def test_direct_emits_hold_refcounts(qapp, signal, values):
    e, sink = Emitter(), Sink()
    getattr(e, signal).connect(sink.take)
    emit = getattr(e, signal).emit
    for value in values:
        before = _counts()
        for _ in range(N):
            emit(value)
        _assert_held(before, f"{signal}.emit({value!r})")
    assert sink.count == N * len(values)


def test_many_argument_emits_hold_refcounts(qapp):
    e, sink = Emitter(), Sink()
    e.several.connect(sink.take)
    before = _counts()
    for i in range(N):
        e.several.emit(i, None, None, None, 0.0, bool(i & 1))
    _assert_held(before, "several.emit(i, None, None, None, 0.0, bool)")
    assert sink.count == N


def test_emits_without_a_receiver_hold_refcounts(qapp):
    e = Emitter()
    before = _counts()
    for _ in range(N):
        e.obj.emit(None)
        e.boolean.emit(False)
    _assert_held(before, "unconnected emit(None/False)")


def test_queued_cross_thread_emits_hold_refcounts(qapp):
    """Worker threads hand results to the GUI thread through queued connections."""
    e, sink = Emitter(), Sink()
    e.obj.connect(sink.take, Qt.ConnectionType.QueuedConnection)
    n = N // 4            # queued events cost memory until delivered; four batches
    before = _counts()
    for _ in range(4):
        def burst():
            for k in range(n):
                e.obj.emit(None if k % 3 == 0 else (k % 3 == 1))
        t = threading.Thread(target=burst)
        t.start()
        t.join()
        QCoreApplication.processEvents()
        QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()
    assert sink.count == N, "every queued emit was delivered"
    _assert_held(before, "queued cross-thread obj.emit(None/True/False)")


def test_psygnal_emits_hold_refcounts():
    """The Qt-free models (session, transport, overlay state) use psygnal."""
    from psygnal import Signal as PSignal

    class Model:
        changed = PSignal(object)
        flag = PSignal(bool)

    m, seen = Model(), []
    m.changed.connect(lambda v: seen.append(1) if len(seen) < 1 else None)
    m.flag.connect(lambda v: None)
    before = _counts()
    for k in range(N):
        m.changed.emit(None)
        m.flag.emit(bool(k & 1))
    _assert_held(before, "psygnal emit(None/bool)")


def test_the_window_models_emit_without_drift(qapp):
    """The evented models the views listen to (transport frame/speed, overlay switches)."""
    from app.models.state import OverlayState
    from app.models.transport import Transport

    t, o = Transport(), OverlayState()
    t.frames = 1000
    seen = []
    t.events.frame.connect(lambda i: seen.append(i) if len(seen) < 2 else None)
    o.events.detected.connect(lambda on: None)
    before = _counts()
    for k in range(N // 2):
        t.frame = k % 1000
        o.detected = bool(k & 1)
    _assert_held(before, "Transport.frame / OverlayState.detected")


def test_the_guard_sees_a_leak(qapp):
    """The check above can fail: a slot that keeps every argument moves the counts by N."""
    e, kept = Emitter(), []
    e.obj.connect(kept.append)
    before = _counts()
    for _ in range(N):
        e.obj.emit(None)
    with pytest.raises(AssertionError, match="refcount drift"):
        _assert_held(before, "a slot that keeps its arguments")
    kept.clear()
    _assert_held(before, "after the kept references are dropped")


def test_decoding_frames_never_drops_references(tmp_path):
    """The media engine's forward decode (detection, export, playback of uncached frames).

    PyAV 16-18 keeps one extra reference to ``None`` each time a plane's buffer is taken
    (``to_ndarray``, ``from_ndarray``): ``None``'s count only grows, which can never reach the
    ``none_dealloc`` abort (that needs a binding that *drops* references, like PySide6 6.12's
    emit). What must hold is that direction: decoding never lowers the counts, and the extra
    references stay at about one per frame (so a changed PyAV that leaks more is seen too).
    """
    from restoration_core.media import open_reel
    from tests.core.fixtures_media import make_ffv1_mkv

    path = make_ffv1_mkv(tmp_path / "clip.mkv", frames=8, pix_fmt="yuv420p")
    reel = open_reel(str(path))
    try:
        list(reel.frames(0, 8))
        before = _counts()
        for _ in range(25):
            for _frame in reel.frames(0, 8):
                pass
        after = _counts()
    finally:
        reel.close()
    drift = [a - b for a, b in zip(after, before, strict=True)]
    assert all(d >= -TOLERANCE for d in drift), f"decoding dropped references: {drift} over 200 frames"
    assert drift[0] <= 4 * 200, f"None gained {drift[0]} references over 200 decoded frames"


def test_drawing_the_workbench_icons_holds_refcounts(qapp):
    """qtawesome's Python icon engine leaks six references to None per pixmap under PySide6
    6.11; app.theme.icon bakes pixmaps once, so toolbars repainting during playback do not."""
    from PySide6.QtCore import QSize

    from app.theme import icon

    ic = icon("mdi6.play")
    ic.pixmap(QSize(18, 18))
    before = _counts()
    for _ in range(N // 20):
        ic.pixmap(QSize(18, 18))
        icon("mdi6.play")
    _assert_held(before, "icon().pixmap()")


def test_refreshing_the_frames_detections_holds_refcounts(qtbot, qapp, window, reel_file):
    """The inspector rebuilds its detection list on every shown frame. Under PySide6 6.11 a
    list item made in Python leaks a reference to None the first time it is painted, and
    setCheckState on a new item leaks another: the items come from addItems and are set up
    with setData (app.lists.refill). The list is painted after every refresh, as on screen."""
    from restoration_core.defects import Defect
    from tests.app.conftest import open_reel

    with qtbot.waitSignal(window.controller.analysis_done, timeout=60_000):
        open_reel(qtbot, window, reel_file)
    qtbot.wait(3000)          # thumbnails and the frame's detection settle first
    s = window.session
    s.project.set_defects(s.reel_id, 0, [Defect(0, (i, i, 2, 2), 4, "dust", "dark", 0.5, id=i)
                                         for i in range(20)])
    insp = window.inspector
    insp._frame_changed()
    assert insp.defects.count() == 20
    insp.defects.window().show()
    insp.defects.show()
    assert insp.defects.isVisible()
    before = _counts()
    for _ in range(200):
        insp._frame_changed()
        qapp.processEvents()      # the list lays out and paints its new items, as on screen
    after = _counts()
    assert after[0] - before[0] < 100, f"None drift {after[0] - before[0]} over 4,000 painted list items"
