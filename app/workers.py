"""Background work on reels: one long-lived thread per worker, each with its own Reel.

Reel objects are not thread-safe, so each :class:`ReelWorker` opens its own Reel inside
its thread and runs queued tasks against it. Tasks are keyed: submitting a task whose key
is already waiting replaces it (a stale frame request is dropped: only the newest
matters), and a result that was superseded while it ran is not delivered.
"""

from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from app import engine
from restoration_core.errors import Cancelled, ReelwrightError
from restoration_core.progress import CancelToken

Task = Callable[[Any], Any]           # fn(reel) -> result
Callback = Callable[[Any], None]


class _Thread(QThread):
    def __init__(self, owner: ReelWorker):
        super().__init__()
        self.owner = owner

    def run(self) -> None:
        self.owner._run()


class ReelWorker(QObject):
    """Runs ``fn(reel)`` tasks in one background thread that owns its own Reel."""

    delivered = Signal(int, object, str)  # seq, result, error text ("" when ok)

    def __init__(self, path: str, name: str = "reel-worker",
                 opener: Callable[[str], Any] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.path, self.name = path, name
        self._opener = opener or engine.open_reel
        self._cond = threading.Condition()
        self._pending: dict[str, tuple[int, int, Task]] = {}   # key -> (priority, seq, fn)
        self._latest: dict[str, int] = {}
        self._callbacks: dict[int, tuple[str, Callback | None, Callable[[str], None] | None]] = {}
        self._seq = itertools.count(1)
        self._stopping = False
        self._thread = _Thread(self)
        self._thread.setObjectName(name)
        self.delivered.connect(self._deliver)
        self._thread.start()

    def submit(self, key: str, fn: Task, on_result: Callback | None = None,
               on_error: Callable[[str], None] | None = None, priority: int = 10) -> int:
        """Queue ``fn`` under ``key`` (replacing a waiting task of that key); lower runs first."""
        seq = next(self._seq)
        with self._cond:
            old = self._pending.get(key)
            if old is not None:
                self._callbacks.pop(old[1], None)
            self._pending[key] = (priority, seq, fn)
            self._latest[key] = seq
            self._callbacks[seq] = (key, on_result, on_error)
            self._cond.notify()
        return seq

    def cancel(self, key: str) -> None:
        with self._cond:
            old = self._pending.pop(key, None)
            if old is not None:
                self._callbacks.pop(old[1], None)
            self._latest[key] = -1

    def busy(self) -> bool:
        with self._cond:
            return bool(self._pending) or bool(self._callbacks)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify_all()
        self._thread.wait(10000)
        try:
            self.delivered.disconnect(self._deliver)
        except (RuntimeError, TypeError):
            pass

    # ---- worker thread -----------------------------------------------------------
    def _run(self) -> None:
        reel, open_error = None, ""
        try:
            reel = self._opener(self.path)
        except Exception as exc:  # noqa: BLE001 - reported to the GUI as a one-line error
            open_error = str(exc) or type(exc).__name__
        try:
            while True:
                with self._cond:
                    while not self._pending and not self._stopping:
                        self._cond.wait()
                    if self._stopping:
                        return
                    key = min(self._pending, key=lambda k: self._pending[k][:2])
                    _prio, seq, fn = self._pending.pop(key)
                if open_error:
                    self.delivered.emit(seq, None, open_error)
                    continue
                try:
                    result, error = fn(reel), ""
                except Cancelled:
                    result, error = None, "cancelled"
                except ReelwrightError as exc:
                    result, error = None, str(exc)
                except Exception as exc:  # noqa: BLE001
                    traceback.print_exc()
                    result, error = None, f"{type(exc).__name__}: {exc}"
                if not self._stopping:
                    self.delivered.emit(seq, result, error)
        finally:
            if reel is not None and hasattr(reel, "close"):
                reel.close()

    # ---- main thread --------------------------------------------------------------
    def _deliver(self, seq: int, result: Any, error: str) -> None:
        entry = self._callbacks.pop(seq, None)
        if entry is None:
            return
        key, on_result, on_error = entry
        if self._latest.get(key) != seq:
            return  # superseded while running
        if error:
            if on_error is not None:
                on_error(error)
        elif on_result is not None:
            on_result(result)


class ReelTask(QObject):
    """An owner of one background run over the open reel at a time (a :class:`ReelWorker` per
    run): ``run_id`` tells a stale run's results from the current one's, ``stop()`` cancels the
    run and waits for its thread."""

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.worker: ReelWorker | None = None
        self.token: CancelToken | None = None
        self.run_id = 0

    @property
    def running(self) -> bool:
        return self.worker is not None

    def stop(self) -> None:
        if self.token is not None:
            self.token.cancel()
        self.run_id += 1
        self._drop_worker()

    def _drop_worker(self) -> None:
        worker, self.worker, self.token = self.worker, None, None
        if worker is not None:
            worker.stop()
            worker.deleteLater()
