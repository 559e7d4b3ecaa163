"""List widgets refilled on every shown frame, without PySide6's reference leak.

Under PySide6 6.11 a ``QListWidgetItem`` made in Python keeps one extra reference to ``None``
the first time the list paints it (C++ asks the Python wrapper for a ``data`` override). The
inspector's lists are rebuilt for every frame the playhead rests on, so that was a reference
per detection per frame. Items made by ``addItems`` are C++'s own and paint without it; they
are then set up through ``item(k)``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QListWidget, QListWidgetItem


def refill(widget: QListWidget, texts: list[str]) -> list[QListWidgetItem]:
    """Replace the rows of ``widget`` with ``texts``; the new items, in order."""
    widget.clear()
    widget.addItems(texts)
    return [widget.item(k) for k in range(len(texts))]
