"""Benchmark: is a diffusion fill better than the classical fills, where, and at what cost?

Held-out material only (the shipped prior was trained on car-detection, six ASL clips and
reel-a; see restoration_core/resources/prior/reelwright.json): the clean ASL clip ``milk``
(moving hands and arms before a still background) and the real old film ``reel-b``, 12
frames each (every second frame, film-like motion). Damage with ground truth:

- ``persistent``: 3 blotches/stains of 16-64 px held at fixed places over all 12 frames, on
  textured areas; on reel-b only where the film itself is clean (the truth is known);
  time cannot supply them (every neighbour has the same hole);
- ``moving``: one large hole (32-48 px) per frame on moving content, at a new place each
  frame; time can supply it.

Methods, each through the real ``restore_frames``: Telea and Navier-Stokes (classical, no
grain), Telea + synthetic grain (the program's grain model), temporal fill (engine
``temporal``, classical fallback + grain), the shipped prior (``default``), and the prior
adapted to the reel (``train_prior --from default`` on the damaged reel's own frames, the
holes excluded; steps and CPU minutes printed). (Engine ``auto`` no longer uses a model, so
there is no temporal -> diffusion row: README, Models.)

Metrics inside the holes: PSNR (RGB) and SSIM (luma); texture ratio = high-frequency energy
inside the fill / in the ring around it (1.0 = as the film; the truth's own ratio printed
beside it); grain ratio = std of the fill's high frequencies / the truth's in the hole;
E_warp (x1e-4) inside persistent repairs along the clean clip's flow (the truth's own
E_warp printed); CPU seconds per region. ``--curve`` instead measures the fine-tuning curve
(loss and fill PSNR against steps) on reel-b.

    OMP_NUM_THREADS=1 python scripts/bench/bench_diffusion.py [--frames 12] [--steps 10] [--adapt-steps 100]
        [--json out.json] [--crops DIR] [--curve 0,50,100,200]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from restoration_core.cli.train_prior import FROM_STEPS  # noqa: E402
from restoration_core.detect.flow import estimate_flow, reliable, to_luma, warp  # noqa: E402
from restoration_core.diffusion import load_fill_engine  # noqa: E402
from restoration_core.diffusion.registry import builtin_prior_path  # noqa: E402
from restoration_core.diffusion.synthetic_masks import synthetic_mask  # noqa: E402
from restoration_core.diffusion.train_prior import PatchSampler, PriorSettings, train_prior  # noqa: E402
from restoration_core.media.frame import Frame  # noqa: E402
from restoration_core.metrics.quality import psnr, ssim_map  # noqa: E402
from restoration_core.restore import RestoreSettings, restore_frames  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SEQUENCES = {"asl-milk (clean)": DATA / "clean" / "asl" / "milk.mkv",
             "reel-b (old film)": DATA / "old-film" / "reel-b.mkv"}
FRAMES = 12


class ArrayReel:
    """Frames in memory as a reel (len, read, frames)."""

    def __init__(self, frames: list[np.ndarray]):
        self._frames = frames
        h, w = frames[0].shape[:2]
        self.info = type("Info", (), {"width": w, "height": h, "frames": len(frames), "path": "bench"})()

    def __len__(self) -> int:
        return len(self._frames)

    def read(self, index: int) -> Frame:
        return Frame(self._frames[index], index)

    def frames(self, start: int = 0, stop: int | None = None):
        for i in range(start, len(self._frames) if stop is None else stop):
            yield Frame(self._frames[i], i)


def read_clip(path: Path, n: int = FRAMES, every: int = 2) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames, k = [], 0
    while len(frames) < n:
        ok, bgr = cap.read()
        if not ok:
            break
        if k % every == 0:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        k += 1
    cap.release()
    return frames


# -- damage with ground truth ---------------------------------------------------------------
def stain(shape: tuple[int, int], center: tuple[int, int], diameter: int, rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 11))
    radii = diameter / 2 * rng.uniform(0.65, 1.0, 11)
    pts = np.stack([center[1] + radii * np.cos(angles), center[0] + radii * np.sin(angles)], 1)
    cv2.fillPoly(mask, [pts.astype(np.int32).reshape(-1, 1, 2)], 1)
    return mask.astype(bool)


def fine_texture(gray: np.ndarray, k: int = 31) -> np.ndarray:
    """Local energy of the fine detail (grain, weave, small texture), not of large edges."""
    hp = gray - cv2.GaussianBlur(gray, (0, 0), 1.5)
    return cv2.blur(hp * hp, (k, k))


def film_defects(frames: list[np.ndarray]) -> np.ndarray:
    """Pixels where any frame departs from the temporal median (dust, dirt) or the picture moves."""
    g = np.stack([to_luma(f) for f in frames])
    return cv2.dilate((np.abs(g - np.median(g, 0)).max(0) > 0.05).astype(np.uint8), np.ones((9, 9))) > 0


def persistent_masks(frames: list[np.ndarray], rng: np.random.Generator, count: int = 3) -> list[np.ndarray]:
    """``count`` stains of 16-64 px at fixed places on still, clean areas with more fine texture
    than the median."""
    h, w = frames[0].shape[:2]
    gray = to_luma(frames[0]).astype(np.float32)
    tex = fine_texture(gray)
    bad = film_defects(frames)
    mask = np.zeros((h, w), bool)
    clear = cv2.distanceTransform((~bad).astype(np.uint8), cv2.DIST_L2, 5)  # px to the nearest defect
    ok = tex > np.median(tex[~bad])
    ok[:40], ok[-40:], ok[:, :40], ok[:, -40:] = False, False, False, False
    for d in (64, 40, 20)[:count]:
        free = ok & (clear > d / 2 + 2) & (cv2.dilate(mask.astype(np.uint8), np.ones((d + 40, d + 40))) == 0)
        ys, xs = np.nonzero(free)
        if len(ys) == 0:
            continue
        k = int(rng.integers(len(ys)))
        mask |= stain((h, w), (int(ys[k]), int(xs[k])), d, rng)
    return [mask] * len(frames)


def moving_masks(frames: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """One hole of 32-48 px per frame where the picture moves most (a new place each frame),
    by optical flow (dust specks, which flicker but do not move, are avoided)."""
    h, w = frames[0].shape[:2]
    out = []
    for i, f in enumerate(frames):
        j = i + 1 if i + 1 < len(frames) else i - 1
        flow = estimate_flow(to_luma(f), to_luma(frames[j]))
        motion = cv2.GaussianBlur(np.hypot(flow[..., 0], flow[..., 1]).astype(np.float32), (0, 0), 12)
        motion[:40], motion[-40:], motion[:, :40], motion[:, -40:] = 0, 0, 0, 0
        y, x = np.unravel_index(int(np.argmax(motion)), motion.shape)
        out.append(stain((h, w), (int(y), int(x)), int(rng.integers(32, 49)), rng))
    return out


def damage(frames: list[np.ndarray], masks: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    out = []
    for f, m in zip(frames, masks, strict=True):
        d = f.copy()
        d[m] = np.clip(40 + rng.normal(0, 8, (int(m.sum()), 3)), 0, 255).astype(np.uint8)  # a dark stain
        out.append(d)
    return out


# -- metrics -----------------------------------------------------------------------------------
def highpass(img: np.ndarray) -> np.ndarray:
    g = to_luma(img).astype(np.float32)
    return g - cv2.GaussianBlur(g, (0, 0), 1.5)


def texture_ratio(out: np.ndarray, mask: np.ndarray) -> float:
    inner = cv2.erode(mask.astype(np.uint8), np.ones((5, 5))) > 0
    inner = inner if inner.sum() >= 20 else mask
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((19, 19))) > 0
    ring = grown & ~(cv2.dilate(mask.astype(np.uint8), np.ones((5, 5))) > 0)
    hp = highpass(out) ** 2
    return float(hp[inner].mean() / max(hp[ring].mean(), 1e-12))


def grain_ratio(out: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float:
    inner = cv2.erode(mask.astype(np.uint8), np.ones((5, 5))) > 0
    inner = inner if inner.sum() >= 20 else mask
    return float(highpass(out)[inner].std() / max(highpass(truth)[inner].std(), 1e-12))


def ewarp_in(outputs: list[np.ndarray], flows: list[tuple[np.ndarray, np.ndarray]], masks: list[np.ndarray]) -> float:
    errs = []
    for t, (fw, ok) in enumerate(flows):
        sel = ok & masks[t] & masks[t + 1]
        if sel.sum() < 10:
            continue
        cur = outputs[t].astype(np.float32) / 255
        nxt = warp(outputs[t + 1].astype(np.float32) / 255, fw)
        errs.append(float(np.mean((cur - nxt)[sel].astype(np.float64) ** 2)))
    return float(np.mean(errs)) if errs else float("nan")


def truth_flows(frames: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for a, b in zip(frames, frames[1:], strict=False):
        la, lb = to_luma(a), to_luma(b)
        fw, bw = estimate_flow(la, lb), estimate_flow(lb, la)
        out.append((fw, reliable(fw, bw)))
    return out


@dataclass
class Result:
    method: str
    psnr: float
    ssim: float
    texture: float
    grain: float
    ewarp: float
    cpu_per_region: float
    regions: int
    outputs: list[np.ndarray] = field(default_factory=list, repr=False)


def measure(name: str, truth: list[np.ndarray], damaged: list[np.ndarray], masks: list[np.ndarray],
            settings: RestoreSettings, engine, flows, persistent: bool) -> Result:
    reel = ArrayReel(damaged)
    regions = sum(cv2.connectedComponents(m.astype(np.uint8))[0] - 1 for m in masks)
    cpu0 = time.process_time()
    outs: dict[int, np.ndarray] = {}
    for p in restore_frames(reel, None, lambda i: masks[i], settings, fill_engine=engine):
        if p.stage == "frame" and p.payload is not None:
            outs[p.payload.index] = p.payload.data
    cpu = time.process_time() - cpu0
    outputs = [outs[i] for i in range(len(truth))]
    all_out = np.concatenate([o[m] for o, m in zip(outputs, masks, strict=True)])
    all_true = np.concatenate([t[m] for t, m in zip(truth, masks, strict=True)])
    ss = np.concatenate([ssim_map(o, t)[m] for o, t, m in zip(outputs, truth, masks, strict=True)])
    return Result(
        name, psnr(all_out, all_true), float(ss.mean()),
        float(np.mean([texture_ratio(o, m) for o, m in zip(outputs, masks, strict=True)])),
        float(np.mean([grain_ratio(o, t, m) for o, t, m in zip(outputs, truth, masks, strict=True)])),
        ewarp_in(outputs, flows, masks) if persistent else float("nan"),
        cpu / max(regions, 1), regions, outputs)


# -- adaptation --------------------------------------------------------------------------------
def adapt(damaged: list[np.ndarray], holes: list[np.ndarray], out: Path, steps: int, init: str = "default",
          lr: float = 1e-4, seed: int = 0) -> tuple[Path, float, list[float]]:
    """Fine-tune ``init`` on the damaged reel's own patches away from the holes; (folder, CPU s, losses)."""
    grown = [cv2.dilate(h.astype(np.uint8), np.ones((9, 9))) > 0 for h in holes]
    settings = PriorSettings(steps=steps, batch=8, lr=lr, seed=seed, frames=len(damaged), device="cpu",
                             init_from=init)
    cpu0 = time.process_time()
    losses: list[float] = []
    task = train_prior(ArrayReel(damaged), out, settings, mask_for=lambda i: grown[i])
    try:
        while True:
            p = next(task)
            if p.payload is not None:
                losses.append(float(p.payload))
    except StopIteration:
        pass
    return out, time.process_time() - cpu0, losses


