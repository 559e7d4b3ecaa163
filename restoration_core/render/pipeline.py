"""The one render pipeline: every front end that detects, restores or writes a clip runs these steps.

    1. resolve  the job: source, frame range, settings, model, and the clip's repair masks
                (:class:`~restoration_core.render.masks.ClipMasks`: the project's rule)
       frames   rebuild listed frames, stabilize (off by default; restoration_core.render.frames):
                detection and everything after it read the corrected frames
    2. detect   the frames the project has not detected (kept in the render cache)
    3. restore  chunk by chunk into the render cache (a resumed run redoes at most a chunk)
    4. encode   every frame from the cache (identical output whether resumed or not)
    5. report   a :class:`~restoration_core.report.ReportData`: each region's mask source and method
    6. review   the sign-off render (before | after), if the job asks for one

:func:`render` runs them all (CLI ``restore`` and ``batch``, the workbench queue and export,
worker processes, Ray tasks); :func:`detect` is step 2 alone (CLI ``detect``);
:func:`preview_frame` runs steps 2 and 3 for one frame without writing anything, with the
same neighbours' masks, seeds and flicker curve as the whole-clip render (both previews).
Every step is a generator of :class:`Progress`, so a caller can cancel between frames.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from restoration_core import heap
from restoration_core.atomic import check_writable_folder
from restoration_core.defects import Intervention
from restoration_core.detect.pipeline import reach_of
from restoration_core.errors import Cancelled, InputError, ReelwrightError
from restoration_core.media.fixity import frame_md5
from restoration_core.media.presets import load_preset
from restoration_core.media.probe import check_frame_size
from restoration_core.media.shared import SharedFrames
from restoration_core.paths import cache_dir
from restoration_core.progress import CancelToken, Progress, RenderStats
from restoration_core.render.cache import RenderCache
from restoration_core.render.engines import Engines, load_engines
from restoration_core.render.frames import FrameSteps, prepare_frames, temporal_cuts
from restoration_core.render.masks import ClipMasks, Detection, MaskFolder
from restoration_core.render.naming import is_sequence_preset, report_path_for, review_path_for
from restoration_core.render.signoff import render_review
from restoration_core.render.spec import JobSpec, clip_settings, file_identity
from restoration_core.report import crop_frames, html_path_for, kept_regions
from restoration_core.report.data import Fixity, ReportData
from restoration_core.safety import OutputPlan, plan_outputs, render_targets


@dataclass
class RenderResult:
    """What a finished render produced and how much of it came from the cache."""

    output: Path
    report: Path | None
    frames: int
    computed: int
    from_cache: int
    interventions: int
    sha256: str | None = None
    frame_md5: list[str] = field(default_factory=list)
    review: Path | None = None
    review_error: str | None = None


@dataclass
class Job:
    """Step 1's answer: a checked job, everything later steps need except the open reel."""

    spec: JobSpec
    input_path: str
    output: Path
    report_path: Path
    settings: dict[str, Any]
    detect_settings: dict[str, Any]
    restore: Any  # the engine's RestoreSettings
    model: dict | None
    frame_range: tuple[int, int] | None
    project: Any = None
    reel_id: str | None = None
    clip_id: str | None = None
    plan: OutputPlan | None = None  # every path the job writes, checked; locked while it runs
    frames: FrameSteps = field(default_factory=FrameSteps)  # rebuild + stabilize, planned once per render

    @property
    def uses_model(self) -> bool:
        # engine auto never hands a region to a model (restore_frames), so only diffusion loads one
        return bool(self.settings.get("model")) and self.settings.get("engine", "auto") == "diffusion"


class _Meter:
    """Units done over the whole render, and its speed (the ``stats`` of every Progress)."""

    def __init__(self, total: int):
        self.total = total
        self.start = time.monotonic()
        self.done = self.worked = self.computed = self.cached = 0

    def step(self, worked: bool = True) -> None:
        self.done += 1
        self.worked += int(worked)

    def stats(self) -> RenderStats:
        rate = self.worked / max(1e-6, time.monotonic() - self.start)
        eta = (self.total - self.done) / rate if rate > 0 else None
        return RenderStats(rate, eta, self.computed, self.cached)

    def tick(self, stage: str, frame: int | None, message: str = "") -> Progress:
        return Progress(self.done, self.total, stage, frame, message, stats=self.stats())


