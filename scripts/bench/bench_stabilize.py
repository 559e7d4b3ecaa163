"""Benchmark gate-weave stabilization on clean static-camera clips with synthetic weave.

Each clean clip (../shared/data/clean: car-detection.mp4 and the ASL clips; a static camera
with moving cars or a signing person) gets a known weave: per frame a translation of 1-3 px
and a rotation of about 0.1 degree, as a slow drift plus frame-to-frame jitter. The woven
clip is cropped by a margin so it has no invalid border, then stabilized with
``restoration_core.motion``. Printed per clip:

- jitter: the background's frame-to-frame motion, measured independently of the stabilizer
  (dense DIS flow on the static background, a least-squares similarity fitted to it, RMS
  displacement over the frame), for the clean clip, the woven clip and the stabilized one;
  the target is stabilized - clean <= 0.15 px;
- the same measure on the clean clip stabilized the same way (*own*, no weave): a clean clip
  whose camera moves a little (eat's bobs 0.27 px a frame vertically) gets that motion taken
  out too, and the woven clip, rightly, comes out as the clean clip does (*stab - own*);
- *frozen*: the share of the still pixels the clean clip's encoder left bit-identical to the
  previous frame (skipped H.264 blocks): they show no motion whatever the camera did;
- the same jitter on the *coded background* (a second table, :func:`coded_background`): per
  pair, the pixels that move with the background whatever the camera did (a RANSAC over time
  on the DIS flows), textured, and coded by the encoder in that pair; the still pixels above
  need flow under 0.3 px, so where the camera bobs they are mostly frozen blocks and flat wall;
- the ground-truth residual: the known weave composed with the estimated correction, its
  frame-to-frame RMS displacement, and (*vs-own*) the same against the clean clip's own
  correction (what differs between stabilizing the woven and the clean clip: estimation noise
  and the weave's jitter leaking into the smoothed path);
- a pan clip (a crop window moving 1.5 px per frame across the car clip, with weave): the
  smoothed trajectory against the true pan (RMS error), i.e. the pan is kept;
- seconds per frame (wall and CPU) of the measure pass and of the resampling.

    OMP_NUM_THREADS=1 python scripts/bench/bench_stabilize.py [--frames 60] [--clips 3] [--png DIR]
        [--per-frame] [--edge-motion] [--check-motion] [--only car eat ...]

``--check-motion`` only measures each clean clip's own vertical motion without the stabilizer
(a translation on the coded pixels away from the subject) beside the stabilizer's estimate.
``--per-frame`` prints each frame's true weave step, the estimate and its error beside what the
estimator finds on the clean clip alone (where the two agree, the error is the clip's own motion).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from restoration_core.detect.flow import estimate_flow, to_luma  # noqa: E402
from restoration_core.media.frame import Frame  # noqa: E402
from restoration_core.motion import (  # noqa: E402
    StabilizedReel,
    build_plan,
    measure_motion,
    similarity,
    similarity_params,
    to_image,
)
from restoration_core.progress import run_to_end  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
MARGIN = 12


class ArrayReel:
    def __init__(self, frames: list[np.ndarray]):
        self._frames = frames
        h, w = frames[0].shape[:2]
        self.info = type("Info", (), {"width": w, "height": h, "frames": len(frames)})()

    def __len__(self) -> int:
        return len(self._frames)

    def frames(self, start: int = 0, stop: int | None = None):
        for i in range(start, len(self._frames) if stop is None else stop):
            yield Frame(self._frames[i], i)

    def close(self) -> None:
        pass


def read_video(path: Path, count: int, step: int = 1) -> list[np.ndarray]:
    import av

    out = []
    with av.open(str(path)) as container:
        for k, frame in enumerate(container.decode(video=0)):
            if k % step == 0:
                out.append(frame.to_ndarray(format="rgb24"))
            if len(out) >= count:
                break
    return out


# the clips the estimator is chosen on (eat was among them when the block estimator was chosen;
# since then it is a report clip: nothing has been chosen on it)
TUNED = ("car", "again", "bird", "help")
# each clip's weave seed: its place in the full list (car, then the ASL clips by name), so --only keeps it
SEEDS = {"car": 0, **{n: k + 1 for k, n in enumerate(("again", "bird", "book", "brother", "eat", "help", "hungry",
                                                      "learn", "milk", "night"))}}
DRIFT_PERIOD = 240  # frames (10 s at 24 fps): the slow part of the weave


def weave_track(n: int, seed: int, drift: bool = True) -> list[np.ndarray]:
    """Known per-frame weave: a slow drift (+-1.5 px, period DRIFT_PERIOD) plus 1-3 px jitter, ~0.1 deg."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    out = []
    for k in t:
        dx = (1.5 * np.sin(2 * np.pi * k / DRIFT_PERIOD) if drift else 0.0) + rng.normal(0, 1.2)
        dy = (1.0 * np.cos(2 * np.pi * k / (DRIFT_PERIOD * 0.7)) if drift else 0.0) + rng.normal(0, 1.0)
        dx, dy = np.clip(dx, -3, 3), np.clip(dy, -3, 3)
        angle = (0.05 * np.sin(2 * np.pi * k / DRIFT_PERIOD) if drift else 0.0) + rng.normal(0, 0.08)
        out.append(similarity(dx, dy, angle, 1.0))
    return out


