"""Turn per-pixel outlier scores into clean regions and classified defects."""

from __future__ import annotations

import cv2
import numpy as np

from restoration_core.defects import Defect

# Areas of larger pictures are judged at a reference width of 640 px, so classes mean the
# same on a 2K or 4K scan as on a proxy.
REF_WIDTH = 640.0
DUST_MAX_AREA = 30.0
BLOTCH_MIN_AREA = 400.0


def _peaks(z: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Largest ``z`` of every label 1..n-1 (0 for the background): masks are sparse."""
    sel = labels > 0
    peak = np.zeros(n, np.float32)
    np.maximum.at(peak, labels[sel], z[sel])
    return peak


def hysteresis(z: np.ndarray, low: float, high: float, min_area: int = 2) -> np.ndarray:
    """Regions of ``z > low`` that contain a pixel ``> high``; lone pixels need ``> 1.5 * high``."""
    weak = (z > low).astype(np.uint8)
    if not weak.any():
        return np.zeros(z.shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(weak, connectivity=8)
    peak = _peaks(z, labels, n)
    area = stats[:, cv2.CC_STAT_AREA]
    keep = (peak > high) & ((area >= min_area) | (peak > 1.5 * high))
    keep[0] = False
    return keep[labels]


HOLE_SHARE = 2.0  # a hole larger than this many times its region is picture enclosed by it
HOLE_MAX = 150.0  # px (at REF_WIDTH): larger holes are picture a hair cluster encloses


def fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill enclosed holes (the flat interior of a blotch the test may have missed), but not
    the picture a hair or a lint loop encloses: holes larger than :data:`HOLE_SHARE` times
    the region around them, or than :data:`HOLE_MAX` px at the reference width, stay open
    (a large blotch's interior is recovered by the detector's second pass instead)."""
    if not mask.any():
        return mask
    m = np.pad(mask.astype(np.uint8), 1)
    flood = m.copy()
    cv2.floodFill(flood, None, (0, 0), 1)
    holes = flood == 0
    if not holes.any():
        return mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    k, hole_labels, hole_stats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    out = m.astype(bool)
    limit = HOLE_MAX * max(1.0, mask.shape[1] / REF_WIDTH) ** 2
    for h in range(1, k):
        x, y, w, hh, area = (int(v) for v in hole_stats[h])
        box = (slice(max(0, y - 1), y + hh + 1), slice(max(0, x - 1), x + w + 1))
        around = np.unique(labels[box][cv2.dilate((hole_labels[box] == h).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0])
        region = int(stats[[a for a in around if a > 0], cv2.CC_STAT_AREA].sum())
        if area <= min(HOLE_SHARE * region, limit):
            out[box] |= hole_labels[box] == h
    return out[1:-1, 1:-1]


def drop_mixed(mask: np.ndarray, signed: np.ndarray, z: np.ndarray, high: float) -> np.ndarray:
    """Remove regions with bright and dark parts and no strong peak.

    Dust and dirt lie on one side of the picture; a region that is partly brighter and
    partly darker than both references is the signature of a misregistered edge.
    """
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    flat = labels.ravel()
    pos = np.bincount(flat, weights=((signed > 0) & mask).ravel(), minlength=n)
    neg = np.bincount(flat, weights=((signed < 0) & mask).ravel(), minlength=n)
    peak = _peaks(z, labels, n)
    mixed = np.minimum(pos, neg) > 0.2 * (pos + neg)
    keep = ~(mixed & (peak < 2.0 * high))
    keep[0] = False
    return keep[labels]


def refine(
    z: np.ndarray, low: float, high: float, dilate: int = 1, signed: np.ndarray | None = None
) -> np.ndarray:
    """Hysteresis, drop isolated pixels and mixed-polarity edges, a small dilation, fill interiors."""
    mask = hysteresis(z, low, high)
    if signed is not None and mask.any():
        mask = drop_mixed(mask, signed, z, high)
    if dilate > 0 and mask.any():
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1))
        mask = cv2.dilate(mask.astype(np.uint8), k) > 0
    return fill_holes(mask)


