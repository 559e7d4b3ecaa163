"""The render cache: finished work of a job kept on disk as patches over the source.

A restored frame differs from its source only where it was repaired, so the cache keeps
only that: each connected area of changed pixels as its bounding box, a bit mask of the
changed pixels in it and their values, compressed losslessly (zlib). The encode pass reads
the source again and pastes the patches back (:meth:`RenderCache.frame`), which gives the
restored frame bit for bit, so a resumed render writes exactly what an uninterrupted one
would, and a kept cache can be encoded again to another preset without recomputing.

Layout of one cache folder (``ROOT/KEY/``, KEY = :meth:`JobSpec.cache_key`)::

    cache.json            what the cache belongs to (written once)
    frames/000123.patch   a restored frame's patches (see :func:`encode_patches`)
    frames/000123.json    its sidecar: shape, dtype, patch count, SHA-256 of the patch file
                          and the interventions; written last, so it marks the frame complete
    detect/000123.mask    the detected mask (bit-packed, zlib)
    detect/000123.json    its defects, flicker estimate and the mask file's SHA-256

Every file is written atomically (temp + fsync + rename), so a process killed at any
moment leaves only whole entries. An entry without its sidecar, or whose sidecar does not
parse, does not match its data file's checksum or describes another frame size, is treated
as missing (and so recomputed), never as a crash.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from restoration_core.atomic import atomic_write_bytes, atomic_write_text
from restoration_core.defects import Defect, Intervention
from restoration_core.errors import OutputError

FORMAT = 2  # version of the entry format (1: whole frames as .npy)
_DTYPES = {"uint8": np.uint8, "uint16": np.uint16}
CHECKED_SIDECARS = 512  # sidecars kept checked in memory (a few chunks' frames and detections)


@dataclass(frozen=True)
class Patch:
    """One repaired area: its box (y0, y1, x0, x1), which pixels in it changed, their values."""

    box: tuple[int, int, int, int]
    mask: np.ndarray  # bool, (y1 - y0, x1 - x0)
    values: np.ndarray  # (mask.sum(), channels), the frame's dtype


def changed_patches(data: np.ndarray, source: np.ndarray | None) -> list[Patch]:
    """The patches that turn ``source`` into ``data`` (one per 8-connected area of change).

    Without a source the whole frame is one patch.
    """
    if data.ndim != 3:
        raise ValueError(f"frames must be HxWxC arrays, got shape {data.shape}")
    h, w = data.shape[:2]
    if source is None:
        return [Patch((0, h, 0, w), np.ones((h, w), bool), data.reshape(-1, data.shape[2]))]
    if source.shape != data.shape or source.dtype != data.dtype:
        raise ValueError(f"source {source.shape} {source.dtype} does not match the frame {data.shape} {data.dtype}")
    changed = np.any(data != source, axis=2)
    if not changed.any():
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(changed.view(np.uint8), connectivity=8)
    patches = []
    for k in range(1, count):
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        mask = labels[y:y + bh, x:x + bw] == k
        patches.append(Patch((y, y + bh, x, x + bw), mask, data[y:y + bh, x:x + bw][mask]))
    return patches


def encode_patches(patches: list[Patch], channels: int, dtype: np.dtype) -> bytes:
    """zlib of: boxes (int32, K x 4), each box's mask bit-packed, then all values."""
    boxes = np.array([p.box for p in patches], np.int32).reshape(-1, 4)
    parts = [boxes.tobytes()]
    parts += [np.packbits(p.mask, axis=None).tobytes() for p in patches]
    parts += [np.ascontiguousarray(p.values, dtype=dtype).reshape(-1, channels).tobytes() for p in patches]
    return zlib.compress(b"".join(parts), 3)


def decode_patches(blob: bytes, count: int, shape: tuple[int, ...], dtype: np.dtype) -> list[Patch]:
    """The inverse of :func:`encode_patches`; ValueError if the bytes do not add up."""
    h, w, channels = shape
    raw = zlib.decompress(blob)
    boxes = np.frombuffer(raw, np.int32, count * 4).reshape(count, 4)
    pos = boxes.nbytes
    masks = []
    for y0, y1, x0, x1 in boxes.tolist():
        if not (0 <= y0 < y1 <= h and 0 <= x0 < x1 <= w):
            raise ValueError(f"patch box {y0}:{y1}, {x0}:{x1} is outside the {w}x{h} frame")
        n = (y1 - y0) * (x1 - x0)
        size = (n + 7) // 8
        bits = np.frombuffer(raw, np.uint8, size, pos)
        masks.append(np.unpackbits(bits, count=n).astype(bool).reshape(y1 - y0, x1 - x0))
        pos += size
    itemsize = np.dtype(dtype).itemsize
    patches = []
    for box, mask in zip(boxes.tolist(), masks, strict=True):
        n = int(mask.sum())
        values = np.frombuffer(raw, dtype, n * channels, pos).reshape(n, channels)
        pos += n * channels * itemsize
        patches.append(Patch(tuple(box), mask, values))
    if pos != len(raw):
        raise ValueError(f"patch data has {len(raw) - pos} bytes too many")
    return patches


