"""The Edit menu's Undo and Redo over the project's one undo stack (no second, Qt-side stack).

Every edit is a Qt-free project Command pushed on ``project.undo`` (restoration_core's
:class:`UndoStack`, saved with the project, bounded at its ``limit``). The actions' enabled
state and text follow that stack's ``changed`` event, so they can never offer a step the
project no longer has (a separate unlimited QUndoStack once did, and raised IndexError).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from app.theme import icon


class ProjectUndo(QObject):
    """Undo/Redo actions driven by the open project's undo stack; a small QUndoStack-like API."""

    def __init__(self, window, menu=None):
        super().__init__(window)
        self._project = None
        self.undo_action = QAction(icon("mdi6.undo"), "Undo", window)
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.triggered.connect(self.undo)
        self.redo_action = QAction(icon("mdi6.redo"), "Redo", window)
        self.redo_action.setShortcut(QKeySequence("Ctrl+Shift+Z"))
        self.redo_action.triggered.connect(self.redo)
        for act in (self.undo_action, self.redo_action):
            window.addAction(act)
            if menu is not None:
                menu.addAction(act)
        self._sync()

    # ---- which stack ------------------------------------------------------------------
    def attach(self, project) -> None:
        """Follow ``project``'s stack (None: no project, both actions disabled)."""
        if self._project is not None:
            self._project.undo.changed.disconnect(self._sync)
        self._project = project
        if project is not None:
            project.undo.changed.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        stack = self._stack()
        can_undo, can_redo = stack is not None and stack.can_undo, stack is not None and stack.can_redo
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)
        self.undo_action.setText(f"Undo {stack.undo_text}" if can_undo else "Undo")
        self.redo_action.setText(f"Redo {stack.redo_text}" if can_redo else "Redo")

    def _stack(self):
        return None if self._project is None else self._project.undo

    # ---- the QUndoStack-like API callers and tests use ----------------------------------
    def push(self, command) -> None:
        self._project.undo.push(command)

    def undo(self) -> None:
        stack = self._stack()
        if stack is not None and stack.can_undo:
            stack.undo()

    def redo(self) -> None:
        stack = self._stack()
        if stack is not None and stack.can_redo:
            stack.redo()

    def count(self) -> int:
        stack = self._stack()
        return 0 if stack is None else len(stack.commands)

    def index(self) -> int:
        stack = self._stack()
        return 0 if stack is None else stack.index

    def canUndo(self) -> bool:  # noqa: N802 - QUndoStack's names
        stack = self._stack()
        return stack is not None and stack.can_undo

    def canRedo(self) -> bool:  # noqa: N802
        stack = self._stack()
        return stack is not None and stack.can_redo

    def clear(self) -> None:
        """Stop following a project (its stack stays with it, saved in ``undo.json``)."""
        self.attach(None)


def push(stack: ProjectUndo, project, command) -> None:
    """Apply ``command`` to ``project`` as one undoable step."""
    project.undo.push(command)


def mirror(stack: ProjectUndo, project) -> None:
    """Show ``project``'s (possibly loaded) undo history in the Edit menu."""
    stack.attach(project)