# ---- 1. resolve ----------------------------------------------------------------------
def resolve(spec: JobSpec, eng: Engines) -> Job:
    """Check ``spec`` and gather what it names (project clip, settings, model) before any work."""
    spec.validate()
    project = reel_id = clip_id = None
    input_path, frame_range = str(spec.input), spec.frame_range
    own_restore: dict[str, Any] = {}
    own_detect: dict[str, Any] = {}
    if spec.project:
        if eng.load_project is None:
            raise InputError("project jobs are not supported by this engine", spec.project)
        project = eng.load_project(spec.project)
        try:
            clip = project.clip(str(spec.clip))
            reel = project.reel(clip.reel_id)
        except KeyError as exc:
            raise InputError(str(exc.args[0] if exc.args else exc), spec.project) from None
        input_path, reel_id, clip_id = str(reel.path), reel.id, clip.id
        frame_range = frame_range or (clip.in_frame, clip.out_frame)
        own_restore, own_detect = clip_settings(clip.settings)
    if not (Path(input_path).exists() or _is_pattern(input_path)):
        raise InputError("input does not exist", input_path)
    output = Path(spec.output)
    check_writable_folder(output.parent if str(output.parent) else Path("."))
    report_path = Path(spec.report) if spec.report else report_path_for(output, spec.preset)
    if spec.report:
        check_writable_folder(report_path.parent if str(report_path.parent) else Path("."))
    settings = {**own_restore, **spec.settings}
    detect_settings = {**own_detect, **spec.detect_settings}
    job = Job(spec, input_path, output, report_path, settings, detect_settings,
              eng.restore_settings(settings), None, frame_range, project, reel_id, clip_id)
    review_target = None
    if spec.review is not None:
        review_target = spec.review.get("output") or review_path_for(output)
    job.plan = plan_outputs("restore", [input_path, spec.masks], render_targets(
        output, is_sequence_preset(spec.preset), report_path, html_path_for(report_path), review_target,
        spec.cache))
    if spec.detect:
        eng.detect_settings(detect_settings)  # a bad detect setting fails before any work
    if settings.get("model") and settings.get("engine", "auto") in ("auto", "diffusion") \
            and eng.model_identity is not None:
        identity = eng.model_identity(settings["model"])  # a bad model fails before any work
        job.model = identity if job.uses_model else None  # auto checks it but fills without it
    return job


def _is_pattern(path: str) -> bool:
    """A printf image-sequence pattern (``scan_%06d.dpx``) in an existing folder."""
    return "%" in Path(path).name and Path(path).parent.is_dir()


def clip_range(reel: Any, frame_range: tuple[int, int] | None, path: str) -> tuple[int, int]:
    """The job's [a, b) within the reel (an open end, -1, is the reel's end)."""
    n = len(reel)
    a, b = frame_range or (0, n)
    b = n if b == -1 else b
    if not (0 <= a < b <= n):
        raise InputError(f"frame range {a}:{b} is outside the reel (0:{n})", path)
    return a, b


def clip_masks(job: Job, reel: Any, frame_range: tuple[int, int]) -> ClipMasks:
    """The job's repair masks (step 1's mask half; detections are joined in step 2)."""
    shape = (int(reel.info.height), int(reel.info.width))
    painted = MaskFolder(job.spec.masks) if job.spec.masks else None
    # masks drawn on the source frames follow the stabilization into the frames every step reads
    moved = job.frames.to_output if job.frames.plan is not None else None
    return ClipMasks(shape, frame_range, job.project, job.reel_id, painted, to_output=moved)


def open_cache(job: Job, masks: ClipMasks) -> RenderCache:
    """The job's render cache: keyed by everything that changes its pixels (the project's masks too)."""
    spec = job.spec
    key = spec.cache_key()
    pinned: list[Any] = [job.settings, job.detect_settings]
    if masks.project is not None:  # an edited mask, rejection or take-back invalidates the frames
        p, r = masks.project, masks.reel_id
        frames = range(*masks.frame_range)
        pinned += [file_identity(job.input_path), p.mask_digests(r, frames, masks.shape),
                   [i for i in frames if masks.reviewed(i)], sorted(p.flicker(r).items())]
    if job.model is not None:  # the weights, not just the model's name, pin the frames
        pinned.append(job.model.get("sha256"))
    key = hashlib.sha256((key + json.dumps(pinned, default=str)).encode()).hexdigest()[:20]
    # a project's clip renders keep their cache in the project (until the job is done)
    root = Path(spec.cache) if spec.cache else \
        (Path(spec.project) / "cache" if spec.project else cache_dir() / "renders")
    return RenderCache.for_key(root, key, {"input": job.input_path, "range": list(masks.frame_range)},
                               shape=masks.shape)


