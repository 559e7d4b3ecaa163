"""The learned candidate verifier: a small model over a candidate's own measurements.

Motion protection's rules (``detect.motion``) keep a few candidates on moving picture that
are the picture itself (a thumb's tip the flow lost, the glint of a watch strap, a
knuckle's highlight) and drop some real specks on the moving body. No single measurement
tells them apart, so the measurements motion protection makes
(:func:`motion.candidate_features`, the rules' own answer among them) are weighed together
by a logistic regression, or a network of one small hidden layer (``tanh``), trained by
``scripts/train_detect_verifier.py`` on the tuning clips only and shipped as
``resources/detect/verifier.json``. Evaluation is a dot product or two per candidate, in
numpy, deterministic; no learning library is needed at run time.

A candidate on or next to moving picture is damage when its score (the log-odds that it is
damage) is at least the threshold chosen on the tuning clips, shifted by the motion
protection strength: ``threshold + SHIFT * (strength - 0.5)``, so a stronger protection asks
for more evidence (and a weaker one for less).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from restoration_core.paths import resources_dir

SHIFT = 4.0  # log-odds the threshold moves per unit of motion protection strength


@dataclass(frozen=True)
class Verifier:
    """``score(x) = bias + sum(weights * u)`` with ``u = (x - mean) / scale`` over the named
    features, or with a hidden layer ``u = tanh(hidden @ ((x - mean) / scale) + hidden_bias)``."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float  # log-odds a candidate needs at strength 0.5
    hidden: np.ndarray | None = None  # H x len(features)
    hidden_bias: np.ndarray | None = None  # H

    @classmethod
    def from_dict(cls, d: dict) -> Verifier:
        n = len(d["features"])
        arrays = {k: np.asarray(d[k], np.float64) for k in ("mean", "scale")}
        if any(a.shape != (n,) for a in arrays.values()) or np.any(arrays["scale"] <= 0):
            raise ValueError("verifier: mean and scale need one value per feature, scales > 0")
        weights = np.asarray(d["weights"], np.float64)
        hidden = hidden_bias = None
        if d.get("hidden") is not None:
            hidden = np.asarray(d["hidden"], np.float64)
            hidden_bias = np.asarray(d.get("hidden_bias"), np.float64)
            units = hidden.shape[0] if hidden.ndim == 2 else -1
            if hidden.shape != (units, n) or hidden_bias.shape != (units,) or weights.shape != (units,):
                raise ValueError("verifier: the hidden layer needs one row per unit of one value per feature, "
                                 "a bias and a weight per unit")
        elif weights.shape != (n,):
            raise ValueError("verifier: weights need one value per feature")
        return cls(tuple(d["features"]), arrays["mean"], arrays["scale"], weights,
                   float(d["bias"]), float(d["threshold"]), hidden, hidden_bias)

    def to_dict(self) -> dict:
        d = {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias,
            "threshold": self.threshold,
        }
        if self.hidden is not None:
            d["hidden"] = self.hidden.tolist()
            d["hidden_bias"] = self.hidden_bias.tolist()
        return d

    def columns(self, names: tuple[str, ...]) -> np.ndarray:
        """Where this verifier's features sit in a feature vector named ``names``."""
        missing = [f for f in self.features if f not in names]
        if missing:
            raise ValueError(f"verifier: features {', '.join(missing)} are not measured")
        return np.array([names.index(f) for f in self.features], np.int64)

    def score(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of damage for each row of ``x`` (N x len(features), this verifier's order)."""
        x = np.atleast_2d(np.asarray(x, np.float64))
        if x.shape[1] != len(self.features):
            raise ValueError(f"the verifier wants {len(self.features)} features, got {x.shape[1]}")
        u = (x - self.mean) / self.scale
        if self.hidden is not None:
            u = np.tanh(u @ self.hidden.T + self.hidden_bias)
        return self.bias + u @ self.weights

    def accepts(self, x: np.ndarray, strength: float) -> np.ndarray:
        """Whether each candidate (row of ``x``) is damage at motion protection ``strength``."""
        return self.score(x) >= self.threshold + SHIFT * (float(strength) - 0.5)


def default_path() -> Path:
    return resources_dir() / "detect" / "verifier.json"


@lru_cache(maxsize=4)
def _load(path: str) -> Verifier | None:
    p = Path(path)
    if not p.is_file():
        return None
    return Verifier.from_dict(json.loads(p.read_text(encoding="utf-8")))


def load(path: Path | None = None) -> Verifier | None:
    """The shipped verifier (``None`` when the resource is missing: the rules alone decide)."""
    return _load(str(path or default_path()))
