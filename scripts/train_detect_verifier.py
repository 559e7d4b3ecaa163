"""Train the detection verifier (``restoration_core/resources/detect/verifier.json``).

Tuning data only: the signing clips ``again``, ``bird``, ``book``, ``brother`` and ``eat`` of
``../shared/data/clean/asl`` (the benchmark's tuning set)
(gray, every 2nd and every 3rd frame, every phase, cut into runs of 12 frames like the
benchmark's) with the benchmark's synthetic damage, and the same runs undamaged. Every
candidate that motion protection questions (on or next to moving picture) is recorded with
its features (``motion.candidate_features``) and whether the rules keep it. Labels: damage
when it touches an artifact of a tuned kind (spots, dirt); not damage when it touches no
artifact at all (and every candidate of the undamaged runs); candidates on held-out kinds
(lint, hair-short, scratches, the line scratch) are left out of training altogether.

The model is a logistic regression on standardised features (numpy, Newton steps, L2), or
with ``--units`` a network of one hidden ``tanh`` layer (full-batch Adam, fixed seed), over
every candidate on moving picture (the rules' answer is one of its features), damage
and not-damage weighted equally. The threshold is chosen leaving each clip out in turn (a
model trained on the other clips scores it): the highest that keeps as large a
share of the tuned-kind damage as the rules alone keep; then the final model is trained on
all of them. The rules' answer is recorded but left out of the model by default (its weight
was near zero once the other features were in, and leaving it out spares its search).

The tuning clips have no textured picture panning past a moving object, where a small speck's
outline finds picture edges within 2 px in the neighbours (``follow_2``) as a moved edge's
does; ``--dump-generated`` records the candidates of generated scenes of that kind
(:func:`panning_scene`: texture panning 1-4 px a frame, a disc crossing it, one-frame specks;
this script's own generator, not the tests' scenes), and ``--gen-weight`` weighs them against a
tuning clip's candidates. They are always trained on and never used to choose the threshold.

    python scripts/train_detect_verifier.py --dump /tmp/verifier-data.npz      # run detection, record
    python scripts/train_detect_verifier.py --dump-generated /tmp/verifier-gen.npz --scenes 90
    python scripts/train_detect_verifier.py --data /tmp/verifier-data.npz /tmp/verifier-gen.npz \
        --drop rules,displaced --gen-weight 5 --keep 1.04    # measured, not shipped (README, detection)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from restoration_core.detect import DetectSettings, detect_reel, motion, pipeline  # noqa: E402
from restoration_core.detect.verify import Verifier  # noqa: E402
from restoration_core.metrics.damage import KIND_CODES, Damager, DamageSettings, load_artifacts  # noqa: E402
from scripts.bench.bench_detect import ArrayReel  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
TUNE_CLIPS = ("again", "bird", "book", "brother", "eat")  # the benchmark's tuning clips (ASL_TUNE)
TUNE_KINDS = ("spots", "dirt")
RUN = 12
GENERATED = len(TUNE_CLIPS)  # the clip index of the generated panning scenes


def _clip(name: str) -> list[np.ndarray]:
    import av

    with av.open(str(DATA / "clean" / "asl" / f"{name}.mkv")) as container:
        return [np.repeat(f.to_ndarray(format="gray")[..., None], 3, axis=2) for f in container.decode(video=0)]


def _runs(frames: list[np.ndarray]) -> list[tuple[str, list[np.ndarray]]]:
    out = []
    for step in (2, 3):
        for phase in range(step):
            seq = frames[phase::step]
            for k in range(0, len(seq) - RUN // 2 + 1, RUN):
                chunk = seq[k : k + RUN]
                if len(chunk) >= RUN // 2:
                    out.append((f"1:{step} phase {phase} from {k}", chunk))
    return out


def _record(frames: list[np.ndarray], settings: DetectSettings) -> list[list]:
    """Per frame, the (box, region, features, kept_by_rules) of every questioned candidate."""
    per_frame: list[list] = []
    orig_protect, orig_one = motion.protect, pipeline._detect_one

    def one(win, i, lo, hi):
        per_frame.append([])
        return orig_one(win, i, lo, hi)

    def protect(*a, **kw):
        return orig_protect(*a, verifier=False, sink=per_frame[-1], **kw)

    motion.protect, pipeline._detect_one = protect, one
    try:
        for _ in detect_reel(ArrayReel(frames), settings):
            pass
    finally:
        motion.protect, pipeline._detect_one = orig_protect, orig_one
    return per_frame


def _label(box, region, d) -> tuple[int, int, bool]:
    """(label, kind code, far): 1 damage, 0 not damage; kind of the damage it touches."""
    x0, y0, x1, y1 = box
    h, w = d.mask.shape
    a0, b0, a1, b1 = max(0, x0 - 1), max(0, y0 - 1), min(w, x1 + 1), min(h, y1 + 1)
    own = np.zeros((b1 - b0, a1 - a0), np.uint8)
    own[y0 - b0 : y1 - b0, x0 - a0 : x1 - a0] = region
    near = cv2.dilate(own, np.ones((3, 3), np.uint8)) > 0
    gt = d.mask[b0:b1, a0:a1] | d.touched[b0:b1, a0:a1]
    if not (near & gt).any():
        r = 9
        art = d.artifact[max(0, y0 - r) : y1 + r, max(0, x0 - r) : x1 + r]
        return 0, 0, not art.any()
    kinds = d.kind_map[b0:b1, a0:a1][near & gt]
    kinds = kinds[kinds > 0]
    kind = int(np.bincount(kinds).argmax()) if len(kinds) else KIND_CODES["dirt"]
    return 1, kind, False


def dump(path: Path, seed: int, clips: tuple[str, ...] = TUNE_CLIPS) -> None:
    artifacts = load_artifacts(DATA / "artifacts")
    settings = DetectSettings()
    rows, meta = [], []
    t0, c0 = time.perf_counter(), time.process_time()
    for name in clips:
        ci = TUNE_CLIPS.index(name)
        for label, clean in _runs(_clip(name)):
            damager = Damager(DamageSettings(seed=seed), artifacts)
            damaged = [damager.apply(f, i) for i, f in enumerate(clean)]
            for i, cands in enumerate(_record([d.data for d in damaged], settings)):
                for box, region, feats, kept in cands:
                    y, kind, far = _label(box, region, damaged[i])
                    rows.append(feats)
                    meta.append((ci, y, kind, far, kept, 0, i))
            for i, cands in enumerate(_record(clean, settings)):
                for _box, _region, feats, kept in cands:
                    rows.append(feats)
                    meta.append((ci, 0, 0, True, kept, 1, i))
            np.savez(path, x=np.array(rows), meta=np.array(meta, np.int64), features=np.array(motion.FEATURES))
            print(f"{name} {label}: {len(rows)} candidates so far "
                  f"({time.perf_counter() - t0:.0f} s, cpu {time.process_time() - c0:.0f} s)", flush=True)
    np.savez(path, x=np.array(rows), meta=np.array(meta, np.int64), features=np.array(motion.FEATURES))
    print(f"wrote {path}: {len(rows)} candidates")


def _field(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A textured picture in 0..1: random values at three cell sizes, cubic-interpolated."""
    out = np.zeros((h, w), np.float32)
    cells = sorted(rng.choice([2, 3, 5, 8, 12, 20, 32], size=3, replace=False), reverse=True)
    weights = rng.dirichlet([2.0, 1.5, 1.0])
    for cell, weight in zip(cells, weights, strict=True):
        small = rng.random((h // cell + 2, w // cell + 2)).astype(np.float32)
        out += weight * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, span = rng.uniform(0.1, 0.3), rng.uniform(0.4, 0.7)
    return np.clip(lo + span * out, 0, 1)


def panning_scene(seed: int, n: int = 9) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A generated scene of the kind the tuning clips lack: a textured picture panning 1-4 px
    a frame (sideways, a little up or down), a bright or dark disc crossing it faster, and
    one-frame specks (1-3 px radius, dark or bright, opacity 0.7..1) on the texture next to
    and away from the disc, new places every frame. Returns the 8-bit RGB frames and the
    specks' masks."""
    rng = np.random.default_rng([7, seed])
    w, h = ((160, 120), (240, 180), (320, 240))[seed % 3]
    pan = rng.uniform(1.0, 4.0) * rng.choice([-1, 1])
    tilt = rng.uniform(-0.6, 0.6)
    big = _field(rng, h + int(abs(tilt) * n) + 20, w + int(abs(pan) * n) + 40)
    speed = (pan + rng.uniform(1.5, 3.0) * np.sign(pan)) if rng.random() < 0.7 else -pan
    radius = rng.uniform(0.1, 0.18) * h
    value = rng.uniform(0.85, 0.95) if rng.random() < 0.5 else rng.uniform(0.05, 0.15)
    grain = rng.uniform(0.004, 0.012)
    frames, masks = [], []
    for t in range(n):
        x0 = 20 + (pan * t if pan >= 0 else abs(pan) * (n - 1 - t))
        y0 = 10 + (tilt * t if tilt >= 0 else abs(tilt) * (n - 1 - t))
        img = cv2.warpAffine(big, np.float32([[1, 0, -x0], [0, 1, -y0]]), (w, h), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT)
        cx = w * 0.15 + speed * t if speed > 0 else w * 0.85 + speed * t
        cy = h * 0.55 + 3.0 * np.sin(t)
        cv2.circle(img, (round(cx * 4), round(cy * 4)), round(radius * 4), float(value), -1, cv2.LINE_AA, shift=2)
        taken = np.zeros((h, w), np.uint8)
        cv2.circle(taken, (round(cx), round(cy)), round(radius + 6), 1, -1)
        if masks:
            taken |= cv2.dilate(masks[-1].astype(np.uint8), np.ones((21, 21), np.uint8))
        mask = np.zeros((h, w), bool)
        for _ in range(int(rng.integers(3, 7))):
            for _try in range(50):
                x, y = int(rng.integers(8, w - 8)), int(rng.integers(8, h - 8))
                if not taken[y, x]:
                    break
            blob = np.zeros((h, w), np.uint8)
            cv2.circle(blob, (x, y), int(rng.integers(1, 4)), 1, -1)
            on = blob > 0
            target = 0.03 if rng.random() < 0.6 else 0.97
            alpha = rng.uniform(0.7, 1.0)
            img[on] = (1 - alpha) * img[on] + alpha * target
            mask |= on
            taken |= cv2.dilate(blob, np.ones((9, 9), np.uint8))
        img = np.clip(img + rng.normal(0, grain, img.shape).astype(np.float32), 0, 1)
        frames.append(np.repeat(np.round(img * 255).astype(np.uint8)[..., None], 3, axis=2))
        masks.append(mask)
    return frames, masks


def dump_generated(path: Path, scenes: int) -> None:
    """Record the candidates of :func:`panning_scene` 0..scenes-1: damage when it touches a
    speck, not damage otherwise (far when no speck lies within 9 px)."""
    settings = DetectSettings()
    rows, meta = [], []
    t0 = time.perf_counter()
    for k in range(scenes):
        frames, masks = panning_scene(k)
        for i, cands in enumerate(_record(frames, settings)):
            for box, region, feats, kept in cands:
                x0, y0, x1, y1 = box
                own = np.zeros(masks[i].shape, bool)
                own[y0:y1, x0:x1] = region
                near = cv2.dilate(own.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
                y = int((near & masks[i]).any())
                r = 9
                far = not masks[i][max(0, y0 - r) : y1 + r, max(0, x0 - r) : x1 + r].any()
                rows.append(feats)
                meta.append((GENERATED, y, KIND_CODES["spots"] if y else 0, int(far and not y), int(kept), 0, i))
    np.savez(path, x=np.array(rows), meta=np.array(meta, np.int64), features=np.array(motion.FEATURES))
    m = np.array(meta)
    print(f"wrote {path}: {len(rows)} candidates of {scenes} generated panning scenes, {int(m[:, 1].sum())} on "
          f"specks ({time.perf_counter() - t0:.0f} s)")


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, iters: int = 50) -> tuple:
    """Weighted L2-regularised logistic regression on standardised features (Newton steps)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    z = (x - mean) / scale
    coef, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(z @ coef + bias)))
        g, h = w * (p - y), w * p * (1 - p)
        zb = np.column_stack([z, np.ones(len(y))])
        hess = (zb * h[:, None]).T @ zb + np.diag([l2] * x.shape[1] + [1e-6])
        grad = zb.T @ g + np.append(l2 * coef, 0.0)
        step = np.linalg.solve(hess, grad)
        coef, bias = coef - step[:-1], bias - step[-1]
        if np.max(np.abs(step)) < 1e-8:
            break
    return mean, scale, coef, float(bias)


def fit_network(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float, units: int, seed: int = 0,
                iters: int = 3000, rate: float = 0.02) -> tuple:
    """Weighted, L2-regularised network of one hidden ``tanh`` layer on standardised features
    (full-batch Adam from a fixed seed: deterministic)."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    z = (x - mean) / scale
    rng = np.random.default_rng(seed)
    params = [rng.normal(0, 1 / np.sqrt(x.shape[1]), (units, x.shape[1])), np.zeros(units),
              rng.normal(0, 1 / np.sqrt(units), units), np.zeros(1)]
    moments = [(np.zeros_like(q), np.zeros_like(q)) for q in params]
    wn = w / w.sum()
    for t in range(1, iters + 1):
        a1, b1, a2, b2 = params
        hid = np.tanh(z @ a1.T + b1)
        p = 1 / (1 + np.exp(-(hid @ a2 + b2[0])))
        d = wn * (p - y)
        g2, gb2 = hid.T @ d + l2 * a2 / len(y), np.array([d.sum()])
        dh = np.outer(d, a2) * (1 - hid * hid)
        g1, gb1 = dh.T @ z + l2 * a1 / len(y), dh.sum(axis=0)
        for k, g in enumerate((g1, gb1, g2, gb2)):
            m, v = moments[k]
            m[...] = 0.9 * m + 0.1 * g
            v[...] = 0.999 * v + 0.001 * g * g
            params[k] = params[k] - rate * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    a1, b1, a2, b2 = params
    return mean, scale, a1, b1, a2, float(b2[0])


def _model(x, y, w, l2: float, names: tuple[str, ...], threshold: float = 0.0, units: int = 0) -> Verifier:
    if units > 0:
        mean, scale, a1, b1, a2, b2 = fit_network(x, y, w, l2, units)
        return Verifier.from_dict({"features": list(names), "mean": mean.tolist(), "scale": scale.tolist(),
                                   "hidden": a1.tolist(), "hidden_bias": b1.tolist(), "weights": a2.tolist(),
                                   "bias": b2, "threshold": threshold})
    mean, scale, coef, bias = fit_logistic(x, y, w, l2)
    return Verifier.from_dict({"features": list(names), "mean": mean.tolist(), "scale": scale.tolist(),
                               "weights": coef.tolist(), "bias": bias, "threshold": threshold})


def _columns(parts: list, names: tuple[str, ...]) -> np.ndarray:
    """The named features of every recorded candidate (``rules`` from the record when a
    recording predates it as a feature)."""
    out = []
    for d in parts:
        have = [str(f) for f in d["features"]]
        cols = [d["x"][:, have.index(n)] if n in have else d["meta"][:, 4].astype(float) for n in names]
        out.append(np.column_stack(cols))
    return np.concatenate(out)


def train(args: argparse.Namespace) -> None:
    parts = [np.load(p) for p in args.data]
    names = tuple(f for f in motion.FEATURES if f not in args.drop.split(","))
    x = _columns(parts, names)
    meta = np.concatenate([d["meta"] for d in parts])
    clip, y, kind, far, kept, clean = (meta[:, k] for k in range(6))
    gen = clip == GENERATED
    tuned = np.isin(kind, [KIND_CODES[k] for k in TUNE_KINDS])
    use = (y == 0) | tuned  # held-out kinds never seen
    pos, neg = use & (y == 1) & ~gen, use & (y == 0) & ~gen
    far_neg = neg & (far == 1) & (clean == 0)
    print(f"candidates on moving picture: {int(np.sum(~gen))}; training on {int(np.sum(use & ~gen))}: {int(pos.sum())} "
          f"tuned-kind damage ({int(np.sum(pos & (kept == 1)))} kept by the rules), {int(neg.sum())} not damage "
          f"({int(np.sum(neg & (kept == 1)))} kept by the rules; {int(far_neg.sum())} far from damage in "
          f"damaged runs, {int(np.sum(neg & (clean == 1)))} in undamaged runs)")
    gpos, gneg = gen & (y == 1), gen & (y == 0)
    if gen.any():
        print(f"generated panning scenes: {int(gpos.sum())} speck candidates ({int(np.sum(gpos & (kept == 1)))} kept "
              f"by the rules), {int(gneg.sum())} not damage ({int(np.sum(gneg & (kept == 1)))} kept by the rules), "
              f"weighed {args.gen_weight:g} x a tuning clip's candidate")
    n_real = int(np.sum(use & ~gen))
    w = np.where(y == 1, 1.0 / max(1, pos.sum()), args.neg_weight / max(1, neg.sum())) * n_real
    w = np.where(gen, args.gen_weight * w, w)
    # leave one clip out: every candidate is scored by a model that never saw its clip (the
    # generated scenes, when given, are always trained on; they are scored by a model of the
    # tuning clips alone)
    scores = np.full(len(y), np.nan)
    for c in np.unique(clip[use]):
        tr, te = use & (clip != c), use & (clip == c)
        scores[te] = _model(x[tr], y[tr], w[tr], args.l2, names, units=args.units).score(x[te])
    # the threshold keeps as much of the damage as the rules do (times --keep)
    share = float(np.mean(kept[pos] == 1)) * args.keep
    thr = float(np.quantile(scores[pos], 1 - share))
    print(f"rules: keep {np.sum(pos & (kept == 1))} damage, {np.sum(neg & (kept == 1))} not damage, "
          f"{np.sum(far_neg & (kept == 1))} far")
    for t in sorted({thr, *np.quantile(scores[pos], [0.02, 0.05, 0.1, 0.15])}):
        mark = "  <- chosen" if t == thr else ""
        extra = f"; generated specks {np.sum(gpos & (scores >= t))}, not {np.sum(gneg & (scores >= t))}" if gen.any() else ""
        print(f"  left-out clips, threshold {t:6.2f}: keeps {np.sum(pos & (scores >= t))} damage, "
              f"{np.sum(neg & (scores >= t))} not damage, {np.sum(far_neg & (scores >= t))} far{extra}{mark}")
    final = _model(x[use], y[use], w[use], args.l2, names, threshold=thr, units=args.units)
    if gen.any():
        fs = final.score(x[gen])
        print(f"final model on the generated scenes: keeps {np.sum(fs[y[gen] == 1] >= thr)} of {int(gpos.sum())} "
              f"specks, {np.sum(fs[y[gen] == 0] >= thr)} of {int(gneg.sum())} not damage")
    if final.hidden is None:
        print("weights: " + ", ".join(f"{n} {c:+.2f}" for n, c in zip(names, final.weights, strict=True)))
    d = final.to_dict()
    real_clips = [c for c in np.unique(clip) if c != GENERATED]
    d["trained_on"] = (f"signing clips {', '.join(TUNE_CLIPS[c] for c in real_clips)} (every 2nd and 3rd "
                       f"frame, every phase, runs of "
                       f"{RUN}), artifact kinds {', '.join(TUNE_KINDS)}"
                       + (f", and {int(gpos.sum())} speck and {int(gneg.sum())} other candidates of generated "
                          f"panning scenes weighed {args.gen_weight:g} x" if gen.any() else "")
                       + f"; the threshold keeps {args.keep:g} x the rules' share of the left-out clips' damage")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(d, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dump", type=Path, help="run detection on the tuning clips and record the candidates here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clips", default=",".join(TUNE_CLIPS), help="tuning clips to record (comma-separated)")
    ap.add_argument("--dump-generated", type=Path,
                    help="record the candidates of generated panning scenes (texture, a moving disc, specks) here")
    ap.add_argument("--scenes", type=int, default=60, help="how many generated panning scenes to record")
    ap.add_argument("--gen-weight", type=float, default=1.0,
                    help="weight of a generated scene's candidate against a tuning clip's")
    ap.add_argument("--data", type=Path, nargs="+", help="train from these recordings")
    ap.add_argument("--out", type=Path, default=ROOT / "restoration_core" / "resources" / "detect" / "verifier.json")
    ap.add_argument("--drop", default="rules", help="features to leave out (comma-separated; by default the "
                    "rules' answer, which weighed nothing once the other features were in)")
    ap.add_argument("--l2", type=float, default=1.0, help="L2 penalty of the logistic regression")
    ap.add_argument("--keep", type=float, default=1.0,
                    help="the threshold keeps this times the share of tuned-kind damage the rules keep")
    ap.add_argument("--neg-weight", type=float, default=1.0, help="weight of all non-damage against all damage")
    ap.add_argument("--units", type=int, default=0,
                    help="hidden tanh units (0: a plain logistic regression)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    cv2.setNumThreads(args.threads)
    if args.dump:
        if not (DATA / "artifacts").is_dir():
            print(f"skipped: reference data not found under {DATA}")
            return 0
        clips = tuple(c for c in args.clips.split(",") if c)
        if not set(clips) <= set(TUNE_CLIPS):
            ap.error(f"--clips: only the tuning clips {', '.join(TUNE_CLIPS)}")
        dump(args.dump, args.seed, clips)
    if args.dump_generated:
        dump_generated(args.dump_generated, args.scenes)
    if args.data:
        train(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
