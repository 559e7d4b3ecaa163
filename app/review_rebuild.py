"""The frames a render will rebuild, as items of the review pass before the render.

When ``V`` starts the review of a range, every frame a render of that range would rebuild (the
inspector's list, what a queued clip gets; the rebuild lists of the reel's clips over the range;
accepted rebuild candidates) is an item of the pass, shown whole and placed before the frame's
regions. ``Y`` keeps it (the pass remembers it as reviewed), ``X`` takes it out of the rebuild
(one undoable step through ``app.frame_candidates``: a candidate is dismissed, a listed frame
unlisted). An item's status is read live from those lists, so an undo shows it again as
unreviewed, and a taken-out frame stays in the pass, shown rejected, until the pass ends.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from restoration_core.errors import InputError
from restoration_core.project.decisions import ACCEPTED, REJECTED, UNREVIEWED
from restoration_core.project.rebuild_frames import clip_rebuild

REBUILD_KIND = "rebuild"   # the review filter's name for these items


@dataclass(frozen=True)
class RebuildItem:
    """One frame a render will rebuild (``kind``: the candidate's kind, or ``listed``)."""

    frame: int
    kind: str
    detail: str
    status: str
    bbox: tuple[int, int, int, int]   # the whole frame
    source: str = REBUILD_KIND
    key: str = REBUILD_KIND
    score: float | None = None

    @property
    def reviewed(self) -> bool:
        return self.status != UNREVIEWED


def order_key(item) -> tuple:
    """Clip order of the pass: frame, a frame's rebuild before its regions, then the regions' order."""
    return (item.frame, 0, ()) if isinstance(item, RebuildItem) else (item.frame, 1, item.order)


def step(items: list, current, direction: int = 1, unreviewed: bool = True, wrap: bool = True):
    """The next (``direction`` 1) or previous item of ``items`` (in :func:`order_key` order)
    after ``current`` (None: from the start or the end), as ``ReviewQueue.step`` does."""
    if not items:
        return None
    keys = [order_key(i) for i in items]
    if direction > 0:
        cut = 0 if current is None else bisect.bisect_right(keys, order_key(current))
        seq = items[cut:] + (items[:cut] if wrap else [])
    else:
        cut = len(items) if current is None else bisect.bisect_left(keys, order_key(current))
        seq = items[:cut][::-1] + (items[cut:][::-1] if wrap else [])
    return next((i for i in seq if not (unreviewed and i.reviewed)), None)


class RebuildFrames:
    """The frames to rebuild in one review range and what the pass made of each."""

    def __init__(self, candidates, frame_range: tuple[int, int], shape: tuple[int, int]):
        self.fc = candidates                       # app.frame_candidates.FrameCandidates
        self.range = (int(frame_range[0]), int(frame_range[1]))
        self.bbox = (0, 0, int(shape[1]), int(shape[0]))
        self.kept: set[int] = set()
        self._frames: set[int] = set()
        self.refresh()

    def _in_range(self, f: int) -> bool:
        return self.range[0] <= f < self.range[1]

    def listed(self) -> set[int]:
        """The frames of the range a render would rebuild now."""
        fc, s = self.fc, self.fc.w.session
        out = {f for f in fc.rebuild_frames() if self._in_range(f)}
        out |= {c.frame for c in fc.model.items() if fc.model.status(c.frame) == ACCEPTED and self._in_range(c.frame)}
        if s.project is not None and s.reel_id is not None:
            for clip in s.project.clips:
                if clip.reel_id == s.reel_id and clip.in_frame < self.range[1] and self.range[0] < clip.out_frame:
                    try:
                        frames = clip_rebuild(clip)
                    except InputError:
                        continue
                    out |= {f for f in frames if self._in_range(f) and clip.in_frame <= f < clip.out_frame}
        return out

    def refresh(self) -> None:
        """Take in frames listed since the pass started (a taken-out frame stays in it)."""
        self._frames |= self.listed()

    def status(self, frame: int, listed: set[int] | None = None) -> str:
        listed = self.listed() if listed is None else listed
        if frame not in listed:
            return REJECTED
        return ACCEPTED if frame in self.kept else UNREVIEWED

    def items(self) -> list[RebuildItem]:
        listed = self.listed()
        out = []
        for f in sorted(self._frames):
            c = self.fc.model.at(f)
            kind, detail = (c.kind, c.detail) if c is not None else ("listed", "listed to rebuild")
            out.append(RebuildItem(f, kind, detail, self.status(f, listed), self.bbox))
        return out

    def item(self, frame: int) -> RebuildItem | None:
        return next((i for i in self.items() if i.frame == int(frame)), None)

    def decide(self, frame: int, status: str) -> None:
        """``accepted``: keep it (rebuilt as listed); ``rejected``: take it out (undoable)."""
        frame = int(frame)
        if status == ACCEPTED:
            if frame not in self.listed():
                self.fc.add_rebuild(frame, f"Rebuild frame {frame} (review)")
            self.kept.add(frame)
        elif status == REJECTED:
            self.kept.discard(frame)
            if self.fc.model.at(frame) is not None:
                self.fc.dismiss(frame)
            else:
                self.fc.remove_rebuild(frame)

    def counts(self) -> tuple[int, int, int]:
        """(reviewed, total, taken out) of the frames to rebuild."""
        items = self.items()
        return (sum(1 for i in items if i.reviewed), len(items), sum(1 for i in items if i.status == REJECTED))
