"""Measurements for benchmarks and tests: picture quality and synthetic damage with ground truth.

``quality``: :func:`psnr`, :func:`ssim`, :func:`warping_error`, :func:`harm` (restore engineer).
``damage``: :class:`Damager`, :class:`DamageSettings`, :class:`DamagedFrame`,
:func:`load_artifacts`, :func:`default_artifacts_dir` (detect engineer).
"""

from restoration_core.metrics.damage import (
    DamagedFrame,
    Damager,
    DamageSettings,
    default_artifacts_dir,
    load_artifacts,
)
from restoration_core.metrics.quality import harm, psnr, ssim, warping_error

__all__ = [
    "DamageSettings",
    "DamagedFrame",
    "Damager",
    "default_artifacts_dir",
    "harm",
    "load_artifacts",
    "psnr",
    "ssim",
    "warping_error",
]
