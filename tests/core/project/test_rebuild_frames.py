"""Frames to rebuild as undoable project edits: covering clips' lists, candidate status, history."""

from __future__ import annotations

import pytest

from restoration_core.errors import InputError
from restoration_core.project import RebuildEdit
from restoration_core.project.commands import command_from_dict
from restoration_core.project.rebuild_frames import REBUILD_OP, recorded_states
from tests.core.project.conftest import make_project


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, width=30, height=20, frames=20)


def rebuild(project, clip_id):
    return project.clip(clip_id).settings.get("restore", {}).get("rebuild")


def test_a_frame_listed_in_its_covering_clips_undone_and_redone_with_every_state_recorded(project):
    r = project.reels[0].id
    a = project.add_clip(r, 0, 10, settings={"restore": {"engine": "auto", "rebuild": [2]}})
    b = project.add_clip(r, 5, 20)
    far = project.add_clip(r, 12, 20)
    cmd = RebuildEdit.capture(project, r, 6, listed_now=False, status_now="pending", listed=True,
                              status="accepted", text="Accept rebuild candidate (frame 6)")
    project.undo.push(cmd)
    assert rebuild(project, a.id) == [2, 6] and rebuild(project, b.id) == [6] and rebuild(project, far.id) is None
    assert project.clip(a.id).settings["restore"]["engine"] == "auto"    # other settings untouched
    assert recorded_states(project, r) == {6: {"reel_id": r, "frame": 6, "listed": True, "status": "accepted"}}
    project.undo.undo()
    assert rebuild(project, a.id) == [2] and rebuild(project, b.id) is None
    assert recorded_states(project, r)[6]["status"] == "pending" and not recorded_states(project, r)[6]["listed"]
    project.undo.redo()
    assert rebuild(project, a.id) == [2, 6]
    assert [h.params["status"] for h in project.history if h.op == REBUILD_OP] == ["accepted", "pending", "accepted"]
    # a frame the scan did not suggest has no status; a removed clip is left alone
    project.remove_clip(b.id)
    off = RebuildEdit.capture(project, r, 6, listed_now=True, status_now=None, listed=False, status=None,
                              text="Don't rebuild frame 6")
    project.undo.push(off)
    assert rebuild(project, a.id) == [2] and "status" not in recorded_states(project, r)[6]
    project.undo.undo()
    assert rebuild(project, a.id) == [2, 6]


def test_the_edit_survives_json_and_refuses_what_it_cannot_edit(project):
    r = project.reels[0].id
    clip = project.add_clip(r, 0, 10)
    cmd = RebuildEdit.capture(project, r, 3, listed_now=False, status_now=None, listed=True, status=None,
                              text="Rebuild frame 3")
    again = command_from_dict(cmd.to_dict())
    assert isinstance(again, RebuildEdit) and again.to_dict() == cmd.to_dict()
    again.apply(project)
    assert rebuild(project, clip.id) == [3]
    with pytest.raises(ValueError, match="unknown rebuild candidate status"):
        RebuildEdit.capture(project, r, 3, listed_now=False, status_now=None, listed=True, status="maybe", text="x")
    project.update_clip(clip.id, settings={"restore": {"rebuild": "12,40:43"}})
    with pytest.raises(InputError, match="must be a list"):
        RebuildEdit.capture(project, r, 3, listed_now=False, status_now=None, listed=True, status=None, text="x")
