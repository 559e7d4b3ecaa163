"""One :class:`Intervention` per connected repaired region of a frame.

``method`` is ``temporal`` when every pixel of the region came from neighbouring frames
(``source_frames`` lists them), else the generative engine's (``diffusion`` or
``classical``, with the region's ``seed``; a line scratch repaired across its width is
``classical`` without a seed); ``none`` with a ``review`` reason when a detected region was
left as scanned (its temporal sources disagree, or its fill did not match its surroundings). ``kind`` comes from ``kinds_for(frame)`` when
given: a list of :class:`Defect` (the defect whose bbox overlaps the region most), a
single kind string, or an int label image (HxW) paired with ``KIND_CODES``. Without it a
region is ``dust`` when small (area <= :data:`DUST_MAX_FRACTION` of the frame, at least 16 px)
and ``painted`` otherwise (masks that came from no detector were painted or supplied).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from restoration_core.defects import Defect, Intervention
from restoration_core.restore.boxes import components
from restoration_core.restore.safety import REVIEW_FILL

DUST_MAX_FRACTION = 2e-4
KIND_CODES = {1: "dust", 2: "dirt", 3: "scratch", 4: "blotch", 5: "painted", 6: "held"}
KINDS = set(KIND_CODES.values())
REVIEW_LEFT = "temporal sources disagree: left as scanned"


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> int:
    ox = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    oy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, ox) * max(0, oy)


def kind_of(bbox: tuple[int, int, int, int], area: int, pixels: np.ndarray, info: Any, shape: tuple[int, int]) -> str:
    """The defect kind of one region (see module docs)."""
    if isinstance(info, str) and info in KINDS:
        return info
    if isinstance(info, np.ndarray) and info.shape == shape:
        codes = info[pixels]
        codes = codes[codes > 0]
        if codes.size:
            return KIND_CODES.get(int(np.bincount(codes.astype(np.int64)).argmax()), "painted")
    if isinstance(info, list | tuple):
        best, best_overlap = None, 0
        for d in info:
            if isinstance(d, Defect):
                ov = _overlap(bbox, d.bbox)
                if ov > best_overlap:
                    best, best_overlap = d.kind, ov
        if best is not None:
            return best
    limit = max(16, int(DUST_MAX_FRACTION * shape[0] * shape[1]))
    return "dust" if area <= limit else "painted"


def interventions_for(work: Any, method: str, kinds_for: Any) -> list[Intervention]:
    """Interventions of a restored frame (``work`` is the pipeline's per-frame record)."""
    mask = work.mask
    count, labels, stats = components(mask)
    info = kinds_for(work.index) if kinds_for is not None else None
    out = []
    for k in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[k])
        sub = (slice(y, y + h), slice(x, x + w))
        pix = labels[sub] == k
        pixels = pix
        if isinstance(info, np.ndarray):  # kind_of reads a kind map at the region's pixels of the frame
            pixels = np.zeros(mask.shape, bool)
            pixels[sub] = pix
        src = work.source[sub][pix]
        bbox = (x, y, w, h)
        kind = kind_of(bbox, area, pixels, info, mask.shape)
        left = getattr(work, "left", None)
        if left is not None and bool((left[sub] & pix).any()):
            out.append(Intervention(work.index, bbox, area, kind, "none", work.timecode, (), None, REVIEW_LEFT))
            continue
        held = getattr(work, "held", None)
        if held is not None and bool((held[sub] & pix).any()):
            out.append(Intervention(work.index, bbox, area, kind, "none", work.timecode, (), None, REVIEW_FILL))
            continue
        generated = work.generated is not None and bool((work.generated[sub] & pix).any())
        if not generated and bool((src < -1).any()):  # the line-scratch repair (no frames, no seed)
            frames = tuple(sorted(int(v) for v in np.unique(src) if v >= 0))
            out.append(Intervention(work.index, bbox, area, kind, "classical", work.timecode, frames, None))
            continue
        if not generated:
            frames = tuple(sorted(int(v) for v in np.unique(src) if v >= 0))
            out.append(Intervention(work.index, bbox, area, kind, "temporal", work.timecode, frames, None))
            continue
        seed = None
        if work.labels is not None:
            lab = work.labels[sub][pix]
            lab = lab[lab > 0]
            if lab.size:
                seed = work.seeds.get(int(np.bincount(lab).argmax()))
        frames = tuple(sorted(int(v) for v in np.unique(src) if v >= 0))
        out.append(Intervention(work.index, bbox, area, kind, method, work.timecode, frames, seed))  # type: ignore[arg-type]
    return out
