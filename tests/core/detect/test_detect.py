from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.detect import DetectSettings, FrameDetection, detect_frame, detect_reel
from restoration_core.detect.pipeline import shot_of
from restoration_core.errors import Cancelled, InputError
from restoration_core.progress import CancelToken
from tests.core.detect.scenes import ArrayReel, make_scene


def _run(reel, settings=None, **kw) -> list[FrameDetection]:
    out = []
    for p in detect_reel(reel, settings or DetectSettings(), **kw):
        assert p.stage == "detect" and p.frame == p.payload.index
        out.append(p.payload)
    return out


def _check_frame(det: FrameDetection, specks: np.ndarray, line_x: float | None, away_from=None) -> None:
    n, labels = cv2.connectedComponents(specks.astype(np.uint8), connectivity=8)
    found = set(np.unique(labels[det.mask & specks])) - {0}
    assert len(found) == n - 1, f"frame {det.index}: found {len(found)} of {n - 1} specks"
    allowed = cv2.dilate(specks.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    if line_x is not None:
        allowed[:, max(0, int(line_x) - 4) : int(line_x) + 5] = True
        column = det.mask[:, int(round(line_x))]
        assert column.mean() > 0.9, f"frame {det.index}: scratch covers {column.mean():.2f} of its column"
        assert any(d.kind == "scratch" for d in det.defects)
    stray = det.mask & ~allowed
    assert stray.sum() <= 5, f"frame {det.index}: {stray.sum()} px flagged away from the damage"


def test_static_scene_finds_specks_and_the_drifting_line():
    scene = make_scene(n=7, pan=0.0, seed=1)
    dets = _run(scene.reel())
    assert [d.index for d in dets] == list(range(7))
    for det, specks, lx in zip(dets, scene.specks, scene.line_x, strict=True):
        _check_frame(det, specks, lx)
        assert det.mask.shape == (120, 160) and det.mask.dtype == bool
        spots = [d for d in det.defects if d.kind != "scratch"]
        assert spots and all(d.polarity in ("dark", "bright") for d in spots)
        assert all(d.frame == det.index and 0 <= d.score <= 1 for d in det.defects)


@pytest.mark.parametrize("pan, disc", [(2.5, 4.0), (-3.0, 5.0)])
def test_panning_scene_with_a_moving_object_flags_only_damage(pan, disc):
    scene = make_scene(n=7, pan=pan, disc_speed=disc, seed=2)
    dets = _run(scene.reel())
    for det, specks, lx in zip(dets[1:-1], scene.specks[1:-1], scene.line_x[1:-1], strict=True):
        _check_frame(det, specks, lx)
    # the disc's outline moves with the picture: not a scratch, not dust
    for det, (cx, cy) in zip(dets, scene.disc, strict=True):
        ring = np.zeros(det.mask.shape, np.uint8)
        cv2.circle(ring, (round(cx), round(cy)), 18, 1, 3)
        specks = cv2.dilate(scene.specks[det.index].astype(np.uint8), np.ones((7, 7), np.uint8))
        assert (det.mask & (ring > 0) & (specks == 0)).sum() <= 3


def test_scene_lines_moving_with_the_picture_are_not_scratches():
    scene = make_scene(n=6, pan=3.0, specks=0, line=False, seed=3)
    frames = []
    for t, f in enumerate(scene.frames):
        f = f.copy()
        x = 60 - 3 * t  # a thin pole travelling with the pan (the picture moves left)
        f[:, x : x + 2] = 250
        frames.append(f)
    for det in _run(ArrayReel(frames), DetectSettings(flicker=False)):
        assert not any(d.kind == "scratch" for d in det.defects)
        assert det.mask.sum() <= 5


def test_one_frame_clip_has_no_dust_evidence_but_finds_a_strong_line():
    scene = make_scene(n=1, seed=4)
    (det,) = _run(scene.reel())
    assert det.flicker is None
    assert not (det.mask & scene.specks[0]).any()  # no temporal evidence for specks
    assert det.mask[:, int(round(scene.line_x[0]))].mean() > 0.9
    assert [d.kind for d in det.defects] == ["scratch"]


def test_two_frame_clip_degrades_gracefully():
    scene = make_scene(n=2, seed=5)
    dets = _run(scene.reel())
    assert [d.index for d in dets] == [0, 1]
    for det, specks in zip(dets, scene.specks, strict=True):
        assert not (det.mask & specks).any()
        assert det.flicker is not None
        assert {d.kind for d in det.defects} <= {"scratch"}


def test_black_clip_has_no_detections():
    frames = [np.zeros((120, 160, 3), np.uint8) for _ in range(5)]
    for det in _run(ArrayReel(frames)):
        assert not det.mask.any() and det.defects == []
        assert det.flicker == pytest.approx((1.0, 0.0))


def test_sixteen_bit_input_matches_eight_bit():
    s8 = make_scene(n=5, seed=6)
    s16 = make_scene(n=5, seed=6, dtype=np.uint16)
    assert s16.frames[0].dtype == np.uint16
    d8, d16 = _run(s8.reel()), _run(s16.reel())
    for a, b, specks, lx in zip(d8, d16, s16.specks, s16.line_x, strict=True):
        _check_frame(b, specks, lx)
        assert (a.mask ^ b.mask).mean() < 0.01


class _GeneratedReel(ArrayReel):
    """Frames made on demand, so only what the detector keeps stays in memory."""

    def __init__(self, n: int):
        self._n = n
        self.info = type("Info", (), {"width": 160, "height": 120, "frames": n, "fps": 24.0})()

    def __len__(self) -> int:
        return self._n

    def read(self, index: int):
        from restoration_core.media.frame import Frame

        rng = np.random.default_rng(index)
        return Frame((rng.random((120, 160, 3)) * 40 + 100).astype(np.uint8), index)

    def frames(self, start=0, stop=None):
        for i in range(start, self._n if stop is None else stop):
            yield self.read(i)


def test_memory_does_not_grow_with_clip_length():
    import tracemalloc

    peaks = []
    for n in (8, 40):
        tracemalloc.start()
        for p in detect_reel(_GeneratedReel(n), DetectSettings()):
            assert p.payload.mask.shape == (120, 160)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.3 * peaks[0], peaks


def test_cancel_stops_mid_clip():
    scene = make_scene(n=12, seed=7)
    token = CancelToken()
    task = detect_reel(scene.reel(), DetectSettings(), cancel=token)
    seen = [next(task).frame, next(task).frame]
    token.cancel()
    with pytest.raises(Cancelled):
        next(task)
    assert seen == [0, 1]


def test_range_uses_neighbours_and_detect_frame_agrees():
    scene = make_scene(n=8, seed=8)
    reel = scene.reel()
    dets = _run(reel, frame_range=(3, 6))
    assert [d.index for d in dets] == [3, 4, 5]
    single = detect_frame(reel, 4, DetectSettings())
    assert np.array_equal(single.mask, dets[1].mask)
    assert single.defects == dets[1].defects
    with pytest.raises(InputError):
        _run(reel, frame_range=(5, 99))
    with pytest.raises(InputError):
        detect_frame(reel, 8)


def test_flicker_reports_the_gain_that_undoes_a_bright_frame():
    gains = [1.0, 1.0, 1.0, 1.25, 1.0, 1.0, 1.0]
    scene = make_scene(n=7, specks=0, line=False, seed=9, gains=gains)
    dets = _run(scene.reel(), DetectSettings(dust=False, scratches=False))
    gain, offset = dets[3].flicker
    assert gain == pytest.approx(0.8, abs=0.05) and abs(offset) < 0.03
    g0, o0 = dets[1].flicker
    assert g0 == pytest.approx(1.0, abs=0.03) and abs(o0) < 0.02


def test_switches_and_sensitivity():
    scene = make_scene(n=5, seed=10)
    no_scratch = _run(scene.reel(), DetectSettings(scratches=False))
    assert all(d.kind != "scratch" for det in no_scratch for d in det.defects)
    only_scratch = _run(scene.reel(), DetectSettings(dust=False, flicker=False))
    assert all(d.kind == "scratch" for det in only_scratch for d in det.defects)
    assert all(det.flicker is None for det in only_scratch)
    low = sum(det.mask.sum() for det in _run(scene.reel(), DetectSettings(sensitivity=0.0)))
    high = sum(det.mask.sum() for det in _run(scene.reel(), DetectSettings(sensitivity=1.0)))
    assert high >= low
    with pytest.raises(ValueError):
        DetectSettings(sensitivity=1.5)


def test_large_blotch_is_found_whole_on_a_panning_scene():
    scene = make_scene(n=5, size=(320, 240), pan=3.0, specks=0, line=False, seed=13)
    frames = [f.copy() for f in scene.frames]
    blotch = np.zeros((240, 320), np.uint8)
    cv2.ellipse(blotch, (150, 120), (40, 28), 20, 0, 360, 1, -1)
    frames[2][blotch > 0] = 20
    det = _run(ArrayReel(frames), DetectSettings(flicker=False))[2]
    assert det.mask[blotch > 0].mean() > 0.97  # interior included, not just the rim
    ring = cv2.dilate(blotch, np.ones((15, 15), np.uint8)) > 0
    assert (det.mask & ~ring).sum() == 0
    (big,) = [d for d in det.defects if d.area > 1000]
    assert big.kind == "blotch" and big.polarity == "dark"


def test_large_frames_are_analysed_downscaled_and_reported_in_source_pixels():
    scene = make_scene(n=5, size=(320, 240), seed=14)
    dets = _run(scene.reel(), DetectSettings(work_max_side=160))
    det = dets[2]
    assert det.mask.shape == (240, 320)
    (line,) = [d for d in det.defects if d.kind == "scratch"]
    x, y, w, h = line.bbox
    assert x <= scene.line_x[2] <= x + w and h > 200
    assert det.mask[:, int(round(scene.line_x[2]))].mean() > 0.8
    for d in det.defects:
        x, y, w, h = d.bbox
        assert 0 <= x and x + w <= 320 and 0 <= y and y + h <= 240


def test_a_scratch_mask_reaches_the_line_ends_between_bands():
    # the line runs from row 14 to row 106: neither end on a 10-row band boundary; short
    # bright stretches further down the same column are not part of it
    scene = make_scene(n=5, line=False, specks=0, seed=21)
    frames = []
    for t, f in enumerate(scene.frames):
        img = f.astype(np.float32) / 255.0
        x = int(round(60 + 2 * t))
        img[14:107, x] = 0.6 * img[14:107, x] + 0.4 * 1.0
        for r in (110, 111, 112, 116, 117, 118):    # a column of lit windows below its end
            img[r, x] = 0.6 * img[r, x] + 0.4 * 1.0
        frames.append(np.round(img * 255).astype(np.uint8))
    dets = _run(ArrayReel(frames))
    for t in (1, 2, 3):
        x = int(round(60 + 2 * t))
        column = dets[t].mask[:, x - 1:x + 2].any(axis=1)
        assert column[14:107].mean() > 0.97, f"frame {t}: {column[14:107].mean():.2f} of the line"
        assert not column[:12].any() and not column[109:].any(), f"frame {t}: the mask runs past the line"


def test_no_frame_is_compared_across_a_cut():
    # two shots: a textured scene (frames 0..5), then a flat white card (6..11). A white speck on
    # frame 5 matches the card in frame 6: compared across the cut it is missed; with the cut
    # known, frame 5 is a shot's last frame and is compared with 4 and 3, where it is found.
    shot_a = make_scene(n=6, specks=0, line=False, seed=11).frames
    card = [np.full_like(shot_a[0], 255) for _ in range(6)]
    frames = [f.copy() for f in shot_a] + card
    frames[5][50:54, 70:74] = 255
    speck = np.zeros(frames[0].shape[:2], bool)
    speck[50:54, 70:74] = True
    settings = DetectSettings(flicker=False)
    across = _run(ArrayReel(frames), settings)[5]
    kept = _run(ArrayReel(frames), settings, cuts=[6])
    assert not (across.mask & speck).any()
    assert (kept[5].mask & speck).sum() >= 12
    assert detect_frame(ArrayReel(frames), 5, settings, cuts=[6]).mask[speck].sum() >= 12
    for det in kept[6:]:  # the card's own shot: nothing to find
        assert not det.mask.any()


def test_shot_of_a_frame():
    assert shot_of(4, 12) == (0, 12) and shot_of(4, 12, [6]) == (0, 6) and shot_of(6, 12, [6]) == (6, 12)
    assert shot_of(11, 12, [3, 6, 9]) == (9, 12) and shot_of(0, 12, [3]) == (0, 3)
