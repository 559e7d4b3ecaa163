"""Frames for the viewer: a background reader with stale requests dropped and a small cache."""

from __future__ import annotations

import time
from collections import OrderedDict

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from app.viewer.display import qimage_rgb, to_display
from app.workers import ReelWorker

PLAYBACK_MAX_SIDE = 960
CACHE_BYTES = 1 << 30  # recently shown frames (full data + display image) kept for instant redisplay


def _size(entry) -> int:
    data, _tc, image = entry
    return int(data.nbytes) + (int(image.sizeInBytes()) if image is not None else 0)


class FrameSource(QObject):
    """Delivers decoded frames for display; only the newest request is served.

    ``frame_ready(index, data, timecode, image, latency_s, reduced)``: ``data`` is the
    full-bit-depth array (or, for reduced-resolution playback, a downscaled copy flagged by
    ``reduced``); ``image`` its display QImage, made in the reader thread.
    """

    frame_ready = Signal(int, object, object, object, float, bool)
    failed = Signal(str)

    def __init__(self, path: str, cache_frames: int = 24, parent: QObject | None = None, opener=None,
                 cache_bytes: int = CACHE_BYTES):
        super().__init__(parent)
        kwargs = {"opener": opener} if opener is not None else {}
        self.worker = ReelWorker(path, "frame-reader", parent=self, **kwargs)
        self.cache: OrderedDict[int, tuple[np.ndarray, str | None, QImage]] = OrderedDict()
        self.cache_frames = cache_frames
        self.cache_bytes = cache_bytes   # a 4K 16-bit scan is 76 MB a frame (+51 MB to show it)
        self.cached_bytes = 0
        self.requested = -1

    def request(self, index: int, reduced: bool = False) -> None:
        """Show ``index`` as soon as possible; a newer request supersedes this one."""
        self.requested = index
        t0 = time.perf_counter()
        hit = self.cache.get(index)
        if hit is not None:
            self.cache.move_to_end(index)
            self.worker.cancel("frame")
            self.frame_ready.emit(index, hit[0], hit[1], hit[2], time.perf_counter() - t0, False)
            return

        def read(reel):
            frame = reel.read(index)
            data = frame.data
            if reduced and max(data.shape[:2]) > PLAYBACK_MAX_SIDE:
                f = PLAYBACK_MAX_SIDE / max(data.shape[:2])
                data = cv2.resize(data, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            # the display image is made here too, so the GUI thread only paints
            return index, data, frame.timecode, qimage_rgb(to_display(data))

        def done(result):
            idx, data, tc, image = result
            if not reduced:
                self._store(idx, data, tc, image)
            self.frame_ready.emit(idx, data, tc, image, time.perf_counter() - t0, reduced)

        self.worker.submit("frame", read, done, self.failed.emit, priority=0)

    def prefetch(self, index: int) -> None:
        """Read ``index`` into the cache in the background without showing it (the review pass
        reads the next region's frame while the current one is looked at); frame requests go first."""
        if index < 0 or index in self.cache:
            return

        def read(reel):
            frame = reel.read(index)
            return index, frame.data, frame.timecode, qimage_rgb(to_display(frame.data))

        def done(result):
            if result[0] not in self.cache:
                self._store(*result)

        self.worker.submit("prefetch", read, done, None, priority=2)

    def _store(self, idx: int, data: np.ndarray, tc, image: QImage) -> None:
        old = self.cache.pop(idx, None)
        if old is not None:
            self.cached_bytes -= _size(old)
        self.cache[idx] = (data, tc, image)
        self.cached_bytes += _size(self.cache[idx])
        while len(self.cache) > 1 and (len(self.cache) > self.cache_frames
                                       or self.cached_bytes > self.cache_bytes):
            self.cached_bytes -= _size(self.cache.popitem(last=False)[1])

    def full(self, index: int) -> np.ndarray | None:
        hit = self.cache.get(index)
        return None if hit is None else hit[0]

    def close(self) -> None:
        self.worker.stop()
