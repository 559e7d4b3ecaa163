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
