"""The generated sample reel: readable with PyAV, lossless, masks exactly where the damage is."""

from __future__ import annotations

import json

import av
import cv2
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.errors import OutputError
from restoration_core.paths import data_dir
from restoration_core.sample import make_sample_reel, render_sample

SIZE = (96, 64)


def test_sample_reel_is_readable_and_its_masks_match_the_damage(tmp_path):
    reel = make_sample_reel(tmp_path / "out", frames=6, size=SIZE, seed=3)
    assert reel == tmp_path / "out" / "sample.mkv"
    with av.open(str(reel)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == 24 and stream.codec_context.name == "ffv1"
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    expected = list(render_sample(frames=6, size=SIZE, seed=3))
    assert len(decoded) == 6
    description = json.loads((tmp_path / "out" / "sample.json").read_text())
    assert (description["frames"], description["width"], description["height"]) == (6, 96, 64)
    for index, (frame, (damaged, clean, mask, _facts)) in enumerate(zip(decoded, expected, strict=True)):
        np.testing.assert_array_equal(frame, damaged)  # lossless
        png = cv2.imread(str(tmp_path / "out" / "masks" / f"{index:06d}.png"), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(png == 255, mask)
        assert mask.any()
        diff = np.abs(frame.astype(int) - clean.astype(int)).max(axis=2)
        assert (diff[~mask] == 0).all()  # the masks cover every damaged pixel ...
        assert (diff[mask] > 0).all()  # ... and only damaged pixels
        assert diff[mask].mean() > 40


def test_sample_has_moving_content_flicker_and_a_drifting_scratch():
    frames = list(render_sample(frames=12, size=SIZE, seed=0))
    gains = [f[3]["flicker_gain"] for f in frames]
    xs = [f[3]["scratch_x"] for f in frames]
    assert max(gains) - min(gains) > 0.05
    assert 0 < abs(xs[-1] - xs[0]) < 20
    clean0, clean5 = frames[0][1].astype(int), frames[5][1].astype(int)
    assert np.abs(clean0 - clean5).mean() > 5  # content moves
    masks = [f[2] for f in frames]
    assert not np.array_equal(masks[1], masks[2])  # new dust every frame


def test_sample_is_cached_and_deterministic(tmp_path):
    first = make_sample_reel(frames=3, size=SIZE, seed=1)
    assert first.parent.parent == data_dir() / "samples"
    mtime = first.stat().st_mtime_ns
    again = make_sample_reel(frames=3, size=SIZE, seed=1)
    assert again == first and again.stat().st_mtime_ns == mtime
    other = make_sample_reel(frames=3, size=SIZE, seed=2)
    assert other != first and other.read_bytes() != first.read_bytes()


def test_sample_cli(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "s"), "--frames", "2", "--size", "48x32"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "s" / "sample.mkv")
    assert sorted(p.name for p in (tmp_path / "s" / "masks").iterdir()) == ["000000.png", "000001.png"]
    assert main(["sample", str(tmp_path / "t"), "--size", "8x8"]) == 2
    assert "16x16" in capsys.readouterr().err


def test_sample_into_an_unwritable_place(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        make_sample_reel(blocker / "out", frames=2, size=SIZE)
