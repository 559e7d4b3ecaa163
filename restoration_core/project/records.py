"""Plain records of a project: reels, clips, history entries; source paths and source fixity."""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from restoration_core.errors import InputError
from restoration_core.project.schema import check_id, require


@dataclass(frozen=True)
class ReelRecord:
    """A source reel: ``path`` is absolute in memory (stored relative when inside the project)."""

    id: str
    path: Path
    info: dict = field(default_factory=dict)
    sha256: str | None = None

    def to_dict(self, folder: Path) -> dict:
        return {
            "id": self.id,
            "path": stored_path(self.path, folder),
            "info": self.info,
            "sha256": self.sha256,
        }

    @classmethod
    def from_dict(cls, d: object, folder: Path, project_file: Path) -> ReelRecord:
        d = require(d, "reel", project_file)
        info = d.get("info") or {}
        if not isinstance(info, dict):
            raise InputError(f"reel {d['id']!r}: 'info' must be an object", project_file)
        return cls(
            id=check_id(d["id"], "reel", project_file),
            path=resolve_stored_path(d["path"], folder, project_file),
            info=info,
            sha256=d.get("sha256"),
        )


@dataclass(frozen=True)
class Clip:
    """A named range of a reel: frames ``in_frame`` to ``out_frame`` (exclusive)."""

    id: str
    reel_id: str
    name: str
    in_frame: int
    out_frame: int
    settings: dict = field(default_factory=dict)
    notes: str = ""
    job_state: Any = None  # e.g. "queued", "running", "done", "failed" (set by the job runner)

    def __post_init__(self) -> None:
        if not 0 <= self.in_frame < self.out_frame:
            raise ValueError(f"clip {self.id}: in/out {self.in_frame}:{self.out_frame} is empty or negative")

    @property
    def frames(self) -> range:
        return range(self.in_frame, self.out_frame)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "reel_id": self.reel_id,
            "name": self.name,
            "in_frame": self.in_frame,
            "out_frame": self.out_frame,
            "settings": self.settings,
            "notes": self.notes,
            "job_state": self.job_state,
        }

    @classmethod
    def from_dict(cls, d: object, project_file: Path) -> Clip:
        d = require(d, "clip", project_file)
        try:
            return cls(
                id=check_id(d["id"], "clip", project_file),
                reel_id=check_id(d["reel_id"], "reel", project_file),
                name=str(d.get("name", d["id"])),
                in_frame=int(d["in_frame"]),
                out_frame=int(d["out_frame"]),
                settings=dict(d.get("settings") or {}),
                notes=str(d.get("notes") or ""),
                job_state=d.get("job_state"),
            )
        except (TypeError, ValueError) as exc:
            raise InputError(f"bad clip entry ({exc})", project_file) from None


@dataclass(frozen=True)
class HistoryRecord:
    """One applied operation, append-only: what was done, with which parameters, when."""

    id: int
    op: str
    params: dict
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict:
        return {"id": self.id, "op": self.op, "params": self.params, "time": self.time}

    @classmethod
    def from_dict(cls, d: dict) -> HistoryRecord:
        return cls(int(d["id"]), str(d["op"]), dict(d.get("params") or {}), float(d["time"]))


def stored_path(path: Path, folder: Path) -> str:
    """Relative POSIX path when ``path`` lies inside ``folder``, else the absolute path."""
    try:
        return PurePosixPath(Path(path).resolve().relative_to(Path(folder).resolve())).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def resolve_stored_path(value: object, folder: Path, project_file: Path) -> Path:
    """Turn a stored reel path back into an absolute one; relative paths may not leave the folder."""
    if not isinstance(value, str) or not value:
        raise InputError(f"bad reel path {value!r}", project_file)
    if os.path.isabs(value):
        return Path(value)
    check_relative(value, project_file)
    return Path(folder).resolve() / value


def check_relative(value: str, project_file: Path | None = None) -> str:
    """Refuse a relative path that climbs out of the project folder ('..', drive letters)."""
    parts = PurePosixPath(value.replace("\\", "/")).parts
    if not parts or ".." in parts or value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value):
        raise InputError(f"path {value!r} escapes the project folder", project_file)
    return value


_PATTERN = re.compile(r"%0?(\d*)d")


def source_fixity(path: Path) -> str:
    """SHA-256 of a source: the file's bytes, or for a sequence every frame file's name and bytes."""
    path = Path(path)
    if path.is_file():
        return _sha256_file(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    elif _PATTERN.search(path.name) and path.parent.is_dir():
        width = _PATTERN.search(path.name).group(1)
        digits = rf"\d{{{int(width)},}}" if width else r"\d+"
        escaped = re.escape(path.name).replace(r"\%", "%")
        regex = re.compile("^" + _PATTERN.sub(lambda _m: digits, escaped) + "$")
        files = sorted(p for p in path.parent.iterdir() if regex.match(p.name))
    else:
        raise InputError("source does not exist", path)
    outer = hashlib.sha256()
    for f in files:
        outer.update(f.name.encode() + b"\0" + bytes.fromhex(_sha256_file(f)))
    return outer.hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(4 * 2**20), b""):
                h.update(block)
    except OSError as exc:
        raise InputError(f"cannot read source ({exc.strerror or exc})", path) from None
    return h.hexdigest()
