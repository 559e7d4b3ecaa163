"""Line-scratch repair: thin vertical damage filled across its width from both sides.

A line scratch is a few pixels wide and runs down the frame. Each row of it is filled by
interpolating between the picture just left and just right of it, along the direction in
which the picture crosses the scratch there (an oblique edge stays straight): per row the
slope is chosen whose two sides agree best over five rows and two columns, with a small
preference for straight across. A plain inpaint diffuses from all around and smears
texture into a soft residual line; this keeps both sides' detail and leaves no line.
"""

from __future__ import annotations

import cv2
import numpy as np

from restoration_core.restore.boxes import box_of, components

MAX_WIDTH = 10  # px: wider damage is not a line scratch
MIN_ELONGATION = 3.0  # height / width of a line scratch
MIN_HEIGHT = 12  # px
SLOPES = np.array([-2.0, -1.5, -1.0, -0.6, -0.3, 0.0, 0.3, 0.6, 1.0, 1.5, 2.0], np.float32)  # rows per column
STRAIGHT_BIAS = 0.004  # cost (0..1 units) per unit of slope: ties go to straight across
ROWS = 2  # rows either side compared when choosing the slope


def line_regions(mask: np.ndarray) -> np.ndarray:
    """Bool HxW: the parts of ``mask`` that are thin vertical lines. A line that crosses or
    touches a blotch keeps its stretches above and below it (the blotch is not a line)."""
    out = np.zeros(mask.shape, bool)
    # (in the mask's box grown past the kernels' reach: the same result as on the whole frame)
    box = box_of(mask, MIN_HEIGHT + 2 * MAX_WIDTH + 2)
    if box is None:
        return out
    y0, y1, x0, x1 = box
    m8 = mask[y0:y1, x0:x1].astype(np.uint8)
    tall = cv2.morphologyEx(m8, cv2.MORPH_OPEN, np.ones((MIN_HEIGHT, 1), np.uint8))
    # rows of a stretch wider than a line (a blotch) are not part of it
    wide = cv2.morphologyEx(m8, cv2.MORPH_OPEN, np.ones((1, MAX_WIDTH + 1), np.uint8))
    wide = cv2.dilate(wide, np.ones((1, 2 * MAX_WIDTH + 1), np.uint8))
    cand = (tall > 0) & (wide == 0)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cand.astype(np.uint8), connectivity=8)
    w = stats[:, cv2.CC_STAT_WIDTH]
    h = stats[:, cv2.CC_STAT_HEIGHT]
    keep = (w <= MAX_WIDTH) & (h >= MIN_HEIGHT) & (h >= MIN_ELONGATION * w)
    keep[0] = False
    out[y0:y1, x0:x1] = keep[labels]
    return out


