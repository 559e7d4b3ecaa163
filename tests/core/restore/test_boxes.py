"""The box-limited mask helpers give exactly what their whole-frame OpenCV/numpy calls give."""

import cv2
import numpy as np
import pytest

from restoration_core.restore import boxes


def _masks():
    rng = np.random.default_rng(7)
    yield np.zeros((40, 60), bool)
    full = np.zeros((40, 60), bool)
    full[0, 0] = full[39, 59] = True  # touching both corners: the box is the frame
    yield full
    for _ in range(6):
        m = np.zeros((90, 120), bool)
        for _ in range(int(rng.integers(1, 6))):
            y, x = int(rng.integers(0, 90)), int(rng.integers(0, 120))
            m[y: y + int(rng.integers(1, 12)), x: x + int(rng.integers(1, 9))] = True
        yield m


@pytest.mark.parametrize("mask", list(_masks()))
def test_components_nonzero_dilated_match_the_whole_frame(mask):
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    bn, blabels, bstats = boxes.components(mask)
    assert bn == n
    assert np.array_equal(blabels, labels)
    assert np.array_equal(bstats[1:], stats[1:])
    ys, xs = np.nonzero(mask)
    bys, bxs = boxes.nonzero(mask)
    assert np.array_equal(bys, ys) and np.array_equal(bxs, xs)
    for kernel in (np.ones((3, 3), np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (13, 13))):
        assert np.array_equal(boxes.dilated(mask, kernel), cv2.dilate(mask.astype(np.uint8), kernel) > 0)


def test_box_of_grows_inside_the_frame():
    m = np.zeros((20, 30), bool)
    assert boxes.box_of(m) is None
    m[5:7, 2:4] = True
    assert boxes.box_of(m) == (5, 7, 2, 4)
    assert boxes.box_of(m, 3) == (2, 10, 0, 7)
