"""Masks drawn on the source frames follow the stabilization: painted masks are warped with the
frame, and the render's detection runs on the stabilized frames."""

from __future__ import annotations

import json

import cv2
import numpy as np

from restoration_core.cli import main
from restoration_core.defects import Defect
from restoration_core.media import open_reel
from restoration_core.motion import similarity, warp_mask
from restoration_core.render.masks import ClipMasks
from tests.core.motion.test_stabilize import jitter_track, woven

DIRT = (slice(40, 47), slice(60, 67))  # a white speck on source frame 6


def test_warp_mask_moves_with_the_correction_and_keeps_every_damaged_pixel():
    mask = np.zeros((48, 64), bool)
    mask[20:24, 30:34] = True
    moved = warp_mask(mask, similarity(2.0, -1.0))  # output(p) = source(p + (2, -1))
    assert moved[21:25, 28:32].all() and moved.sum() == 16
    half = warp_mask(mask, similarity(0.5, 0.0))  # between pixels: both neighbours marked
    assert half[20:24, 29:34].all() and not half[:, 34:].any() and not half[:, :29].any()
    masks = ClipMasks((48, 64), (0, 4), to_output=lambda i, m: warp_mask(m, similarity(2.0, -1.0)))
    assert masks._moved(1, mask).sum() == 16 and masks._moved(1, None) is None


def _clip(folder):
    frames = woven(10, jitter_track(10, 5))
    folder.mkdir()
    masks = folder.parent / "masks"
    masks.mkdir()
    for k, f in enumerate(frames):
        if k == 6:
            f = f.copy()
            f[DIRT] = 255
            m = np.zeros(f.shape[:2], np.uint8)
            m[DIRT] = 255
            cv2.imwrite(str(masks / f"{k:06d}.png"), m)
        cv2.imwrite(str(folder / f"frame_{k:06d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return str(folder / "frame_%06d.png"), str(masks)


def _frame(path, index):
    reel = open_reel(path)
    try:
        return reel.read(index).data
    finally:
        reel.close()


def test_a_painted_mask_is_warped_with_the_stabilized_frame(tmp_path):
    source, masks = _clip(tmp_path / "src")
    out = tmp_path / "out"
    assert main(["restore", source, "-o", str(out), "--preset", "png", "--no-detect", "--masks", masks,
                 "--engine", "temporal", "--stabilize", "--stabilize-smooth", "6"]) == 0
    report = json.loads((tmp_path / "out.report.json").read_text())
    corr = next(f for f in report["extra"]["stabilization"]["frames"] if f["frame"] == 6)
    assert max(abs(corr["dx"]), abs(corr["dy"])) > 1.0  # the speck moved by more than a pixel
    got = _frame(out, 6).astype(np.float64) / 65535.0
    # the speck, wherever the correction put it, was repaired: nothing near white is left
    assert float(got[30:57, 50:77].max()) < 0.93
    repaired = [i for i in report["interventions"] if i["frame"] == 6 and i["kind"] == "painted"]
    assert repaired and repaired[0]["bbox"] != [60, 40, 7, 7]  # in the stabilized frame's place


def test_detection_runs_on_the_stabilized_frames(tmp_path):
    source, _ = _clip(tmp_path / "src")
    out = tmp_path / "out"
    assert main(["restore", source, "-o", str(out), "--preset", "png", "--engine", "temporal",
                 "--stabilize", "--stabilize-smooth", "6"]) == 0
    report = json.loads((tmp_path / "out.report.json").read_text())
    # the weave is not taken for damage (every frame moves by pixels): only the speck is found
    found = [i for i in report["interventions"] if i["kind"] not in ("stabilize", "rebuild")]
    assert found and {i["frame"] for i in found} == {6}
    got = _frame(out, 6).astype(np.float64) / 65535.0
    assert float(got[30:57, 50:77].max()) < 0.93


def test_the_projects_defect_boxes_follow_the_stabilization_in_the_provenance():
    class Project:  # the two layers ClipMasks reads: a detected speck and its defect box
        def __init__(self):
            self.masks = self

        def get(self, reel, index, layer):
            if layer != "detected":
                return None
            m = np.zeros((48, 64), bool)
            m[20:24, 30:34] = True
            return m

        def repair_mask(self, reel, index, shape):
            return self.get(reel, index, "detected")

        def defects(self, reel, index):
            return [Defect(frame=index, bbox=(30, 20, 4, 4), area=16, kind="dust", polarity="dark", score=1.0, id=1)]

        def rejected(self, reel, index):
            return set()

    moved = ClipMasks((48, 64), (0, 4), Project(), "r", to_output=lambda i, m: warp_mask(m, similarity(2.0, -1.0)))
    codes = moved.provenance(1)
    assert moved.mask(1)[21:25, 28:32].all()
    assert (codes[21:25, 28:32] > 0).all() and (codes > 0).sum() == moved.mask(1).sum()
