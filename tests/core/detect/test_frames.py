"""Frame-level defects: black, blank, duplicate, torn frames and splices on generated clips."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.detect.frames import LONGEST_REBUILD, FrameSettings, cut_indices, scan_frames
from restoration_core.detect.pipeline import detect_frame, detect_reel
from restoration_core.detect.settings import DetectSettings
from restoration_core.errors import Cancelled, InputError
from restoration_core.progress import CancelToken, run_to_end
from restoration_core.restore.rebuild import MAX_RUN
from tests.core.detect.scenes import ArrayReel, texture
from tests.core.fixtures_media import make_png_sequence
from tests.core.motion.test_render_steps import frames_of


def clip(n: int = 10, seed: int = 0, pan: int = 2) -> list[np.ndarray]:
    big = texture(120, 160 + pan * n, seed)
    return [np.repeat((big[:, k * pan: k * pan + 160, None] * 255).astype(np.uint8), 3, axis=2) for k in range(n)]


def kinds(scan) -> dict[int, str]:
    return {d.frame: d.kind for d in scan.defects}


def test_clean_clip_has_no_findings():
    assert run_to_end(scan_frames(ArrayReel(clip()))).defects == []


def test_black_blank_duplicate_and_torn_frames_are_rebuild_candidates():
    frames = clip(12)
    frames[2] = np.full_like(frames[2], 3)  # black
    frames[5] = np.full_like(frames[5], 200)  # blank (clear leader)
    frames[8] = frames[7].copy()  # duplicate
    torn = frames[10].copy()
    torn[20:80, 40:110] = 250  # a burnt hole: 22% of the frame
    frames[10] = torn
    scan = run_to_end(scan_frames(ArrayReel(frames)))
    assert kinds(scan) == {2: "black", 5: "blank", 8: "duplicate", 10: "torn"}
    assert scan.rebuild_candidates() == [2, 5, 8, 10]
    x, y, w, h = next(d.bbox for d in scan.defects if d.kind == "torn")
    assert abs(x - 40) <= 4 and abs(y - 20) <= 4 and abs(w - 70) <= 8 and abs(h - 60) <= 8
    assert 10 in scan.torn_masks and scan.to_dict()["rebuild_candidates"] == [2, 5, 8, 10]


def test_detection_leaves_black_and_blank_frames_to_the_rebuild_candidates():
    """A black or blank frame is a frame-level defect: the scan lists it for rebuilding, and
    detection gives it no region (it marked 88% of a black frame as one blotch, which the
    restore then painted) and a flicker gain of 1; the frames beside it are detected as usual."""
    frames = clip(12)
    frames[4] = np.full_like(frames[4], 3)  # black
    frames[8] = np.full_like(frames[8], 200)  # blank
    frames[6] = frames[6].copy()
    frames[6][50:56, 70:76] = 255  # a white speck on a frame beside them
    reel = ArrayReel(frames)
    assert run_to_end(scan_frames(reel)).rebuild_candidates() == [4, 8]
    found = {p.frame: p.payload for p in detect_reel(reel, DetectSettings(flicker=True))}
    for k in (4, 8):
        assert not found[k].mask.any() and found[k].defects == [] and found[k].flicker == (1.0, 0.0), k
        assert not detect_frame(reel, k).mask.any(), k
    assert found[6].mask[50:56, 70:76].mean() > 0.5 and found[5].flicker is not None


def test_a_dark_shot_is_picture_not_a_run_of_missing_frames():
    """More than LONGEST_REBUILD black frames in a row (a night shot, a fade, leader) are no
    rebuild candidates (the scan lists them as one run) and detection searches them for dust: a
    white speck on the dark shot is found. Three black frames in a row stay candidates."""
    assert LONGEST_REBUILD == MAX_RUN
    frames = clip(16)
    for k in range(2, 9):  # a dark shot: the picture at about 4% of full scale, under black_level
        frames[k] = (frames[k].astype(np.float32) * 0.04).astype(np.uint8)
    frames[5] = frames[5].copy()
    frames[5][50:56, 70:76] = 255
    for k in (11, 12, 13):
        frames[k] = np.full_like(frames[k], 2)
    reel = ArrayReel(frames)
    scan = run_to_end(scan_frames(reel))
    assert scan.runs == [(2, 9, "black")] and scan.rebuild_candidates() == [11, 12, 13]
    assert scan.to_dict()["runs"][0]["frames"] == [2, 9]
    part = scan.within(4, 12)
    assert (part.start, part.count, part.runs, part.rebuild_candidates()) == (4, 8, [(4, 9, "black")], [11])
    found = {p.frame: p.payload for p in detect_reel(reel, DetectSettings())}
    assert found[5].mask[50:56, 70:76].mean() > 0.5
    assert detect_frame(reel, 5).mask[50:56, 70:76].mean() > 0.5
    for k in (3, 4, 6, 7, 12):
        assert not found[k].mask.any(), k


def test_a_black_frame_comes_out_of_a_restore_as_read(tmp_path):
    files = make_png_sequence(tmp_path / "src", frames=8, size=(96, 64))
    cv2.imwrite(str(files[3]), np.zeros((64, 96, 3), np.uint16))
    source = str(tmp_path / "src" / "frame_%06d.png")
    assert main(["restore", source, "-o", str(tmp_path / "out"), "--preset", "png"]) == 0
    report = json.loads((tmp_path / "out.report.json").read_text())
    assert [i for i in report["interventions"] if i["frame"] == 3] == []
    # the render's one frame scan (made for its cuts) lists the black frame for rebuilding
    assert report["extra"]["frame_defects"]["rebuild_candidates"] == [3]
    assert np.array_equal(frames_of(tmp_path / "out")[3], frames_of(source)[3])


def test_a_splice_is_a_cut_with_its_bar_noted():
    frames = clip(6, seed=0) + clip(6, seed=5)
    frames[6] = frames[6].copy()
    frames[6][:6] = 255  # splice tape at the frame line
    scan = run_to_end(scan_frames(ArrayReel(frames), (0, 12)))
    assert scan.cuts() == [6]
    assert "bar at the top" in next(d.detail for d in scan.defects if d.kind == "splice")
    assert cut_indices(frames[3:], start=3) == [6]


def test_bad_range_settings_and_cancel():
    reel = ArrayReel(clip(4))
    with pytest.raises(InputError):
        run_to_end(scan_frames(reel, (2, 8)))
    with pytest.raises(InputError):
        FrameSettings(torn_area=2.0)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_to_end(scan_frames(reel, cancel=token))


def test_detect_cli_report_lists_rebuild_candidates(tmp_path):
    files = make_png_sequence(tmp_path / "src", frames=6, size=(96, 64), bits=8)
    cv2.imwrite(str(files[3]), np.zeros((64, 96, 3), np.uint8))
    report = tmp_path / "d.json"
    assert main(["detect", str(tmp_path / "src" / "frame_%06d.png"), "--masks-out", str(tmp_path / "m"),
                 "--report", str(report)]) == 0
    fd = json.loads(report.read_text())["frame_defects"]
    assert fd["rebuild_candidates"] == [3] and fd["defects"][0]["kind"] == "black"


def test_the_frame_after_a_burnt_one_is_no_splice_and_a_mottled_burn_is_found_whole():
    """A bright burn in a flat, low-contrast scene drops the thumbnails' correlation so far that
    the next frame once looked like a cut (the burnt frame then went unrepaired); and a burn's
    mottled parts, under the full threshold, belong to its area (hysteresis)."""
    rng = np.random.default_rng(3)
    flat = [np.clip(0.45 + 0.1 * clip(12)[k][..., :1] / 255.0, 0, 1) for k in range(12)]
    frames = [np.repeat((f * 255).astype(np.uint8), 3, axis=2) for f in flat]
    burnt = frames[5].astype(np.float32)
    yy, xx = np.mgrid[0:120, 0:160]
    blob = (yy - 60) ** 2 / 30 ** 2 + (xx - 80) ** 2 / 40 ** 2 < 1   # 20% of the frame
    mottle = cv2.GaussianBlur(rng.standard_normal((120, 160)).astype(np.float32), (0, 0), 3)
    level = np.where(mottle > 0, 250, 175)   # half of it only ~60 levels above the picture
    burnt[blob] = level[blob, None]
    frames[5] = burnt.astype(np.uint8)
    scan = run_to_end(scan_frames(ArrayReel(frames)))
    assert kinds(scan) == {5: "torn"} and scan.cuts() == []
    mask = cv2.resize(scan.torn_masks[5].astype(np.uint8), (160, 120), interpolation=cv2.INTER_NEAREST).astype(bool)
    assert (mask & blob).sum() > 0.9 * blob.sum()
