"""The HTML intervention report: one self-contained page, readable offline.

Everything is inline: the stylesheet, the timeline (SVG), the before/after crops (PNG as
base64 ``data:`` URIs). The page links to nothing and loads nothing.
"""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from dataclasses import dataclass
from html import escape

import cv2
import numpy as np

from restoration_core.defects import Intervention
from restoration_core.report.data import ReportData

KIND_COLOURS = {
    "dust": "#e4572e", "dirt": "#a0522d", "scratch": "#3b8ea5", "blotch": "#9b5de5", "painted": "#f2c14e",
}
_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#eee}code{font-size:12px;word-break:break-all}
.crops{display:flex;flex-wrap:wrap;gap:16px}.crop{background:#fff;border:1px solid #ccc;padding:8px}
.crop img{image-rendering:pixelated;display:inline-block;margin-right:4px}
.legend span{display:inline-block;margin-right:12px}.sw{width:10px;height:10px;display:inline-block;margin-right:4px}
"""


@dataclass(frozen=True)
class Crop:
    """Before/after pictures (uint8 RGB) around one repaired region."""

    intervention: Intervention
    before: np.ndarray
    after: np.ndarray


def png_data_uri(rgb: np.ndarray) -> str:
    """An 8-bit RGB array as an inline ``data:image/png;base64,...`` URI."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - cv2 encodes any uint8 RGB array
        raise ValueError("PNG encoding failed")
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def to_uint8(data: np.ndarray) -> np.ndarray:
    if data.dtype == np.uint16:
        return (data >> 8).astype(np.uint8)
    if data.dtype != np.uint8:
        return np.clip(data, 0, 255).astype(np.uint8)
    return data


def crop_box(bbox: tuple[int, int, int, int], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """The region shown around ``bbox`` (x, y, w, h): the box plus a margin, inside the frame."""
    x, y, w, h = bbox
    margin = max(8, max(w, h) // 2)
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(shape[1], x + w + margin), min(shape[0], y + h + margin)
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def make_crop(item: Intervention, before: np.ndarray, after: np.ndarray, side: int = 192) -> Crop:
    """Cut the same region out of the full before/after frames, scaled to about ``side`` pixels."""
    x, y, w, h = crop_box(item.bbox, before.shape[:2])
    pics = []
    for frame in (before, after):
        pic = to_uint8(frame[y:y + h, x:x + w])
        scale = side / max(w, h)
        if scale > 1:
            scale = min(8, int(scale))
            pic = cv2.resize(pic, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
        elif scale < 1:
            pic = cv2.resize(pic, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        pics.append(np.ascontiguousarray(pic))
    return Crop(item, pics[0], pics[1])


def largest(items: list[Intervention], n: int) -> list[Intervention]:
    """The ``n`` largest repairs, at most two per frame so one bad frame does not fill the page.

    Stabilized frames are left out: the whole frame is resampled, so a crop of it shows
    nothing (the report lists each frame's transform instead)."""
    picked: list[Intervention] = []
    per_frame: Counter = Counter()
    for item in sorted((i for i in items if i.kind != "stabilize"), key=lambda i: (-i.area, i.frame, i.bbox)):
        if per_frame[item.frame] < 2:
            picked.append(item)
            per_frame[item.frame] += 1
        if len(picked) == n:
            break
    return picked


def timeline_svg(data: ReportData, width: int = 900, height: int = 120) -> str:
    """Repairs per frame along the clip as stacked bars coloured by kind (frames binned past ``width``)."""
    first, stop = data.frame_range or (0, max([i.frame + 1 for i in data.interventions] or [1]))
    frames = max(1, stop - first)
    step = -(-frames // width)  # frames per bar: 1 unless the clip is longer than the chart is wide
    bins: dict[int, Counter] = defaultdict(Counter)
    for i in data.interventions:
        bins[(i.frame - first) // step][i.kind] += 1
    peak = max([sum(c.values()) for c in bins.values()] or [1])
    plot_h = height - 24
    bar_w = width / -(-frames // step)
    gap = 1 if bar_w >= 4 else 0
    unit = "frame" if step == 1 else f"{step} frames"
    parts = [f'<svg width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="repairs per frame">',
             f'<rect x="0" y="0" width="{width}" height="{plot_h}" fill="#fff" stroke="#ccc"/>']
    for b in sorted(bins):
        x = b * bar_w
        y = plot_h
        label = f"frame {first + b * step}" if step == 1 else f"frames {first + b * step}-{first + b * step + step - 1}"
        for kind, count in sorted(bins[b].items()):
            h = plot_h * count / peak
            y -= h
            colour = KIND_COLOURS.get(kind, "#555")
            parts.append(f'<rect x="{x:.2f}" y="{y:.2f}" width="{max(bar_w - gap, 1):.2f}" height="{h:.2f}" '
                         f'fill="{colour}"><title>{label}: {count} {escape(kind)}</title></rect>')
    for k in range(6):  # frame-number ticks
        f = first + round(k * (frames - 1) / 5) if frames > 1 else first
        x = min(width - 30, (f - first) / step * bar_w)
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" fill="#444">{f}</text>')
    parts.append(f'<text x="4" y="12" font-size="11" fill="#444">max {peak} per {unit}</text></svg>')
    return "".join(parts)


def _table(rows: list[tuple[str, object]]) -> str:
    return "<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"


def _code(value: object) -> str:
    return "&mdash;" if value in (None, "") else f"<code>{escape(str(value))}</code>"


def _counts(counter: dict) -> str:
    return escape(", ".join(f"{k} {v}" for k, v in counter.items()) or "none")


def render_html(data: ReportData, crops: list[Crop] | None = None, note: str = "") -> str:
    """The whole report page as a string."""
    s = data.summary()
    title = f"Intervention report: {data.clip or data.reel or data.output.path or 'render'}"
    fps = None if data.fps is None else f"{data.fps.numerator}/{data.fps.denominator}"
    fr = f"{data.frame_range[0]}&ndash;{data.frame_range[1] - 1}" if data.frame_range else "&mdash;"
    out = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
           f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1>",
           _table([("Program", f"reelwright {escape(data.program_version)}"), ("Created", escape(data.created)),
                   ("Preset", _code(data.preset)), ("Frame rate", _code(fps)),
                   ("Start timecode", _code(data.start_timecode))]),
           "<h2>Summary per clip</h2><table><tr><th>Clip</th><th>Reel</th><th>Frames</th><th>Frames repaired</th>"
           "<th>Repairs</th><th>Area (px)</th><th>By kind</th><th>By method</th></tr>",
           f"<tr><td>{escape(str(data.clip or '-'))}</td><td>{escape(str(data.reel or '-'))}</td><td>{fr}"
           f" ({s['frames']})</td><td>{s['frames_repaired']}</td><td>{s['interventions']}</td><td>{s['area']}</td>"
           f"<td>{_counts(s['by_kind'])}</td><td>{_counts(s['by_method'])}</td></tr></table>",
           "<h2>Repairs along the timeline</h2>", timeline_svg(data), '<div class="legend">',
           *(f'<span><i class="sw" style="background:{c}"></i>{k}</span>' for k, c in KIND_COLOURS.items()),
           "</div><h2>Fixity</h2>",
           _table([("Source", _code(data.source.path)), ("Source SHA-256", _code(data.source.sha256)),
                   ("Output", _code(data.output.path)), ("Output SHA-256", _code(data.output.sha256)),
                   ("Model", _code(data.model.get("path") if data.model else None)),
                   ("Model SHA-256", _code(data.model.get("sha256") if data.model else None))])]
    out.append("<h2>Largest repairs (before | after)</h2>")
    if note:
        out.append(f"<p>{escape(note)}</p>")
    out.append('<div class="crops">')
    for c in crops or []:
        i = c.intervention
        out.append(f'<div class="crop"><img alt="before" src="{png_data_uri(c.before)}">'
                   f'<img alt="after" src="{png_data_uri(c.after)}"><br>frame {i.frame} '
                   f"{escape(i.timecode or '')} &middot; {escape(i.kind)} &middot; {escape(i.method)} &middot; "
                   f"{i.area} px at {list(i.bbox)}</div>")
    out.append("</div>")
    out.append(_interventions_table(data.interventions))
    out.append(_settings_table(data))
    out.append(_md5_table(data))
    out.append("</body></html>")
    return "\n".join(out)


def _interventions_table(items: list[Intervention], limit: int = 5000) -> str:
    shown = items[:limit]
    more = f" (the first {limit} here; the JSON lists all)" if len(items) > limit else ""
    rows = ["<h2>All repairs</h2><details><summary>"
            f"{len(items)} repairs{more}</summary><table><tr><th>Frame</th><th>Timecode</th><th>Box [x, y, w, h]</th>"
            "<th>Area</th><th>Kind</th><th>Method</th><th>Source frames</th><th>Seed</th></tr>"]
    for i in shown:
        rows.append(f"<tr><td>{i.frame}</td><td>{escape(i.timecode or '')}</td><td>{list(i.bbox)}</td>"
                    f"<td>{i.area}</td><td>{escape(i.kind)}</td><td>{escape(i.method)}</td>"
                    f"<td>{', '.join(map(str, i.source_frames))}</td><td>{'' if i.seed is None else i.seed}</td></tr>")
    rows.append("</table></details>")
    return "".join(rows)


def _settings_table(data: ReportData) -> str:
    rows = [(str(k), _code(v)) for k, v in sorted(data.settings.items())]
    return "<h2>Settings</h2>" + (_table(rows) if rows else "<p>defaults</p>")


def _md5_table(data: ReportData) -> str:
    first = data.frame_range[0] if data.frame_range else 0
    src, out = data.source.frame_md5, data.output.frame_md5
    n = max(len(src), len(out))
    rows = [f"<h2>Per-frame MD5</h2><details><summary>{n} frames</summary><table><tr><th>Frame</th>"
            "<th>Source (decoded array)</th><th>Output (framemd5)</th></tr>"]
    for k in range(n):
        rows.append(f"<tr><td>{first + k}</td><td>{_code(src[k] if k < len(src) else None)}</td>"
                    f"<td>{_code(out[k] if k < len(out) else None)}</td></tr>")
    rows.append("</table></details>")
    return "".join(rows)
