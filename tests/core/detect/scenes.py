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


def gray_rgb(img: np.ndarray) -> np.ndarray:
    """A float gray picture in [0, 1] as 8-bit RGB (three equal channels)."""
    return np.repeat(np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)[..., None], 3, axis=2)


def limb_clip(value: float, n: int = 7, size: tuple[int, int] = (200, 150), seed: int = 0) -> list[np.ndarray]:
    """A still textured background and a fast-swinging "limb" (a long ellipse moving 16 px and
    turning 25 degrees a frame, a smaller "hand" at its end), bright or dark, no damage."""
    w, h = size
    rng = np.random.default_rng(seed)
    bg = texture(h, w, seed)
    frames = []
    for t in range(n):
        img = bg.copy()
        cx, cy = 40 + 16.0 * t, 80 + 6.0 * np.sin(1.3 * t)
        angle = 20 + 25.0 * t
        cv2.ellipse(img, (round(cx * 4), round(cy * 4)), (26 * 4, 7 * 4), angle, 0, 360, value, -1,
                    cv2.LINE_AA, shift=2)
        hx = cx + 26 * np.cos(np.radians(angle))
        hy = cy + 26 * np.sin(np.radians(angle))
        cv2.circle(img, (round(hx * 4), round(hy * 4)), 9 * 4, value, -1, cv2.LINE_AA, shift=2)
        frames.append(gray_rgb(img + rng.normal(0, 0.006, img.shape)))
    return frames


def weave_clip(n: int = 7, size: tuple[int, int] = (200, 150), seed: int = 1) -> list[np.ndarray]:
    """A still building: a corner (a step with a thin dark shadow line on it) and a thin dark
    pole, the whole picture weaving by up to +-1.5 px sideways from frame to frame; no damage."""
    w, h = size
    rng = np.random.default_rng(seed)
    big = texture(h + 10, w + 20, seed) * 0.5 + 0.25
    big[:, 70:] += 0.2  # the lit wall
    big[:, 68:71] = 0.12  # the corner's dark edge
    big[:, 140:142] = 0.1  # a pole
    frames = []
    for _t in range(n):
        dx, dy = rng.uniform(-1.5, 1.5), rng.uniform(-0.5, 0.5)
        m = np.float32([[1, 0, -10 + dx], [0, 1, -5 + dy]])
        img = cv2.warpAffine(big, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        frames.append(gray_rgb(img + rng.normal(0, 0.006, img.shape)))
    return frames




def fold_clip(n: int = 7, fold_at: int = 3, speck: tuple[int, int] | None = None, speed: float = 7.0,
              arm: float = 0.85, fold_value: float = 0.1, seed: int = 3):
    """A still textured background and a bright "arm" (a bar) moving ``speed`` px a frame to
    the right; on frame ``fold_at`` a dark fold (a 3 px sliver along the arm's leading edge,
    that frame only: picture continuing the arm's edge) and, with ``speck`` (x, y), a dark
    speck of film dust on the arm. Returns the frames and the fold's and the speck's masks
    (on ``fold_at``)."""
    w, h = 200, 150
    rng = np.random.default_rng(seed)
    bg = texture(h, w, seed) * 0.5 + 0.2
    xs, ys = np.arange(w)[None, :], np.arange(h)[:, None]
    frames = []
    fold = dust = np.zeros((h, w), bool)
    for t in range(n):
        img = bg.copy()
        cx, cy = 50 + speed * t, 75.0
        edge = cx + 20
        cv2.rectangle(img, (round((cx - 40) * 4), round((cy - 14) * 4)), (round(edge * 4), round((cy + 14) * 4)),
                      arm, -1, cv2.LINE_AA, shift=2)
        if t == fold_at:
            fold = (xs >= edge - 3) & (xs <= edge) & (np.abs(ys - cy) <= 11)
            img[fold] = fold_value
            if speck is not None:
                dust = (xs - speck[0]) ** 2 + (ys - speck[1]) ** 2 <= 4
                img[dust] = 0.05
        frames.append(gray_rgb(img + rng.normal(0, 0.006, img.shape)))
    return frames, fold, dust


def uncover_clip(n: int = 6, seed: int = 5) -> list[np.ndarray]:
    """A still textured background with a light building whose windows are rows of small dark
    ticks (1x3 px, every 5 px), and a textured disc with a dark rim crossing it at 14 px a frame
    (and 2 px down): on frame 3 the disc's trailing edge has just uncovered ticks that frame 2
    still hid and frames 4 and 5 show in place. No damage."""
    w, h, r = 240, 150, 30
    rng = np.random.default_rng(seed)
    bg = texture(h, w, seed) * 0.5 + 0.2
    bg[30:140, 40:100] = 0.75 + 0.1 * (texture(110, 60, seed + 1) - 0.5)
    for wy in range(34, 136, 9):
        bg[wy : wy + 3, 42:98:5] = 0.25
    size = 2 * (r + 2) + 1
    surf = np.clip(0.55 + 2.5 * (texture(size, size, seed + 2) - 0.5), 0.15, 0.95)
    yy, xx = np.mgrid[0:size, 0:size] - (r + 2)
    dist = np.hypot(xx, yy)
    body, rim = dist <= r, (dist > r) & (dist <= r + 2)
    frames = []
    for t in range(n):
        img = bg.copy()
        cx, cy = 70 + 14 * t, 80 + 2 * t
        view = img[cy - r - 2 : cy + r + 3, cx - r - 2 : cx + r + 3]
        view[body] = surf[body]
        view[rim] = 0.1
        frames.append(gray_rgb(img + rng.normal(0, 0.006, img.shape)))
    return frames
