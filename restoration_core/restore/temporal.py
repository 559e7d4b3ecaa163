"""Temporal fill: copy each damaged pixel from where it is visible in a neighbouring frame.

For frame ``i`` and each neighbour ``j`` (nearest first, both directions, ``radius`` deep)
the flows ``i -> j`` and ``j -> i`` come from a :class:`FlowStore` (estimated on luma whose
damage was roughly inpainted first, so specks do not drag the flow; each ordered pair once,
at :func:`flow_side` resolution, and only in boxes :data:`FLOW_MARGIN` px around either
frame's damage: nothing farther is read; held at the frames' size only in those boxes, as a
:class:`BoxedFlow`, never as a frame-size array), with the flow on and near
the damage replaced by its surroundings' motion. A neighbour's pixel is a *candidate* only
where the flow is forward-backward consistent, lands inside the frame, and the source pixel
is itself undamaged (the neighbour's mask is warped too). Per pixel the nearest-in-time
candidate that agrees with the median of all candidates wins: a real pixel with its real
grain, robust to a single occluded or mis-tracked source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from restoration_core.detect.flow import FlowStore, _joined, scaled
from restoration_core.restore.boxes import dilated, nonzero

DILATE = np.ones((5, 5), np.uint8)


def flow_side(h: int, w: int) -> int:
    """The long side the temporal fill's flows are computed at: the frame's, at most 960 px.

    Half the frame's was measured (bench_restore.py --safety-only, 640 px wide clips): a third
    less restore CPU and the same exact-mask repair on the street clip (37.01 dB), but the
    automatic path's whole-frame gain on the held-out signing clip help 1:2 fell from +1.92 to
    +1.38 dB (fine hand motion), so the flows stay at full resolution up to 960 px."""
    return min(960, max(h, w))


# px at the flows' resolution: the fill's flows are computed this far around either frame's
# damage (bench_restore.py --safety-only, street 16 frames and help 1:2 / 1:3, exact masks:
# 37.41 / 27.25 / 26.93 dB against 37.36 / 27.25 / 26.90 with whole-frame flows)
FLOW_MARGIN = 16


def smooth_over(flow: np.ndarray, bad: np.ndarray, sigma: float = 6.0,
                boxes: list[tuple[int, int, int, int]] | None = None) -> np.ndarray:
    """Replace the flow on ``bad`` pixels by a weighted average of the flow around them.

    The prefilled damage is textureless, so the flow estimated on and near it is biased or
    plain wrong; the motion of the surroundings is the better guess. ``boxes`` (y0, y1, x0,
    x1): where the flow is known (a :class:`FlowStore` with a margin); outside them the
    result is zero and nothing is read.
    """
    if not bad.any():
        return flow
    if boxes is None:
        out = cv2.bitwise_and(flow, flow, mask=np.logical_not(bad).view(np.uint8))
        _smooth_box(out, flow, bad, sigma)
        return out
    h, w = bad.shape
    grid = [_on_grid(box, h, w) for box in boxes]
    return _smoothed_in_boxes(flow, grid, [bad[y0:y1, x0:x1] for y0, y1, x0, x1 in grid], sigma)


def _on_grid(box: tuple[int, int, int, int], h: int, w: int) -> tuple[int, int, int, int]:
    """``box`` grown onto the quarter-resolution grid of the whole frame (what the smoothing reads)."""
    y0, y1, x0, x1 = box
    return y0 - y0 % 4, min(h, y1 + (-y1) % 4), x0 - x0 % 4, min(w, x1 + (-x1) % 4)


def _overlap(boxes: list[tuple[int, int, int, int]]) -> bool:
    return any(a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]
               for k, a in enumerate(boxes) for b in boxes[k + 1:])


def _smoothed_in_boxes(flow: np.ndarray, grid: list[tuple[int, int, int, int]], bads: list[np.ndarray],
                       sigma: float) -> np.ndarray:
    """:func:`smooth_over` in the (grid-aligned) boxes ``grid``, ``bads`` the bad pixels of each
    box; zero outside the boxes."""
    out = np.zeros(flow.shape, flow.dtype)  # (not zeros_like: untouched pages stay unwritten)
    for (y0, y1, x0, x1), sub_bad in zip(grid, bads, strict=True):
        sub = flow[y0:y1, x0:x1]
        o = cv2.bitwise_and(sub, sub, mask=np.logical_not(sub_bad).view(np.uint8))
        if sub_bad.any():
            _smooth_box(o, sub, np.ascontiguousarray(sub_bad), sigma)
        out[y0:y1, x0:x1] = o
    return out


def _boxed_smoothed(flow: BoxedFlow, grid: list[tuple[int, int, int, int]], bads: list[np.ndarray],
                    sigma: float) -> BoxedFlow:
    """:func:`_smoothed_in_boxes` of a :class:`BoxedFlow` whose rectangles hold the boxes
    ``grid``: the same values. ``flow`` is the caller's own and is changed (returned) where
    the boxes do not overlap (each box then depends on its own pixels alone)."""
    if not _overlap(grid):
        for box, sub_bad in zip(grid, bads, strict=True):
            if sub_bad.any():  # (a box without bad pixels is the flow as it is)
                sub = flow.region(box)
                o = cv2.bitwise_and(sub, sub, mask=np.logical_not(sub_bad).view(np.uint8))
                _smooth_box(o, sub, np.ascontiguousarray(sub_bad), sigma)
                sub[...] = o
        return flow
    out = flow.like()
    for box, sub_bad in zip(grid, bads, strict=True):
        sub = flow.region(box)
        o = cv2.bitwise_and(sub, sub, mask=np.logical_not(sub_bad).view(np.uint8))
        if sub_bad.any():
            _smooth_box(o, sub, np.ascontiguousarray(sub_bad), sigma)
        out.region(box)[...] = o
    return out


def _smooth_box(out: np.ndarray, flow: np.ndarray, bad: np.ndarray, sigma: float) -> None:
    """:func:`smooth_over` of one picture (or box): ``out`` (the flow on the good pixels, zero
    on the bad) gets the blurred flow on the bad pixels."""
    points = cv2.findNonZero(bad.view(np.uint8))
    if points is None:
        return
    h, w = bad.shape
    small = (max(1, w // 4), max(1, h // 4))
    xs, ys = points.reshape(-1, 2).T
    good = np.logical_not(bad).view(np.uint8)
    # Blur at quarter resolution (the result is smooth anyway and 16x cheaper), read back only
    # on the bad pixels (bilinear, as an upscale would give them).
    num = cv2.GaussianBlur(cv2.resize(out, small, interpolation=cv2.INTER_AREA), (0, 0), sigma / 4)
    den = cv2.GaussianBlur(cv2.resize(good.astype(np.float32), small, interpolation=cv2.INTER_AREA),
                           (0, 0), sigma / 4)
    mx = ((xs + 0.5) * (small[0] / w) - 0.5).astype(np.float32)
    my = ((ys + 0.5) * (small[1] / h) - 0.5).astype(np.float32)
    n, d = _sample(num, mx, my), _sample(den, mx, my)
    ok = d > 1e-3
    out[ys, xs] = np.where(ok[:, None], n / np.maximum(d, 1e-3)[:, None], flow[ys, xs])


def _splat(mask: np.ndarray, flow: np.ndarray | BoxedFlow) -> np.ndarray:
    """Where the True pixels of ``mask`` land when moved by ``flow`` (holes closed by 1 px)."""
    ys, xs = nonzero(mask)
    h, w = mask.shape
    f = _at(flow, ys, xs)
    qx = np.clip(np.rint(xs + f[:, 0]), 0, w - 1).astype(np.int64)
    qy = np.clip(np.rint(ys + f[:, 1]), 0, h - 1).astype(np.int64)
    out = np.zeros((h, w), bool)
    out[qy, qx] = True
    return dilated(out, np.ones((3, 3), np.uint8))


def _landing(mask: np.ndarray, flow: np.ndarray | BoxedFlow) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) where the True pixels of ``mask`` land when moved by ``flow`` (as :func:`_splat`)."""
    ys, xs = nonzero(mask)
    h, w = mask.shape
    f = _at(flow, ys, xs)
    qx = np.clip(np.rint(xs + f[:, 0]), 0, w - 1).astype(np.int64)
    qy = np.clip(np.rint(ys + f[:, 1]), 0, h - 1).astype(np.int64)
    return qy, qx


