"""The engine functions a render drives, gathered in one replaceable object.

:func:`default_engines` binds the real media, detect, restore, models and report APIs
(imported lazily, so a worker imports torch only when it needs it). Worker processes and
Ray tasks receive the *name* of a module with an ``engines()`` function, so tests and
benchmarks can substitute small fakes in every process the same way.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restoration_core.atomic import atomic_write_text
from restoration_core.errors import InputError

DEFAULT_ENGINES = "restoration_core.render.engines"


@dataclass
class Engines:
    """What a render needs from the rest of the engine (signatures as in CONVENTIONS.md)."""

    open_reel: Callable[[str], Any]
    open_writer: Callable[..., Any]
    detect_reel: Callable[..., Any]
    restore_frames: Callable[..., Any]
    detect_settings: Callable[[dict], Any]
    restore_settings: Callable[[dict], Any]
    load_fill_engine: Callable[..., Any] | None = None
    model_identity: Callable[[str], dict] | None = None
    write_report: Callable[[Path, dict], Any] | None = None
    load_project: Callable[[str], Any] | None = None


def _settings_from(cls: type, values: dict) -> Any:
    """Build a settings dataclass from a dict, ignoring keys it does not have; bad values are InputErrors."""
    try:
        if dataclasses.is_dataclass(cls):
            names = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in values.items() if k in names})
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"invalid {cls.__name__}: {exc}") from None


def _restore_settings(values: dict) -> Any:
    from restoration_core.restore import RestoreSettings

    return _settings_from(RestoreSettings, values)


def _detect_settings(values: dict) -> Any:
    from restoration_core.detect import DetectSettings

    return _settings_from(DetectSettings, values)


def _open_reel(path: str) -> Any:
    from restoration_core.media import open_reel

    return open_reel(path)


def _open_writer(*args: Any, **kwargs: Any) -> Any:
    from restoration_core.media import open_writer

    return open_writer(*args, **kwargs)


def _detect_reel(*args: Any, **kwargs: Any) -> Any:
    from restoration_core.detect import detect_reel

    return (yield from detect_reel(*args, **kwargs))


def _restore_frames(*args: Any, **kwargs: Any) -> Any:
    from restoration_core.restore import restore_frames

    return (yield from restore_frames(*args, **kwargs))


def _load_fill_engine(path: str, **kwargs: Any) -> Any:
    from restoration_core.diffusion import load_fill_engine

    return load_fill_engine(path, **kwargs)


def _model_identity(path: str) -> dict:
    """Kind, location and weights hash of a model (checked before any frame is rendered)."""
    from restoration_core.diffusion import check_model

    info = check_model(path)
    return {"kind": info.kind, "path": str(info.path), "sha256": info.sha256,
            "native_size": info.native_size, "params": info.params}


def _write_report(json_path: Path, data: dict) -> Any:
    """The export engineer's HTML+JSON report when present, else the JSON alone."""
    try:
        from restoration_core.report import write_report
    except ImportError:
        atomic_write_text(json_path, json.dumps(data, indent=1, default=str))
        return json_path
    return write_report(json_path, data)


def _load_project(path: str) -> Any:
    from restoration_core.project import Project

    return Project.load(path)


def engines() -> Engines:
    """The real engine (this module is the default ``engines`` module of workers)."""
    return Engines(
        open_reel=_open_reel,
        open_writer=_open_writer,
        detect_reel=_detect_reel,
        restore_frames=_restore_frames,
        detect_settings=_detect_settings,
        restore_settings=_restore_settings,
        load_fill_engine=_load_fill_engine,
        model_identity=_model_identity,
        write_report=_write_report,
        load_project=_load_project,
    )


def load_engines(module: str | None = None) -> Engines:
    """``engines()`` of the named module (the real engine by default)."""
    return importlib.import_module(module or DEFAULT_ENGINES).engines()
