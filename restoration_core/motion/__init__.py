"""Global motion and stabilization: per-frame similarity motion, camera trajectories per shot,
and the corrections that take gate weave and jitter out while keeping intended camera moves.

Public API: :func:`estimate_motion` / :class:`Motion`, :func:`plan_stabilization` (a
cancellable pre-pass) / :class:`StabilizationPlan`, :class:`StabilizedReel` (a reel serving
corrected frames), :func:`stabilize_frame`, :func:`resample`, :func:`warp_mask` (a source mask in the corrected frame), and the similarity helpers.
"""

from restoration_core.motion.estimate import Motion, estimate_motion, similarity, similarity_params, to_image
from restoration_core.motion.stabilize import (
    StabilizationPlan,
    StabilizedReel,
    build_plan,
    measure_motion,
    plan_stabilization,
    resample,
    stabilize_frame,
    warp_mask,
)

__all__ = [
    "Motion",
    "StabilizationPlan",
    "StabilizedReel",
    "build_plan",
    "estimate_motion",
    "measure_motion",
    "plan_stabilization",
    "resample",
    "similarity",
    "similarity_params",
    "stabilize_frame",
    "to_image",
    "warp_mask",
]
