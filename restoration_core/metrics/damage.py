"""Synthetic film damage with known ground truth, for benchmarks and tests.

:class:`Damager` composites dust, dirt, lint, hair and short scratches onto clean frames
(a new random set on every frame, dark or bright, random position, rotation, scale and
opacity) plus one slowly drifting vertical line scratch, and returns the damaged frame
with its ground-truth masks. Shapes come from real artifact scans (RGBA PNGs whose
alpha channel is the artifact, e.g. ``../shared/data/artifacts``) or, when no folder is
given, from a procedural generator (blobs, specks, curved hairs) so tests never depend
on outside data.

The ground-truth mask is the union of the composited alpha above ``mask_threshold``,
restricted to pixels the artifact visibly changed (by at least ``min_change`` of full
range): a dark speck on a black background is not damage anyone can see or find.
``touched`` marks every pixel the damage changed at all (faint speck edges included):
benchmarks treat touched pixels outside the mask as "don't care", not as false alarms.
Results are deterministic for a given ``seed`` and frame index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

CATEGORY_WEIGHTS = {"spots": 0.35, "dirt": 0.2, "lint": 0.15, "hair-short": 0.2, "scratches": 0.1}


@dataclass
class DamageSettings:
    """How much damage to add. ``items`` is the mean number of artifact sheets per frame."""

    items: float = 3.0
    scale: tuple[float, float] = (0.35, 0.9)  # artifact size relative to the frame's short side
    opacity: tuple[float, float] = (0.6, 1.0)
    dark_fraction: float = 0.6  # share of artifacts darker than the picture
    line_scratch: bool = True
    scratch_width: tuple[float, float] = (1.2, 2.5)
    scratch_opacity: float = 0.55
    scratch_drift: float = 0.6  # px per frame, at most
    mask_threshold: float = 0.3
    min_change: float = 0.03
    seed: int = 0


@dataclass
class DamagedFrame:
    """A damaged picture (same dtype/shape as the clean one) and its ground truth."""

    data: np.ndarray
    mask: np.ndarray  # bool HxW, every damaged pixel
    scratch_mask: np.ndarray  # bool HxW, the line scratch alone
    spot_mask: np.ndarray  # bool HxW, dust/dirt/hair/lint alone
    kinds: list[str] = field(default_factory=list)
    touched: np.ndarray | None = None  # bool HxW, every pixel changed at all (faint edges too)
    artifact: np.ndarray | None = None  # bool HxW, every pixel under an artifact (alpha > 0.02)
    kind_map: np.ndarray | None = None  # uint8 HxW, code of the kind on top (KIND_CODES), 0 = none


KIND_CODES = {"spots": 1, "dirt": 2, "lint": 3, "hair-short": 4, "scratches": 5, "line": 6}
ARTIFACT_ALPHA = 0.02  # alpha above which a pixel counts as under an artifact (harm measure)


def default_artifacts_dir() -> Path | None:
    """``../shared/data/artifacts`` beside the repository, when present."""
    here = Path(__file__).resolve().parents[2]
    folder = here.parent / "shared" / "data" / "artifacts"
    return folder if folder.is_dir() else None


def load_artifacts(folder: str | Path) -> dict[str, list[np.ndarray]]:
    """Alpha channels (uint8, cropped to content) of every RGBA PNG under ``folder``'s subfolders."""
    folder = Path(folder)
    out: dict[str, list[np.ndarray]] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        shapes = []
        for png in sorted(sub.glob("*.png")):
            img = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
            if img is None or img.ndim != 3 or img.shape[2] != 4:
                continue
            alpha = img[..., 3]
            ys, xs = np.nonzero(alpha > 8)
            if len(xs) == 0:
                continue
            shapes.append(np.ascontiguousarray(alpha[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]))
        if shapes:
            out[sub.name] = shapes
    return out


