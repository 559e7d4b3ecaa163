"""The displaced-shape search of motion protection: its early stop gives the same answers."""

from __future__ import annotations

import numpy as np
import pytest

from restoration_core.detect import motion
from tests.core.detect.scenes import texture

H, W = 96, 128
BOX = (50, 40, 70, 56)  # x0, y0, x1, y1 of the candidate


def _blob(img: np.ndarray, x: int, y: int, value: float) -> np.ndarray:
    out = img.copy()
    out[y : y + 16, x : x + 20] = value
    out[y + 4 : y + 12, x + 6 : x + 14] = 1.0 - value  # some structure to match
    return out


def _case(kind: str, offsets: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, list[motion.Neighbour]]:
    """The current frame, the candidate's pixels (crop at BOX) and neighbours with a zero flow
    (a flow that missed the motion): the object is displaced in them (``moving``), or absent
    (``speck``: damage of this frame only)."""
    bg = texture(H, W, seed=3)
    x0, y0 = BOX[0], BOX[1]
    cur = _blob(bg, x0, y0, 0.9)
    nbs = []
    for o in offsets:
        other = _blob(bg, x0 + 4 * o, y0 + 3 * o, 0.9) if kind == "moving" else bg.copy()
        nbs.append(motion.Neighbour(o, other, np.zeros((H, W, 2), np.float32)))
    region = np.ones((BOX[3] - BOX[1], BOX[2] - BOX[0]), bool)
    return cur, region, nbs


@pytest.mark.parametrize("offsets", [(-2, -1, 1, 2), (1, 2), (-1, -2), (-1, 1), (1,)], ids=str)
@pytest.mark.parametrize("kind", ["moving", "speck"])
def test_the_early_stop_answers_as_the_full_search(kind, offsets):
    cur, region, nbs = _case(kind, offsets)
    full = motion.explained_share(cur, region, BOX, nbs, reach=16, tolerance=0.5, tile=8)
    for enough in (0.25, 0.5, 0.9):
        quick = motion.explained_share(cur, region, BOX, nbs, reach=16, tolerance=0.5, tile=8, enough=enough)
        assert (quick >= enough) == (full >= enough), (kind, offsets, enough, full, quick)
    # and the answers themselves: a moving object seen on both sides (or in both frames of a
    # clip end's one side) is explained, damage of one frame is not, one frame is not enough
    if kind == "moving" and len(offsets) >= 2:
        assert full >= 0.9
    else:
        assert full == 0.0
