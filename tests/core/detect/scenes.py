"""Small generated clips with known damage for the detection tests (no outside data)."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from restoration_core.media.frame import Frame


class ArrayReel:
    """In-memory reel with the methods detection uses: len, read, frames, info."""

    def __init__(self, frames: list[np.ndarray], fps: float = 24.0):
        self._frames = frames
        h, w = frames[0].shape[:2]
        self.info = type("Info", (), {"width": w, "height": h, "frames": len(frames), "fps": fps})()
        self.reads = 0

    def __len__(self) -> int:
        return len(self._frames)

    def read(self, index: int) -> Frame:
        self.reads += 1
        return Frame(self._frames[index], index)

    def frames(self, start: int = 0, stop: int | None = None):
        for i in range(start, len(self._frames) if stop is None else stop):
            self.reads += 1
            yield Frame(self._frames[i], i)


@dataclass
class Scene:
    frames: list[np.ndarray]
    specks: list[np.ndarray]  # bool HxW per frame: where dust was put
    line_x: list[float] = field(default_factory=list)  # scratch centre per frame
    disc: list[tuple[float, float]] = field(default_factory=list)  # moving object's centre per frame

    def reel(self) -> ArrayReel:
        return ArrayReel(self.frames)


def texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros((h, w), np.float32)
    for cell, weight in ((24, 0.6), (8, 0.3), (3, 0.1)):
        small = rng.random((h // cell + 2, w // cell + 2)).astype(np.float32)
        out += weight * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(0.2 + 0.6 * out, 0, 1)


def make_scene(
    n: int = 7,
    size: tuple[int, int] = (160, 120),
    pan: float = 0.0,
    disc_speed: float = 0.0,
    specks: int = 4,
    line: bool = True,
    grain: float = 0.008,
    seed: int = 0,
    dtype=np.uint8,
    gains: list[float] | None = None,
) -> Scene:
    """A textured background (optionally panning), a disc crossing it, specks and a drifting line."""
    w, h = size
    rng = np.random.default_rng(seed)
    big = texture(h + 20, w + int(abs(pan) * n) + 40, seed)
    frames, masks, xs, discs = [], [], [], []
    for t in range(n):
        x0 = 20 + (pan * t if pan >= 0 else abs(pan) * (n - 1 - t))
        m = np.float32([[1, 0, -x0], [0, 1, -10]])
        img = cv2.warpAffine(big, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        if disc_speed:
            cx, cy = 25 + disc_speed * t, h * 0.55
            cv2.circle(img, (round(cx * 4), round(cy * 4)), 18 * 4, 0.92, -1, cv2.LINE_AA, shift=2)
            discs.append((cx, cy))
        mask = np.zeros((h, w), bool)
        # dust is in one frame only: keep clear of the line and of the last frame's specks
        taken = np.zeros((h, w), np.uint8)
        if masks:
            taken = cv2.dilate(masks[-1].astype(np.uint8), np.ones((21, 21), np.uint8))
        if disc_speed:  # and off the disc, where a bright speck would be invisible
            cv2.circle(taken, (round(cx), round(cy)), 24, 1, -1)
        for _ in range(specks):
            for _try in range(50):
                x, y = int(rng.integers(8, w - 8)), int(rng.integers(8, h - 8))
                if (not line or abs(x - (w * 0.7)) > 10) and not taken[y, x]:
                    break
            r = int(rng.integers(1, 4))
            value = 0.03 if rng.random() < 0.6 else 0.97
            blob = np.zeros((h, w), np.uint8)
            cv2.circle(blob, (x, y), r, 1, -1)
            img[blob > 0] = value
            mask |= blob > 0
        lx = w * 0.7 + 3.0 * np.sin(t / 4.0)
        if line:
            prof = np.exp(-0.5 * ((np.arange(w) - lx) / 0.8) ** 2).astype(np.float32)
            img = img * (1 - 0.6 * prof[None, :]) + 0.6 * prof[None, :]
        xs.append(lx)
        img = img + rng.normal(0, grain, img.shape).astype(np.float32)
        if gains is not None:
            img = img * gains[t]
        img = np.clip(img, 0, 1)
        top = 65535 if dtype == np.uint16 else 255
        rgb = np.repeat(np.round(img * top).astype(dtype)[..., None], 3, axis=2)
        frames.append(rgb)
        masks.append(mask)
    return Scene(frames, masks, xs, discs)
