"""Small in-memory stand-ins for media/detect/restore, usable in worker processes.

A "reel" is a ``.npy`` file holding an N x H x W x 3 uint8 array; the writer writes the
same format atomically. Restoration is per-frame deterministic (masked pixels take the mean
of the ORIGINAL neighbours), as the real pipeline's is meant to be. ``settings["delay"]``
slows restore down per frame so tests can cancel or kill a job mid-way; ``settings["stall_at"]``
makes that frame hang for 30 s without looking at the cancel token; ``settings["segfault_at"]``
crashes the process there.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from restoration_core.atomic import atomic_path
from restoration_core.defects import Defect, Intervention
from restoration_core.errors import InputError
from restoration_core.progress import Progress
from restoration_core.render.engines import Engines

COUNTER_ENV = "REELWRIGHT_FAKE_COUNTER"


def make_clip(path: Path, frames: int = 12, size: tuple[int, int] = (64, 48), seed: int = 0) -> Path:
    """A moving gradient with white (255) specks on some frames."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    clip = np.empty((frames, h, w, 3), np.uint8)
    for i in range(frames):
        base = (xx * 3 + yy * 2 + i * 5) % 200
        clip[i] = np.stack([base, (base + 40) % 200, (base + 80) % 200], axis=-1).astype(np.uint8)
        for _ in range(2):
            y, x = rng.integers(2, h - 4), rng.integers(2, w - 4)
            clip[i, y : y + 3, x : x + 3] = 255
    np.save(path, clip)
    return Path(path)


class Reel:
    def __init__(self, path: str):
        try:
            self.data = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot open ({exc})", path) from None
        n, h, w, _ = self.data.shape
        self.info = SimpleNamespace(path=path, frames=n, width=w, height=h, fps=24)

    def __len__(self) -> int:
        return self.data.shape[0]

    def read(self, index: int) -> SimpleNamespace:
        return SimpleNamespace(data=np.array(self.data[index]), index=index, timecode=None)

    def close(self) -> None:
        self.data = None


@dataclass
class ExportResult:
    path: Path
    manifest_path: Path | None
    sha256: str
    frame_md5: list[str] = field(default_factory=list)


class Writer:
    def __init__(self, output, preset, info, frame_range=None, audio_source=None, overwrite=True):
        self.output = Path(output)
        self.frames: list[np.ndarray] = []
        self._ctx = atomic_path(self.output, overwrite=overwrite)
        self._tmp = self._ctx.__enter__()

    def write(self, data: np.ndarray) -> None:
        self.frames.append(np.array(data))

    def commit(self) -> ExportResult:
        arr = np.stack(self.frames)
        with open(self._tmp, "wb") as fh:
            np.save(fh, arr)
        self._ctx.__exit__(None, None, None)
        digest = hashlib.sha256(self.output.read_bytes()).hexdigest()
        md5 = [hashlib.md5(f.tobytes()).hexdigest() for f in self.frames]
        return ExportResult(self.output, None, digest, md5)

    def abort(self) -> None:
        try:
            self._ctx.__exit__(RuntimeError, RuntimeError("abort"), None)
        except RuntimeError:
            pass


def detect_reel(reel, settings, frame_range=None, cancel=None):
    a, b = frame_range or (0, len(reel))
    for i in range(a, b):
        data = reel.read(i).data
        mask = np.all(data == 255, axis=2)
        ys, xs = np.nonzero(mask)
        defects = []
        if len(xs):
            x0, y0 = int(xs.min()), int(ys.min())
            bbox = (x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1)
            defects.append(Defect(i, bbox, int(mask.sum()), "dust", "bright", 1.0))
        yield Progress(i - a + 1, b - a, "detect", i, payload=SimpleNamespace(
            index=i, mask=mask, defects=defects, flicker=None))


def _count(index: int) -> None:
    """Append a line per restored frame to a counter file (tests count recomputed frames)."""
    import os

    path = os.environ.get(COUNTER_ENV)
    if path:
        with open(path, "a") as fh:
            fh.write(f"{index}\n")


def restore_frames(reel, frame_range, mask_for, settings, cancel=None, fill_engine=None,
                   kinds_for=None, flicker=None, exact_for=None):
    a, b = frame_range
    n = len(reel)
    for i in range(a, b):
        if i == settings.get("segfault_at"):
            import ctypes

            ctypes.string_at(0)  # a crash in native code: the worker dies with SIGSEGV
        if i == settings.get("stall_at"):
            time.sleep(30)  # a step that never looks at the cancel token
        if cancel is not None:
            cancel.check()
        if settings.get("trace"):   # when each frame was worked on (tests of scheduling)
            with open(settings["trace"], "a") as fh:
                fh.write(f"{time.time()}\n")
        time.sleep(float(settings.get("delay", 0)))
        data = reel.read(i).data
        mask = mask_for(i)
        interventions = []
        if mask is not None and mask.any():
            prev = reel.read(max(0, i - 1)).data.astype(np.uint16)
            nxt = reel.read(min(n - 1, i + 1)).data.astype(np.uint16)
            fill = ((prev + nxt) // 2).astype(np.uint8)
            data = data.copy()
            data[mask] = fill[mask]
            ys, xs = np.nonzero(mask)
            x0, y0 = int(xs.min()), int(ys.min())
            bbox = (x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1)
            method = "diffusion" if fill_engine is not None else "temporal"
            interventions.append(Intervention(i, bbox, int(mask.sum()), "dust", method,
                                              source_frames=(max(0, i - 1), min(n - 1, i + 1))))
        _count(i)
        yield Progress(i - a, b - a, "generative", i, "fill 1/1")  # a step within the frame
        yield Progress(i - a + 1, b - a, "restore", i,
                       payload=SimpleNamespace(index=i, data=data, interventions=interventions))


def engines() -> Engines:
    def write_report(path, data, **_):
        import json

        from restoration_core.atomic import atomic_write_text

        atomic_write_text(path, json.dumps(data.to_dict(), default=str))
        return path

    return Engines(
        open_reel=Reel,
        open_writer=Writer,
        detect_reel=detect_reel,
        restore_frames=restore_frames,
        detect_settings=dict,
        restore_settings=dict,
        write_report=write_report,
        load_project=_load_project,
        load_fill_engine=lambda path, **kw: SimpleNamespace(name="fake", path=path, **kw),
        model_identity=_model_identity,
    )


def _model_identity(path):
    p = Path(path)
    if not p.is_file():
        raise InputError("no such model", path)
    return {"kind": "fake", "path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}


def _load_project(path):
    from restoration_core.project import Project

    return Project.load(path)
