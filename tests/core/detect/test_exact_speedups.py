"""Detection's speed-ups give exactly the values of the plain computations they replace."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.detect import DetectSettings, detect_reel, motion
from restoration_core.detect.motion import disc_extreme
from tests.core.detect.scenes import ArrayReel, limb_clip


def _plain_disc_extreme(src, radius, y, x, h, w, high):
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return (cv2.dilate if high else cv2.erode)(src, k)[y : y + h, x : x + w]


@pytest.mark.parametrize("seed", range(4))
def test_the_disc_max_and_min_in_rows_equal_opencv_s_ellipse_dilate_and_erode(seed):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        r = int(rng.integers(1, 50))
        sh, sw = (int(v) for v in rng.integers(1, 140, 2))
        src = rng.random((sh, sw)).astype(np.float32)
        y, x = int(rng.integers(0, sh)), int(rng.integers(0, sw))  # crops at and away from the borders
        h, w = int(rng.integers(1, sh - y + 1)), int(rng.integers(1, sw - x + 1))
        for high in (True, False):
            got = disc_extreme(src[:, :], r, y, x, h, w, high)
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, _plain_disc_extreme(src, r, y, x, h, w, high))


def _limb_with_specks() -> list[np.ndarray]:
    frames = limb_clip(0.95)
    for t, f in enumerate(frames):
        m = np.zeros(f.shape[:2], np.uint8)
        cv2.circle(m, (20 + 20 * (t % 3), 20 + 5 * t), 2, 1, -1)
        f[m > 0] = 8
    return frames


def _detections(frames):
    out = []
    for p in detect_reel(ArrayReel(frames), DetectSettings()):
        d = p.payload
        out.append((d.index, d.mask.copy(), [x.to_dict() for x in d.defects], d.flicker))
    return out


def _assert_same(a, b):
    assert len(a) == len(b)
    for (i, ma, da, fa), (j, mb, db, fb) in zip(a, b, strict=True):
        assert i == j and fa == fb and da == db
        np.testing.assert_array_equal(ma, mb)


def test_motion_protection_with_the_disc_in_rows_detects_as_with_opencv_s_ellipse(monkeypatch):
    frames = _limb_with_specks()
    calls = []

    def counted(*args):
        calls.append(args[1])
        return disc_extreme(*args)

    monkeypatch.setattr(motion, "disc_extreme", counted)
    fast = _detections([f.copy() for f in frames])
    assert calls, "the scene never reached the values test of motion protection"
    monkeypatch.setattr(motion, "disc_extreme", _plain_disc_extreme)
    _assert_same(fast, _detections([f.copy() for f in frames]))
