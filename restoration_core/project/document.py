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
import shutil
from pathlib import Path
from typing import Any

from psygnal import Signal, SignalGroup

from restoration_core import __version__
from restoration_core.atomic import atomic_write_text
from restoration_core.errors import InputError, OutputError
from restoration_core.media import probe
from restoration_core.project import autosave
from restoration_core.project.commands import UNDO_FILE, UndoStack
from restoration_core.project.decisions import Decisions
from restoration_core.project.masks import MaskStore
from restoration_core.project.records import Clip, ReelRecord, source_fixity
from restoration_core.project.review import ReviewMixin, check_json
from restoration_core.project.schema import SCHEMA_VERSION, migrate
from restoration_core.safety import check_within

PROJECT_FILE = "project.json"
SUFFIX = ".reelwright"


class ProjectEvents(SignalGroup):
    """What a view can listen to. Frame-level events carry the reel id and frame index."""

    reels_changed = Signal()
    clips_changed = Signal()
    masks_changed = Signal(str, int, str)  # reel_id, frame, layer
    held_changed = Signal(str, int, int)  # reel_id, start, stop (exclusive)
    defects_changed = Signal(str, int)  # reel_id, frame (detections or rejections)
    decisions_changed = Signal(str, int)  # reel_id, frame (review decisions)
    flicker_changed = Signal(str)  # reel_id
    history_changed = Signal()
    dirty_changed = Signal(bool)
    saved = Signal(object)  # the project.json path


def project_file(path: str | Path) -> Path:
    """The ``project.json`` of a project given as its folder or as the file itself."""
    path = Path(path)
    return path if path.name == PROJECT_FILE else path / PROJECT_FILE


