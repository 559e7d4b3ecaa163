"""The masks a render repairs: a folder of user masks (``DIR/NNNNNN.png``, 0-based frame index,
0 = clean, any other value = damage, 8- and 16-bit alike) and :class:`ClipMasks`, the one
repair-mask rule of a job's frames."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from restoration_core.defects import Defect
from restoration_core.errors import InputError
from restoration_core.project.masks import union
from restoration_core.restore.interventions import KIND_CODES


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
        if not path.is_file():  # a FIFO or device would block the read
            raise InputError("mask is not a regular file", path)
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise InputError("not a readable PNG mask", path)
        if image.ndim == 3:
            image = image[:, :, :3].max(axis=2)  # the colour channels (an opaque alpha is no damage)
        if image.shape[:2] != tuple(shape):
            raise InputError(
                f"mask is {image.shape[1]}x{image.shape[0]}, the frames are {shape[1]}x{shape[0]}", path
            )
        return damage_of(image)


def damage_of(image: np.ndarray) -> np.ndarray:
    """The mask rule, the same for 8- and 16-bit PNGs: 0 is clean, any other value is damage.

    So 255 marks damage in an 8-bit mask and in a 16-bit one alike (as does 65535); soft
    (anti-aliased) edges count as damage rather than being dropped at a depth-dependent cut.
    """
    return np.asarray(image) > 0


# codes of the provenance image handed to restore as ``kinds_for``: detected kinds, painted, held
PROVENANCE_CODES = {kind: code for code, kind in KIND_CODES.items()}

Detection = tuple[np.ndarray | None, list[Defect], tuple[float, float] | None]


@dataclass
class ClipMasks:
    """The repair mask of every frame of one job, and where each of its pixels came from.

    A project clip's mask is the project's rule and nothing else:
    ``painted ∪ ((held ∪ (detected − rejected)) − revoked)`` (:meth:`Project.repair_mask`).
    A fresh detection (``detections``, from the render cache or the preview) only stands in
    for the ``detected`` layer of frames the project has never detected; frames the
    archivist has reviewed keep the project's detections, rejections and take-backs.
    A plain input's mask is its fresh detection plus the ``painted`` mask folder.

    ``to_output(i, mask)`` takes a mask drawn on source frame ``i`` (the mask folder, the
    project's painted, held and detected layers, its rejected boxes) into the frames the render
    reads when a frame step moves pixels (stabilization); fresh detections are made on those
    frames already and are not moved.
    """

    shape: tuple[int, int]
    frame_range: tuple[int, int]
    project: Any = None
    reel_id: str | None = None
    painted: MaskFolder | None = None
    detections: Callable[[int], Detection | None] | None = None
    to_output: Callable[[int, np.ndarray | None], np.ndarray | None] | None = None

    def _moved(self, index: int, mask: np.ndarray | None) -> np.ndarray | None:
        return mask if self.to_output is None or mask is None else self.to_output(index, mask)

    def reviewed(self, index: int) -> bool:
        """Whether the project holds a detection of ``index`` (then a fresh one is not used)."""
        if self.project is None:
            return False
        p, r = self.project, self.reel_id
        return bool(p.defects(r, index)) or p.masks.get(r, index, "detected") is not None

    def needs_detection(self, index: int) -> bool:
        a, b = self.frame_range
        return a <= index < b and not self.reviewed(index)

    def fresh(self, index: int) -> Detection | None:
        if self.detections is None or not self.needs_detection(index):
            return None
        return self.detections(index)

    def _layers(self, index: int) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None,
                                         list[Defect]]:
        """(repair mask, painted, held, defects that label detected pixels) of one frame."""
        painted = self._moved(index, self.painted.get(index, self.shape) if self.painted is not None else None)
        held = None
        fresh = self.fresh(index)
        detected, defects = (None, []) if fresh is None else (fresh[0], list(fresh[1]))
        if self.project is not None:
            p, r = self.project, self.reel_id
            mask = self._moved(index, p.repair_mask(r, index, self.shape))
            own_painted = self._moved(index, p.masks.get(r, index, "painted"))
            painted = union([painted, own_painted])
            held = self._moved(index, p.masks.get(r, index, "held"))
            if not defects:  # the project's accepted detections name the detected pixels
                rejected = p.rejected(r, index)
                defects = [d for d in p.defects(r, index) if d.id not in rejected]
            if detected is not None:  # the fresh detection is this frame's detected layer
                detected = np.asarray(detected, bool).copy()
                excluded = list(p.excluded(r, index))
                if excluded:  # boxes drawn on the source frame
                    boxes = np.zeros(self.shape, bool)
                    for x, y, w, h in excluded:
                        boxes[y:y + h, x:x + w] = True
                    detected &= ~self._moved(index, boxes)
            mask = union([mask, detected, painted])
        else:
            mask = union([detected, painted])
        if mask is not None and not mask.any():
            mask = None
        return mask, painted, held, defects

    def mask(self, index: int) -> np.ndarray | None:
        """The repair mask of ``index`` (None where nothing is repaired)."""
        return self._layers(index)[0]

    def exact(self, index: int) -> np.ndarray | None:
        """The repair mask's pixels that are exact (painted or held, not detected): restore replaces
        them as they are, neither grown nor feathered."""
        mask, painted, held, _ = self._layers(index)
        exact = union([painted, held])
        if mask is None or exact is None:
            return None
        exact &= mask
        return exact if exact.any() else None

    def provenance(self, index: int) -> np.ndarray | None:
        """An int image (codes of :data:`PROVENANCE_CODES`): where each repaired pixel's mask came from.

        Painted wins over held, held over a detection; a detected pixel takes the kind of the
        defect whose box holds it (the smallest such box, the most specific)."""
        mask, painted, held, defects = self._layers(index)
        if mask is None:
            return None
        codes = np.zeros(self.shape, np.uint8)
        for d in sorted(defects, key=lambda d: -d.bbox[2] * d.bbox[3]):
            x, y, w, h = d.bbox
            codes[y:y + h, x:x + w] = PROVENANCE_CODES.get(d.kind, 0)
        fresh = self.fresh(index)
        if self.to_output is not None and not (fresh is not None and fresh[1]):
            codes = self._moved_codes(index, codes)  # the project's boxes are on the source frame
        if held is not None:
            codes[held] = PROVENANCE_CODES["held"]
        if painted is not None:
            codes[painted] = PROVENANCE_CODES["painted"]
        codes[~mask] = 0
        return codes

    def _moved_codes(self, index: int, codes: np.ndarray) -> np.ndarray:
        """A code image drawn on the source frame in the render's frames, one warp per code."""
        out = np.zeros_like(codes)
        for code in np.unique(codes):
            if code:
                out[self._moved(index, codes == code)] = code
        return out

    def flicker(self, curve: dict[int, tuple[float, float]] | None = None) -> dict[int, tuple[float, float]]:
        """The measured brightness curve over the job's range: the project's, else the fresh detection's."""
        a, b = self.frame_range
        out = {i: v for i, v in (curve or {}).items() if a <= i < b}
        if self.project is not None:
            out.update({i: v for i, v in self.project.flicker(self.reel_id).items() if a <= i < b})
        for i in range(a, b):
            if i not in out:
                fresh = self.fresh(i)
                if fresh is not None and fresh[2] is not None:
                    out[i] = tuple(fresh[2])
        return out
