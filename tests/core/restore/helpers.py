"""In-memory reels for the restore tests: a textured scene panning by whole pixels."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from restoration_core.media.frame import Frame


@dataclass
class Info:
    width: int
    height: int
    frames: int


def scene(h: int, w: int, seed: int = 0, grain: float = 0.0) -> np.ndarray:
    """A smooth textured float32 picture in [0.1, 0.9] (HxWx3), optionally with white grain."""
    rng = np.random.default_rng(seed)
    base = rng.random((h // 8 + 2, w // 8 + 2, 3)).astype(np.float32)
    img = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    img = cv2.GaussianBlur(img, (0, 0), 2.0)
    img = 0.1 + 0.8 * (img - img.min()) / max(1e-6, float(img.max() - img.min()))
    if grain:
        img = img + rng.normal(0, grain, img.shape).astype(np.float32)
    return np.clip(img, 0, 1)


class PanReel:
    """Frame k is a crop of a larger scene shifted ``dx`` px per frame; frames are made on demand.

    ``alive`` counts frames handed out whose arrays are still referenced (via weakref-free
    bookkeeping: the reel records the maximum number of frames in flight that a consumer
    holds, when ``track`` is set, by checking refcounts of previously returned arrays).
    """

    def __init__(self, n: int = 12, h: int = 48, w: int = 64, dx: int = 2, dtype=np.uint8,
                 seed: int = 0, grain: float = 0.0, gains: list[float] | None = None):
        self.n, self.h, self.w, self.dx, self.dtype = n, h, w, dx, dtype
        self.big = scene(h, w + dx * n + 8, seed, grain)
        self.gains = gains
        self.info = Info(w, h, n)
        self.reads = 0

    def __len__(self) -> int:
        return self.n

    def clean(self, i: int) -> np.ndarray:
        x0 = self.dx * i
        img = self.big[:, x0 : x0 + self.w]
        if self.gains is not None:
            img = np.clip(img * self.gains[i], 0, 1)
        maxv = 65535.0 if self.dtype == np.uint16 else 255.0
        return np.clip(img * maxv + 0.5, 0, maxv).astype(self.dtype)

    def read(self, i: int) -> Frame:
        self.reads += 1
        return Frame(self.clean(i), i, None)

    def frames(self, start: int = 0, stop: int | None = None):
        stop = self.n if stop is None else stop
        for i in range(start, stop):
            yield self.read(i)


class DamagedReel(PanReel):
    """A PanReel with specks painted into given frames (masks known)."""

    def __init__(self, specks: dict[int, list[tuple[int, int, int]]], value: float = 0.0, **kw):
        super().__init__(**kw)
        self.specks = specks
        self.value = value

    def mask(self, i: int) -> np.ndarray | None:
        if i not in self.specks:
            return None
        m = np.zeros((self.h, self.w), np.uint8)
        for x, y, r in self.specks[i]:
            cv2.circle(m, (x, y), r, 1, -1)
        return m.astype(bool)

    def read(self, i: int) -> Frame:
        f = super().read(i)
        m = self.mask(i)
        if m is not None:
            maxv = 65535 if self.dtype == np.uint16 else 255
            f.data[m] = int(self.value * maxv)
        return f


class ScratchReel(DamagedReel):
    """A static scene with a vertical line scratch at the same place in every frame."""

    def __init__(self, x: int = 30, width: int = 3, **kw):
        kw.setdefault("dx", 0)
        super().__init__({}, **kw)
        self.x, self.width = x, width

    def mask(self, i: int) -> np.ndarray:
        m = np.zeros((self.h, self.w), bool)
        m[:, self.x : self.x + self.width] = True
        return m

    def read(self, i: int) -> Frame:
        f = PanReel.read(self, i)
        maxv = 65535 if self.dtype == np.uint16 else 255
        f.data[self.mask(i)] = int(self.value * maxv)
        return f
