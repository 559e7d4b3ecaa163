"""Timecode labels for the HUD, ruler and status bar."""

from __future__ import annotations

from app import engine


def timecode_of(index: int, fps: float, start: str | None) -> str:
    """SMPTE timecode of frame ``index`` (the reel's start timecode, else 00:00:00:00)."""
    start = start or "00:00:00:00"
    if engine.available("restoration_core.media.timecode", "frames_to_timecode"):
        from fractions import Fraction

        from restoration_core.media.timecode import frames_to_timecode

        try:
            return frames_to_timecode(index, Fraction(fps).limit_denominator(1001), start)
        except Exception:  # noqa: BLE001 - fall back to a plain non-drop count below
            pass
    base = max(1, round(fps))
    try:
        h, m, s, f = (int(v) for v in start.replace(";", ":").split(":"))
        total = ((h * 60 + m) * 60 + s) * base + f + index
    except ValueError:
        total = index
    f = total % base
    s_total = total // base
    return f"{s_total // 3600 % 24:02d}:{s_total // 60 % 60:02d}:{s_total % 60:02d}:{f:02d}"
