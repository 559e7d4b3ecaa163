"""The render cache: finished work of a job kept on disk, one lossless file per frame.

Layout of one cache folder (``ROOT/KEY/``, KEY = :meth:`JobSpec.cache_key`)::

    cache.json            what the cache belongs to (written once)
    frames/000123.npy     a restored frame, exact dtype and shape (numpy .npy)
    frames/000123.json    its sidecar: interventions; written last, so it marks the frame complete
    detect/000123.npy     the detected mask (bool, bit-packed)
    detect/000123.json    its defects and flicker estimate

Every file is written atomically (temp + fsync + rename), so a process killed at any
moment leaves only whole entries; an entry without its sidecar is ignored and redone.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from restoration_core.atomic import atomic_write_bytes, atomic_write_text
from restoration_core.defects import Defect, Intervention
from restoration_core.errors import OutputError


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


class RenderCache:
    """Per-frame store of restored frames and detections for one job key."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        try:
            (self.folder / "frames").mkdir(parents=True, exist_ok=True)
            (self.folder / "detect").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create render cache ({exc.strerror or exc})", self.folder) from None

    @classmethod
    def for_key(cls, root: str | Path, key: str, about: dict[str, Any] | None = None) -> RenderCache:
        cache = cls(Path(root) / key)
        meta = cache.folder / "cache.json"
        if not meta.exists():
            atomic_write_text(meta, json.dumps({"key": key, **(about or {})}, indent=1, default=str))
        return cache

    # ---- restored frames -------------------------------------------------------------
    def _paths(self, layer: str, index: int) -> tuple[Path, Path]:
        base = self.folder / layer / f"{index:06d}"
        return base.with_suffix(".npy"), base.with_suffix(".json")

    def has_frame(self, index: int) -> bool:
        data, side = self._paths("frames", index)
        return side.exists() and data.exists()

    def put_frame(self, index: int, data: np.ndarray, interventions: list[Intervention]) -> None:
        npy, side = self._paths("frames", index)
        atomic_write_bytes(npy, _npy_bytes(data))
        meta = {
            "index": index,
            "dtype": str(data.dtype),
            "shape": list(data.shape),
            "interventions": [i.to_dict() for i in interventions],
        }
        atomic_write_text(side, json.dumps(meta))

    def frame(self, index: int) -> np.ndarray:
        npy, _ = self._paths("frames", index)
        return np.load(npy, allow_pickle=False)

    def interventions(self, index: int) -> list[Intervention]:
        _, side = self._paths("frames", index)
        meta = json.loads(side.read_text(encoding="utf-8"))
        return [Intervention.from_dict(d) for d in meta["interventions"]]

    def first_missing_frame(self, start: int, stop: int) -> int | None:
        """The first index in [start, stop) without a complete cached frame."""
        for i in range(start, stop):
            if not self.has_frame(i):
                return i
        return None

    # ---- detections ------------------------------------------------------------------
    def has_detection(self, index: int) -> bool:
        data, side = self._paths("detect", index)
        return side.exists() and data.exists()

    def put_detection(
        self, index: int, mask: np.ndarray, defects: list[Defect], flicker: tuple[float, float] | None
    ) -> None:
        npy, side = self._paths("detect", index)
        mask = np.asarray(mask, dtype=bool)
        atomic_write_bytes(npy, _npy_bytes(np.packbits(mask, axis=None)))
        meta = {
            "index": index,
            "shape": list(mask.shape),
            "defects": [d.to_dict() for d in defects],
            "flicker": list(flicker) if flicker is not None else None,
        }
        atomic_write_text(side, json.dumps(meta))

    def detection(self, index: int) -> tuple[np.ndarray, list[Defect], tuple[float, float] | None]:
        npy, side = self._paths("detect", index)
        meta = json.loads(side.read_text(encoding="utf-8"))
        shape = tuple(meta["shape"])
        bits = np.load(npy, allow_pickle=False)
        mask = np.unpackbits(bits, count=int(np.prod(shape))).astype(bool).reshape(shape)
        defects = [Defect.from_dict(d) for d in meta["defects"]]
        flicker = tuple(meta["flicker"]) if meta["flicker"] is not None else None
        return mask, defects, flicker  # type: ignore[return-value]

    def first_missing_detection(self, start: int, stop: int) -> int | None:
        for i in range(start, stop):
            if not self.has_detection(i):
                return i
        return None

    def remove(self) -> None:
        """Delete the whole cache folder (after a successful render, when not kept)."""
        shutil.rmtree(self.folder, ignore_errors=True)