# ---- 2. detect -----------------------------------------------------------------------
def detect(reel: Any, frame_range: tuple[int, int], settings: Any, eng: Engines,
           cancel: CancelToken | None = None, cuts: Sequence[int] = ()) -> Generator[Progress, None, None]:
    """Detect frames [a, b): one Progress per frame with its detection as ``payload``; no frame
    is compared with one across a cut (``cuts``: shot starts, splices and scene cuts)."""
    extra: dict[str, Any] = {"cuts": list(cuts)} if cuts else {}
    for p in eng.detect_reel(reel, settings, frame_range=frame_range, cancel=cancel, **extra):
        if p.payload is not None:
            yield p
        if cancel is not None:
            cancel.check()


def _runs(frames: list[int]) -> Iterator[tuple[int, int]]:
    """Consecutive runs of sorted frame indices as [start, stop) ranges."""
    start = prev = None
    for i in frames:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            yield start, prev + 1
            start = prev = i
    if start is not None:
        yield start, prev + 1


def detect_into_cache(job: Job, reel: Any, masks: ClipMasks, cache: RenderCache, meter: _Meter,
                      eng: Engines, cancel: CancelToken | None) -> Generator[Progress, None, None]:
    """Step 2: detect the frames the clip's masks lack, once (the cache keeps them for a resume)."""
    a, b = masks.frame_range
    wanted = [i for i in range(a, b) if masks.needs_detection(i) and not cache.has_detection(i)]
    meter.done += (b - a) - len(wanted)
    if wanted:
        settings = eng.detect_settings(job.detect_settings)
        for run in _runs(wanted):
            for p in detect(reel, run, settings, eng, cancel, cuts=job.frames.cuts):
                fd = p.payload
                if not cache.has_detection(fd.index):
                    cache.put_detection(fd.index, fd.mask, list(fd.defects), fd.flicker)
                meter.step()
                yield meter.tick("detect", fd.index)
    missing = next((i for i in wanted if not cache.has_detection(i)), None)
    if missing is not None:
        raise InputError(f"detection did not report frame {missing}", job.input_path)
    masks.detections = lambda i: cache.detection(i) if cache.has_detection(i) else None


# ---- 3. restore ----------------------------------------------------------------------
def restore_range(reel: Any, frame_range: tuple[int, int], masks: Callable[[int], Any], settings: Any,
                  eng: Engines, *, kinds: Callable[[int], Any] | None = None,
                  exact: Callable[[int], Any] | None = None, flicker: dict | None = None,
                  fill_engine: Any = None, cancel: CancelToken | None = None,
                  cuts: Sequence[int] = ()) -> Generator[Progress, None, None]:
    """One restore call over [a, b): Progress ticks, and one per frame with a RestoredFrame ``payload``
    (``exact(i)``: the mask pixels that are painted or held, replaced as they are; ``cuts``: shot
    starts no temporal step reaches across)."""
    extra: dict[str, Any] = {"cuts": list(cuts)} if cuts else {}
    yield from eng.restore_frames(reel, frame_range, masks, settings, cancel=cancel, fill_engine=fill_engine,
                                  kinds_for=kinds, flicker=flicker or None, exact_for=exact, **extra)


def load_fill_engine(job: Job, eng: Engines) -> Any:
    """The job's diffusion model, when its settings use one (loaded only when a frame needs it)."""
    if not job.uses_model or eng.load_fill_engine is None:
        return None
    kwargs = {"steps": job.settings["steps"]} if job.settings.get("steps") else {}
    return eng.load_fill_engine(job.settings["model"], **kwargs)


