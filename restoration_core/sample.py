"""A damaged sample reel the program makes itself: no external data, same result for same parameters.

Moving content (a textured background panning left, a textured disc crossing the frame,
film-like grain), dust and dirt specks (dark and bright, new ones every frame), a slowly
drifting vertical line scratch, and flicker (a per-frame gain). Written as FFV1 in MKV at
24 fps (8-bit RGB, lossless) with ground-truth masks (``masks/NNNNNN.png``, 0-based frame
index, 255 = damage) and ``sample.json`` describing what was generated. Flicker is a
global change, so it is in the description (``flicker_gain``), not in the masks.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from restoration_core.atomic import atomic_path, atomic_write_text
from restoration_core.errors import OutputError
from restoration_core.paths import data_dir

GENERATOR_VERSION = 2
FPS = Fraction(24)
REEL_NAME = "sample.mkv"
MASKS_NAME = "masks"
DESCRIPTION_NAME = "sample.json"


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Smooth multi-scale noise in [0, 1], shape HxW (clouds, foliage-like detail)."""
    out = np.zeros((height, width), np.float32)
    for cell, weight in ((96, 0.55), (24, 0.3), (6, 0.15)):
        small = rng.random((max(2, height // cell + 2), max(2, width // cell + 2)), dtype=np.float32)
        out += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    out -= out.min()
    return out / max(float(out.max()), 1e-6)


def _scene(frames: int, width: int, height: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Clean float RGB frames (0..255): a landscape with buildings panning left, a disc crossing it."""
    pan = 2
    full = width + pan * frames + 1
    bg = _texture(rng, height, full)
    horizon = np.linspace(1.0, 0.55, height, dtype=np.float32)[:, None]
    bg = 40 + 170 * (0.65 * bg + 0.35 * horizon)
    # buildings and posts: sharp edges and fine detail for motion estimation to lock on to
    detail = _texture(rng, height, full) - 0.5
    for _ in range(max(3, full // 40)):
        w = int(rng.integers(max(2, width // 40), max(3, width // 8)))
        x = int(rng.integers(0, full - w))
        top = int(rng.integers(height // 3, height - height // 6))
        shade = float(rng.uniform(45, 215))
        bg[top:, x : x + w] = shade + 25 * detail[top:, x : x + w]
        for wy in range(top + 4, height - 4, 9):  # windows
            bg[wy : wy + 3, x + 2 : x + w - 2 : 5] = 255 - shade
    tint = np.array([1.0, 0.93, 0.8], np.float32)  # warm, print-like
    radius = max(4, min(width, height) // 7)
    size = 2 * (radius + 2) + 1
    obj_tex = 70 + 160 * _texture(rng, size, size)  # the disc's own surface, carried with it
    yy, xx = np.mgrid[0:size, 0:size] - (radius + 2)
    dist = np.sqrt(xx**2 + yy**2)
    body, rim = dist <= radius, (dist > radius) & (dist <= radius + 2)
    for t in range(frames):
        lum = bg[:, t * pan : t * pan + width].copy()
        cx = int(round(width * (0.2 + 0.6 * t / max(1, frames - 1))))
        cy = int(round(height * (0.5 + 0.15 * np.sin(t / 5.0))))
        x0, y0 = cx - radius - 2, cy - radius - 2
        # clip the disc's square to the frame
        sx0, sy0 = max(0, -x0), max(0, -y0)
        sx1, sy1 = min(size, width - x0), min(size, height - y0)
        if sx1 > sx0 and sy1 > sy0:
            view = lum[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1]
            b, r = body[sy0:sy1, sx0:sx1], rim[sy0:sy1, sx0:sx1]
            view[b] = obj_tex[sy0:sy1, sx0:sx1][b]
            view[r] = 25  # a dark rim
        yield lum[:, :, None] * tint


def _speck(mask: np.ndarray, rng: np.random.Generator, big: bool) -> None:
    """Draw one irregular dust or dirt speck into ``mask``."""
    h, w = mask.shape
    r = rng.uniform(5, 11) if big else rng.uniform(1, 4)
    cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
    for _ in range(3 if big else 1):  # overlapping ellipses make ragged dirt
        axes = (max(1, int(r * rng.uniform(0.5, 1.2))), max(1, int(r * rng.uniform(0.5, 1.2))))
        centre = (
            cx + int(rng.integers(-r // 2 - 1, r // 2 + 2)),
            cy + int(rng.integers(-r // 2 - 1, r // 2 + 2)),
        )
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)


def render_sample(
    frames: int = 48, size: tuple[int, int] = (640, 360), seed: int = 0
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, dict]]:
    """Yield (damaged uint8 RGB, clean uint8 RGB, bool damage mask, per-frame facts) per frame."""
    width, height = size
    if frames < 1 or width < 16 or height < 16:
        raise ValueError(
            f"sample needs frames >= 1 and a size of at least 16x16, got {frames}, {width}x{height}"
        )
    rng = np.random.default_rng(seed)
    scratch_x0 = width * rng.uniform(0.3, 0.45)
    for t, lum in enumerate(_scene(frames, width, height, rng)):
        gain = float(1.0 + 0.07 * np.sin(2 * np.pi * t / 9.0) + rng.normal(0, 0.02))
        grain = cv2.GaussianBlur(rng.normal(0, 6.0, (height, width)).astype(np.float32), (0, 0), 0.7)[
            ..., None
        ]
        clean = np.clip(lum * gain + grain, 0, 255).round().astype(np.uint8)
        damaged = clean.copy()
        mask = np.zeros((height, width), np.uint8)
        dark = np.zeros((height, width), np.uint8)
        n_dust = int(rng.integers(4, 12))
        for i in range(n_dust):
            one = np.zeros_like(mask)
            _speck(one, rng, big=i == 0 and rng.random() < 0.5)
            if rng.random() < 0.6:
                dark |= one
            mask |= one
        speck_grain = rng.normal(0, 3.0, (height, width, 1))
        base = np.where(dark[..., None].astype(bool), rng.uniform(8, 30), rng.uniform(215, 245))
        specks = np.clip(base + speck_grain, 0, 255).astype(np.uint8)
        damaged[mask.astype(bool)] = specks[mask.astype(bool)]
        # a bright vertical scratch, one or two pixels wide, drifting slowly sideways
        x = scratch_x0 + 0.5 * t + 3.0 * np.sin(t / 6.0)
        x0 = int(round(x))
        x1 = min(width, x0 + (2 if t % 3 else 1))
        y0 = int(height * 0.05)
        y1 = int(height * 0.95)
        strip = damaged[y0:y1, x0:x1].astype(np.float32)
        damaged[y0:y1, x0:x1] = np.clip(strip * 0.3 + 185, 0, 255).astype(np.uint8)
        mask[y0:y1, x0:x1] = 1
        changed = np.any(damaged != clean, axis=2)
        facts = {"flicker_gain": gain, "scratch_x": float(x), "dust": n_dust}
        yield damaged, clean, changed, facts


def _key(frames: int, size: tuple[int, int], seed: int) -> str:
    text = f"v{GENERATOR_VERSION}-f{frames}-{size[0]}x{size[1]}-s{seed}"
    return f"{text}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def _write(folder: Path, frames: int, size: tuple[int, int], seed: int) -> None:
    """Generate the reel, its masks and its description into an (empty) ``folder``."""
    masks = folder / MASKS_NAME
    masks.mkdir(parents=True)
    facts: list[dict] = []
    with av.open(str(folder / REEL_NAME), "w", format="matroska") as out:
        stream = out.add_stream("ffv1", rate=FPS)
        stream.width, stream.height = size
        stream.pix_fmt = "bgr0"
        stream.codec_context.time_base = 1 / FPS
        for index, (damaged, _clean, mask, info) in enumerate(render_sample(frames, size, seed)):
            frame = av.VideoFrame.from_ndarray(damaged, format="rgb24")
            frame.pts, frame.time_base = index, 1 / FPS
            for packet in stream.encode(frame):
                out.mux(packet)
            ok, buf = cv2.imencode(".png", np.where(mask, 255, 0).astype(np.uint8))
            (masks / f"{index:06d}.png").write_bytes(buf.tobytes())
            facts.append(info)
        for packet in stream.encode():
            out.mux(packet)
    description = {
        "generator": f"reelwright sample v{GENERATOR_VERSION}",
        "reel": REEL_NAME,
        "masks": MASKS_NAME,
        "frames": frames,
        "fps": f"{FPS.numerator}/{FPS.denominator}",
        "width": size[0],
        "height": size[1],
        "seed": seed,
        "damage": "dust and dirt specks (dark and bright), one drifting vertical line scratch; flicker per frame",
        "flicker_gain": [round(f["flicker_gain"], 5) for f in facts],
        "scratch_x": [round(f["scratch_x"], 3) for f in facts],
        "dust_per_frame": [f["dust"] for f in facts],
    }
    (folder / DESCRIPTION_NAME).write_text(json.dumps(description, indent=1), encoding="utf-8")


def cached_sample(frames: int = 48, size: tuple[int, int] = (640, 360), seed: int = 0) -> Path:
    """The sample's folder in ``data_dir()/samples``, generated on first use (whole or not at all)."""
    folder = data_dir() / "samples" / _key(frames, size, seed)
    if not (folder / DESCRIPTION_NAME).is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder) as tmp:
            _write(tmp, frames, size, seed)
    return folder


def make_sample_reel(
    folder: str | Path | None = None, frames: int = 48, size: tuple[int, int] = (640, 360), seed: int = 0
) -> Path:
    """Make the damaged sample reel and return the path of its ``sample.mkv``.

    With ``folder`` None the cached copy in ``data_dir()`` is returned (instant the second
    time); otherwise ``sample.mkv``, ``masks/`` and ``sample.json`` are copied into ``folder``.
    """
    cached = cached_sample(frames, tuple(size), seed)
    if folder is None:
        return cached / REEL_NAME
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder ({exc.strerror or exc})", folder) from None
    if not folder.is_dir():
        raise OutputError("output location is not a folder", folder)
    with atomic_path(folder / REEL_NAME) as tmp:
        shutil.copyfile(cached / REEL_NAME, tmp)
    with atomic_path(folder / MASKS_NAME) as tmp:
        shutil.copytree(cached / MASKS_NAME, tmp)
    atomic_write_text(folder / DESCRIPTION_NAME, (cached / DESCRIPTION_NAME).read_text(encoding="utf-8"))
    return folder / REEL_NAME
