"""Recall of large and faint damage: candidates on still picture and the growth of confirmed regions."""

from __future__ import annotations

import cv2
import numpy as np

from restoration_core.detect import DetectSettings, detect_reel
from restoration_core.detect.dust import on_still_picture
from restoration_core.detect.regions import grow_confirmed, link_dropped
from tests.core.detect.scenes import ArrayReel, gray_rgb, make_scene, texture


def _disc(shape: tuple[int, int], cx: int, cy: int, r: int) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def test_a_confirmed_region_grows_into_what_departs_the_same_way_and_no_farther():
    shape = (64, 64)
    signed = np.zeros(shape, np.float32)
    blob = _disc(shape, 32, 32, 7)
    signed[blob] = 0.12  # the faint interior the seeds did not reach: 0.4 of the core's contrast
    core = _disc(shape, 32, 32, 3)
    signed[core] = 0.3
    signed[32, 40:50] = -0.3  # darker than both references beside it: not the same departure
    signed[4:10, 4:10] = 0.3  # the same departure, not connected to it
    faint = _disc(shape, 32, 32, 9) & ~blob
    signed[faint] = 0.05  # below a third of the core's contrast: the picture's own noise
    out = grow_confirmed(core, signed, floor=0.02)
    assert out[blob].all()
    assert not out[faint].any()
    assert not out[32, 40:50].any()
    assert not out[4:10, 4:10].any()
    # a floor above the rim's departure keeps the region as it was
    assert np.array_equal(grow_confirmed(core, signed, floor=0.2), core)


def test_the_growth_reach_is_bounded_by_the_region_size():
    shape = (40, 200)
    signed = np.zeros(shape, np.float32)
    signed[18:22, :] = 0.2  # a long faint line of the same departure
    seed = np.zeros(shape, bool)
    seed[18:22, 100:103] = True
    signed[seed] = 0.3
    out = grow_confirmed(seed, signed, floor=0.02)
    cols = np.nonzero(out.any(axis=0))[0]
    assert cols.min() >= 100 - 24 and cols.max() <= 102 + 24  # not along the whole line
    assert cols.max() - cols.min() > 3  # but grown along it
    # on or next to moving picture the pipeline grows by a few pixels only
    short = grow_confirmed(seed, signed, floor=0.02, reach=(3, 3))
    cols = np.nonzero(short.any(axis=0))[0]
    assert cols.min() == 100 - 3 and cols.max() == 102 + 3


def test_dropped_pieces_joined_to_a_confirmed_region_by_its_departure_rejoin_it():
    shape = (60, 200)
    signed = np.zeros(shape, np.float32)
    signed[28:32, 20:180] = 0.08  # a long faint lint: the same departure all along
    kept = np.zeros(shape, bool)
    kept[28:32, 20:40] = True  # the piece motion protection confirmed
    piece_a = np.zeros(shape, bool)
    piece_a[28:32, 48:70] = True  # dropped pieces, 8 px and then 10 px along the lint
    piece_b = np.zeros(shape, bool)
    piece_b[28:32, 80:100] = True
    piece_far = np.zeros(shape, bool)
    piece_far[28:32, 140:160] = True  # 40 px on: beyond the reach
    signed[28:32, 100:140] = 0.0  # ... and not joined by a departure either
    dark = np.zeros(shape, bool)
    dark[32:36, 30:40] = True  # dropped, touching it, but of the other polarity
    signed[dark] = -0.2
    alone = np.zeros(shape, bool)
    alone[5:9, 100:120] = True  # dropped, far from every confirmed region: stays dropped
    signed[alone] = 0.2
    for m in (piece_a, piece_b, piece_far):
        signed[m] = 0.2
    candidates = kept | piece_a | piece_b | piece_far | dark | alone
    out = link_dropped(candidates, kept, signed, floor=0.02)
    assert out[piece_a].all() and out[piece_b].all()  # a chain: b is reached from a
    assert not out[piece_far].any()
    assert not out[dark].any()
    assert not out[alone].any()
    assert not (out & ~candidates).any()  # pieces are admitted, nothing else is painted
    # without a departure between them the pieces stay dropped
    gap = signed.copy()
    gap[28:32, 40:48] = 0.0
    assert np.array_equal(link_dropped(candidates, kept, gap, floor=0.02), kept)
    # nothing confirmed: nothing is admitted
    assert not link_dropped(candidates, np.zeros(shape, bool), signed, floor=0.02).any()


def test_candidates_on_still_picture_are_told_from_those_on_a_moving_object():
    h, w = 120, 160
    bg = texture(h, w, 3)
    skin = texture(h, w + 40, 9) * 0.6 + 0.3
    rng = np.random.default_rng(0)
    frames = []
    for cx in (50, 62, 74):  # a textured disc (a hand) moving 12 px a frame over a still background
        img = bg.copy()
        disc = _disc((h, w), cx, 60, 16)
        img[disc] = np.roll(skin, cx - 50, axis=1)[:, :w][disc]
        frames.append((img + rng.normal(0, 0.004, img.shape)).astype(np.float32))
    cur = frames[1].copy()
    speck = _disc((h, w), 130, 30, 7)  # large enough to have bent the flow over itself
    cur[speck] = 0.02
    on_hand = np.zeros((h, w), bool)
    on_hand[54:64, 56:68] = True  # a candidate the wrong flow on the hand made
    zero = np.zeros((h, w, 2), np.float32)
    still = on_still_picture(cur, speck | on_hand, [(frames[0], zero), (frames[2], zero)])
    assert still[speck].all()
    assert not still[on_hand].any()
    # a small candidate is left to motion protection: its flow is not bent much
    small = _disc((h, w), 130, 90, 3)
    assert not on_still_picture(cur, small, [(frames[0], zero), (frames[2], zero)]).any()
    # a pan moves every reference: the frame's overall motion is taken out
    pan = np.zeros((h, w, 2), np.float32)
    pan[..., 0] = 4.0
    shifted = cv2.warpAffine(frames[0], np.float32([[1, 0, 4], [0, 1, 0]]), (w, h), borderMode=cv2.BORDER_REFLECT)
    assert on_still_picture(cur, speck, [(shifted, pan), (shifted, pan)])[speck].all()
    assert not on_still_picture(cur, speck, [(shifted, zero), (shifted, zero)])[speck].any()


def test_a_large_lint_on_a_still_picture_is_found_whole():
    # A thick bright fibre bends the flow over it and for pixels around it: the picture under
    # it looks like it moves, and motion protection used to question it and drop parts of it
    # (0.885 of it was found before candidates on still picture were told apart and grown).
    w, h = 320, 240
    scene = make_scene(n=7, size=(w, h), specks=0, line=False, seed=5)
    frames = [f.copy() for f in scene.frames]
    alpha = np.zeros((h, w), np.float32)
    cv2.ellipse(alpha, (w // 2 + 30, 40), (w // 4, int(h * 0.55)), 0, 95, 250, 1.0, 14, cv2.LINE_AA)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 1.5)
    luma = frames[3][..., 0].astype(np.float32) / 255.0
    frames[3] = gray_rgb(luma * (1 - 0.7 * alpha) + 0.95 * 0.7 * alpha)
    det = list(detect_reel(ArrayReel(frames), DetectSettings(flicker=False)))[3].payload
    assert det.mask[alpha > 0.3].mean() > 0.95
    near = cv2.dilate((alpha > 0.02).astype(np.uint8), np.ones((17, 17), np.uint8)) > 0
    assert not (det.mask & ~near).any()
