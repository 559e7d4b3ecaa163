"""What detection is asked to do and what it returns for one frame."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from restoration_core.defects import Defect


@dataclass(frozen=True)
class DetectSettings:
    """Detection switches and the one sensitivity control.

    ``sensitivity`` is in [0, 1] (default 0.5). Every threshold is multiplied by
    ``2 ** (1 - 2 * sensitivity)``: 0 doubles them (only obvious damage), 1 halves them
    (fainter damage, more false alarms). ``work_max_side`` caps the resolution the
    detector looks at; larger frames are analysed downscaled and the masks scaled back.
    ``motion_protection`` is in [0, 1] (default 0.5): how hard a candidate must be to explain
    by motion before it counts as dust or dirt (search reach in the neighbours, how closely a
    displaced copy must match, the extra evidence asked for on and next to moving things);
    0 switches the motion checks off.
    """

    sensitivity: float = 0.5
    dust: bool = True
    scratches: bool = True
    flicker: bool = True
    flicker_radius: int = 3  # frames each side of the smoothed brightness reference
    work_max_side: int = 1280
    motion_protection: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= float(self.sensitivity) <= 1.0:
            raise ValueError(f"sensitivity must be within [0, 1], got {self.sensitivity}")
        if not 0.0 <= float(self.motion_protection) <= 1.0:
            raise ValueError(f"motion_protection must be within [0, 1], got {self.motion_protection}")
        if self.flicker_radius < 1:
            raise ValueError("flicker_radius must be at least 1")
        if self.work_max_side < 64:
            raise ValueError("work_max_side must be at least 64")

    @property
    def threshold_scale(self) -> float:
        return float(2.0 ** (1.0 - 2.0 * float(self.sensitivity)))


@dataclass
class FrameDetection:
    """Detection result of one frame.

    ``mask`` is bool HxW at the frame's full resolution (True = damage). ``flicker`` is
    ``(gain, offset)`` such that ``gain * luma + offset`` (luma in [0, 1]) brings the
    frame's brightness onto the temporally smoothed curve; ``None`` when not measured.
    """

    index: int
    mask: np.ndarray
    defects: list[Defect] = field(default_factory=list)
    flicker: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        """JSON-ready summary (the mask itself travels as a PNG, not in JSON)."""
        return {
            "frame": self.index,
            "damaged_pixels": int(np.count_nonzero(self.mask)),
            "flicker": None if self.flicker is None else [float(self.flicker[0]), float(self.flicker[1])],
            "defects": [d.to_dict() for d in self.defects],
        }