def eval_loss(folder: Path, frames: list[np.ndarray], holes: list[np.ndarray], n: int = 48) -> float:
    """Masked denoising loss of a prior on a fixed set of patches, noise and timesteps of the reel."""
    import torch
    from diffusers import DDPMScheduler, UNet2DModel

    rng = np.random.default_rng(123)
    grown = [cv2.dilate(h.astype(np.uint8), np.ones((9, 9))) > 0 for h in holes]
    sampler = PatchSampler(ArrayReel(frames), 64, len(frames), rng, mask_for=lambda i: grown[i])
    x0 = torch.from_numpy(np.stack([sampler.patch() for _ in range(n)]) * 2 - 1).permute(0, 3, 1, 2).float()
    m = torch.from_numpy(np.stack([synthetic_mask(rng, 64) for _ in range(n)]))[:, None].float()
    g = torch.Generator().manual_seed(7)
    noise = torch.randn(x0.shape, generator=g)
    t = torch.linspace(20, 980, n).long()
    a = DDPMScheduler(num_train_timesteps=1000).alphas_cumprod[t].view(-1, 1, 1, 1)
    xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
    unet = UNet2DModel.from_pretrained(folder, local_files_only=True).eval()
    with torch.inference_mode():
        pred = unet(torch.cat([xt, x0 * (1 - m), m], 1), t).sample
    return float((((pred - noise) ** 2) * (1 + 3 * m)).mean())


