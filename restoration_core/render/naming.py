"""Where exports go: destination names from tokens, one planned output per clip and preset.

Tokens: ``{reel}`` ``{clip}`` ``{in_tc}`` ``{out_tc}`` ``{preset}`` ``{ext}``. Timecodes are
written ``01-00-00-00`` (colons are not portable in file names); ``{out_tc}`` labels the last
frame of the range (inclusive, as an editor reads it). A container preset's extension is
appended when the pattern lacks ``{ext}``; a sequence preset (dpx, tiff, png) names a folder.
An existing file or folder is never replaced unless ``overwrite`` is asked for: OutputError.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from restoration_core.errors import InputError, OutputError
from restoration_core.media.presets import load_preset
from restoration_core.media.timecode import frames_to_timecode
from restoration_core.render.spec import JobSpec

TOKENS = ("reel", "clip", "in_tc", "out_tc", "preset", "ext")
DEFAULT_PATTERN = "{reel}_{clip}_{in_tc}_{preset}"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True)
class ExportItem:
    """One clip or range to export: ``frame_range`` is (in, out) source indices, out exclusive."""

    source: str
    reel: str
    clip: str
    frame_range: tuple[int, int]
    fps: Fraction = Fraction(24)
    start_timecode: str | None = None
    clip_id: str | None = None
    project: str | None = None


@dataclass(frozen=True)
class PlannedExport:
    """One job of an export plan: one item rendered with one preset to ``output``."""

    item: ExportItem
    preset: str
    output: Path
    report: Path
    settings: dict = field(default_factory=dict)


def preset_extension(preset: str) -> str:
    """The preset's file extension without the dot (from its TOML file: the one source)."""
    return load_preset(preset).extension.lstrip(".")


def is_sequence_preset(preset: str) -> bool:
    """Whether the preset writes an image sequence (a folder), from its TOML file."""
    return load_preset(preset).is_sequence


def safe_token(value: object) -> str:
    """A token value usable in a file name on any system (no separators, no colons)."""
    text = _UNSAFE.sub("_", str(value)).strip("._")
    return text or "untitled"


def _tc_token(frame: int, item: ExportItem) -> str:
    tc = frames_to_timecode(frame, item.fps, item.start_timecode or "00:00:00:00")
    return tc.replace(":", "-").replace(";", "-")


def check_pattern(pattern: str) -> None:
    """InputError for an unknown token, a malformed pattern, or one that makes sub-folders."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError as exc:
        raise InputError(f"naming pattern {pattern!r}: {exc}") from None
    unknown = [n for n in names if n not in TOKENS]
    if unknown:
        raise InputError(f"naming pattern {pattern!r}: unknown token {{{unknown[0]}}} (use {', '.join(TOKENS)})")
    if "/" in pattern or "\\" in pattern or not pattern.strip():
        raise InputError(f"naming pattern {pattern!r}: must be a plain file name")


def destination_name(item: ExportItem, preset: str, pattern: str = DEFAULT_PATTERN) -> str:
    """The file (or sequence folder) name of ``item`` exported with ``preset``."""
    check_pattern(pattern)
    ext = preset_extension(preset)
    a, b = item.frame_range
    values = {
        "reel": safe_token(item.reel), "clip": safe_token(item.clip), "preset": safe_token(preset),
        "in_tc": _tc_token(a, item), "out_tc": _tc_token(max(a, b - 1), item), "ext": ext,
    }
    name = pattern.format(**values)
    if "{ext}" not in pattern and not is_sequence_preset(preset):
        name = f"{name}.{ext}"
    return name


def resolve_destination(path: str | Path, *, overwrite: bool = False, taken: set[Path] | None = None) -> Path:
    """``path`` itself when free (or ``overwrite``); OutputError when it exists or another job has it."""
    path = Path(path)
    if taken is not None and path in taken:
        raise OutputError("two exports would write the same file (add {preset} or {clip} to the pattern)", path)
    if (path.exists() or path.is_symlink()) and not overwrite:
        raise OutputError("already exists (refusing to overwrite; choose another name or allow overwriting)", path)
    return path


def review_path_for(output: str | Path, ext: str = "mp4") -> Path:
    """Where the review of ``output`` goes by default: ``NAME_review.mp4`` beside it."""
    output = Path(output)
    stem = output.stem if output.suffix else output.name
    return output.with_name(f"{stem}_review.{ext}")


def report_path_for(output: Path, preset: str) -> Path:
    """The intervention report beside an output: ``NAME.report.json``."""
    if is_sequence_preset(preset) or not output.suffix:
        return output.parent / f"{output.name}.report.json"
    return output.with_name(f"{output.stem}.report.json")


def plan_exports(
    items: list[ExportItem],
    presets: list[str],
    folder: str | Path,
    pattern: str = DEFAULT_PATTERN,
    *,
    overwrite: bool = False,
    settings: dict | None = None,
) -> list[PlannedExport]:
    """One planned export per item and preset (a master and an access copy are two jobs).

    Checks every destination before anything runs, so a plan either starts whole or not at all.
    """
    if not items:
        raise InputError("nothing to export: choose at least one clip or range")
    if not presets:
        raise InputError("no export preset chosen")
    if len(set(presets)) != len(presets):
        raise InputError("the same preset is chosen twice")
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError("destination folder does not exist", folder)
    plan: list[PlannedExport] = []
    taken: set[Path] = set()
    for item in items:
        for preset in presets:
            output = resolve_destination(folder / destination_name(item, preset, pattern), overwrite=overwrite,
                                         taken=taken)
            report = resolve_destination(report_path_for(output, preset), overwrite=overwrite, taken=taken)
            taken.update({output, report})
            plan.append(PlannedExport(item, preset, output, report, dict(settings or {})))
    return plan


def job_specs(plan: list[PlannedExport], *, detect: bool = False, restore: dict | None = None,
              overwrite: bool = False, review: dict | None = None) -> list:
    """The job runner's :class:`~restoration_core.render.spec.JobSpec` for each planned export.

    Without ``overwrite`` a job refuses an output that exists by the time it writes it (one
    queued earlier to the same name, say), as planning refused the ones that existed then.
    ``review`` (render_review options): the first output of each clip also renders the
    clip's review (before | after) when it is done, as part of the same job."""
    specs = []
    reviewed: list = []
    for p in plan:
        it = p.item
        common = {"output": str(p.output), "preset": p.preset, "report": str(p.report), "detect": detect,
                  "settings": {**p.settings, **(restore or {})}, "name": f"{it.clip} [{p.preset}]",
                  "overwrite": overwrite}
        if review is not None and it not in reviewed:   # the clip's first output is the "after"
            reviewed.append(it)
            common["review"] = {**review, "output": str(review_path_for(p.output))}
        if it.project and it.clip_id:
            specs.append(JobSpec(project=it.project, clip=it.clip_id, frame_range=it.frame_range, **common))
        else:
            specs.append(JobSpec(input=it.source, frame_range=it.frame_range, **common))
    return specs
