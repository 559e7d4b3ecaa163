"""A folder of user masks: ``DIR/NNNNNN.png``, 0-based frame index within the input, 255 = damage."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from restoration_core.errors import InputError


class MaskFolder:
    """Reads ``NNNNNN.png`` masks on demand; a missing file means no painted damage there."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InputError("mask folder does not exist", self.folder)

    def path(self, index: int) -> Path:
        return self.folder / f"{index:06d}.png"

    def get(self, index: int, shape: tuple[int, int]) -> np.ndarray | None:
        path = self.path(index)
        if not path.exists():
            return None
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise InputError("not a readable PNG mask", path)
        if image.ndim == 3:
            image = image.max(axis=2)
        if image.shape[:2] != tuple(shape):
            raise InputError(
                f"mask is {image.shape[1]}x{image.shape[0]}, the frames are {shape[1]}x{shape[0]}", path
            )
        threshold = 32768 if image.dtype == np.uint16 else 128
        return image >= threshold
