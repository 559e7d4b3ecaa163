"""A job: one clip, its settings and its output, serializable to JSON and TOML job files.

A job names either an input (file or sequence) with an optional frame range, or a project
and a clip id (the project gives the reel, the in/out range and the painted masks). Job files
list many jobs; ``[defaults]`` apply to every job, relative paths are relative to the file.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import tomllib
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from restoration_core.errors import InputError
from restoration_core.media.presets import PRESET_NAMES as PRESETS
from restoration_core.render.engines import load_engines
from restoration_core.restore.settings import ENGINES

LAYOUTS = ("side", "split")  # of the sign-off review render (restoration_core.render.signoff)
DEFAULT_CHUNK = 100  # frames per restore call; a resumed job redoes at most one chunk


def parse_range(text: str | None, frames: int | None = None, path: str | Path | None = None
                ) -> tuple[int, int] | None:
    """``"A:B"`` -> (A, B), B exclusive; either side may be empty (``"A:"`` leaves the end open).

    Without ``frames`` an open end is -1 (resolved when the reel is opened); with ``frames``
    the range is resolved and checked against a reel of that many frames. The one range
    parser of the CLI, job files and the export dialog."""
    if text in (None, ""):
        return None if frames is None else (0, frames)
    try:
        a_text, b_text = str(text).split(":")
        a = int(a_text) if a_text.strip() else 0
        b = int(b_text) if b_text.strip() else -1
    except ValueError:
        raise InputError(f"frame range {text!r} is not A:B (0-based, end exclusive)", path) from None
    if a < 0 or (b != -1 and b <= a):
        raise InputError(f"frame range {text!r} is empty or negative", path)
    if frames is not None:
        b = frames if b == -1 else b
        if not a < b <= frames:
            raise InputError(f"frame range {text} is outside the reel (0:{frames})", path)
    return a, b


def parse_frame_list(text: str | list | tuple | None) -> list[int]:
    """``"12,40:43"`` -> [12, 40, 41, 42]: frame numbers and ``A:B`` ranges (B exclusive, as
    :func:`parse_range`), comma-separated; a list of numbers is returned sorted."""
    if text in (None, ""):
        return []
    if isinstance(text, (list, tuple)):
        items = [str(v) for v in text]
    else:
        items = [t.strip() for t in str(text).split(",") if t.strip()]
    frames: set[int] = set()
    for item in items:
        if ":" in item:
            rng = parse_range(item)
            if rng is None or rng[1] == -1:
                raise InputError(f"frame list {text!r}: the range {item!r} needs an end")
            frames.update(range(*rng))
            continue
        try:
            value = int(item)
        except ValueError:
            raise InputError(f"frame list {text!r}: {item!r} is not a frame number or A:B range") from None
        if value < 0:
            raise InputError(f"frame list {text!r}: frame {value} is negative")
        frames.add(value)
    return sorted(frames)


def clip_settings(settings: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A project clip's (restore, detect) settings: ``{"restore": {...}, "detect": {...}}`` as the
    workbench stores them, or the restore settings alone (a flat dict)."""
    settings = dict(settings or {})
    if "restore" in settings or "detect" in settings:
        unknown = sorted(set(settings) - {"restore", "detect"})
        if unknown:
            raise InputError(f"unknown clip setting {unknown[0]!r} beside 'restore' and 'detect'")
        return dict(settings.get("restore") or {}), dict(settings.get("detect") or {})
    return settings, {}


def file_identity(path: str | None) -> list | None:
    """Path + size + mtime: a changed source or model invalidates cached frames."""
    if not path:
        return None
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return [str(p.resolve()), None, None]
    if p.is_dir():
        entries = sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in os.scandir(p) if e.is_file())
        return [str(p.resolve()), len(entries), hashlib.sha256(json.dumps(entries).encode()).hexdigest()]
    return [str(p.resolve()), st.st_size, st.st_mtime_ns]


def _whole_range(value: Any, job: str) -> tuple[int, int]:
    """``[start, end]`` of whole frame numbers (end exclusive, -1 open); anything else is an InputError.

    A job file's ``[0.5, 2]`` used to be cut to ``(0, 2)`` without a word: a range names frames,
    so a fraction, a bool, a negative start or an end before the start is refused by name.
    """
    try:
        start, end = value
    except (TypeError, ValueError):
        raise InputError(f"job {job}: frame_range must be [start, end], got {value!r}") from None
    for v in (start, end):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise InputError(f"job {job}: frame_range must be whole frame numbers, got {value!r}")
    if start < 0 or (end != -1 and end <= start):  # -1: open end, as parse_range gives it
        raise InputError(f"job {job}: frame_range [{start}, {end}] is empty or negative (end exclusive)")
    return int(start), int(end)


