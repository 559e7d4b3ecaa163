"""Which presentation time is frame i: an exact list from a full demux, or a constant-rate rule.

Small and medium files are demuxed once (no decoding) and every packet's pts is kept
(:class:`PtsIndex`), which is exact for any stream. Files larger than
``FULL_SCAN_MAX_BYTES`` would make that probe read the whole file, so for those the index
is the constant-rate rule ``pts = first + i / fps`` (:class:`RateIndex`) with the frame count
taken from the last packets of the file; decoded frames are matched to the nearest index.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction

FULL_SCAN_MAX_BYTES = 2 * 1024**3


@dataclass
class PtsIndex:
    """Presentation times of all frames (sorted) and which of them start at a keyframe."""

    pts: list[int]
    keyframes: list[int]  # frame indices that are keyframes, ascending
    by_order: bool = False  # no timestamps (raw elementary streams): frames counted in decode order
    estimated = False

    @property
    def count(self) -> int:
        return len(self.pts)

    def pts_of(self, index: int) -> int:
        return self.pts[index]

    def index_of(self, pts: int | None) -> int | None:
        if pts is None:
            return None
        i = bisect.bisect_left(self.pts, pts)
        return i if i < len(self.pts) and self.pts[i] == pts else None

    def keyframe_at_or_before(self, index: int) -> int:
        i = bisect.bisect_right(self.keyframes, index) - 1
        return self.keyframes[i] if i >= 0 else 0


@dataclass
class RateIndex:
    """Constant-rate index: frame i is shown at ``first + i / fps`` (in ``time_base`` units)."""

    first: int
    time_base: Fraction
    fps: Fraction
    frames: int
    by_order = False
    estimated = True

    @property
    def count(self) -> int:
        return self.frames

    def pts_of(self, index: int) -> int:
        return self.first + round(Fraction(index) / self.fps / self.time_base)

    def index_of(self, pts: int | None) -> int | None:
        if pts is None:
            return None
        position = (pts - self.first) * self.time_base * self.fps
        k = round(position)
        if 0 <= k < self.frames and abs(position - k) < Fraction(1, 4):
            return k
        return None

    def keyframe_at_or_before(self, index: int) -> int:
        return index  # unknown: the demuxer's backward seek finds the keyframe
