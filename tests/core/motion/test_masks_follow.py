"""Masks drawn on the source frames follow the stabilization: painted masks are warped with the
frame, and the render's detection runs on the stabilized frames."""

from __future__ import annotations

import json

import cv2
import numpy as np

from restoration_core.cli import main
from restoration_core.defects import Defect
from restoration_core.media import open_reel
from restoration_core.motion import resample, similarity, warp_mask
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


def _card(h: int, w: int, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """A bright card (x0, y0, x1, y1 in pixel coordinates, edges anti-aliased by area) on grey,
    and the mask painted on it: the pixels whose centre lies on the card (exactly the card when
    its edges lie between pixels)."""
    x0, y0, x1, y1 = box
    xs, ys = np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64)
    cover_x = np.clip(np.minimum(xs + 0.5, x1) - np.maximum(xs - 0.5, x0), 0, 1)
    cover_y = np.clip(np.minimum(ys + 0.5, y1) - np.maximum(ys - 0.5, y0), 0, 1)
    card = cover_y[:, None] * cover_x[None, :]
    picture = np.clip((0.25 + 0.5 * card) * 65535.0 + 0.5, 0, 65535).astype(np.uint16)
    inside = ((xs >= x0) & (xs < x1))[None, :] & ((ys >= y0) & (ys < y1))[:, None]
    return picture, inside


def _crossings(line: np.ndarray, level: float) -> tuple[float, float]:
    """Sub-pixel positions where ``line`` first rises through ``level`` and last falls through it."""
    above = np.nonzero(line >= level)[0]
    i, j = int(above[0]), int(above[-1])
    rise = i - 1 + (level - line[i - 1]) / (line[i] - line[i - 1])
    fall = j + (line[j] - level) / (line[j] - line[j + 1])
    return float(rise), float(fall)


def test_a_mask_on_an_edge_follows_the_edge_to_half_a_pixel():
    picture, mask = _card(96, 128, (40.5, 30.5, 88.5, 70.5))  # painted pixel for pixel
    warp = similarity(1.37, -0.61, 0.25, 1.0)  # sub-pixel shift and a quarter degree, as weave gives
    out, _ = resample(picture, warp)
    moved = warp_mask(mask, warp)
    level = 0.5 * 65535.0
    worst = 0.0
    for y in range(36, 66):  # the card's left and right edges, row by row
        rise, fall = _crossings(out[y], level)
        cols = np.nonzero(moved[y])[0]
        worst = max(worst, abs((cols[0] - 0.5) - rise), abs((cols[-1] + 0.5) - fall))
    for x in range(46, 84):  # its top and bottom edges, column by column
        rise, fall = _crossings(out[:, x], level)
        rows = np.nonzero(moved[:, x])[0]
        worst = max(worst, abs((rows[0] - 0.5) - rise), abs((rows[-1] + 0.5) - fall))
    assert worst <= 0.5, worst
    # the mask moved with the picture: as many pixels as before, within the edges' rounding
    assert abs(int(moved.sum()) - int(mask.sum())) <= 2 * (48 + 40)


def test_a_one_pixel_mark_or_line_never_vanishes_under_a_sub_pixel_warp():
    for dx, dy, angle in ((0.3, 0.0, 0.0), (0.5, 0.5, 0.0), (0.71, -0.29, 0.2), (0.02, 0.98, -0.1)):
        dot = np.zeros((48, 64), bool)
        dot[24, 32] = True
        assert warp_mask(dot, similarity(dx, dy, angle)).any()
        line = np.zeros((48, 64), bool)
        line[8:40, 20] = True  # a painted one-pixel scratch
        moved = warp_mask(line, similarity(dx, dy, angle))
        assert moved[12:36].any(1).all()  # every row of it is still marked


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
