"""Errors the engine raises on purpose.

Every message is one line that names the file (or thing) and the problem, so the CLI can
print it as is and the GUI can show it in a dialog.
"""

from __future__ import annotations

from pathlib import Path


class ReelwrightError(Exception):
    """Base class: an expected failure with a one-line, user-facing message."""

    exit_code = 1

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        text = f"{self.path}: {message}" if self.path is not None else message
        super().__init__(text.replace("\n", " "))


class InputError(ReelwrightError):
    """The input (media, project, mask folder, job file, model) cannot be used."""

    exit_code = 2


class OutputError(ReelwrightError):
    """The destination cannot be written; nothing is left half-written."""

    exit_code = 2


class ModelError(InputError):
    """A model folder or file is unusable (missing component, wrong type, unsafe format)."""


class Cancelled(ReelwrightError):
    """Work stopped because the user asked it to."""

    exit_code = 130

    def __init__(self, message: str = "cancelled"):
        super().__init__(message)
