"""What a probe learns about a reel: exact rate, size, depth, timecode, gaps and audio."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path


@dataclass(frozen=True)
class AudioInfo:
    """One audio stream of a container (``index`` is the stream's index in the file)."""

    codec: str
    sample_rate: int
    channels: int
    duration_s: float | None
    index: int


@dataclass
class ReelInfo:
    """A reel's properties. ``fps`` and ``time_base`` are exact Fractions, never floats.

    For sequences ``start_number`` is the first file's number, ``step`` the constant
    numbering step (2 for 100, 102, 104...), ``gaps`` the missing numbers; ``frames``
    counts the files that exist (frame index i is the i-th existing file).
    """

    path: Path
    format: str
    frames: int
    fps: Fraction
    time_base: Fraction
    width: int
    height: int
    bit_depth: int
    pix_fmt: str
    timecode: str | None = None
    gaps: list[int] = field(default_factory=list)
    start_number: int | None = None
    audio: list[AudioInfo] = field(default_factory=list)
    is_sequence: bool = False
    step: int = 1
    codec: str = ""
    is_rgb: bool = False
    has_alpha: bool = False
    frame_numbers: list[int] = field(default_factory=list, repr=False)
    start_time: Fraction = Fraction(0)  # seconds: the first frame's presentation time in the file
    # the video stream's colour tags (colorspace, color_range, color_primaries, color_trc as
    # FFmpeg's enum values); a lossless copy repeats them so decoders convert to RGB the same way
    color: dict[str, int] = field(default_factory=dict, repr=False)
    # what reading this reel changes or accepts, for the report: a truncated file read as far
    # as it goes (--accept-truncated), 8-bit frames of a 16-bit sequence scaled up
    notes: list[str] = field(default_factory=list)
    # frames the container's header announces when the file holds fewer (accepted truncation)
    expected_frames: int | None = None

    @property
    def duration_s(self) -> float:
        return float(self.frames / self.fps) if self.fps else 0.0

    @property
    def dtype_bits(self) -> int:
        """8 for sources read as uint8, 16 for sources read as uint16."""
        return 8 if self.bit_depth <= 8 else 16

    def to_dict(self) -> dict:
        """JSON-ready dict (fps and time_base as "num/den" strings)."""
        return {
            "path": str(self.path),
            "format": self.format,
            "codec": self.codec,
            "frames": self.frames,
            "fps": f"{self.fps.numerator}/{self.fps.denominator}",
            "time_base": f"{self.time_base.numerator}/{self.time_base.denominator}",
            "duration_s": round(self.duration_s, 6),
            "width": self.width,
            "height": self.height,
            "bit_depth": self.bit_depth,
            "pix_fmt": self.pix_fmt,
            "timecode": self.timecode,
            "gaps": list(self.gaps),
            "start_number": self.start_number,
            "step": self.step,
            "is_sequence": self.is_sequence,
            "audio": [asdict(a) for a in self.audio],
            "expected_frames": self.expected_frames,
            "notes": list(self.notes),
        }