def apply_weave(frame: np.ndarray, m: np.ndarray, offset: tuple[float, float] = (0.0, 0.0), side: int = 0) -> np.ndarray:
    """``woven(p) = clean(M p + offset)``, then the margin (and ``side`` px left and right) cropped."""
    h, w = frame.shape[:2]
    shift = np.array([[1, 0, offset[0]], [0, 1, offset[1]], [0, 0, 1.0]])
    mi = to_image(shift @ m, (h, w))[:2]
    out = cv2.warpAffine(frame.astype(np.float32), mi, (w, h), flags=cv2.INTER_LANCZOS4 | cv2.WARP_INVERSE_MAP,
                         borderMode=cv2.BORDER_REFLECT)
    out = out[MARGIN:h - MARGIN, MARGIN + side:w - MARGIN - side]
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def crop(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return np.ascontiguousarray(frame[MARGIN:h - MARGIN, MARGIN:w - MARGIN])


def background(frames: list[np.ndarray]) -> np.ndarray:
    """Pixels that are static in the clean clip (flow under 0.3 px in 90% of the pairs), away from the edges."""
    h, w = frames[0].shape[:2]
    still = np.zeros((h, w), np.int32)
    for a, b in zip(frames, frames[1:], strict=False):
        still += np.linalg.norm(estimate_flow(a, b, quality="medium"), axis=2) < 0.3
    static = still >= 0.9 * (len(frames) - 1)
    edge = 16
    static[:edge], static[-edge:], static[:, :edge], static[:, -edge:] = False, False, False, False
    return static


TEXTURE = 4.0  # grey levels per px (8-bit luma, Sobel / 8): where a sub-pixel shift shows at all
INLIER = 0.3  # px: a pixel moves with the background when its flow is this close to the background's
PATCH = 16  # px: the size of the patches whose motion over the clip is a background hypothesis


def _similarity_field(flow: np.ndarray, where: np.ndarray) -> np.ndarray:
    """The least-squares similarity fitted to ``flow`` on ``where``, as an HxWx2 field."""
    h, w = where.shape
    ys, xs = np.nonzero(where)
    a = np.concatenate([np.stack([xs, -ys, np.ones_like(xs), 0 * xs], 1),
                        np.stack([ys, xs, 0 * xs, np.ones_like(xs)], 1)]).astype(np.float64)
    p, *_ = np.linalg.lstsq(a, np.concatenate([flow[ys, xs, 0], flow[ys, xs, 1]]), rcond=None)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([p[0] * gx - p[1] * gy + p[2], p[1] * gx + p[0] * gy + p[3]], 2)


def coded_background(frames: list[np.ndarray], hypotheses: int = 300) -> tuple[np.ndarray, list[np.ndarray]]:
    """The background measured honestly, without the stabilizer: the pixels of the clean clip that
    move *with the background* (whatever the camera did), and of those, per pair, the ones the
    encoder coded (not bit-identical to the previous frame) and that are textured (TEXTURE): a
    frozen block shows no motion whatever the camera did, and flat wall shows none either.

    The still-pixel mask of :func:`background` asks for flow under 0.3 px, so a clean clip
    whose camera moves a little keeps only what cannot show that motion. Here the background is
    found by a RANSAC over time on the DIS flows: each hypothesis is a PATCH-px patch of textured
    coded pixels and its median motion in every pair; its support is the pixels whose flow is
    within INLIER px of it in 90% of the pairs (a signer's sweatshirt moves as one in some pairs,
    not in 90% of them). The best hypothesis's support is refitted, per pair, with a similarity
    and the support taken again. Returns (the moves-with-background mask, per pair the pixels
    measured)."""
    h, w = frames[0].shape[:2]
    rng = np.random.default_rng(0)
    flows = [estimate_flow(a, b, quality="medium") for a, b in zip(frames, frames[1:], strict=False)]
    lumas = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float32) for f in frames]
    textured = [np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)) / 8 >= TEXTURE
                for g in lumas[:-1]]
    coded = [~np.all(a == b, axis=2) for a, b in zip(frames, frames[1:], strict=False)]
    inside = np.zeros((h, w), bool)
    inside[16:-16, 16:-16] = True
    need = 0.9 * len(flows)
    sub = (slice(0, h, 4), slice(0, w, 4))  # the support is scored on every 4th pixel each way
    small = np.stack([f[sub] for f in flows])  # pairs x h/4 x w/4 x 2
    often = inside & (np.mean([t & c for t, c in zip(textured, coded, strict=True)], 0) >= 0.5)
    ys, xs = np.nonzero(often[PATCH // 2:h - PATCH // 2, PATCH // 2:w - PATCH // 2])
    best, best_support = None, -1
    for k in rng.choice(len(ys), min(hypotheses, len(ys)), replace=False):
        y0, x0 = ys[k], xs[k]
        motion = np.array([np.median(f[y0:y0 + PATCH, x0:x0 + PATCH].reshape(-1, 2), 0) for f in flows])
        agree = (np.linalg.norm(small - motion[:, None, None, :], axis=3) < INLIER).sum(0) >= need
        if agree.sum() > best_support:
            best, best_support = motion, int(agree.sum())
    support = inside & (np.array([np.linalg.norm(f - m, axis=2) < INLIER for f, m in zip(flows, best, strict=True)])
                        .sum(0) >= need)
    fields = [_similarity_field(f, support & t & c) for f, t, c in zip(flows, textured, coded, strict=True)]
    support = inside & (np.array([np.linalg.norm(f - m, axis=2) < INLIER for f, m in zip(flows, fields, strict=True)])
                        .sum(0) >= need)
    return support, [support & t & c for t, c in zip(textured, coded, strict=True)]


def jitter_pairs(frames: list[np.ndarray], wheres: list[np.ndarray], least: int = 500) -> float:
    """As :func:`jitter`, with each pair's own pixels (pairs with fewer than ``least`` left out)."""
    vals = [fitted_rms(estimate_flow(a, b, quality="medium"), m)
            for a, b, m in zip(frames, frames[1:], wheres, strict=False) if m.sum() >= least]
    return float(np.sqrt(np.mean(np.square(vals)))) if vals else float("nan")


def fitted_rms(flow: np.ndarray, where: np.ndarray) -> float:
    """RMS over the frame of the similarity fitted (least squares) to ``flow`` on ``where``."""
    h, w = where.shape
    ys, xs = np.nonzero(where)
    xc, yc = xs - (w - 1) / 2, ys - (h - 1) / 2
    u, v = flow[ys, xs, 0], flow[ys, xs, 1]
    a = np.concatenate([np.stack([xc, -yc, np.ones_like(xc), 0 * xc], 1), np.stack([yc, xc, 0 * xc, np.ones_like(xc)], 1)])
    p, *_ = np.linalg.lstsq(a, np.concatenate([u, v]), rcond=None)
    gy, gx = np.mgrid[0:h, 0:w]
    gx, gy = gx - (w - 1) / 2, gy - (h - 1) / 2
    du = p[0] * gx - p[1] * gy + p[2]
    dv = p[1] * gx + p[0] * gy + p[3]
    return float(np.sqrt(np.mean(du * du + dv * dv)))


def jitter(frames: list[np.ndarray], where: np.ndarray) -> float:
    """RMS over pairs of the background's fitted frame-to-frame displacement (px)."""
    vals = [fitted_rms(estimate_flow(a, b, quality="medium"), where) for a, b in zip(frames, frames[1:], strict=False)]
    return float(np.sqrt(np.mean(np.square(vals))))


def frozen_share(frames: list[np.ndarray], where: np.ndarray) -> float:
    """Share of the ``where`` pixels, over pairs, that the encoder left bit-identical to the
    previous frame (a skipped H.264 block or one coded with zero motion): frozen whatever the
    camera did, they show no motion in the clean clip even where its camera moved."""
    same = [np.all(a == b, axis=2) if a.ndim == 3 else a == b for a, b in zip(frames, frames[1:], strict=False)]
    return float(np.mean([m[where].mean() for m in same]))


def displacement_rms(m: np.ndarray, shape: tuple[int, int]) -> float:
    h, w = shape
    gy, gx = np.mgrid[0:h:8, 0:w:8]
    pts = np.stack([gx - (w - 1) / 2, gy - (h - 1) / 2, np.ones_like(gx)], 0).reshape(3, -1).astype(float)
    d = (m - np.eye(3)) @ pts
    return float(np.sqrt(np.mean(d[0] ** 2 + d[1] ** 2)))


def stabilize(frames: list[np.ndarray], smooth: int) -> tuple[list[np.ndarray], object, float, float, float, float]:
    reel = ArrayReel(frames)
    t0, c0 = time.perf_counter(), time.process_time()
    motions = run_to_end(measure_motion((f for f in frames), len(frames)))
    plan = build_plan(motions, 0, frames[0].shape[:2], smooth)
    t1, c1 = time.perf_counter(), time.process_time()
    out = [f.data for f in StabilizedReel(reel, plan).frames()]
    t2, c2 = time.perf_counter(), time.process_time()
    n = len(frames)
    return out, plan, (t1 - t0) / n, (c1 - c0) / n, (t2 - t1) / n, (c2 - c1) / n


def frame_to_frame(mats: list[np.ndarray], shape: tuple[int, int]) -> float:
    """RMS over frames of the displacement of ``mats[k + 1] @ mats[k]^-1``."""
    d = [displacement_rms(mats[k + 1] @ np.linalg.inv(mats[k]), shape) for k in range(len(mats) - 1)]
    return float(np.sqrt(np.mean(np.square(d))))


def run_clip(name: str, clean_full: list[np.ndarray], seed: int, smooth: int, png: Path | None,
             per_frame: bool = False) -> dict:
    track = weave_track(len(clean_full), seed)
    woven = [apply_weave(f, m) for f, m in zip(clean_full, track, strict=True)]
    clean = [crop(f) for f in clean_full]
    where = background(clean)
    _, coded = coded_background(clean)
    out, plan, mw, mc, rw, rc = stabilize(woven, smooth)
    own_out, own_plan, *_ = stabilize(clean, smooth)  # the clean clip itself, stabilized the same way
    shape = clean[0].shape[:2]
    # ground truth: output_t(u) = clean_t(T_t W_t u); its frame-to-frame change should vanish
    resid = [track[k] @ plan.warps[k] for k in range(len(track))]
    # against the clean clip's own correction: the woven clip should come out as the clean clip does
    versus_own = [resid[k] @ np.linalg.inv(own_plan.warps[k]) for k in range(len(track))]
    res = {
        "clip": name, "frames": len(clean), "background": float(where.mean()),
        "frozen": frozen_share(clean, where),
        "clean": jitter(clean, where), "woven": jitter(woven, where), "stabilized": jitter(out, where),
        "own": jitter(own_out, where),
        "coded_share": float(np.mean([m.sum() for m in coded])) / where.size,
        "c_clean": jitter_pairs(clean, coded), "c_woven": jitter_pairs(woven, coded),
        "c_stabilized": jitter_pairs(out, coded), "c_own": jitter_pairs(own_out, coded),
        "gt_residual": frame_to_frame(resid, shape), "versus_own": frame_to_frame(versus_own, shape),
        "measure_s": mw, "measure_cpu": mc, "resample_s": rw, "resample_cpu": rc,
    }
    if per_frame:
        print_per_frame(name, track, plan, own_plan)
    if png is not None:  # consecutive-frame difference (x4), woven | stabilized: still edges vanish
        png.mkdir(parents=True, exist_ok=True)
        k = len(out) // 2

        def diff(frames: list[np.ndarray]) -> np.ndarray:
            d = np.abs(frames[k + 1].astype(np.int16) - frames[k].astype(np.int16)) * 4
            return np.clip(d, 0, 255).astype(np.uint8)

        pair = np.concatenate([woven[k], out[k]], axis=1)
        pair = np.concatenate([pair, np.concatenate([diff(woven), diff(out)], axis=1)], axis=0)
        small = cv2.resize(pair, (pair.shape[1] // 2, pair.shape[0] // 2), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(png / f"stabilize_{name}.png"), cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
        # the still pixels the measure uses, on the clean frame: blue where the encoder left the
        # pixel bit-identical to the previous frame, orange where it was coded; then the coded
        # background measured in the same pair (green)
        frozen = np.all(clean[k + 1] == clean[k], axis=2)
        shown = (0.6 * clean[k]).astype(np.uint8)
        shown[where & frozen] = (60, 120, 255)
        shown[where & ~frozen] = (255, 150, 40)
        measured = (0.6 * clean[k]).astype(np.uint8)
        measured[cv2.dilate(coded[k].astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = (40, 230, 80)
        side = np.concatenate([clean[k], shown, measured], axis=1)
        cv2.imwrite(str(png / f"frozen_{name}.png"), cv2.cvtColor(side, cv2.COLOR_RGB2BGR))
    return res


def print_per_frame(name: str, track: list[np.ndarray], plan, own_plan) -> None:
    """Per frame: the weave's true step (frame onto the one before), the estimated one, their
    difference, and what the estimator finds on the clean clip alone (its own motion): where
    the difference is the clean clip's own motion, the estimate is right and the clip moves."""
    print(f"{name}: per frame, motion onto the previous frame (dx dy px, angle deg); err = estimated - true")
    for k in range(1, len(track)):
        true = np.linalg.inv(track[k - 1]) @ track[k]
        t = similarity_params(true)[:3]
        m, o = plan.motions[k], own_plan.motions[k]
        if m is None:
            print(f"  {k:3d} true {t[0]:6.2f} {t[1]:6.2f} {t[2]:6.3f}  (a new shot)")
            continue
        e, d = similarity_params(m.matrix)[:3], similarity_params(np.linalg.inv(true) @ m.matrix)[:3]
        c = similarity_params(o.matrix)[:3] if o is not None else (float("nan"),) * 3
        print(f"  {k:3d} true {t[0]:6.2f} {t[1]:6.2f} {t[2]:6.3f}  est {e[0]:6.2f} {e[1]:6.2f} {e[2]:6.3f}"
              f"  err {d[0]:+6.3f} {d[1]:+6.3f} {d[2]:+7.4f}  clean clip alone {c[0]:+6.3f} {c[1]:+6.3f} {c[2]:+7.4f}")


def side_edge_motion(frames: list[np.ndarray], strip: int = 100) -> tuple[float, float]:
    """The clean clip's own background motion where the still-pixel mask cannot see it: RMS over
    pairs of the median DIS flow across strong edges in the left and right ``strip`` px (no
    signer there), dy on horizontal edges and dx on vertical ones (the directions an edge
    measures)."""
    dys, dxs = [], []
    for a, b in zip(frames[1:], frames, strict=False):
        la, lb = to_luma(a), to_luma(b)
        f = estimate_flow(la, lb, max_side=None, quality="medium")
        gy = np.abs(cv2.Sobel(la, cv2.CV_32F, 0, 1, ksize=3))
        gx = np.abs(cv2.Sobel(la, cv2.CV_32F, 1, 0, ksize=3))
        side = np.zeros(la.shape, bool)
        side[:, :strip], side[:, -strip:] = True, True
        horizontal, vertical = side & (gy > 0.3) & (gy > 3 * gx), side & (gx > 0.3) & (gx > 3 * gy)
        if horizontal.sum() > 50:
            dys.append(float(np.median(f[horizontal, 1])))
        if vertical.sum() > 50:
            dxs.append(float(np.median(f[vertical, 0])))
    rms = lambda v: float(np.sqrt(np.mean(np.square(v)))) if v else float("nan")  # noqa: E731
    return rms(dxs), rms(dys)


def lk_translation(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Gauss-Newton translation t with ``b(x + t) ~ a(x)`` over ``where`` (gray float32 frames,
    blurred by 1 px; only pixels with a gradient over 0.5 grey levels per px)."""
    a, b = cv2.GaussianBlur(a, (0, 0), 1.0), cv2.GaussianBlur(b, (0, 0), 1.0)
    gx, gy = cv2.Sobel(a, cv2.CV_32F, 1, 0) / 8, cv2.Sobel(a, cv2.CV_32F, 0, 1) / 8
    m = where & (np.hypot(gx, gy) > 0.5)
    ex, ey, ea = gx[m], gy[m], a[m]
    hess = np.array([[ex @ ex, ex @ ey], [ex @ ey, ey @ ey]])
    t = np.zeros(2)
    for _ in range(10):
        bw = cv2.warpAffine(b, np.float32([[1, 0, t[0]], [0, 1, t[1]]]), a.shape[::-1],
                            flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT)
        r = bw[m] - ea
        step = np.linalg.solve(hess, np.array([ex @ r, ey @ r]))
        t -= step
        if np.abs(step).max() < 1e-4:
            break
    return t


def check_motion(frames: list[np.ndarray]) -> dict:
    """The clean clip's own frame-to-frame motion measured without the stabilizer or DIS: a
    translation (lk_translation) on the pixels the encoder coded in that pair, away from the
    subject (luma std over the clip above 6 grey levels, grown by 15 px), beside the stabilizer's
    estimate on the same clean clip (its dy; the translation has the opposite sign)."""
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float32) for f in frames]
    subject = cv2.dilate((np.std(np.stack(gray), 0) > 6).astype(np.uint8), np.ones((31, 31), np.uint8)) > 0
    inside = np.zeros(subject.shape, bool)
    inside[16:-16, 16:-16] = True
    motions = run_to_end(measure_motion((f for f in frames), len(frames)))
    est, lk, frozen = [], [], []
    for k in range(1, len(frames)):
        if motions[k] is None:
            continue
        coded = ~np.all(frames[k] == frames[k - 1], axis=2)
        frozen.append(float(1 - coded[~subject].mean()))
        est.append(similarity_params(motions[k].matrix)[1])
        lk.append(-lk_translation(gray[k - 1], gray[k], inside & ~subject & coded)[1])
    est_a, lk_a = np.array(est), np.array(lk)
    rms = lambda v: float(np.sqrt(np.mean(np.square(v))))  # noqa: E731
    return {"subject": float(subject.mean()), "frozen": float(np.mean(frozen)), "lk_dy": rms(lk_a),
            "est_dy": rms(est_a), "corr": float(np.corrcoef(est_a, lk_a)[0, 1]), "diff": rms(est_a - lk_a)}


def run_pan(clean_full: list[np.ndarray], seed: int, smooth: int, speed: float = 1.5) -> dict:
    n = len(clean_full)
    side = int(np.ceil(speed * n / 2)) + 2
    track = weave_track(n, seed, drift=False)
    # the view moves right by `speed` px per frame (a pan) over the still first frame, weave on top
    woven = [np.ascontiguousarray(apply_weave(clean_full[0], track[k], (speed * (k - n / 2), 0.0), side))
             for k in range(n)]
    _, plan, *_ = stabilize(woven, smooth)
    sm = np.array([similarity_params(s)[0] for s in plan.smoothed])
    truth = speed * np.arange(n)
    err = (sm - sm[0]) - truth
    err -= err.mean()
    return {"speed": speed, "pan_measured": float((sm[-1] - sm[0]) / (n - 1)), "traj_rms": float(np.sqrt(np.mean(err ** 2))),
            "traj_max": float(np.abs(err).max()), "cuts": len(plan.cuts)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--clips", type=int, default=3, help="how many ASL clips besides the car clip")
    ap.add_argument("--smooth", type=int, default=24)
    ap.add_argument("--only", nargs="*", default=None, help="only these clips (car and ASL names)")
    ap.add_argument("--edge-motion", action="store_true",
                    help="also print each clean clip's own motion on the edges at its sides (see side_edge_motion)")
    ap.add_argument("--check-motion", action="store_true",
                    help="only measure each clean clip's own vertical motion without the stabilizer (check_motion)")
    ap.add_argument("--png", type=Path, default=None, help="write a before|after PNG per clip here")
    ap.add_argument("--per-frame", action="store_true",
                    help="print each frame's true and estimated motion and the clean clip's own (print_per_frame)")
    args = ap.parse_args()
    car = DATA / "clean" / "car-detection.mp4"
    if not car.exists():
        print(f"skipped: {DATA / 'clean'} is not there (the benchmark needs the shared clean clips)")
        return 0
    clips = [("car", read_video(car, args.frames))] if not args.only or "car" in args.only else []
    for p in sorted((DATA / "clean" / "asl").glob("*.mkv"))[: args.clips]:
        if not args.only or p.stem in args.only:
            clips.append((p.stem, read_video(p, args.frames)))
    if args.check_motion:  # only the check, no stabilizing
        for name, frames in clips:
            c = check_motion([crop(f) for f in frames])
            print(f"{name:10} clean clip's own vertical motion, coded pixels away from the subject ({100 * c['subject']:.0f}% "
                  f"left out, {100 * c['frozen']:.0f}% of the rest frozen): {c['lk_dy']:.3f} px RMS per frame; the "
                  f"stabilizer's estimate {c['est_dy']:.3f}, correlation {c['corr']:+.3f}, differing by {c['diff']:.3f}")
        return 0
    print(f"smooth={args.smooth} frames; jitter = background frame-to-frame RMS displacement (px)")
    print(f"tuned on: {', '.join(TUNED)} (the others were not used while choosing the estimator)")
    print("own = the clean clip stabilized the same way (no weave); frozen = still pixels the encoder left "
          "bit-identical to the previous frame")
    print(f"{'clip':10} {'n':>3} {'bg%':>4} {'frozen':>6} {'clean':>6} {'woven':>6} {'stab':>6} {'stab-clean':>10}"
          f" {'own':>6} {'stab-own':>8} {'gt-resid':>8} {'vs-own':>6}"
          f" {'measure s/f (cpu)':>18} {'resample s/f (cpu)':>19}")
    worst = worst_own = -np.inf
    results = []
    for k, (name, frames) in enumerate(clips):
        r = run_clip(name, frames, seed=SEEDS.get(name, k), smooth=args.smooth, png=args.png, per_frame=args.per_frame)
        results.append(r)
        worst = max(worst, r["stabilized"] - r["clean"])
        worst_own = max(worst_own, r["stabilized"] - r["own"])
        print(f"{name:10} {r['frames']:3d} {100 * r['background']:4.0f} {100 * r['frozen']:5.0f}% {r['clean']:6.3f} "
              f"{r['woven']:6.3f} {r['stabilized']:6.3f} {r['stabilized'] - r['clean']:+10.3f} {r['own']:6.3f} "
              f"{r['stabilized'] - r['own']:+8.3f} {r['gt_residual']:8.3f} {r['versus_own']:6.3f} "
              f"{r['measure_s']:9.4f} ({r['measure_cpu']:.4f}) {r['resample_s']:10.4f} ({r['resample_cpu']:.4f})",
              flush=True)
    print(f"worst stabilized - own: {worst_own:+.3f} px")
    print(f"worst stabilized - clean: {worst:+.3f} px (target <= 0.15): {'PASS' if worst <= 0.15 else 'FAIL'}"
          " (still pixels)")
    print("the same on the coded background (coded_background: pixels that move with the background, textured, "
          "not bit-frozen by the encoder in that pair; coded% = share of the frame per pair)")
    print(f"{'clip':10} {'coded%':>6} {'clean':>6} {'woven':>6} {'stab':>6} {'stab-clean':>10} {'own':>6} {'stab-own':>8}")
    worst_coded = -np.inf
    for r in results:
        worst_coded = max(worst_coded, r["c_stabilized"] - r["c_clean"])
        print(f"{r['clip']:10} {100 * r['coded_share']:5.0f}% {r['c_clean']:6.3f} {r['c_woven']:6.3f} "
              f"{r['c_stabilized']:6.3f} {r['c_stabilized'] - r['c_clean']:+10.3f} {r['c_own']:6.3f} "
              f"{r['c_stabilized'] - r['c_own']:+8.3f}")
    print(f"worst stabilized - clean: {worst_coded:+.3f} px (target <= 0.15): "
          f"{'PASS' if worst_coded <= 0.15 else 'FAIL'} (coded background)")
    if args.edge_motion:
        for name, frames in clips:
            dx, dy = side_edge_motion([crop(f) for f in frames])
            print(f"{name:10} clean clip's own motion on its side edges: dx {dx:.3f} px, dy {dy:.3f} px RMS per frame")
    if clips and clips[0][0] == "car":
        pan = run_pan(clips[0][1], seed=7, smooth=args.smooth)
        print(f"pan clip (car, {pan['speed']} px/frame): kept {pan['pan_measured']:.3f} px/frame, trajectory error "
              f"RMS {pan['traj_rms']:.3f} px, max {pan['traj_max']:.3f} px, shots split {pan['cuts']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
