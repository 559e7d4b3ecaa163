"""Uncovered background: picture a moving object has just uncovered is seen on one side in time only.

The frame before shows the object there, the frames after show the background in place, so the
background is an outlier against the aligned neighbours and looked like dust (the sample reel's
frame 1: the building's dark window ticks just behind the moving disc's trailing edge)."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from restoration_core.detect import DetectSettings, detect_reel
from restoration_core.sample import render_sample
from tests.core.detect.scenes import ArrayReel, uncover_clip


def _detect(frames, **kw):
    return [p.payload for p in detect_reel(ArrayReel(frames), DetectSettings(**kw))]


def _far_regions(mask: np.ndarray, truth: np.ndarray, px: float = 4.0) -> list[tuple[int, ...]]:
    """Regions of ``mask`` farther than ``px`` from every ``truth`` pixel (x, y, w, h, area)."""
    dist = cv2.distanceTransform((~truth).astype(np.uint8), cv2.DIST_L2, 3)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return [tuple(int(v) for v in stats[k]) for k in range(1, n) if dist[labels == k].min() > px]


@pytest.fixture(scope="module")
def sample_start():
    # the first frames of the 24-frame sample reel the GUI opens (the same pictures: the
    # generator draws frame by frame)
    return list(itertools.islice(render_sample(frames=24, size=(640, 360), seed=0), 5))


def test_the_background_the_disc_uncovers_at_the_sample_reels_start_is_not_dust(sample_start):
    frames = [f[0] for f in sample_start]
    truth = [f[2] for f in sample_start]
    dets = _detect(frames)
    far = {d.index: _far_regions(d.mask, t) for d, t in zip(dets[:3], truth[:3], strict=True)}
    assert not any(far.values()), f"false regions: {far}"
    # the sample's own specks on those frames are still found
    for d, t in zip(dets[:3], truth[:3], strict=True):
        n, labels = cv2.connectedComponents(t.astype(np.uint8), connectivity=8)
        found = sum(bool(d.mask[labels == k].any()) for k in range(1, n))
        assert found >= n - 2, f"frame {d.index}: {found} of {n - 1} specks found"


@pytest.mark.parametrize("centre", [(78, 230), (60, 240)])
def test_a_speck_on_the_wall_behind_the_disc_is_still_found(sample_start, centre):
    frames = [f[0].copy() for f in sample_start]
    yy, xx = np.mgrid[0:360, 0:640]
    speck = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 <= 5
    frames[1][speck] = 15
    dets = _detect(frames)
    assert (dets[1].mask & speck).sum() >= 0.8 * speck.sum()


def test_the_ticks_a_fast_disc_uncovers_inside_a_clip_are_not_dust():
    dets = _detect(uncover_clip(), scratches=False)
    flagged = [(d.index, int(d.mask.sum())) for d in dets if d.mask.any()]
    assert not flagged, f"uncovered background flagged: {flagged}"