GROW_SHARE = 0.35  # share of a confirmed region's own contrast a pixel grown into it must reach
GROW_REACH = (3, 24)  # px (at REF_WIDTH): how far a confirmed region grows, by its size ...
GROW_RSCALE = 1.0  # ... this many times the square root of its area


def grow_confirmed(
    mask: np.ndarray, signed: np.ndarray, floor: float, share: float = GROW_SHARE,
    reach: tuple[float, float] = GROW_REACH,
) -> np.ndarray:
    """Grow each confirmed region into the pixels next to it that differ from the temporal
    estimate the same way (same sign, at least ``share`` of the region's median outlier
    distance and at least ``floor``), however much texture or reference disagreement the
    per-pixel test asked for there: the faint rim and the interior of a large speck that the
    noise-scaled seeds did not reach. Growth is geodesic (only through such pixels) and stops
    after a reach that grows with the region, within ``reach`` (px at the reference width)."""
    if not mask.any():
        return mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    h, w = mask.shape
    r = max(1.0, w / REF_WIDTH)
    out = mask.copy()
    k3 = np.ones((3, 3), np.uint8)
    for k in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[k, :5])
        steps = int(round(np.clip(GROW_RSCALE * np.sqrt(area) / r, *reach) * r))
        x0, y0, x1, y1 = max(0, x - steps), max(0, y - steps), min(w, x + bw + steps), min(h, y + bh + steps)
        own = labels[y0:y1, x0:x1] == k
        s = signed[y0:y1, x0:x1]
        level = float(np.median(s[own]))
        if level == 0.0:
            continue
        allowed = (np.sign(s) == np.sign(level)) & (np.abs(s) >= max(floor, share * abs(level)))
        grown = own.astype(np.uint8)
        allowed_u8 = (allowed | own).astype(np.uint8)
        for _ in range(steps):
            nxt = cv2.dilate(grown, k3) & allowed_u8
            if np.array_equal(nxt, grown):
                break
            grown = nxt
        out[y0:y1, x0:x1] |= grown > 0
    return out


LINK_NEAR = 4.0  # px (at REF_WIDTH): a dropped piece this close to a confirmed region of its polarity rejoins it ...
LINK_REACH = 12.0  # px (at REF_WIDTH): ... and one reached from it along its departure within this


