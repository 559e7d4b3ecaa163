"""Render one job: read -> detect (optional) -> restore -> render cache -> write -> report.

:func:`render` is a generator of :class:`Progress` (stages ``detect``, ``restore``,
``encode``, ``report``), so the CLI, a worker process and a Ray task drive the same code and
cancel it between steps. Every finished frame goes to the :class:`RenderCache` first; the
encode pass reads all frames back from the cache, so a render resumed after a crash writes
exactly what an uninterrupted one would. The output appears only when complete (the media
writer commits atomically); the report is written after it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from restoration_core import __version__
from restoration_core.atomic import check_writable_folder
from restoration_core.defects import Defect, Intervention
from restoration_core.errors import Cancelled, InputError, ReelwrightError
from restoration_core.paths import cache_dir
from restoration_core.progress import CancelToken, Progress
from restoration_core.render.cache import RenderCache
from restoration_core.render.engines import Engines, load_engines
from restoration_core.render.masks import MaskFolder
from restoration_core.render.spec import JobSpec, file_identity

SEQUENCE_PRESETS = ("dpx", "tiff", "png")


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


class _Clock:
    """Frames per second and time left over the units processed in this run."""

    def __init__(self, total: int):
        self.total = total
        self.start = time.monotonic()
        self.worked = 0

    def payload(self, done: int, computed: int, cached: int) -> dict[str, Any]:
        elapsed = max(1e-6, time.monotonic() - self.start)
        rate = self.worked / elapsed
        eta = (self.total - done) / rate if rate > 0 else None
        return {"fps": rate, "eta_s": eta, "computed": computed, "cached": cached}


def default_report_path(output: str | Path, preset: str) -> Path:
    output = Path(output)
    if preset in SEQUENCE_PRESETS or not output.suffix:
        return output.parent / f"{output.name}.report.json"
    return output.with_name(f"{output.stem}.report.json")


@dataclass
class _Source:
    """Where a job's frames and painted masks come from."""

    path: str
    frame_range: tuple[int, int] | None
    settings: dict[str, Any] = field(default_factory=dict)
    mask: Callable[[int, tuple[int, int]], np.ndarray | None] | None = None
    flicker: dict[int, tuple[float, float]] = field(default_factory=dict)
    digest: Callable[[tuple[int, int], tuple[int, int]], str] | None = None
    clip: str | None = None
    reel: str | None = None


def _resolve_source(spec: JobSpec, eng: Engines) -> _Source:
    """A plain input, or a project clip: its reel, in/out range, repair masks and flicker curve."""
    if not spec.project:
        return _Source(str(spec.input), spec.frame_range)
    if eng.load_project is None:
        raise InputError("project jobs are not supported by this engine", spec.project)
    project = eng.load_project(spec.project)
    try:
        clip = project.clip(str(spec.clip))
        reel = project.reel(clip.reel_id)
    except KeyError as exc:
        raise InputError(str(exc.args[0] if exc.args else exc), spec.project) from None

    def mask(index: int, shape: tuple[int, int]) -> np.ndarray | None:
        return project.repair_mask(reel.id, index, shape)

    def digest(frames: tuple[int, int], shape: tuple[int, int]) -> str:
        """The project's reel, clip settings and masks pin the cached frames (an edited mask invalidates them)."""
        marks = project.mask_digests(reel.id, range(*frames), shape)
        pinned = [file_identity(str(reel.path)), clip.settings, marks, sorted(project.flicker(reel.id).items())]
        return hashlib.sha256(json.dumps(pinned, default=str).encode()).hexdigest()

    return _Source(str(reel.path), spec.frame_range or (clip.in_frame, clip.out_frame),
                   dict(clip.settings or {}), mask, project.flicker(reel.id), digest, clip.id, reel.id)


