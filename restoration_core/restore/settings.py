"""Restoration settings: which engines run, how far in time to look, feathering, grain, deflicker."""

from __future__ import annotations

from dataclasses import dataclass

from restoration_core.errors import InputError

ENGINES = ("auto", "temporal", "diffusion", "classical")
MAX_FEATHER = 8


@dataclass
class RestoreSettings:
    """How :func:`restore_frames` repairs a clip.

    ``engine``: ``auto`` = temporal fill, then the classical fill for what time cannot supply
    (also when a model is given: no prior measurably beat it, see README Models), then grain; ``temporal`` = temporal
    fill only (what it cannot fill falls back to classical so every masked pixel is
    repaired); ``diffusion`` = generative fill only (needs a fill engine); ``classical`` =
    OpenCV inpainting only. ``feather`` (0..8 px): the repair is blended over a ring this
    wide around the mask; pixels farther than ``feather`` from any mask pixel are returned
    bit-exact. ``grow`` (capped at ``feather``): the repair fully replaces the mask grown by this many
    px (0 by default: a detected region is grown by the halo measured around it alone; a fixed
    1 px on top cost 1.1 dB whole-frame gain on the signing clip learn 1:3 and added harm, see
    README Do no harm). ``radius``: how many frames each side temporal fill looks. ``batch_frames``:
    generative requests are accumulated over this many frames per engine call.
    ``exact_masks``: every mask is exact (painted, supplied, ground truth): it is replaced as
    it is, neither grown nor feathered (``restore_frames(exact_for=...)`` marks exact pixels
    one by one). Detected masks are grown by the halo measured around each region (at most
    ``feather`` px; ``grow`` is the least) and a detected region whose temporal sources disagree is left as
    scanned and marked for review.
    """

    engine: str = "auto"
    model: str | None = None
    steps: int = 20
    seed: int = 0
    grain: bool = True
    deflicker: bool = False
    feather: int = 3
    grow: int = 0  # a detected mask is grown by at least this many px (beyond its measured halo), within the feather
    radius: int = 3
    context: int = 16
    batch_frames: int = 1
    classical_method: str = "telea"
    agree: float = 0.08  # a temporal candidate must be this close (0..1) to the candidates' median
    deflicker_radius: int = 6
    cut_threshold: float = 0.4
    exact_masks: bool = False  # the masks are exact (painted, given, ground truth): not grown, not feathered
    # frame steps before detection (restoration_core.render.frames): off by default, per clip
    stabilize: bool = False  # take gate weave and jitter out (every pixel of a corrected frame changes)
    stabilize_smooth: int = 24  # frames the camera trajectory is smoothed over (intended moves kept)
    stabilize_crop: bool = False  # zoom each shot so no border shows, instead of filling it from neighbours
    rebuild: tuple[int, ...] = ()  # frames replaced by an interpolation of their neighbours (runs of <= 3)
    repair_tears: bool = False  # a torn or burnt area found in one frame is rebuilt from its neighbours

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise InputError(f"unknown restore engine {self.engine!r} (one of {', '.join(ENGINES)})")
        if not 0 <= int(self.feather) <= MAX_FEATHER:
            raise InputError(f"feather must be 0..{MAX_FEATHER} px, got {self.feather}")
        if not 0 <= int(self.radius) <= 8:
            raise InputError(f"temporal radius must be 0..8 frames, got {self.radius}")
        if int(self.batch_frames) < 1:
            raise InputError(f"batch_frames must be >= 1, got {self.batch_frames}")
        if self.classical_method not in ("telea", "ns"):
            raise InputError(f"classical_method must be telea or ns, got {self.classical_method!r}")
        if int(self.steps) < 1:
            raise InputError(f"steps must be >= 1, got {self.steps}")
        if int(self.grow) < 0:
            raise InputError(f"grow must be >= 0 px, got {self.grow}")
        self.feather = int(self.feather)
        self.grow = min(int(self.grow), self.feather)  # never beyond the feather ring
        self.radius = int(self.radius)
        self.seed = int(self.seed)
        if not 2 <= int(self.stabilize_smooth) <= 500:
            raise InputError(f"stabilize_smooth must be 2..500 frames, got {self.stabilize_smooth}")
        self.stabilize_smooth = int(self.stabilize_smooth)
        try:
            self.rebuild = tuple(sorted({int(f) for f in self.rebuild}))
        except (TypeError, ValueError):
            raise InputError(f"rebuild must list frame numbers, got {self.rebuild!r}") from None
