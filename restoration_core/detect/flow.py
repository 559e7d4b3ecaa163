"""Dense optical flow, warping and forward-backward consistency (OpenCV DIS).

Convention: ``flow = estimate_flow(ref, other)`` gives, for every pixel p of ``ref``, the
displacement d such that ``ref[p] ~ other[p + d]`` (d = (dx, dy)). ``warp(other, flow)``
returns ``other`` resampled onto ``ref``'s pixel grid. Detection, temporal fill and the
GUI's "track mask along motion" all share this module. The temporal fill keeps its flows in
a bounded :class:`FlowStore`: each flow computed once, at the resolution the fill asks for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import cv2
import numpy as np

_local = threading.local()
FLOW_MAX_SIDE = 960  # flows of a FlowStore are computed at most this wide, then scaled to what asks
FLOW_QUALITY = "medium"


_UNIT8 = (np.arange(256, dtype=np.float32) / 255.0).reshape(256, 1)  # uint8 code -> float32 in [0, 1]


def unit_float(image: np.ndarray) -> np.ndarray:
    """uint8 or uint16 pixels as float32 in [0, 1] (``image.astype(np.float32) / 255.0``, the
    same values; 8-bit through a table, in one pass)."""
    if image.dtype == np.uint8 and (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        return cv2.LUT(image, _UNIT8)
    return image.astype(np.float32) / (65535.0 if image.dtype == np.uint16 else 255.0)


# Rec.709 weights; per 8-bit code the weighted term ``w * (code / 255)`` as float32, exactly what
# the float path's ``w * unit_float(image)[..., c]`` computes
_LUMA_W = (0.2126, 0.7152, 0.0722)
_LUMA8 = [np.float32(w) * _UNIT8 for w in _LUMA_W]


_STRIP = 32  # rows: a large picture's luma is made this many rows at a time


def to_luma(image: np.ndarray) -> np.ndarray:
    """Rec.709 luma as float32 in [0, 1] from uint8/uint16/float RGB or gray.

    A colour picture taller than :data:`_STRIP` rows is converted a strip of rows at a time
    (each pixel's luma depends on that pixel alone: the same values): the strips' temporary
    planes stay in the cache and are not fresh frame-size arrays (4x less CPU at 640x360 and
    1920x1080 for 8-bit frames)."""
    if image.ndim == 3 and image.shape[2] >= 3 and image.shape[0] > _STRIP:
        out = np.empty(image.shape[:2], np.float32)
        for y in range(0, image.shape[0], _STRIP):
            _luma(image[y: y + _STRIP], out[y: y + _STRIP])
        return out
    return _luma(image)


def _luma(image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """:func:`to_luma` in one go (into ``out`` when given, for colour pictures)."""
    if image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] in (3, 4):
        # the three weighted terms through tables, summed in the same order: the same values
        # as the float path below, without its float picture and three multiplying passes
        planes = cv2.split(image)
        r, g, b = (cv2.LUT(planes[c], _LUMA8[c]) for c in range(3))
        return cv2.add(cv2.add(r, g), b) if out is None else cv2.add(cv2.add(r, g), b, dst=out)
    if image.dtype == np.uint8:
        img = unit_float(image)
    elif image.dtype == np.uint16:
        img = image.astype(np.float32) / 65535.0
    else:
        img = image.astype(np.float32, copy=False)
    if img.ndim == 2:
        return img
    if img.shape[2] == 1:
        return img[..., 0]
    luma = 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]
    if out is None:
        return luma
    out[...] = luma
    return out


def _dis(preset: int) -> cv2.DISOpticalFlow:
    """This thread's DIS instance for ``preset``, set back to the preset's finest scale.

    OpenCV lowers an instance's finest scale for good when it is given an image too small for
    it (a 32x24 reel sets it from 1 to 0), so without the reset every later flow in the thread,
    and with it detection and repair, would depend on what the process had seen before.
    """
    cache = getattr(_local, "dis", None)
    if cache is None:
        cache = _local.dis = {}
    if preset not in cache:
        dis = cv2.DISOpticalFlow_create(preset)
        cache[preset] = (dis, dis.getFinestScale())
    dis, finest = cache[preset]
    dis.setFinestScale(finest)
    return dis


_PRESETS = {
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
}


def _to_u8(luma: np.ndarray) -> np.ndarray:
    """``np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8)``, in one buffer (a strip of
    :data:`_STRIP` rows at a time for a taller picture: pixel by pixel, the same codes)."""
    if luma.shape[0] > _STRIP:
        out = np.empty(luma.shape, np.uint8)
        for y in range(0, luma.shape[0], _STRIP):
            out[y: y + _STRIP] = _to_u8_one(luma[y: y + _STRIP])
        return out
    return _to_u8_one(luma)


def _to_u8_one(luma: np.ndarray) -> np.ndarray:
    out = np.multiply(luma, 255.0)
    out += 0.5
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


def _dilated5(mask: np.ndarray) -> np.ndarray:
    """``cv2.dilate(mask as uint8, 5x5 ones)``, computed in the mask's bounding box grown by 2."""
    m8 = np.asarray(mask, bool).view(np.uint8)
    out = np.zeros(m8.shape, np.uint8)
    x, y, bw, bh = cv2.boundingRect(m8)
    if bw == 0 or bh == 0:
        return out
    h, w = m8.shape
    y0, y1, x0, x1 = max(0, y - 3), min(h, y + bh + 3), max(0, x - 3), min(w, x + bw + 3)
    out[y0:y1, x0:x1] = cv2.dilate(np.ascontiguousarray(m8[y0:y1, x0:x1]), np.ones((5, 5), np.uint8))
    return out


