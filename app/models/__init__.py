"""Qt-free, evented state the views render: compare mode, overlays, tools, transport."""

from app.models.state import CompareState, OverlayState, PaintState, ViewTransform

__all__ = ["CompareState", "OverlayState", "PaintState", "ViewTransform"]