def _sample(image: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``image`` (HxWxC float32) at float rows ``ys`` and integer columns ``xs`` (same shape)."""
    mx = xs.astype(np.float32).reshape(1, -1)
    my = ys.astype(np.float32).reshape(1, -1)
    out = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(*ys.shape, image.shape[2])


FAINT_ROWS = 31  # rows over which a faint edge's blend is taken as constant
FAINT_CURVE = 3.0 / 255.0  # picture curvature beyond which a row does not measure it
FAINT_VARY = 0.25  # how far (a share) the blend of a stretch may be from the whole line's ...
FAINT_LONG = 3 * FAINT_ROWS  # ... over at least this many rows measured at the same column


def _running_median(v: np.ndarray, n: int) -> np.ndarray:
    """Median of the ``n`` values around each, NaNs (not measured) left out; 0 where none is."""
    padded = np.pad(v, n // 2, mode="edge")
    win = np.lib.stride_tricks.sliding_window_view(padded, n)
    ok = ~np.isnan(win)
    out = np.zeros(len(v), np.float64)
    some = ok.any(axis=1)
    if some.any():
        with np.errstate(invalid="ignore"):
            out[some] = np.nanmedian(win[some], axis=1)
    return out


def _without_faint_edge(
    image: np.ndarray, rows: np.ndarray, xl: np.ndarray, xr: np.ndarray, part: np.ndarray,
    luma: np.ndarray | None = None, into: np.ndarray | None = None, top: int = 0, left: int = 0,
) -> np.ndarray:
    """``image`` with the line's faint edge taken out of the columns just outside its mask.

    A soft scratch still blends the pixel beside its mask towards white (or black): ``v' = v +
    a (level - v)``. Per row, ``a`` is measured against the straight continuation of the two
    pixels beyond, only where the picture is straight there (its curvature one px farther
    out within :data:`FAINT_CURVE`), and its median over :data:`FAINT_ROWS` rows, kept within
    :data:`FAINT_VARY` of its median over all the rows whose border is the same column, is
    undone on every row. So a scene edge running down the border (which no row tells from a
    faint edge) keeps its own step instead of being taken for the faint edge.

    ``luma``: ``image.mean(axis=2)`` when the caller has it; ``part``: the line's pixels, its
    box's top left corner at (``top``, ``left``) of the frame; ``into``: a copy of ``image``
    to correct in place (returned; the caller puts the two columns back) instead of a new copy."""
    w = image.shape[1]
    luma = image.mean(axis=2) if luma is None else luma
    inside = part[rows - top]  # the line's pixels of each row, in its box
    box = luma[rows[:, None], left + np.arange(part.shape[1])[None, :]]
    line = np.where(inside, box, 0).sum(axis=1, dtype=np.float32) / inside.sum(axis=1)
    side = 0.5 * (luma[rows, xl] + luma[rows, xr])
    polarity = float(np.sign(np.median(line - side)))
    if polarity == 0 or len(rows) < 3:
        return image if into is None else into
    out = image.copy() if into is None else into
    for x, step in ((xl, -1), (xr, 1)):
        near = luma[rows, x]
        one = luma[rows, np.clip(x + step, 0, w - 1)]
        two = luma[rows, np.clip(x + 2 * step, 0, w - 1)]
        three = luma[rows, np.clip(x + 3 * step, 0, w - 1)]
        level = 1.0 if polarity > 0 else 0.0
        pred = 2 * one - two  # the picture continued straight from beyond
        den = level - pred
        blend = (near - pred) / np.where(np.abs(den) < 0.05, np.inf, den)
        measured = (np.abs(den) >= 0.05) & (np.abs(one - (2 * two - three)) <= FAINT_CURVE)
        blend = np.where(measured, blend, np.nan)
        a = _running_median(blend, FAINT_ROWS)
        # Along the rows whose border is one same column (the mask as wide there), the blend
        # changes slowly: a scene edge at the border is no sudden faint edge.
        for col in np.unique(x):
            same = x == col
            if (same & measured).sum() >= FAINT_LONG:
                whole = float(np.nanmedian(blend[same]))
                a[same] = np.clip(a[same], (1 - FAINT_VARY) * whole, (1 + FAINT_VARY) * whole)
        a = np.clip(a, 0.0, 0.9)
        out[rows, x] = (image[rows, x] - (a * level)[:, None]) / (1.0 - a)[:, None]
    return out


def _choose_slopes(costs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per row the slope of least cost (``costs``: slopes x rows)."""
    return SLOPES[np.argmin(costs, axis=0)]


TENSOR_SIGMA = (4.0, 16.0)  # px across and along the line: the window of the structure tensor
MIN_COHERENCE = 0.7
MIN_EDGE = 2.0 / 255.0  # rms gradient (per px) of an edge worth following
MAX_SLOPE = 20.0


def _reads_known(unknown: np.ndarray, ys: np.ndarray, xl: np.ndarray, xr: np.ndarray, s) -> np.ndarray:
    """Per row: the gap's interpolation along slope ``s`` (scalar, per row, or (S, 1): one
    answer per slope and row) reads known pixels only, on both sides."""
    gap = (xr - xl).astype(np.float32)
    s = np.asarray(s, np.float32)
    shape = np.broadcast_shapes(s.shape, ys.shape)
    s = np.broadcast_to(s, shape)
    ok = np.ones(shape, bool)
    for d in range(1, int(gap.max())):
        inner = d < gap
        ok &= ~inner | _known_at(unknown, ys - s * d, xl)
        ok &= ~inner | _known_at(unknown, ys + s * d, xr)
    return ok


def _edge_slopes(
    image: np.ndarray, rows: np.ndarray, xl: np.ndarray, xr: np.ndarray, todo: np.ndarray, slope: np.ndarray
) -> np.ndarray:
    """``slope`` where an edge steeper than the matched slopes crosses the line: the direction
    of the structure tensor of the picture around it (the line and the pixel beside it left
    out), taken over a window elongated along the line, so an edge nearly parallel to the
    scratch, seen above or below where it passes under it, is continued across."""
    h, w = todo.shape
    y0, y1 = max(0, int(rows.min()) - 40), min(h, int(rows.max()) + 41)
    x0, x1 = max(0, int(xl.min()) - 12), min(w, int(xr.max()) + 13)
    luma = image[y0:y1, x0:x1].mean(axis=2)
    hole = np.zeros(luma.shape, bool)
    cols = np.arange(luma.shape[1])[None, :]
    hole[rows - y0] = (cols >= np.maximum(0, xl - x0 - 1)[:, None]) & (cols < (xr - x0 + 2)[:, None])
    hole = cv2.dilate((hole | todo[y0:y1, x0:x1]).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    wgt = (~hole).astype(np.float32)
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    sx, sy = TENSOR_SIGMA
    blur = lambda a: cv2.GaussianBlur(a, (0, 0), sigmaX=sx, sigmaY=sy)  # noqa: E731
    den = blur(wgt) + 1e-6
    jxx, jxy, jyy = (blur(wgt * a) / den for a in (gx * gx, gx * gy, gy * gy))
    xc = ((xl + xr) // 2 - x0).astype(np.int64)
    ry = rows - y0
    a, b, c = jxx[ry, xc], jxy[ry, xc], jyy[ry, xc]
    tr = a + c
    coh = np.sqrt((a - c) ** 2 + 4 * b * b) / np.maximum(tr, 1e-12)
    phi = 0.5 * np.arctan2(2 * b, a - c)  # gradient direction
    edge_slope = -np.cos(phi) / np.where(np.abs(np.sin(phi)) < 1e-6, 1e-6, np.sin(phi))
    edge_slope = np.clip(edge_slope, -MAX_SLOPE, MAX_SLOPE)
    use = (coh > MIN_COHERENCE) & (np.sqrt(tr) > MIN_EDGE) & (np.abs(edge_slope) > np.abs(SLOPES).max())
    use &= _reads_known(todo, rows.astype(np.float32), xl, xr, edge_slope)
    return np.where(use, edge_slope, slope).astype(np.float32)


def _known_at(unknown: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """True where a sample at float rows ``ys``, integer columns ``xs`` reads known pixels only
    (both rows it interpolates between are inside the frame and not ``unknown``)."""
    h = unknown.shape[0]
    lo = np.floor(ys).astype(np.int64)
    ok = (lo >= 0) & (lo + 1 <= h - 1) | (ys == h - 1)
    lo_c = np.clip(lo, 0, h - 1)
    hi_c = np.clip(lo + 1, 0, h - 1)
    return ok & ~unknown[lo_c, xs] & ~unknown[hi_c, xs]


def fill_lines(
    image: np.ndarray, todo: np.ndarray, lines: np.ndarray | None = None, unknown: np.ndarray | None = None,
    *, in_place: bool = False, damage: np.ndarray | None = None,
) -> np.ndarray:
    """``image`` (float32 HxWx3) with the pixels of ``todo`` inside line regions filled.

    ``lines``: the line regions (default: :func:`line_regions` of ``todo``). In every row of
    a region, the pixels from its leftmost to its rightmost ``todo`` pixel are one gap,
    filled from the first known columns on either side. ``unknown``: every pixel not to be
    read (``todo`` and other damage not filled yet; default ``todo``): a direction whose
    samples land on one is not used. Other pixels are returned as given. ``in_place``: the
    gaps are written into ``image`` itself (returned) instead of a copy; the same values.
    ``damage``: every damaged pixel, filled already or not (default ``unknown``): a line's
    pixels near other damage are not seen through (its faint halo may lie across them).
    """
    out = image if in_place else image.copy()
    source = image
    lines = line_regions(todo) if lines is None else lines
    unknown = todo if unknown is None else (unknown | todo)
    damage = unknown if damage is None else (damage | unknown)
    sel = todo & lines
    if not sel.any():
        return out
    h, w = todo.shape
    n, labels, stats = components(lines)
    # ``source.mean(axis=2)``, computed for each line's rows and the columns its sides read
    luma = np.zeros((h, w), np.float32)
    # a line's faint edge is corrected in the source itself and put back after the line (no
    # frame-size working copy); the gaps' values are written once every line has read the
    # source, so no line reads another's fill
    work = source
    writes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for k in range(1, n):
        bx, by, bw, bh = (int(v) for v in stats[k, :4])
        lx0, lx1 = max(0, bx - MAX_WIDTH - 4), min(w, bx + bw + MAX_WIDTH + 4)
        luma[by:by + bh, lx0:lx1] = source[by:by + bh, lx0:lx1].mean(axis=2)
        part = (labels[by:by + bh, bx:bx + bw] == k) & sel[by:by + bh, bx:bx + bw]
        held = part.any(axis=1)
        if not held.any():
            continue
        rows_k = by + np.nonzero(held)[0]
        sub = part[rows_k - by]
        xl = bx + np.argmax(sub, axis=1) - 1
        xr = bx + bw - np.argmax(sub[:, ::-1], axis=1)
        # the first known columns: step past other damage touching the line (at most a few px)
        for _ in range(MAX_WIDTH):
            xl = np.where((xl > 0) & unknown[rows_k, np.clip(xl, 0, w - 1)], xl - 1, xl)
            xr = np.where((xr < w - 1) & unknown[rows_k, np.clip(xr, 0, w - 1)], xr + 1, xr)
        xl = np.clip(xl, 0, w - 1)
        xr = np.clip(xr, 0, w - 1)
        kept = work[rows_k, xl].copy(), work[rows_k, xr].copy()
        image = _without_faint_edge(source, rows_k, xl, xr, part, luma, work, by, bx)
        gap = np.maximum(1, xr - xl).astype(np.float32)
        # choose a slope per row: the two sides, read along it, agree best
        ys = rows_k.astype(np.float32)
        c = np.zeros((len(SLOPES), len(rows_k)), np.float32)
        slopes = SLOPES[:, None]
        for dy in range(-ROWS, ROWS + 1):
            for extra in (0, 1):
                half = 0.5 * gap + extra
                cols_l = np.broadcast_to(np.clip(xl - extra, 0, w - 1), c.shape)
                cols_r = np.broadcast_to(np.clip(xr + extra, 0, w - 1), c.shape)
                left = _sample(image, ys + dy - slopes * half, cols_l)
                right = _sample(image, ys + dy + slopes * half, cols_r)
                c += np.abs(left - right).mean(axis=-1)
        c = c / (2 * (2 * ROWS + 1)) + np.array([STRAIGHT_BIAS * abs(float(v)) for v in SLOPES], np.float32)[:, None]
        costs = np.where(_reads_known(unknown, ys, xl, xr, slopes), c, c + 1.0)
        slope = _choose_slopes(costs, rows_k)
        slope = _edge_slopes(image, rows_k, xl, xr, unknown, slope)
        # every gap pixel of every row at once
        count = np.maximum(0, xr - xl - 1)
        r_of = np.repeat(np.arange(len(rows_k)), count)
        if r_of.size:
            xs = xl[r_of] + 1 + (np.arange(r_of.size) - np.repeat(np.cumsum(count) - count, count))
            y = rows_k[r_of]
            t = ((xs - xl[r_of]) / gap[r_of]).astype(np.float32)
            yl = y - slope[r_of] * (xs - xl[r_of])
            yr = y + slope[r_of] * (xr[r_of] - xs)
            left = _sample(image, yl.astype(np.float32), xl[r_of])
            right = _sample(image, yr.astype(np.float32), xr[r_of])
            vals = (1.0 - t)[:, None] * left + t[:, None] * right
            vals = _border_guard(image, rows_k, xl, xr, slope, r_of, vals)
            take = part[y - by, np.clip(xs - bx, 0, bw - 1)] & (xs >= bx) & (xs < bx + bw)
            if len(rows_k) >= SEE_ROWS:
                near = _near_other(damage, labels, k, y, xs)
                vals = _see_through(image, rows_k, xl, xr, r_of, y, xs, vals, take & ~near)
            writes.append((y[take], xs[take], vals[take]))
        work[rows_k, xl], work[rows_k, xr] = kept
    for y, xs, vals in writes:
        out[y, xs] = vals
    return out


STEP_JUMP = 20.0 / 255.0  # a step between the two sides' plateaus at least this high ...
STEP_FLAT = 4.0 / 255.0  # ... with plateaus this flat (or a tenth of the step) ...
STEP_COVER = 0.8  # ... and the border pixel at most this far towards the far plateau ...
STEP_ROWS = 5  # ... over this many rows in a row: an edge along the line, not across it


def _border_guard(
    image: np.ndarray, rows: np.ndarray, xl: np.ndarray, xr: np.ndarray, slope: np.ndarray,
    r_of: np.ndarray, vals: np.ndarray,
) -> np.ndarray:
    """The gap pixels' values ``vals`` (of rows ``rows[r_of]``) kept consistent with both borders.

    - A value continued along the structure tensor's steep direction reads rows far above and
      below; where the picture does not continue that far (an edge ending in a highlight) it
      lands on something else, so it is kept within the range of the two borders' pixels in
      the rows around.
    - A step edge running along the line at one border (both sides flat, the border pixel of
      one side partly the other side's level, for :data:`STEP_ROWS` rows in a row) has the
      whole gap on the other side of it: the gap takes that side's value, not a ramp across
      the step (a ramp puts the edge in the middle of the gap)."""
    h, w = image.shape[:2]
    out = vals.copy()
    steep = (np.abs(slope) > np.abs(SLOPES).max())[r_of]
    if steep.any():
        nb = np.clip(rows[:, None] + np.arange(-1, 2)[None, :], 0, h - 1)
        around = np.concatenate([image[nb, xl[:, None]], image[nb, xr[:, None]]], axis=1)
        lo, hi = around.min(axis=1)[r_of], around.max(axis=1)[r_of]
        out[steep] = np.clip(vals[steep], lo[steep], hi[steep])
    luma = image[rows[:, None], np.clip(np.concatenate([xl[:, None] - np.arange(3), xr[:, None] + np.arange(3)],
                                                       axis=1), 0, w - 1)].mean(axis=2)
    l0, l1, l2, r0, r1, r2 = luma.T
    jump = r2 - l2
    flat = np.maximum(STEP_FLAT, 0.1 * np.abs(jump))
    big = np.abs(jump) >= STEP_JUMP
    far_l, far_r = np.abs(l1 - l2) <= flat, np.abs(r1 - r2) <= flat
    near_l, near_r = np.abs(l0 - l1) <= flat, np.abs(r0 - r1) <= flat
    with np.errstate(divide="ignore", invalid="ignore"):
        cover_r = (r0 - l1) / (r2 - l1)  # 0: the right border pixel is the left's level, 1: the right's
        cover_l = (l0 - r1) / (l2 - r1)
    at_right = big & far_l & near_l & far_r & (cover_r < STEP_COVER)
    at_left = big & far_r & near_r & far_l & (cover_l < STEP_COVER) & ~at_right
    at_right, at_left = _along(at_right, rows), _along(at_left, rows)
    ar, al = at_right[r_of], at_left[r_of]
    out[ar] = image[rows, xl][r_of][ar]
    out[al] = image[rows, xr][r_of][al]
    return out


def _along(flag: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``flag`` (per row of ``rows``) where it holds on each of the :data:`STEP_ROWS` rows
    centred on that one (rows missing from ``rows`` do not count as holding)."""
    n = STEP_ROWS // 2
    full = np.zeros(int(rows.max() - rows.min()) + 1 + 2 * n, bool)
    full[rows - rows.min() + n] = flag
    return np.lib.stride_tricks.sliding_window_view(full, STEP_ROWS).all(axis=1)[rows - rows.min()]


CLEAR_SIDES = 6.0 / 255.0  # a row whose two borders agree this well measures the line's blend
CLEAR_ROWS = 31  # rows over which the line's strength is taken as constant
MAX_BLEND = 0.6  # a blend up to this is seen through (transmission at least 0.4); more is opaque
MIN_CONTRAST = 0.1  # a pixel measures the blend only where the picture is this far from the line's level
SEE_ROWS = 60  # a line shorter than this is a hair or a short scratch: not seen through
BLEND_ERR = 0.02  # the least error of a measured blend (0..1)
TEXTURE_ROWS = 9  # rows over which the interpolation's error beside the line is averaged
QUANT = 1.0 / 255.0  # the scan's noise and rounding seen through the line (0..1)
LEVEL_ROWS = 31  # rows over which the see-through change's mean along a column is a level shift ...
LEVEL_SHIFT = 2.0 / 255.0  # ... of which no more than this is kept (a streak, not the picture's detail)
NEAR_OTHER = (2, 3)  # rows, columns: a line pixel this near other damage is not seen through
BINS = 4  # per px: the resolution of the line's cross profile (distance from its centre)
CENTRE_ROWS = 91  # rows over which the line's centre is taken as constant ...
CENTRE_WEIGHT = 3.0  # ... where they measure at least this much blend (else the whole line's)


def _running_mean(v: np.ndarray, n: int) -> np.ndarray:
    """Mean of the ``n`` values around each (at the ends: of those there are)."""
    c = np.concatenate([[0.0], np.cumsum(np.pad(v.astype(np.float64), n // 2))])
    k = np.concatenate([[0], np.cumsum(np.pad(np.ones(len(v), np.int64), n // 2))])
    return (c[n:] - c[:-n]) / np.maximum(1, k[n:] - k[:-n])


def _interp_error(luma: np.ndarray, x0: int, xl: np.ndarray, xr: np.ndarray) -> np.ndarray:
    """Per row, the mean squared error of a straight interpolation across a gap as wide as
    the line's, tried on the known picture just left and just right of it (averaged over
    :data:`TEXTURE_ROWS` rows): how much the picture varies across such a gap there.
    ``luma``: the line's rows (one per row of ``xl``), columns from ``x0``."""
    w = luma.shape[1]
    r = np.arange(len(xl))
    g = np.maximum(2, xr - xl)
    err = np.zeros(len(xl), np.float64)
    cnt = np.zeros(len(xl), np.float64)
    for a0, step in ((xl - x0, -1), (xr - x0, 1)):
        va, vb = luma[r, a0], luma[r, np.clip(a0 + step * g, 0, w - 1)]
        for d in range(1, int(g.max())):
            ok = d < g
            t = d / g
            e = luma[r, np.clip(a0 + step * d, 0, w - 1)] - ((1 - t) * va + t * vb)
            err += np.where(ok, e * e, 0.0)
            cnt += ok
    return _running_mean(err / np.maximum(cnt, 1), TEXTURE_ROWS)


def _near_other(damage: np.ndarray, labels: np.ndarray, k: int, y: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Per gap pixel (``y``, ``xs``): damage other than line ``k`` (of ``labels``) lies within
    :data:`NEAR_OTHER` rows and columns of it (its halo, below any mask, may cross the line)."""
    h, w = damage.shape
    ry, rx = NEAR_OTHER
    y0, y1 = max(0, int(y.min()) - ry), min(h, int(y.max()) + ry + 1)
    x0, x1 = max(0, int(xs.min()) - rx), min(w, int(xs.max()) + rx + 1)
    other = (damage[y0:y1, x0:x1] & (labels[y0:y1, x0:x1] != k)).astype(np.uint8)
    if not other.any():
        return np.zeros(len(y), bool)
    near = cv2.dilate(other, np.ones((2 * ry + 1, 2 * rx + 1), np.uint8)) > 0
    return near[y - y0, xs - x0]


def _row_sums(v: np.ndarray, r_of: np.ndarray, n: int, rows: int) -> np.ndarray:
    """Per row (``n`` of them) the sum of ``v`` over its pixels (``r_of``), then over the
    ``rows`` rows around it."""
    return _running_mean(np.bincount(r_of, v, minlength=n), rows) * rows


def _centre(a_px: np.ndarray, agree: np.ndarray, r_of: np.ndarray, xs: np.ndarray, n: int) -> np.ndarray:
    """Per row the line's centre (sub-pixel): the centroid of the measured blend ``a_px`` over
    the :data:`CENTRE_ROWS` rows around, pulled towards the whole line's centroid where those
    rows measure little (the ends of a line, long textured stretches)."""
    cw = np.where(agree, np.clip(np.nan_to_num(a_px), 0.0, 1.0), 0.0)
    total = float(cw.sum())
    whole = float((cw * xs).sum()) / total
    sw, sx = _row_sums(cw, r_of, n, CENTRE_ROWS), _row_sums(cw * xs, r_of, n, CENTRE_ROWS)
    return (sx + CENTRE_WEIGHT * whole) / (sw + CENTRE_WEIGHT)


def _blend(
    d: np.ndarray, q: np.ndarray, agree: np.ndarray, r_of: np.ndarray, xs: np.ndarray, n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The line's blend per gap pixel and its error (NaN: not known), from ``d = obs - interp
    = a q`` (``q = c - interp``) measured on the pixels ``agree`` (their rows' borders agree).

    The blend is a cross profile ``P`` (one for the whole line, by distance from its centre in
    1 / :data:`BINS` px: a line drifting across pixel columns keeps its profile, and the mask's
    soft edge is measured by every row) times a strength ``A(y)`` that changes slowly along
    it. ``P`` is the median over all measured rows; ``A`` per row is the least-squares scale
    of the profile to the row's measured blends, then their median over the
    :data:`CLEAR_ROWS` rows around, interpolated between measured rows. Its error is the
    spread (1.48 x the median absolute deviation) of those rows' scales."""
    nan = np.full(len(xs), np.nan)
    if agree.sum() < 3:
        return nan, nan
    with np.errstate(divide="ignore", invalid="ignore"):
        a_px = np.where(agree, d / np.where(q == 0, 1.0, q), np.nan)
    cx = _centre(a_px, agree, r_of, xs, n)
    key = np.round(BINS * (xs - cx[r_of])).astype(np.int64)
    key -= key.min()
    amp = np.ones(n)
    spread = np.zeros(n)
    at_rows = np.arange(n)
    prof = np.full(int(key.max()) + 1, np.nan)
    for _ in range(2):
        ratio = a_px / amp[r_of]
        for k in range(len(prof)):
            m = agree & (key == k)
            prof[k] = np.median(ratio[m]) if m.sum() >= 3 else np.nan
        pk = prof[key]
        use = agree & np.isfinite(pk)
        num = np.bincount(r_of[use], (a_px * pk)[use], minlength=n)
        den = np.bincount(r_of[use], (pk * pk)[use], minlength=n)
        got = den > 1e-6
        if not got.any():
            return nan, nan
        per_row = np.where(got, num / np.where(got, den, 1.0), np.nan)
        med = _running_median(per_row, CLEAR_ROWS)
        dev = _running_median(np.where(got, np.abs(per_row - med), np.nan), CLEAR_ROWS) * 1.4826
        # between measured rows the strength is interpolated (it changes slowly, not in steps)
        amp = np.interp(at_rows, at_rows[got], med[got])
        spread = np.interp(at_rows, at_rows[got], dev[got])
        scale = float(np.nanmax(prof))
        if not scale > 0:
            return nan, nan
        amp, spread, prof = amp * scale, spread * scale, prof / scale
    return amp[r_of] * prof[key], spread[r_of] * prof[key]


def _see_through(
    image: np.ndarray, rows: np.ndarray, xl: np.ndarray, xr: np.ndarray, r_of: np.ndarray,
    y: np.ndarray, xs: np.ndarray, vals: np.ndarray, inside: np.ndarray,
) -> np.ndarray:
    """The gap's values ``vals`` (interpolated) with the picture seen through a semi-transparent
    line undone where that is the better estimate.

    A line scratch blends the picture towards white or black: ``obs = (1 - a) under + a c``
    (``c`` from the line's sign against the interpolation). On rows whose two borders agree
    (within :data:`CLEAR_SIDES`) the interpolation is a fair estimate of ``under``, so ``a``
    is measured there (:func:`_blend`). Where it is at most :data:`MAX_BLEND`, the undone
    pixel ``(obs - a c) / (1 - a)`` and the interpolation are weighed by their expected
    errors: the undone one's is the blend's error (at least :data:`BLEND_ERR`) times ``(c -
    under) / (1 - a)``, with the scan's noise (:data:`QUANT`) amplified by ``1 / (1 - a)``;
    the interpolation's is how well a straight interpolation across as wide a gap predicts
    the known picture beside the line. So texture seen through the line is kept where the
    picture varies, and a smooth picture keeps its interpolation (there the blend's error
    costs more than the interpolation's). Along each column the change's mean over
    :data:`LEVEL_ROWS` rows is kept within :data:`LEVEL_SHIFT` of the interpolation's level:
    a mis-measured blend shifts a stretch of the line one way (a streak), the picture's detail
    seen through it does not. A line shorter than :data:`SEE_ROWS` rows (a hair, a
    short scratch: often opaque, too short to measure) is not seen through; nor is a pixel
    where the line reaches its level (nothing of the picture is left). ``inside``: the gap
    pixels that are the line's own observed pixels; only they are measured and undone."""
    if not inside.any() or int(rows.max() - rows.min()) + 1 < SEE_ROWS:
        return vals
    obs = image[y, xs]
    lo, li = obs.mean(axis=1), vals.mean(axis=1)
    dev = float(np.median((lo - li)[inside]))
    if abs(dev) < 1.0 / 255.0:
        return vals
    level = 1.0 if dev > 0 else 0.0
    q = level - li
    w = image.shape[1]
    margin = int((xr - xl).max()) + 2
    x0, x1 = max(0, int(xl.min()) - margin), min(w, int(xr.max()) + margin + 1)
    luma = image[rows, x0:x1].mean(axis=2)
    r = np.arange(len(rows))
    sides = np.abs(luma[r, xl - x0] - luma[r, xr - x0])
    clipped = np.abs(lo - level) < 0.5 / 255.0
    agree = inside & (np.abs(q) >= MIN_CONTRAST) & ~clipped & (sides <= CLEAR_SIDES)[r_of]
    a_hat, a_err = _blend(lo - li, q, agree, r_of, xs, len(rows))
    use = inside & ~clipped & np.isfinite(a_hat)
    use[use] = (a_hat[use] >= 0.0) & (a_hat[use] <= MAX_BLEND)
    if not use.any():
        return vals
    a = a_hat[use]
    undone = np.clip((obs[use] - (a * level)[:, None]) / (1.0 - a)[:, None], 0.0, 1.0)
    v_int = _interp_error(luma, x0, xl, xr)[r_of[use]]
    da = np.maximum(BLEND_ERR, a_err[use])
    v_und = ((da * (level - undone.mean(axis=1))) ** 2 + QUANT**2) / (1.0 - a) ** 2
    wgt = (v_int / (v_int + v_und)).astype(np.float32)[:, None]
    change = wgt * (undone - vals[use])
    # along each column, the change's running mean beyond LEVEL_SHIFT is taken back out
    cols = xs[use] - int(xs[use].min())
    grid = np.zeros((len(rows), int(cols.max()) + 1, change.shape[1]))
    have = np.zeros(grid.shape[:2])
    grid[r_of[use], cols] = change
    have[r_of[use], cols] = 1.0
    smooth = lambda v: cv2.blur(v, (1, LEVEL_ROWS), borderType=cv2.BORDER_CONSTANT)  # noqa: E731  (along rows)
    mean = smooth(grid.reshape(len(rows), -1)).reshape(grid.shape) / np.maximum(smooth(have), 1e-9)[..., None]
    shift = mean[r_of[use], cols]
    excess = np.sign(shift) * np.maximum(0.0, np.abs(shift) - LEVEL_SHIFT)
    out = vals.copy()
    out[use] = vals[use] + change - excess.astype(np.float32)
    return out