def paste(source: np.ndarray, patches: list[Patch]) -> np.ndarray:
    """``source`` with the patches pasted in (a new array; the source is left alone)."""
    out = source.copy()
    for p in patches:
        y0, y1, x0, x1 = p.box
        out[y0:y1, x0:x1][p.mask] = p.values
    return out


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RenderCache:
    """Per-frame store of restored frames (as patches) and detections for one job key.

    ``shape``: the reel's (height, width); an entry recorded for another size is not used.
    """

    def __init__(self, folder: str | Path, shape: tuple[int, int] | None = None):
        self.folder = Path(folder)
        self.shape = tuple(int(v) for v in shape) if shape is not None else None
        # sidecars found whole in this process, the latest few only: a feature's worth of
        # interventions and defects must not stay in memory (an entry that left is read again)
        self._checked: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        try:
            (self.folder / "frames").mkdir(parents=True, exist_ok=True)
            (self.folder / "detect").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create render cache ({exc.strerror or exc})", self.folder) from None

    @classmethod
    def for_key(cls, root: str | Path, key: str, about: dict[str, Any] | None = None,
                shape: tuple[int, int] | None = None) -> RenderCache:
        cache = cls(Path(root) / key, shape)
        meta = cache.folder / "cache.json"
        if not meta.exists():
            atomic_write_text(meta, json.dumps({"key": key, "format": FORMAT, **(about or {})}, indent=1,
                                               default=str))
        return cache

    # ---- entries -----------------------------------------------------------------------
    def _paths(self, layer: str, index: int) -> tuple[Path, Path]:
        base = self.folder / layer / f"{index:06d}"
        return base.with_suffix(".patch" if layer == "frames" else ".mask"), base.with_suffix(".json")

    def _sidecar(self, layer: str, index: int) -> dict[str, Any] | None:
        """The entry's sidecar if the entry is whole and fits this cache, else None."""
        key = (layer, index)
        if key in self._checked:
            self._checked.move_to_end(key)
            return self._checked[key]
        data, side = self._paths(layer, index)
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
            blob = data.read_bytes()
            ok = (isinstance(meta, dict) and meta.get("format") == FORMAT and meta.get("index") == index
                  and meta.get("sha256") == _digest(blob) and self._fits(meta.get("shape")))
            if ok and layer == "frames":
                ok = meta.get("dtype") in _DTYPES and isinstance(meta.get("patches"), int) \
                    and isinstance(meta.get("interventions"), list) and len(meta["shape"]) == 3
        except (OSError, ValueError, TypeError):
            return None
        if not ok:
            return None
        self._checked[key] = meta
        while len(self._checked) > CHECKED_SIDECARS:
            self._checked.popitem(last=False)
        return meta

    def _fits(self, shape: Any) -> bool:
        if not isinstance(shape, list) or len(shape) < 2 or not all(isinstance(v, int) and v > 0 for v in shape):
            return False
        return self.shape is None or tuple(shape[:2]) == self.shape

    def _put(self, layer: str, index: int, blob: bytes, meta: dict[str, Any]) -> None:
        data, side = self._paths(layer, index)
        self._checked.pop((layer, index), None)
        atomic_write_bytes(data, blob)
        atomic_write_text(side, json.dumps({"format": FORMAT, "index": index, "sha256": _digest(blob), **meta}))

    # ---- restored frames -------------------------------------------------------------
    def has_frame(self, index: int) -> bool:
        return self._sidecar("frames", index) is not None

    def put_frame(self, index: int, data: np.ndarray, interventions: list[Intervention],
                  source: np.ndarray | None = None) -> None:
        """Keep restored frame ``index``: the patches over ``source`` (the whole frame without one)."""
        data = np.asarray(data)
        if data.dtype.name not in _DTYPES:
            raise ValueError(f"frames must be uint8 or uint16, got {data.dtype}")
        patches = changed_patches(data, source)
        blob = encode_patches(patches, data.shape[2], data.dtype)
        self._put("frames", index, blob, {
            "dtype": data.dtype.name,
            "shape": list(data.shape),
            "patches": len(patches),
            "changed": int(sum(p.values.shape[0] for p in patches)),
            "interventions": [i.to_dict() for i in interventions],
        })

    def patches(self, index: int) -> list[Patch]:
        """The patches of cached frame ``index`` (OutputError if it is missing or damaged)."""
        meta = self._sidecar("frames", index)
        if meta is None:
            raise OutputError(f"frame {index} is not in the render cache", self.folder)
        blob = self._paths("frames", index)[0].read_bytes()
        try:
            if _digest(blob) != meta["sha256"]:
                raise ValueError("its checksum changed")
            return decode_patches(blob, meta["patches"], tuple(meta["shape"]), _DTYPES[meta["dtype"]])
        except (ValueError, zlib.error) as exc:
            self._checked.pop(("frames", index), None)
            raise OutputError(f"frame {index} of the render cache is damaged ({exc})", self.folder) from None

    def frame(self, index: int, source: np.ndarray | None = None) -> np.ndarray:
        """Restored frame ``index``: its patches pasted over ``source`` (the source frame read
        again). Without a source only an entry stored whole can be returned."""
        meta = self._sidecar("frames", index)
        patches = self.patches(index)
        assert meta is not None
        shape, dtype = tuple(meta["shape"]), _DTYPES[meta["dtype"]]
        if source is None:
            if len(patches) == 1 and patches[0].box == (0, shape[0], 0, shape[1]) and patches[0].mask.all():
                return patches[0].values.reshape(shape).copy()
            raise ValueError(f"frame {index} is stored as patches: pass its source frame")
        if source.shape != shape or source.dtype != dtype:
            raise OutputError(f"frame {index} of the render cache is {shape} {dtype}, "
                              f"the source is {source.shape} {source.dtype}", self.folder)
        return paste(source, patches)

    def interventions(self, index: int) -> list[Intervention]:
        meta = self._sidecar("frames", index)
        if meta is None:
            raise OutputError(f"frame {index} is not in the render cache", self.folder)
        return [Intervention.from_dict(d) for d in meta["interventions"]]

    def first_missing_frame(self, start: int, stop: int) -> int | None:
        """The first index in [start, stop) without a whole cached frame."""
        for i in range(start, stop):
            if not self.has_frame(i):
                return i
        return None

    # ---- detections ------------------------------------------------------------------
    def has_detection(self, index: int) -> bool:
        meta = self._sidecar("detect", index)
        return meta is not None and isinstance(meta.get("defects"), list)

    def put_detection(
        self, index: int, mask: np.ndarray, defects: list[Defect], flicker: tuple[float, float] | None
    ) -> None:
        mask = np.asarray(mask, dtype=bool)
        blob = zlib.compress(np.packbits(mask, axis=None).tobytes(), 6)
        self._put("detect", index, blob, {
            "shape": list(mask.shape),
            "defects": [d.to_dict() for d in defects],
            "flicker": list(flicker) if flicker is not None else None,
        })

    def detection(self, index: int) -> tuple[np.ndarray, list[Defect], tuple[float, float] | None]:
        meta = self._sidecar("detect", index)
        if meta is None:
            raise OutputError(f"detection {index} is not in the render cache", self.folder)
        shape = tuple(meta["shape"])
        n = int(np.prod(shape))
        try:
            bits = np.frombuffer(zlib.decompress(self._paths("detect", index)[0].read_bytes()), np.uint8)
            if bits.size != (n + 7) // 8:
                raise ValueError(f"{bits.size} mask bytes for a {shape} mask")
            mask = np.unpackbits(bits, count=n).astype(bool).reshape(shape)
        except (ValueError, zlib.error) as exc:
            raise OutputError(f"detection {index} of the render cache is damaged ({exc})", self.folder) from None
        defects = [Defect.from_dict(d) for d in meta["defects"]]
        flicker = tuple(meta["flicker"]) if meta["flicker"] is not None else None
        return mask, defects, flicker  # type: ignore[return-value]

    def first_missing_detection(self, start: int, stop: int) -> int | None:
        for i in range(start, stop):
            if not self.has_detection(i):
                return i
        return None

    # ---- size ------------------------------------------------------------------------
    def nbytes(self) -> int:
        """Bytes on disk of every entry (patches, masks and sidecars)."""
        total = 0
        for path in self.folder.rglob("*"):
            with contextlib.suppress(OSError):
                if path.is_file():
                    total += path.stat().st_size
        return total

    def remove(self) -> None:
        """Delete the whole cache folder (after a successful render, when not kept)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._checked.clear()
