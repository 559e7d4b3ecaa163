"""The project's mask layers: 1-bit PNGs on disk, loaded lazily, edits kept compressed until save.

Layout inside the project folder::

    masks/<reel_id>/detected/<frame:06d>.png
    masks/<reel_id>/painted/<frame:06d>.png
    masks/<reel_id>/held/<hold_id>.png        one file per held range, not per frame

A mask is a bool HxW array (True = damage to repair). Unsaved edits are kept as PNG bytes
(a sparse mask compresses to a few hundred bytes), decoded masks sit in a small LRU cache
bounded in bytes, and :meth:`MaskStore.write` puts every change on disk atomically.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from restoration_core.atomic import atomic_write_bytes
from restoration_core.errors import InputError, OutputError
from restoration_core.project.schema import LAYERS, check_id

_FRAME_FILE = re.compile(r"^(\d{6,})\.png$")


def encode_mask(mask: np.ndarray) -> bytes:
    """Encode a bool mask as a compressed 1-bit PNG (255 = damage when read back as 8-bit)."""
    image = np.ascontiguousarray(mask, dtype=bool).view(np.uint8) * np.uint8(255)
    # level 6 bilevel: ~4 ms for a sparse 1080p mask, smaller than level 9 costs twice the time
    ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_BILEVEL, 1, cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:  # pragma: no cover - OpenCV fails only on absurd input
        raise ValueError("could not encode mask as PNG")
    return buf.tobytes()


def decode_mask(data: bytes, path: Path | None = None) -> np.ndarray:
    """Decode PNG bytes (1-, 8- or 16-bit, grey or colour) into a bool mask."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InputError("not a readable PNG mask", path)
    if image.ndim == 3:
        image = image.max(axis=2)
    threshold = 32768 if image.dtype == np.uint16 else 128
    return image >= threshold


def as_mask(mask: np.ndarray) -> np.ndarray:
    """Validate and normalise a caller's mask to a 2-D bool array."""
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise ValueError(f"a mask must be 2-D (HxW), got shape {arr.shape}")
    return arr if arr.dtype == bool else arr > 0


