"""open_reel(path) -> Reel: frame-accurate random access with a byte-bounded LRU cache,
fast sequential decode, thumbnails and per-frame timecode."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from restoration_core.errors import InputError
from restoration_core.media import buffers
from restoration_core.media.container import ContainerSource
from restoration_core.media.frame import Frame
from restoration_core.media.info import ReelInfo
from restoration_core.media.probe import scan
from restoration_core.media.sequence import SequenceFiles, SequenceSource
from restoration_core.media.timecode import frames_to_timecode

DEFAULT_CACHE_BYTES = 256 * 1024 * 1024


class FrameCache:
    """Least-recently-used frames, evicted once their arrays exceed ``max_bytes`` together."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max(0, int(max_bytes))
        self.bytes = 0
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()

    def get(self, index: int) -> np.ndarray | None:
        data = self._items.get(index)
        if data is not None:
            self._items.move_to_end(index)
        return data

    def put(self, index: int, data: np.ndarray) -> None:
        if data.nbytes > self.max_bytes:
            return
        old = self._items.pop(index, None)
        if old is not None:
            self.bytes -= old.nbytes
        self._items[index] = data
        self.bytes += data.nbytes
        while self.bytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.bytes -= evicted.nbytes

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


class Reel:
    """An open reel. Not thread-safe: open one per thread or process."""

    def __init__(self, path: str | Path, cache_bytes: int = DEFAULT_CACHE_BYTES, fps: Fraction | None = None):
        info, extra = scan(path, fps)
        self.info: ReelInfo = info
        if isinstance(extra, SequenceFiles):
            self._source: ContainerSource | SequenceSource = SequenceSource(info, extra)
        else:
            self._source = ContainerSource(info, extra)
        self.cache = FrameCache(cache_bytes)

    def __len__(self) -> int:
        return self.info.frames

    def __enter__(self) -> Reel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, index: int) -> int:
        index = int(index)
        if not 0 <= index < self.info.frames:
            raise InputError(f"frame {index} is outside the reel (0..{self.info.frames - 1})", self.info.path)
        return index

    def timecode_of(self, index: int) -> str | None:
        """The SMPTE label of frame ``index``, or None when the source has no timecode."""
        if self.info.timecode is None:
            return None
        return frames_to_timecode(index, self.info.fps, self.info.timecode)

    def _array(self, index: int) -> np.ndarray:
        if isinstance(self._source, ContainerSource):
            return self._source.to_array(self._source.read_av(index))
        return self._source.read_array(index)

    def read(self, index: int) -> Frame:
        """The frame at ``index`` (0-based), at full bit depth; cached."""
        index = self._check(index)
        data = self.cache.get(index)
        if data is None:
            data = self._array(index)
            self.cache.put(index, data)
        # A copy: callers may paint on their frame without corrupting the cache.
        return Frame(data.copy(), index, self.timecode_of(index))

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[Frame]:
        """Frames ``start``..``stop``-1 in order, decoded forward without seeking per frame."""
        stop = self.info.frames if stop is None else min(int(stop), self.info.frames)
        start = max(0, int(start))
        if isinstance(self._source, ContainerSource):
            for index, frame in self._source.iter_av(start, stop):
                yield Frame(self._source.to_array(frame), index, self.timecode_of(index))
        else:
            for index in range(start, stop):
                yield Frame(self._source.read_array(index), index, self.timecode_of(index))

    def iter_av(self, start: int, stop: int):
        """(index, av.VideoFrame) pairs for containers (the export fast path), else None."""
        if isinstance(self._source, ContainerSource):
            return self._source.iter_av(start, stop)
        return None

    def thumbnail(self, index: int, max_side: int = 160) -> np.ndarray:
        """A small uint8 RGB picture of frame ``index`` (longest side ``max_side``)."""
        index = self._check(index)
        h, w = self.info.height, self.info.width
        scale = min(1.0, max_side / max(h, w))
        data = self.cache.get(index)
        if data is None and isinstance(self._source, ContainerSource):
            # scale and convert straight from the decoded picture: no full-size 16-bit array
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            frame = self._source.read_av(index)
            return buffers.to_array(frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA"))
        if data is None:
            data = self.read(index).data
        if data.dtype == np.uint16:
            data = (data >> 8).astype(np.uint8)
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            data = cv2.resize(data, size, interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(data)

    def close(self) -> None:
        self._source.close()
        self.cache.clear()


def open_reel(path: str | Path, cache_bytes: int = DEFAULT_CACHE_BYTES, fps: Fraction | None = None) -> Reel:
    """Open a container file or image sequence for reading (InputError if unusable)."""
    return Reel(path, cache_bytes=cache_bytes, fps=fps)
