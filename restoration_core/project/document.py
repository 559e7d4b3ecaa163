"""The project document an archivist saves: a folder holding ``project.json`` and ``masks/``.

A :class:`Project` holds reels, clips, mask layers, per-frame defects with rejections, a
flicker curve per reel, an append-only history of applied operations and the undo stack of
edits. Every change goes through a method that emits a psygnal event (so a GUI can listen
without Qt in the engine) and marks the project dirty. :meth:`Project.save` writes the
masks, then ``project.json`` last, each file atomically; loading never writes anything.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal, SignalGroup

from restoration_core import __version__
from restoration_core.atomic import atomic_write_text
from restoration_core.defects import Defect
from restoration_core.errors import InputError, OutputError
from restoration_core.project.masks import MaskStore, union
from restoration_core.project.records import Clip, HistoryRecord, ReelRecord, source_fixity
from restoration_core.project.schema import SCHEMA_VERSION, check_id, migrate

PROJECT_FILE = "project.json"
SUFFIX = ".reelwright"


class ProjectEvents(SignalGroup):
    """What a view can listen to. Frame-level events carry the reel id and frame index."""

    reels_changed = Signal()
    clips_changed = Signal()
    masks_changed = Signal(str, int, str)  # reel_id, frame, layer
    held_changed = Signal(str, int, int)  # reel_id, start, stop (exclusive)
    defects_changed = Signal(str, int)  # reel_id, frame (detections or rejections)
    flicker_changed = Signal(str)  # reel_id
    history_changed = Signal()
    dirty_changed = Signal(bool)
    saved = Signal(object)  # the project.json path


def project_file(path: str | Path) -> Path:
    """The ``project.json`` of a project given as its folder or as the file itself."""
    path = Path(path)
    return path if path.name == PROJECT_FILE else path / PROJECT_FILE


class Project:
    """A restoration project on disk. Use :meth:`create` or :meth:`load`, never the constructor."""

    def __init__(self, folder: Path, name: str | None = None):
        self.folder = Path(folder).resolve()
        self.name = name or self.folder.name.removesuffix(SUFFIX)
        self.events = ProjectEvents()
        self.reels: list[ReelRecord] = []
        self.clips: list[Clip] = []
        self.masks = MaskStore(self.folder, on_change=self._mask_changed, on_hold_change=self._hold_changed)
        self.history: list[HistoryRecord] = []
        self.migrated_from: int | None = None
        self._defects: dict[str, dict[int, list[Defect]]] = {}
        self._rejected: dict[str, dict[int, set[int]]] = {}
        self._flicker: dict[str, dict[int, tuple[float, float]]] = {}
        self._dirty = False
        from restoration_core.project.commands import UndoStack

        self.undo = UndoStack(self)

    # --- files -------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The ``project.json`` file."""
        return self.folder / PROJECT_FILE

    @classmethod
    def create(cls, folder: str | Path, name: str | None = None) -> Project:
        """Start a new project in ``folder`` (created if needed) and save it once."""
        folder = Path(folder)
        if project_file(folder).exists():
            raise OutputError("already holds a Reelwright project (open it instead)", folder)
        if folder.exists() and not folder.is_dir():
            raise OutputError("exists and is not a folder", folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create project folder ({exc.strerror or exc})", folder) from None
        project = cls(folder, name)
        project.save()
        return project

    @classmethod
    def load(cls, path: str | Path) -> Project:
        """Open a project folder (or its ``project.json``). Raises :class:`InputError`; writes nothing."""
        file = project_file(path)
        if not file.is_file():
            raise InputError("no Reelwright project here (project.json is missing)", file)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read project file ({exc})", file) from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"project file is damaged (bad JSON at line {exc.lineno}, column {exc.colno})", file
            ) from None
        project = cls.from_json(doc, file.parent, file)
        from restoration_core.project.commands import UNDO_FILE

        project.undo.load(file.parent / UNDO_FILE)
        return project

    @classmethod
    def from_json(cls, doc: object, folder: Path, file: Path | None = None) -> Project:
        """Build a project from a (possibly older) document; errors name ``file``."""
        file = file or project_file(folder)
        version = doc.get("schema_version") if isinstance(doc, dict) else None
        doc = migrate(doc, file)
        project = cls(folder, doc.get("name"))
        if version != SCHEMA_VERSION:
            project.migrated_from = version
        try:
            project._read_doc(doc, file)
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"project file has a missing or bad field ({exc})", file) from None
        return project

    def _read_doc(self, doc: dict, file: Path) -> None:
        self.reels = [ReelRecord.from_dict(r, self.folder, file) for r in doc["reels"]]
        self.clips = [Clip.from_dict(c, file) for c in doc["clips"]]
        reel_ids = {r.id for r in self.reels}
        for clip in self.clips:
            if clip.reel_id not in reel_ids:
                raise InputError(f"clip {clip.id} refers to unknown reel {clip.reel_id}", file)
        self.masks.holds_from_json(doc.get("held", {}), file)
        for reel_id, frames in doc.get("defects", {}).items():
            check_id(reel_id, "reel", file)
            self._defects[reel_id] = {int(f): [Defect.from_dict(d) for d in ds] for f, ds in frames.items()}
        for reel_id, frames in doc.get("rejected", {}).items():
            check_id(reel_id, "reel", file)
            self._rejected[reel_id] = {int(f): {int(i) for i in ids} for f, ids in frames.items()}
        for reel_id, curve in doc.get("flicker", {}).items():
            check_id(reel_id, "reel", file)
            self._flicker[reel_id] = {int(f): (float(g), float(o)) for f, (g, o) in curve.items()}
        self.history = [HistoryRecord.from_dict(h) for h in doc.get("history", [])]

    def to_json(self) -> dict:
        """The current document as written to ``project.json``."""
        return {
            "schema_version": SCHEMA_VERSION,
            "program": f"reelwright {__version__}",
            "name": self.name,
            "reels": [r.to_dict(self.folder) for r in self.reels],
            "clips": [c.to_dict() for c in self.clips],
            "held": self.masks.holds_to_json(),
            "defects": {
                r: {str(f): [d.to_dict() for d in ds] for f, ds in sorted(frames.items()) if ds}
                for r, frames in self._defects.items()
            },
            "rejected": {
                r: {str(f): sorted(ids) for f, ids in sorted(frames.items()) if ids}
                for r, frames in self._rejected.items()
            },
            "flicker": {r: {str(f): list(v) for f, v in sorted(c.items())} for r, c in self._flicker.items()},
            "history": [h.to_dict() for h in self.history],
        }

    def save(self) -> Path:
        """Write unsaved masks, then ``project.json`` and the undo stack (atomically); clear autosave."""
        from restoration_core.project import autosave
        from restoration_core.project.commands import UNDO_FILE

        self.masks.write()
        text = json.dumps(self.to_json(), indent=1)
        atomic_write_text(self.path, text)
        atomic_write_text(self.folder / UNDO_FILE, json.dumps(self.undo.to_json()))
        autosave.discard_recovery(self.folder)
        self.migrated_from = None
        self._set_dirty(False)
        self.events.saved.emit(self.path)
        return self.path

    def autosave(self) -> Path:
        """Write the unsaved state beside the project for crash recovery (the project is untouched)."""
        from restoration_core.project import autosave

        return autosave.write_autosave(self)

    @staticmethod
    def has_recovery(path: str | Path) -> bool:
        """Whether an autosave newer than the last save exists for the project at ``path``."""
        from restoration_core.project import autosave

        return autosave.has_recovery(project_file(path).parent)

    @classmethod
    def recover(cls, path: str | Path) -> Project:
        """Open the project with its autosaved, unsaved changes applied (dirty until saved)."""
        from restoration_core.project import autosave

        return autosave.recover(cls, project_file(path).parent)

    @staticmethod
    def discard_recovery(path: str | Path) -> None:
        from restoration_core.project import autosave

        autosave.discard_recovery(project_file(path).parent)

    # --- dirty state -------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._dirty

    def _set_dirty(self, value: bool = True) -> None:
        if value != self._dirty:
            self._dirty = value
            self.events.dirty_changed.emit(value)

    def _mask_changed(self, reel_id: str, frame: int, layer: str) -> None:
        self._set_dirty()
        self.events.masks_changed.emit(reel_id, frame, layer)

    def _hold_changed(self, reel_id: str, start: int, stop: int) -> None:
        self._set_dirty()
        self.events.held_changed.emit(reel_id, start, stop)

    # --- reels -------------------------------------------------------------------------
    def reel(self, reel_id: str) -> ReelRecord:
        for r in self.reels:
            if r.id == reel_id:
                return r
        raise KeyError(f"no reel {reel_id!r} in the project")

    def add_reel(
        self, path: str | Path, info: dict | None = None, *, sha256: str | None = None, fixity: bool = True
    ) -> ReelRecord:
        """Add a source reel. ``info`` defaults to ``media.probe(path)`` when that is available;
        ``fixity`` computes the source's SHA-256 unless ``sha256`` is given."""
        path = Path(path).expanduser().resolve()
        if not (path.exists() or (path.parent.is_dir() and "%" in path.name)):
            raise InputError("source does not exist", path)
        if info is None:
            info = _probe(path)
        if sha256 is None and fixity:
            sha256 = source_fixity(path)
        n = len(self.reels) + 1
        while any(r.id == f"r{n}" for r in self.reels):
            n += 1
        reel = ReelRecord(f"r{n}", path, dict(info), sha256)
        self.reels.append(reel)
        self._set_dirty()
        self.events.reels_changed.emit()
        return reel

    def remove_reel(self, reel_id: str) -> None:
        """Remove a reel with its clips, masks, defects and flicker curve."""
        reel = self.reel(reel_id)
        self.reels.remove(reel)
        self.masks.drop_reel(reel_id)
        for store in (self._defects, self._rejected, self._flicker):
            store.pop(reel_id, None)
        had_clips = any(c.reel_id == reel_id for c in self.clips)
        self.clips = [c for c in self.clips if c.reel_id != reel_id]
        self._set_dirty()
        self.events.reels_changed.emit()
        if had_clips:
            self.events.clips_changed.emit()

    # --- clips -------------------------------------------------------------------------
    def clip(self, clip_id: str) -> Clip:
        for c in self.clips:
            if c.id == clip_id:
                return c
        raise KeyError(f"no clip {clip_id!r} in the project")

    def add_clip(
        self,
        reel_id: str,
        in_frame: int,
        out_frame: int,
        name: str | None = None,
        settings: dict | None = None,
        notes: str = "",
    ) -> Clip:
        """Add a clip covering frames ``in_frame`` to ``out_frame`` (exclusive) of a reel."""
        self.reel(reel_id)
        n = len(self.clips) + 1
        while any(c.id == f"c{n}" for c in self.clips):
            n += 1
        clip = Clip(
            f"c{n}", reel_id, name or f"Clip {n}", int(in_frame), int(out_frame), dict(settings or {}), notes
        )
        _check_json(clip.settings, "clip settings")
        self.clips.append(clip)
        self._set_dirty()
        self.events.clips_changed.emit()
        return clip

    def update_clip(self, clip_id: str, **changes: Any) -> Clip:
        """Change fields of a clip (name, in_frame, out_frame, settings, notes, job_state)."""
        old = self.clip(clip_id)
        if {"id", "reel_id"} & changes.keys():
            raise ValueError("a clip's id and reel cannot change")
        new = dataclasses.replace(old, **changes)
        _check_json(new.to_dict(), "clip")
        self.clips[self.clips.index(old)] = new
        self._set_dirty()
        self.events.clips_changed.emit()
        return new

    def remove_clip(self, clip_id: str) -> None:
        self.clips.remove(self.clip(clip_id))
        self._set_dirty()
        self.events.clips_changed.emit()

    # --- detections --------------------------------------------------------------------
    def set_detection(
        self,
        reel_id: str,
        frame: int,
        mask: np.ndarray | None,
        defects: list[Defect],
        flicker: tuple[float, float] | None = None,
    ) -> None:
        """Store one frame's detection result: detected mask layer, defect list, flicker gain/offset."""
        self.masks.set(reel_id, frame, "detected", mask)
        self.set_defects(reel_id, frame, defects)
        if flicker is not None:
            self.set_flicker(reel_id, {frame: flicker})

    def set_defects(self, reel_id: str, frame: int, defects: list[Defect]) -> None:
        self.reel(reel_id)
        self._defects.setdefault(reel_id, {})[int(frame)] = list(defects)
        self._set_dirty()
        self.events.defects_changed.emit(reel_id, int(frame))

    def defects(self, reel_id: str, frame: int) -> list[Defect]:
        return list(self._defects.get(reel_id, {}).get(int(frame), []))

    def defect_frames(self, reel_id: str) -> list[int]:
        """Frames with at least one detected defect (for the density strip and next/previous)."""
        return sorted(f for f, ds in self._defects.get(reel_id, {}).items() if ds)

    def rejected(self, reel_id: str, frame: int) -> set[int]:
        return set(self._rejected.get(reel_id, {}).get(int(frame), set()))

    def reject(self, reel_id: str, frame: int, defect_ids: list[int] | None = None) -> None:
        """Keep detections out of the repair (all of the frame's when ``defect_ids`` is None)."""
        ids = {d.id for d in self.defects(reel_id, frame)} if defect_ids is None else set(defect_ids)
        self._set_rejected(reel_id, frame, self.rejected(reel_id, frame) | ids)

    def accept(self, reel_id: str, frame: int, defect_ids: list[int] | None = None) -> None:
        """Undo a rejection (all of the frame's when ``defect_ids`` is None)."""
        keep = set() if defect_ids is None else self.rejected(reel_id, frame) - set(defect_ids)
        self._set_rejected(reel_id, frame, keep)

    def _set_rejected(self, reel_id: str, frame: int, ids: set[int]) -> None:
        self.reel(reel_id)
        self._rejected.setdefault(reel_id, {})[int(frame)] = set(ids)
        self._set_dirty()
        self.events.defects_changed.emit(reel_id, int(frame))

    def set_flicker(self, reel_id: str, curve: dict[int, tuple[float, float]]) -> None:
        """Merge per-frame (gain, offset) pairs into the reel's flicker curve."""
        self.reel(reel_id)
        store = self._flicker.setdefault(reel_id, {})
        store.update({int(f): (float(g), float(o)) for f, (g, o) in curve.items()})
        self._set_dirty()
        self.events.flicker_changed.emit(reel_id)

    def flicker(self, reel_id: str) -> dict[int, tuple[float, float]]:
        return dict(self._flicker.get(reel_id, {}))

    # --- the mask restoration uses ------------------------------------------------------
    def repair_mask(self, reel_id: str, frame: int, shape: tuple[int, int]) -> np.ndarray | None:
        """painted ∪ held ∪ (detected minus rejected defects' pixels); None when nothing to repair.

        A rejected defect removes the detected pixels inside its bbox, except where the bbox
        of a defect that is still accepted overlaps (those stay repaired).
        """
        detected = self.masks.get(reel_id, frame, "detected")
        rejected = self.rejected(reel_id, frame)
        if detected is not None and rejected:
            drop = np.zeros(detected.shape, bool)
            keep = np.zeros(detected.shape, bool)
            for d in self.defects(reel_id, frame):
                x, y, w, h = d.bbox
                (drop if d.id in rejected else keep)[y : y + h, x : x + w] = True
            detected = detected & ~(drop & ~keep)
        layers = {
            "detected": detected,
            "painted": self.masks.get(reel_id, frame, "painted"),
            "held": self.masks.get(reel_id, frame, "held"),
        }
        for layer, m in layers.items():
            if m is not None and m.shape != tuple(shape):
                raise InputError(
                    f"{layer} mask of frame {frame} is {m.shape[1]}x{m.shape[0]}, "
                    f"the frames are {shape[1]}x{shape[0]}",
                    self.folder / "masks" / reel_id / layer,
                )
        return union(layers.values())

    # --- history -----------------------------------------------------------------------
    def record(self, op: str, params: dict | None = None) -> HistoryRecord:
        """Append an applied operation to the history (params must be JSON-serialisable).

        For a restore, record what is needed to undo one intervention later, e.g.
        ``{"reel_id", "clip_id", "output", "settings", "interventions": [i.to_dict()...],
        "mask_digests": project.mask_digests(reel_id, frames)}``.
        """
        params = dict(params or {})
        _check_json(params, f"history record {op!r}")
        rec = HistoryRecord(len(self.history) + 1, op, params)
        self.history.append(rec)
        self._set_dirty()
        self.events.history_changed.emit()
        return rec

    def mask_digests(self, reel_id: str, frames: range | list[int], shape: tuple[int, int]) -> dict[str, str]:
        """SHA-1 of each frame's repair mask (frames with none are left out), to pin a restore's input."""
        import hashlib

        out = {}
        for f in frames:
            m = self.repair_mask(reel_id, f, shape)
            if m is not None:
                out[str(f)] = hashlib.sha1(np.packbits(m).tobytes()).hexdigest()
        return out


def _probe(path: Path) -> dict:
    """Probe info from the media module when it is available (it may land after this one)."""
    try:
        from restoration_core.media import probe
    except ImportError:
        return {}
    info = probe(path)
    return info.to_dict() if hasattr(info, "to_dict") else dict(info)


def _check_json(value: object, what: str) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-serialisable ({exc})") from None
