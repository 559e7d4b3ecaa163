"""Classical fill: OpenCV inpainting (Telea or Navier-Stokes) behind the GenerativeFill protocol.

It is the last resort when no diffusion model is configured and an explicit engine choice.
Each channel is inpainted in float32 so 16-bit sources keep their precision; known pixels of
every window come back unchanged.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

import cv2
import numpy as np

from restoration_core.progress import CancelToken, Progress
from restoration_core.restore.fill import FillRequest


class ClassicalFill:
    """OpenCV ``inpaint`` on each window; ``method`` is ``telea`` or ``ns``."""

    name = "classical"

    def __init__(self, method: str = "telea", radius: float = 5.0):
        if method not in ("telea", "ns"):
            raise ValueError(f"unknown inpainting method {method!r}")
        self.method = method
        self.radius = float(radius)

    def fill_one(self, request: FillRequest) -> np.ndarray:
        image = np.asarray(request.image, np.float32)
        mask = np.asarray(request.mask, bool)
        if not mask.any():
            return image.copy()
        flag = cv2.INPAINT_TELEA if self.method == "telea" else cv2.INPAINT_NS
        m8 = mask.astype(np.uint8)
        out = np.empty_like(image)
        # OpenCV's float inpainting is only stable on a 0..255-like scale (not 0..1).
        scaled = image * np.float32(255.0)
        for c in range(image.shape[2]):
            out[..., c] = cv2.inpaint(np.ascontiguousarray(scaled[..., c]), m8, self.radius, flag) / 255.0
        out[~mask] = image[~mask]
        return out

    def fill(
        self, requests: Sequence[FillRequest], cancel: CancelToken | None = None
    ) -> Generator[Progress, None, list[np.ndarray]]:
        results = []
        for k, req in enumerate(requests):
            if cancel is not None:
                cancel.check()
            results.append(self.fill_one(req))
            yield Progress(k + 1, len(requests), "classical", req.frame)
        return results
