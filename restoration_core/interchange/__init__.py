"""Editorial interchange: project clips out as OpenTimelineIO, editors' cut lists (.otio, EDL) in."""

from restoration_core.interchange.edl import parse_edl, read_edl
from restoration_core.interchange.events import CutEvent, import_events, match_reel
from restoration_core.interchange.otio_io import export_otio, import_cut_list, project_timeline, read_otio

__all__ = [
    "CutEvent",
    "export_otio",
    "import_cut_list",
    "import_events",
    "match_reel",
    "parse_edl",
    "project_timeline",
    "read_edl",
    "read_otio",
]