def procedural_shape(rng: np.random.Generator, size: int = 96) -> tuple[str, np.ndarray]:
    """A random uint8 alpha shape: a cluster of specks, one blob, or a curved hair."""
    canvas = np.zeros((size, size), np.uint8)
    kind = rng.choice(["spots", "dirt", "hair-short"], p=[0.45, 0.3, 0.25])
    c = size // 2
    if kind == "spots":
        for _ in range(int(rng.integers(1, 5))):
            x, y = rng.integers(4, size - 4, 2)
            r = float(rng.uniform(1.0, 3.5))
            axes = (max(1, round(r * rng.uniform(0.6, 1.6))), max(1, round(r)))
            cv2.ellipse(
                canvas, (int(x), int(y)), axes, float(rng.uniform(0, 180)), 0, 360, 255, -1, cv2.LINE_AA
            )
    elif kind == "dirt":
        pts = []
        n = int(rng.integers(6, 12))
        rad = float(rng.uniform(5, 18))
        for k in range(n):
            a = 2 * math.pi * k / n
            rr = rad * rng.uniform(0.6, 1.2)
            pts.append((c + rr * math.cos(a), c + rr * math.sin(a)))
        cv2.fillPoly(canvas, [np.round(np.array(pts)).astype(np.int32)], 255, cv2.LINE_AA)
    else:
        t = np.linspace(0, 1, 24)
        length = rng.uniform(20, size - 20)
        ang = rng.uniform(0, math.pi)
        bend = rng.uniform(-0.6, 0.6)
        xs = c + (t - 0.5) * length * math.cos(ang) + bend * 10 * np.sin(t * math.pi * 2)
        ys = c + (t - 0.5) * length * math.sin(ang) + bend * 10 * np.cos(t * math.pi * 2)
        pts = np.round(np.stack([xs, ys], 1)).astype(np.int32)
        cv2.polylines(canvas, [pts], False, 255, int(rng.integers(1, 3)), cv2.LINE_AA)
    return str(kind), canvas


