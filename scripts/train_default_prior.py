"""Train the default inpainting prior that ships with Reelwright (restoration_core/resources/prior/).

A concat-conditioned pixel UNet (the ``train-prior`` architecture: 32-64-128, 64 px tiles,
input = [x_t, image with holes at 0, hole mask]) trained with the same code as
``reelwright train-prior`` (:func:`restoration_core.diffusion.train_prior.train_prior`) on
patches of frames from ``../shared/data``, which is never copied into the repository:

- trained on: ``clean/car-detection.mp4`` (12 frames), six ASL clips (again, bird, book,
  brother, eat, help; 3 frames each) and ``old-film/reel-a`` (12 of its 24 frames);
- held out for ``scripts/bench/bench_diffusion.py``: the ASL clips hungry, learn, milk and
  night, and ``old-film/reel-b.mkv``.

It writes the diffusers folder (config.json, diffusion_pytorch_model.safetensors,
scheduler_config.json) and ``reelwright.json``, the card: what it was trained on with the
licences, the steps, the seed, the loss curve, the CPU time and the SHA-256 of the weights
(checked at every load).

    OMP_NUM_THREADS=1 nice -n 10 python scripts/train_default_prior.py [--steps 900] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restoration_core.diffusion.train_prior import MARKER, PriorSettings, train_prior  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "restoration_core" / "resources" / "prior"
TRAIN_ASL = ("again", "bird", "book", "brother", "eat", "help")
HELD_OUT_ASL = ("hungry", "learn", "milk", "night")
LICENCES = {
    "clean/car-detection.mp4": "intel-iot-devkit/sample-videos, CC BY 4.0",
    "clean/asl": "intel-iot-devkit/sample-videos (asl_gestures/), CC BY 4.0",
    "old-film/reel-a": "raywzy/Bringing-Old-Films-Back-to-Life (CVPR 2022), test_data/data_1/001",
}


def video_frames(path: Path, count: int) -> tuple[list[np.ndarray], list[int]]:
    """``count`` RGB frames spread evenly over the video (and their indices)."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        raise SystemExit(f"{path}: no frames could be read")
    picks = sorted(set(np.linspace(0, len(frames) - 1, count).round().astype(int).tolist()))
    return [frames[i] for i in picks], picks


def image_frames(folder: Path, count: int) -> tuple[list[np.ndarray], list[str]]:
    files = sorted(folder.glob("*.png"))
    picks = sorted(set(np.linspace(0, len(files) - 1, count).round().astype(int).tolist()))
    out = []
    for i in picks:
        img = cv2.imread(str(files[i]), cv2.IMREAD_COLOR)
        out.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    return out, [files[i].name for i in picks]


class ListReel:
    """The training frames of several sources as one reel (len(), read(i) -> Frame)."""

    def __init__(self, frames: list[np.ndarray]):
        self.frames = frames
        self.info = type("Info", (), {"path": "../shared/data (see sources in the card)"})()

    def __len__(self) -> int:
        return len(self.frames)

    def read(self, i: int):
        return SimpleNamespace(data=self.frames[i], index=i)


def gather() -> tuple[list[np.ndarray], list[dict]]:
    frames: list[np.ndarray] = []
    sources: list[dict] = []
    car, idx = video_frames(DATA / "clean" / "car-detection.mp4", 12)
    frames += car
    sources.append({"path": "clean/car-detection.mp4", "frames": idx, "licence": LICENCES["clean/car-detection.mp4"]})
    for name in TRAIN_ASL:
        got, idx = video_frames(DATA / "clean" / "asl" / f"{name}.mkv", 3)
        frames += got
        sources.append({"path": f"clean/asl/{name}.mkv", "frames": idx, "licence": LICENCES["clean/asl"]})
    reel, names = image_frames(DATA / "old-film" / "reel-a", 12)
    frames += reel
    sources.append({"path": "old-film/reel-a", "frames": names, "licence": LICENCES["old-film/reel-a"],
                    "note": "real old film: its own dust and scratches were not masked out"})
    return frames, sources


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=900)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--minutes", type=float, help="stop after this many wall minutes (the card says the steps done)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent (training the default prior needs ../shared/data)")
        return 0
    import torch

    frames, sources = gather()
    settings = PriorSettings(steps=args.steps, size=64, batch=args.batch, lr=args.lr, seed=args.seed,
                             channels=(32, 64, 128), frames=len(frames), device=args.device,
                             max_seconds=args.minutes * 60 if args.minutes else None)
    curve: list[list[float]] = []
    chunk: list[float] = []
    cpu0, wall0 = time.process_time(), time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "prior"
        task = train_prior(ListReel(frames), folder, settings)
        try:
            while True:
                p = next(task)
                if p.payload is None:
                    continue
                chunk.append(float(p.payload))
                if len(chunk) == 25 or p.done == p.total:
                    curve.append([p.done, round(float(np.mean(chunk)), 5)])
                    print(f"step {p.done}/{p.total} loss {curve[-1][1]:.4f}  "
                          f"cpu {time.process_time() - cpu0:.0f}s wall {time.monotonic() - wall0:.0f}s", flush=True)
                    chunk = []
        except StopIteration:
            pass
        info = json.loads((folder / MARKER).read_text())
        weights = folder / "diffusion_pytorch_model.safetensors"
        card = {
            "name": "default",
            "kind": "pixel-unet-concat",
            "conditioning": info["conditioning"],
            "weights": weights.name,
            "sha256": sha256(weights),
            "bytes": weights.stat().st_size,
            "params": None,
            "trained_on": sources,
            "held_out": [f"clean/asl/{n}.mkv" for n in HELD_OUT_ASL] + ["old-film/reel-b.mkv"],
            "patches": "random 64x64 patches (horizontal flips) of the frames above, with synthetic "
                       "holes (strokes, blobs, stains, vertical lines) from restoration_core.diffusion.synthetic_masks",
            "steps": info["steps_done"],
            "batch": args.batch,
            "lr": args.lr,
            "seed": args.seed,
            "device": info["device"],
            "cpu_seconds": round(time.process_time() - cpu0, 1),
            "wall_seconds": round(time.monotonic() - wall0, 1),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "loss_curve": curve,
            "final_loss": info["final_loss"],
            "script": "scripts/train_default_prior.py",
            "created": info["created"],
        }
        from safetensors import safe_open

        with safe_open(str(weights), "pt") as f:
            card["params"] = int(sum(np.prod(f.get_slice(k).get_shape()) for k in f.keys()))
        (folder / MARKER).write_text(json.dumps(card, indent=1))
        if args.out.exists():
            shutil.rmtree(args.out)
        shutil.copytree(folder, args.out)
        for f in args.out.iterdir():
            f.chmod(0o644)
    print(f"saved {args.out} ({card['bytes'] / 1e6:.1f} MB, sha256 {card['sha256']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
