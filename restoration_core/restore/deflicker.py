"""Deflicker: per-frame brightness/contrast correction that never smooths across a scene cut.

Each frame is summarised by luma quantiles (the same statistic detection uses) and a
histogram of its *normalised* luma (quantile-centred and -scaled, so flicker alone does not
look like a cut). A cut lies between two frames whose normalised histograms differ by more
than ``cut_threshold`` (half the L1 distance, 0..1). The correction of frame ``i`` is
``(gain, offset)`` with ``gain * value + offset`` applied to every channel (0..1 units); it
maps the frame's quantiles onto their median over the frames of the same shot within
``radius``. A curve measured by detection is used as given except near a cut, where it is
re-measured within the shot.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass

import numpy as np

from restoration_core.detect.flicker import MIN_SPREAD, QUANTILES
from restoration_core.detect.flow import to_luma
from restoration_core.progress import CancelToken, Progress

BINS = 32


@dataclass
class FrameStats:
    quantiles: np.ndarray
    histogram: np.ndarray  # normalised luma histogram (sums to 1)


def frame_stats(data: np.ndarray) -> FrameStats:
    luma = to_luma(data[::4, ::4])
    q = np.quantile(luma, QUANTILES).astype(np.float64)
    lo, hi = np.quantile(luma, (0.05, 0.95))
    norm = (luma - lo) / max(float(hi - lo), 1e-3)
    hist, _ = np.histogram(norm, bins=BINS, range=(-0.5, 1.5))
    return FrameStats(q, hist / max(1, hist.sum()))


def gain_offset(own: np.ndarray, window: list[np.ndarray]) -> tuple[float, float]:
    """Fit ``gain * own + offset ~ reference``; the reference is the per-quantile mean of the
    window without its brightest and darkest frame (robust to a flash, unbiased for flicker
    that alternates, where a median would jump between the two levels)."""
    stack = np.sort(np.stack(window), axis=0)
    ref = stack[1:-1].mean(axis=0) if len(window) >= 5 else stack.mean(axis=0)
    if float(own[-1] - own[0]) < MIN_SPREAD or float(ref[-1] - ref[0]) < MIN_SPREAD:
        return 1.0, float(np.mean(ref - own))
    gain, offset = np.polyfit(own, ref, 1)
    return float(gain), float(offset)


def find_cuts(stats: list[FrameStats], threshold: float) -> list[int]:
    """Positions k (1..n-1) where a new shot starts at ``stats[k]``."""
    cuts = []
    for k in range(1, len(stats)):
        diff = 0.5 * float(np.abs(stats[k].histogram - stats[k - 1].histogram).sum())
        mean_jump = abs(float(stats[k].quantiles[3] - stats[k - 1].quantiles[3]))
        if diff > threshold or (diff > threshold / 2 and mean_jump > 0.25):
            cuts.append(k)
    return cuts


def correction_curve(
    stats: list[FrameStats],
    radius: int,
    threshold: float,
    given: list[tuple[float, float] | None] | None = None,
    cuts: Iterable[int] = (),
) -> list[tuple[float, float]]:
    """(gain, offset) per frame; ``given`` entries are used where no cut lies within ``radius``.

    ``cuts`` (positions 1..n-1, as :func:`find_cuts` gives) are shot starts known beforehand
    (splices, scene cuts from the frame scan), joined to the histogram's own."""
    n = len(stats)
    cuts = sorted(set(find_cuts(stats, threshold)) | {int(c) for c in cuts if 0 < int(c) < n})
    starts = [0, *cuts]
    ends = [*cuts, n]
    shot = np.zeros(n, int)
    for s_i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        shot[s:e] = s_i
    out = []
    for i in range(n):
        s, e = starts[shot[i]], ends[shot[i]]
        lo, hi = max(s, i - radius), min(e, i + radius + 1)
        near_cut = (i - radius < s and s > 0) or (i + radius + 1 > e and e < n)
        if given is not None and given[i] is not None and not near_cut:
            out.append((float(given[i][0]), float(given[i][1])))
            continue
        if hi - lo < 2:
            out.append((1.0, 0.0))
            continue
        out.append(gain_offset(stats[i].quantiles, [stats[k].quantiles for k in range(lo, hi)]))
    return out


def measure(
    frames: Iterable[np.ndarray],
    count: int,
    radius: int,
    threshold: float,
    given: list[tuple[float, float] | None] | None = None,
    cancel: CancelToken | None = None,
    cuts: Iterable[int] = (),
) -> Generator[Progress, None, list[tuple[float, float]]]:
    """Pre-pass over the frames (statistics only are kept); returns the correction curve
    (``cuts``: known shot starts, 0-based within ``frames``)."""
    stats = []
    for k, data in enumerate(frames):
        if cancel is not None:
            cancel.check()
        stats.append(frame_stats(data))
        yield Progress(k + 1, count, "deflicker", None, "measuring flicker")
    return correction_curve(stats, radius, threshold, given, cuts)


def apply(data: np.ndarray, gain: float, offset: float) -> np.ndarray:
    """``gain * value + offset`` on every channel, same dtype, rounded and clipped."""
    if abs(gain - 1.0) < 1e-6 and abs(offset) < 1e-7:
        return data
    maxv = 65535.0 if data.dtype == np.uint16 else 255.0
    out = data.astype(np.float32) * np.float32(gain) + np.float32(offset * maxv)
    return np.clip(out + 0.5, 0, maxv).astype(data.dtype)
