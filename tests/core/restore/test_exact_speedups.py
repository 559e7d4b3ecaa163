"""The throughput work's shortcuts give exactly the values of the plain computations."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.detect.flow import (
    INPAINT_RADIUS,
    FlowStore,
    _at_least,
    _dilated5,
    _disjoint_boxes,
    _joined,
    _to_u8,
    to_luma,
    unit_float,
)
from restoration_core.restore.linefill import fill_lines, line_regions
from restoration_core.restore.pipeline import _warp_window
from restoration_core.restore.temporal import BoxedFlow, FlowCache, _sample, _splat, smooth_over


def _store_and_cache(frames, masks, size, *, max_side, margin):
    """A flow store holding ``frames`` with their ``masks``, and the fill's cache over it."""
    store = FlowStore(max_side=max_side, keep=9, pictures=4, margin=margin)
    for i, (frame, mask) in enumerate(zip(frames, masks, strict=True)):
        store.add(i, frame, mask)
    return store, FlowCache(store, size, lambda j: masks[j])

def _plain_luma(image: np.ndarray) -> np.ndarray:
    img = unit_float(np.ascontiguousarray(image))
    return 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]


def test_8bit_luma_through_tables_equals_the_float_formula():
    rng = np.random.default_rng(2)
    every = np.zeros((1, 256, 3), np.uint8)
    every[0, :, 0] = every[0, :, 2] = np.arange(256)
    every[0, :, 1] = np.arange(256)[::-1]
    rgb = rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)
    rgba = rng.integers(0, 256, (31, 47, 4), dtype=np.uint8)
    for image in (every, rgb, rgba, rgb[7:50, 3:99], rgb[::2, ::3], rgb[:, 5:6]):
        out = to_luma(image)
        assert out.dtype == np.float32 and out.shape == image.shape[:2]
        assert np.array_equal(out, _plain_luma(image))


def test_the_luma_of_a_tall_picture_in_strips_equals_the_formula_on_the_whole():
    rng = np.random.default_rng(3)
    pictures = [
        rng.integers(0, 256, (97, 61, 3), dtype=np.uint8),  # 3 strips and a 1-row rest
        rng.integers(0, 256, (64, 40, 4), dtype=np.uint8),
        rng.integers(0, 65536, (75, 30, 3), dtype=np.uint16),
        rng.random((33, 20, 3)).astype(np.float32),
        rng.random((40, 9, 3)),  # float64
    ]
    for image in pictures + [p[5:-3, 2:-1] for p in pictures] + [p[::2] for p in pictures]:
        if image.dtype == np.uint16:
            img = image.astype(np.float32) / 65535.0
        elif image.dtype == np.uint8:
            img = unit_float(np.ascontiguousarray(image))
        else:
            img = image.astype(np.float32)
        plain = 0.2126 * img[..., 0] + 0.7152 * img[..., 1] + 0.0722 * img[..., 2]
        out = to_luma(image)
        assert out.dtype == np.float32 and out.shape == image.shape[:2]
        assert np.array_equal(out, plain)