# -- output --------------------------------------------------------------------------------------
def table(rows: list[tuple[str, str, Result]], truth_tex: dict, truth_ewarp: dict) -> str:
    head = ("| material | damage | method | PSNR dB | SSIM | texture (truth) | grain | E_warp x1e-4 (truth) "
            "| CPU s/region |\n|---|---|---|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for seq, scen, r in rows:
        key = (seq, scen)
        ew = "-" if np.isnan(r.ewarp) else f"{1e4 * r.ewarp:.1f} ({1e4 * truth_ewarp[key]:.1f})"
        lines.append(f"| {seq} | {scen} | {r.method} | {r.psnr:.2f} | {r.ssim:.3f} | "
                     f"{r.texture:.2f} ({truth_tex[key]:.2f}) | {r.grain:.2f} | {ew} | {r.cpu_per_region:.2f} |")
    return "\n".join(lines)


def crops(folder: Path, seq: str, truth: list[np.ndarray], damaged: list[np.ndarray], mask: np.ndarray,
          results: list[Result], frame: int = 5) -> Path:
    """One persistent stain: truth, damaged and each method, 3x (nearest), labelled."""
    n, lab = cv2.connectedComponents(mask.astype(np.uint8))
    sizes = [(lab == k).sum() for k in range(1, n)]
    k = 1 + int(np.argmax(sizes))
    ys, xs = np.nonzero(lab == k)
    cy, cx = int(ys.mean()), int(xs.mean())
    half = 48
    frame = min(frame, len(truth) - 1)
    y0, x0 = max(0, cy - half), max(0, cx - half)
    tiles = [("truth", truth[frame]), ("damaged", damaged[frame])] + [(r.method, r.outputs[frame]) for r in results]
    out = []
    for label, img in tiles:
        c = cv2.resize(img[y0:y0 + 2 * half, x0:x0 + 2 * half], None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)
        c = cv2.copyMakeBorder(c, 24, 4, 4, 4, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        cv2.putText(c, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        out.append(c)
    rows = [np.concatenate(out[i:i + 4], 1) for i in range(0, len(out), 4)]
    width = max(r.shape[1] for r in rows)
    rows = [cv2.copyMakeBorder(r, 0, 0, 0, width - r.shape[1], cv2.BORDER_CONSTANT, value=(255, 255, 255))
            for r in rows]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"diffusion-{seq.split()[0]}.png"
    cv2.imwrite(str(path), cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
    return path


def run_curve(points: list[int], steps: int, tmp: Path, frames: int) -> None:
    truth = read_clip(SEQUENCES["reel-b (old film)"], frames)
    rng = np.random.default_rng(1)
    masks = persistent_masks(truth, rng)
    damaged = damage(truth, masks, rng)
    flows = truth_flows(truth)
    st = RestoreSettings(engine="diffusion", steps=steps, grain=False)

    prev, done, cpu = str(builtin_prior_path()), 0, 0.0
    base = measure("telea", truth, damaged, masks, RestoreSettings(engine="classical", grain=False), None,
                   flows, True)
    print(f"reel-b, {len(truth)} frames, persistent stains; telea: PSNR {base.psnr:.2f} dB, texture "
          f"{base.texture:.2f}; diffusion {steps} steps")
    print("| fine-tuning steps | CPU min | eval loss | train loss (last 25) | PSNR dB | texture |\n"
          "|---:|---:|---:|---:|---:|---:|")
    for target in points:
        last = float("nan")
        if target > done:
            folder, sec, losses = adapt(damaged, masks, tmp / f"adapt-{target}", target - done, init=prev)
            prev, done, cpu = str(folder), target, cpu + sec
            last = float(np.mean(losses[-25:]))
        r = measure("prior", truth, damaged, masks, st, load_fill_engine(prev, device="cpu", steps=steps),
                    flows, True)
        print(f"| {done} | {cpu / 60:.1f} | {eval_loss(Path(prev), damaged, masks):.4f} | {last:.4f} | "
              f"{r.psnr:.2f} | {r.texture:.2f} |", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10, help="denoising steps of the diffusion fills")
    ap.add_argument("--adapt-steps", type=int, default=FROM_STEPS,
                    help=f"fine-tuning steps of the adapted prior (default {FROM_STEPS}, as train-prior --from)")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--crops", type=Path, help="write crops of one persistent stain per material here")
    ap.add_argument("--curve", help="comma-separated fine-tuning steps: measure the adaptation curve instead")
    ap.add_argument("--frames", type=int, default=FRAMES, help=f"frames per clip (default {FRAMES})")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    missing = [p for p in SEQUENCES.values() if not p.exists()]
    if missing:
        print(f"skipped: {missing[0]} is absent (the benchmark needs ../shared/data)")
        return 0
    wall0, cpu0 = time.monotonic(), time.process_time()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if args.curve:
            run_curve([int(v) for v in args.curve.split(",")], args.steps, tmp, args.frames)
            print(f"total {time.monotonic() - wall0:.0f} s wall, {time.process_time() - cpu0:.0f} s CPU")
            return 0
        prior = load_fill_engine("default", device="cpu", steps=args.steps)
        rows, truth_tex, truth_ew, adapted_info, summary = [], {}, {}, {}, []
        for s_idx, (seq, path) in enumerate(SEQUENCES.items()):
            truth = read_clip(path, args.frames)
            rng = np.random.default_rng(10 + s_idx)
            scen = {"persistent": persistent_masks(truth, rng), "moving": moving_masks(truth, rng)}
            dmg = {k: damage(truth, m, rng) for k, m in scen.items()}
            flows = truth_flows(truth)
            union = [a | b for a, b in zip(scen["persistent"], scen["moving"], strict=True)]
            both = damage(truth, union, rng)
            folder, sec, losses = adapt(both, union, tmp / f"adapted-{s_idx}", args.adapt_steps)
            adapted = load_fill_engine(str(folder), device="cpu", steps=args.steps)
            adapted_info[seq] = {"steps": args.adapt_steps, "cpu_minutes": round(sec / 60, 2),
                                 "loss_first_25": float(np.mean(losses[:25])),
                                 "loss_last_25": float(np.mean(losses[-25:]))}
            print(f"{seq}: adapted prior: {args.adapt_steps} steps, {sec / 60:.1f} CPU min, loss "
                  f"{adapted_info[seq]['loss_first_25']:.4f} -> {adapted_info[seq]['loss_last_25']:.4f}", flush=True)
            methods = [
                ("telea", RestoreSettings(engine="classical", grain=False), None),
                ("navier-stokes", RestoreSettings(engine="classical", grain=False, classical_method="ns"), None),
                ("telea + grain", RestoreSettings(engine="classical", grain=True), None),
                ("temporal", RestoreSettings(engine="temporal", grain=True), None),
                ("shipped prior", RestoreSettings(engine="diffusion", steps=args.steps, grain=False), prior),
                ("adapted prior", RestoreSettings(engine="diffusion", steps=args.steps, grain=False), adapted),
            ]
            for name, masks in scen.items():
                key = (seq, name)
                persistent = name == "persistent"
                truth_tex[key] = float(np.mean([texture_ratio(t, m) for t, m in zip(truth, masks, strict=True)]))
                truth_ew[key] = ewarp_in(truth, flows, masks) if persistent else float("nan")
                results = []
                for label, st, eng in methods:
                    r = measure(label, truth, dmg[name], masks, st, eng, flows, persistent)
                    results.append(r)
                    rows.append((seq, name, r))
                    print(f"  {seq} {name:10s} {label:20s} PSNR {r.psnr:6.2f}  SSIM {r.ssim:.3f}  texture "
                          f"{r.texture:.2f} (truth {truth_tex[key]:.2f})  grain {r.grain:.2f}  E_warp "
                          f"{1e4 * r.ewarp:.1f} (truth {1e4 * truth_ew[key]:.1f})  {r.cpu_per_region:.2f} CPU s/region",
                          flush=True)
                best_classical = max(r.psnr for r in results if r.method in ("telea", "navier-stokes",
                                                                             "telea + grain", "temporal"))
                ad = next(r for r in results if r.method == "adapted prior")
                summary.append({"material": seq, "damage": name, "adapted_minus_best_classical_db":
                                round(ad.psnr - best_classical, 2), "adapted_texture": round(ad.texture, 2)})
                if persistent and args.crops:
                    print(f"  crops: {crops(args.crops, seq, truth, dmg[name], masks[0], results)}")
    print()
    print(f"diffusion: {args.steps} DDIM steps (RePaint resampling in the first half), CPU, 1 thread; "
          f"adapted prior: {args.adapt_steps} fine-tuning steps from the shipped prior")
    print(table(rows, truth_tex, truth_ew))
    for s in summary:
        print(f"{s['material']} {s['damage']}: adapted prior - best classical/temporal = "
              f"{s['adapted_minus_best_classical_db']:+.2f} dB, texture {s['adapted_texture']:.2f}")
    print(f"total {time.monotonic() - wall0:.0f} s wall, {time.process_time() - cpu0:.0f} s CPU")
    if args.json:
        args.json.write_text(json.dumps({
            "steps": args.steps, "adapted": adapted_info, "summary": summary,
            "rows": [{"material": s, "damage": d, "method": r.method, "psnr": r.psnr, "ssim": r.ssim,
                      "texture": r.texture, "truth_texture": truth_tex[(s, d)], "grain": r.grain,
                      "ewarp": None if np.isnan(r.ewarp) else r.ewarp,
                      "truth_ewarp": None if np.isnan(truth_ew[(s, d)]) else truth_ew[(s, d)],
                      "cpu_per_region": r.cpu_per_region, "regions": r.regions} for s, d, r in rows]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
