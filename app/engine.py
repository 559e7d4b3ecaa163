"""The GUI's one doorway into the engine: open reels, detect, restore, sample reels.

Every call goes to ``restoration_core``'s public API. Areas that are not part of this
build raise :class:`EngineUnavailable` with a one-line reason the GUI can show.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from restoration_core.errors import InputError
from restoration_core.progress import run_to_end


class EngineUnavailable(InputError):
    """A part of the engine this build does not contain."""


def _attr(module: str, name: str) -> Any:
    try:
        mod = importlib.import_module(module)
        return getattr(mod, name)
    except (ImportError, AttributeError) as exc:
        raise EngineUnavailable(f"{module}.{name} is not available in this build", module) from exc


def available(module: str, name: str) -> bool:
    try:
        _attr(module, name)
        return True
    except EngineUnavailable:
        return False


def open_reel(path: str | Path):
    """Open a reel (file, sequence folder or pattern); one per thread."""
    return _attr("restoration_core.media", "open_reel")(str(path))


def probe(path: str | Path):
    return _attr("restoration_core.media", "probe")(str(path))


def make_sample_reel(folder: Path, **kwargs) -> Path:
    return Path(_attr("restoration_core.sample", "make_sample_reel")(folder, **kwargs))


def detect_settings(**kwargs):
    return _attr("restoration_core.detect", "DetectSettings")(**kwargs)


def _cuts_near(reel, frame_range, settings, cancel=None):
    """The splices and scene cuts near ``frame_range`` that detection must not compare across,
    found as a render finds them (``restoration_core.detect.frames.cuts_near``)."""
    reach = _attr("restoration_core.detect.pipeline", "reach_of")(settings)
    return (yield from _attr("restoration_core.detect.frames", "cuts_near")(reel, frame_range, reach, cancel=cancel))


def _scan_near(reel, frame_range, settings, cancel=None):
    """:func:`_cuts_near` with the frame scan it made (``detect.frames.scan_near``)."""
    reach = _attr("restoration_core.detect.pipeline", "reach_of")(settings)
    return (yield from _attr("restoration_core.detect.frames", "scan_near")(reel, frame_range, reach, cancel=cancel))


def detect_frame(reel, index: int, settings=None):
    """One frame's detection, compared only with frames of its own shot (as the render's)."""
    settings = settings if settings is not None else detect_settings()
    cuts = run_to_end(_cuts_near(reel, (index, index + 1), settings))
    return _attr("restoration_core.detect", "detect_frame")(reel, index, settings, cuts=cuts)


def detect_reel(reel, settings=None, frame_range=None, cancel=None, on_scan=None):
    """Detection over the range (default the reel) after a scan for its cuts: Progress per frame
    (the scan's own ticks carry no payload). ``on_scan(scan)`` gets that frame scan
    (``FrameScan``) before detection starts: over the whole reel it holds the reel's rebuild
    candidates and splices too, so the workbench scans a reel once for both."""
    settings = settings if settings is not None else detect_settings()
    fn = _attr("restoration_core.detect", "detect_reel")
    scan, cuts = yield from _scan_near(reel, frame_range or (0, len(reel)), settings, cancel=cancel)
    if on_scan is not None and scan is not None:
        on_scan(scan)
    return (yield from fn(reel, settings, frame_range=frame_range, cancel=cancel, cuts=cuts))


def restore_settings(**kwargs):
    return _attr("restoration_core.restore", "RestoreSettings")(**kwargs)


def restore_single(reel, index: int, mask_for, settings=None, fill_engine=None, cancel=None):
    settings = settings if settings is not None else restore_settings()
    return _attr("restoration_core.restore", "restore_single")(reel, index, mask_for, settings,
                                                                fill_engine=fill_engine, cancel=cancel)


def list_models() -> list[dict]:
    """The models registered with ``reelwright models add`` (name, path, kind, present)."""
    return _attr("restoration_core.diffusion.registry", "list_models")()


def add_model(path: str | Path) -> str:
    """Validate and register a model folder or file; returns its registered name."""
    name, _info = _attr("restoration_core.diffusion.check", "add_model")(path)
    return name


def preview_worker():
    """A worker process that restores preview frames with a diffusion model (the GUI
    process never runs model code)."""
    return _attr("restoration_core.jobs.preview", "PreviewWorker")()


def estimate_flow(ref, other):
    from restoration_core.detect.flow import estimate_flow as fn

    return fn(ref, other)


def warp(other, flow):
    from restoration_core.detect.flow import warp as fn

    return fn(other, flow)
