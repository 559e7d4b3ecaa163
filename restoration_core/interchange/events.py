"""Cut events read from an editor's cut list (.otio or EDL), and turning them into project clips."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from restoration_core.errors import InputError
from restoration_core.media.timecode import timecode_to_frames

DEFAULT_FPS = Fraction(24)


@dataclass(frozen=True)
class CutEvent:
    """One used source range. ``source_start`` counts frames from 00:00:00:00 of the source's
    timecode; ``in_frame`` is the 0-based source frame where the reader knew it exactly."""

    name: str
    reel_name: str | None
    source_path: str | None
    in_frame: int | None
    source_start: int
    duration: int
    notes: str = ""
    settings: dict = field(default_factory=dict)


def reel_fps(reel: Any, default: Fraction = DEFAULT_FPS) -> Fraction:
    fps = (reel.info or {}).get("fps") if reel is not None else None
    try:
        return Fraction(str(fps)) if fps else default
    except (ValueError, ZeroDivisionError):
        return default


def reel_start(reel: Any) -> int:
    """Frames from 00:00:00:00 to the reel's first frame (0 when it has no timecode)."""

    tc = (reel.info or {}).get("timecode")
    if not tc:
        return 0
    try:
        return timecode_to_frames(tc, reel_fps(reel))
    except ValueError:
        return 0


def _names(reel: Any) -> set[str]:
    p = Path(reel.path)
    stem = p.stem.split("%")[0].rstrip("_.-") or p.stem
    return {n.lower() for n in (reel.id, p.name, p.stem, stem, stem[:8]) if n}


def match_reel(project: Any, event: CutEvent, reel_id: str | None = None) -> Any:
    """The project reel an event's source names (path, file name, or EDL reel name)."""
    if reel_id is not None:
        try:
            return project.reel(reel_id)
        except KeyError:
            raise InputError(f"no reel {reel_id!r} in the project") from None
    if event.source_path:
        src = Path(event.source_path.removeprefix("file://")).expanduser()
        for reel in project.reels:
            if Path(reel.path) == src or (src.exists() and Path(reel.path).resolve() == src.resolve()):
                return reel
    wanted = {n.lower() for n in (event.reel_name, event.source_path and Path(event.source_path).name,
                                  event.source_path and Path(event.source_path).stem) if n}
    hits = [r for r in project.reels if _names(r) & wanted]
    if len(hits) == 1:
        return hits[0]
    if not hits and len(project.reels) == 1:
        return project.reels[0]
    what = event.reel_name or event.source_path or "?"
    if not project.reels:
        raise InputError("the project has no reels: add the source reel before importing its cut")
    raise InputError(f"event {event.name!r}: {'several' if hits else 'no'} reels of the project match "
                     f"source {what!r} (name the reel with --reel)")


def import_events(project: Any, events: list[CutEvent], reel_id: str | None = None) -> list[Any]:
    """Add one clip per event to ``project`` (all or none) and return the new clips."""
    planned = []
    for ev in events:
        reel = match_reel(project, ev, reel_id)
        first = ev.in_frame if ev.in_frame is not None else ev.source_start - reel_start(reel)
        frames = (reel.info or {}).get("frames")
        if first < 0 or ev.duration <= 0 or (isinstance(frames, int) and frames > 0 and first + ev.duration > frames):
            raise InputError(f"event {ev.name!r}: frames {first}:{first + ev.duration} are outside reel "
                             f"{reel.id} ({frames if frames else '?'} frames)")
        planned.append((reel, first, ev))
    clips = []
    for reel, first, ev in planned:
        clips.append(project.add_clip(reel.id, first, first + ev.duration, name=ev.name,
                                      settings=dict(ev.settings), notes=ev.notes))
    return clips
