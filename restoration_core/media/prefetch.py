"""prefetch(): run an iterator (a decode, typically) in its own thread, a few items ahead.

Decoders and encoders release the GIL, so reading the next frame while the current one is
encoded or computed overlaps the two on separate cores. The queue between them is bounded
(memory stays flat however long the reel), an error in the reading thread is raised in the
consumer, and closing the iterator stops the thread before the source is closed.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


class Prefetch(Iterator[T]):
    """Iterator over ``items`` read ``depth`` ahead in a thread; use it as a context manager
    (or call :meth:`close`) so the thread ends before the source does."""

    def __init__(self, items: Iterable[T], depth: int = 4, name: str = "reelwright-prefetch"):
        self._items = iter(items)
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, int(depth)))
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, entry: tuple[bool, object]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put((True, item)):
                    return
            self._put((True, _END))
        except BaseException as exc:  # raised in the consumer
            self._put((False, exc))

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        ok, item = self._queue.get()
        if not ok:
            self.close()
            raise item  # type: ignore[misc]
        if item is _END:
            self.close()
            raise StopIteration
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the reading thread (waiting for the item it is reading) and close the source."""
        if self._finished:
            return
        self._finished = True
        self._stop.set()
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        self._thread.join()
        close = getattr(self._items, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prefetch(items: Iterable[T], depth: int = 4) -> Prefetch[T]:
    """``items`` read ahead in a thread, at most ``depth`` waiting (see :class:`Prefetch`)."""
    return Prefetch(items, depth)
