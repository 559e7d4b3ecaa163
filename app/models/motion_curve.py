"""The measured motion of the open reel, for the timeline's motion lane: per frame the camera
path the stabilizer measured (x, y in pixels, rotation in degrees), the smoothed path it keeps
(pans, zooms) and so the correction it applies (their difference), with the shot starts.

Qt-free state with psygnal events; ``app.motion_curve`` measures it in the background and the
timeline paints it while ``visible``.
"""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import Signal

from restoration_core.motion import similarity_params


@dataclass(frozen=True)
class MotionSample:
    """One frame: the measured camera, the smoothed (kept) camera, and the correction applied."""

    frame: int
    dx: float
    dy: float
    angle: float
    kept_dx: float
    kept_dy: float
    kept_angle: float
    fix_dx: float
    fix_dy: float
    fix_angle: float


class MotionCurve:
    """The motion curve of one reel (empty until measured) and whether the timeline shows it."""

    changed = Signal()

    def __init__(self) -> None:
        self.reel_id: str | None = None
        self.smooth = 24
        self.cuts: list[int] = []
        self._samples: dict[int, MotionSample] = {}
        self.visible = False

    def reset(self, reel_id: str | None = None) -> None:
        """Forget the curve (another reel was opened, or it was closed); visibility stays."""
        self.reel_id, self._samples, self.cuts = reel_id, {}, []
        self.changed.emit()

    def set_visible(self, on: bool) -> None:
        if bool(on) != self.visible:
            self.visible = bool(on)
            self.changed.emit()

    def set_plan(self, plan) -> None:
        """Take the curve from a :class:`restoration_core.motion.StabilizationPlan`."""
        out = {}
        for k, (cam, kept) in enumerate(zip(plan.cameras, plan.smoothed, strict=True)):
            dx, dy, angle, _ = similarity_params(cam)
            kx, ky, ka, _ = similarity_params(kept)
            fix = plan.correction(plan.start + k)
            out[plan.start + k] = MotionSample(plan.start + k, dx, dy, angle, kx, ky, ka,
                                               fix["dx"], fix["dy"], fix["angle"])
        self._samples = out
        self.smooth = int(plan.smooth)
        self.cuts = list(plan.cuts)
        self.changed.emit()

    @property
    def measured(self) -> bool:
        return bool(self._samples)

    def samples(self) -> list[MotionSample]:
        return [self._samples[f] for f in sorted(self._samples)]

    def at(self, frame: int) -> MotionSample | None:
        return self._samples.get(int(frame))

    def extent(self) -> tuple[float, float]:
        """The largest |x or y| (px) and |rotation| (degrees) over the curve, for a common scale."""
        s = self.samples()
        if not s:
            return 1.0, 0.1
        px = max(max(abs(v.dx), abs(v.dy), abs(v.kept_dx), abs(v.kept_dy)) for v in s)
        deg = max(max(abs(v.angle), abs(v.kept_angle)) for v in s)
        return max(px, 0.5), max(deg, 0.02)

    def correction_extent(self) -> tuple[float, float]:
        """The largest |x or y| (px) and |rotation| (degrees) of the correction."""
        s = self.samples()
        if not s:
            return 0.5, 0.02
        return (max(max(max(abs(v.fix_dx), abs(v.fix_dy)) for v in s), 0.1),
                max(max(abs(v.fix_angle) for v in s), 0.005))
