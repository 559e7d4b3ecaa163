"""Rebuild candidates of the open reel: frames the frame scan found black, blank, torn or
duplicated, and what the archivist made of each (accepted: listed to rebuild; dismissed); and
the splices the same scan found (shot starts every temporal step stops at), for the timeline.

Qt-free state with psygnal events; the timeline paints it and ``app.frame_candidates`` acts
on it. The frames to rebuild themselves live in the inspector's list and the clips' settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import Signal

PENDING, ACCEPTED, DISMISSED = "pending", "accepted", "dismissed"


@dataclass(frozen=True)
class Candidate:
    """One frame worth rebuilding, as the scan described it."""

    frame: int
    kind: str  # black | blank | torn | duplicate
    score: float
    detail: str = ""


class RebuildCandidates:
    """The scan's candidates for one reel and the decision on each."""

    changed = Signal()

    def __init__(self) -> None:
        self.reel_id: str | None = None
        self._items: dict[int, Candidate] = {}
        self._status: dict[int, str] = {}
        self._splices: dict[int, str] = {}   # frame -> the scan's description of the splice
        self.scanned = False

    def reset(self, reel_id: str | None = None) -> None:
        """Forget everything (another reel was opened, or it was closed)."""
        self.reel_id, self._items, self._status, self._splices, self.scanned = reel_id, {}, {}, {}, False
        self.changed.emit()

    def set_scan(self, defects, rebuild_kinds) -> None:
        """Take the candidates from a frame scan's defects (``FrameDefect``s); earlier
        decisions on frames still listed are kept."""
        items: dict[int, Candidate] = {}
        for d in defects:
            if d.kind in rebuild_kinds and int(d.frame) not in items:
                items[int(d.frame)] = Candidate(int(d.frame), d.kind, float(d.score), d.detail)
        self._items = items
        self._status = {f: s for f, s in self._status.items() if f in items}
        self._splices = {int(d.frame): d.detail for d in defects if d.kind == "splice"}
        self.scanned = True
        self.changed.emit()

    def items(self) -> list[Candidate]:
        return [self._items[f] for f in sorted(self._items)]

    def at(self, frame: int) -> Candidate | None:
        return self._items.get(int(frame))

    def status(self, frame: int) -> str:
        return self._status.get(int(frame), PENDING)

    def splices(self) -> list[int]:
        """Frames that start a new shot after a splice (or a scene cut), in order."""
        return sorted(self._splices)

    def splice_at(self, frame: int) -> str | None:
        """The scan's description of the splice before ``frame`` (None when there is none)."""
        return self._splices.get(int(frame))

    def pending(self) -> list[int]:
        return [f for f in sorted(self._items) if self.status(f) == PENDING]

    def decide(self, frame: int, status: str) -> None:
        """Mark a listed frame accepted, dismissed or pending again (KeyError if not listed)."""
        if status not in (PENDING, ACCEPTED, DISMISSED):
            raise ValueError(f"unknown candidate status {status!r}")
        if int(frame) not in self._items:
            raise KeyError(f"frame {frame} is no rebuild candidate")
        self._status[int(frame)] = status
        self.changed.emit()