def estimate_flow(
    ref: np.ndarray, other: np.ndarray, *, max_side: int | None = 960, quality: str = "medium"
) -> np.ndarray:
    """Flow from ``ref`` to ``other`` (HxWx2 float32, pixels of ``ref``'s full resolution).

    Inputs are luma (HxW float in [0, 1]) or images (converted with :func:`to_luma`).
    Above ``max_side`` the flow is computed on a downscaled copy and scaled back up.
    """
    a = ref if ref.ndim == 2 and ref.dtype == np.float32 else to_luma(ref)
    b = other if other.ndim == 2 and other.dtype == np.float32 else to_luma(other)
    h, w = a.shape
    scale = 1.0
    if max_side is not None and max(h, w) > max_side:
        scale = max_side / float(max(h, w))
        size = (max(8, round(w * scale)), max(8, round(h * scale)))
        a = cv2.resize(a, size, interpolation=cv2.INTER_AREA)
        b = cv2.resize(b, size, interpolation=cv2.INTER_AREA)
    flow = _dis(_PRESETS[quality]).calc(_to_u8(a), _to_u8(b), None)
    if scale != 1.0:
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / scale
    return flow.astype(np.float32, copy=False)


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    key = (h, w)
    cache = getattr(_local, "grids", None)
    if cache is None:
        cache = _local.grids = {}
    if key not in cache:
        if len(cache) > 4:
            cache.clear()
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        cache[key] = (xs, ys)
    return cache[key]


def flow_maps(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``p + flow[p]``: where each pixel's flow points, x and y (the maps :func:`warp` and
    :func:`out_of_frame` read; computed once for a flow that is read several times)."""
    h, w = flow.shape[:2]
    xs, ys = _grid(h, w)
    return xs + flow[..., 0], ys + flow[..., 1]


def warp(image: np.ndarray, flow: np.ndarray, *, nearest: bool = False,
         maps: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Resample ``image`` (the flow's ``other``) onto ``ref``'s grid; borders replicate.
    ``maps``: the flow's :func:`flow_maps`, when already at hand."""
    map_x, map_y = flow_maps(flow) if maps is None else maps
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    src = image
    if image.dtype == bool:
        src = image.astype(np.uint8)
    out = cv2.remap(src, map_x, map_y, interp, borderMode=cv2.BORDER_REPLICATE)
    if image.dtype == bool:
        return out.astype(bool)
    return out