def restore_into_cache(job: Job, reel: Any, masks: ClipMasks, cache: RenderCache, meter: _Meter,
                       eng: Engines, cancel: CancelToken | None) -> Generator[Progress, None, None]:
    """Step 3, chunk by chunk: each chunk is one restore call from its first frame, so a chunk
    redone after an interruption carries exactly the state (region tracks, seeds, flicker) it had."""
    a, b = masks.frame_range
    flicker = masks.flicker()
    fill_engine = None
    sources = None  # the source frames the cache keeps patches over (the restore's shared decode)
    try:
        for c0, c1 in chunks(masks.frame_range, job.spec.chunk):
            if cache.first_missing_frame(c0, c1) is None:
                meter.done += c1 - c0
                meter.cached += c1 - c0
                continue
            if fill_engine is None:
                fill_engine = load_fill_engine(job, eng)
            if sources is None:
                sources = SourceFrames(reel)
            else:  # what the last chunk freed goes back to the system: memory flat over a feature
                heap.trim()
            for p in restore_range(reel, (c0, c1), masks.mask, job.restore, eng, kinds=masks.provenance,
                                   exact=masks.exact, flicker=flicker, fill_engine=fill_engine, cancel=cancel,
                                   cuts=job.frames.cuts):
                rf = p.payload
                if rf is None:
                    yield meter.tick("restore", p.frame, p.message or p.stage)
                    continue
                if not cache.has_frame(rf.index):
                    cache.put_frame(rf.index, rf.data, list(rf.interventions), source=sources.get(rf.index))
                meter.computed += 1
                meter.step()
                yield meter.tick("restore", rf.index)
    finally:
        if sources is not None:
            sources.close()
            heap.trim()  # and what the last chunk freed, before the encode
    missing = cache.first_missing_frame(a, b)
    if missing is not None:
        raise InputError(f"restore did not return frame {missing}", job.input_path)


class SourceFrames:
    """A reel's frames read again in order for the patch cache: decoded forward (``frames``),
    so they do not pile up in the reel's frame cache as a long clip goes by; a jump seeks."""

    def __init__(self, reel: Any):
        self.reel = reel
        self._frames: Iterator[Any] | None = None
        self._next: int | None = None

    def get(self, index: int) -> np.ndarray:
        if not hasattr(self.reel, "frames"):
            return self.reel.read(index).data
        if self._frames is None or self._next != index:
            self.close()
            self._frames = iter(self.reel.frames(index, None))
        frame = next(self._frames, None)
        if frame is None or frame.index != index:
            self.close()
            return self.reel.read(index).data
        self._next = index + 1
        return frame.data

    def close(self) -> None:
        """End the forward read (its decoder; the reel stays open)."""
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()
        self._frames = self._next = None


def chunks(frame_range: tuple[int, int], size: int) -> list[tuple[int, int]]:
    a, b = frame_range
    return [(c, min(b, c + size)) for c in range(a, b, size)]


# ---- 4. encode -----------------------------------------------------------------------
def encode(job: Job, reel: Any, cache: RenderCache, frame_range: tuple[int, int], meter: _Meter, eng: Engines,
           cancel: CancelToken | None, source_md5: list[str] | None = None,
           crops: tuple[dict[int, list[tuple[int, int, int, int]]], dict[int, Any]] | None = None,
           ) -> Generator[Progress, None, Any]:
    """Step 4: write every frame, the source read again with the cached patches pasted in; the
    output appears only when complete. ``source_md5``: gets each source frame's MD5 as it goes
    by (when the frames read are the source's: the report need not decode the source again).
    ``crops``: (regions wanted per frame, pairs): the pairs get the (before, after) regions of
    the report's crops as the frames go by (for a lossless output, whose decode is what is
    written), so the report reads neither file again."""
    a, b = frame_range
    writer = eng.open_writer(job.output, job.spec.preset, reel.info, frame_range=(a, b),
                             audio_source=job.input_path, overwrite=job.spec.overwrite,
                             **({"verify": True} if job.spec.verify else {}))
    sources = SourceFrames(reel)
    try:
        for i in range(a, b):
            if crops is not None and i == a and not _decodes_as_written(job.spec.preset, writer):
                crops = None  # (the report reads its frames back)
            if cancel is not None:
                cancel.check()
            source = sources.get(i)
            if source_md5 is not None:
                source_md5.append(frame_md5(source))
            out = cache.frame(i, source)  # the source with the cached patches
            writer.write(out)
            if crops is not None and i in crops[0]:
                if out.dtype != np.uint8 and min(c.bits for c in av.VideoFormat(writer.pix_fmt).components) < 16:
                    crops[1].clear()  # deeper frames than an 8-bit output holds: the report reads them back
                    crops = None
                else:
                    crops[1][i] = (kept_regions(source, crops[0][i]), kept_regions(out, crops[0][i]))
            meter.step()
            yield meter.tick("encode", i)
        return writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        sources.close()


