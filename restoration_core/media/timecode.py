"""SMPTE timecode: "HH:MM:SS:FF" labels for frame indices, drop-frame aware at 29.97 and 59.94.

A drop-frame timecode is written with ";" before the frames ("01:00:00;00") and is only
meaningful at 30000/1001 and 60000/1001 fps: it skips labels 00 and 01 (00-03 at 59.94) at
the start of every minute except each tenth, so the label stays close to wall-clock time.
"""

from __future__ import annotations

import re
from fractions import Fraction

_TC = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")

_DROP_RATES = {Fraction(30000, 1001): 2, Fraction(60000, 1001): 4}


def nominal_rate(fps: Fraction) -> int:
    """Frames per timecode second: 24 for 24000/1001, 30 for 30000/1001, at least 1."""
    return max(1, round(Fraction(fps)))


def parse_timecode(tc: str) -> tuple[int, int, int, int, bool]:
    """Split "HH:MM:SS:FF" (or "HH:MM:SS;FF") into (h, m, s, f, drop). ValueError if malformed."""
    match = _TC.match(tc.strip())
    if not match:
        raise ValueError(f"not a timecode: {tc!r}")
    h, m, s, sep, f = match.groups()
    return int(h), int(m), int(s), int(f), sep in ";,"


def is_drop_frame(tc: str | None, fps: Fraction) -> bool:
    """Whether ``tc`` is a drop-frame label at a rate where drop-frame exists."""
    if not tc:
        return False
    return parse_timecode(tc)[4] and Fraction(fps) in _DROP_RATES


def timecode_to_frames(tc: str, fps: Fraction) -> int:
    """The frame count from 00:00:00:00 that ``tc`` labels at ``fps``."""
    h, m, s, f, drop = parse_timecode(tc)
    base = nominal_rate(fps)
    if f >= base or h > 23 or m > 59 or s > 59:
        raise ValueError(f"timecode {tc!r} is out of range at {fps} fps")
    total_minutes = h * 60 + m
    frames = (total_minutes * 60 + s) * base + f
    if drop and Fraction(fps) in _DROP_RATES:
        dropped = _DROP_RATES[Fraction(fps)]
        frames -= dropped * (total_minutes - total_minutes // 10)
    return frames


def frames_to_label(frames: int, fps: Fraction, drop: bool = False) -> str:
    """The timecode label of an absolute frame count (wraps at 24 hours)."""
    fps = Fraction(fps)
    base = nominal_rate(fps)
    drop = drop and fps in _DROP_RATES
    if drop:
        d = _DROP_RATES[fps]
        per_10min = base * 600 - d * 9
        per_min = base * 60 - d
        day = per_10min * 6 * 24
        frames %= day
        tens, rem = divmod(frames, per_10min)
        if rem > d:
            frames += d * 9 * tens + d * ((rem - d) // per_min)
        else:
            frames += d * 9 * tens
    else:
        frames %= base * 86400
    f = frames % base
    seconds = frames // base
    sep = ";" if drop else ":"
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{sep}{f:02d}"


def frames_to_timecode(n: int, fps: Fraction, start: str | None = "01:00:00:00") -> str:
    """The label of the frame ``n`` frames after ``start`` (drop-frame when ``start`` is)."""
    start = start or "00:00:00:00"
    fps = Fraction(fps)
    drop = is_drop_frame(start, fps)
    return frames_to_label(timecode_to_frames(start, fps) + int(n), fps, drop)


def normalize_timecode(tc: str | None, fps: Fraction) -> str | None:
    """A container's timecode tag as a canonical label, or None if absent or unreadable."""
    if not tc:
        return None
    try:
        return frames_to_timecode(0, fps, tc)
    except ValueError:
        return None
