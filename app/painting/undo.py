"""QUndoStack over the project's Qt-free undo stack: every edit is a project Command.

Each QUndoCommand forwards to ``project.undo`` (push/undo/redo), so the project's stack,
which is saved with the project, stays the single record of edits.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack


class ProjectCommand(QUndoCommand):
    def __init__(self, project, command, already_applied: bool = False):
        super().__init__(command.text)
        self.project, self.command = project, command
        self._first = True
        self._already = already_applied

    def redo(self) -> None:
        if self._first:
            self._first = False
            if not self._already:
                self.project.undo.push(self.command)
            return
        self.project.undo.redo()

    def undo(self) -> None:
        self.project.undo.undo()


def push(stack: QUndoStack, project, command) -> None:
    """Apply ``command`` to ``project`` as an undoable step."""
    stack.push(ProjectCommand(project, command))


def mirror(stack: QUndoStack, project) -> None:
    """Show a loaded project's saved undo history in ``stack`` (same position, nothing re-applied)."""
    stack.clear()
    saved = project.undo.index
    commands = list(project.undo.commands)
    for i, cmd in enumerate(commands):
        stack.push(ProjectCommand(project, cmd, already_applied=True))
        if i >= saved:
            # Not applied in the project: push marked it applied, so move the project along.
            project.undo.redo()
    stack.setIndex(saved)