@dataclass(frozen=True)
class Hold:
    """A mask held over frames ``start`` to ``stop`` (exclusive), stored once."""

    id: str
    start: int
    stop: int

    def covers(self, frame: int) -> bool:
        return self.start <= frame < self.stop

    def to_dict(self) -> dict:
        return {"id": self.id, "start": self.start, "stop": self.stop}

    @classmethod
    def from_dict(cls, d: dict, path: Path | None = None) -> Hold:
        try:
            hold = cls(check_id(d["id"], "hold", path), int(d["start"]), int(d["stop"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"bad held-mask entry {d!r} ({exc})", path) from None
        if not 0 <= hold.start < hold.stop:
            raise InputError(f"held mask {hold.id} has an empty or negative range", path)
        return hold


def _locked(method):
    """Serialise access: a preview or export thread may read masks while the GUI paints."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class MaskStore:
    """Per-reel, per-frame mask layers of one project (see module docstring for the layout).

    ``on_change(reel_id, frame, layer)`` is called after a per-frame edit and
    ``on_hold_change(reel_id, start, stop)`` after a held range is added or removed;
    the project turns them into events and marks itself dirty.
    """

    def __init__(
        self,
        folder: Path,
        *,
        cache_bytes: int = 256 * 2**20,
        on_change: Callable[[str, int, str], None] | None = None,
        on_hold_change: Callable[[str, int, int], None] | None = None,
        check_reel: Callable[[str], object] | None = None,
    ):
        self.folder = Path(folder)
        self.cache_bytes = cache_bytes
        self._on_change = on_change or (lambda *a: None)
        self._on_hold_change = on_hold_change or (lambda *a: None)
        self._check_reel = check_reel or (lambda reel_id: None)  # raises KeyError for an unknown reel
        self._cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._cached_bytes = 0
        self._disk: dict[tuple[str, str], set[int]] = {}
        self._pending: dict[tuple[str, str, int], bytes | None] = {}  # None = delete on save
        self._holds: dict[str, list[Hold]] = {}
        self._pending_holds: dict[tuple[str, str], bytes | None] = {}
        self._hold_counter = 0
        self._lock = threading.RLock()

    # --- paths -----------------------------------------------------------------------
    def path(self, reel_id: str, layer: str, frame: int) -> Path:
        """Where a per-frame mask lives on disk."""
        check_id(reel_id, "reel")
        _check_layer(layer, per_frame=True)
        if frame < 0:
            raise ValueError(f"frame must be >= 0, got {frame}")
        return self.folder / "masks" / reel_id / layer / f"{int(frame):06d}.png"

    def hold_path(self, reel_id: str, hold_id: str) -> Path:
        return self.folder / "masks" / check_id(reel_id, "reel") / "held" / f"{check_id(hold_id, 'hold')}.png"

    # --- per-frame layers --------------------------------------------------------------
    @_locked
    def get(self, reel_id: str, frame: int, layer: str) -> np.ndarray | None:
        """The mask of one layer at one frame (bool HxW), or None where there is none.

        For ``"held"`` this is the union of every held range covering ``frame``.
        """
        if layer == "held":
            return self._held_union(reel_id, frame)
        key = (reel_id, layer, int(frame))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        if key in self._pending:
            data = self._pending[key]
            if data is None:
                return None
            return self._remember(key, decode_mask(data))
        path = self.path(reel_id, layer, frame)
        if int(frame) not in self._disk_frames(reel_id, layer):
            return None
        return self._remember(key, decode_mask(_read(path), path))

    @_locked
    def set(self, reel_id: str, frame: int, layer: str, mask: np.ndarray | None) -> None:
        """Replace one frame's mask in a layer; None or an all-False mask removes it."""
        _check_layer(layer, per_frame=True)
        self.path(reel_id, layer, frame)  # validates the id and frame
        self._check_reel(reel_id)
        key = (reel_id, layer, int(frame))
        self._forget(key)
        if mask is None or not np.any(mask):
            self._pending[key] = None
        else:
            arr = as_mask(mask).copy()
            arr.setflags(write=False)
            self._pending[key] = encode_mask(arr)
            self._remember(key, arr)
        self._on_change(reel_id, int(frame), layer)

    @_locked
    def frames(self, reel_id: str, layer: str) -> list[int]:
        """Sorted frame indices that have a mask in ``layer`` (held: every frame of every range)."""
        if layer == "held":
            out: set[int] = set()
            for hold in self._holds.get(reel_id, []):
                out.update(range(hold.start, hold.stop))
            return sorted(out)
        _check_layer(layer, per_frame=True)
        present = set(self._disk_frames(reel_id, layer))
        for (r, lay, f), data in self._pending.items():
            if r == reel_id and lay == layer:
                (present.add if data is not None else present.discard)(f)
        return sorted(present)

    @_locked
    def encoded(self, reel_id: str, frame: int, layer: str) -> bytes | None:
        """The stored PNG bytes of a per-frame mask (for undo records and autosave)."""
        key = (reel_id, layer, int(frame))
        if key in self._pending:
            return self._pending[key]
        if int(frame) not in self._disk_frames(reel_id, layer):
            return None
        return _read(self.path(reel_id, layer, frame))

    # --- held ranges -------------------------------------------------------------------
    @_locked
    def hold(self, reel_id: str, start: int, stop: int, mask: np.ndarray, hold_id: str | None = None) -> str:
        """Hold ``mask`` over frames ``start`` to ``stop`` (exclusive); returns the hold's id."""
        if not 0 <= start < stop:
            raise ValueError(f"hold range {start}:{stop} is empty or negative")
        self._check_reel(reel_id)
        arr = as_mask(mask).copy()
        arr.setflags(write=False)
        if hold_id is None:
            self._hold_counter += 1
            hold_id = f"h{self._hold_counter}"
            while any(h.id == hold_id for h in self._holds.get(reel_id, [])):
                self._hold_counter += 1
                hold_id = f"h{self._hold_counter}"
        self.hold_path(reel_id, hold_id)  # validates ids
        if any(h.id == hold_id for h in self._holds.get(reel_id, [])):
            raise ValueError(f"reel {reel_id} already has a held mask {hold_id}")
        self._holds.setdefault(reel_id, []).append(Hold(hold_id, int(start), int(stop)))
        self._pending_holds[(reel_id, hold_id)] = encode_mask(arr)
        self._remember((reel_id, "hold", hold_id), arr)
        self._on_hold_change(reel_id, int(start), int(stop))
        return hold_id

    @_locked
    def unhold(self, reel_id: str, hold_id: str) -> tuple[Hold, np.ndarray]:
        """Remove a held range; returns it and its mask (so an undo can put it back)."""
        hold = next((h for h in self._holds.get(reel_id, []) if h.id == hold_id), None)
        if hold is None:
            raise KeyError(f"reel {reel_id} has no held mask {hold_id}")
        mask = self.hold_mask(reel_id, hold_id)
        self._holds[reel_id].remove(hold)
        self._forget((reel_id, "hold", hold_id))
        self._pending_holds[(reel_id, hold_id)] = None
        self._on_hold_change(reel_id, hold.start, hold.stop)
        return hold, mask

    def holds(self, reel_id: str) -> list[Hold]:
        return list(self._holds.get(reel_id, []))

    @_locked
    def hold_mask(self, reel_id: str, hold_id: str) -> np.ndarray:
        key = (reel_id, "hold", hold_id)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        data = self._pending_holds.get((reel_id, hold_id))
        path = self.hold_path(reel_id, hold_id)
        return self._remember(key, decode_mask(data if data is not None else _read(path), path))

    def _held_union(self, reel_id: str, frame: int) -> np.ndarray | None:
        out = None
        for hold in self._holds.get(reel_id, []):
            if hold.covers(frame):
                m = self.hold_mask(reel_id, hold.id)
                out = m.copy() if out is None else out | m
        return out

    # --- persistence -------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return bool(self._pending or self._pending_holds)

    def holds_to_json(self) -> dict:
        return {r: [h.to_dict() for h in hs] for r, hs in self._holds.items() if hs}

    def holds_from_json(self, data: object, path: Path | None = None) -> None:
        if not isinstance(data, dict):
            raise InputError("'held' must be an object keyed by reel id", path)
        self._holds = {
            check_id(r, "reel", path): [Hold.from_dict(h, path) for h in hs] for r, hs in data.items()
        }
        numbers = [int(h.id[1:]) for hs in self._holds.values() for h in hs if h.id[1:].isdigit()]
        self._hold_counter = max(numbers, default=0)

    @_locked
    def write(self) -> None:
        """Put every unsaved edit on disk (each file atomically) and forget the pending bytes."""
        root = self.folder.resolve()
        for (reel_id, layer, frame), data in list(self._pending.items()):
            path = self.path(reel_id, layer, frame)
            _put(path, data, root)
            frames = self._disk_frames(reel_id, layer)
            (frames.add if data is not None else frames.discard)(frame)
            del self._pending[(reel_id, layer, frame)]
        for (reel_id, hold_id), data in list(self._pending_holds.items()):
            _put(self.hold_path(reel_id, hold_id), data, root)
            del self._pending_holds[(reel_id, hold_id)]

    def write_snapshot(self, frames: dict, holds: dict) -> None:
        """Write the edits captured earlier by :meth:`pending` (a save in a background thread).

        Files are written outside the lock, so painting goes on meanwhile; an edit made since
        the snapshot stays pending for the next save.
        """
        root = self.folder.resolve()
        for key, data in frames.items():
            reel_id, layer, frame = key
            _put(self.path(reel_id, layer, frame), data, root)
            with self._lock:
                on_disk = self._disk_frames(reel_id, layer)
                (on_disk.add if data is not None else on_disk.discard)(frame)
                if key in self._pending and self._pending[key] is data:
                    del self._pending[key]
        for key, data in holds.items():
            _put(self.hold_path(*key), data, root)
            with self._lock:
                if key in self._pending_holds and self._pending_holds[key] is data:
                    del self._pending_holds[key]

    @_locked
    def pending(self) -> tuple[dict, dict]:
        """Unsaved per-frame masks and held masks as PNG bytes (None = deleted), for autosave."""
        return dict(self._pending), dict(self._pending_holds)

    @_locked
    def restore_pending(self, frames: dict, holds: dict) -> None:
        """Re-apply unsaved edits captured by :meth:`pending` (crash recovery)."""
        for key, data in frames.items():
            self._forget(key)
            self._pending[key] = data
        for key, data in holds.items():
            self._forget((key[0], "hold", key[1]))
            self._pending_holds[key] = data

    @_locked
    def drop_reel(self, reel_id: str) -> None:
        """Mark every mask of a reel for deletion at the next save."""
        for layer in ("detected", "painted"):
            for frame in self.frames(reel_id, layer):
                self._pending[(reel_id, layer, frame)] = None
                self._forget((reel_id, layer, frame))
        for hold in list(self._holds.get(reel_id, [])):
            self._pending_holds[(reel_id, hold.id)] = None
            self._forget((reel_id, "hold", hold.id))
        self._holds.pop(reel_id, None)

    # --- internals ---------------------------------------------------------------------
    def _disk_frames(self, reel_id: str, layer: str) -> set[int]:
        key = (reel_id, layer)
        if key not in self._disk:
            folder = self.folder / "masks" / reel_id / layer
            found: set[int] = set()
            if folder.is_dir():
                for entry in folder.iterdir():
                    m = _FRAME_FILE.match(entry.name)
                    if m:
                        found.add(int(m.group(1)))
            self._disk[key] = found
        return self._disk[key]

    def _remember(self, key: tuple, mask: np.ndarray) -> np.ndarray:
        mask.setflags(write=False)
        self._forget(key)
        self._cache[key] = mask
        self._cached_bytes += mask.nbytes
        while self._cached_bytes > self.cache_bytes and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cached_bytes -= old.nbytes
        return mask

    def _forget(self, key: tuple) -> None:
        old = self._cache.pop(key, None)
        if old is not None:
            self._cached_bytes -= old.nbytes

    @property
    def cached_count(self) -> int:
        """How many decoded masks are in memory (tests check the cache stays bounded)."""
        return len(self._cache)


def _check_layer(layer: str, per_frame: bool = False) -> None:
    if layer not in LAYERS:
        raise ValueError(f"unknown mask layer {layer!r} (one of {', '.join(LAYERS)})")
    if per_frame and layer == "held":
        raise ValueError("the 'held' layer is edited with hold()/unhold(), not per frame")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read mask ({exc.strerror or exc})", path) from None


def _put(path: Path, data: bytes | None, root: Path) -> None:
    if path.parent.exists() and not path.parent.resolve().is_relative_to(root):
        raise OutputError(
            "mask folder leads outside the project (a symbolic link?); not written", path.parent
        )
    if data is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)


def union(masks: Iterable[np.ndarray | None]) -> np.ndarray | None:
    """Logical OR of the masks that are present (None when none is)."""
    out = None
    for m in masks:
        if m is not None:
            out = m.copy() if out is None else out | m
    return out
