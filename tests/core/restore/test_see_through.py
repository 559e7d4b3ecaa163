"""The line-scratch fill keeps the picture seen through a semi-transparent scratch."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.restore import linefill
from restoration_core.restore.linefill import fill_lines


def _texture(h: int, w: int, seed: int = 7) -> np.ndarray:
    """A textured picture (blobs of two sizes) with a little grain, 0..1."""
    rng = np.random.default_rng(seed)
    pic = np.zeros((h, w), np.float32)
    for sigma, amp in ((6.0, 0.5), (2.0, 0.35)):
        layer = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), sigma)
        pic += amp * (layer - layer.mean()) / (layer.std() + 1e-6) * 0.25
    pic = 0.5 + pic + rng.normal(0, 0.006, (h, w)).astype(np.float32)
    return np.clip(pic, 0.05, 0.95)


def _scratched(clean: np.ndarray, width: float, opacity: float, bright: bool = True, drift: float = 1.5):
    """``clean`` (HxW) under a Gaussian-profile line scratch blended towards white (or black),
    ``opacity`` at its centre varying along it by +-15%, drifting ``drift`` px over the frame
    (so the mask edge moves by whole pixels): damaged HxWx3 (8-bit levels), exact mask."""
    h, w = clean.shape
    ys = np.arange(h, dtype=np.float32)[:, None]
    cx = 0.5 * w + drift * ys / h
    sigma = width / 2.355
    along = 0.85 + 0.15 * np.sin(ys / 17.0)
    a = opacity * along * np.exp(-0.5 * ((np.arange(w)[None, :] - cx) / sigma) ** 2)
    level = 1.0 if bright else 0.0
    damaged = np.round((clean * (1 - a) + level * a) * 255) / 255
    mask = (a > 0.3 * opacity) & (np.abs(damaged - clean) >= 0.03)
    rgb = lambda v: np.repeat(v.astype(np.float32)[..., None], 3, axis=2)  # noqa: E731
    return rgb(clean), rgb(damaged), mask


def _interpolated(damaged: np.ndarray, mask: np.ndarray, monkeypatch) -> np.ndarray:
    """The fill as it was before the see-through step (interpolation across the gap only)."""
    with monkeypatch.context() as m:
        m.setattr(linefill, "_see_through", lambda *a: a[7])
        return fill_lines(damaged, mask)


def _rms(out: np.ndarray, clean: np.ndarray, sel: np.ndarray) -> float:
    return float(np.sqrt(np.mean((out[sel] - clean[sel]) ** 2)))


def test_a_semi_transparent_scratch_is_seen_through_not_interpolated(monkeypatch):
    # 2, 3 and 4 px, bright and dark, still and drifting 1.5 px down the frame (its mask's
    # edge moving by whole pixels): the picture under the line comes back, clearly better
    # than the interpolation across it (and Telea) over all of them, and no case worse
    sq = {"ours": 0.0, "interp": 0.0, "telea": 0.0}
    for width, bright in ((2.0, True), (3.0, False), (4.0, True)):
        for drift in (0.0, 1.5):
            clean, damaged, mask = _scratched(_texture(240, 64), width, 0.5, bright, drift)
            out = fill_lines(damaged, mask)
            interp = _interpolated(damaged, mask, monkeypatch)
            u8 = np.clip(damaged * 255 + 0.5, 0, 255).astype(np.uint8)
            telea = cv2.inpaint(u8, mask.astype(np.uint8), 3, cv2.INPAINT_TELEA).astype(np.float32) / 255
            errs = {k: _rms(v, clean, mask) for k, v in (("ours", out), ("interp", interp), ("telea", telea))}
            assert errs["ours"] < errs["interp"], (width, bright, drift, errs)
            assert np.array_equal(out[~mask], damaged[~mask])
            for k in sq:
                sq[k] += errs[k] ** 2
    assert sq["ours"] < 0.7 * sq["interp"], sq  # at least 1.5 dB better than the interpolation
    assert sq["ours"] < 0.6 * sq["telea"], sq


def test_an_opaque_scratch_is_filled_as_before(monkeypatch):
    clean, damaged, mask = _scratched(_texture(240, 64), 3.0, 1.0)
    damaged[mask] = 1.0  # nothing of the picture is seen through it
    out = fill_lines(damaged, mask)
    interp = _interpolated(damaged, mask, monkeypatch)
    assert _rms(out, clean, mask) <= _rms(interp, clean, mask) + 1e-6
    assert np.array_equal(out[~mask], damaged[~mask])


@pytest.mark.parametrize("bright", [True, False])
def test_a_scratch_over_a_lit_edge_is_not_made_worse(bright, monkeypatch):
    # a lit edge (a bright 2 px line on a dark wall, a window frame) runs down under the
    # scratch's right half and ends in a highlight; the undone pixels must not make a
    # brighter or darker streak than the interpolation's
    h, w = 240, 64
    pic = np.full((h, w), 0.3, np.float32)
    pic[:, w // 2 + 1 : w // 2 + 3] = 0.8
    pic[100:140, w // 2 - 3 : w // 2 + 4] = 0.97
    pic = cv2.GaussianBlur(pic, (0, 0), 0.7)
    pic += np.random.default_rng(2).normal(0, 0.004, pic.shape).astype(np.float32)
    clean, damaged, mask = _scratched(np.clip(pic, 0, 1), 3.0, 0.5, bright, drift=0.0)
    out = fill_lines(damaged, mask)
    interp = _interpolated(damaged, mask, monkeypatch)
    assert _rms(out, clean, mask) <= _rms(interp, clean, mask) * 1.02 + 1e-4
    cols = np.nonzero(mask.any(axis=0))[0]

    def streak(v: np.ndarray) -> float:  # the worst column of the row-mean profile across it
        diff = (v - clean).mean(axis=2)
        return float(np.abs([diff[mask[:, c], c].mean() for c in cols]).max() * 255)

    assert streak(out) <= streak(interp) + 0.5, (streak(out), streak(interp))


def test_a_short_line_is_not_seen_through(monkeypatch):
    # a short hair or scratch (too short to measure its blend on) keeps the interpolation
    clean, damaged, mask = _scratched(_texture(240, 64), 2.0, 0.5)
    mask[:100] = False
    mask[100 + linefill.SEE_ROWS - 10:] = False
    out = fill_lines(damaged, mask)
    interp = _interpolated(damaged, mask, monkeypatch)
    assert np.array_equal(out, interp)


def test_pixels_near_other_damage_are_not_seen_through(monkeypatch):
    clean, damaged, mask = _scratched(_texture(240, 64), 3.0, 0.5)
    other = np.zeros(mask.shape, bool)
    other[120:130, 36:42] = True  # a speck beside the line (its halo may cross it)
    out = fill_lines(damaged, mask, damage=mask | other)
    interp = _interpolated(damaged, mask, monkeypatch)
    near = np.zeros(mask.shape, bool)
    near[118:132, 33:45] = True  # within 2 rows and 3 columns of it
    near &= mask
    assert near.any() and np.array_equal(out[near], interp[near])
    assert not np.array_equal(out[mask & ~near], interp[mask & ~near])