class Project(ReviewMixin):
    """A restoration project on disk. Use :meth:`create` or :meth:`load`, never the constructor."""

    def __init__(self, folder: Path, name: str | None = None):
        self.folder = Path(folder).resolve()
        self.name = name or self.folder.name.removesuffix(SUFFIX)
        self.events = ProjectEvents()
        self.reels: list[ReelRecord] = []
        self.clips: list[Clip] = []
        self.masks = MaskStore(
            self.folder, on_change=self._mask_changed, on_hold_change=self._hold_changed, check_reel=self.reel
        )
        self.migrated_from: int | None = None
        self._last_id = {"r": 0, "c": 0}  # ids are never reused, so old undo records cannot hit a new reel
        self._init_review()
        self.decisions = Decisions(self)
        self._dirty = False
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
        for kind, ids in (("reel", [r.id for r in self.reels]), ("clip", [c.id for c in self.clips])):
            if len(set(ids)) != len(ids):
                raise InputError(f"two {kind}s share an id", file)
        for clip in self.clips:
            if clip.reel_id not in reel_ids:
                raise InputError(f"clip {clip.id} refers to unknown reel {clip.reel_id}", file)
        self._last_id.update({k: int(v) for k, v in doc.get("last_ids", {}).items() if k in self._last_id})
        self.masks.holds_from_json(doc.get("held", {}), file)
        self._review_from_json(doc, file)
        self.decisions.from_json(doc.get("decisions", {}), file)

    def to_json(self) -> dict:
        """The current document as written to ``project.json``."""
        return {
            "schema_version": SCHEMA_VERSION,
            "program": f"reelwright {__version__}",
            "name": self.name,
            "reels": [r.to_dict(self.folder) for r in self.reels],
            "clips": [c.to_dict() for c in self.clips],
            "last_ids": dict(self._last_id),
            "held": self.masks.holds_to_json(),
            **self._review_to_json(),
            "decisions": self.decisions.to_json(),
        }

    def save(self) -> Path:
        """Write unsaved masks, then ``project.json`` and the undo stack (atomically); clear autosave.

        Refused (nothing written) when ``masks/`` or a reel's mask folder is a symbolic link
        leading outside the project folder.
        """
        masks = self.folder / "masks"
        check_within(self.folder, masks, "the project's mask folder")
        if masks.is_dir():
            for sub in masks.iterdir():
                check_within(self.folder, sub, "a reel's mask folder")
        self.masks.write()
        text = json.dumps(self.to_json(), indent=1)
        atomic_write_text(self.path, text)
        atomic_write_text(self.folder / UNDO_FILE, json.dumps(self.undo.to_json()))
        autosave.discard_recovery(self.folder)
        self.migrated_from = None
        self._set_dirty(False)
        self.events.saved.emit(self.path)
        return self.path

    def save_as(self, folder: str | Path) -> Path:
        """Save a copy in a new, empty folder and continue there (the old project stays as last saved)."""
        target = Path(folder)
        if project_file(target).exists():
            raise OutputError("already holds a Reelwright project (refusing to overwrite)", target)
        check_within(target, target / "masks", "the new project's mask folder")
        try:
            target.mkdir(parents=True, exist_ok=True)
            if (self.folder / "masks").is_dir():
                shutil.copytree(self.folder / "masks", target / "masks", dirs_exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot copy the project here ({exc.strerror or exc})", target) from None
        old, old_name = self.folder, self.name
        self.folder = self.masks.folder = target.resolve()
        self.name = self.folder.name.removesuffix(SUFFIX)
        try:
            path = self.save()
        except BaseException:
            self.folder = self.masks.folder = old
            self.name = old_name
            raise
        autosave.discard_recovery(old)  # the unsaved changes now live in the new project
        return path

    def autosave(self) -> Path | None:
        """Write the unsaved state beside the project for crash recovery (the project is untouched)."""
        return autosave.write_autosave(self)

    @staticmethod
    def has_recovery(path: str | Path) -> bool:
        """Whether an autosave newer than the last save exists for the project at ``path``."""
        return autosave.has_recovery(project_file(path).parent)

    @classmethod
    def recover(cls, path: str | Path) -> Project:
        """Open the project with its autosaved, unsaved changes applied (dirty until saved)."""
        return autosave.recover(cls, project_file(path).parent)

    @staticmethod
    def discard_recovery(path: str | Path) -> None:
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
        reel = ReelRecord(self._new_id("r", [r.id for r in self.reels]), path, dict(info), sha256)
        self.reels.append(reel)
        self._set_dirty()
        self.events.reels_changed.emit()
        return reel

    def relink_reel(self, reel_id: str, path: str | Path, *, verify: bool = True) -> ReelRecord:
        """Point a reel at its media's new location; with ``verify`` the source fixity must match."""
        old = self.reel(reel_id)
        path = Path(path).expanduser().resolve()
        if not (path.exists() or (path.parent.is_dir() and "%" in path.name)):
            raise InputError("source does not exist", path)
        if verify and old.sha256 and source_fixity(path) != old.sha256:
            raise InputError(f"not the same source as reel {reel_id} (SHA-256 differs)", path)
        new = dataclasses.replace(old, path=path)
        self.reels[self.reels.index(old)] = new
        self._set_dirty()
        self.events.reels_changed.emit()
        return new

    def missing_reels(self) -> list[ReelRecord]:
        """Reels whose source is not where the project says (moved or unmounted media)."""
        return [r for r in self.reels if not (r.path.exists() or "%" in r.path.name)]

    def _new_id(self, prefix: str, taken: list[str]) -> str:
        numbers = [int(i[1:]) for i in taken if i.startswith(prefix) and i[1:].isdigit()]
        self._last_id[prefix] = max([self._last_id[prefix], *numbers]) + 1
        return f"{prefix}{self._last_id[prefix]}"

    def remove_reel(self, reel_id: str) -> None:
        """Remove a reel with its clips, masks, defects and flicker curve (this clears the undo stack)."""
        reel = self.reel(reel_id)
        self.undo.clear()
        self.reels.remove(reel)
        self.masks.drop_reel(reel_id)
        self._drop_review(reel_id)
        self.decisions.drop_reel(reel_id)
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
        _check_range(self.reel(reel_id), int(out_frame))
        cid = self._new_id("c", [c.id for c in self.clips])
        clip = Clip(
            cid,
            reel_id,
            name or f"Clip {cid[1:]}",
            int(in_frame),
            int(out_frame),
            dict(settings or {}),
            notes,
        )
        check_json(clip.settings, "clip settings")
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
        _check_range(self.reel(new.reel_id), new.out_frame)
        check_json(new.to_dict(), "clip")
        self.clips[self.clips.index(old)] = new
        self._set_dirty()
        self.events.clips_changed.emit()
        return new

    def remove_clip(self, clip_id: str) -> None:
        self.clips.remove(self.clip(clip_id))
        self._set_dirty()
        self.events.clips_changed.emit()


def _check_range(reel: ReelRecord, out_frame: int) -> None:
    """A clip may not end past the reel's last frame (when the probe says how many there are)."""
    frames = reel.info.get("frames")
    if isinstance(frames, int) and frames > 0 and out_frame > frames:
        raise ValueError(f"clip out point {out_frame} is past the end of reel {reel.id} ({frames} frames)")


def _probe(path: Path) -> dict:
    """The reel's probe info, stored with the project."""
    info = probe(path)
    return info.to_dict() if hasattr(info, "to_dict") else dict(info)
