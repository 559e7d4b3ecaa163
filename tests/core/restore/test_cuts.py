"""Scene cuts and splices (``cuts``) bound every temporal step of restore_frames: temporal fill
takes no source across a cut and deflicker does not level two shots into one."""

from __future__ import annotations

import json

import cv2
import numpy as np

from restoration_core.cli import main
from restoration_core.progress import run_to_end
from restoration_core.render.frames import FrameSteps, temporal_cuts
from restoration_core.restore import RestoreSettings, restore_frames
from restoration_core.restore.pipeline import shot_bounds
from tests.core.detect.scenes import ArrayReel, texture

H, W = 64, 96


def frames_of(task) -> dict:
    return {p.payload.index: p.payload for p in task if p.payload is not None}


def two_shots(n: int = 12, cut: int = 6, gain_b: float = 1.0) -> list[np.ndarray]:
    """A still picture; from ``cut`` on a grey card stands in the middle (and the light may change)."""
    base = texture(H, W, 4)
    out = []
    for k in range(n):
        img = base.copy()
        if k >= cut:
            img[24:40, 40:56] = 0.95
            img = img * gain_b
        out.append(np.repeat(np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8)[..., None], 3, axis=2))
    return out


def test_shot_bounds():
    assert shot_bounds(0, [], 10) == (0, 10)
    assert shot_bounds(5, [3, 7], 10) == (3, 7)
    assert shot_bounds(7, [3, 7], 10) == (7, 10)
    assert shot_bounds(2, [3, 7], 10) == (0, 3)


def test_temporal_fill_takes_no_source_across_a_cut():
    frames = two_shots()
    reel = ArrayReel(frames)
    mask = np.zeros((H, W), bool)
    mask[22:42, 38:58] = True  # the whole card on the first frame of the new shot
    mask_for = {6: mask}.get
    s = RestoreSettings(engine="temporal", radius=2, grow=0, feather=0)
    card = (slice(24, 40), slice(40, 56))
    # a painted (exact) mask: without the cut the previous frame, of the other shot, fills the card away
    across = frames_of(restore_frames(reel, (6, 7), mask_for, s, exact_for=mask_for))[6]
    assert [i.source_frames for i in across.interventions] == [(5,)]
    assert float(across.data[card].mean()) < 200
    kept = frames_of(restore_frames(reel, (6, 7), mask_for, s, exact_for=mask_for, cuts=[6]))[6]
    assert [(i.method, i.source_frames) for i in kept.interventions] == [("temporal", (7,))]
    assert float(kept.data[card].mean()) > 235  # the card (242) from the next frame of its shot
    # a detected mask: the two shots disagree (left as scanned) unless only the same shot is asked
    across = frames_of(restore_frames(reel, (6, 7), mask_for, s))[6]
    assert [i.method for i in across.interventions] == ["none"]
    kept = frames_of(restore_frames(reel, (6, 7), mask_for, s, cuts=[6]))[6]
    assert [(i.method, i.source_frames) for i in kept.interventions] == [("temporal", (7,))]


def test_deflicker_keeps_a_change_of_light_at_a_cut():
    frames = two_shots(gain_b=0.8)  # the second shot is darker: no flicker, a different shot
    reel = ArrayReel(frames)
    s = RestoreSettings(deflicker=True, deflicker_radius=3)
    levelled = frames_of(restore_frames(reel, None, lambda i: None, s))
    kept = frames_of(restore_frames(reel, None, lambda i: None, s, cuts=[6]))
    assert np.abs(levelled[6].data.astype(int) - frames[6]).max() > 4  # pulled towards the first shot
    for k in range(12):
        assert np.abs(kept[k].data.astype(int) - frames[k]).max() <= 1, k


def test_the_render_and_a_preview_find_the_same_cuts():
    base, other = texture(H, W, 4), texture(H, W, 11)
    frames = [np.repeat(np.clip((base if k < 7 else other) * 255 + 0.5, 0, 255).astype(np.uint8)[..., None], 3, 2)
              for k in range(16)]
    reel = ArrayReel(frames)
    s = RestoreSettings(engine="temporal", radius=2)
    whole = run_to_end(temporal_cuts(s, reel, (0, 16), FrameSteps()))
    near = run_to_end(temporal_cuts(s, reel, (8, 9), FrameSteps()))  # a preview of frame 8 reads 6..10
    assert whole == [7] and near == [7]
    assert run_to_end(temporal_cuts(s, reel, (12, 13), FrameSteps())) == []
    assert run_to_end(temporal_cuts(RestoreSettings(engine="classical"), reel, (0, 16), FrameSteps())) == []


def test_detection_scans_for_cuts_even_when_the_restore_does_not_use_time():
    base, other = texture(H, W, 4), texture(H, W, 11)
    frames = [np.repeat(np.clip((base if k < 7 else other) * 255 + 0.5, 0, 255).astype(np.uint8)[..., None], 3, 2)
              for k in range(16)]
    reel = ArrayReel(frames)
    classical = RestoreSettings(engine="classical")
    assert run_to_end(temporal_cuts(classical, reel, (0, 16), FrameSteps(), detect_reach=3)) == [7]
    assert run_to_end(temporal_cuts(classical, reel, (9, 10), FrameSteps(), detect_reach=3)) == [7]


def test_a_render_detects_a_speck_on_a_shots_last_frame_that_matches_the_next_shot(tmp_path):
    # shot A (frames 0..6) then shot B (7..13) with a white card where a white speck sits on frame
    # 6: compared with frame 7 the speck looks like the card; only within its shot (frames 5 and
    # 4) is it damage. Classical engine: the restore uses no time, the cut scan is for detection.
    folder = tmp_path / "scan"
    folder.mkdir()
    base, other = (np.clip(texture(H, W, s) * 255 + 0.5, 0, 255).astype(np.uint8) for s in (4, 11))
    other[22:42, 36:56] = 255
    for k in range(14):
        img = (base if k < 7 else other).copy()
        if k == 6:
            img[30:34, 44:48] = 255
        cv2.imwrite(str(folder / f"f_{k:04d}.png"), img)
    out = tmp_path / "out"
    assert main(["restore", str(folder / "f_%04d.png"), "-o", str(out), "--preset", "png",
                 "--engine", "classical"]) == 0
    report = json.loads((tmp_path / "out.report.json").read_text())
    on_six = [i for i in report["interventions"] if i["frame"] == 6]
    assert any(x <= 44 < x + w and y <= 30 < y + h for x, y, w, h in (i["bbox"] for i in on_six))
    assert not [i for i in report["interventions"] if i["frame"] >= 7]  # nothing on the card
