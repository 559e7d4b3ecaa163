"""OpenTimelineIO interchange: the project's clips out as a timeline, an editor's cut back in.

Export: one video track with a clip per project clip (name, source range in the reel's own
timecode and rate, the reel as an external media reference), restoration notes, settings
and a summary of recorded restores under ``metadata["reelwright"]``.
Import: ``.otio`` (our own files keep exact frame indices in the metadata; other editors'
source ranges are read against the media's available range or the reel's start timecode)
and CMX 3600 ``.edl``.
"""

from __future__ import annotations

import json
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import opentimelineio as otio

from restoration_core.atomic import atomic_path
from restoration_core.errors import InputError, OutputError
from restoration_core.interchange.edl import read_edl
from restoration_core.interchange.events import CutEvent, import_events, reel_fps, reel_start

META_KEY = "reelwright"


def _restores(project: Any, clip: Any) -> list[dict]:
    """Summaries of the restores recorded for ``clip`` (what the archive did to it)."""
    out = []
    for rec in getattr(project, "history", []):
        p = rec.params
        if rec.op != "restore" or p.get("clip_id") not in (clip.id, None) or p.get("reel_id") != clip.reel_id:
            continue
        a, b = p.get("frame_range") or (0, 0)
        if b <= clip.in_frame or a >= clip.out_frame:
            continue
        items = p.get("interventions", [])
        out.append({"record": rec.id, "frame_range": [a, b], "output": p.get("output"),
                    "interventions": len(items), "by_kind": dict(Counter(i["kind"] for i in items)),
                    "by_method": dict(Counter(i["method"] for i in items))})
    return out


def project_timeline(project: Any, clips: list[Any] | None = None) -> otio.schema.Timeline:
    """The project's clips (or the given ones) in order on one video track."""
    timeline = otio.schema.Timeline(name=project.name)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for clip in clips if clips is not None else project.clips:
        reel = project.reel(clip.reel_id)
        fps = reel_fps(reel)
        rate = float(fps)
        start = reel_start(reel)
        frames = (reel.info or {}).get("frames")
        available = None
        if isinstance(frames, int) and frames > 0:
            available = otio.opentime.TimeRange(otio.opentime.RationalTime(start, rate),
                                                otio.opentime.RationalTime(frames, rate))
        ref = otio.schema.ExternalReference(target_url=Path(reel.path).as_uri(), available_range=available)
        ref.name = Path(reel.path).name
        item = otio.schema.Clip(
            name=clip.name, media_reference=ref,
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start + clip.in_frame, rate),
                                                 otio.opentime.RationalTime(clip.out_frame - clip.in_frame, rate)),
        )
        item.metadata[META_KEY] = {
            "clip_id": clip.id, "reel_id": clip.reel_id, "reel_path": str(reel.path), "reel_sha256": reel.sha256,
            "in_frame": clip.in_frame, "out_frame": clip.out_frame, "fps": f"{fps.numerator}/{fps.denominator}",
            "notes": clip.notes, "settings": json.loads(json.dumps(clip.settings, default=str)),
            "restores": _restores(project, clip),
        }
        track.append(item)
    return timeline


def export_otio(project: Any, path: str | Path, clips: list[Any] | None = None, *, overwrite: bool = False) -> Path:
    """Write the project's clips as an ``.otio`` file (atomically; never replaces a file unless asked)."""
    path = Path(path)
    if path.suffix.lower() != ".otio":
        raise OutputError("an OpenTimelineIO file must end in .otio", path)
    if not (clips if clips is not None else project.clips):
        raise InputError("the project has no clips to export")
    text = otio.adapters.write_to_string(project_timeline(project, clips), "otio_json")
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _url_path(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def _event(clip: otio.schema.Clip) -> CutEvent:
    meta = dict(clip.metadata.get(META_KEY) or {})
    ref = clip.media_reference
    url = getattr(ref, "target_url", None)
    src = meta.get("reel_path") or _url_path(url)
    rng = clip.source_range or clip.available_range()
    rate = rng.start_time.rate
    fps = Fraction(str(meta["fps"])) if meta.get("fps") else None
    to = float(fps) if fps else rate
    start = round(rng.start_time.rescaled_to(to).value)
    duration = round(rng.duration.rescaled_to(to).value)
    in_frame = None
    if "in_frame" in meta and "out_frame" in meta:
        in_frame, duration = int(meta["in_frame"]), int(meta["out_frame"]) - int(meta["in_frame"])
    elif ref is not None and getattr(ref, "available_range", None) is not None:
        in_frame = start - round(ref.available_range.start_time.rescaled_to(to).value)
    return CutEvent(
        name=clip.name or (Path(src).stem if src else "Clip"), reel_name=meta.get("reel_id") or getattr(ref, "name", None),
        source_path=src, in_frame=in_frame, source_start=start, duration=duration,
        notes=str(meta.get("notes") or ""), settings=dict(meta.get("settings") or {}),
    )


def read_otio(path: str | Path) -> list[CutEvent]:
    """The clips of every video track of an ``.otio`` file, in order (gaps and effects skipped)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("cut list does not exist", path)
    try:
        timeline = otio.adapters.read_from_file(str(path))
    except Exception as exc:  # otio raises many types for malformed input
        raise InputError(f"not a readable OpenTimelineIO file ({type(exc).__name__}: {exc})", path) from None
    tracks = timeline.video_tracks() if isinstance(timeline, otio.schema.Timeline) else []
    events = [_event(c) for t in tracks for c in t.find_clips()]
    if not events:
        raise InputError("no video clips in this timeline", path)
    return events


def import_cut_list(project: Any, path: str | Path, reel_id: str | None = None,
                    fps: Fraction | None = None) -> list[Any]:
    """Create project clips from an ``.otio`` or CMX 3600 ``.edl`` file; returns the new clips.

    EDL timecodes are read at ``fps`` (default: the named reel's, else the first reel's rate).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".otio":
        events = read_otio(path)
    elif suffix == ".edl":

        if fps is None:
            reels = [project.reel(reel_id)] if reel_id and reel_id in [r.id for r in project.reels] else project.reels
            fps = reel_fps(reels[0] if reels else None)
        events = read_edl(path, fps)
    else:
        raise InputError("cut lists are read from .otio or .edl files", path)
    return import_events(project, events, reel_id)
