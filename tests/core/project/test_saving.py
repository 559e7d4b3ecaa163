"""A save split for a background thread: what it writes, and edits made while it runs."""

from __future__ import annotations

import json
import threading

import numpy as np

from restoration_core.project import Project
from restoration_core.project.saving import SaveJob

SHAPE = (16, 16)


def dab(y, x):
    m = np.zeros(SHAPE, bool)
    m[y, x] = True
    return m


def test_a_save_job_written_in_another_thread_saves_like_save(project):
    project.masks.set("r1", 3, "painted", dab(2, 2))
    project.record("note", {"a": 1})
    job = SaveJob(project)
    t = threading.Thread(target=job.write)
    t.start()
    t.join()
    assert project.dirty                       # only finish() (the project's thread) marks it saved
    saved = []
    project.events.saved.connect(saved.append)
    job.finish()
    assert not project.dirty and saved == [project.path]
    loaded = Project.load(project.folder)
    assert loaded.masks.get("r1", 3, "painted")[2, 2]
    assert [h.op for h in loaded.history] == ["note"]


def test_edits_made_while_the_save_runs_stay_unsaved(project):
    project.masks.set("r1", 3, "painted", dab(2, 2))
    job = SaveJob(project)
    project.masks.set("r1", 3, "painted", dab(5, 5))      # painted again before the files are written
    project.masks.set("r1", 4, "painted", dab(1, 1))
    job.write()
    job.finish()
    assert project.dirty and project.masks.dirty
    assert project.masks.get("r1", 3, "painted")[5, 5]    # memory has the newer stroke
    on_disk = Project.load(project.folder)
    assert on_disk.masks.get("r1", 3, "painted")[2, 2]    # the file has the captured one
    assert on_disk.masks.get("r1", 4, "painted") is None
    project.save()                                          # the next save writes the rest
    again = Project.load(project.folder)
    assert again.masks.get("r1", 3, "painted")[5, 5] and again.masks.get("r1", 4, "painted")[1, 1]


def test_a_document_change_during_the_save_keeps_the_project_dirty(project):
    job = SaveJob(project)
    project.record("late", {})
    job.write()
    job.finish()
    assert project.dirty
    assert json.loads(project.path.read_text())["history"] == []
