"""The per-clip pipeline: temporal fill -> generative fill -> grain -> composite -> deflicker.

:func:`restore_frames` streams over a frame range with a sliding window of ``2*radius+1``
frames (plus their masks and the flows between them), so memory does not grow with the
clip's length. Generative requests are batched over ``settings.batch_frames`` frames.
Cancel with a :class:`CancelToken` (checked between steps) or by closing the generator.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from restoration_core.defects import Intervention
from restoration_core.detect.flow import FlowStore, to_luma, unit_float
from restoration_core.errors import InputError
from restoration_core.progress import CancelToken, Progress
from restoration_core.restore import deflicker as dfl
from restoration_core.restore import safety
from restoration_core.restore.classical import ClassicalFill
from restoration_core.restore.composite import composite, distance_to, feather_alpha, regions, tone_match
from restoration_core.restore.fill import FillRequest, GenerativeFill
from restoration_core.restore.grain import estimate_grain, synth_grain
from restoration_core.restore.interventions import interventions_for
from restoration_core.restore.linefill import fill_lines, line_regions
from restoration_core.restore.settings import RestoreSettings
from restoration_core.restore.temporal import (
    FLOW_MARGIN,
    BoxedFlow,
    FlowCache,
    flow_side,
    neighbour_order,
    temporal_fill_checked,
)


@dataclass
class RestoredFrame:
    """One restored frame: same dtype and shape as the source, and what was done to it."""

    index: int
    data: np.ndarray
    interventions: list[Intervention] = field(default_factory=list)


class _Window:
    """Frames ``[i - r, i + r]`` of the reel, their masks and the flows between them, read sequentially."""

    def __init__(self, reel: Any, lo: int, hi: int, radius: int, mask_for: Callable[[int], np.ndarray | None]):
        self.radius = radius
        self.lo, self.hi = lo, hi
        self._source: Iterator[Any] = iter(reel.frames(lo, hi))
        self._next = lo
        self.data: dict[int, np.ndarray] = {}
        self.timecode: dict[int, str | None] = {}
        self.masks: dict[int, np.ndarray | None] = {}
        self._float: dict[int, np.ndarray] = {}
        self._mask_for = mask_for
        self._radius = radius
        self.store: FlowStore | None = None  # the window's flows (made with the first frame: its size)
        self.flows: FlowCache | None = None

    def advance(self, i: int) -> None:
        while self._next < min(self.hi, i + self.radius + 1):
            j = self._next
            frame = next(self._source, None)
            if frame is None:
                raise InputError(f"the reel ended before frame {j} (it claims {self.hi} frames or more)")
            self.data[j] = frame.data
            if self.store is None:
                h, w = frame.data.shape[:2]
                r = self._radius  # flows on pictures with the damage inpainted, at the fill's flow resolution
                # every ordered pair of the window's frames: none is computed twice
                self.store = FlowStore(max_side=flow_side(h, w), keep=(2 * r + 1) ** 2, pictures=2 * r + 2,
                                       margin=FLOW_MARGIN)  # only around either frame's damage
                self.flows = FlowCache(self.store, (int(w), int(h)), self.masks.get)  # no cycle back to the window
            self.timecode[j] = getattr(frame, "timecode", None)
            mask = self._mask_for(j)
            if mask is not None:
                mask = np.asarray(mask, bool)
                if mask.shape != frame.data.shape[:2]:
                    raise InputError(f"mask of frame {j} is {mask.shape[1]}x{mask.shape[0]}, "
                                     f"the frame is {frame.data.shape[1]}x{frame.data.shape[0]}")
                if not mask.any():
                    mask = None
            self.masks[j] = mask
            self.store.add(j, frame.data, mask)
            self._next += 1
        first = i - self.radius
        for store in (self.data, self.timecode, self.masks, self._float):
            for j in [k for k in store if k < first]:
                del store[j]
        if self.flows is not None:
            self.flows.drop_before(first)

    def image(self, j: int) -> np.ndarray:
        if j not in self._float:
            self._float[j] = unit_float(self.data[j])
        return self._float[j]

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


@dataclass
class _Work:
    """A frame between temporal fill and its final paste (waits for the generative batch)."""

    index: int
    data: np.ndarray
    timecode: str | None
    mask: np.ndarray | None
    value: np.ndarray | None = None  # float32 repaired picture (fills applied)
    alpha: np.ndarray | None = None
    solid: np.ndarray | None = None  # bool HxW, the mask grown by settings.grow: fully replaced
    source: np.ndarray | None = None  # int HxW, temporal source frame or -1
    generated: np.ndarray | None = None  # bool HxW, pixels filled by the generative engine
    labels: np.ndarray | None = None
    seeds: dict[int, int] = field(default_factory=dict)  # region label -> seed
    requests: list[FillRequest] = field(default_factory=list)
    tracks: dict[int, int] = field(default_factory=dict)  # region label -> track id
    windows: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)  # label -> y0, y1, x0, x1
    fills: list[np.ndarray] = field(default_factory=list)
    lines: np.ndarray | None = None  # bool HxW, thin vertical damage (line-scratch repair)
    scratches: np.ndarray | None = None  # bool HxW, the lines a third of the frame tall (see _scratches)
    left: np.ndarray | None = None  # bool HxW, detected regions left as scanned (for review)
    detected: np.ndarray | None = None  # bool HxW, the detected (not exact) part of solid
    held: np.ndarray | None = None  # bool HxW, detected regions whose fill did not fit: left as scanned


class LumaCrops:
    """:func:`to_luma` of a picture, computed only for the crops read (``crops[y0:y1, x0:x1]``):
    the safety checks read a few windows around the regions, not the whole frame."""

    def __init__(self, image: np.ndarray):
        self._image = image

    def __getitem__(self, key: Any) -> np.ndarray:
        return to_luma(self._image[key])


def _seed(base: int, track: int) -> int:
    return zlib.crc32(f"{base}:{track}".encode()) & 0x7FFFFFFF


class _Tracker:
    """Gives a region the track id of an overlapping region in the previous frame.

    A new track's id is derived from where and when it first appears (not from a counter),
    so a clip restored in chunks, resumed, or previewed one frame at a time gives a region
    that starts in the same frame the same seed.
    """

    def __init__(self) -> None:
        self.prev: dict[int, tuple[int, int, int, int]] = {}  # track -> bbox

    def assign(self, boxes: list[tuple[int, int, int, int]], frame: int = 0) -> list[int]:
        out, now = [], {}
        for x, y, w, h in boxes:
            best, best_overlap = None, 0
            for t, (px, py, pw, ph) in self.prev.items():
                ox = min(x + w, px + pw) + 4 - max(x, px)
                oy = min(y + h, py + ph) + 4 - max(y, py)
                if ox > 0 and oy > 0 and ox * oy > best_overlap and t not in now:
                    best, best_overlap = t, ox * oy
            if best is None:
                best = zlib.crc32(f"{frame}:{x},{y},{w},{h}".encode())
                while best in now:
                    best += 1
            now[best] = (x, y, w, h)
            out.append(best)
        self.prev = now
        return out


def _generative_engine(settings: RestoreSettings, fill_engine: GenerativeFill | None) -> tuple[GenerativeFill, str]:
    """The engine for what time cannot fill: the model with engine ``diffusion`` only. ``auto``
    keeps the classical fill even when a model is given: on scripts/bench/bench_diffusion.py
    (README, Models) neither the shipped nor a reel-adapted prior beat the best classical fill
    on any kind of region by 1 dB with film-like texture and equal stability over time."""
    if settings.engine == "diffusion":
        if fill_engine is None:
            raise InputError("engine 'diffusion' needs a model (give --model PATH)")
        return fill_engine, "diffusion"
    return ClassicalFill(settings.classical_method), "classical"


def restore_frames(
    reel: Any,
    frame_range: tuple[int, int] | None,
    mask_for: Callable[[int], np.ndarray | None],
    settings: RestoreSettings | None = None,
    cancel: CancelToken | None = None,
    fill_engine: GenerativeFill | None = None,
    kinds_for: Callable[[int], Any] | None = None,
    flicker: dict[int, tuple[float, float]] | None = None,
    exact_for: Callable[[int], np.ndarray | None] | None = None,
    cuts: Sequence[int] = (),
) -> Generator[Progress, None, None]:
    """Restore frames ``[a, b)`` of ``reel``; yields Progress, and once per frame a Progress
    with ``stage="frame"`` whose payload is a :class:`RestoredFrame` (in frame order).

    ``exact_for(i)``: bool HxW of the mask pixels that are exact (painted or supplied, not
    detected), or None; with ``settings.exact_masks`` every mask is exact.
    ``cuts``: absolute indices where a shot starts (scene cuts, splices): no temporal source,
    deflicker window or fill initialisation reaches across one."""
    s = settings or RestoreSettings()
    n = len(reel)
    a, b = frame_range if frame_range is not None else (0, n)
    if not (0 <= a < b <= n):
        raise InputError(f"frame range {a}:{b} is outside the reel (0:{n})")
    engine, method = _generative_engine(s, fill_engine)
    use_temporal = s.engine in ("auto", "temporal") and s.radius > 0
    radius = s.radius if use_temporal else (1 if method == "diffusion" else 0)
    total = b - a
    cuts = sorted({int(c) for c in cuts if 0 < int(c) < n})
    starts = set(cuts)
    curve = None
    if s.deflicker:
        # Statistics of the frames within the deflicker radius around the range too, so each
        # frame's correction is the same whether a clip is restored whole, in chunks or alone.
        lo, hi = max(0, a - s.deflicker_radius), min(n, b + s.deflicker_radius)
        given = None if flicker is None else [flicker.get(i) for i in range(lo, hi)]
        frames = (f.data for f in reel.frames(lo, hi))
        full = yield from dfl.measure(frames, hi - lo, s.deflicker_radius, s.cut_threshold, given, cancel,
                                      [c - lo for c in cuts if lo < c < hi])
        curve = full[a - lo : b - lo]
    window = _Window(reel, max(0, a - radius), min(n, b + radius), radius, mask_for)
    tracker = _Tracker()
    prev_out: dict[str, Any] = {}  # the last finished frame (float) and its region tracks, for init
    pending: list[_Work] = []
    done = 0
    try:
        for i in range(a, b):
            if cancel is not None:
                cancel.check()
            window.advance(i)
            work = _Work(i, window.data[i], window.timecode.get(i), window.masks[i])
            if work.mask is not None:
                exact_px = exact_for(i) if exact_for is not None else None
                s0, s1 = shot_bounds(i, cuts, n)  # time is not looked up across a cut
                _temporal_step(work, window, s, use_temporal, max(a - radius, s0), min(b + radius, s1), exact_px)
                if use_temporal:
                    yield Progress(done, total, "temporal", i)
                _plan_generative(work, window, s, tracker, {} if i in starts else prev_out, method)
            else:
                tracker.assign([])
            pending.append(work)
            if len(pending) >= s.batch_frames or i == b - 1:
                for p in _run_generative(pending, engine, cancel, done, total):
                    yield p
                for w in pending:
                    for p in _finish(w, s, method, kinds_for, curve, a, prev_out, done, total, cancel):
                        yield p
                    done += 1
                    yield Progress(done, total, "frame", w.index, payload=prev_out["frame"])
                pending = []
    finally:
        window.close()


def shot_bounds(i: int, cuts: Sequence[int], n: int) -> tuple[int, int]:
    """``[start, stop)`` of the shot holding frame ``i`` (``cuts``: sorted shot starts)."""
    k = bisect_right(cuts, i)
    return (cuts[k - 1] if k > 0 else 0), (cuts[k] if k < len(cuts) else n)


LINE_SOURCE = -2  # work.source of pixels filled by the line-scratch repair
SCRATCH_HEIGHT = 1 / 3  # share of the frame's height a thin vertical region spans to be a line scratch


def _scratches(lines: np.ndarray) -> np.ndarray:
    """The line regions (``line_regions``) that are line scratches: at least
    :data:`SCRATCH_HEIGHT` of the frame tall. Shorter thin vertical damage (a hair, a thin
    speck, or a fold the detection took for one) keeps the leave-as-scanned rules."""
    if not lines.any():
        return lines
    _, labels, stats, _ = cv2.connectedComponentsWithStats(lines.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_HEIGHT] >= SCRATCH_HEIGHT * lines.shape[0]
    keep[0] = False
    return keep[labels]


def _temporal_step(
    work: _Work, window: _Window, s: RestoreSettings, use_temporal: bool, lo: int, hi: int,
    exact_px: np.ndarray | None = None,
) -> None:
    """Grow (detected masks by their halo; exact ones not), fill from time, leave disagreeing
    detected regions as scanned, then repair line scratches across their width."""
    mask = work.mask
    assert mask is not None
    i = work.index
    if s.exact_masks:
        exact = mask
    elif exact_px is not None:
        exact = mask & np.asarray(exact_px, bool)
    else:
        exact = np.zeros(mask.shape, bool)
    detected = mask & ~exact
    image = window.image(i)
    solid_det = safety.grown(LumaCrops(image), detected, s.grow, s.feather) if detected.any() else detected
    work.solid = exact | solid_det
    work.detected = solid_det
    alpha = feather_alpha(detected, s.feather, 0, distance_to(detected, s.feather)) if detected.any() else \
        np.zeros(mask.shape, np.float32)
    alpha[work.solid] = 1.0
    work.alpha = alpha
    work.lines = line_regions(work.solid)
    work.scratches = scratches = _scratches(work.lines)
    work.value = image.copy()
    work.source = np.full(mask.shape, -1, np.int32)
    if use_temporal:
        ys, xs = np.nonzero(work.alpha > 0)
        neighbours = neighbour_order(i, s.radius, max(lo, window.lo), min(hi, window.hi))
        got = temporal_fill_checked(  # flows: window.flows (FlowCache)
            i, ys, xs, ~work.solid[ys, xs], neighbours, window.image, lambda j: window.masks.get(j),
            window.flows, s.agree, current=image, strict=scratches[ys, xs],
        )
        ok = got.ok
        work.value[ys[ok], xs[ok]] = got.values[ok]
        work.source[ys[ok], xs[ok]] = got.source[ok]
        disagree = np.zeros(mask.shape, bool)
        disagree[ys, xs] = got.disagree
        left = safety.disagreeing_regions(solid_det, disagree, skip=scratches | exact)
        if left.any():
            # left as scanned: not replaced, not blended (other regions keep their repair)
            near = (distance_to(left, s.feather) <= s.feather) & ~(work.solid & ~left)
            work.alpha[near] = 0.0
            work.solid &= ~left
            work.source[left] = -1
            work.left = left
    todo = work.solid & work.lines & (work.source < 0)
    if todo.any():
        work.value = fill_lines(work.value, todo, work.lines, work.solid & (work.source < 0), in_place=True,
                                damage=work.solid)
        work.source[todo] = LINE_SOURCE


def _plan_generative(
    work: _Work, window: _Window, s: RestoreSettings, tracker: _Tracker, prev_out: dict, method: str
) -> None:
    mask = work.solid
    assert mask is not None and work.value is not None and work.source is not None
    remaining = mask & (work.source == -1)
    if not remaining.any():
        tracker.assign([])
        work.generated = np.zeros(mask.shape, bool)
        return
    # The engine fills the remaining damage grown by 1 px more where the feather allows; the
    # rest of the feather ring keeps its own (or its temporally filled) pixels.
    gen = distance_to(remaining, 1) <= (1 if s.grow + 1 <= s.feather else 0)
    work.generated = gen
    labels, regs = regions(gen, s.context)
    work.labels = labels
    tracks = tracker.assign([r.bbox for r in regs], work.index)
    prev_tracks = prev_out.get("tracks", {}) if prev_out.get("index") == work.index - 1 else {}
    init_flow = None
    if method == "diffusion" and prev_tracks and (work.index - 1) in window.data:
        init_flow = window.flows.get(work.index, work.index - 1)
    for reg, track in zip(regs, tracks, strict=True):
        y0, y1, x0, x1 = reg.window
        seed = _seed(s.seed, track)
        work.seeds[reg.label] = seed
        work.tracks[reg.label] = track
        work.windows[reg.label] = reg.window
        init = None
        if init_flow is not None and track in set(prev_tracks.values()):
            init = _warp_window(prev_out["value"], init_flow, reg.window)
        work.requests.append(FillRequest(
            frame=work.index, region=reg.label, image=work.value[y0:y1, x0:x1].copy(),
            mask=gen[y0:y1, x0:x1].copy(), seed=seed, init=init,
        ))


def _warp_window(image: np.ndarray, flow: BoxedFlow, window: tuple[int, int, int, int]) -> np.ndarray:
    y0, y1, x0, x1 = window
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    f = flow.crop(y0, y1, x0, x1)
    return cv2.remap(image, xs + f[..., 0], ys + f[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _run_generative(
    pending: list[_Work], engine: GenerativeFill, cancel: CancelToken | None, done: int, total: int
) -> Generator[Progress, None, None]:
    requests = [r for w in pending for r in w.requests]
    if not requests:
        return
    task = engine.fill(requests, cancel)
    try:
        while True:
            p = next(task)
            yield Progress(done, total, "generative", p.frame, p.message or f"{p.done}/{p.total}")
            if cancel is not None:
                cancel.check()
    except StopIteration as stop:
        results = stop.value
    if results is None or len(results) != len(requests):
        raise InputError(f"fill engine {getattr(engine, 'name', engine)!r} returned "
                         f"{0 if results is None else len(results)} fills for {len(requests)} windows")
    k = 0
    for w in pending:
        w.fills = [np.asarray(results[k + m], np.float32) for m in range(len(w.requests))]
        k += len(w.requests)


def _finish(
    w: _Work, s: RestoreSettings, method: str, kinds_for: Any, curve: list | None, a: int,
    prev_out: dict, done: int, total: int, cancel: CancelToken | None,
) -> Generator[Progress, None, None]:
    """Paste the generative fills (tone match + grain), composite, deflicker; sets prev_out."""
    out = w.data
    interventions: list[Intervention] = []
    if w.mask is not None and w.value is not None and w.alpha is not None and w.solid is not None:
        known = ~w.solid
        for req, fill in zip(w.requests, w.fills, strict=True):
            if cancel is not None:
                cancel.check()
            _paste(w, req, fill, known, s, method)
        if w.requests:
            yield Progress(done, total, "grain" if s.grain else "generative", w.index)
        _hold_mismatched(w, s)
        out = composite(w.data, w.value, w.alpha)
        yield Progress(done, total, "composite", w.index)
        interventions = interventions_for(w, method, kinds_for)
    if curve is not None:
        gain, offset = curve[w.index - a]
        out = dfl.apply(out, gain, offset)
        yield Progress(done, total, "deflicker", w.index)
    prev_out.clear()
    prev_out.update(index=w.index, tracks=dict(w.tracks), frame=RestoredFrame(w.index, out, interventions))
    if w.tracks:
        prev_out["value"] = w.value


def _hold_mismatched(w: _Work, s: RestoreSettings) -> None:
    """Leave as scanned (and mark for review) each detected region whose finished fill does
    not continue the picture around it (``safety.mismatched_regions``)."""
    assert w.value is not None and w.solid is not None and w.alpha is not None
    if w.detected is None or not (w.detected & w.solid).any():
        return
    skip = w.scratches
    held = safety.mismatched_regions(LumaCrops(w.data), LumaCrops(w.value), w.detected & w.solid, w.solid, skip)
    if held.any():
        near = (distance_to(held, s.feather) <= s.feather) & ~(w.solid & ~held)
        w.alpha[near] = 0.0
        w.solid &= ~held
        w.held = held


def _paste(w: _Work, req: FillRequest, fill: np.ndarray, known: np.ndarray, s: RestoreSettings, method: str) -> None:
    assert w.value is not None and w.labels is not None and w.solid is not None
    h, wdt = req.mask.shape
    wy0, wy1, wx0, wx1 = w.windows[req.region]
    own = (w.labels[wy0:wy1, wx0:wx1] == req.region)
    if fill.shape != req.image.shape:
        raise InputError(f"fill engine returned a {fill.shape} window for a {req.image.shape} request")
    avoid = w.solid[wy0:wy1, wx0:wx1]
    fill = tone_match(fill, req.image, req.mask, avoid, contrast=method == "diffusion")
    if s.grain:
        ctx = known[wy0:wy1, wx0:wx1] & ~req.mask
        stats = estimate_grain(req.image, ctx)
        if stats is not None:
            grain = synth_grain((h, wdt), stats, (req.seed, w.index))
            fill = fill + grain * own[..., None]
    region = w.value[wy0:wy1, wx0:wx1]
    region[own] = fill[own]


def restore_single(
    reel: Any,
    index: int,
    mask_for: Callable[[int], np.ndarray | None],
    settings: RestoreSettings | None = None,
    fill_engine: GenerativeFill | None = None,
    kinds_for: Callable[[int], Any] | None = None,
    cancel: CancelToken | None = None,
    flicker: dict[int, tuple[float, float]] | None = None,
) -> RestoredFrame:
    """Restore one frame (reads its temporal neighbours), for the GUI preview; the same pixels
    as the frame gets in a whole-clip run."""
    s = settings or RestoreSettings()
    result = None
    for p in restore_frames(reel, (index, index + 1), mask_for, s, cancel, fill_engine, kinds_for, flicker):
        if p.payload is not None:
            result = p.payload
    assert result is not None
    return result
