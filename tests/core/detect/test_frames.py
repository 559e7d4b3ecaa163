"""Frame-level defects: black, blank, duplicate, torn frames and splices on generated clips."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration_core.cli import main
from restoration_core.detect.frames import FrameSettings, cut_indices, scan_frames
from restoration_core.errors import Cancelled, InputError
from restoration_core.progress import CancelToken, run_to_end
from tests.core.detect.scenes import ArrayReel, texture
from tests.core.fixtures_media import make_png_sequence


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