def render(
    spec: JobSpec, cancel: CancelToken | None = None, engines: Engines | None = None
) -> Generator[Progress, None, RenderResult]:
    """Render ``spec``; ``result = yield from render(spec)``. Resumes from its render cache."""
    eng = engines or load_engines()
    spec.validate()
    source = _resolve_source(spec, eng)
    input_path, project_mask = source.path, source.mask
    pattern = "%" in Path(input_path).name and Path(input_path).parent.is_dir()  # a printf sequence
    if not (Path(input_path).exists() or pattern):
        raise InputError("input does not exist", input_path)
    output = Path(spec.output)
    check_writable_folder(output.parent if str(output.parent) else Path("."))
    report_path = Path(spec.report) if spec.report else default_report_path(output, spec.preset)
    if spec.report:
        check_writable_folder(report_path.parent if str(report_path.parent) else Path("."))
    user_masks = MaskFolder(spec.masks) if spec.masks else None
    settings = {**source.settings, **spec.settings}
    rsettings = eng.restore_settings(settings)
    model_info = None
    uses_model = bool(settings.get("model")) and settings.get("engine", "auto") in ("auto", "diffusion")
    if uses_model and eng.model_identity is not None:
        model_info = eng.model_identity(settings["model"])  # a bad model fails before any work

    reel = eng.open_reel(input_path)
    try:
        n = len(reel)
        a, b = source.frame_range or (0, n)
        b = n if b == -1 else b
        if not (0 <= a < b <= n):
            raise InputError(f"frame range {a}:{b} is outside the reel (0:{n})", input_path)
        frames = b - a
        shape = (int(reel.info.height), int(reel.info.width))
        key = spec.cache_key()
        if source.digest is not None:
            key = hashlib.sha256((key + source.digest((a, b), shape)).encode()).hexdigest()[:20]
        if model_info is not None:  # the weights, not just the model's name, pin the frames
            key = hashlib.sha256((key + str(model_info.get("sha256"))).encode()).hexdigest()[:20]
        # a project's clip renders keep their cache in the project (until the job is done)
        root = Path(spec.cache) if spec.cache else \
            (Path(spec.project) / "cache" if spec.project else cache_dir() / "renders")
        cache = RenderCache.for_key(root, key, {"input": input_path, "range": [a, b]})
        stages = (2 if spec.detect else 1) + 1
        total = stages * frames
        clock = _Clock(total)
        done = computed = cached = 0

        def tick(stage: str, frame: int | None, message: str = "") -> Progress:
            return Progress(done, total, stage, frame, message, clock.payload(done, computed, cached))

        chunks = [(c, min(b, c + spec.chunk)) for c in range(a, b, spec.chunk)]

        # 1. detect (cached, so the restore pass and a resumed run see the same masks)
        if spec.detect:
            dsettings = eng.detect_settings(spec.detect_settings)
            for c0, c1 in chunks:
                if cache.first_missing_detection(c0, c1) is None:
                    done += c1 - c0
                    continue
                for p in eng.detect_reel(reel, dsettings, frame_range=(c0, c1), cancel=cancel):
                    fd = p.payload
                    if fd is not None:
                        if not cache.has_detection(fd.index):
                            cache.put_detection(fd.index, fd.mask, list(fd.defects), fd.flicker)
                        done += 1
                        clock.worked += 1
                        yield tick("detect", fd.index)
                    if cancel is not None:
                        cancel.check()
            missing = cache.first_missing_detection(a, b)
            if missing is not None:
                raise InputError(f"detection did not report frame {missing}", input_path)

        def detected(index: int) -> tuple[np.ndarray | None, list[Defect], Any]:
            if spec.detect and a <= index < b and cache.has_detection(index):
                return cache.detection(index)
            return None, [], None

        def mask_for(index: int) -> np.ndarray | None:
            layers = [detected(index)[0]]
            if user_masks is not None:
                layers.append(user_masks.get(index, shape))
            if project_mask is not None:
                layers.append(project_mask(index, shape))
            layers = [m for m in layers if m is not None]
            if not layers:
                return None
            return np.logical_or.reduce(layers) if len(layers) > 1 else layers[0]

        def kinds_for(index: int) -> list[Defect]:
            return detected(index)[1]

        # the measured brightness curve; restore applies it only when settings.deflicker is on
        curve = {i: v for i, v in source.flicker.items() if a <= i < b}
        if spec.detect:
            curve.update({i: v for i in range(a, b) if (v := detected(i)[2]) is not None})
        flicker = curve or None

        # 2. restore, chunk by chunk: each chunk is one restore_frames call from its first
        # frame, so a chunk redone after an interruption carries exactly the state (region
        # tracks, seeds, fill init, flicker) it had in an uninterrupted run
        fill_engine = None
        for c0, c1 in chunks:
            if cache.first_missing_frame(c0, c1) is None:
                done += c1 - c0
                cached += c1 - c0
                continue
            if fill_engine is None and uses_model and eng.load_fill_engine is not None:
                kwargs = {"steps": settings["steps"]} if settings.get("steps") else {}
                fill_engine = eng.load_fill_engine(settings["model"], **kwargs)  # only when needed
            work = eng.restore_frames(
                reel, (c0, c1), mask_for, rsettings, cancel=cancel, fill_engine=fill_engine,
                kinds_for=kinds_for, flicker=flicker,
            )
            for p in work:
                rf = p.payload
                if rf is not None:
                    if not cache.has_frame(rf.index):
                        cache.put_frame(rf.index, rf.data, list(rf.interventions))
                    computed += 1
                    done += 1
                    clock.worked += 1
                    yield tick("restore", rf.index)
                else:
                    yield tick("restore", p.frame, p.message or p.stage)
                if cancel is not None:
                    cancel.check()
        missing = cache.first_missing_frame(a, b)
        if missing is not None:
            raise InputError(f"restore did not return frame {missing}", input_path)

        # 3. encode every frame from the cache: identical output whether resumed or not
        writer = eng.open_writer(output, spec.preset, reel.info, frame_range=(a, b), audio_source=input_path,
                                 overwrite=spec.overwrite)
        try:
            for i in range(a, b):
                if cancel is not None:
                    cancel.check()
                writer.write(cache.frame(i))
                done += 1
                clock.worked += 1
                yield tick("encode", i)
            export = writer.commit()
        except BaseException:
            writer.abort()
            raise
        fps, start_timecode = getattr(reel.info, "fps", None), getattr(reel.info, "timecode", None)
    finally:
        reel.close()

    # 4. report: what was done to which frame, with the writer's fixity
    interventions: list[Intervention] = []
    for i in range(a, b):
        interventions.extend(cache.interventions(i))
    frame_md5 = list(getattr(export, "frame_md5", []) or [])
    data = {
        "tool": f"reelwright {__version__}",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "source": str(Path(input_path).resolve()),
        "output": str(Path(getattr(export, "path", output)).resolve()),
        "manifest": str(getattr(export, "manifest_path", "") or "") or None,
        "preset": spec.preset,
        "frame_range": [a, b],
        "fps": str(fps) if fps else None,
        "start_timecode": start_timecode,
        "clip": source.clip,
        "reel": source.reel,
        "settings": settings,
        "detect": spec.detect,
        "detect_settings": spec.detect_settings,
        "masks": spec.masks,
        "model": model_info,
        "interventions": [i.to_dict() for i in interventions],
        "frames": [{"index": a + k, "md5": m} for k, m in enumerate(frame_md5)],
        "sha256": getattr(export, "sha256", None),
        "frames_computed": computed,
        "frames_from_cache": cached,
    }
    yield Progress(total, total, "report", None, str(report_path), clock.payload(total, computed, cached))
    if eng.write_report is not None:
        eng.write_report(report_path, data)

    # 5. the review render for sign-off, if asked; a failed review does not undo the output
    review_path, review_error = None, None
    if spec.review is not None:
        from restoration_core.render.signoff import render_review, review_path_for

        opts = dict(spec.review)
        target = Path(opts.pop("output", None) or review_path_for(output))
        try:
            yield from render_review(input_path, output, target, frame_range=(a, b), restored_start=0,
                                     cancel=cancel, **opts)
            review_path = target
        except Cancelled:
            raise
        except ReelwrightError as exc:
            review_error = str(exc)
    if not spec.cache:
        cache.remove()
    return RenderResult(
        output=output, report=report_path, frames=frames, computed=computed, from_cache=cached,
        interventions=len(interventions), sha256=data["sha256"], frame_md5=frame_md5,
        review=review_path, review_error=review_error,
    )
