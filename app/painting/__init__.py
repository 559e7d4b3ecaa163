"""Mask painting tools, mask edits through the project's undo stack, hold and track."""