def _splat_in(points: tuple[np.ndarray, np.ndarray], box: tuple[int, int, int, int]) -> np.ndarray:
    """``_splat(...)[y0:y1, x0:x1]`` from the landing ``points`` (:func:`_landing`): the points
    within a pixel of the box, dilated in it."""
    y0, y1, x0, x1 = box
    qy, qx = points
    sel = (qy >= y0 - 1) & (qy <= y1) & (qx >= x0 - 1) & (qx <= x1)
    sub = np.zeros((y1 - y0 + 2, x1 - x0 + 2), np.uint8)
    if not sel.any():
        return sub[1:-1, 1:-1].view(bool)
    sub[qy[sel] - (y0 - 1), qx[sel] - (x0 - 1)] = 1
    return (cv2.dilate(sub, np.ones((3, 3), np.uint8)) > 0)[1:-1, 1:-1]


class BoxedFlow:
    """A frame-size flow (H x W x 2 float32) held only in disjoint rectangles: the values of the
    whole-frame array there, zero everywhere else, without the frame-size array.

    ``rects`` (y0, y1, x0, x1) are the boxes that may hold non-zero values, each grown by
    :data:`PAD` px (inside the frame) and overlapping ones joined: every rectangle has a ring of
    zeros :data:`PAD` px deep on its sides inside the frame, so a bilinear read (two pixels
    each way) that is not wholly inside one rectangle reads only zeros. :meth:`at`,
    :meth:`sample` and :meth:`crop` give exactly what indexing, :func:`_sample` and slicing of
    the whole-frame array give. The rectangles lie one after another in one buffer (a zero
    vector last, for points outside them); which rectangle a pixel is in comes from a label
    picture at half resolution where every rectangle's sides are even (the quarter-grid boxes
    of :class:`FlowCache` grown by 2), else at full resolution.
    """

    PAD = 2

    def __init__(self, shape: tuple[int, int], rects: list[tuple[int, int, int, int]],
                 data: list[np.ndarray], buf: np.ndarray | None = None):
        self.shape = (shape[0], shape[1], 2)
        self.rects = rects
        self.data = data
        self.whole = rects == [(0, shape[0], 0, shape[1])]
        self._buf = buf  # (area + 1, 2): the rectangles' pixels, then a zero vector
        self._index: tuple[np.ndarray, int, np.ndarray] | None = None

    @classmethod
    def of(cls, flow: np.ndarray) -> BoxedFlow:
        """A whole-frame flow as it is (one rectangle: the frame)."""
        h, w = flow.shape[:2]
        return cls((h, w), [(0, h, 0, w)], [flow])

    @classmethod
    def around(cls, shape: tuple[int, int], boxes: list[tuple[int, int, int, int]]) -> BoxedFlow:
        """Zero everywhere; room for values in ``boxes`` (y0, y1, x0, x1)."""
        h, w = shape
        e = cls.PAD
        rects = _joined([(max(0, y0 - e), min(h, y1 + e), max(0, x0 - e), min(w, x1 + e)) for y0, y1, x0, x1 in boxes])
        return cls._laid_out(shape, rects)

    @classmethod
    def _laid_out(cls, shape: tuple[int, int], rects: list[tuple[int, int, int, int]]) -> BoxedFlow:
        areas = [(y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in rects]
        buf = np.zeros((sum(areas) + 1, 2), np.float32)
        data, at = [], 0
        for (y0, y1, x0, x1), area in zip(rects, areas, strict=True):
            data.append(buf[at: at + area].reshape(y1 - y0, x1 - x0, 2))
            at += area
        return cls(shape, rects, data, buf)

    def like(self) -> BoxedFlow:
        """Zero, with the same rectangles."""
        if self._buf is None:
            return BoxedFlow(self.shape[:2], self.rects, [np.zeros_like(d) for d in self.data])
        out = BoxedFlow._laid_out(self.shape[:2], self.rects)
        out._index = self._index
        return out

    def region(self, box: tuple[int, int, int, int]) -> np.ndarray:
        """A writable view of ``box`` (y0, y1, x0, x1), which lies inside one rectangle."""
        y0, y1, x0, x1 = box
        for (ry0, ry1, rx0, rx1), d in zip(self.rects, self.data, strict=True):
            if ry0 <= y0 and y1 <= ry1 and rx0 <= x0 and x1 <= rx1:
                return d[y0 - ry0: y1 - ry0, x0 - rx0: x1 - rx0]
        raise ValueError(f"box {box} is not inside one of the flow's rectangles")

    def _labels(self) -> tuple[np.ndarray, int, np.ndarray]:
        """(label picture: the rectangle of each pixel or -1, its scale 1 or 2, per rectangle
        (y0, x0, width, offset in the buffer))."""
        if self._index is None:
            h, w = self.shape[:2]
            even = all((v % 2 == 0 or v in (h, w)) for r in self.rects for v in r)
            k = 2 if even else 1
            labels = np.full((-(-h // k), -(-w // k)), -1, np.int32)
            table = np.zeros((len(self.rects), 4), np.int64)
            at = 0
            for n, (y0, y1, x0, x1) in enumerate(self.rects):
                labels[y0 // k: -(-y1 // k), x0 // k: -(-x1 // k)] = n
                table[n] = (y0, x0, x1 - x0, at)
                at += (y1 - y0) * (x1 - x0)
            self._index = (labels, k, table)
        return self._index

    def _label_at(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        labels, k, _ = self._labels()
        return labels[ys, xs] if k == 1 else labels[ys // 2, xs // 2]

    def at(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """``flow[ys, xs]`` for integer pixel coordinates inside the frame (any shape)."""
        if self.whole:
            return self.data[0][ys, xs]
        assert self._buf is not None
        table = self._labels()[2]
        lab = self._label_at(ys, xs)
        row = table[lab]  # (a label of -1 reads the last row: replaced below)
        flat = row[..., 3] + (ys - row[..., 0]) * row[..., 2] + (xs - row[..., 1])
        flat = np.where(lab >= 0, flat, len(self._buf) - 1)
        return self._buf[flat]

    def sample(self, mx: np.ndarray, my: np.ndarray) -> np.ndarray:
        """``_sample(flow, mx, my)``: bilinear at (N,) float32 coordinates, borders replicated.

        OpenCV reads the two pixels from floor(x) (or floor(x) + 1, where x rounds up to the next
        1/32): a point whose three columns and rows (clamped into the frame) lie inside a
        rectangle is read there, at coordinates shifted by the rectangle's corner (exact in
        float32); any other point reads only zeros."""
        if self.whole:
            return _sample(self.data[0], mx, my)
        h, w = self.shape[:2]
        out = np.zeros((len(mx), 2), np.float32)
        fx, fy = np.floor(mx), np.floor(my)
        ax, bx = np.clip(fx, 0, w - 1).astype(np.int64), np.clip(fx + 2, 0, w - 1).astype(np.int64)
        ay, by = np.clip(fy, 0, h - 1).astype(np.int64), np.clip(fy + 2, 0, h - 1).astype(np.int64)
        lab = self._label_at(ay, ax)
        lab = np.where(lab == self._label_at(by, bx), lab, -1)  # both corners in one rectangle
        idx = np.flatnonzero(lab >= 0)
        if len(idx) == 0:
            return out
        idx = idx[np.argsort(lab[idx], kind="stable")]
        sorted_lab = lab[idx]
        starts = np.flatnonzero(np.r_[True, sorted_lab[1:] != sorted_lab[:-1]])
        for n, start in enumerate(starts):
            sel = idx[start: starts[n + 1] if n + 1 < len(starts) else len(idx)]
            y0, _, x0, _ = self.rects[int(sorted_lab[start])]
            out[sel] = _sample(self.data[int(sorted_lab[start])], mx[sel] - np.float32(x0), my[sel] - np.float32(y0))
        return out

    def crop(self, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """``flow[y0:y1, x0:x1]`` (inside the frame; do not change it in place)."""
        if self.whole:
            return self.data[0][y0:y1, x0:x1]
        out = np.zeros((y1 - y0, x1 - x0, 2), np.float32)
        for (ry0, ry1, rx0, rx1), d in zip(self.rects, self.data, strict=True):
            iy0, iy1, ix0, ix1 = max(y0, ry0), min(y1, ry1), max(x0, rx0), min(x1, rx1)
            if iy0 < iy1 and ix0 < ix1:
                out[iy0 - y0: iy1 - y0, ix0 - x0: ix1 - x0] = d[iy0 - ry0: iy1 - ry0, ix0 - rx0: ix1 - rx0]
        return out

    def dense(self) -> np.ndarray:
        """The whole-frame array."""
        return self.crop(0, self.shape[0], 0, self.shape[1])


def _at(flow: np.ndarray | BoxedFlow, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    return flow.at(ys, xs) if isinstance(flow, BoxedFlow) else flow[ys, xs]


class FlowCache:
    """Flows between frames of the sliding window at the frames' size, from a :class:`FlowStore`.

    The flow ``i -> j`` is replaced by its surroundings' motion on and near ``i``'s damage,
    and where ``j``'s damage lands (``j``'s grown mask moved by the flow ``j -> i``).
    """

    REACH = 6

    def __init__(self, store: FlowStore, size: tuple[int, int], mask_of: Callable[[int], np.ndarray | None]):
        self._store = store
        self._size = size  # (w, h) of the frames
        self._mask_of = mask_of
        self._grown_masks: dict[int, np.ndarray | None] = {}
        self._own: dict[tuple[int, int], np.ndarray] = {}
        self._flows: dict[tuple[int, int], np.ndarray] = {}
        self._valid: dict[tuple[int, int], np.ndarray | None] = {}
        self._near: dict[int, tuple[np.ndarray | None, np.ndarray | None]] = {}  # frame -> (mask, grown 2 px)

    def _grown(self, j: int) -> np.ndarray | None:
        if j not in self._grown_masks:
            mask = self._mask_of(j)
            grown = None
            if mask is not None and mask.any():
                kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * self.REACH + 1,) * 2)
                grown = dilated(mask, kernel)
            self._grown_masks[j] = grown
        return self._grown_masks[j]

    def _raw_flow(self, i: int, j: int) -> BoxedFlow:
        """The store's flow ``i -> j`` at the frames' size (a new one each call: the caller's to
        change), as :meth:`FlowStore.flow` gives it, held only in the quarter-grid boxes around
        the store's boxes (:func:`_on_grid`: what the smoothing reads and writes)."""
        boxes = self.boxes(i, j)
        if boxes is None:
            return BoxedFlow.of(self._store.flow(i, j, self._size))
        w, h = self._size
        out = BoxedFlow.around((h, w), [_on_grid(b, h, w) for b in boxes])
        native = self._store.native(i, j)
        factor = (w / native.shape[1], h / native.shape[0])
        for (y0, y1, x0, x1), box in zip(self._store.boxes(i, j), boxes, strict=True):
            fy0, fy1, fx0, fx1 = box
            out.region(box)[...] = scaled(native[y0:y1, x0:x1], (fx1 - fx0, fy1 - fy0), factor)
        return out

    def boxes(self, i: int, j: int) -> list[tuple[int, int, int, int]] | None:
        """Where the flow ``i -> j`` is known (y0, y1, x0, x1 in the frames' pixels); None: everywhere."""
        boxes = self._store.frame_boxes(i, j, self._size)
        return None if boxes == [(0, self._size[1], 0, self._size[0])] else boxes

    def valid(self, i: int, j: int) -> np.ndarray | None:
        """Bool HxW: where the flow ``i -> j`` is known (None: everywhere)."""
        key = (min(i, j), max(i, j))
        if key not in self._valid:
            boxes = self.boxes(i, j)
            valid = None
            if boxes is not None:
                valid = np.zeros((self._size[1], self._size[0]), bool)
                for y0, y1, x0, x1 in boxes:
                    valid[y0:y1, x0:x1] = True
            self._valid[key] = valid
        return self._valid[key]

    def _own_smoothed(self, i: int, j: int) -> BoxedFlow:
        if (i, j) not in self._own:
            own = self._grown(i)
            raw = self._raw_flow(i, j)
            if own is None:
                self._own[(i, j)] = raw
            elif raw.whole:
                self._own[(i, j)] = BoxedFlow.of(smooth_over(raw.data[0], own))
            else:  # the raw flow is a new one each time: smoothed in place
                grid = [_on_grid(b, *own.shape) for b in self.boxes(i, j)]
                self._own[(i, j)] = _boxed_smoothed(raw, grid, [own[y0:y1, x0:x1] for y0, y1, x0, x1 in grid], 6.0)
        return self._own[(i, j)]

    def get(self, i: int, j: int) -> BoxedFlow:
        """The flow ``i -> j`` for the fill (a :class:`BoxedFlow`; do not change it)."""
        key = (i, j)
        if key not in self._flows:
            raw = self._raw_flow(i, j)
            own, other = self._grown(i), self._grown(j)
            h, w = raw.shape[:2]
            if raw.whole:
                bad = np.zeros((h, w), bool)
                if own is not None:
                    bad |= own
                if other is not None:
                    bad |= _splat(other, self._own_smoothed(j, i))
                self._flows[key] = BoxedFlow.of(smooth_over(raw.data[0], bad)) if bad.any() else raw
            else:
                # the bad pixels only in the boxes the smoothing reads (the same flow: outside
                # them it is zero, as the boxed flow itself), smoothed in place
                grid = [_on_grid(b, h, w) for b in self.boxes(i, j)]
                bads = [np.zeros((y1 - y0, x1 - x0), bool) if own is None else own[y0:y1, x0:x1].copy()
                        for y0, y1, x0, x1 in grid]
                if other is not None:
                    points = _landing(other, self._own_smoothed(j, i))
                    for k, box in enumerate(grid):
                        bads[k] |= _splat_in(points, box)
                flow = raw
                if any(b.any() for b in bads):
                    flow = _boxed_smoothed(raw, grid, bads, 6.0)
                self._flows[key] = flow
        return self._flows[key]

    def damage_near(self, j: int, damage: np.ndarray | None) -> np.ndarray | None:
        """``damage`` (frame ``j``'s mask) grown by 2 px, as float32 0/1 (None: no damage); kept per frame."""
        held = self._near.get(j)
        if held is None or held[0] is not damage:
            near = None
            if damage is not None and damage.any():
                near = cv2.dilate(damage.astype(np.uint8), DILATE).astype(np.float32)
            held = self._near[j] = (damage, near)
        return held[1]

    def drop_before(self, first: int) -> None:
        """Forget every flow that involves a frame older than ``first``."""
        for store in (self._own, self._flows, self._valid):
            for key in [k for k in store if min(k) < first]:
                del store[key]
        for frames in (self._grown_masks, self._near):
            for k in [k for k in frames if k < first]:
                del frames[k]

    def __len__(self) -> int:
        return len(self._flows)


def _sample(image: np.ndarray, mx: np.ndarray, my: np.ndarray, nearest: bool = False) -> np.ndarray:
    """``image`` at the (N,) float coordinates; returns (N,) or (N, C)."""
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    n = len(mx)
    cols = 1024  # OpenCV maps must stay below 32767 rows
    rows = max(1, -(-n // cols))
    px = np.zeros(rows * cols, np.float32)
    py = np.zeros(rows * cols, np.float32)
    px[:n], py[:n] = mx, my
    out = cv2.remap(image, px.reshape(rows, cols), py.reshape(rows, cols), interp, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(rows * cols, *image.shape[2:])[:n]


def neighbour_order(i: int, radius: int, lo: int, hi: int) -> list[int]:
    """Neighbours of ``i`` within [lo, hi), nearest first, the past before the future at equal distance."""
    out = []
    for d in range(1, radius + 1):
        for j in (i - d, i + d):
            if lo <= j < hi:
                out.append(j)
    return out


def _ring_support(
    fw: np.ndarray | BoxedFlow, ys: np.ndarray, xs: np.ndarray, current: np.ndarray, source: np.ndarray,
    own_bad: np.ndarray, src_bad: np.ndarray | None, need: np.ndarray, margin: int = 24, sigma: float = 5.0,
    tile: int = 64, valid: np.ndarray | None = None,
) -> np.ndarray:
    """How well the neighbour, moved by the flow, matches the current frame's undamaged pixels
    around each (ys, xs) where ``need``: a local mean of the residual (max over channels),
    relative to the residual's median around the damage (grain and noise level, from every
    4th pixel). Inf where there is no support or no need.

    This accepts sources where the forward-backward check fails only because the flow is
    ambiguous (flat sky, road) while the picture around the damage still lines up. The local
    means are computed on the tiles that hold needed pixels (plus the blur's reach), not on
    the whole damaged area.
    """
    h, w = fw.shape[:2]
    out = np.full(len(ys), np.inf, np.float32)
    y0, y1 = max(0, int(ys.min()) - margin), min(h, int(ys.max()) + margin + 1)
    x0, x1 = max(0, int(xs.min()) - margin), min(w, int(xs.max()) + margin + 1)

    def residual(gy: np.ndarray, gx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = _at(fw, gy, gx)
        mx, my = gx.astype(np.float32) + f[..., 0], gy.astype(np.float32) + f[..., 1]
        warped = cv2.remap(source, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        res = np.abs(warped - current[gy, gx]).max(axis=2)
        good = ~own_bad[gy, gx] & (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
        if src_bad is not None:
            good &= cv2.remap(src_bad, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) < 0.01
        if valid is not None:  # only where the flow is known
            good &= valid[gy, gx]
        return res, good

    sy, sx = np.mgrid[y0:y1:4, x0:x1:4]
    res, good = residual(sy, sx)
    if not good.any():  # (fewer than 16 good pixels: none in the sample)
        return out
    level = float(np.median(res[good])) + 2.0 / 255.0
    reach = int(round(4 * sigma))  # OpenCV's kernel radius for this sigma
    idx = np.nonzero(need)[0]
    key = (ys[idx] // tile) * (w // tile + 1) + xs[idx] // tile
    order = np.argsort(key, kind="stable")
    idx, key = idx[order], key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    for k, start in enumerate(starts):
        sel = idx[start: starts[k + 1] if k + 1 < len(starts) else len(idx)]
        ty, tx = ys[sel], xs[sel]
        cy0, cy1 = max(y0, int(ty.min()) - reach), min(y1, int(ty.max()) + reach + 1)
        cx0, cx1 = max(x0, int(tx.min()) - reach), min(x1, int(tx.max()) + reach + 1)
        gy, gx = np.mgrid[cy0:cy1, cx0:cx1]
        res, good = residual(gy, gx)
        wgt = good.astype(np.float32)
        num = cv2.GaussianBlur(res * wgt, (0, 0), sigma)
        den = cv2.GaussianBlur(wgt, (0, 0), sigma)
        rel = np.where(den > 0.05, num / np.maximum(den, 1e-6) / level, np.inf)
        out[sel] = rel[ty - cy0, tx - cx0]
    return out


def _candidates(
    i: int, j: int, ys: np.ndarray, xs: np.ndarray, known: np.ndarray,
    image_of: Callable[[int], np.ndarray], damage_of: Callable[[int], np.ndarray | None],
    flows: FlowCache, current: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbour ``j``'s pixels seen at (ys, xs) of frame ``i``, where they can be trusted,
    and where the flow to them is forward-backward consistent (reliable motion)."""
    fw = flows.get(i, j)
    bw = flows.get(j, i)
    h, w = fw.shape[:2]
    f = fw.at(ys, xs)
    mx = (xs + f[:, 0]).astype(np.float32)
    my = (ys + f[:, 1]).astype(np.float32)
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    back = bw.sample(mx, my)
    err = np.linalg.norm(f + back, axis=1)
    consistent = err <= 1.0 + 0.05 * np.linalg.norm(f, axis=1)
    src_bad = flows.damage_near(j, damage_of(j))
    clean_src = np.ones(len(ys), bool)
    if src_bad is not None:
        clean_src = _sample(src_bad, mx, my) < 0.01
    ok = inside & clean_src
    reliable = ok & consistent  # forward-backward consistent: the motion itself is reliable
    if not consistent[ok].all():
        own_bad = flows.damage_near(i, damage_of(i))
        own_bad = own_bad > 0 if own_bad is not None else np.zeros((h, w), bool)
        lined_up = _ring_support(fw, ys, xs, current, image_of(j), own_bad, src_bad, ok & ~consistent,
                                 valid=flows.valid(i, j)) <= 3.0
        consistent |= lined_up
    ok &= consistent
    cand = _sample(image_of(j), mx, my)
    ring = ok & known
    if ring.sum() >= 16:
        cand = _match_brightness(cand, cand[ring], current[ys[ring], xs[ring]])
    return cand, ok, reliable


def _match_brightness(cand: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Map a neighbour's candidates so its ring pixels (``src``) match the current frame's
    (``dst``): a per-channel offset, or gain and offset where that fits the ring clearly
    better (a contrast flicker); unchanged where the correction is below half a code value."""
    out = cand.copy()
    changed = False
    for c in range(cand.shape[1]):
        s, d = src[:, c].astype(np.float64), dst[:, c].astype(np.float64)
        gain, offset = 1.0, float(np.median(d - s))
        if s.std() > 0.02:
            g = float(np.clip(np.cov(s, d, bias=True)[0, 1] / s.var(), 0.8, 1.25))
            o = float(np.median(d - g * s))
            if np.median(np.abs(d - g * s - o)) < 0.8 * np.median(np.abs(d - s - offset)):
                gain, offset = g, o
        mapped = gain * out[:, c] + offset
        if np.abs(mapped - out[:, c]).max() > 0.5 / 255.0:
            out[:, c] = mapped
            changed = True
    return out if changed else cand


def _settled(cands: np.ndarray, valid: np.ndarray, agree: float) -> bool:
    """True when every pixel has a candidate and nearly all (98%) have two that agree."""
    count = valid.sum(axis=0)
    if valid.shape[0] < 2 or not (count >= 1).all():
        return False
    lo = np.where(valid[..., None], cands, np.inf).min(axis=0)
    hi = np.where(valid[..., None], cands, -np.inf).max(axis=0)
    good = (count >= 2) & ((hi - lo).max(axis=1) <= agree)
    return bool(good.mean() >= 0.98)


def _valid_median(cands: np.ndarray, valid: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Per pixel and channel the median of the valid candidates (K, N, C) -> (N, C); NaN where
    none is valid (as ``nanmedian`` of the masked candidates, without its per-call overhead)."""
    ordered = np.sort(np.where(valid[..., None], cands, np.inf), axis=0)  # the invalid ones last
    n, c = cands.shape[1:]
    lo = np.broadcast_to(np.maximum(count - 1, 0)[None, :, None] // 2, (1, n, c))
    hi = np.broadcast_to(count[None, :, None] // 2, (1, n, c))
    hi = np.minimum(hi, cands.shape[0] - 1)
    median = 0.5 * (np.take_along_axis(ordered, lo, 0)[0] + np.take_along_axis(ordered, hi, 0)[0])
    median[count == 0] = np.nan
    return median


@dataclass
class TemporalResult:
    """What time supplies for N pixels: ``values`` (N, 3), ``ok`` (N,) filled, ``source``
    (N,) frame or -1, and ``disagree`` (N,): two or more sources that do not agree."""

    values: np.ndarray
    ok: np.ndarray
    source: np.ndarray
    disagree: np.ndarray


def temporal_fill(
    i: int,
    ys: np.ndarray,
    xs: np.ndarray,
    known: np.ndarray,
    neighbours: list[int],
    image_of: Callable[[int], np.ndarray],
    damage_of: Callable[[int], np.ndarray | None],
    flows: FlowCache,
    agree: float,
    current: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`temporal_fill_checked` as ``(values, ok, source)``."""
    r = temporal_fill_checked(i, ys, xs, known, neighbours, image_of, damage_of, flows, agree, current)
    return r.values, r.ok, r.source


def temporal_fill_checked(
    i: int,
    ys: np.ndarray,
    xs: np.ndarray,
    known: np.ndarray,
    neighbours: list[int],
    image_of: Callable[[int], np.ndarray],
    damage_of: Callable[[int], np.ndarray | None],
    flows: FlowCache,
    agree: float,
    current: np.ndarray,
    strict: np.ndarray | None = None,
) -> TemporalResult:
    """Candidates for the pixels (ys, xs) of frame ``i`` from its neighbours.

    ``image_of(j)``: float32 HxWx3 in [0, 1]; ``damage_of(j)``: bool HxW or None (the
    neighbour's mask). ``known``: (N,) True for pixels of ``i`` that are themselves undamaged
    (the feather ring); they measure each neighbour's brightness offset (flicker), which is
    removed from its candidates. ``current``: frame ``i`` as float32. ``strict``: (N,) True
    for pixels (a thin persistent line) filled from time only where the motion is reliable
    (forward-backward consistent) and two such sources agree.
    """
    n = len(ys)
    if n == 0 or not neighbours:
        none = np.zeros(n, bool)
        return TemporalResult(np.zeros((n, 3), np.float32), none, np.full(n, -1, np.int64), none.copy())
    cand_list: list[np.ndarray] = []
    valid_list: list[np.ndarray] = []
    used: list[int] = []
    for k, j in enumerate(neighbours):
        cand, ok, reliable = _candidates(i, j, ys, xs, known, image_of, damage_of, flows, current)
        if strict is not None:
            ok = np.where(strict, reliable, ok)
        cand_list.append(cand)
        valid_list.append(ok)
        used.append(j)
        last_of_level = k + 1 == len(neighbours) or abs(neighbours[k + 1] - i) != abs(j - i)
        if last_of_level and _settled(np.stack(cand_list), np.stack(valid_list), agree):
            break  # every pixel has two agreeing sources: farther frames are not needed
    cands = np.stack(cand_list)
    valid = np.stack(valid_list)
    neighbours = used
    count = valid.sum(axis=0)
    median = _valid_median(cands, valid, count)
    close = valid & (np.abs(cands - median[None]).max(axis=2) <= agree)
    # two sources that agree: the median itself is then backed by both
    agreeing = close.sum(axis=0) >= 2
    disagree = (count >= 2) & ~agreeing
    # Where candidates disagree (two sources, one occluded) fall back to the nearest valid one.
    pick_from = np.where(close.any(axis=0)[None], close, valid)
    first = np.argmax(pick_from, axis=0)
    ok = count > 0
    if strict is not None:
        ok &= ~strict | agreeing
    values = cands[first, np.arange(n)]
    source = np.where(ok, np.asarray(neighbours)[first], -1)
    return TemporalResult(values.astype(np.float32), ok, source, disagree)
