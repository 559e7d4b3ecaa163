"""Review renders for sign-off: the source and the restored output together, timecode burnt in.

``side``: before | after next to each other (twice the width, scaled down past ``max_width``).
``split``: one picture, the left part from the source and the right part restored, with a
line at the split. Frames go through the media writer (an H.264 access copy by default),
with the source's audio, frame rate and start timecode.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from pathlib import Path

import cv2
import numpy as np

from restoration_core.errors import InputError
from restoration_core.media import open_reel, open_writer
from restoration_core.progress import CancelToken, Progress
from restoration_core.render.naming import resolve_destination, review_path_for
from restoration_core.render.spec import LAYOUTS

__all__ = ["LAYOUTS", "render_review", "review_path_for"]



def _white(dtype: np.dtype) -> int:
    return 65535 if dtype == np.uint16 else 255


def put_label(frame: np.ndarray, text: str, corner: str = "bottom-left", scale: float | None = None) -> np.ndarray:
    """Write ``text`` on a dark box in a corner of ``frame`` (in place; returns it)."""
    h, w = frame.shape[:2]
    scale = scale or max(0.35, min(2.0, h / 540))
    thick = max(1, round(scale * 2))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = max(2, round(6 * scale))
    x = pad if corner.endswith("left") else max(0, w - tw - 3 * pad)
    y = h - pad - base if corner.startswith("bottom") else th + 2 * pad
    x0, y0 = max(0, x - pad), max(0, y - th - pad)
    x1, y1 = min(w, x + tw + pad + 1), min(h, y + base + pad + 1)
    box = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)  # OpenCV draws text on 8-bit pictures only
    cv2.putText(box, text, (x - x0, y - y0), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
    frame[y0:y1, x0:x1] = box.astype(np.uint16) * 257 if frame.dtype == np.uint16 else box
    return frame


def compose(before: np.ndarray, after: np.ndarray, layout: str = "side", split: float = 0.5,
            labels: bool = True) -> np.ndarray:
    """One review picture from the source frame and the restored frame (same size and dtype)."""
    if before.shape != after.shape or before.dtype != after.dtype:
        raise ValueError(f"before {before.shape} {before.dtype} and after {after.shape} {after.dtype} differ")
    if layout == "side":
        left, right = before.copy(), after.copy()
        if labels:
            put_label(left, "BEFORE", "top-left")
            put_label(right, "AFTER", "top-left")
        return np.concatenate([left, right], axis=1)
    if layout == "split":
        w = before.shape[1]
        x = int(round(min(1.0, max(0.0, split)) * w))
        out = after.copy()
        out[:, :x] = before[:, :x]
        if 0 < x < w:
            out[:, max(0, x - 1):x + 1] = _white(out.dtype)
        if labels:
            put_label(out, "BEFORE", "top-left")
            put_label(out, "AFTER", "top-right")
        return out
    raise InputError(f"unknown review layout {layout!r} (one of {', '.join(LAYOUTS)})")


def _fit(frame: np.ndarray, max_width: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if w <= max_width:
        return frame
    scale = max_width / w
    size = (max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def render_review(
    source: str | Path,
    restored: str | Path,
    output: str | Path,
    *,
    frame_range: tuple[int, int] | None = None,
    layout: str = "side",
    split: float = 0.5,
    preset: str = "access",
    restored_start: int | None = None,
    burn_in: bool = True,
    max_width: int = 3840,
    overwrite: bool = False,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, object]:
    """Write the review of source frames ``frame_range`` next to the restored output.

    ``restored_start``: the restored file's frame that shows source frame ``frame_range[0]``
    (default: 0 when the restored file holds just the range, else the same index).
    Returns the writer's ExportResult; ``result = yield from render_review(...)``.
    """
    if layout not in LAYOUTS:
        raise InputError(f"unknown review layout {layout!r} (one of {', '.join(LAYOUTS)})")
    output = resolve_destination(output, overwrite=overwrite)
    with open_reel(source, cache_bytes=0) as before, open_reel(restored, cache_bytes=0) as after:
        a, b = frame_range or (0, len(before))
        if not 0 <= a < b <= len(before):
            raise InputError(f"range {a}:{b} is outside the reel (0:{len(before)})", source)
        offset = restored_start if restored_start is not None else (a if len(after) == len(before) else 0)
        if offset < 0 or offset + (b - a) > len(after):
            raise InputError(f"holds {len(after)} frames, the review needs {offset}:{offset + b - a}", restored)
        writer = None
        try:
            for done, (src, res) in enumerate(zip(before.frames(a, b), after.frames(offset, offset + b - a),
                                                  strict=True), 1):
                if cancel is not None:
                    cancel.check()
                res_data = res.data
                if res_data.dtype != src.data.dtype:  # an 8-bit access copy against a 16-bit scan
                    res_data = (res_data.astype(np.uint16) * 257) if src.data.dtype == np.uint16 else \
                        (res_data >> 8).astype(np.uint8)
                if res_data.shape != src.data.shape:
                    res_data = cv2.resize(res_data, (src.data.shape[1], src.data.shape[0]), interpolation=cv2.INTER_AREA)
                pic = _fit(compose(src.data, res_data, layout, split), max_width)
                if burn_in:
                    put_label(pic, f"{src.timecode or ''}  #{src.index}".strip(), "bottom-left")
                if writer is None:
                    info = dataclasses.replace(before.info, width=pic.shape[1], height=pic.shape[0])
                    audio = None if before.info.is_sequence else source
                    writer = open_writer(output, preset, info, frame_range=(a, b), audio_source=audio)
                writer.write(np.ascontiguousarray(pic))
                yield Progress(done, b - a, "review", src.index)
            result = writer.commit()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
    return result