def forward_backward_error(flow_fw: np.ndarray, flow_bw: np.ndarray) -> np.ndarray:
    """Per-pixel |f_fw(p) + f_bw(p + f_fw(p))| in pixels (0 where the two flows agree)."""
    bw_at = warp(flow_bw, flow_fw)
    return np.linalg.norm(flow_fw + bw_at, axis=2)


def out_of_frame(flow: np.ndarray, maps: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """True where ``p + flow[p]`` falls outside the other frame (no source there).
    ``maps``: the flow's :func:`flow_maps`, when already at hand."""
    h, w = flow.shape[:2]
    x, y = flow_maps(flow) if maps is None else maps
    return (x < 0) | (x > w - 1) | (y < 0) | (y > h - 1)


def reliable(flow_fw: np.ndarray, flow_bw: np.ndarray, *, tolerance: float = 1.0) -> np.ndarray:
    """Pixels whose flow is trustworthy: forward-backward consistent and inside the frame.

    The tolerance grows with motion magnitude (0.01 * |f|^2 style, as in Sundaram et al.).
    """
    err = forward_backward_error(flow_fw, flow_bw)
    mag2 = np.sum(flow_fw * flow_fw, axis=2)
    return (err <= tolerance + 0.05 * np.sqrt(mag2)) & ~out_of_frame(flow_fw)


class FlowStore:
    """Flows between the frames of one reel at most ``max_side`` wide, each ordered pair computed
    once (a bounded store: the oldest flows and pictures go first).

    A frame's flow picture is its luma scaled straight from the full frame, with its damage
    (``add(..., mask)``) roughly inpainted first so specks do not drag the flow; a flow is a
    function of the two frames (and masks) alone, so one evicted and computed again comes out
    the same. (Chaining the flows of nearer frames for farther ones was tried: on the street
    clip with exact masks it moved the repair by -0.6 to +0.3 dB depending on the rest of the
    fill, for 20 ms/frame; direct flows are kept.)
    """

    def __init__(self, max_side: int = FLOW_MAX_SIDE, quality: str = FLOW_QUALITY, keep: int = 32,
                 pictures: int = 8, margin: int | None = None):
        self.max_side = max_side
        self.quality = quality
        self.keep = keep  # flows held
        self.pictures = pictures  # frames held (their flow pictures)
        # None: whole frames; else a flow i -> j only within ``margin`` px (at the store's
        # resolution) of either frame's damage, in boxes (:meth:`boxes`); zero elsewhere
        self.margin = margin
        self.computed = 0  # DIS flows computed
        self._pictures: OrderedDict[int, Any] = OrderedDict()  # the picture, or (data, mask) until used
        # margin mode: each frame's damage regions' boxes grown by the margin (None: no damage)
        self._near: OrderedDict[int, list[tuple[int, int, int, int]] | None] = OrderedDict()
        self._flows: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._boxes: dict[tuple[int, int], list[tuple[int, int, int, int]]] = {}
        self._shape: tuple[int, int] | None = None

    def add(self, index: int, data: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Frame ``index`` (full resolution, any dtype :func:`to_luma` takes); ``mask`` (bool, True
        = damage): pixels inpainted (Telea) from their surroundings before a flow sees them. The
        picture is made when a flow first needs it."""
        if index in self._pictures:
            self._pictures.move_to_end(index)
            return
        h, w = data.shape[:2]
        if self._shape is None:
            self._shape = (h, w)
        elif self._shape != (h, w):
            raise ValueError(f"frame {index} is {w}x{h}, the store's frames are {self._shape[1]}x{self._shape[0]}")
        self._pictures[index] = (data, mask)
        if self.margin is not None:
            self._near[index] = self._grown_damage(mask)
        while len(self._pictures) > self.pictures:
            gone, _ = self._pictures.popitem(last=False)
            self._near.pop(gone, None)

    def _picture(self, index: int) -> np.ndarray:
        if index not in self._pictures:
            raise KeyError(f"frame {index} was not added to the flow store (or has left it)")
        held = self._pictures[index]
        if isinstance(held, np.ndarray):
            return held
        data, mask = held
        luma = data if data.ndim == 2 and data.dtype == np.float32 else to_luma(data)
        h, w = luma.shape
        if mask is not None and mask.any():
            inpainted = _inpainted(_to_u8(luma), _dilated5(mask))
            if max(h, w) <= self.max_side:  # (to float and back to 8 bits gives the same codes)
                picture = self._pictures[index] = inpainted
                return picture
            luma = unit_float(inpainted)  # (the codes / 255 as float32, through a table)
        if max(h, w) > self.max_side:
            scale = self.max_side / float(max(h, w))
            size = (max(8, round(w * scale)), max(8, round(h * scale)))
            luma = cv2.resize(luma, size, interpolation=cv2.INTER_AREA)
        picture = self._pictures[index] = _to_u8(luma)
        return picture

    def _native_size(self) -> tuple[int, int]:
        """(h, w) of the store's pictures."""
        assert self._shape is not None
        h, w = self._shape
        if max(h, w) <= self.max_side:
            return h, w
        scale = self.max_side / float(max(h, w))
        return max(8, round(h * scale)), max(8, round(w * scale))

    def _grown_damage(self, mask: np.ndarray | None) -> list[tuple[int, int, int, int]] | None:
        """The boxes (y0, y1, x0, x1) of the regions of ``mask`` (a frame's damage) at the store's
        resolution, each grown by the margin (inside the picture); None without damage."""
        if mask is None or not mask.any():
            return None
        h, w = self._native_size()
        m8 = np.asarray(mask, bool).view(np.uint8)
        if m8.shape != (h, w):
            m8 = (cv2.resize(m8, (w, h), interpolation=cv2.INTER_AREA) > 0).view(np.uint8)
        _, _, stats, _ = cv2.connectedComponentsWithStats(m8, connectivity=8)
        e = int(self.margin or 0)
        return [(max(0, int(y) - e), min(h, int(y + bh) + e), max(0, int(x) - e), min(w, int(x + bw) + e))
                for x, y, bw, bh, _ in stats[1:]]

    def boxes(self, i: int, j: int) -> list[tuple[int, int, int, int]]:
        """The (y0, y1, x0, x1) boxes at the store's resolution where the flow ``i -> j`` (and
        ``j -> i``) is computed: the whole picture without a margin, else each frame's damage
        grown by the margin, joined into disjoint boxes (the whole picture when they cover
        half of it or more, or when neither frame has damage)."""
        key = (min(i, j), max(i, j))
        if key in self._boxes:
            return self._boxes[key]
        h, w = self._native_size()
        whole = [(0, h, 0, w)]
        boxes = whole
        if self.margin is not None:
            if i not in self._near or j not in self._near:
                raise KeyError(f"frame {i if i not in self._near else j} was not added to the flow store (or has left it)")
            a, b = self._near[i], self._near[j]
            if a is not None or b is not None:
                boxes = _disjoint_boxes((a or []) + (b or []), h, w, min_side=min(h, w, 2 * self.margin + 1))
                if sum((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in boxes) * 2 >= h * w:
                    boxes = whole
        self._boxes[key] = boxes  # (forgotten with the pair's last flow)
        return boxes

    def _calc(self, i: int, j: int) -> np.ndarray:
        dis = _dis(_PRESETS[self.quality])
        a, b = self._picture(i), self._picture(j)
        boxes = self.boxes(i, j)
        if len(boxes) == 1 and boxes[0] == (0, a.shape[0], 0, a.shape[1]):
            return dis.calc(a, b, None)
        flow = np.zeros((*a.shape, 2), np.float32)
        for y0, y1, x0, x1 in boxes:
            flow[y0:y1, x0:x1] = _dis(_PRESETS[self.quality]).calc(
                np.ascontiguousarray(a[y0:y1, x0:x1]), np.ascontiguousarray(b[y0:y1, x0:x1]), None)
        return flow

    def native(self, i: int, j: int) -> np.ndarray:
        """The flow ``i -> j`` at the store's resolution (do not change it in place)."""
        if (i, j) in self._flows:
            self._flows.move_to_end((i, j))
            return self._flows[(i, j)]
        flow = self._calc(i, j)
        self.computed += 1
        self._flows[(i, j)] = flow
        while len(self._flows) > self.keep:
            (a, b), _ = self._flows.popitem(last=False)
            if (b, a) not in self._flows:
                self._boxes.pop((min(a, b), max(a, b)), None)
        return flow

    def flow(self, i: int, j: int, size: tuple[int, int]) -> np.ndarray:
        """The flow ``i -> j`` as an HxWx2 float32 array for pictures of ``size`` (w, h), in their
        pixels (zero outside :meth:`frame_boxes`)."""
        native = self.native(i, j)
        boxes = self.boxes(i, j)
        if len(boxes) == 1 and boxes[0] == (0, native.shape[0], 0, native.shape[1]):
            return scaled(native, size)
        out = np.zeros((size[1], size[0], 2), np.float32)
        for (y0, y1, x0, x1), (fy0, fy1, fx0, fx1) in zip(boxes, self.frame_boxes(i, j, size), strict=True):
            out[fy0:fy1, fx0:fx1] = scaled(native[y0:y1, x0:x1], (fx1 - fx0, fy1 - fy0),
                                           (size[0] / native.shape[1], size[1] / native.shape[0]))
        return out

    def frame_boxes(self, i: int, j: int, size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
        """:meth:`boxes` in the pixels of pictures of ``size`` (w, h)."""
        h, w = self._native_size()
        sy, sx = size[1] / h, size[0] / w
        return [(round(y0 * sy), round(y1 * sy), round(x0 * sx), round(x1 * sx))
                for y0, y1, x0, x1 in self.boxes(i, j)]


INPAINT_RADIUS = 3  # px: the flow pictures' Telea inpainting radius
INPAINT_REACH = 2 * INPAINT_RADIUS  # px around a damaged pixel that its inpainting may read


def _inpainted(luma8: np.ndarray, damage: np.ndarray) -> np.ndarray:
    """``cv2.inpaint(luma8, damage, INPAINT_RADIUS, INPAINT_TELEA)``, computed in disjoint boxes
    around the damage (each blob's box grown by :data:`INPAINT_REACH`, overlapping ones joined):
    the same pixels, without the whole-frame passes of a call on the whole picture."""
    h, w = damage.shape
    x, y, bw, bh = cv2.boundingRect(damage)
    if bw == 0 or bh == 0:
        return luma8
    y0, x0 = max(0, y - INPAINT_REACH), max(0, x - INPAINT_REACH)
    y1, x1 = min(h, y + bh + INPAINT_REACH), min(w, x + bw + INPAINT_REACH)
    _, _, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(damage[y0:y1, x0:x1]), connectivity=8)
    e = INPAINT_REACH
    out = luma8.copy()
    for by0, by1, bx0, bx1 in _joined([(max(0, y0 + int(sy) - e), min(h, y0 + int(sy + sh) + e),
                                        max(0, x0 + int(sx) - e), min(w, x0 + int(sx + sw) + e))
                                       for sx, sy, sw, sh, _ in stats[1:]]):
        out[by0:by1, bx0:bx1] = cv2.inpaint(np.ascontiguousarray(luma8[by0:by1, bx0:bx1]),
                                            np.ascontiguousarray(damage[by0:by1, bx0:bx1]),
                                            INPAINT_RADIUS, cv2.INPAINT_TELEA)
    return out


def _disjoint_boxes(rects: list[tuple[int, int, int, int]], h: int, w: int,
                    min_side: int) -> list[tuple[int, int, int, int]]:
    """The bounding boxes (y0, y1, x0, x1) of the 8-connected blobs of the union of ``rects``
    (boxes inside an ``h`` x ``w`` picture), overlapping ones joined until none overlaps, each
    at least ``min_side`` px on a side (grown inside the picture).

    The blobs come from the rectangles themselves, not from a picture of them: two are in one
    blob when chained by rectangles that overlap or touch (a side or a corner: 8-connected)."""
    return _joined([_at_least(box, h, w, min_side) for box in _rect_blobs(rects)])


def _at_least(box: tuple[int, int, int, int], h: int, w: int, min_side: int) -> tuple[int, int, int, int]:
    """``box`` (y0, y1, x0, x1) grown about its centre to ``min_side`` px on each side that is
    shorter, kept inside the ``h`` x ``w`` picture."""
    y0, y1, x0, x1 = box
    if y1 - y0 < min_side:
        y0 = max(0, min(h - min_side, (y0 + y1 - min_side) // 2))
        y1 = min(h, y0 + min_side)
    if x1 - x0 < min_side:
        x0 = max(0, min(w - min_side, (x0 + x1 - min_side) // 2))
        x1 = min(w, x0 + min_side)
    return y0, y1, x0, x1


def _rect_blobs(rects: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Bounding boxes of the 8-connected components of the union of the (non-empty) ``rects``."""
    if not rects:
        return []
    r = np.asarray(rects, np.int64).reshape(-1, 4)
    y0, y1, x0, x1 = r.T
    # 8-connected: rows and columns each within one pixel (half-open boxes: start <= other's end)
    near = (y0[:, None] <= y1[None]) & (y0[None] <= y1[:, None]) & (x0[:, None] <= x1[None]) & (x0[None] <= x1[:, None])
    label = np.arange(len(r))
    while True:  # each rectangle takes the smallest label it touches, until none changes
        new = np.where(near, label[None, :], len(r)).min(axis=1)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    out = []
    for k in np.unique(label):
        sel = label == k
        out.append((int(y0[sel].min()), int(y1[sel].max()), int(x0[sel].min()), int(x1[sel].max())))
    return out


def _joined(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The boxes (y0, y1, x0, x1), overlapping ones joined until none overlaps, sorted."""
    joined = True
    while joined:
        joined = False
        out: list[tuple[int, int, int, int]] = []
        for box in boxes:
            for k, other in enumerate(out):
                if box[0] < other[1] and other[0] < box[1] and box[2] < other[3] and other[2] < box[3]:
                    out[k] = (min(box[0], other[0]), max(box[1], other[1]), min(box[2], other[2]),
                              max(box[3], other[3]))
                    joined = True
                    break
            else:
                out.append(box)
        boxes = out
    return sorted(boxes)


def scaled(flow: np.ndarray, size: tuple[int, int], factor: tuple[float, float] | None = None) -> np.ndarray:
    """``flow`` resampled to ``size`` (w, h), its vectors scaled to the new pixels (by
    ``factor`` (x, y) when given: a crop of a flow scaled with its whole picture's factor)."""
    h, w = flow.shape[:2]
    if (w, h) == tuple(size) and factor is None:
        return flow
    out = cv2.resize(flow, tuple(size), interpolation=cv2.INTER_LINEAR)
    fx, fy = factor if factor is not None else (size[0] / w, size[1] / h)
    out[..., 0] *= fx
    out[..., 1] *= fy
    return out

