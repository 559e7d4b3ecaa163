"""The temporal fill's fast paths give what the plain computations give."""

from __future__ import annotations

import warnings

import cv2
import numpy as np

from restoration_core.detect.flow import to_luma
from restoration_core.restore import safety
from restoration_core.restore.pipeline import LumaCrops
from restoration_core.restore.temporal import _valid_median, flow_side, smooth_over


def _dense_smooth_over(flow: np.ndarray, bad: np.ndarray, sigma: float = 6.0) -> np.ndarray:
    """The whole-frame version: blur at quarter resolution, scale back up, replace the bad pixels."""
    weight = (~bad).astype(np.float32)
    h, w = bad.shape
    small = (max(1, w // 4), max(1, h // 4))
    num = cv2.resize(cv2.GaussianBlur(cv2.resize(flow * weight[..., None], small, interpolation=cv2.INTER_AREA),
                                      (0, 0), sigma / 4), (w, h), interpolation=cv2.INTER_LINEAR)
    den = cv2.resize(cv2.GaussianBlur(cv2.resize(weight, small, interpolation=cv2.INTER_AREA),
                                      (0, 0), sigma / 4), (w, h), interpolation=cv2.INTER_LINEAR)
    out = flow.copy()
    ok = bad & (den > 1e-3)
    out[ok] = num[ok] / den[ok][:, None]
    return out


def test_smooth_over_changes_only_the_bad_pixels_as_the_whole_frame_blur_does():
    rng = np.random.default_rng(2)
    flow = rng.normal(size=(90, 160, 2)).astype(np.float32)
    bad = np.zeros((90, 160), bool)
    bad[20:35, 40:70] = True
    bad[60:64, 100:150] = True
    got = smooth_over(flow, bad)
    assert np.array_equal(got[~bad], flow[~bad])
    # read back bilinearly on the bad pixels instead of scaling the whole blur up: within a hair
    assert np.abs(got - _dense_smooth_over(flow, bad)).max() < 0.02
    assert np.abs(got[bad]).mean() < 0.5 * np.abs(flow[bad]).mean()  # the noise there is smoothed away
    assert smooth_over(flow, np.zeros_like(bad)) is flow


def test_valid_median_is_nanmedian_of_the_valid_candidates():
    rng = np.random.default_rng(3)
    for k in (1, 2, 3, 6):
        cands = rng.random((k, 400, 3)).astype(np.float32)
        valid = rng.random((k, 400)) < 0.6
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            want = np.nanmedian(np.where(valid[..., None], cands, np.nan), axis=0)
        got = _valid_median(cands, valid, valid.sum(axis=0))
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert np.array_equal(got[~np.isnan(got)], want[~np.isnan(want)])


def test_flow_side_is_the_frame_up_to_960():
    assert flow_side(360, 640) == 640
    assert flow_side(1080, 1920) == 960
    assert flow_side(90, 160) == 160


def test_smooth_over_in_boxes_is_the_whole_frame_smoothing_there_and_zero_elsewhere():
    rng = np.random.default_rng(4)
    flow = rng.normal(size=(180, 240, 2)).astype(np.float32)
    bad = np.zeros((180, 240), bool)
    bad[60:70, 100:112] = True
    box = (22, 110, 61, 150)  # the bad pixels and the blur's reach around them (not on the quarter grid)
    got = smooth_over(flow, bad, boxes=[box])
    want = smooth_over(flow, bad)
    y0, y1, x0, x1 = box
    assert np.allclose(got[bad], want[bad], atol=1e-6)
    inside = np.zeros_like(bad)
    inside[y0:y1, x0:x1] = True
    assert np.array_equal(got[inside & ~bad], flow[inside & ~bad])
    grid = np.zeros_like(bad)
    grid[20:112, 60:152] = True  # the box widened to the quarter-resolution grid
    assert not got[~grid].any()


def test_the_safety_checks_read_luma_crops_as_they_read_the_whole_frames_luma():
    rng = np.random.default_rng(5)
    scan = (cv2.GaussianBlur(rng.random((120, 160, 3)), (0, 0), 2) * 255).astype(np.uint8)
    mask = np.zeros((120, 160), bool)
    mask[30:36, 40:47] = mask[80:90, 100:104] = mask[5:9, 150:158] = True
    scan[mask] = 250  # bright specks with a soft edge
    scan[cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > mask] = 210
    filled = scan.astype(np.float32) / 255.0
    filled[mask] = rng.random((int(mask.sum()), 3))  # a fill that does not fit
    grown = safety.grown(LumaCrops(scan), mask, 0, 3)
    assert np.array_equal(grown, safety.grown(to_luma(scan), mask, 0, 3)) and grown.sum() > mask.sum()
    held = safety.mismatched_regions(LumaCrops(scan), LumaCrops(filled), grown, grown)
    assert np.array_equal(held, safety.mismatched_regions(to_luma(scan), to_luma(filled), grown, grown))
