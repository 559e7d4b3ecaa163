"""What container and sequence writers share: the finished export's record, where its fixity
manifests go, the frame check, and the bookkeeping base class (its own module, so the sequence
writer and :func:`~restoration_core.media.writer.open_writer` need no import cycle)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from restoration_core.media import buffers
from restoration_core.media.info import ReelInfo
from restoration_core.media.presets import Preset
from restoration_core.media.timecode import frames_to_timecode


@dataclass
class ExportResult:
    """A finished export: output path, its fixity manifests and checksums.

    For sequences ``path`` is the folder and ``sha256`` the SHA-256 of the ``.sha256``
    manifest (which lists every file's SHA-256).
    """

    path: Path
    manifest_path: Path
    sha256: str
    frame_md5: list[str]
    sha256_path: Path | None = None
    frames: int = 0
    timecode: str | None = None
    notes: list[str] = field(default_factory=list)


def manifest_paths(output: Path) -> tuple[Path, Path]:
    """Where the fixity manifests of ``output`` go: ``OUTPUT.framemd5`` and ``OUTPUT.sha256``."""
    output = Path(output)
    return output.with_name(output.name + ".framemd5"), output.with_name(output.name + ".sha256")


def check_frame(data: np.ndarray, info: ReelInfo) -> np.ndarray:
    if not isinstance(data, np.ndarray) or data.ndim != 3 or data.shape[2] != 3:
        raise ValueError(f"frames must be HxWx3 arrays, got {getattr(data, 'shape', type(data))}")
    if data.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"frames must be uint8 or uint16, got {data.dtype}")
    if data.shape[:2] != (info.height, info.width):
        raise ValueError(f"frame is {data.shape[1]}x{data.shape[0]}, the reel is {info.width}x{info.height}")
    return np.ascontiguousarray(data)


def array_to_av(data: np.ndarray) -> av.VideoFrame:
    return buffers.from_array(data, "rgb24" if data.dtype == np.uint8 else "rgb48le")


class WriterBase:
    """Shared bookkeeping of container and sequence writers."""

    def __init__(self, output: Path, preset: Preset, info: ReelInfo, frame_range: tuple[int, int] | None):
        self.output = Path(output)
        self.preset = preset
        self.info = info
        a, b = frame_range if frame_range is not None else (0, info.frames)
        self.range = (int(a), int(b))
        self.fps = Fraction(info.fps)
        self.timecode = frames_to_timecode(a, self.fps, info.timecode) if info.timecode else None
        self.count = 0
        self.notes: list[str] = []
        self._done = False

    def _to_target(self, frame: av.VideoFrame, pix_fmt: str, size: tuple[int, int]) -> av.VideoFrame:
        if frame.format.name == pix_fmt and (frame.width, frame.height) == size:
            return frame
        if (frame.width, frame.height) != size:
            # pad odd sizes for chroma-subsampled targets by repeating the last row/column
            arr = buffers.to_array(frame, "rgb48le" if self.info.bit_depth > 8 else "rgb24")
            pad = ((0, size[1] - frame.height), (0, size[0] - frame.width), (0, 0))
            frame = buffers.from_array(np.pad(arr, pad, mode="edge"), "rgb48le" if arr.dtype == np.uint16 else "rgb24")
        if frame.format.name not in ("rgb24", "rgb48le") and av.VideoFormat(pix_fmt).is_rgb:
            # via rgb48: a lossless superset of any source's RGB decode
            frame = frame.reformat(format="rgb48le")
        colorspace = "itu709" if self.info.height >= 720 else "itu601"
        if av.VideoFormat(pix_fmt).is_rgb:
            return frame.reformat(format=pix_fmt)
        return frame.reformat(format=pix_fmt, dst_colorspace=colorspace)

    def write(self, data: np.ndarray) -> None:
        """Append one frame (HxWx3 RGB, uint8 or uint16 as the reel reads)."""
        self.write_av(array_to_av(check_frame(data, self.info)))

    def write_av(self, frame: av.VideoFrame) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or not self._done:
            self.abort()