def _decodes_as_written(preset: str, writer: Any) -> bool:
    """Whether ``writer`` (of ``preset``, a name) writes frames whose RGB decode is the array
    written: a lossless codec into an RGB pixel format of 8 or 16 bits a channel (8 bits
    only for 8-bit frames: :func:`encode` checks the frames)."""
    try:
        lossless = bool(load_preset(preset).lossless)
    except (ReelwrightError, OSError, ValueError, KeyError):
        return False
    pix_fmt = getattr(writer, "pix_fmt", None)
    if not lossless or not isinstance(pix_fmt, str):
        return False
    try:
        fmt = av.VideoFormat(pix_fmt)
    except ValueError:
        return False
    return bool(fmt.is_rgb) and all(c.bits in (8, 16) for c in fmt.components)


# ---- 5. report -----------------------------------------------------------------------
def build_report(job: Job, reel_info: Any, export: Any, frame_range: tuple[int, int],
                 interventions: list[Intervention], meter: _Meter, source_md5: list[str] | None = None) -> ReportData:
    """Step 5: what was done to which frame (kind = where the mask came from, method = how);
    ``source_md5``: the source frames' MD5s when step 4 took them."""
    fps = getattr(reel_info, "fps", None)
    spec = job.spec
    return ReportData(
        source=Fixity(str(Path(job.input_path).resolve()), frame_md5=list(source_md5 or [])),
        output=Fixity(str(Path(getattr(export, "path", job.output)).resolve()), getattr(export, "sha256", None),
                      list(getattr(export, "frame_md5", []) or [])),
        interventions=interventions, settings=job.settings, model=job.model, clip=job.clip_id,
        reel=job.reel_id, frame_range=frame_range, fps=None if fps is None else _fraction(fps),
        start_timecode=getattr(reel_info, "timecode", None), preset=spec.preset,
        extra={"manifest": str(getattr(export, "manifest_path", "") or "") or None, "detect": spec.detect,
               "detect_settings": job.detect_settings, "masks": spec.masks, "frames_computed": meter.computed,
               "frames_from_cache": meter.cached,
               # what reading the source accepted or changed (--accept-truncated, mixed depths)
               "notes": [*(getattr(reel_info, "notes", None) or []), *(getattr(export, "notes", None) or [])]},
    )


def _fraction(fps: Any) -> Fraction:
    return Fraction(fps).limit_denominator(1001) if isinstance(fps, float) else Fraction(fps)


# ---- 6. review -----------------------------------------------------------------------
def review(job: Job, frame_range: tuple[int, int], cancel: CancelToken | None
           ) -> Generator[Progress, None, tuple[Path | None, str | None]]:
    """Step 6: the before | after sign-off render; one that cannot be written does not undo the output."""
    if job.spec.review is None:
        return None, None
    opts = dict(job.spec.review)
    target = Path(opts.pop("output", None) or review_path_for(job.output))
    try:
        yield from render_review(job.input_path, job.output, target, frame_range=frame_range, restored_start=0,
                                 cancel=cancel, **opts)
    except Cancelled:
        raise
    except ReelwrightError as exc:
        return None, str(exc)
    return target, None


