"""Frame rebuild: a missing or destroyed frame interpolated from the nearest good frames.

A run of up to :data:`MAX_RUN` listed frames is rebuilt from the good frame before it and
the good frame after it. Dense flows both ways (``before -> after`` and ``after -> before``)
are splatted forward to the rebuilt frame's moment ``t`` (each source pixel lands where it
is at ``t``; where two land on one pixel, the one whose two ends match in brightness wins
most of the weight), holes are closed from the surrounding motion, both neighbours are
warped onto the new frame (bicubic, float32, full bit depth), and blended with weights
``1 - t`` and ``t``, except where a pixel is occluded in one of them (its flow is not
forward-backward consistent): there the other neighbour alone supplies it. Where the two
warped neighbours still disagree (the flow failed there: fast limbs, motion that is not
linear), the picture leans towards the plain blend of the two (at most half of it).
Where the good frames beyond the two neighbours are there too (same shot, not listed), each
pixel's path is bent towards the cubic through its four positions (the two neighbours and one
frame beyond each): hands that speed up or slow down between the neighbours are not where
steady motion would put them (:data:`BEYOND_SHARE` of the bend, at most :data:`BEYOND_CAP` of
the pixel's motion). With them, a single missing frame's pixels then make a soft choice among five pictures (the
bent path's, the steady path's, either warped neighbour alone, the blend of the two): the ones
nearest to where the frames beyond, extrapolated one step (``before`` moved on by its step in,
``after`` moved back by its step out), put it weigh the most (:func:`choose`).
:class:`RebuiltReel` wraps a reel and serves the listed frames rebuilt, every other frame
as read (bit-exact). :func:`repair_region` applies the same interpolation to one damaged
area of a frame (a tear, a burn) and leaves the rest of the frame bit-exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from restoration_core.defects import FrameMethod, Intervention
from restoration_core.detect.flow import estimate_flow, forward_backward_error, to_luma
from restoration_core.detect.frames import THUMB, FrameSettings, correlation, thumbnail
from restoration_core.errors import InputError
from restoration_core.media.frame import Frame
from restoration_core.restore.composite import composite, feather_alpha

MAX_RUN = 3
TEAR_LEVEL = 0.08  # luma difference from the interpolation that marks a pixel next to a tear as torn too
OCCLUDED_PX = 1.5  # forward-backward error above which a pixel is taken as not visible in the other frame
# where the two motion-compensated predictions disagree (the flow failed there), the picture falls
# back towards the plain blend: by up to FALLBACK_SHARE at a mean disagreement of FALLBACK_LEVEL
FALLBACK_LEVEL = 0.1
FALLBACK_SHARE = 0.5
# each pixel's path bends towards the cubic through its positions in the frames beyond the two
# neighbours by this share of the cubic's correction, at most BEYOND_CAP of its motion (+ 0.5 px)
BEYOND_SHARE = 0.5
BEYOND_CAP = 0.25
# with the frames beyond, each pixel's soft choice among the candidate pictures (:func:`choose`):
# weights exp(-difference / CHOICE_LEVEL) from the extrapolations, over CHOICE_SIGMA px
CHOICE_LEVEL = 0.01
CHOICE_SIGMA = 8.0


@dataclass(frozen=True)
class RebuildRun:
    """Frames ``[start, stop)`` rebuilt from ``before`` and ``after`` (None at a clip edge)."""

    start: int
    stop: int
    before: int | None
    after: int | None
    region: np.ndarray | None = field(default=None, compare=False)  # a tear: only this area is rebuilt
    outer_before: int | None = None  # the good frame before ``before`` (None: the clip's edge or listed)
    outer_after: int | None = None   # the good frame after ``after``

    @property
    def method(self) -> FrameMethod:
        return "interpolation" if self.before is not None and self.after is not None else "repeat"

    def moment(self, index: int) -> float:
        """Where frame ``index`` lies between ``before`` (0) and ``after`` (1)."""
        if self.before is None:
            return 1.0
        if self.after is None:
            return 0.0
        return (index - self.before) / float(self.after - self.before)


def plan_runs(frames: Iterable[int], n: int, max_run: int = MAX_RUN) -> list[RebuildRun]:
    """Group the listed frames into runs with their source frames (InputError for a bad list)."""
    wanted = sorted({int(f) for f in frames})
    if not wanted:
        return []
    if wanted[0] < 0 or wanted[-1] >= n:
        bad = wanted[0] if wanted[0] < 0 else wanted[-1]
        raise InputError(f"frame {bad} to rebuild is outside the reel (0..{n - 1})")
    listed = set(wanted)
    runs, start = [], wanted[0]
    for prev, cur in zip(wanted, [*wanted[1:], None], strict=True):
        if cur is not None and cur == prev + 1:
            continue
        stop = prev + 1
        if stop - start > max_run:
            raise InputError(f"frames {start}:{stop} to rebuild are {stop - start} in a row; "
                             f"at most {max_run} can be rebuilt from their neighbours")
        before = start - 1 if start > 0 else None
        after = stop if stop < n else None
        if before is None and after is None:
            raise InputError("every frame of the reel is listed for rebuild: no good frame to rebuild from")
        outer_before = before - 1 if before is not None and before > 0 and before - 1 not in listed else None
        outer_after = after + 1 if after is not None and after + 1 < n and after + 1 not in listed else None
        runs.append(RebuildRun(start, stop, before, after, outer_before=outer_before, outer_after=outer_after))
        if cur is not None:
            start = cur
    return runs


def _unit(data: np.ndarray) -> np.ndarray:
    return data.astype(np.float32) / (65535.0 if data.dtype == np.uint16 else 255.0)


def _to_dtype(value: np.ndarray, dtype: np.dtype) -> np.ndarray:
    top = 65535.0 if dtype == np.uint16 else 255.0
    return np.clip(value * top + 0.5, 0, top).astype(dtype)


def _splat(flow: np.ndarray, t: float, weight: np.ndarray, values: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Bilinear forward splatting of ``values`` from each pixel p to ``p + t * flow(p)``."""
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    qx, qy = xs + t * flow[..., 0], ys + t * flow[..., 1]
    x0, y0 = np.floor(qx).astype(np.int64), np.floor(qy).astype(np.int64)
    fx, fy = qx - x0, qy - y0
    acc = [np.zeros(h * w, np.float64) for _ in values]
    wsum = np.zeros(h * w, np.float64)
    for dx, dy, wt in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        tx, ty = x0 + dx, y0 + dy
        ok = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)
        idx = (ty * w + tx)[ok]
        ww = (wt * weight)[ok]
        wsum += np.bincount(idx, ww, h * w)
        for a, v in zip(acc, values, strict=True):
            a += np.bincount(idx, ww * v[ok], h * w)
    return [a.reshape(h, w) for a in acc], wsum.reshape(h, w)


