"""metrics.quality: PSNR, SSIM (with masks) and warping error."""

from __future__ import annotations

import numpy as np

from restoration_core.metrics.quality import psnr, ssim, warping_error
from tests.core.restore.helpers import PanReel, scene


def test_psnr_known_values_and_mask():
    a = np.full((10, 10, 3), 100, np.uint8)
    b = a.copy()
    assert psnr(a, b) == float("inf")
    b[:5] += 10
    mask = np.zeros((10, 10), bool)
    mask[:5] = True
    expected = 10 * np.log10(1 / (10 / 255) ** 2)
    assert abs(psnr(a, b, mask) - expected) < 1e-3
    assert abs(psnr(a, b) - (expected + 10 * np.log10(2))) < 1e-3
    assert psnr(a.astype(np.uint16) * 257, b.astype(np.uint16) * 257, mask) == psnr(a, b, mask)


def test_ssim_identity_noise_and_mask():
    img = scene(48, 64, seed=2)
    assert abs(ssim(img, img) - 1.0) < 1e-9
    noisy = img.copy()
    noisy[:, :32] += np.random.default_rng(0).normal(0, 0.1, noisy[:, :32].shape).astype(np.float32)
    left = np.zeros((48, 64), bool)
    left[:, :24] = True
    right = np.zeros((48, 64), bool)
    right[:, 40:] = True
    assert ssim(img, noisy, left) < 0.8 < ssim(img, noisy, right)


def test_warping_error_is_low_for_coherent_motion_and_grows_with_temporal_noise():
    reel = PanReel(n=5, h=64, w=96, dx=2)
    clean = [reel.clean(i) for i in range(5)]
    rng = np.random.default_rng(1)
    noisy = [np.clip(c.astype(int) + rng.integers(-20, 21, c.shape), 0, 255).astype(np.uint8) for c in clean]
    e_clean = warping_error(clean)
    e_noisy = warping_error(noisy, reference=clean)
    assert e_clean < 2e-4 and e_noisy > 5 * e_clean
