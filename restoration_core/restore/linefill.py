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

MAX_WIDTH = 10  # px: wider damage is not a line scratch
MIN_ELONGATION = 3.0  # height / width of a line scratch
MIN_HEIGHT = 12  # px
SLOPES = np.array([-2.0, -1.5, -1.0, -0.6, -0.3, 0.0, 0.3, 0.6, 1.0, 1.5, 2.0], np.float32)  # rows per column
STRAIGHT_BIAS = 0.004  # cost (0..1 units) per unit of slope: ties go to straight across
ROWS = 2  # rows either side compared when choosing the slope


def line_regions(mask: np.ndarray) -> np.ndarray:
    """Bool HxW: the parts of ``mask`` that are thin vertical lines. A line that crosses or
    touches a blotch keeps its stretches above and below it (the blotch is not a line)."""
    m8 = mask.astype(np.uint8)
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
    return keep[labels]


def _sample(image: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """``image`` (HxWxC float32) at float rows ``ys`` and integer columns ``xs`` (same shape)."""
    mx = xs.astype(np.float32).reshape(1, -1)
    my = ys.astype(np.float32).reshape(1, -1)
    out = cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(*ys.shape, image.shape[2])


def _running_median(v: np.ndarray, n: int = 9) -> np.ndarray:
    """Median of ``n`` consecutive values around each (edges repeated)."""
    padded = np.pad(v, n // 2, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, n), axis=1)


def _without_faint_edge(
    image: np.ndarray, rows: np.ndarray, xl: np.ndarray, xr: np.ndarray, part: np.ndarray
) -> np.ndarray:
    """``image`` with the line's faint edge taken out of the columns just outside its mask.

    A soft scratch still brightens (or darkens) the pixel beside its mask. That pixel's excess
    over the straight continuation of the two beyond it, towards the line's polarity and
    smoothed along the line (median of 9 rows), is removed, less what the picture's own
    curvature gives one px farther out; where it is texture or noise, nothing is."""
    w = image.shape[1]
    luma = image.mean(axis=2)
    line = np.array([luma[y][part[y]].mean() for y in rows])
    side = 0.5 * (luma[rows, xl] + luma[rows, xr])
    polarity = float(np.sign(np.median(line - side)))
    if polarity == 0 or len(rows) < 3:
        return image
    out = image.copy()
    for x, step in ((xl, -1), (xr, 1)):
        near = luma[rows, x]
        one = luma[rows, np.clip(x + step, 0, w - 1)]
        two = luma[rows, np.clip(x + 2 * step, 0, w - 1)]
        three = luma[rows, np.clip(x + 3 * step, 0, w - 1)]
        excess = _running_median(polarity * (near - (2 * one - two)))
        # what the picture's own curvature gives one px farther out is no faint edge
        curvature = _running_median(np.abs(one - (2 * two - three)))
        corr = np.maximum(0.0, excess - curvature) * polarity
        out[rows, x] = image[rows, x] - corr[:, None]
    return out


def fill_lines(image: np.ndarray, todo: np.ndarray, lines: np.ndarray | None = None) -> np.ndarray:
    """``image`` (float32 HxWx3) with the pixels of ``todo`` inside line regions filled.

    ``lines``: the line regions (default: :func:`line_regions` of ``todo``). In every row of
    a region, the pixels from its leftmost to its rightmost ``todo`` pixel are one gap,
    filled from the first known columns on either side. Other pixels are returned as given.
    """
    out = image.copy()
    source = image
    lines = line_regions(todo) if lines is None else lines
    sel = todo & lines
    if not sel.any():
        return out
    h, w = todo.shape
    n, labels = cv2.connectedComponents(lines.astype(np.uint8), connectivity=8)
    for k in range(1, n):
        rows_k = np.nonzero(((labels == k) & sel).any(axis=1))[0]
        if rows_k.size == 0:
            continue
        part = (labels == k) & sel
        xl = np.array([np.nonzero(part[y])[0][0] - 1 for y in rows_k])
        xr = np.array([np.nonzero(part[y])[0][-1] + 1 for y in rows_k])
        # the first known columns: step past other damage touching the line (at most a few px)
        for r, y in enumerate(rows_k):
            for _ in range(MAX_WIDTH):
                if xl[r] > 0 and todo[y, xl[r]]:
                    xl[r] -= 1
                if xr[r] < w - 1 and todo[y, xr[r]]:
                    xr[r] += 1
        xl = np.clip(xl, 0, w - 1)
        xr = np.clip(xr, 0, w - 1)
        image = _without_faint_edge(source, rows_k, xl, xr, part)
        gap = np.maximum(1, xr - xl).astype(np.float32)
        # choose a slope per row: the two sides, read along it, agree best
        ys = rows_k.astype(np.float32)
        costs = []
        for s in SLOPES:
            c = np.zeros(len(rows_k), np.float32)
            for dy in range(-ROWS, ROWS + 1):
                for extra in (0, 1):
                    half = 0.5 * gap + extra
                    left = _sample(image, ys + dy - s * half, np.clip(xl - extra, 0, w - 1))
                    right = _sample(image, ys + dy + s * half, np.clip(xr + extra, 0, w - 1))
                    c += np.abs(left - right).mean(axis=-1)
            costs.append(c / (2 * (2 * ROWS + 1)) + STRAIGHT_BIAS * abs(float(s)))
        slope = SLOPES[np.argmin(np.stack(costs), axis=0)]
        for r, y in enumerate(rows_k):
            xs = np.arange(xl[r] + 1, xr[r])
            if xs.size == 0:
                continue
            t = ((xs - xl[r]) / gap[r]).astype(np.float32)
            yl = y - slope[r] * (xs - xl[r])
            yr = y + slope[r] * (xr[r] - xs)
            left = _sample(image, yl.astype(np.float32), np.full(xs.shape, xl[r]))
            right = _sample(image, yr.astype(np.float32), np.full(xs.shape, xr[r]))
            vals = (1.0 - t)[:, None] * left + t[:, None] * right
            take = part[y, xs]
            out[y, xs[take]] = vals[take]
    return out
