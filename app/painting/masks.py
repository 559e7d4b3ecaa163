"""Reading the mask layers the viewer shows for a frame."""

from __future__ import annotations

import numpy as np


def display_masks(window, index: int) -> tuple[np.ndarray | None, set[int]]:
    """(painted ∪ held mask, rejected defect ids) of ``index`` in the open project."""
    s = window.session
    if s.project is None or s.reel_id is None:
        return None, set()
    masks = s.project.masks
    painted = masks.get(s.reel_id, index, "painted")
    held = masks.get(s.reel_id, index, "held")
    if painted is None:
        shown = held
    elif held is None:
        shown = painted
    else:
        shown = painted | held
    return shown, s.project.rejected(s.reel_id, index)
