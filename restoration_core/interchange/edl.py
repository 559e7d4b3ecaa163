"""CMX 3600 edit decision lists: the video events of an editor's cut, as cut events.

Only what a restoration project needs is read: event number, source reel, source in/out,
``* FROM CLIP NAME:`` and ``* COMMENT:`` lines. Audio-only events are skipped; a dissolve
or wipe event counts with its incoming source range.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from restoration_core.errors import InputError
from restoration_core.interchange.events import CutEvent
from restoration_core.media.timecode import timecode_to_frames

_TC = r"\d{1,2}:\d\d:\d\d[:;.]\d\d"
_EVENT = re.compile(
    rf"^\s*(\d{{1,6}})\s+(\S+)\s+(\S+)\s+(C|D|W\d*|K\s*B?|K)\s*(\d{{1,4}})?\s+({_TC})\s+({_TC})\s+({_TC})\s+({_TC})\s*$",
    re.IGNORECASE,
)
_NOTE = re.compile(r"^\s*\*\s*(FROM CLIP NAME|TO CLIP NAME|COMMENT|LOC|SOURCE FILE)\s*:\s*(.*)$", re.IGNORECASE)


def _frames(tc: str, fps: Fraction) -> int:

    return timecode_to_frames(tc.replace(".", ":"), fps)


def parse_edl(text: str, fps: Fraction, path: str | Path | None = None) -> list[CutEvent]:
    """The video events of a CMX 3600 EDL, in record order (InputError if none can be read)."""
    fps = Fraction(fps)
    events: list[CutEvent] = []
    current: dict | None = None
    title = ""

    def flush() -> None:
        if current is not None:
            events.append(CutEvent(
                name=current["name"] or f"{title or 'Event'} {current['num']}".strip(),
                reel_name=current["reel"], source_path=current["file"], in_frame=None,
                source_start=current["start"], duration=current["duration"], notes="\n".join(current["notes"]),
            ))

    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.upper().startswith("TITLE:"):
            title = line.split(":", 1)[1].strip()
            continue
        if line.upper().startswith("FCM:"):
            continue
        match = _EVENT.match(line)
        if match:
            num, reel, track, _trans, _dur, s_in, s_out, _r_in, _r_out = match.groups()
            flush()
            current = None
            if "V" not in track.upper() or reel.upper() in ("BL", "BLACK"):
                continue  # audio-only or black/slug: nothing to restore
            try:
                start, stop = _frames(s_in, fps), _frames(s_out, fps)
            except ValueError as exc:
                raise InputError(f"line {lineno}: {exc}", path) from None
            if stop <= start:
                raise InputError(f"line {lineno}: source out {s_out} is not after source in {s_in}", path)
            current = {"num": num, "reel": reel, "start": start, "duration": stop - start, "name": "",
                       "file": None, "notes": []}
            continue
        note = _NOTE.match(line)
        if note and current is not None:
            key, value = note.group(1).upper(), note.group(2).strip()
            if key == "FROM CLIP NAME":
                current["name"] = value
            elif key == "SOURCE FILE":
                current["file"] = value
            elif key in ("COMMENT", "LOC"):
                current["notes"].append(value)
            continue
        if line.lstrip().startswith("*") or line.lstrip().upper().startswith(("M2", "SPLIT", ">>>")):
            continue
        raise InputError(f"line {lineno}: not a CMX 3600 event: {line.strip()[:60]!r}", path)
    flush()
    if not events:
        raise InputError("no video events in this EDL", path)
    return events


def read_edl(path: str | Path, fps: Fraction) -> list[CutEvent]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError("EDL does not exist", path) from None
    except OSError as exc:
        raise InputError(f"cannot read EDL ({exc.strerror or exc})", path) from None
    return parse_edl(text, fps, path)
