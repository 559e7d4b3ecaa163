"""Film in and out: probe, frame-accurate reading, export presets, timecode, fixity.

Public API (see CONVENTIONS.md): probe, open_reel, Reel, ReelInfo, AudioInfo, Frame,
open_writer, ExportResult, load_preset, PRESET_NAMES (a plain export through a preset
is restoration_core.render.export).
"""

from restoration_core.media.frame import Frame
from restoration_core.media.info import AudioInfo, ReelInfo
from restoration_core.media.presets import PRESET_NAMES, Preset, load_preset
from restoration_core.media.probe import probe
from restoration_core.media.reader import Reel, open_reel
from restoration_core.media.writer import open_writer
from restoration_core.media.writerbase import ExportResult

__all__ = [
    "PRESET_NAMES",
    "AudioInfo",
    "ExportResult",
    "Frame",
    "Preset",
    "Reel",
    "ReelInfo",
    "load_preset",
    "open_reel",
    "open_writer",
    "probe",
]