@dataclass
class JobSpec:
    """Everything a worker needs to render one clip (no live objects, only plain data)."""

    output: str
    input: str | None = None
    preset: str = "mezzanine"
    frame_range: tuple[int, int] | None = None
    masks: str | None = None
    detect: bool = True
    detect_settings: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    cache: str | None = None
    report: str | None = None
    project: str | None = None
    clip: str | None = None
    name: str = ""
    chunk: int = DEFAULT_CHUNK
    overwrite: bool = True  # False: an output that exists when the job writes it is an error
    verify: bool = False  # decode a lossless output back once written and compare every frame
    # a review render after the output (before | after, timecode burnt in): the options of
    # restoration_core.render.signoff.render_review (layout, split, preset, burn_in, overwrite) and
    # "output" (default NAME_review.mp4 beside the output)
    review: dict[str, Any] | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        if self.frame_range is not None:
            self.frame_range = _whole_range(self.frame_range, self.name or self.input or self.output)
        if not self.name:
            self.name = Path(self.input or self.clip or self.output).name
        if isinstance(self.settings.get("rebuild"), str):  # "12,40:43" in a job file
            self.settings = {**self.settings, "rebuild": parse_frame_list(self.settings["rebuild"])}

    def validate(self) -> None:
        """Raise :class:`InputError` for a spec no worker could run."""
        if not self.output:
            raise InputError(f"job {self.name}: no output given")
        if not self.input and not (self.project and self.clip):
            raise InputError(f"job {self.name}: needs an input, or a project and a clip id")
        if self.preset not in PRESETS:
            raise InputError(f"job {self.name}: unknown preset {self.preset!r} (one of {', '.join(PRESETS)})")
        if not isinstance(self.chunk, int) or self.chunk < 1:
            raise InputError(f"job {self.name}: chunk must be a whole number of frames >= 1")
        engine = self.settings.get("engine", "auto")
        if engine not in ENGINES:
            raise InputError(f"job {self.name}: unknown engine {engine!r} (one of {', '.join(ENGINES)})")
        if engine == "diffusion" and not self.settings.get("model"):
            raise InputError(f"job {self.name}: the diffusion engine needs a model (--model PATH)")
        if self.review is not None:
            unknown = sorted(set(self.review) - REVIEW_KEYS)
            if unknown:
                raise InputError(f"job {self.name}: unknown review option(s): {', '.join(unknown)}")
            if self.review.get("layout", "side") not in LAYOUTS:
                raise InputError(f"job {self.name}: unknown review layout {self.review['layout']!r}")

    @property
    def needs_gpu(self) -> bool:
        """Diffusion work goes to a GPU worker when the machine has one."""
        engine = self.settings.get("engine", "auto")
        return engine == "diffusion"  # auto never uses a model (restore_frames)

    def cache_key(self) -> str:
        """Hash of everything that changes the restored pixels (not the preset or output)."""
        ident = {
            "input": file_identity(self.input),
            "project": str(Path(self.project).resolve()) if self.project else None,
            "clip": self.clip,
            "range": list(self.frame_range) if self.frame_range else None,
            "masks": file_identity(self.masks),
            "detect": self.detect,
            "chunk": self.chunk,
            "detect_settings": self.detect_settings,
            "settings": self.settings,
            "model": file_identity(self.settings.get("model")),
        }
        return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:20]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["frame_range"] = list(self.frame_range) if self.frame_range else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], base: Path | None = None) -> JobSpec:
        """Build a spec from a dict (a job file entry); unknown keys are an error."""
        d = dict(d)
        if "range" in d:
            d["frame_range"] = parse_range(d.pop("range"))
        elif isinstance(d.get("frame_range"), str):
            d["frame_range"] = parse_range(d["frame_range"])
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise InputError(f"unknown job key(s): {', '.join(unknown)}")
        for key in ("input", "output", "masks", "cache", "report", "project"):
            if d.get(key) and base is not None and not Path(d[key]).is_absolute():
                d[key] = str(base / d[key])
        if d.get("settings", {}).get("model") and base is not None:
            model = Path(d["settings"]["model"])  # a path, or a registered model name / repo id
            if not model.is_absolute() and (base / model).exists():
                d["settings"] = {**d["settings"], "model": str(base / model)}
        if "output" not in d:
            raise InputError(f"job {d.get('input') or d.get('clip')}: no output given")
        spec = cls(**{k: v for k, v in d.items() if v is not None or k == "frame_range"})
        spec.validate()
        return spec


REVIEW_KEYS = {"output", "layout", "split", "preset", "burn_in", "overwrite", "max_width"}
def _merge(defaults: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """Defaults under a job; restore settings may be given at the top level for brevity (any key
    that is not a job key is one, and an unknown one is refused by name when the settings are parsed)."""
    merged = {**defaults, **job}
    settings = {**defaults.get("settings", {}), **job.get("settings", {})}
    for key in [k for k in merged if k not in JobSpec.__dataclass_fields__ and k != "range"]:
        settings[key] = merged.pop(key)
    merged["settings"] = settings
    return merged


def load_job_file(path: str | Path) -> list[JobSpec]:
    """Read a TOML or JSON job file: ``[defaults]`` plus ``[[job]]`` (TOML) / ``"jobs": [...]`` (JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read job file ({exc.strerror or exc})", path) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"not a valid job file ({exc})", path) from None
    if not isinstance(data, dict):
        raise InputError("a job file holds a table with 'jobs'", path)
    entries = data.get("jobs", data.get("job"))
    if not isinstance(entries, list) or not entries:
        raise InputError("no jobs listed (use [[job]] in TOML or \"jobs\": [...] in JSON)", path)
    defaults = data.get("defaults", {})
    specs = []
    eng = load_engines()  # the settings are parsed as the workers will parse them
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise InputError(f"job {n} is not a table", path)
        try:
            spec = JobSpec.from_dict(_merge(defaults, entry), base=path.parent)
            eng.restore_settings(spec.settings)
            eng.detect_settings(spec.detect_settings)
            specs.append(spec)
        except InputError as exc:
            raise InputError(f"job {n}: {exc}", path) from None
        except TypeError as exc:
            raise InputError(f"job {n}: {exc}", path) from None
    return specs
