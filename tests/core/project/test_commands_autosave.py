"""Reversible edit commands, the saved undo stack, autosave and crash recovery."""

from __future__ import annotations

import numpy as np
import pytest

from restoration_core.defects import Defect
from restoration_core.errors import InputError
from restoration_core.project import HoldEdit, MaskEdit, Project, RejectEdit

SHAPE = (16, 16)


def stroke(x):
    m = np.zeros(SHAPE, bool)
    m[4:8, x : x + 2] = True
    return m


def test_mask_edit_apply_and_revert(project):
    project.masks.set("r1", 3, "painted", stroke(0))
    changes = []
    project.undo.changed.connect(lambda: changes.append(project.undo.index))
    edit = MaskEdit.capture(project, "r1", "painted", {3: stroke(0) | stroke(8), 4: stroke(2)}, "Brush")
    project.undo.push(edit)
    np.testing.assert_array_equal(project.masks.get("r1", 3, "painted"), stroke(0) | stroke(8))
    np.testing.assert_array_equal(project.masks.get("r1", 4, "painted"), stroke(2))
    assert project.undo.undo_text == "Brush"
    project.undo.undo()
    np.testing.assert_array_equal(project.masks.get("r1", 3, "painted"), stroke(0))
    assert project.masks.get("r1", 4, "painted") is None
    project.undo.redo()
    np.testing.assert_array_equal(project.masks.get("r1", 4, "painted"), stroke(2))
    assert changes == [1, 0, 1]
    edit.revert(project)  # a command is reusable on its own (a QUndoCommand may call it directly)
    assert project.masks.get("r1", 4, "painted") is None


def test_hold_and_reject_commands(project):
    project.undo.push(HoldEdit.adding("r1", 2, 5, stroke(3)))
    assert project.masks.frames("r1", "held") == [2, 3, 4]
    project.undo.undo()
    assert project.masks.frames("r1", "held") == []
    project.undo.redo()
    hold_id = project.masks.holds("r1")[0].id
    project.undo.push(HoldEdit.removing(project, "r1", hold_id))
    assert project.masks.holds("r1") == []
    project.undo.undo()
    assert project.masks.frames("r1", "held") == [2, 3, 4]

    project.set_defects("r1", 9, [Defect(9, (0, 0, 2, 2), 4, "dust", "dark", 0.5, id=4)])
    project.undo.push(RejectEdit.rejecting(project, "r1", 9, [4]))
    assert project.rejected("r1", 9) == {4}
    project.undo.undo()
    assert project.rejected("r1", 9) == set()


def test_undo_stack_is_saved_with_the_project(project):
    project.undo.push(MaskEdit.capture(project, "r1", "painted", {1: stroke(1)}))
    project.undo.push(MaskEdit.capture(project, "r1", "painted", {1: stroke(1) | stroke(9)}, "Brush 2"))
    project.undo.undo()
    project.save()
    loaded = Project.load(project.folder)
    assert (loaded.undo.index, len(loaded.undo.commands), loaded.undo.redo_text) == (1, 2, "Brush 2")
    np.testing.assert_array_equal(loaded.masks.get("r1", 1, "painted"), stroke(1))
    loaded.undo.undo()
    assert loaded.masks.get("r1", 1, "painted") is None
    loaded.undo.redo()
    loaded.undo.redo()
    np.testing.assert_array_equal(loaded.masks.get("r1", 1, "painted"), stroke(1) | stroke(9))


def test_a_damaged_undo_file_does_not_stop_the_project_opening(project):
    project.save()
    (project.folder / "undo.json").write_text("{oops")
    loaded = Project.load(project.folder)
    assert loaded.undo.commands == [] and not loaded.undo.can_undo


def test_autosave_and_recovery(project):
    project.masks.set("r1", 0, "painted", stroke(0))
    project.save()
    assert project.autosave() is None  # nothing unsaved: no recovery offered
    assert not Project.has_recovery(project.folder)

    saved = project.path.read_bytes()
    project.undo.push(MaskEdit.capture(project, "r1", "painted", {0: None, 5: stroke(4)}, "Erase and paint"))
    project.masks.hold("r1", 1, 3, stroke(6))
    project.add_clip("r1", 0, 8, name="Reel start")
    project.autosave()
    assert project.path.read_bytes() == saved  # the project file is never touched by autosave
    assert Project.has_recovery(project.folder)
    # "crash": the unsaved edits are not in the saved project ...
    plain = Project.load(project.folder)
    assert plain.clips == [] and plain.masks.get("r1", 5, "painted") is None
    # ... but recovery brings them all back, dirty until saved
    recovered = Project.recover(project.folder)
    assert recovered.dirty
    assert [c.name for c in recovered.clips] == ["Reel start"]
    assert recovered.masks.get("r1", 0, "painted") is None
    np.testing.assert_array_equal(recovered.masks.get("r1", 5, "painted"), stroke(4))
    assert recovered.masks.frames("r1", "held") == [1, 2]
    assert recovered.undo.undo_text == "Erase and paint"
    recovered.undo.undo()
    np.testing.assert_array_equal(recovered.masks.get("r1", 0, "painted"), stroke(0))
    recovered.save()
    assert not Project.has_recovery(project.folder)
    final = Project.load(project.folder)
    np.testing.assert_array_equal(final.masks.get("r1", 0, "painted"), stroke(0))
    assert final.masks.frames("r1", "held") == [1, 2]


def test_recover_errors(project):
    with pytest.raises(InputError, match="no autosaved changes"):
        Project.recover(project.folder)
    project.add_clip("r1", 0, 2)
    path = project.autosave()
    path.write_text("{broken")
    with pytest.raises(InputError, match="autosave is damaged") as err:
        Project.recover(project.folder)
    assert str(path) in str(err.value)
    Project.discard_recovery(project.folder)
    assert not Project.has_recovery(project.folder)
