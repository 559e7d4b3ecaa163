"""The models Reelwright can use: the shipped prior plus the user's list in ``config_dir()/models.json``.

The built-in ``default`` prior lives in the package (``restoration_core/resources/prior``)
and is described by its card (``reelwright.json``), whose SHA-256 :func:`check_model`
verifies at every load. ``add_model`` validates with :func:`check_model` before anything
is written, so every entry was usable when it was added; ``list_models`` says whether it
is still present.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from restoration_core.atomic import atomic_write_text
from restoration_core.errors import ModelError
from restoration_core.paths import config_dir

VERSION = 1
BUILTIN = "default"

MARKER = "reelwright.json"  # a Reelwright prior's card: what it was trained on, its weights' SHA-256


def builtin_prior_path() -> Path:
    """The folder of the prior that ships inside the package."""
    return Path(str(files("restoration_core.resources") / "prior"))


def builtin_models() -> list[dict]:
    """The shipped prior as a registry entry (empty when the package was built without it)."""
    folder = builtin_prior_path()
    try:
        card = json.loads((folder / MARKER).read_text())
        size = json.loads((folder / "config.json").read_text()).get("sample_size", 64)
    except (OSError, ValueError):
        return []
    return [{
        "name": BUILTIN,
        "path": str(folder),
        "kind": card.get("kind", "pixel-unet-concat"),
        "sha256": card.get("sha256"),
        "native_size": int(size[0] if isinstance(size, list) else size),
        "channels": 7,
        "params": card.get("params"),
        "config": None,
        "allow_pickle": False,
        "builtin": True,
    }]


def registry_path() -> Path:

    return config_dir() / "models.json"


def _load() -> list[dict]:
    path = registry_path()
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
        models = data["models"]
        if not isinstance(models, list):
            raise TypeError("models is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"model registry is unreadable ({exc})", path) from None
    return [m for m in models if isinstance(m, dict) and "name" in m and "path" in m]


def _save(models: list[dict]) -> None:
    atomic_write_text(registry_path(), json.dumps({"version": VERSION, "models": models}, indent=1))


def list_models() -> list[dict]:
    """The shipped prior, then the registered models, each with ``present`` telling whether
    its path still exists."""
    return [{**m, "present": Path(m["path"]).exists()} for m in builtin_models() + _load()]


def lookup(name: str) -> dict | None:
    for m in builtin_models() + _load():
        if m["name"] == name:
            return m
    return None


def registered(spec: str | Path) -> dict | None:
    """The registry entry for ``spec``, given as a registered name or as the registered path."""
    entry = lookup(str(spec))
    if entry is not None:
        return entry
    try:
        target = Path(spec).expanduser().resolve()
    except (OSError, RuntimeError):
        return None
    for m in builtin_models() + _load():
        if Path(m["path"]).resolve() == target:
            return m
    return None


def register(entry: dict) -> None:
    """Store a validated model's entry (replacing one of the same name)."""
    models = [m for m in _load() if m["name"] != entry["name"]]
    models.append(entry)
    _save(models)


def remove_model(name: str) -> None:
    if name == BUILTIN:
        raise ModelError("the shipped prior is part of the program and cannot be removed", name)
    models = _load()
    kept = [m for m in models if m["name"] != name]
    if len(kept) == len(models):
        raise ModelError("no registered model of that name", name)
    _save(kept)
