"""Where Reelwright keeps its own files: package resources, user state via platformdirs.

``REELWRIGHT_HOME`` overrides the per-user folders (tests point it at a temp folder so they
never touch the user's settings, layouts, recent files or model registry).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import platformdirs

APP_NAME = "reelwright"


def resources_dir() -> Path:
    """The package's ``restoration_core/resources`` folder (presets, icons, stylesheet).

    Found through :mod:`importlib.resources`, so an installed wheel carries them too.
    """
    env = os.environ.get("REELWRIGHT_RESOURCES")
    if env:
        return Path(env)
    return Path(str(files("restoration_core.resources")))


def _home(kind: str) -> Path | None:
    root = os.environ.get("REELWRIGHT_HOME")
    return Path(root) / kind if root else None


def config_dir() -> Path:
    """Per-user settings: window layout, recent projects, model registry."""
    path = _home("config") or Path(platformdirs.user_config_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Per-user data: autosaves for crash recovery, generated sample reels."""
    path = _home("data") or Path(platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Per-user caches: thumbnails, render caches of jobs started without ``--cache``."""
    path = _home("cache") or Path(platformdirs.user_cache_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    """Per-user logs: the traceback of an unexpected error, written by the command line."""
    path = _home("logs") or Path(platformdirs.user_log_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path
