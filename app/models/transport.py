"""Playhead, shuttle and in/out marks: the state the timeline and transport show."""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

SHUTTLE_SPEEDS = (1, 2, 4, 8)


@evented
@dataclass
class Transport:
    """``frame`` is the playhead (0-based); ``speed`` is frames per tick direction x rate
    (0 = stopped, negative = reverse); ``mark_in``/``mark_out`` (exclusive) or -1."""

    frame: int = 0
    frames: int = 0
    fps: float = 24.0
    speed: int = 0
    mark_in: int = -1
    mark_out: int = -1

    def seek(self, frame: int) -> None:
        if self.frames:
            self.frame = max(0, min(self.frames - 1, int(frame)))

    def step(self, delta: int) -> None:
        self.speed = 0
        self.seek(self.frame + delta)

    def play_pause(self) -> None:
        self.speed = 0 if self.speed else 1

    def shuttle(self, direction: int) -> None:
        """J (-1) / L (+1): start, or speed up in that direction; K (0) stops."""
        if direction == 0:
            self.speed = 0
            return
        if self.speed and (self.speed > 0) == (direction > 0):
            i = SHUTTLE_SPEEDS.index(abs(self.speed)) if abs(self.speed) in SHUTTLE_SPEEDS else 0
            self.speed = direction * SHUTTLE_SPEEDS[min(i + 1, len(SHUTTLE_SPEEDS) - 1)]
        else:
            self.speed = direction

    def tick(self) -> bool:
        """Advance one playback tick; stop at either end. Returns False when stopped."""
        if not self.speed:
            return False
        nxt = self.frame + self.speed
        if nxt < 0 or nxt >= self.frames:
            self.seek(nxt)
            self.speed = 0
            return False
        self.frame = nxt
        return True

    def set_in(self) -> None:
        self.mark_in = self.frame
        if self.mark_out != -1 and self.mark_out <= self.mark_in:
            self.mark_out = -1

    def set_out(self) -> None:
        self.mark_out = self.frame + 1
        if self.mark_in != -1 and self.mark_in >= self.mark_out:
            self.mark_in = -1

    def marked_range(self) -> tuple[int, int]:
        """The in/out range (out exclusive), defaulting to the whole reel."""
        a = self.mark_in if self.mark_in >= 0 else 0
        b = self.mark_out if self.mark_out > 0 else self.frames
        return a, max(a + 1, b)
