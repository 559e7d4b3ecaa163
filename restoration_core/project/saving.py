"""A project save split in two, so a GUI can write the files off its event-loop thread.

``job = SaveJob(project)`` (the project's thread) captures the document, the undo stack and
the unsaved masks as they are now; ``job.write()`` (any thread) puts them on disk, masks
first and ``project.json`` last, each file atomically, as :meth:`Project.save` does;
``job.finish()`` (the project's thread again) marks the project saved unless it was edited
in between, in which case it stays dirty and the next save writes the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from restoration_core.atomic import atomic_write_text
from restoration_core.project import autosave
from restoration_core.project.commands import UNDO_FILE
from restoration_core.safety import check_within

if TYPE_CHECKING:
    from restoration_core.project.document import Project


class SaveJob:
    """One save of ``project`` as it was when the job was made."""

    def __init__(self, project: Project):
        self.project = project
        self.folder = project.folder
        self.path = project.path
        self.text = json.dumps(project.to_json(), indent=1)
        self.undo_text = json.dumps(project.undo.to_json())
        self.frames, self.holds = project.masks.pending()

    def write(self) -> Path:
        """Write the captured state (safe in a worker thread: it reads nothing else of the project)."""
        masks = self.folder / "masks"
        check_within(self.folder, masks, "the project's mask folder")
        if masks.is_dir():
            for sub in masks.iterdir():
                check_within(self.folder, sub, "a reel's mask folder")
        self.project.masks.write_snapshot(self.frames, self.holds)
        atomic_write_text(self.path, self.text)
        atomic_write_text(self.folder / UNDO_FILE, self.undo_text)
        autosave.discard_recovery(self.folder)
        return self.path

    def finish(self) -> Path:
        """Mark the project saved if nothing changed since the snapshot; emit ``saved``."""
        p = self.project
        unchanged = (not p.masks.dirty and json.dumps(p.to_json(), indent=1) == self.text
                     and json.dumps(p.undo.to_json()) == self.undo_text)
        if unchanged:
            p.migrated_from = None
            p._set_dirty(False)
        p.events.saved.emit(self.path)
        return self.path
