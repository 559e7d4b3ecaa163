"""The engine's one representation of a picture: a full-bit-depth RGB array and its index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Frame:
    """A decoded frame.

    ``data`` is HxWx3 RGB, ``uint8`` for 8-bit sources and ``uint16`` for deeper ones
    (values use the full 16-bit range, as an ``rgb48le`` decode gives them; a 10-bit
    source's code values are therefore scaled, never truncated). ``index`` is the 0-based
    position within the reel; ``timecode`` is "HH:MM:SS:FF" (";" before frames when
    drop-frame) or ``None`` when the source has none.
    """

    data: np.ndarray
    index: int
    timecode: str | None = None

    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    @property
    def max_value(self) -> int:
        return 65535 if self.data.dtype == np.uint16 else 255

    def as_float(self) -> np.ndarray:
        """The picture as float32 in [0, 1] (a copy)."""
        return self.data.astype(np.float32) / float(self.max_value)
