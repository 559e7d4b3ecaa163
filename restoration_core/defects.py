"""What detection reports and what restoration records: defects and interventions.

These plain records cross every layer (detect -> project -> GUI overlay -> restore ->
intervention report), so they live in one small module with lossless JSON round-trips.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

DefectKind = Literal["dust", "dirt", "scratch", "blotch", "painted", "held"]  # painted, held: masks from no detector
Polarity = Literal["dark", "bright", "mixed"]
FillMethod = Literal["temporal", "diffusion", "classical", "none"]  # none: left as scanned (see review)
# whole-frame steps (restoration_core.render.frames): a frame rebuilt or a tear repaired from its
# neighbours (interpolation, or repeat at a clip's end), a frame stabilized (resample)
FrameKind = Literal["rebuild", "tear", "stabilize"]
FrameMethod = Literal["interpolation", "repeat", "resample"]


@dataclass(frozen=True, slots=True)
class Defect:
    """One detected region in one frame. ``bbox`` is (x, y, w, h) in source pixels."""

    frame: int
    bbox: tuple[int, int, int, int]
    area: int
    kind: DefectKind
    polarity: Polarity
    score: float
    id: int = 0  # stable within a frame; used to accept/reject one detection

    def to_dict(self) -> dict:
        d = asdict(self)
        d["bbox"] = list(self.bbox)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Defect:
        return cls(
            frame=int(d["frame"]),
            bbox=tuple(int(v) for v in d["bbox"]),  # type: ignore[arg-type]
            area=int(d["area"]),
            kind=d["kind"],
            polarity=d["polarity"],
            score=float(d["score"]),
            id=int(d.get("id", 0)),
        )


@dataclass(frozen=True, slots=True)
class Intervention:
    """One repaired region in one frame, as the intervention report lists it."""

    frame: int
    bbox: tuple[int, int, int, int]
    area: int
    kind: DefectKind | FrameKind
    method: FillMethod | FrameMethod
    timecode: str | None = None
    source_frames: tuple[int, ...] = field(default_factory=tuple)
    seed: int | None = None
    review: str | None = None  # why a person should look at it (a region left as scanned says why)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["bbox"] = list(self.bbox)
        d["source_frames"] = list(self.source_frames)
        if self.review is None:
            del d["review"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Intervention:
        return cls(
            frame=int(d["frame"]),
            bbox=tuple(int(v) for v in d["bbox"]),  # type: ignore[arg-type]
            area=int(d["area"]),
            kind=d["kind"],
            method=d["method"],
            timecode=d.get("timecode"),
            source_frames=tuple(int(v) for v in d.get("source_frames", ())),
            seed=None if d.get("seed") is None else int(d["seed"]),
            review=d.get("review"),
        )
