"""Line scratches: thin near-vertical lines that stay near one column across frames.

Per frame, a horizontal morphological top-hat (bright) and black-hat (dark) keep only
structures narrower than a few pixels across; step edges of the scene give no response.
Each column is summarised per horizontal band of rows as the fraction of rows whose
response stands out from the noise: a scratch lights up the same column (give or take a
pixel of slant) through many consecutive bands. A candidate becomes a scratch when it is
found again near the same column in the neighbouring frames while the picture content
there moves differently (scene lines travel with the optical flow; scratches do not). On a
static shot the two cannot be told apart by motion, so a longer, stronger line is required.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BANDS = 12
ROW_Z = 4.0  # a row counts when its response is this many noise units above the median
BAND_FRACTION = 0.5  # share of a band's rows that must count
MIN_RUN = 0.3  # shortest scratch, as a share of the frame's height
STATIC_RUN = 0.5  # on static content the line must be at least this long
DRIFT = 3  # px a scratch may move between frames
MOVING = 2.0  # px of horizontal scene motion that makes the motion test decisive


@dataclass(frozen=True)
class LineCandidate:
    x: int
    polarity: int  # 0 bright, 1 dark
    band_start: int
    band_end: int  # exclusive
    strength: float


@dataclass
class LineEvidence:
    """Per-frame normalised line response (2 x H x W) and the candidates found in it."""

    z: np.ndarray
    candidates: list[LineCandidate]


def _se_width(width: int) -> int:
    return max(7, round(7 * width / 960.0)) | 1


def line_response(luma: np.ndarray) -> np.ndarray:
    """Bright and dark thin-vertical-line responses in noise units (float32 2 x H x W)."""
    se = cv2.getStructuringElement(cv2.MORPH_RECT, (_se_width(luma.shape[1]), 1))
    bright = luma - cv2.morphologyEx(luma, cv2.MORPH_OPEN, se)
    dark = cv2.morphologyEx(luma, cv2.MORPH_CLOSE, se) - luma
    out = np.empty((2, *luma.shape), np.float32)
    for k, r in enumerate((bright, dark)):
        sample = r[::3, ::3]
        med = float(np.median(sample))
        mad = float(np.median(np.abs(sample - med)))
        out[k] = (r - med) / max(1.4826 * mad, 1.0 / 255.0)
    return out


def find_candidates(z: np.ndarray, threshold_scale: float = 1.0) -> list[LineCandidate]:
    """Columns whose response stays high through enough consecutive bands of rows."""
    _, h, w = z.shape
    bands = min(BANDS, max(1, h // 4))
    edges = np.linspace(0, h, bands + 1).astype(int)
    min_run = max(1, int(np.ceil(MIN_RUN * bands)))
    out: list[LineCandidate] = []
    for pol in range(2):
        hits = (z[pol] > ROW_Z * threshold_scale).astype(np.float32)
        frac = np.stack([hits[edges[b] : edges[b + 1]].mean(axis=0) for b in range(bands)])
        # allow a pixel of slant or weave between bands
        frac = cv2.dilate(frac, np.ones((1, 3), np.uint8))
        on = frac > BAND_FRACTION
        run = np.zeros(w, int)
        best = np.zeros(w, int)
        best_end = np.zeros(w, int)
        for b in range(bands):
            run = np.where(on[b], run + 1, 0)
            better = run > best
            best = np.where(better, run, best)
            best_end = np.where(better, b + 1, best_end)
        cols = best >= min_run
        margin = _se_width(w) // 2 + 1  # the filters are unreliable at the picture's edges
        cols[:margin] = False
        cols[w - margin :] = False
        if not cols.any():
            continue
        strength = np.where(cols, frac.sum(axis=0) / bands, 0.0)
        centre = np.median(z[pol], axis=0)  # where along the plateau the line really is
        # one candidate per group of adjacent columns: the strongest
        n, labels = cv2.connectedComponents(cols.astype(np.uint8)[None, :], connectivity=4)
        for k in range(1, n):
            xs = np.nonzero(labels[0] == k)[0]
            x = int(xs[np.argmax(strength[xs] + 1e-3 * centre[xs])])
            x = int(xs[np.argmax(centre[xs])]) if centre[xs].max() > 0 else x
            out.append(
                LineCandidate(x, pol, int(best_end[x] - best[x]), int(best_end[x]), float(strength[x]))
            )
    # A bright line next to brighter picture also leaves a narrow dark valley beside it (and
    # vice versa): keep only the stronger of two opposite-polarity candidates side by side.
    return [
        c
        for c in out
        if not any(
            o.polarity != c.polarity and abs(o.x - c.x) <= DRIFT + 2 and (o.strength, o.x) > (c.strength, c.x)
            for o in out
        )
    ]


def evidence(luma: np.ndarray, threshold_scale: float = 1.0) -> LineEvidence:
    z = line_response(luma)
    return LineEvidence(z, find_candidates(z, threshold_scale))


def on_edge(luma: np.ndarray, c: LineCandidate, height: int) -> bool:
    """True when the line runs along a scene edge (a highlight on an object's outline).

    A scratch is laid over the picture: the picture on its left and right continues. An
    outline separates two different regions: the step across it beats the line's contrast.
    """
    bands = min(BANDS, max(1, height // 4))
    y0 = int(c.band_start * height / bands)
    y1 = max(y0 + 1, int(c.band_end * height / bands))
    w = luma.shape[1]
    off = _se_width(w) // 2 + 1
    xl, xr = max(0, c.x - off), min(w - 1, c.x + off)
    rows = luma[y0:y1]
    step = float(np.median(np.abs(rows[:, xl] - rows[:, xr])))
    side = 0.5 * (rows[:, xl] + rows[:, xr])
    contrast = float(np.median(np.abs(rows[:, c.x] - side)))
    return step > 0.75 * contrast


def line_position(z: np.ndarray, c: LineCandidate, height: int, reach: int = DRIFT) -> float | None:
    """Sub-pixel column of the line near ``c.x`` over ``c``'s rows: the median over rows of the
    response's centroid within ``reach`` px of the row's peak (None where nothing responds)."""
    bands = min(BANDS, max(1, height // 4))
    y0 = int(c.band_start * height / bands)
    y1 = max(y0 + 1, int(c.band_end * height / bands))
    w = z.shape[-1]
    x0, x1 = max(0, c.x - reach), min(w, c.x + reach + 1)
    band = np.maximum(z[c.polarity, y0:y1, x0:x1], 0.0)
    k = np.argmax(band, axis=1)
    ok = band[np.arange(len(k)), k] > ROW_Z
    if ok.sum() < 4:
        return None
    cols = np.arange(x0, x1, dtype=np.float64)
    near = np.abs(cols[None, :] - (x0 + k)[:, None]) <= 1
    wgt = band * near
    centre = (wgt * cols[None, :]).sum(axis=1) / np.maximum(wgt.sum(axis=1), 1e-9)
    return float(np.median(centre[ok]))


BESIDE = (10, 18)  # px either side of the line where the picture's motion is read
LOCKED = 0.5  # px: a line that follows the picture's motion this closely moves with it
WEAVE = 0.3  # px of picture motion at the line that makes the "follows the picture" test decisive


def moves_with_picture(
    ev: LineEvidence, c: LineCandidate, neighbours: list[tuple[LineEvidence, np.ndarray]], height: int
) -> bool:
    """True when the line follows the picture's own motion (pan, camera weave) into every
    neighbour: a pole, a door frame or a building corner. A scratch lies on the film and
    wanders on its own. Only decisive where the picture does move at the line."""
    here = line_position(ev.z, c, height)
    if here is None or not neighbours:
        return False
    bands = min(BANDS, max(1, height // 4))
    y0 = int(c.band_start * height / bands)
    y1 = max(y0 + 1, int(c.band_end * height / bands))
    moved = False
    for nev, flow in neighbours:
        # the picture's motion at the line, from beside it: the line drags the flow within
        # the flow's patch size of itself
        cols = [x for d in range(BESIDE[0], BESIDE[1] + 1) for x in (c.x - d, c.x + d) if 0 <= x < flow.shape[1]]
        if not cols:
            return False
        dx = float(np.median(flow[y0:y1, cols, 0]))
        shifted = LineCandidate(int(round(here + dx)), c.polarity, c.band_start, c.band_end, c.strength)
        there = line_position(nev.z, shifted, height, reach=2)
        if there is None or abs(there - here - dx) > LOCKED:
            return False
        moved |= abs(dx) >= WEAVE
    return moved


def confirmed(
    ev: LineEvidence,
    neighbours: list[tuple[LineEvidence, np.ndarray]],
    height: int,
    luma: np.ndarray | None = None,
) -> list[LineCandidate]:
    """Candidates of this frame that behave like scratches, given ``(evidence, flow)`` of neighbours.

    ``flow`` maps this frame to the neighbour. A candidate must recur near its column in
    every neighbour, and not where the scene's motion would have carried a scene line.
    """
    bands = min(BANDS, max(1, height // 4))
    out = []
    for c in ev.candidates:
        if luma is not None and on_edge(luma, c, height):
            continue
        if moves_with_picture(ev, c, neighbours, height):
            continue
        long_enough = (c.band_end - c.band_start) >= STATIC_RUN * bands
        if not neighbours:
            if long_enough and c.strength >= 0.6:
                out.append(c)
            continue
        ok = True
        decisive = False
        for nev, flow in neighbours:
            y0 = int(c.band_start * height / bands)
            y1 = max(y0 + 1, int(c.band_end * height / bands))
            x0, x1 = max(0, c.x - 1), min(flow.shape[1], c.x + 2)
            dx = float(np.median(flow[y0:y1, x0:x1, 0]))
            near = [o for o in nev.candidates if o.polarity == c.polarity and abs(o.x - c.x) <= DRIFT]
            if not near:
                ok = False
                break
            if abs(dx) >= MOVING:
                # the neighbour's line is closer to where the picture went: a scene line
                if min(abs(o.x - c.x - dx) - abs(o.x - c.x) for o in near) < 0:
                    ok = False
                    break
                decisive = True
        # with a single neighbour (the clip's ends) motion alone is too thin an argument
        if ok and ((decisive and len(neighbours) > 1) or long_enough):
            out.append(c)
    return out


def scratch_mask(
    ev: LineEvidence, lines: list[LineCandidate], threshold_scale: float = 1.0
) -> list[np.ndarray]:
    """One bool mask per confirmed line: responding pixels within a few px of its column."""
    _, h, w = ev.z.shape
    bands = min(BANDS, max(1, h // 4))
    masks = []
    half = DRIFT + 1
    for c in lines:
        m = np.zeros((h, w), np.uint8)
        y0 = int(c.band_start * h / bands)
        y1 = int(c.band_end * h / bands)
        x0, x1 = max(0, c.x - half), min(w, c.x + half + 1)
        band = ev.z[c.polarity, y0:y1, x0:x1]
        # the line's core in each row: clearly above noise and within reach of the row's peak
        peak = band.max(axis=1, keepdims=True)
        floor = np.maximum(0.5 * ROW_Z * threshold_scale, 0.35 * peak)
        # rows where the line itself shows (the band edges are coarse): a row's peak must be
        # a fair share of the line's typical one, not just grain or texture beside it
        strong = peak > ROW_Z * threshold_scale
        typical = float(np.median(peak[strong])) if strong.any() else 0.0
        row_min = max(ROW_Z * threshold_scale, 0.35 * typical)
        m[y0:y1, x0:x1] = (band > floor) & (peak > row_min)
        rows = _solid_rows(m[y0:y1].any(axis=1))
        m[y0:y1][~np.isin(np.arange(y1 - y0), rows)] = 0
        if rows.size:
            # follow the line past the bands, row by row, to where it ends (within one
            # band's height: this refines the ends, it finds no new line); gaps closed below
            top, bottom = y0 + int(rows[0]), y0 + int(rows[-1])
            reach = int(np.ceil(h / bands))
            _follow(ev.z[c.polarity], m, top, int(np.argmax(m[top])), -1, row_min, reach)
            _follow(ev.z[c.polarity], m, bottom, int(np.argmax(m[bottom])), 1, row_min, reach)
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((9, 1), np.uint8))
        m = cv2.dilate(m, np.ones((1, 3), np.uint8))
        masks.append(m > 0)
    return masks


SOLID = 9  # rows: the line's ends are where it stops filling this many consecutive rows


def _solid_rows(hits: np.ndarray) -> np.ndarray:
    """The rows with a response from the first to the last stretch where the line fills
    most of ``SOLID`` rows: scattered responses beyond its ends (a column of lit windows
    under a scratch) are left out; gaps inside (a faded stretch) are kept."""
    rows = np.nonzero(hits)[0]
    if rows.size == 0:
        return rows
    density = np.convolve(hits.astype(np.float32), np.ones(SOLID, np.float32) / SOLID, mode="same")
    solid = np.nonzero(density >= 0.7)[0]
    if solid.size == 0:
        return rows
    reach = SOLID // 2
    return rows[(rows >= solid[0] - reach) & (rows <= solid[-1] + reach)]


FOLLOW_GAP = 1  # rows without a response that a followed line may cross (a window grid has more)


def _follow(z: np.ndarray, m: np.ndarray, y: int, x: int, step: int, row_min: float, reach: int) -> None:
    """Mark the line in ``m`` from row ``y`` (at column ``x``) onwards in direction ``step``,
    at most ``reach`` rows, while each row responds above ``row_min`` within a pixel of where
    the line was last seen."""
    h, w = z.shape
    gap = 0
    end = y + step * (reach + 1)
    y += step
    while 0 <= y < h and y != end and gap <= FOLLOW_GAP:
        a, b = max(0, x - 1), min(w, x + 2)
        row = z[y, a:b]
        k = int(np.argmax(row))
        if row[k] > row_min:
            x = a + k
            lo, hi = max(0, x - 1), min(w, x + 2)
            m[y, lo:hi] = z[y, lo:hi] > 0.35 * row[k]
            gap = 0
        else:
            gap += 1
        y += step
