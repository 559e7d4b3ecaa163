"""One undo stack: the Edit menu's Undo/Redo follow the project's bounded stack exactly."""

from __future__ import annotations

import numpy as np

from tests.app.conftest import open_reel


def test_more_edits_than_the_stack_keeps_then_undo_everything(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    s = window.session
    stack = s.project.undo
    undo_act, redo_act = window.undo_stack.undo_action, window.undo_stack.redo_action
    assert not undo_act.isEnabled() and not redo_act.isEnabled()
    n = stack.limit + 5
    for k in range(n):
        mask = np.zeros((90, 160), bool)
        mask[k % 90, (k // 90) * 10] = True
        window.painter.commit(s.project, s.reel_id, 0, mask, f"Edit {k}")
    assert window.undo_stack.count() == stack.limit
    assert undo_act.isEnabled() and undo_act.text() == f"Undo Edit {n - 1} (frame 0)"
    undone = 0
    while undo_act.isEnabled():
        undo_act.trigger()   # never raises: the action is disabled when the stack is empty
        undone += 1
    assert undone == stack.limit and not stack.can_undo
    undo_act.trigger()       # a stray shortcut press on an empty stack does nothing
    assert undo_act.text() == "Undo" and redo_act.text() == "Redo Edit 5 (frame 0)"
    kept = s.project.masks.get(s.reel_id, 0, "painted")   # what the 5 dropped edits left
    assert kept is not None and kept.sum() == 1 and kept[4, 0]
    while redo_act.isEnabled():
        redo_act.trigger()
    assert stack.index == stack.limit and not redo_act.isEnabled()
    final = s.project.masks.get(s.reel_id, 0, "painted")
    assert final[(n - 1) % 90, ((n - 1) // 90) * 10] and final.sum() == 1


def test_undo_actions_follow_the_open_project(qtbot, window, reel_file):
    open_reel(qtbot, window, reel_file)
    s = window.session
    mask = np.zeros((90, 160), bool)
    mask[3, 3] = True
    window.painter.commit(s.project, s.reel_id, 0, mask, "Dab")
    assert window.undo_stack.undo_action.isEnabled()
    s.project.undo.undo()    # changed from the engine side: the action follows
    assert not window.undo_stack.undo_action.isEnabled()
    assert window.undo_stack.redo_action.text() == "Redo Dab (frame 0)"
    window.undo_stack.clear()
    assert not window.undo_stack.redo_action.isEnabled()
