"""Repair damage: temporal fill, generative (diffusion or classical) fill, grain, deflicker.

Public API: :class:`RestoreSettings`, :func:`restore_frames` (a streaming generator over a
clip), :func:`restore_single` (one frame, for the GUI preview), :class:`RestoredFrame`,
:class:`ClassicalFill` and the :class:`GenerativeFill` / :class:`FillRequest` contract.
"""

from restoration_core.restore.classical import ClassicalFill
from restoration_core.restore.fill import FillRequest, GenerativeFill
from restoration_core.restore.pipeline import RestoredFrame, restore_frames, restore_single
from restoration_core.restore.settings import RestoreSettings

__all__ = [
    "ClassicalFill",
    "FillRequest",
    "GenerativeFill",
    "RestoreSettings",
    "RestoredFrame",
    "restore_frames",
    "restore_single",
]
