"""Reelwright workbench GUI (PySide6): thin views over the Qt-free engine."""
