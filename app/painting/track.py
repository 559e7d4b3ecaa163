"""Track along motion: carry a painted mask from frame to frame with the engine's optical flow."""

from __future__ import annotations

import numpy as np

from app import engine


def track_task(start: int, count: int, mask: np.ndarray, frames: int):
    """A reel task (runs on the analysis thread) returning {frame: warped mask}.

    Flow is estimated from each new frame (ref) to the previous one (other), so
    ``warp(previous_mask, flow)`` puts the mask where that content moved.
    """
    step = 1 if count > 0 else -1
    stop = max(-1, min(frames, start + count + step))

    def run(reel) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        prev = reel.read(start).data
        carried = mask.astype(np.float32)
        for f in range(start + step, stop, step):
            cur = reel.read(f).data
            flow = engine.estimate_flow(cur, prev)
            carried = engine.warp(carried, flow)
            m = carried >= 0.5
            if not m.any():
                break
            out[f] = m
            carried = m.astype(np.float32)
            prev = cur
        return out

    return run
