"""The temporal fill's fast paths give what the plain computations give."""

from __future__ import annotations

import warnings

import cv2
import numpy as np

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
