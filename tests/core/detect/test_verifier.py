"""The learned candidate verifier: its stumps, the shipped model, and what it must not do."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration_core.detect import DetectSettings, detect_reel, motion, verify
from tests.core.detect.scenes import ArrayReel, gray_rgb, texture


def _detect(frames, **kw):
    return [p.payload for p in detect_reel(ArrayReel(frames), DetectSettings(**kw))]


def test_the_score_is_a_logistic_regression_and_the_threshold_moves_with_the_protection():
    v = verify.Verifier.from_dict({
        "features": ["a", "b"], "mean": [1.0, 0.0], "scale": [2.0, 1.0], "weights": [2.0, -1.0],
        "bias": 0.5, "threshold": 1.0,
    })
    x = np.array([[1.0, 0.0], [5.0, 1.0], [3.0, 0.5]])
    assert np.allclose(v.score(x), [0.5, 3.5, 2.0])
    assert v.accepts(x, 0.5).tolist() == [False, True, True]
    # a stronger protection asks for more evidence, a weaker one for less
    assert v.accepts(x, 1.0).tolist() == [False, True, False]
    assert v.accepts(x, 0.0).tolist() == [True, True, True]
    assert verify.Verifier.from_dict(v.to_dict()).to_dict() == v.to_dict()
    assert v.columns(("b", "c", "a")).tolist() == [2, 0]
    with pytest.raises(ValueError, match="features"):
        v.score(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="not measured"):
        v.columns(("a", "c"))


def test_a_hidden_layer_is_a_tanh_layer_before_the_logistic_one():
    hidden = [[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]]
    v = verify.Verifier.from_dict({
        "features": ["a", "b"], "mean": [1.0, 0.0], "scale": [2.0, 1.0], "hidden": hidden,
        "hidden_bias": [0.0, 0.1, -0.2], "weights": [1.0, -2.0, 0.5], "bias": 0.3, "threshold": 0.0,
    })
    x = np.array([[1.0, 0.0], [5.0, 1.0], [-3.0, 0.5]])
    u = (x - [1.0, 0.0]) / [2.0, 1.0]
    want = 0.3 + np.tanh(u @ np.array(hidden).T + [0.0, 0.1, -0.2]) @ [1.0, -2.0, 0.5]
    assert np.allclose(v.score(x), want)
    assert verify.Verifier.from_dict(v.to_dict()).to_dict() == v.to_dict()
    with pytest.raises(ValueError, match="hidden"):
        verify.Verifier.from_dict({**v.to_dict(), "weights": [1.0, 2.0]})
    with pytest.raises(ValueError, match="hidden"):
        verify.Verifier.from_dict({**v.to_dict(), "hidden_bias": [0.0]})


def test_displaced_fit_tells_a_moved_patch_from_a_speck_of_one_frame():
    h, w = 96, 128
    bg = texture(h, w, seed=2)
    cur = bg.copy()
    cur[40:48, 60:68] = 0.9  # a bright patch of the picture ...
    moved = [bg.copy(), bg.copy()]
    moved[0][40:48, 53:61] = 0.9  # ... 7 px to the left in the previous frame
    moved[1][40:48, 67:75] = 0.9  # and 7 px to the right in the next (the flow saw none of it)
    still = np.zeros((h, w, 2), np.float32)
    region = np.ones((8, 8), bool)
    nbs = [motion.Neighbour(-1, moved[0], still), motion.Neighbour(1, moved[1], still)]
    assert motion.displaced_fit(cur, region, (60, 40, 68, 48), nbs, 12) < 0.3
    # a speck that no neighbour shows anywhere is found no better displaced than in place
    specks = [motion.Neighbour(-1, bg, still), motion.Neighbour(1, bg, still)]
    assert motion.displaced_fit(cur, region, (60, 40, 68, 48), specks, 12) > 0.6
    # seen on one side only (a look-alike of one frame) is not seen on both
    once = [motion.Neighbour(-1, moved[0], still), motion.Neighbour(1, bg, still)]
    assert motion.displaced_fit(cur, region, (60, 40, 68, 48), once, 12) > 0.6


def test_the_shipped_verifier_weighs_the_features_motion_protection_measures():
    v = verify.load()
    assert v is not None, "restoration_core/resources/detect/verifier.json is missing"
    assert set(v.features) <= set(motion.FEATURES) and "rules" not in v.features
    assert np.isfinite(v.threshold) and np.all(np.isfinite(v.weights)) and np.all(v.scale > 0)
    data = json.loads(verify.default_path().read_text(encoding="utf-8"))
    assert "trained_on" in data and "again" in data["trained_on"]


def test_candidate_features_are_finite_and_in_order():
    h, w = 96, 128
    bg = texture(h, w, seed=4)
    cur = bg.copy()
    cur[40:46, 60:66] = 0.02  # a dark speck
    signed = np.zeros((h, w), np.float32)
    signed[40:46, 60:66] = cur[40:46, 60:66] - bg[40:46, 60:66]
    z = np.abs(signed) / 0.01
    nbs = [motion.Neighbour(o, bg, np.full((h, w, 2), 3.0 * o, np.float32)) for o in (-2, -1, 1, 2)]
    rel = np.full((h, w), 3.0, np.float32)
    moving = np.ones((h, w), bool)
    region = np.ones((6, 6), bool)
    f = motion.candidate_features(cur, signed, z, 5.0, region, (60, 40, 66, 46), nbs, rel, moving, 18, 24, None)
    assert f.shape == (len(motion.FEATURES),)
    named = dict(zip(motion.FEATURES, f, strict=True))
    assert np.isnan(named.pop("rules"))
    # the outline's continuation of picture edges is measured only with the flows to frames +-1
    assert all(np.isnan(named.pop(k)) for k in ("follow", "follow_max", "follow_2"))
    assert np.all(np.isfinite(list(named.values())))
    assert named["polarity"] == -1.0 and named["attached"] == 0.0 and named["moving_share"] == 1.0
    assert named["log_peak"] == pytest.approx(np.log(float(z.max()) / 5.0))
    # the neighbours show nothing as dark anywhere near: its values are not explained
    assert named["value_1"] == 0.0
    # nor anywhere displaced
    assert named["displaced"] > 0.6
    # measured only when asked (the shipped verifier may not weigh it)
    g = motion.candidate_features(cur, signed, z, 5.0, region, (60, 40, 66, 46), nbs, rel, moving, 18, 24, None,
                                  displaced=False)
    assert np.isnan(g[motion.FEATURES.index("displaced")])


def _specked_hand(value: float, speck: float, speed: float = 6.0, n: int = 7):
    """A still textured background and a "hand" (a disc of ``value``) crossing it at ``speed``
    px a frame, with a small speck of the other polarity on it (film damage over moving
    picture), a new place on the hand every frame."""
    h, w = 150, 200
    rng = np.random.default_rng(5)
    bg = texture(h, w, 5)
    frames, masks = [], []
    for t in range(n):
        img = bg.copy()
        cx, cy = 50 + speed * t, 75 + 2.0 * np.sin(t)
        cv2.circle(img, (round(cx * 4), round(cy * 4)), 22 * 4, value, -1, cv2.LINE_AA, shift=2)
        m = np.zeros((h, w), np.uint8)
        cv2.circle(m, (round(cx) + (-6, 5, -3, 7, 0, -8, 4)[t % 7], round(cy) + (4, -5, 7, 0, -7, 2, -2)[t % 7]), 2, 1, -1)
        img[m > 0] = speck
        frames.append(gray_rgb(img + rng.normal(0, 0.006, img.shape)))
        masks.append(m > 0)
    return frames, masks


@pytest.mark.parametrize(("value", "speck"), [(0.85, 0.05), (0.15, 0.95)], ids=["dark-on-bright", "bright-on-dark"])
def test_a_speck_on_a_moving_hand_is_still_found_and_the_hand_is_not(value, speck):
    frames, masks = _specked_hand(value, speck)
    dets = _detect(frames, scratches=False)  # dust and dirt only
    found = [bool((d.mask & m).any()) for d, m in zip(dets, masks, strict=True)]
    # the ends have one side; motion protection's rules alone find none of these specks
    assert sum(found[1:-1]) >= 4, f"specks on the hand found per frame: {found}"
    for d, m in zip(dets, masks, strict=True):
        grown = cv2.dilate(m.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        assert not (d.mask & ~grown).any(), f"frame {d.index}: picture flagged beside the speck"
    # and without the specks nothing at all
    clean, _ = _specked_hand(value, value)
    assert not any(d.mask.any() for d in _detect(clean, scratches=False))



def test_edge_continuation_tells_an_outline_of_its_own_from_one_the_neighbours_show():
    h, w = 60, 80
    flat = np.full((h, w), 0.6, np.float32)
    zero = np.zeros((h, w, 2), np.float32)
    box = (30, 20, 36, 40)  # a 6 x 20 px candidate
    region = np.ones((20, 6), bool)
    # a speck: dark here, the neighbours flat there (its outline is its own edge)
    cur = flat.copy()
    cur[20:40, 30:36] = 0.1
    nbs = [motion.Neighbour(o, flat, zero) for o in (-1, 1)]
    speck = motion.edge_continuation(cur, region, box, nbs, [zero, zero])
    assert len(speck) == 2 and max(speck) < 0.05
    # the same dark patch where the neighbours show a dark band one pixel wider (picture that
    # moved by a pixel): its outline is the band's edges
    band = flat.copy()
    band[19:41, 29:37] = 0.1
    nbs = [motion.Neighbour(o, band, zero) for o in (-1, 1)]
    moved = motion.edge_continuation(cur, region, box, nbs, [zero, zero], radius=1)
    assert min(moved) > 0.8
    # only frames +-1 are asked
    assert motion.edge_continuation(cur, region, box, [motion.Neighbour(2, band, zero)], [zero]) == []


def test_edge_continuation_at_two_radii_from_one_warp_equals_each_alone():
    rng = np.random.default_rng(3)
    h, w = 60, 80
    for _ in range(20):
        cur = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 1.5)
        flows = [rng.normal(0, 1.5, (h, w, 2)).astype(np.float32) for _ in range(2)]
        nbs = [motion.Neighbour(o, 0.5 * cur + 0.5 * cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 1.5), f)
               for o, f in zip((-1, 1), flows, strict=True)]
        x0, y0 = int(rng.integers(0, w - 8)), int(rng.integers(0, h - 8))
        box = (x0, y0, x0 + int(rng.integers(2, 8)), y0 + int(rng.integers(2, 8)))
        region = rng.random((box[3] - box[1], box[2] - box[0])) < 0.8
        one, two = motion._edge_continuations(cur, region, box, nbs, flows, (1, 2))
        assert np.allclose(one, motion.edge_continuation(cur, region, box, nbs, flows, 1), atol=1e-6)
        assert np.allclose(two, motion.edge_continuation(cur, region, box, nbs, flows, 2), atol=1e-6)
        assert all(a <= b + 1e-6 for a, b in zip(one, two, strict=True))  # a wider search finds at least as much
