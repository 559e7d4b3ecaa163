"""The engine functions a render drives, gathered in one replaceable object.

:func:`engines` binds the real media, detect, restore, project and report APIs, and the
diffusion ones lazily (a worker imports torch only when a job uses a model). Worker processes and
Ray tasks receive the *name* of a module with an ``engines()`` function, so tests and
benchmarks can substitute small fakes in every process the same way.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restoration_core.detect import DetectSettings, detect_reel
from restoration_core.errors import InputError
from restoration_core.media import open_reel, open_writer
from restoration_core.project import Project
from restoration_core.report import ReportData, write_report
from restoration_core.restore import RestoreSettings, restore_frames

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
    write_report: Callable[[Path, ReportData], Any] | None = None
    load_project: Callable[[str], Any] | None = None


def settings_from(cls: type, values: dict) -> Any:
    """A settings dataclass from a dict; an unknown key or a bad value is an InputError naming it."""
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise InputError(f"unknown setting {unknown[0]!r} (the {cls.__name__} are {', '.join(names)})")
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"invalid {cls.__name__}: {exc}") from None


def restore_settings(values: dict) -> RestoreSettings:
    return settings_from(RestoreSettings, values)


def detect_settings(values: dict) -> DetectSettings:
    return settings_from(DetectSettings, values)


def _load_fill_engine(path: str, **kwargs: Any) -> Any:
    from restoration_core.diffusion import load_fill_engine

    return load_fill_engine(path, **kwargs)


def _model_identity(path: str) -> dict:
    """Kind, location and weights hash of a model (checked before any frame is rendered)."""
    from restoration_core.diffusion import check_model

    info = check_model(path)
    return {"kind": info.kind, "path": str(info.path), "sha256": info.sha256,
            "native_size": info.native_size, "params": info.params}


def engines() -> Engines:
    """The real engine (this module is the default ``engines`` module of workers)."""
    return Engines(
        open_reel=open_reel,
        open_writer=open_writer,
        detect_reel=detect_reel,
        restore_frames=restore_frames,
        detect_settings=detect_settings,
        restore_settings=restore_settings,
        load_fill_engine=_load_fill_engine,
        model_identity=_model_identity,
        write_report=write_report,
        load_project=Project.load,
    )


def load_engines(module: str | None = None) -> Engines:
    """``engines()`` of the named module (the real engine by default)."""
    return importlib.import_module(module or DEFAULT_ENGINES).engines()
