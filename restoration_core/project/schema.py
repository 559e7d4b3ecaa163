"""The project file's JSON schema: version number, validation, and migrations from older versions.

``project.json`` carries ``schema_version`` (an int). Loading runs the migrations in
:data:`MIGRATIONS` one step at a time until the document reaches :data:`SCHEMA_VERSION`;
a document from a newer program is refused with a clear error rather than guessed at.

Version history
  1  First draft format: reels as ``{"id", "source", "info", "sha256"}`` with ``source``
     always absolute; clips as ``{"id", "reel", "name", "in", "out"}`` with ``out``
     inclusive; no defects, rejections, held ranges, flicker or history.
  2  Reels ``{"id", "path", ...}`` with ``path`` relative when inside the project
     folder; clips ``{"id", "reel_id", "name", "in_frame", "out_frame" (exclusive),
     "settings", "notes", "job_state"}``; ``held``, ``defects``, ``rejected``, ``flicker``,
     ``excluded`` (boxes of revoked repairs), ``history``.
  3  Current: as 2, plus ``decisions`` (the review pass's accepted / rejected regions per
     reel and frame, see ``project/decisions.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from restoration_core.errors import InputError

SCHEMA_VERSION = 3
LAYERS = ("detected", "painted", "held")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def check_id(value: object, what: str, path: Path | None = None) -> str:
    """An id is used in file names, so it may hold only letters, digits, ``_`` and ``-``."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InputError(f"invalid {what} id {value!r} (letters, digits, '_' and '-' only)", path)
    return value


def _v1_to_v2(doc: dict) -> dict:
    """Rename the draft keys, make clip out points exclusive, add the v2 collections."""
    reels = []
    for r in doc.get("reels", []):
        reels.append(
            {"id": r["id"], "path": r["source"], "info": r.get("info") or {}, "sha256": r.get("sha256")}
        )
    clips = []
    for c in doc.get("clips", []):
        clips.append(
            {
                "id": c["id"],
                "reel_id": c["reel"],
                "name": c.get("name", c["id"]),
                "in_frame": int(c["in"]),
                "out_frame": int(c["out"]) + 1,
                "settings": c.get("settings") or {},
                "notes": c.get("notes", ""),
                "job_state": None,
            }
        )
    out = {k: v for k, v in doc.items() if k not in ("reels", "clips")}
    out.update(
        schema_version=2,
        reels=reels,
        clips=clips,
        held={},
        defects={},
        rejected={},
        flicker={},
        excluded={},
        history=[],
    )
    return out


def _v2_to_v3(doc: dict) -> dict:
    """Add the review pass's decisions (none were made before)."""
    return {**doc, "schema_version": 3, "decisions": {}}


# from-version -> function returning the document at from-version + 1
MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2, 2: _v2_to_v3}


def migrate(doc: object, path: Path | None = None) -> dict:
    """Bring a loaded document to :data:`SCHEMA_VERSION`; raise :class:`InputError` if it cannot be."""
    if not isinstance(doc, dict):
        raise InputError("not a Reelwright project (the JSON top level is not an object)", path)
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError("not a Reelwright project (no valid schema_version)", path)
    if version > SCHEMA_VERSION:
        raise InputError(
            f"written by a newer Reelwright (schema {version}; this version reads up to "
            f"{SCHEMA_VERSION}); update Reelwright to open it",
            path,
        )
    try:
        while version < SCHEMA_VERSION:
            doc = MIGRATIONS[version](doc)
            version = doc["schema_version"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"cannot upgrade project from schema {version}: missing or bad field {exc}", path
        ) from None
    return doc


REQUIRED = {
    "reel": ("id", "path"),
    "clip": ("id", "reel_id", "in_frame", "out_frame"),
}


def require(record: object, kind: str, path: Path | None) -> dict:
    """Check that a reel/clip record is an object with its required fields."""
    if not isinstance(record, dict):
        raise InputError(f"a {kind} entry is not an object", path)
    missing = [k for k in REQUIRED[kind] if k not in record]
    if missing:
        raise InputError(f"a {kind} entry is missing field(s) {', '.join(missing)}", path)
    return record