# ---- the whole render ----------------------------------------------------------------
def render(spec: JobSpec, cancel: CancelToken | None = None, engines: Engines | None = None
           ) -> Generator[Progress, None, RenderResult]:
    """Render ``spec`` (steps 1-6); ``result = yield from render(spec)``. Resumes from its render cache."""
    eng = engines or load_engines()
    job = resolve(spec, eng)
    with job.plan:  # the output, manifests, report and review are this run's until it ends
        reel = eng.open_reel(job.input_path)
        try:
            frame_range = clip_range(reel, job.frame_range, job.input_path)
            check_frame_size(reel.info, "restore")
            # frame steps (rebuild listed frames, stabilize) before detection; all later steps read them
            job.frames = yield from prepare_frames(job.restore, reel, frame_range, cancel=cancel)
            # detection compares neighbours too: its cuts are scanned for (a reel that cannot be
            # read forward, a minimal stand-in, has no scan and no cuts)
            scannable = spec.detect and hasattr(reel, "frames")
            reach = reach_of(eng.detect_settings(job.detect_settings)) if scannable else 0
            job.frames.cuts = yield from temporal_cuts(job.restore, reel, frame_range, job.frames, cancel=cancel,
                                                       detect_reach=reach, keep_scan=True)
            # one forward decode serves the readers of the sliding window (restore, patch source)
            reel = SharedFrames(job.frames.wrap(reel)) if hasattr(reel, "frames") else job.frames.wrap(reel)
            masks = clip_masks(job, reel, frame_range)
            cache = open_cache(job, masks)
            frames = frame_range[1] - frame_range[0]
            meter = _Meter(((2 if spec.detect else 1) + 1) * frames)
            if spec.detect:
                yield from detect_into_cache(job, reel, masks, cache, meter, eng, cancel)
            yield from restore_into_cache(job, reel, masks, cache, meter, eng, cancel)
            # the frames encoded over are the source's unless rebuilt or stabilized: their MD5s are the source's
            source_md5 = None if job.frames.active else []
            info = reel.info
            interventions = [i for f in range(*frame_range) for i in cache.interventions(f)]
            interventions += job.frames.interventions((int(info.height), int(info.width)), frame_range)
            # the report's crops taken as step 4 goes by, where its frames are what the report
            # would read back: the source's, into a lossless output
            crops = None
            if source_md5 is not None and eng.write_report is not None:
                crops = (crop_frames(interventions), {})
            export = yield from encode(job, reel, cache, frame_range, meter, eng, cancel, source_md5, crops)
        finally:
            reel.close()
        data = build_report(job, info, export, frame_range, interventions, meter, source_md5)
        data.extra.update(job.frames.report(frame_range))
        yield Progress(meter.total, meter.total, "report", None, str(job.report_path), stats=meter.stats())
        if eng.write_report is not None:
            if crops is not None and crops[1]:
                eng.write_report(job.report_path, data, frames=crops[1])
            else:
                eng.write_report(job.report_path, data)
        review_path, review_error = yield from review(job, frame_range, cancel)
    if not spec.cache:
        cache.remove()
    return RenderResult(
        output=job.output, report=job.report_path, frames=frames, computed=meter.computed,
        from_cache=meter.cached, interventions=len(interventions), sha256=data.output.sha256,
        frame_md5=list(data.output.frame_md5), review=review_path, review_error=review_error,
    )


# ---- previews: steps 2 and 3 for one frame -------------------------------------------
@dataclass
class PreviewPlan:
    """What restoring one frame exactly as the whole-clip render does needs (plain data: it
    travels to the model preview's worker process)."""

    index: int
    start: int  # the restore call starts here: the chunk's first frame, or after a frame with no mask
    masks: dict[int, np.ndarray | None]
    flicker: dict[int, tuple[float, float]]
    frames: FrameSteps = field(default_factory=FrameSteps)  # the clip's rebuilt / stabilized frames
    exact: dict[int, np.ndarray | None] = field(default_factory=dict)  # painted/held pixels, start..index


def _reach(settings: Any) -> int:
    """How far from a frame the restore looks (temporal radius, deflicker radius)."""
    get = settings.get if isinstance(settings, dict) else lambda k, d=None: getattr(settings, k, d)
    reach = int(get("radius", 3) or 0) + 1
    if get("deflicker", False):
        reach = max(reach, int(get("deflicker_radius", 6) or 0))
    return reach


