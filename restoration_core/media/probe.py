"""probe(path): what a reel is, without decoding its pictures (one frame for sequences)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from restoration_core.errors import InputError
from restoration_core.media.container import not_a_regular_file, scan_container
from restoration_core.media.info import ReelInfo
from restoration_core.media.ptsindex import PtsIndex, RateIndex
from restoration_core.media.sequence import SequenceFiles, is_sequence_path, scan_sequence


def scan(path: str | Path, fps: Fraction | None = None) -> tuple[ReelInfo, PtsIndex | RateIndex | SequenceFiles]:
    """ReelInfo plus what a reader needs (a container's pts index or a sequence's file list)."""
    path = Path(path)
    if not path.exists() and "%" not in path.name:
        raise InputError("no such file or folder", path)
    odd = not_a_regular_file(path)
    if odd:  # never opened: reading a FIFO blocks, a device never ends
        raise InputError(odd, path)
    if is_sequence_path(path):
        return scan_sequence(path, fps)
    return scan_container(path)


def probe(path: str | Path, fps: Fraction | None = None) -> ReelInfo:
    """Exact properties of a container file or image sequence (InputError if unusable).

    ``fps`` sets the rate of a sequence whose files do not carry one (default 24).
    """
    return scan(path, fps)[0]


# motion estimation (DIS optical flow) and the repair windows need at least this many pixels
MIN_ANALYSIS_SIDE = 16


def check_frame_size(info: ReelInfo, command: str) -> None:
    """InputError naming the reel when its frames are too small to analyse (e.g. a 1x1 video)."""
    if min(int(info.width), int(info.height)) < MIN_ANALYSIS_SIDE:
        raise InputError(f"frames are {info.width}x{info.height}; {command} needs at least "
                         f"{MIN_ANALYSIS_SIDE}x{MIN_ANALYSIS_SIDE} pixels", info.path)
