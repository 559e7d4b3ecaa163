"""The project document: reels, clips, mask layers, defects, flicker, history, undo; saved as a folder.

project = Project.create("film.reelwright")
reel = project.add_reel("scan/reel1.mkv")
project.masks.set(reel.id, 12, "painted", mask)
project.save()
"""

from restoration_core.project.commands import HoldEdit, MaskEdit, RejectEdit, RevokeEdit, UndoStack
from restoration_core.project.decisions import ReviewEdit, ReviewItem, ReviewQueue
from restoration_core.project.document import PROJECT_FILE, SUFFIX, Project, ProjectEvents
from restoration_core.project.masks import Hold, MaskStore, decode_mask, encode_mask
from restoration_core.project.rebuild_frames import RebuildEdit
from restoration_core.project.records import Clip, HistoryRecord, ReelRecord
from restoration_core.project.schema import LAYERS, MIGRATIONS, SCHEMA_VERSION, migrate

__all__ = [
    "LAYERS",
    "MIGRATIONS",
    "PROJECT_FILE",
    "SCHEMA_VERSION",
    "SUFFIX",
    "Clip",
    "HistoryRecord",
    "Hold",
    "HoldEdit",
    "MaskEdit",
    "MaskStore",
    "Project",
    "ProjectEvents",
    "RebuildEdit",
    "ReelRecord",
    "RejectEdit",
    "ReviewEdit",
    "ReviewItem",
    "ReviewQueue",
    "RevokeEdit",
    "UndoStack",
    "decode_mask",
    "encode_mask",
    "migrate",
]
