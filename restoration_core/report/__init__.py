"""Intervention reports: what was done to which frame, as JSON plus a self-contained HTML page.

write_report("out.report.json", data)  # writes out.report.json and out.report.html

``data`` is a :class:`ReportData` from end to end (the render pipeline builds one; a report's
JSON reads back into one with :func:`read_report`). Missing facts are completed from the files where they
can be read: the source's SHA-256 and per-frame MD5, frame rate and start timecode, and the
timecode of each intervention.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from restoration_core.atomic import atomic_write_text
from restoration_core.defects import Intervention
from restoration_core.errors import InputError, ReelwrightError
from restoration_core.media.fixity import frame_md5
from restoration_core.media.reader import open_reel
from restoration_core.media.timecode import frames_to_timecode
from restoration_core.project.records import source_fixity
from restoration_core.report.data import FORMAT, Fixity, ReportData
from restoration_core.report.html import Crop, crop_box, largest, make_crop, render_html

CROPS = 6  # before/after pictures on a report's page

__all__ = ["FORMAT", "Fixity", "ReportData", "html_path_for", "read_report", "render_report_html", "write_report"]

FramePair = tuple[np.ndarray, np.ndarray]


def html_path_for(json_path: str | Path) -> Path:
    """The HTML page beside a JSON report: same name, ``.html``."""
    return Path(json_path).with_suffix(".html")


def _complete(data: ReportData) -> None:
    """Fill in what the caller did not know and the files can tell (never fails the report)."""
    src = data.source.path
    if src and (data.fps is None or data.start_timecode is None or not data.source.frame_md5):
        try:
            with open_reel(src) as reel:
                data.fps = data.fps or Fraction(reel.info.fps)
                data.start_timecode = data.start_timecode or reel.info.timecode
                if not data.source.frame_md5:
                    a, b = data.frame_range or (0, len(reel))
                    data.source.frame_md5 = [frame_md5(f.data) for f in reel.frames(a, b)]
        except (ReelwrightError, OSError) as exc:
            data.extra.setdefault("notes", []).append(f"source not read: {exc}")
    if src and not data.source.sha256 and Path(src).exists():
        try:
            data.source.sha256 = source_fixity(Path(src))
        except ReelwrightError as exc:
            data.extra.setdefault("notes", []).append(f"source fixity: {exc}")
    if data.fps is not None:
        start = data.start_timecode or "00:00:00:00"
        data.interventions = [i if i.timecode else replace(i, timecode=frames_to_timecode(i.frame, data.fps, start))
                              for i in data.interventions]


def _read_pairs(data: ReportData, wanted: list[int]) -> dict[int, FramePair]:
    """Before (source frame) and after (output frame) pictures of the wanted source frames."""
    first = data.frame_range[0] if data.frame_range else 0
    pairs: dict[int, FramePair] = {}
    with open_reel(data.source.path) as before, open_reel(data.output.path) as after:
        for index in sorted(set(wanted)):
            pairs[index] = (before.read(index).data, after.read(index - first).data)
    return pairs


def _crops(
    data: ReportData, frames: Mapping[int, FramePair] | Callable[[int], FramePair] | None, count: int
) -> tuple[list[Crop], str]:
    picked = largest(data.interventions, count)
    if not picked:
        return [], "No repairs."
    try:
        if frames is None:
            lookup: Mapping[int, FramePair] = _read_pairs(data, [i.frame for i in picked])
        elif callable(frames):
            lookup = {i.frame: frames(i.frame) for i in picked}
        else:
            lookup = frames
    except (ReelwrightError, OSError) as exc:
        return [], f"Before/after pictures unavailable ({exc})."
    crops = [make_crop(i, *lookup[i.frame]) for i in picked if i.frame in lookup]
    return crops, "" if crops else "Before/after pictures unavailable (frames not given)."


def render_report_html(
    data: ReportData,
    frames: Mapping[int, FramePair] | Callable[[int], FramePair] | None = None,
    crops: int = CROPS,
) -> str:
    """The HTML page of a report; ``frames`` gives (before, after) arrays per source frame index,
    else they are read from the source and output files."""
    pictures, note = _crops(data, frames, crops)
    return render_html(data, pictures, note)


def write_report(
    json_path: str | Path,
    data: ReportData,
    *,
    frames: Mapping[int, FramePair] | Callable[[int], FramePair] | None = None,
    complete: bool = True,
    crops: int = CROPS,
) -> Path:
    """Write the JSON report at ``json_path`` and its HTML page beside it (both atomically).

    ``complete`` reads the source for the facts ``data`` lacks (fixity, rate, timecode).
    Returns the JSON path; the HTML is at :func:`html_path_for`.
    """
    json_path = Path(json_path)
    if not isinstance(data, ReportData):
        raise TypeError(f"write_report takes a ReportData, not {type(data).__name__}")
    report = replace(data, source=replace(data.source), extra=dict(data.extra))  # completing it changes no caller's
    if complete:
        _complete(report)
    atomic_write_text(json_path, json.dumps(report.to_dict(), indent=1, default=str) + "\n")
    atomic_write_text(html_path_for(json_path), render_report_html(report, frames, crops))
    return json_path


def read_report(json_path: str | Path) -> ReportData:
    """Load a JSON report written by :func:`write_report` (InputError if it is not one)."""
    path = Path(json_path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("report does not exist", path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a JSON report ({exc})", path) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"not a reelwright intervention report (format {FORMAT!r} expected)", path)
    return ReportData.from_dict(doc)


def crop_frames(interventions: list[Intervention], count: int = CROPS) -> dict[int, list[tuple[int, int, int, int]]]:
    """The frames a report's page shows crops of (its :func:`largest` repairs), each with the
    (x, y, w, h) regions cut out of it (:func:`crop_box` needs the frame's shape: see
    :func:`kept_regions`)."""
    out: dict[int, list[tuple[int, int, int, int]]] = {}
    for item in largest(interventions, count):
        out.setdefault(item.frame, []).append(item.bbox)
    return out


def kept_regions(frame: np.ndarray, bboxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """``frame`` with only the regions the crops of ``bboxes`` show (zero elsewhere, in pages
    never written): a frame pair for ``write_report(frames=...)`` taken as the frames go by,
    so the report need not decode them again."""
    out = np.zeros(frame.shape, frame.dtype)
    for bbox in bboxes:
        x, y, w, h = crop_box(bbox, frame.shape[:2])
        out[y:y + h, x:x + w] = frame[y:y + h, x:x + w]
    return out