def plan_preview(reel: Any, index: int, masks: ClipMasks, restore: Any, eng: Engines, *, chunk: int = 100,
                 detect_settings: Any = None, cancel: CancelToken | None = None
                 ) -> Generator[Progress, None, PreviewPlan]:
    """The masks and flicker values frame ``index`` of the clip render sees, detecting (as the
    render would) the frames near it that the clip's masks lack (``detect_settings`` None: no detection)."""
    a, b = masks.frame_range
    if not a <= index < b:
        raise InputError(f"frame {index} is outside the clip ({a}:{b})")
    c0 = a + ((index - a) // chunk) * chunk
    reach = _reach(restore)
    n = len(reel)
    steps = yield from prepare_frames(restore, reel, masks.frame_range, cancel=cancel)  # as the render's step 1
    source, reel = reel, steps.wrap(reel)
    if steps.plan is not None:
        masks.to_output = steps.to_output
    found: dict[int, Detection] = {}

    def fresh_for(lo: int, hi: int) -> Generator[Progress, None, None]:
        wanted = [i for i in range(max(a, lo), min(b, hi)) if i not in found and masks.needs_detection(i)]
        if detect_settings is None or not wanted:
            return
        for run in _runs(wanted):
            # the cuts near the run, as the render's scan finds them (a cut depends on the frames beside it)
            cuts = (yield from temporal_cuts(restore, source, run, steps, cancel=cancel,
                                             detect_reach=reach_of(detect_settings))) \
                if hasattr(source, "frames") else []
            for p in detect(reel, run, detect_settings, eng, cancel, cuts=cuts):
                fd = p.payload
                found[fd.index] = (fd.mask, list(fd.defects), fd.flicker)
                yield Progress(len(found), len(wanted), "detect", fd.index)

    masks.detections = found.get
    # the render's region tracks (hence seeds) restart at its chunk and after a frame with no mask
    start, block = index, 8
    yield from fresh_for(index - reach, index + reach + 1)
    while start > c0:
        j = start - 1
        if j not in found and masks.needs_detection(j):
            yield from fresh_for(max(c0, j + 1 - block), j + 1)  # back in growing blocks
            block *= 2
        if masks.mask(j) is None:
            break
        start = j
    lo, hi = max(0, start - reach), min(n, index + reach + 1)
    yield from fresh_for(lo, hi)
    detect_reach = reach_of(detect_settings) if detect_settings is not None and hasattr(source, "frames") else 0
    steps.cuts = yield from temporal_cuts(restore, source, (start, index + 1), steps, cancel=cancel,
                                          detect_reach=detect_reach)
    plan_masks = {j: masks.mask(j) for j in range(lo, hi)}
    exact = {j: masks.exact(j) for j in range(start, index + 1)}
    return PreviewPlan(index, start, plan_masks, masks.flicker(), steps, exact)


def restore_preview(reel: Any, plan: PreviewPlan, restore: Any, eng: Engines, *, fill_engine: Any = None,
                    cancel: CancelToken | None = None) -> Generator[Progress, None, Any]:
    """Restore ``plan.index`` as the clip render does; returns its RestoredFrame (nothing is written)."""
    result = None
    reel = plan.frames.wrap(reel)
    for p in restore_range(reel, (plan.start, plan.index + 1), plan.masks.get, restore, eng, exact=plan.exact.get,
                           flicker=plan.flicker, fill_engine=fill_engine, cancel=cancel, cuts=plan.frames.cuts):
        if p.payload is not None:
            result = p.payload
        else:
            yield p
    if result is None or result.index != plan.index:
        raise InputError(f"restore did not return frame {plan.index}")
    return result


def preview_frame(reel: Any, index: int, masks: ClipMasks, settings: dict[str, Any], *,
                  detect_settings: dict[str, Any] | None = None, chunk: int = 100, fill_engine: Any = None,
                  engines: Engines | None = None, cancel: CancelToken | None = None
                  ) -> Generator[Progress, None, Any]:
    """Frame ``index`` restored exactly as a whole-clip render with these settings restores it.

    ``settings`` / ``detect_settings`` are the job's setting dicts (``detect_settings`` None:
    the job does not detect); ``chunk`` the job's chunk size. Returns the RestoredFrame."""
    eng = engines or load_engines()
    restore = eng.restore_settings(settings)
    dsettings = None if detect_settings is None else eng.detect_settings(detect_settings)
    plan = yield from plan_preview(reel, index, masks, restore, eng, chunk=chunk, detect_settings=dsettings,
                                   cancel=cancel)
    return (yield from restore_preview(reel, plan, restore, eng, fill_engine=fill_engine, cancel=cancel))
