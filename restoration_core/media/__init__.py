"""Film in and out: probe, frame-accurate reading, export presets, timecode, fixity.

Public API (see CONVENTIONS.md): probe, open_reel, Reel, ReelInfo, AudioInfo, Frame,
open_writer, ExportResult, export, load_preset, PRESET_NAMES.
"""

from restoration_core.media.export import export, parse_range
from restoration_core.media.frame import Frame
from restoration_core.media.info import AudioInfo, ReelInfo
from restoration_core.media.presets import PRESET_NAMES, Preset, load_preset
from restoration_core.media.probe import probe
from restoration_core.media.reader import Reel, open_reel
from restoration_core.media.writer import ExportResult, open_writer

__all__ = [
    "PRESET_NAMES",
    "AudioInfo",
    "ExportResult",
    "Frame",
    "Preset",
    "Reel",
    "ReelInfo",
    "export",
    "load_preset",
    "open_reel",
    "open_writer",
    "parse_range",
    "probe",
]
