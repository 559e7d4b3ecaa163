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
