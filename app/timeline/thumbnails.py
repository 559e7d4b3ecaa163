"""Thumbnail strip images, made in a background thread (own Reel) and cached in memory."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from app.viewer.display import qimage_rgb, to_display
from app.workers import ReelWorker

THUMB_SIDE = 120


def make_thumbnail(reel, index: int, max_side: int = THUMB_SIDE) -> np.ndarray:
    if hasattr(reel, "thumbnail"):
        return np.asarray(reel.thumbnail(index, max_side=max_side))
    data = to_display(reel.read(index).data)
    f = max_side / max(data.shape[:2])
    return cv2.resize(data, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else data


class ThumbnailCache(QObject):
    ready = Signal(int)

    def __init__(self, path: str, parent: QObject | None = None):
        super().__init__(parent)
        self.images: dict[int, QImage] = {}
        self._asked: set[int] = set()
        self.worker = ReelWorker(path, "thumbnails", parent=self)

    def get(self, index: int) -> QImage | None:
        img = self.images.get(index)
        if img is None and index not in self._asked:
            self._asked.add(index)

            def done(arr, i=index) -> None:
                self.images[i] = qimage_rgb(to_display(arr))
                self.ready.emit(i)

            self.worker.submit(f"thumb-{index}", lambda reel, i=index: make_thumbnail(reel, i), done,
                               None, priority=20)
        return img

    def close(self) -> None:
        self.worker.stop()
