"""Small evented models (psygnal) that widgets connect to; no Qt here.

Each is a dataclass whose fields emit ``obj.events.<field>`` when changed, the napari
Dims/QtDims pattern: the model holds the state, the widget only listens and paints.
"""

from __future__ import annotations

from dataclasses import dataclass

from psygnal import evented

COMPARE_MODES = ("single", "wipe", "side", "diff")
TOOLS = ("none", "brush", "eraser", "rect", "lasso")


@evented
@dataclass
class CompareState:
    """How before (source) and after (restored preview) are shown.

    ``single`` shows one picture; ``show_after`` flips it (the before/after key).
    ``wipe`` splits at ``wipe_pos`` (0..1) vertically or horizontally; ``side`` shows both
    with one shared zoom/pan; ``diff`` shows |after - before| times ``diff_gain``.
    """

    mode: str = "single"
    show_after: bool = False
    wipe_pos: float = 0.5
    wipe_vertical: bool = True
    diff_gain: float = 8.0

    def toggle(self) -> None:
        self.show_after = not self.show_after


@evented
@dataclass
class OverlayState:
    detected: bool = True
    painted: bool = True
    boxes: bool = True
    opacity: float = 0.55
    hud: bool = True


@evented
@dataclass
class PaintState:
    tool: str = "none"
    size: int = 12
    hardness: float = 0.8

    def grow(self) -> None:
        self.size = min(512, max(self.size + 1, int(round(self.size * 1.25))))

    def shrink(self) -> None:
        self.size = max(1, min(self.size - 1, int(round(self.size / 1.25))))


@evented
@dataclass
class ViewTransform:
    """Zoom and pan shared by every panel of the viewer (side-by-side stays in sync).

    ``scale`` is screen pixels per image pixel; ``cx, cy`` is the image point shown at the
    centre of each panel; ``fit`` re-fits on resize until the user zooms or pans.
    """

    scale: float = 1.0
    cx: float = 0.0
    cy: float = 0.0
    fit: bool = True
