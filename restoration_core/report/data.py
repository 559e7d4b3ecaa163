"""What an intervention report holds, and its JSON form.

One report describes one render (one clip of one reel, one preset): the fixity of the
source and of the output, the program and settings that made it, the model used (if any)
and one :class:`~restoration_core.defects.Intervention` per repaired region per frame.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from restoration_core import __version__
from restoration_core.defects import Intervention

FORMAT = "reelwright-intervention-report"
FORMAT_VERSION = 1


@dataclass
class Fixity:
    """A file (or sequence folder) with its SHA-256 and the MD5 of each decoded frame."""

    path: str
    sha256: str | None = None
    frame_md5: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "frame_md5": list(self.frame_md5)}

    @classmethod
    def from_dict(cls, d: dict | str | None) -> Fixity:
        if d is None:
            return cls("")
        if isinstance(d, str):
            return cls(d)
        return cls(str(d.get("path") or ""), d.get("sha256"), [str(m) for m in d.get("frame_md5") or []])


@dataclass
class ReportData:
    """Everything :func:`restoration_core.report.write_report` writes.

    ``frame_range`` is (first, stop) in source frame indices, stop exclusive; intervention
    ``frame`` values are source indices, so output frame ``k`` is source frame ``first + k``.
    """

    source: Fixity
    output: Fixity
    interventions: list[Intervention] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    model: dict | None = None  # {"path": ..., "sha256": ...} of the weights, None without a model
    clip: str | None = None
    reel: str | None = None
    frame_range: tuple[int, int] | None = None
    fps: Fraction | None = None
    start_timecode: str | None = None
    preset: str | None = None
    program_version: str = __version__
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    extra: dict = field(default_factory=dict)  # other facts of the run, kept verbatim

    def summary(self) -> dict:
        """Counts for the report header: frames, interventions, repaired area, by kind and method."""
        first, stop = self.frame_range or (0, len(self.output.frame_md5) or len(self.source.frame_md5))
        touched = {i.frame for i in self.interventions}
        return {
            "frames": max(0, stop - first),
            "frames_repaired": len(touched),
            "interventions": len(self.interventions),
            "area": int(sum(i.area for i in self.interventions)),
            "by_kind": dict(sorted(Counter(i.kind for i in self.interventions).items())),
            "by_method": dict(sorted(Counter(i.method for i in self.interventions).items())),
        }

    def to_dict(self) -> dict:
        fps = None if self.fps is None else f"{self.fps.numerator}/{self.fps.denominator}"
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "program": {"name": "reelwright", "version": self.program_version},
            "created": self.created,
            "clip": self.clip,
            "reel": self.reel,
            "frame_range": list(self.frame_range) if self.frame_range else None,
            "fps": fps,
            "start_timecode": self.start_timecode,
            "preset": self.preset,
            "source": self.source.to_dict(),
            "output": self.output.to_dict(),
            "settings": self.settings,
            "model": self.model,
            "summary": self.summary(),
            "interventions": [i.to_dict() for i in self.interventions],
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ReportData:
        """Read a report's JSON (as written by :meth:`to_dict`)."""
        fr = d.get("frame_range")
        return cls(
            source=Fixity.from_dict(d.get("source")),
            output=Fixity.from_dict(d.get("output")),
            interventions=[Intervention.from_dict(i) for i in d.get("interventions") or []],
            settings=dict(d.get("settings") or {}),
            model=d.get("model"),
            clip=d.get("clip"),
            reel=d.get("reel"),
            frame_range=(int(fr[0]), int(fr[1])) if fr else None,
            fps=Fraction(d["fps"]) if d.get("fps") else None,
            start_timecode=d.get("start_timecode"),
            preset=d.get("preset"),
            program_version=str((d.get("program") or {}).get("version", __version__)),
            created=str(d.get("created") or ""),
            extra=dict(d.get("extra") or {}),
        )
