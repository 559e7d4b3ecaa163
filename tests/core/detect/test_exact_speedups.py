"""Detection's speed-ups give exactly the values of the plain computations they replace."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.detect import DetectSettings, detect_reel, dust, motion, pipeline
from restoration_core.detect.flow import flow_maps, out_of_frame, warp
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


# --- the temporal test: the plain computations as they were (0757200), for comparison


def _plain_motion_boundaries(flow, jump=0.5, reach=9):
    mag = np.zeros(flow.shape[:2], np.float32)
    for c in range(2):
        gx = cv2.Sobel(flow[..., c], cv2.CV_32F, 1, 0, ksize=3) * 0.125
        gy = cv2.Sobel(flow[..., c], cv2.CV_32F, 0, 1, ksize=3) * 0.125
        mag += gx * gx + gy * gy
    edge = (np.sqrt(mag) > jump).astype(np.uint8)
    return cv2.dilate(edge, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))) > 0


def _plain_rank_order(cur, wa, wb, sigma, near=None, boundary=None):
    hi = np.maximum(wa, wb)
    lo = np.minimum(wa, wb)
    if near is not None:
        k3 = np.ones((3, 3), np.uint8)
        hi = np.maximum(hi, cv2.dilate(np.maximum(*near), k3))
        lo = np.minimum(lo, cv2.erode(np.minimum(*near), k3))
    above = cur - hi
    below = lo - cur
    signed = np.where(above > 0, above, np.where(below > 0, -below, 0.0)).astype(np.float32)
    mean = 0.5 * (wa + wb)
    k3 = np.ones((3, 3), np.uint8)
    texture = cv2.dilate(cv2.dilate(mean, k3) - cv2.erode(mean, k3), k3)
    mismatch = cv2.dilate(np.abs(wa - wb), np.ones((3, 3), np.uint8))
    unit = sigma + dust.TEXTURE_WEIGHT * texture + dust.MISMATCH_WEIGHT * mismatch
    if boundary is not None:
        unit = np.where(boundary, unit * dust.BOUNDARY_FACTOR, unit)
    z = np.abs(signed) / unit
    return dust.Outliers(signed, z.astype(np.float32))


def _plain_warp(image, flow, nearest=False):
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], interp, borderMode=cv2.BORDER_REPLICATE)


def _plain_out_of_frame(flow):
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x, y = xs + flow[..., 0], ys + flow[..., 1]
    return (x < 0) | (x > w - 1) | (y < 0) | (y > h - 1)


def _flow_field(rng, h, w):
    """A smooth flow with a few sharp motion boundaries and pixels pointing out of the frame."""
    small = rng.normal(0.0, 3.0, (h // 16 + 2, w // 16 + 2, 2)).astype(np.float32)
    flow = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    flow[h // 3 : h // 2, w // 4 : w // 2] += np.float32([6.0, -4.0])  # a moving block
    flow[:, :4, 0] -= 5.0
    return np.ascontiguousarray(flow)


@pytest.mark.parametrize("seed", range(3))
def test_the_temporal_test_s_pieces_equal_the_plain_computations(seed):
    rng = np.random.default_rng(seed)
    h, w = 90 + 7 * seed, 130 + 11 * seed
    fa, fb = _flow_field(rng, h, w), _flow_field(rng, h, w)
    for jump in (0.5, 1.0):
        np.testing.assert_array_equal(
            dust.motion_boundaries(fa, jump, other=fb),
            _plain_motion_boundaries(fa, jump) | _plain_motion_boundaries(fb, jump),
        )
        np.testing.assert_array_equal(dust.motion_boundaries(fa, jump), _plain_motion_boundaries(fa, jump))
    ref = rng.random((h, w)).astype(np.float32)
    maps = flow_maps(fa)
    for nearest in (False, True):
        np.testing.assert_array_equal(warp(ref, fa, nearest=nearest, maps=maps), _plain_warp(ref, fa, nearest))
    np.testing.assert_array_equal(out_of_frame(fa, maps), _plain_out_of_frame(fa))
    cur, wa, wb = (rng.random((h, w)).astype(np.float32) for _ in range(3))
    near = (rng.random((h, w)).astype(np.float32), rng.random((h, w)).astype(np.float32))
    boundary = rng.random((h, w)) > 0.7
    for args in ((None, None), (near, None), (near, boundary)):
        got, want = dust.rank_order(cur, wa, wb, 0.01, *args), _plain_rank_order(cur, wa, wb, 0.01, *args)
        assert got.signed.dtype == got.z.dtype == np.float32
        np.testing.assert_array_equal(got.signed, want.signed)
        np.testing.assert_array_equal(got.z, want.z)


def test_the_temporal_test_detects_as_with_the_plain_computations(monkeypatch):
    frames = _limb_with_specks()
    fast = _detections([f.copy() for f in frames])
    monkeypatch.setattr(dust, "motion_boundaries", lambda f, jump=0.5, reach=9, other=None: (
        _plain_motion_boundaries(f, jump, reach) | (False if other is None else _plain_motion_boundaries(other, jump, reach))))
    monkeypatch.setattr(dust, "rank_order", _plain_rank_order)
    monkeypatch.setattr(dust, "warp", lambda image, flow, nearest=False, maps=None: _plain_warp(image, flow, nearest))
    monkeypatch.setattr(dust, "out_of_frame", lambda flow, maps=None: _plain_out_of_frame(flow))
    _assert_same(fast, _detections([f.copy() for f in frames]))


# --- motion protection's relative motion, as it was (0757200)


def _plain_relative_motion(flow):
    rel = flow - np.median(flow[::4, ::4].reshape(-1, 2), axis=0)
    return np.hypot(rel[..., 0], rel[..., 1])


@pytest.mark.parametrize("seed", range(3))
def test_motion_protection_s_relative_motion_equals_the_plain_computation(seed):
    rng = np.random.default_rng(seed)
    h, w = 100 + 9 * seed, 140 + 13 * seed
    flow = _flow_field(rng, h, w)
    other = _flow_field(rng, h, w)
    for f in (flow, other):
        np.testing.assert_array_equal(motion.relative_motion(f), _plain_relative_motion(f))
    np.testing.assert_array_equal(
        motion.moving_pixels([flow, other], 1.5),
        motion.moving_pixels([flow, other], 1.5, np.max([_plain_relative_motion(f) for f in (flow, other)], axis=0)),
    )


def test_motion_protection_detects_as_with_its_plain_relative_motion(monkeypatch):
    frames = _limb_with_specks()
    fast = _detections([f.copy() for f in frames])
    monkeypatch.setattr(motion, "relative_motion", _plain_relative_motion)
    monkeypatch.setattr(motion, "_largest", lambda arrays: np.max(arrays, axis=0))
    _assert_same(fast, _detections([f.copy() for f in frames]))


def test_a_clip_end_smooths_its_two_flows_once_and_detects_as_when_smoothing_again(monkeypatch):

    frames = _limb_with_specks()
    smoothed = []
    real_smooth = dust.smooth_flow

    def counted(flow):
        smoothed.append(flow)
        return real_smooth(flow)

    monkeypatch.setattr(dust, "smooth_flow", counted)
    monkeypatch.setattr(pipeline, "smooth_flow", counted)
    fast = _detections([f.copy() for f in frames])
    fast_count = len(smoothed)
    real_outliers = dust.temporal_outliers
    monkeypatch.setattr(pipeline, "temporal_outliers", lambda *a: real_outliers(*a[:7]))  # smoothed dropped
    smoothed.clear()
    _assert_same(fast, _detections([f.copy() for f in frames]))
    # the two clip ends (frames 0 and 6) each smoothed their two reference flows twice before
    assert len(smoothed) - fast_count == 4
