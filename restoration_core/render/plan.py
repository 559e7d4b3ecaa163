"""Run an export plan in this process (when no job pool is used): one media export per clip and preset.

Each planned output is written by :func:`restoration_core.render.export` (atomic, with its
fixity manifest) and gets a fixity report beside it; an optional review render compares the
source with one of the outputs. Progress covers the whole plan, so one bar shows it all.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

from restoration_core.media import open_reel, open_writer
from restoration_core.progress import CancelToken, Progress
from restoration_core.render.export import export
from restoration_core.render.naming import PlannedExport, resolve_destination, review_path_for
from restoration_core.render.signoff import render_review
from restoration_core.report import Fixity, ReportData, write_report


@dataclass
class PlanResult:
    """What a finished plan wrote: one export result per planned export, reports, reviews."""

    exports: list = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    reviews: list[Path] = field(default_factory=list)


def _report(p: PlannedExport, result) -> Path:
    it = p.item
    data = ReportData(
        source=Fixity(it.source), output=Fixity(str(result.path), result.sha256, list(result.frame_md5)),
        settings={"restore": False, **p.settings}, clip=it.clip, reel=it.reel, frame_range=it.frame_range,
        fps=it.fps, start_timecode=it.start_timecode, preset=p.preset,
        extra={"manifest": str(result.manifest_path), "notes": list(getattr(result, "notes", []))},
    )
    return write_report(p.report, data)


def export_video_only(source: str, output: Path, preset: str, frame_range: tuple[int, int],
                      cancel: CancelToken | None = None) -> Generator[Progress, None, object]:
    """Like :func:`restoration_core.render.export`, without copying the source's audio."""
    reel = open_reel(source, cache_bytes=0)
    try:
        a, b = frame_range
        av_frames = reel.iter_av(a, b)
        writer = open_writer(output, preset, reel.info, frame_range=(a, b), audio_source=None,
                             source_frames=av_frames is not None)
        try:
            frames = av_frames if av_frames is not None else ((f.index, f.data) for f in reel.frames(a, b))
            for done, (index, frame) in enumerate(frames, 1):
                if cancel is not None:
                    cancel.check()
                if av_frames is not None:
                    writer.write_av(frame)
                else:
                    writer.write(frame)
                yield Progress(done, b - a, "export", index)
            return writer.commit()
        except BaseException:
            writer.abort()
            raise
    finally:
        reel.close()


def _review_path(review: dict, first: PlannedExport, items: int) -> Path:
    target = review.get("output")
    return Path(target) if target and items == 1 else review_path_for(first.output)


def run_plan(
    plan: list[PlannedExport],
    cancel: CancelToken | None = None,
    *,
    reports: bool = True,
    audio: bool = True,
    review: dict | None = None,
) -> Generator[Progress, None, PlanResult]:
    """Export every planned output in order; ``result = yield from run_plan(plan)``.

    ``audio``: copy the source's audio into container outputs (False: picture only).
    ``review``: keyword arguments of :func:`restoration_core.render.signoff.render_review` (``layout``,
    ``split``, ``preset``...) plus ``output`` (default: beside the first output of each item,
    ``NAME_review.mp4``); the review compares each item's source with its first output.
    """
    items = list(dict.fromkeys(p.item for p in plan))
    if review is not None:  # refuse an existing review file before any export starts
        for it in items:
            first = next(p for p in plan if p.item == it)
            resolve_destination(_review_path(review, first, len(items)), overwrite=bool(review.get("overwrite")))
    per_item = {it: it.frame_range[1] - it.frame_range[0] for it in items}
    total = sum(per_item[p.item] for p in plan) + (sum(per_item.values()) if review is not None else 0)
    out = PlanResult()
    done = 0
    for p in plan:
        base = done
        result = None
        run = export if audio else export_video_only
        task = run(p.item.source, p.output, p.preset, frame_range=p.item.frame_range, cancel=cancel)
        try:
            while True:
                step = next(task)
                yield Progress(base + step.done, total, p.preset, step.frame, step.message or str(p.output.name))
        except StopIteration as stop:
            result = stop.value
        done = base + per_item[p.item]
        out.exports.append(result)
        if reports:
            out.reports.append(_report(p, result))
            yield Progress(done, total, "report", None, str(p.report.name))
    if review is not None:
        opts = dict(review)
        opts.pop("output", None)
        for it in items:
            first = next(p for p in plan if p.item == it)
            path = _review_path(review, first, len(items))
            base = done
            task = render_review(it.source, first.output, path, frame_range=it.frame_range, restored_start=0,
                                 cancel=cancel, **opts)
            try:
                while True:
                    step = next(task)
                    yield Progress(base + step.done, total, "review", step.frame, path.name)
            except StopIteration:
                pass
            done = base + per_item[it]
            out.reviews.append(path)
    return out
