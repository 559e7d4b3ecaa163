"""Review renders: before|after side by side or split, timecode burnt in, through the media writer."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.errors import InputError, OutputError
from restoration_core.progress import run_to_end
from restoration_core.render.signoff import compose, render_review


def _seq(folder, pics):
    folder.mkdir()
    for k, pic in enumerate(pics):
        cv2.imwrite(str(folder / f"f_{k:04d}.png"), cv2.cvtColor(pic, cv2.COLOR_RGB2BGR))


def test_compose_layouts():
    before = np.full((40, 60, 3), 10, np.uint16)
    after = np.full((40, 60, 3), 2000, np.uint16)
    side = compose(before, after, "side", labels=False)
    assert side.shape == (40, 120, 3) and (side[:, :60] == 10).all() and (side[:, 60:] == 2000).all()
    split = compose(before, after, "split", 0.25, labels=False)
    assert split.shape == before.shape and (split[:, :14] == 10).all() and (split[:, 16:] == 2000).all()
    labelled = compose(before, after, "side")
    assert (labelled[:20, :60] != 10).any()  # the BEFORE label
    with pytest.raises(InputError):
        compose(before, after, "diagonal")


def test_render_review_side_by_side_with_burn_in(tmp_path):
    from restoration_core.media import open_reel

    rng = np.random.default_rng(0)
    src = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(4)]
    res = [np.full((48, 64, 3), 128, np.uint8) for _ in range(2)]
    _seq(tmp_path / "src", src)
    _seq(tmp_path / "res", res)  # the restored output holds frames 1:3 only
    out = tmp_path / "review"
    result = run_to_end(render_review(tmp_path / "src", tmp_path / "res", out, frame_range=(1, 3), preset="png",
                                      burn_in=True))
    assert len(result.frame_md5) == 2
    with open_reel(out) as reel:
        frames = [f.data for f in reel.frames()]
    assert frames[0].shape == (48, 128, 3)
    top, bottom = slice(20, 30), slice(34, 48)
    assert np.array_equal(frames[1][top, :64], src[2][top])   # before, untouched between the labels
    assert (frames[1][top, 64:] == 128).all()                 # after
    assert not np.array_equal(frames[1][bottom, :64], src[2][bottom])  # the burnt-in frame label
    with pytest.raises(OutputError, match="already exists"):
        run_to_end(render_review(tmp_path / "src", tmp_path / "res", out, frame_range=(1, 3), preset="png"))
    with pytest.raises(InputError, match="needs"):
        run_to_end(render_review(tmp_path / "src", tmp_path / "res", tmp_path / "r2", frame_range=(0, 4),
                                 preset="png"))
