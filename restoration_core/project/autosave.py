"""Autosave and crash recovery: the unsaved state in ``<project>/.autosave/``, never in the project file.

The folder holds ``autosave.json`` (the whole document, the undo stack and an index of
unsaved masks) plus the unsaved masks as PNGs. It is written as a whole (temp folder +
rename) and removed by every successful :meth:`Project.save`, so its presence means
"there are changes the user has not saved".
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from restoration_core.atomic import atomic_path
from restoration_core.errors import InputError

if TYPE_CHECKING:
    from restoration_core.project.document import Project

AUTOSAVE_DIR = ".autosave"
STATE_FILE = "autosave.json"


def autosave_file(folder: Path) -> Path:
    return Path(folder) / AUTOSAVE_DIR / STATE_FILE


def write_autosave(project: Project) -> Path | None:
    """Write the project's unsaved state; a clean project clears any old autosave and returns None."""
    if not project.dirty:
        discard_recovery(project.folder)
        return None
    frames, holds = project.masks.pending()
    mask_index, hold_index = [], []
    with atomic_path(project.folder / AUTOSAVE_DIR) as tmp:
        tmp.mkdir()
        for (reel_id, layer, frame), data in frames.items():
            name = None if data is None else f"{reel_id}-{layer}-{frame:06d}.png"
            if name:
                (tmp / name).write_bytes(data)
            mask_index.append({"reel_id": reel_id, "layer": layer, "frame": frame, "file": name})
        for (reel_id, hold_id), data in holds.items():
            name = None if data is None else f"{reel_id}-held-{hold_id}.png"
            if name:
                (tmp / name).write_bytes(data)
            hold_index.append({"reel_id": reel_id, "hold_id": hold_id, "file": name})
        state = {
            "time": time.time(),
            "document": project.to_json(),
            "undo": project.undo.to_json(),
            "masks": mask_index,
            "holds": hold_index,
        }
        (tmp / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
    return autosave_file(project.folder)


def has_recovery(folder: Path) -> bool:
    return autosave_file(folder).is_file()


def discard_recovery(folder: Path) -> None:
    target = Path(folder) / AUTOSAVE_DIR
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)


def recover(cls: type[Project], folder: Path) -> Project:
    """Rebuild the project from its autosave (masks saved earlier stay on disk; unsaved ones overlay)."""
    file = autosave_file(folder)
    if not file.is_file():
        raise InputError("no autosaved changes to recover", file)
    try:
        state = json.loads(file.read_text(encoding="utf-8"))
        document = state["document"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"autosave is damaged ({exc})", file) from None
    project = cls.from_json(document, Path(folder), file)
    try:
        frames = {
            (m["reel_id"], m["layer"], int(m["frame"])): _read(file.parent, m["file"]) for m in state["masks"]
        }
        holds = {(h["reel_id"], h["hold_id"]): _read(file.parent, h["file"]) for h in state["holds"]}
        for reel_id, layer, frame in frames:
            project.masks.path(reel_id, layer, frame)  # validates ids; nothing escapes the folder
        for reel_id, hold_id in holds:
            project.masks.hold_path(reel_id, hold_id)
        project.masks.restore_pending(frames, holds)
        project.undo.from_json(state["undo"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"autosave is damaged ({exc})", file) from None
    project._set_dirty(True)
    return project


def _read(folder: Path, name: str | None) -> bytes | None:
    if name is None:
        return None
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad autosave mask name {name!r}")
    return (folder / name).read_bytes()