def _close_holes(flow: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Normalised convolution: pixels nothing landed on take the weighted motion around them."""
    have = weight > 1e-3
    if have.all():
        return flow
    out = flow.copy()
    todo = ~have
    for sigma in (2.0, 6.0, 18.0, 54.0):
        num = cv2.GaussianBlur((flow * (weight * have)[..., None]).astype(np.float32), (0, 0), sigma)
        den = cv2.GaussianBlur((weight * have).astype(np.float32), (0, 0), sigma)
        ok = todo & (den > 1e-4)
        out[ok] = num[ok] / den[ok][:, None]
        todo &= ~ok
        if not todo.any():
            break
    return out


def flows_between(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense flows ``before -> after`` and ``after -> before`` (see restoration_core.detect.flow)."""
    la, lb = to_luma(before), to_luma(after)
    return estimate_flow(la, lb, quality="medium"), estimate_flow(lb, la, quality="medium")


def path_weights(nodes: tuple[float, ...], moment: float) -> tuple[float, ...]:
    """Lagrange weights of the positions at times ``nodes`` for the position at ``moment``."""
    out = []
    for j, xj in enumerate(nodes):
        w = 1.0
        for m, xm in enumerate(nodes):
            if m != j:
                w *= (moment - xm) / (xj - xm)
        out.append(w)
    return tuple(out)


def same_shot(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether frame ``a`` can stand beside its neighbour ``b`` on one path: their thumbnails
    correlate as within a shot (no splice) and neither is flat (black, blank)."""
    s = FrameSettings()
    ta, tb = thumbnail(a), thumbnail(b)
    return min(float(ta.std()), float(tb.std())) >= s.blank_spread and correlation(ta, tb) >= s.splice_correlation


Steps = tuple[np.ndarray | None, np.ndarray | None]


def steps_beyond(before: np.ndarray, after: np.ndarray, outer: tuple[np.ndarray | None, np.ndarray | None]) -> Steps:
    """Each pixel's step from the frame before ``before`` (``outer[0]``) into ``before``, and from
    ``after`` on to the frame after it (``outer[1]``); None for a frame that is missing or not
    in the same shot (:func:`same_shot`)."""
    prev, nxt = outer
    for o in outer:
        if o is not None and o.shape != before.shape:
            raise InputError(f"frames to interpolate differ in size: {before.shape} and {o.shape}")
    v_in = v_out = None
    if prev is not None and same_shot(prev, before):
        v_in = -estimate_flow(to_luma(before), to_luma(prev), quality="medium")
    if nxt is not None and same_shot(nxt, after):
        v_out = estimate_flow(to_luma(after), to_luma(nxt), quality="medium")
    return v_in, v_out


def path_bends(t: float, f01: np.ndarray, f10: np.ndarray, steps: Steps, span: int) -> tuple[np.ndarray, np.ndarray] | None:
    """How far each pixel of ``before`` (and of ``after``) is at moment ``t`` from where steady
    motion puts it: the cubic (with one step beyond, the quadratic) through its positions in the
    frame before ``before``, ``before``, ``after`` and the frame after ``after`` (``steps`` from
    :func:`steps_beyond`), ``span`` frames between the neighbours; :data:`BEYOND_SHARE` of it, at
    most :data:`BEYOND_CAP` of the pixel's motion (+ 0.5 px). None without a step beyond."""
    v_in, v_out = steps
    if v_in is None and v_out is None:
        return None
    nodes = [0.0, float(span)]
    if v_in is not None:
        nodes.insert(0, -1.0)
    if v_out is not None:
        nodes.append(span + 1.0)
    weights = dict(zip(nodes, path_weights(tuple(nodes), t * span), strict=True))
    v_in = np.zeros_like(f01) if v_in is None else v_in
    v_out = np.zeros_like(f01) if v_out is None else v_out
    w_prev, w_next = weights.get(-1.0, 0.0), weights.get(span + 1.0, 0.0)
    # positions relative to the pixel of before: -v_in, 0, f01, f01 + v_out (v_out where it lands)
    land0 = cv2.remap(v_out, *_maps(f01), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    d0 = (weights[float(span)] + w_next) * f01 + w_next * land0 - w_prev * v_in
    # relative to the pixel of after: f10 - v_in (where it lands), f10, 0, v_out
    land1 = cv2.remap(v_in, *_maps(f10), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    d1 = (weights[0.0] + w_prev) * f10 - w_prev * land1 + w_next * v_out
    bends = []
    for d, lin, f in ((d0, t * f01, f01), (d1, (1 - t) * f10, f10)):
        c = BEYOND_SHARE * (d - lin)
        size = np.sqrt((c * c).sum(axis=2))
        reach = BEYOND_CAP * np.sqrt((f * f).sum(axis=2)) + 0.5
        bends.append((c * np.minimum(1.0, reach / np.maximum(size, 1e-6))[..., None]).astype(np.float32))
    return bends[0], bends[1]


def interpolate(
    before: np.ndarray, after: np.ndarray, t: float, flows: tuple[np.ndarray, np.ndarray] | None = None,
    outer: tuple[np.ndarray | None, np.ndarray | None] = (None, None), span: int = 2, steps: Steps | None = None,
) -> np.ndarray:
    """The picture at moment ``t`` (0 = ``before``, 1 = ``after``), float32 in [0, 1], HxWxC.

    ``outer``: the good frames just beyond ``before`` and ``after`` (either may be None), which
    bend each pixel's path (:func:`path_bends`; ``steps``: their :func:`steps_beyond`, if known),
    ``span`` frames from ``before`` to ``after``; without them the motion is taken as steady.
    """
    if before.shape != after.shape:
        raise InputError(f"frames to interpolate differ in size: {before.shape} and {after.shape}")
    f01, f10 = flows if flows is not None else flows_between(before, after)
    i0, i1 = _unit(before), _unit(after)
    if i0.ndim == 2:
        i0, i1 = i0[..., None], i1[..., None]
    occ0 = forward_backward_error(f01, f10) > OCCLUDED_PX  # before's pixel not visible in after
    occ1 = forward_backward_error(f10, f01) > OCCLUDED_PX
    l0, l1 = to_luma(before), to_luma(after)
    # brightness agreement of each pixel with where its flow lands: the visible one of two
    # pixels that land together (foreground over background) matches and wins the weight
    match0 = np.abs(l0 - cv2.remap(l1, *_maps(f01), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    match1 = np.abs(l1 - cv2.remap(l0, *_maps(f10), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    wt0 = np.exp(-match0 / 0.02) * np.where(occ0, 0.05, 1.0) * (1.0 - t + 1e-3)
    wt1 = np.exp(-match1 / 0.02) * np.where(occ1, 0.05, 1.0) * (t + 1e-3)
    if steps is None:
        steps = steps_beyond(before, after, outer)
    bends = path_bends(t, f01, f10, steps, span)
    blend = (1.0 - t) * i0 + t * i1
    weights = (wt0, wt1, occ0, occ1)
    bent = _predict(i0, i1, t, f01, f10, weights, bends)
    out = _fallback(bent, blend)
    if bends is not None and span == 2:
        # one missing frame and the frames beyond are there: among the bent and the steady paths'
        # pictures, either warped neighbour alone and the blend, each pixel takes the ones nearest
        # to where the frames beyond, extrapolated one step, put it (:func:`choose`; for runs of 2
        # and 3 one extrapolation is two or three steps long, and the choice measured worse there)
        steady = _predict(i0, i1, t, f01, f10, weights, None)
        out = choose([out, _fallback(steady, blend), bent["w0"], bent["w1"], blend],
                     extrapolations(i0, i1, t, steps, span))
    return np.clip(out, 0.0, 1.0).astype(np.float32) if before.ndim == 3 else np.clip(out[..., 0], 0.0, 1.0)


def _predict(i0: np.ndarray, i1: np.ndarray, t: float, f01: np.ndarray, f10: np.ndarray,
             weights: tuple[np.ndarray, ...], bends: tuple[np.ndarray, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Both neighbours warped onto the moment ``t`` along each pixel's path (steady, or bent by
    ``bends``: ``w0``, ``w1``), and their occlusion-aware blend (``mc``), HxWxC float32."""
    wt0, wt1, occ0, occ1 = weights
    if bends is None:  # steady motion
        (a0x, a0y, a1x, a1y), s0 = _splat(f01, t, wt0, [-t * f01[..., 0], -t * f01[..., 1],
                                                         (1 - t) * f01[..., 0], (1 - t) * f01[..., 1]])
        (b1x, b1y, b0x, b0y), s1 = _splat(f10, 1 - t, wt1, [-(1 - t) * f10[..., 0], -(1 - t) * f10[..., 1],
                                                             t * f10[..., 0], t * f10[..., 1]])
    else:  # each pixel lands where its bent path is at t
        d0, d1 = t * f01 + bends[0], (1 - t) * f10 + bends[1]
        (a0x, a0y, a1x, a1y), s0 = _splat(d0, 1.0, wt0, [-d0[..., 0], -d0[..., 1],
                                                         f01[..., 0] - d0[..., 0], f01[..., 1] - d0[..., 1]])
        (b1x, b1y, b0x, b0y), s1 = _splat(d1, 1.0, wt1, [-d1[..., 0], -d1[..., 1],
                                                         f10[..., 0] - d1[..., 0], f10[..., 1] - d1[..., 1]])
    wsum = s0 + s1
    safe = np.maximum(wsum, 1e-12)
    ft0 = np.stack([(a0x + b0x) / safe, (a0y + b0y) / safe], axis=2).astype(np.float32)
    ft1 = np.stack([(a1x + b1x) / safe, (a1y + b1y) / safe], axis=2).astype(np.float32)
    ft0, ft1 = _close_holes(ft0, wsum), _close_holes(ft1, wsum)
    warped0 = cv2.remap(i0, *_maps(ft0), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    warped1 = cv2.remap(i1, *_maps(ft1), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    if warped0.ndim == 2:
        warped0, warped1 = warped0[..., None], warped1[..., None]
    # occlusion-aware blend: a pixel whose source in one neighbour disappears in the other
    # (occ0 carried along ft0) is taken from that neighbour alone, and vice versa
    vis_only0 = cv2.remap(occ0.astype(np.float32), *_maps(ft0), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    vis_only1 = cv2.remap(occ1.astype(np.float32), *_maps(ft1), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    w0 = (1.0 - t) * (1.0 - 0.95 * vis_only1) + 1e-4
    w1 = t * (1.0 - 0.95 * vis_only0) + 1e-4
    mc = (w0[..., None] * warped0 + w1[..., None] * warped1) / (w0 + w1)[..., None]
    return {"w0": warped0, "w1": warped1, "mc": mc}


def _fallback(pred: dict[str, np.ndarray], blend: np.ndarray) -> np.ndarray:
    """``pred``'s picture leaning towards the ``blend`` where its two warped neighbours disagree
    (the flow failed there: fast limbs, motion that is not linear): by up to
    :data:`FALLBACK_SHARE` at a mean disagreement of :data:`FALLBACK_LEVEL` over 3 px (tuned on
    the car clip and ASL again/bird: +0.3-0.45 dB on the signing clips)."""
    disagree = cv2.GaussianBlur(np.abs(pred["w0"] - pred["w1"]).mean(axis=2), (0, 0), 3.0)
    share = (FALLBACK_SHARE * np.clip(disagree / FALLBACK_LEVEL, 0.0, 1.0))[..., None]
    return (1.0 - share) * pred["mc"] + share * blend


def extrapolations(i0: np.ndarray, i1: np.ndarray, t: float, steps: Steps, span: int) -> list[np.ndarray]:
    """The frame at moment ``t`` predicted from one side only: ``before`` moved on by its pixels'
    step in from the frame before it, ``after`` moved back by their step out to the frame after
    it (``steps`` from :func:`steps_beyond`; a picture per step known, HxWxC). They do not use
    the flow between the two neighbours, so they can tell which of its pictures has a limb where
    the frames beyond say it goes."""
    v_in, v_out = steps
    k = t * span  # frames from before to the moment
    out = []
    if v_in is not None:
        out.append(cv2.remap(i0, *_maps(-k * v_in), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    if v_out is not None:
        out.append(cv2.remap(i1, *_maps((span - k) * v_out), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
    return [e[..., None] if e.ndim == 2 else e for e in out]


def choose(pictures: list[np.ndarray], guides: list[np.ndarray]) -> np.ndarray:
    """Per pixel, a soft choice among ``pictures`` (HxWxC): each weighs ``exp(-e / CHOICE_LEVEL)``,
    ``e`` its mean difference from the ``guides`` (:func:`extrapolations`) averaged over
    :data:`CHOICE_SIGMA` px, less the nearest one's."""
    errs = []
    for pic in pictures:
        e = sum(np.abs(pic - g).mean(axis=2) for g in guides) / len(guides)
        errs.append(cv2.GaussianBlur(e.astype(np.float32), (0, 0), CHOICE_SIGMA))
    err = np.stack(errs, axis=-1)
    w = np.exp(-(err - err.min(axis=-1, keepdims=True)) / CHOICE_LEVEL)
    w /= w.sum(axis=-1, keepdims=True)
    return sum(w[..., j:j + 1] * pic for j, pic in enumerate(pictures))


def _maps(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return xs + flow[..., 0], ys + flow[..., 1]


def tear_runs(masks: dict[int, np.ndarray], n: int, avoid: Iterable[int] = ()) -> list[RebuildRun]:
    """One-frame runs repairing the area ``masks[i]`` of frame ``i`` from frames ``i - 1`` and ``i + 1``
    (frames at the clip's ends, in ``avoid`` or next to one, and the second of two torn
    neighbours, are left alone)."""
    skip = set(avoid)
    runs = []
    for i, m in sorted(masks.items()):
        if 0 < i < n - 1 and not ({i - 1, i, i + 1} & skip) and np.asarray(m).any():
            runs.append(RebuildRun(i, i + 1, i - 1, i + 1, np.asarray(m, bool)))
            skip.add(i)  # a torn neighbour is no source for the next tear
    return runs


def rebuild_run(run: RebuildRun, before: np.ndarray | None, after: np.ndarray | None,
                current: np.ndarray | None = None,
                outer: tuple[np.ndarray | None, np.ndarray | None] = (None, None)) -> dict[int, np.ndarray]:
    """The rebuilt frames of ``run`` (same dtype as the sources), by index; a tear run repairs
    only its region of ``current``; ``outer``: the frames ``run.outer_before`` and
    ``run.outer_after`` (None where the run has none), for the paths' bend."""
    if run.region is not None:
        assert before is not None and after is not None and current is not None
        return {run.start: repair_region(before, current, after, run.region, grow=tear_grow(current.shape[:2]))}
    src = before if before is not None else after
    assert src is not None
    if run.method == "repeat":
        return {i: src.copy() for i in range(run.start, run.stop)}
    assert before is not None and after is not None
    flows, steps = flows_between(before, after), steps_beyond(before, after, outer)
    span = run.after - run.before
    return {i: _to_dtype(interpolate(before, after, run.moment(i), flows, span=span, steps=steps), before.dtype)
            for i in range(run.start, run.stop)}


def tear_grow(shape: tuple[int, int]) -> int:
    """How far (px) a torn area found on the scan's thumbnails may grow at full size: two
    thumbnail pixels (its edge is only known to about one)."""
    return max(2, round(2 * max(shape) / THUMB))


def grown_area(mask: np.ndarray, current: np.ndarray, value: np.ndarray, grow: int,
               level: float = TEAR_LEVEL) -> np.ndarray:
    """``mask`` and the pixels within ``grow`` px of it, connected to it, where ``current``
    differs from the neighbours' interpolation ``value`` by more than ``level`` (luma)."""
    area = mask.astype(bool)
    if grow <= 0:
        return area
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    band = cv2.dilate(area.astype(np.uint8), k).astype(bool)
    bad = band & (np.abs(to_luma(current) - to_luma(value)) > level)
    count, labels = cv2.connectedComponents((bad | area).astype(np.uint8), connectivity=8)
    if count <= 1:
        return area
    touching = np.unique(labels[area])
    return area | (bad & np.isin(labels, touching[touching > 0]))


def repair_region(
    before: np.ndarray, current: np.ndarray, after: np.ndarray, mask: np.ndarray, feather: int = 3,
    t: float = 0.5, grow: int = 0,
) -> np.ndarray:
    """``current`` with the damaged area ``mask`` replaced by the interpolation of its
    neighbours (blended over ``feather`` px); with ``grow``, the area first takes in the pixels
    around it (up to ``grow`` px) that disagree with the interpolation too (:func:`grown_area`).
    Pixels farther than ``grow + feather`` from ``mask`` stay bit-exact."""
    if mask.shape != current.shape[:2]:
        raise InputError(f"tear mask is {mask.shape[1]}x{mask.shape[0]}, the frame is "
                         f"{current.shape[1]}x{current.shape[0]}")
    if not mask.any():
        return current
    value = interpolate(before, after, t)
    area = grown_area(mask, current, value, grow)
    alpha = feather_alpha(area, feather, min(1, feather))
    if current.ndim == 2:  # a gray frame: composite works on channels
        return composite(current[..., None], value[..., None], alpha)[..., 0]
    return composite(current, value, alpha)


def rebuild_interventions(runs: list[RebuildRun], shape: tuple[int, int], timecode: Any = None) -> list[Intervention]:
    """One report entry per rebuilt frame: the whole frame, rebuilt from its source frames."""
    h, w = shape
    out = []
    for run in runs:
        sources = tuple(s for s in (run.before, run.after) if s is not None)
        for i in range(run.start, run.stop):
            tc = timecode(i) if callable(timecode) else None
            if run.region is not None:
                ys, xs = np.nonzero(run.region)
                g = tear_grow((h, w))  # the area may grow this far at repair time
                x0, y0 = max(0, int(xs.min()) - g), max(0, int(ys.min()) - g)
                x1, y1 = min(w, int(xs.max()) + 1 + g), min(h, int(ys.max()) + 1 + g)
                box = (x0, y0, x1 - x0, y1 - y0)
                out.append(Intervention(frame=i, bbox=box, area=int(len(ys)), kind="tear",
                                        method="interpolation", timecode=tc, source_frames=sources))
                continue
            out.append(Intervention(frame=i, bbox=(0, 0, w, h), area=w * h, kind="rebuild",
                                    method=run.method, timecode=tc, source_frames=sources))
    return out


class BuiltFrames:
    """Rebuilt frames kept for every reader of one render (detection, restore, the encoder read
    the same frames), up to ``max_bytes``; beyond that they are computed again (same result)."""

    def __init__(self, max_bytes: int = 1 << 30):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._runs: dict[tuple[int, int], dict[int, np.ndarray]] = {}

    def get(self, run: RebuildRun) -> dict[int, np.ndarray] | None:
        return self._runs.get((run.start, run.stop))

    def put(self, run: RebuildRun, frames: dict[int, np.ndarray]) -> None:
        size = sum(f.nbytes for f in frames.values())
        if self.bytes + size <= self.max_bytes:
            self._runs[(run.start, run.stop)] = frames
            self.bytes += size


class RebuiltReel:
    """A reel whose listed frames come rebuilt from their neighbours (and whose ``tears``, an
    area per frame, are repaired from theirs); all other frames as read.

    Same reading interface as :class:`restoration_core.media.reader.Reel` (``len``, ``info``,
    ``frames``, ``read``, ``close``), so it can sit under detection and restoration.
    """

    def __init__(self, reel: Any, frames: Iterable[int], max_run: int = MAX_RUN,
                 tears: dict[int, np.ndarray] | None = None, built: BuiltFrames | None = None):
        self.reel = reel
        self.info = reel.info
        self.built = built if built is not None else BuiltFrames()
        self.runs = plan_runs(frames, len(reel), max_run)
        if tears:
            whole = {i for r in self.runs for i in range(r.start, r.stop)}
            self.runs = sorted([*self.runs, *tear_runs(tears, len(reel), whole)], key=lambda r: r.start)
        self._run_of = {i: r for r in self.runs for i in range(r.start, r.stop)}

    def __len__(self) -> int:
        return len(self.reel)

    @property
    def rebuilt(self) -> list[int]:
        return sorted(self._run_of)

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[Frame]:
        n = len(self.reel)
        stop = n if stop is None else min(int(stop), n)
        start = max(0, int(start))
        touched = [r for r in self.runs if r.stop > start and r.start < stop]
        lo = min([start, *[s for r in touched for s in (r.outer_before, r.before) if s is not None]])
        hi = max([stop, *[s + 1 for r in touched for s in (r.after, r.outer_after) if s is not None]])
        source = iter(self.reel.frames(lo, hi))
        buffer: dict[int, Frame] = {}
        out = lo  # frames go out in order: a run's once its last source is read
        try:
            for i in range(lo, hi):
                f = next(source, None)
                if f is None:
                    raise InputError(f"the reel ended before frame {i}")
                buffer[i] = f
                while out <= i:
                    run = self._run_of.get(out)
                    if run is None:
                        if start <= out < stop:
                            yield buffer[out]
                        out += 1
                        continue
                    if max(s for s in (run.stop - 1, run.after, run.outer_after) if s is not None) > i:
                        break  # its sources are not all read yet
                    yield from self._emit(run, buffer, start, stop)
                    out = run.stop
                for j in [j for j in buffer if j < out - 2]:
                    del buffer[j]  # a later run's sources are out - 2 or later
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def _emit(self, run: RebuildRun, buffer: dict[int, Frame], start: int, stop: int) -> Iterator[Frame]:
        if not any(start <= j < stop for j in range(run.start, run.stop)):
            return
        def data(k: int | None) -> np.ndarray | None:
            return buffer[k].data if k is not None else None

        current = buffer[run.start].data if run.region is not None else None
        frames = self.built.get(run)
        if frames is None:
            outer = (data(run.outer_before), data(run.outer_after))
            frames = rebuild_run(run, data(run.before), data(run.after), current, outer)
            self.built.put(run, frames)
        for j, built in sorted(frames.items()):
            if start <= j < stop:
                yield Frame(built.copy(), j, buffer[j].timecode)  # a copy: the kept one stays as built

    def timecode_of(self, index: int) -> str | None:
        return self._timecode(index)

    def _timecode(self, index: int) -> str | None:
        tc = getattr(self.reel, "timecode_of", None)
        return tc(index) if callable(tc) else None

    def read(self, index: int) -> Frame:
        for frame in self.frames(index, index + 1):
            return frame
        raise InputError(f"frame {index} is outside the reel (0..{len(self) - 1})")

    def interventions(self) -> list[Intervention]:
        shape = (int(self.info.height), int(self.info.width))
        return rebuild_interventions(self.runs, shape, self._timecode)

    def close(self) -> None:
        self.reel.close()