def _line_scene(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    img = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 1.5)
    img[:, : w // 2] += 0.3
    mask = np.zeros((h, w), bool)
    for x, wd in ((w // 4, 2), (w // 2 + 3, 1), (w - 9, 3)):
        mask[5: h - 5, x: x + wd] = True
        img[:, x - 1: x + wd + 1] += 0.15  # a faint edge beside the scratch
    img[mask] = 0.95
    mask[h // 3: h // 3 + 9, : w // 3] = True  # a blotch across the first line
    return img, mask


def test_the_line_fill_in_place_equals_the_copy_and_the_copy_leaves_its_input_alone():
    rng = np.random.default_rng(4)
    for _ in range(6):
        img, mask = _line_scene(rng, int(rng.integers(60, 140)), int(rng.integers(60, 160)))
        lines = line_regions(mask)
        given = img.copy()
        copied = fill_lines(given, mask, lines)
        assert np.array_equal(given, img)  # the faint-edge correction was put back
        assert not np.array_equal(copied, img)  # the lines were filled
        inside = img.copy()
        assert fill_lines(inside, mask, lines, in_place=True) is inside
        assert np.array_equal(inside, copied)
        assert np.array_equal(copied[~mask], img[~mask])


def test_the_flow_cache_smooths_in_its_boxes_as_over_the_whole_frames_masks():
    rng = np.random.default_rng(6)
    frames, masks = [], []
    base = cv2.GaussianBlur((rng.random((150, 250, 3)) * 255).astype(np.uint8), (0, 0), 2)
    for i in range(3):
        frames.append(np.roll(base, 2 * i, axis=1))
        m = np.zeros((150, 250), bool)
        for _ in range(3):
            y, x = int(rng.integers(0, 140)), int(rng.integers(0, 240))
            m[y: y + int(rng.integers(2, 9)), x: x + int(rng.integers(2, 9))] = True
        masks.append(m)
    store, cache = _store_and_cache(frames, masks, (250, 150), max_side=250, margin=8)
    for i, j in ((0, 1), (1, 0), (1, 2), (2, 0)):
        assert cache.boxes(i, j) is not None  # the boxed path
        own, other = cache._grown(i), cache._grown(j)
        bad = own | _splat(other, cache._own_smoothed(j, i))
        plain = smooth_over(store.flow(i, j, (250, 150)), bad, boxes=cache.boxes(i, j))
        assert np.array_equal(cache.get(i, j).dense(), plain)
        assert np.array_equal(cache._own_smoothed(i, j).dense(),
                              smooth_over(store.flow(i, j, (250, 150)), own, boxes=cache.boxes(i, j)))


# at the frame's edges and corners, 1 to 3 px apart, overlapping, one pixel wide; then boxes
# with even sides (as the flow cache's quarter-grid boxes: the label picture at half resolution)
_BOXES = [
    [(0, 9, 0, 12), (0, 20, 14, 30), (11, 30, 0, 5), (40, 70, 80, 97), (33, 50, 40, 60),
     (45, 61, 55, 70), (62, 70, 40, 41), (20, 31, 33, 36)],
    [(0, 8, 0, 12), (0, 20, 16, 28), (12, 28, 0, 4), (40, 70, 80, 97), (32, 48, 40, 60),
     (44, 60, 56, 68), (60, 70, 40, 44), (20, 32, 32, 36)],
]


@pytest.mark.parametrize("boxes", _BOXES)
def test_a_boxed_flow_reads_as_the_whole_frame_array_it_stands_for(boxes):
    rng = np.random.default_rng(10)
    h, w = 70, 97
    flow = BoxedFlow.around((h, w), boxes)
    dense = np.zeros((h, w, 2), np.float32)
    for box in boxes:
        y0, y1, x0, x1 = box
        values = (rng.standard_normal((y1 - y0, x1 - x0, 2)) * 5).astype(np.float32)
        flow.region(box)[...] = values
        dense[y0:y1, x0:x1] = values
    assert not flow.whole and len(flow.rects) < len(boxes)  # some were joined
    assert flow._labels()[1] == (2 if boxes is _BOXES[1] else 1)
    assert np.array_equal(flow.dense(), dense)
    assert np.array_equal(flow.like().dense(), np.zeros_like(dense))
    ys, xs = np.mgrid[0:h, 0:w]
    assert np.array_equal(flow.at(ys, xs), dense)
    assert np.array_equal(flow.at(ys.ravel(), xs.ravel()), dense[ys.ravel(), xs.ravel()])
    for _ in range(20):
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        y1, x1 = int(rng.integers(y0 + 1, h + 1)), int(rng.integers(x0 + 1, w + 1))
        assert np.array_equal(flow.crop(y0, y1, x0, x1), dense[y0:y1, x0:x1])
    # points everywhere (outside the frame too), and on and beside every box's edges, with
    # fractions that round up to the next pixel at OpenCV's 1/32
    n = 20000
    mx = rng.uniform(-4, w + 3, n).astype(np.float32)
    my = rng.uniform(-4, h + 3, n).astype(np.float32)
    edges_x = np.array([v for b in boxes for v in (b[2], b[3])] + [0, w - 1], np.float32)
    edges_y = np.array([v for b in boxes for v in (b[0], b[1])] + [0, h - 1], np.float32)
    frac = np.array([-2.0, -1.5, -1.0, -0.999, -0.01, -1e-4, 0.0, 1e-4, 0.3, 0.5, 0.98, 0.999, 1.0, 1.99],
                    np.float32)
    ex = (edges_x[:, None] + frac[None]).ravel()
    ey = (edges_y[:, None] + frac[None]).ravel()
    gx, gy = np.meshgrid(ex, ey)
    mx = np.concatenate([mx, gx.ravel(), rng.choice(ex, n)])
    my = np.concatenate([my, gy.ravel(), rng.uniform(-2, h + 1, n).astype(np.float32)])
    assert np.array_equal(flow.sample(mx, my), _sample(dense, mx, my))
    whole = BoxedFlow.of(dense)
    assert whole.whole and np.array_equal(whole.sample(mx, my), _sample(dense, mx, my))
    assert np.array_equal(whole.at(ys, xs), dense)


def test_the_flow_cache_at_a_smaller_flow_resolution_is_the_store_s_flow_smoothed():
    rng = np.random.default_rng(12)
    base = cv2.GaussianBlur((rng.random((120, 200, 3)) * 255).astype(np.uint8), (0, 0), 2)
    frames, masks = [], []
    for i in range(3):
        frames.append(np.roll(base, (i, 3 * i), axis=(0, 1)))
        m = np.zeros((120, 200), bool)
        for _ in range(4):  # some close enough for their quarter-grid boxes to overlap
            y, x = int(rng.integers(0, 112)), int(rng.integers(0, 190))
            m[y: y + int(rng.integers(2, 8)), x: x + int(rng.integers(2, 10))] = True
        m[60:64, 100:104] = m[60:64, 118:121] = True
        masks.append(m)
    store, cache = _store_and_cache(frames, masks, (200, 120), max_side=100, margin=6)
    for i, j in ((0, 1), (1, 0), (2, 1), (0, 2)):
        boxes = cache.boxes(i, j)
        assert boxes is not None
        assert np.array_equal(cache._raw_flow(i, j).dense(), store.flow(i, j, (200, 120)))
        own, other = cache._grown(i), cache._grown(j)
        bad = own | _splat(other, cache._own_smoothed(j, i).dense())
        plain = smooth_over(store.flow(i, j, (200, 120)), bad, boxes=boxes)
        assert np.array_equal(cache.get(i, j).dense(), plain)


def _boxes_from_picture(rects, h, w, min_side):
    """The flow store's boxes as they were made: the rectangles painted into a picture, its
    8-connected components' boxes, grown to ``min_side`` and joined."""
    near = np.zeros((h, w), np.uint8)
    for y0, y1, x0, x1 in rects:
        near[y0:y1, x0:x1] = 1
    _, _, stats, _ = cv2.connectedComponentsWithStats(near, connectivity=8)
    return _joined([_at_least((int(y), int(y + bh), int(x), int(x + bw)), h, w, min_side)
                    for x, y, bw, bh, _ in stats[1:]])


def test_the_flow_store_s_boxes_from_rectangles_are_those_of_their_picture():
    rng = np.random.default_rng(14)
    h, w = 90, 130
    # touching at a side, at a corner only, one pixel apart (not joined), chained, nested
    fixed = [(10, 20, 10, 20), (20, 25, 20, 30), (30, 40, 0, 5), (41, 50, 6, 9), (0, 90, 60, 61),
             (5, 8, 62, 70), (60, 70, 100, 130), (62, 64, 102, 104)]
    assert _disjoint_boxes(fixed, h, w, 1) == _boxes_from_picture(fixed, h, w, 1)
    for trial in range(300):
        rects = []
        for _ in range(int(rng.integers(1, 25))):
            y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
            rects.append((y0, min(h, y0 + int(rng.integers(1, 15))), x0, min(w, x0 + int(rng.integers(1, 15)))))
        min_side = int(rng.integers(1, 20))
        assert _disjoint_boxes(rects, h, w, min_side) == _boxes_from_picture(rects, h, w, min_side), trial
    assert _disjoint_boxes([], h, w, 5) == []


def test_the_flow_pictures_are_the_plain_inpainted_luma_codes():
    rng = np.random.default_rng(8)
    frame = cv2.GaussianBlur((rng.random((90, 140, 3)) * 255).astype(np.uint8), (0, 0), 1.5)
    mask = np.zeros((90, 140), bool)
    mask[10:14, 20:26] = mask[60:75, 100:102] = mask[0:2, 0:3] = True
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8))
    assert np.array_equal(_dilated5(mask), grown)
    luma = to_luma(frame)
    assert np.array_equal(_to_u8(luma), np.clip(luma * 255.0 + 0.5, 0, 255).astype(np.uint8))
    plain8 = cv2.inpaint(_to_u8(luma), grown, INPAINT_RADIUS, cv2.INPAINT_TELEA)
    for side, size in ((140, None), (70, (70, 45))):
        store = FlowStore(max_side=side)
        store.add(0, frame, mask)
        plain = plain8.astype(np.float32) / 255.0
        if size is not None:
            plain = cv2.resize(plain, size, interpolation=cv2.INTER_AREA)
        assert np.array_equal(store._picture(0), _to_u8(plain))


def test_the_generative_fill_s_warped_start_reads_a_boxed_flow_as_its_whole_frame_array():

    rng = np.random.default_rng(16)
    h, w = 60, 80
    flow = BoxedFlow.around((h, w), [(8, 24, 12, 40), (40, 60, 60, 80)])
    for d in flow.data:
        d[...] = rng.standard_normal(d.shape).astype(np.float32) * 3
    image = rng.random((h, w, 3)).astype(np.float32)
    for window in ((0, 30, 0, 50), (35, 60, 50, 80), (20, 45, 30, 70)):
        y0, y1, x0, x1 = window
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        f = flow.dense()[y0:y1, x0:x1]
        plain = cv2.remap(image, xs + f[..., 0], ys + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        assert np.array_equal(_warp_window(image, flow, window), plain)
        assert np.array_equal(_warp_window(image, BoxedFlow.of(flow.dense()), window), plain)