def _transform(alpha: np.ndarray, scale: float, angle: float) -> np.ndarray:
    """Scale and rotate an alpha shape into a tight float32 patch in [0, 1]."""
    h, w = alpha.shape
    a = alpha.astype(np.float32) / 255.0
    if scale != 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        a = cv2.resize(a, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    h, w = a.shape
    diag = int(math.ceil(math.hypot(h, w))) + 2
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    m[0, 2] += (diag - w) / 2.0
    m[1, 2] += (diag - h) / 2.0
    return cv2.warpAffine(a, m, (diag, diag), flags=cv2.INTER_LINEAR, borderValue=0.0)


class Damager:
    """Adds reproducible synthetic damage to the frames of one clip (see module docs)."""

    def __init__(
        self,
        settings: DamageSettings | None = None,
        artifacts: str | Path | dict[str, list[np.ndarray]] | None = None,
    ):
        self.settings = settings or DamageSettings()
        if artifacts is None or isinstance(artifacts, dict):
            self.shapes = artifacts or {}
        else:
            self.shapes = load_artifacts(artifacts)
        rng = np.random.default_rng([self.settings.seed, 7919])
        self._scratch_x0 = float(rng.uniform(0.2, 0.8))
        self._scratch_phase = float(rng.uniform(0, 2 * math.pi))
        self._scratch_bright = bool(rng.random() < 0.5)
        self._scratch_width = float(rng.uniform(*self.settings.scratch_width))

    def scratch_x(self, index: int, width: int) -> float:
        """Column of the line scratch's centre in frame ``index`` (drifts slowly)."""
        s = self.settings
        amp = s.scratch_drift * 12.0
        return self._scratch_x0 * width + amp * math.sin(self._scratch_phase + index * s.scratch_drift / amp)

    def _pick(self, rng: np.random.Generator) -> tuple[str, np.ndarray]:
        if not self.shapes:
            return procedural_shape(rng)
        cats = [c for c in CATEGORY_WEIGHTS if c in self.shapes] or sorted(self.shapes)
        w = np.array([CATEGORY_WEIGHTS.get(c, 0.1) for c in cats], float)
        cat = cats[int(rng.choice(len(cats), p=w / w.sum()))]
        pool = self.shapes[cat]
        return cat, pool[int(rng.integers(len(pool)))]

    def apply(self, image: np.ndarray, index: int) -> DamagedFrame:
        """Damage one frame (HxWx3 or HxW, uint8/uint16/float in [0, 1])."""
        s = self.settings
        rng = np.random.default_rng([s.seed, int(index)])
        h, w = image.shape[:2]
        scale_max = 65535.0 if image.dtype == np.uint16 else 255.0 if image.dtype == np.uint8 else 1.0
        clean = image.astype(np.float32) / scale_max
        # Dark and bright coverage kept apart so each composites with its own colour.
        dark = np.zeros((h, w), np.float32)
        bright = np.zeros((h, w), np.float32)
        kinds: list[str] = []
        kind_map = np.zeros((h, w), np.uint8)
        n = int(rng.poisson(s.items)) if s.items > 0 else 0
        short = min(h, w)
        for _ in range(n):
            cat, alpha = self._pick(rng)
            kinds.append(cat)
            if self.shapes:
                factor = short / 400.0 * rng.uniform(*s.scale)
            else:
                factor = short / 160.0 * rng.uniform(*s.scale)
            patch = _transform(alpha, factor, float(rng.uniform(0, 360))) * rng.uniform(*s.opacity)
            ph, pw = patch.shape
            y0 = int(rng.integers(-ph // 3, max(1 - ph // 3, h - 2 * ph // 3)))
            x0 = int(rng.integers(-pw // 3, max(1 - pw // 3, w - 2 * pw // 3)))
            ys, xs = max(0, y0), max(0, x0)
            ye, xe = min(h, y0 + ph), min(w, x0 + pw)
            if ye <= ys or xe <= xs:
                continue
            sub = patch[ys - y0 : ye - y0, xs - x0 : xe - x0]
            target = dark if rng.random() < s.dark_fraction else bright
            np.maximum(target[ys:ye, xs:xe], sub, out=target[ys:ye, xs:xe])
            kind_map[ys:ye, xs:xe][sub > ARTIFACT_ALPHA] = KIND_CODES.get(cat, KIND_CODES["dirt"])
        scratch = np.zeros((h, w), np.float32)
        if s.line_scratch:
            cx = self.scratch_x(index, w)
            xs = np.arange(w, dtype=np.float32)
            sigma = self._scratch_width / 2.355
            profile = np.exp(-0.5 * ((xs - cx) / sigma) ** 2)
            strength = s.scratch_opacity * (0.8 + 0.2 * rng.random())
            along = 0.85 + 0.15 * np.sin(np.arange(h, dtype=np.float32) / 17.0 + index)[:, None]
            scratch = (profile[None, :] * along * strength).astype(np.float32)
        spot_alpha = np.maximum(dark, bright)
        dark_level = float(rng.uniform(0.02, 0.12))
        bright_level = float(rng.uniform(0.85, 1.0))
        out = clean if clean.ndim == 2 else clean.copy()
        a3 = (lambda a: a) if clean.ndim == 2 else (lambda a: a[..., None])
        out = out * (1 - a3(dark)) + dark_level * a3(dark)
        out = out * (1 - a3(bright)) + bright_level * a3(bright)
        s_level = 1.0 if self._scratch_bright else 0.0
        out = out * (1 - a3(scratch)) + s_level * a3(scratch)
        out = np.clip(out, 0.0, 1.0)
        change = np.abs(out - clean)
        if change.ndim == 3:
            change = change.max(axis=2)
        visible = change >= s.min_change
        spot_mask = (spot_alpha > s.mask_threshold) & visible
        scratch_mask = (scratch > s.mask_threshold * s.scratch_opacity) & visible
        if image.dtype in (np.uint8, np.uint16):
            data = np.round(out * scale_max).astype(image.dtype)
        else:
            data = out.astype(image.dtype)
        touched = change >= 1.5 / 255.0
        artifact = (spot_alpha > ARTIFACT_ALPHA) | (scratch > ARTIFACT_ALPHA)
        kind_map[scratch > ARTIFACT_ALPHA] = KIND_CODES["line"]
        return DamagedFrame(
            data, spot_mask | scratch_mask, scratch_mask, spot_mask, kinds, touched, artifact, kind_map
        )
