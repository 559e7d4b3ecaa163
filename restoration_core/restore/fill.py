"""The contract between the per-clip pipeline and the generative fill engines.

The pipeline crops a window around each damaged region (at source resolution), asks a
:class:`GenerativeFill` to fill the masked pixels of many windows at once, and pastes back
only the masked pixels itself. An engine resizes to its native size, batches, and must
leave the known pixels of each window unchanged in what it returns.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from restoration_core.progress import CancelToken, Progress


@dataclass
class FillRequest:
    """One window to fill.

    ``image``: float32 HxWx3 in [0, 1], the window cropped from the frame (masked pixels
    hold whatever the frame had; engines must not rely on them). ``mask``: bool HxW, True
    where pixels must be generated. ``init``: optional float32 HxWx3, the previous frame's
    fill of the same region warped by flow, a starting point for temporal consistency.
    ``seed``: fixed per region so a persistent defect is filled the same way each frame.
    """

    frame: int
    region: int
    image: np.ndarray
    mask: np.ndarray
    seed: int
    init: np.ndarray | None = None


class GenerativeFill(Protocol):
    """A fill engine: diffusion (latent or pixel space) or classical."""

    name: str

    def fill(
        self, requests: Sequence[FillRequest], cancel: CancelToken | None = None
    ) -> Generator[Progress, None, list[np.ndarray]]:
        """Yield progress per step; return one float32 HxWx3 array per request.

        Use as ``filled = yield from engine.fill(requests, cancel)``.
        """
        ...
