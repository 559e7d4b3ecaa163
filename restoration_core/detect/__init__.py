"""Find damage: dust and dirt (motion-compensated temporal outliers), line scratches, flicker.

Public API: :class:`DetectSettings`, :class:`FrameDetection`, :func:`detect_reel` (a
streaming generator over a reel) and :func:`detect_frame` (one frame, for the GUI).
"""

from restoration_core.detect.pipeline import detect_frame, detect_reel
from restoration_core.detect.settings import DetectSettings, FrameDetection

__all__ = ["DetectSettings", "FrameDetection", "detect_frame", "detect_reel"]