def link_dropped(
    candidates: np.ndarray, kept: np.ndarray, signed: np.ndarray, floor: float, reach: float = LINK_REACH,
    near: float = LINK_NEAR,
) -> np.ndarray:
    """``kept`` with the dropped candidates (``candidates & ~kept``) that are pieces of a kept
    region and of its polarity: within ``near`` px of it, or reached from it within ``reach``
    px (at the reference width) through pixels that depart from the temporal estimate the
    same way (same sign, at least ``floor``). Repeated from what was admitted, so a chain of pieces follows.

    A long lint or hair crossing a moving arm breaks into candidates; motion protection
    questions each piece alone, and the pieces on the arm, seen alone, look like the arm
    (a bright streak on a sleeve). Joined by a continuous departure to a piece that was
    confirmed, they are the same artifact. Nothing is admitted without a confirmed region
    to reach it from, so picture that motion protection dropped stays dropped."""
    dropped = candidates & ~kept
    if max(reach, near) <= 0 or not dropped.any() or not kept.any():
        return kept
    h, w = kept.shape
    r = max(1.0, w / REF_WIDTH)
    steps = int(round(reach * r))
    k_near = np.ones((2 * int(round(near * r)) + 1,) * 2, np.uint8)
    n, labels = cv2.connectedComponents(dropped.astype(np.uint8), connectivity=8)
    flat = labels.ravel()
    pos = np.bincount(flat, weights=np.maximum(signed, 0).ravel(), minlength=n)
    neg = np.bincount(flat, weights=np.maximum(-signed, 0).ravel(), minlength=n)
    sign = np.where(pos >= neg, 1, -1)
    k3 = np.ones((3, 3), np.uint8)
    out = kept.copy()
    admitted = np.zeros(n, bool)
    for polarity in (1, -1):
        departs = (signed * polarity >= floor).astype(np.uint8)
        km, klabels = cv2.connectedComponents(out.astype(np.uint8), connectivity=8)
        kf = klabels.ravel()
        kpos = np.bincount(kf, weights=np.maximum(signed, 0).ravel(), minlength=km)
        kneg = np.bincount(kf, weights=np.maximum(-signed, 0).ravel(), minlength=km)
        ksign = np.where(kpos >= kneg, 1, -1)
        ksign[0] = 0
        seeds = (ksign[klabels] == polarity).astype(np.uint8)
        for _ in range(8):  # a chain of pieces: each admitted piece reaches on
            if not seeds.any():
                break
            grown = seeds
            passable = departs | seeds
            for _ in range(steps):
                nxt = cv2.dilate(grown, k3) & passable
                if np.array_equal(nxt, grown):
                    break
                grown = nxt
            hit = np.unique(labels[((cv2.dilate(grown, k3) > 0) | (cv2.dilate(seeds, k_near) > 0)) & dropped])
            hit = hit[hit > 0]
            hit = hit[(sign[hit] == polarity) & ~admitted[hit]]
            if hit.size == 0:
                break
            admitted[hit] = True
            seeds = np.isin(labels, hit).astype(np.uint8)
    return out | admitted[labels]


def classify(area_ref: float, w: int, h: int) -> str:
    """dust (small), blotch (large), dirt otherwise; thin elongated hairs and lint are dirt."""
    if area_ref <= DUST_MAX_AREA and max(w, h) <= 12:
        return "dust"
    if area_ref >= BLOTCH_MIN_AREA and min(w, h) * min(w, h) >= 0.25 * area_ref:
        return "blotch"
    return "dirt"


def defects_from_mask(
    frame: int,
    mask: np.ndarray,
    signed: np.ndarray,
    z: np.ndarray,
    high: float,
    scale: float = 1.0,
    first_id: int = 1,
) -> list[Defect]:
    """One :class:`Defect` per connected region of ``mask`` (analysis resolution).

    ``scale`` maps analysis pixels to source pixels (bbox and area are reported in source
    pixels). Polarity is the sign of the outlier distance; score grows with the peak z.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return []
    flat = labels.ravel()
    # magnitude-weighted, so the faint rim a dilation adds does not decide the polarity
    pos = np.bincount(flat, weights=np.maximum(signed, 0).ravel(), minlength=n)
    neg = np.bincount(flat, weights=np.maximum(-signed, 0).ravel(), minlength=n)
    peak = _peaks(z, labels, n)
    r = min(1.0, REF_WIDTH / mask.shape[1])  # small pictures are judged as they are
    out: list[Defect] = []
    for k in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[k, :5])
        total = pos[k] + neg[k]
        if total == 0 or max(pos[k], neg[k]) < 0.8 * total:
            polarity = "mixed"
        else:
            polarity = "bright" if pos[k] > neg[k] else "dark"
        score = float(np.clip(peak[k] / (2.0 * high), 0.0, 1.0))
        out.append(
            Defect(
                frame=frame,
                bbox=(
                    int(x * scale),
                    int(y * scale),
                    max(1, round(w * scale)),
                    max(1, round(h * scale)),
                ),
                area=max(1, round(area * scale * scale)),
                kind=classify(area * r * r, round(w * r), round(h * r)),  # type: ignore[arg-type]
                polarity=polarity,  # type: ignore[arg-type]
                score=round(score, 4),
                id=first_id + len(out),
            )
        )
    return out
