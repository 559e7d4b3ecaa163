"""SharedFrames: one forward decode of a reel shared by every reader of a render's sliding window.

A render reads the same frames several times, close together: detection a few frames ahead
of the restore, the restore's window, the source the render cache diffs against. Each of them
asks for ``frames(a, b)``; this wrapper serves all of them from one decoder, which runs a few
frames ahead of the furthest reader in its own thread (decoding overlaps the compute), and
keeps the last frames it decoded in a ring bounded by a frame count and by bytes, so memory
does not grow with the clip or the frame size. A reader that falls further behind than the
ring reaches gets a decoder of its own from there on (correct, only slower; counted in
``stats``), unless it is the only reader, which takes the shared decoder back with it. Every
reader gets its own copy of a frame, so one may paint on it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from restoration_core.media.frame import Frame
from restoration_core.media.prefetch import Prefetch
from restoration_core.media.reader import Reel

DEFAULT_FRAMES = 16  # the restore's radius (3) and its generative batch behind the detection's lead
DEFAULT_BYTES = 128 * 1024 * 1024


class SharedFrames:
    """``reel`` with ``frames(a, b)`` served from one shared forward decode (see the module).

    Everything else (``info``, ``read``, ``timecode_of``, ...) is the wrapped reel's. Not
    thread-safe: one thread reads it (the decoder runs in its own, behind a bounded queue).
    """

    def __init__(self, reel: Any, max_frames: int = DEFAULT_FRAMES, max_bytes: int = DEFAULT_BYTES,
                 ahead: int = 2):
        self.reel = reel
        self.max_frames = max(1, int(max_frames))
        self.max_bytes = max(0, int(max_bytes))
        # decode in a thread only for a plain media reel: a frame-step wrapper (rebuilt,
        # stabilized) keeps caches that only one thread may touch
        self._threaded = isinstance(reel, Reel) and ahead > 0
        self._ahead = int(ahead)
        self._ring: OrderedDict[int, Frame] = OrderedDict()
        self._bytes = 0
        self._decoder: Iterator[Frame] | None = None
        self._next: int | None = None  # the index the shared decoder gives next
        self._readers = 0  # frames() iterators open now
        self.stats = {"decoded": 0, "served": 0, "own_decoders": 0}

    def __len__(self) -> int:
        return len(self.reel)

    def __getattr__(self, name: str) -> Any:
        if name == "reel":  # not set yet (or being unpickled): no recursion
            raise AttributeError(name)
        return getattr(self.reel, name)

    # ---- the shared decoder ----------------------------------------------------------------
    def _decode(self, start: int, stop: int | None) -> Iterator[Frame]:
        frames = self.reel.frames(start, stop)
        return Prefetch(frames, self._ahead, "reelwright-decode") if self._threaded else iter(frames)

    def _start(self, index: int) -> None:
        self._stop_decoder()
        self._decoder = self._decode(index, None)
        self._next = index

    def _stop_decoder(self) -> None:
        if self._decoder is not None:
            close = getattr(self._decoder, "close", None)
            if close is not None:
                close()
        self._decoder, self._next = None, None

    def _keep(self, frame: Frame) -> None:
        self._ring[frame.index] = frame
        self._bytes += frame.data.nbytes
        while len(self._ring) > 1 and (len(self._ring) > self.max_frames or self._bytes > self.max_bytes):
            _, old = self._ring.popitem(last=False)
            self._bytes -= old.data.nbytes

    def _decode_to(self, index: int) -> Frame | None:
        """Advance the shared decoder to ``index`` (ring kept); None past the reel's end."""
        if self._decoder is None or self._next is None or index < self._next or index - self._next > self.max_frames:
            self._start(index)
        assert self._decoder is not None
        while True:
            frame = next(self._decoder, None)
            if frame is None:
                self._stop_decoder()
                return None
            self.stats["decoded"] += 1
            self._keep(frame)
            self._next = frame.index + 1
            if frame.index >= index:
                return frame if frame.index == index else None

    def _shared(self, index: int) -> Frame | None:
        frame = self._ring.get(index)
        if frame is None and (self._next is None or index >= self._next or self._readers == 1):
            # ahead of the decoder, or behind it with no other reader to keep up with: the
            # shared decoder goes there (a step back restarts it)
            frame = self._decode_to(index)
        return frame

    # ---- readers -----------------------------------------------------------------------
    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[Frame]:
        """Frames ``start``..``stop``-1 in order (each a copy), from the shared decode while this
        reader keeps within its ring, else from a decoder of its own."""
        n = len(self.reel)
        stop = n if stop is None else min(int(stop), n)
        index = max(0, int(start))
        own: Iterator[Frame] | None = None
        self._readers += 1
        try:
            while index < stop:
                frame = self._shared(index) if own is None else None
                if frame is None and own is None:
                    # fallen behind the ring (or the shared decoder ended early): read on alone
                    self.stats["own_decoders"] += 1
                    own = self._decode(index, stop)
                if own is not None:
                    frame = next(own, None)
                    if frame is None:
                        return
                    yield frame
                else:
                    assert frame is not None
                    self.stats["served"] += 1
                    yield Frame(frame.data.copy(), frame.index, frame.timecode)
                index += 1
        finally:
            self._readers -= 1
            close = getattr(own, "close", None)
            if close is not None:
                close()

    def close(self) -> None:
        self._stop_decoder()
        self._ring.clear()
        self._bytes = 0
        self.reel.close()

    def __enter__(self) -> SharedFrames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
