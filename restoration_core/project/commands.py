"""Reversible, Qt-free edit commands and the project's undo stack (saved as ``undo.json``).

Each command stores the before and after state of what it touches (masks as PNG bytes),
so ``apply()``/``revert()`` can run any number of times, and the stack survives a save
and reload. A GUI with a ``QUndoStack`` wraps each push: its ``QUndoCommand.redo()`` calls
``project.undo.push(cmd)`` the first time and ``project.undo.redo()`` after, its
``undo()`` calls ``project.undo.undo()``; or it uses :class:`UndoStack` directly.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from psygnal import Signal

from restoration_core.project.masks import as_mask, decode_mask, encode_mask

if TYPE_CHECKING:
    from restoration_core.project.document import Project

UNDO_FILE = "undo.json"
log = logging.getLogger(__name__)


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


class Command:
    """Base: ``text`` for menus, ``apply``/``revert`` on a project, JSON round trip."""

    kind: ClassVar[str] = ""
    text: str = ""

    def apply(self, project: Project) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def revert(self, project: Project) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError


class FrameStateEdit(Command):
    """One frame's state before and after (JSON-ready dicts): ``_put`` sets a state.

    Subclasses say what a state holds (``_put``) and their menu text (``default_text``)."""

    default_text: ClassVar[str] = "Edit"

    def __init__(self, reel_id: str, frame: int, before: dict, after: dict, text: str | None = None):
        self.reel_id, self.frame = reel_id, int(frame)
        self.text = self.default_text if text is None else text
        self.before, self.after = before, after

    def _put(self, project: Project, state: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, project: Project) -> None:
        self._put(project, self.after)

    def revert(self, project: Project) -> None:
        self._put(project, self.before)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "reel_id": self.reel_id, "frame": self.frame,
                "before": self.before, "after": self.after}

    @classmethod
    def from_dict(cls, d: dict) -> FrameStateEdit:
        return cls(d["reel_id"], d["frame"], d["before"], d["after"], d.get("text"))


class MaskEdit(Command):
    """Replace per-frame masks of one layer (paint, erase, track along motion, clear)."""

    kind = "mask"

    def __init__(self, reel_id: str, layer: str, before: dict, after: dict, text: str = "Paint"):
        self.reel_id, self.layer, self.text = reel_id, layer, text
        self.before: dict[int, bytes | None] = {int(f): b for f, b in before.items()}
        self.after: dict[int, bytes | None] = {int(f): b for f, b in after.items()}

    @classmethod
    def capture(
        cls,
        project: Project,
        reel_id: str,
        layer: str,
        masks: dict[int, np.ndarray | None],
        text: str = "Paint",
    ) -> MaskEdit:
        """A command that sets ``masks`` (frame -> new mask or None), remembering the current ones."""
        before = {f: project.masks.encoded(reel_id, f, layer) for f in masks}
        after = {
            f: (None if m is None or not np.any(m) else encode_mask(as_mask(m))) for f, m in masks.items()
        }
        return cls(reel_id, layer, before, after, text)

    @property
    def frames(self) -> list[int]:
        return sorted(self.after)

    def _put(self, project: Project, state: dict[int, bytes | None]) -> None:
        for frame, data in state.items():
            project.masks.set(self.reel_id, frame, self.layer, None if data is None else decode_mask(data))

    def apply(self, project: Project) -> None:
        self._put(project, self.after)

    def revert(self, project: Project) -> None:
        self._put(project, self.before)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "reel_id": self.reel_id,
            "layer": self.layer,
            "before": {str(f): _b64(b) for f, b in self.before.items()},
            "after": {str(f): _b64(b) for f, b in self.after.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> MaskEdit:
        before = {int(f): _unb64(b) for f, b in d["before"].items()}
        after = {int(f): _unb64(b) for f, b in d["after"].items()}
        return cls(d["reel_id"], d["layer"], before, after, d.get("text", "Paint"))


class HoldEdit(Command):
    """Add (or, with ``add=False``, remove) a mask held over a frame range."""

    kind = "hold"

    def __init__(
        self,
        reel_id: str,
        start: int,
        stop: int,
        mask: bytes,
        hold_id: str | None = None,
        add: bool = True,
        text: str = "Hold over range",
    ):
        self.reel_id, self.start, self.stop, self.mask = reel_id, int(start), int(stop), mask
        self.hold_id, self.add, self.text = hold_id, add, text

    @classmethod
    def adding(
        cls, reel_id: str, start: int, stop: int, mask: np.ndarray, text: str = "Hold over range"
    ) -> HoldEdit:
        return cls(reel_id, start, stop, encode_mask(as_mask(mask)), None, True, text)

    @classmethod
    def removing(
        cls, project: Project, reel_id: str, hold_id: str, text: str = "Remove held mask"
    ) -> HoldEdit:
        hold = next(h for h in project.masks.holds(reel_id) if h.id == hold_id)
        mask = encode_mask(project.masks.hold_mask(reel_id, hold_id))
        return cls(reel_id, hold.start, hold.stop, mask, hold_id, False, text)

    def _add(self, project: Project) -> None:
        self.hold_id = project.masks.hold(
            self.reel_id, self.start, self.stop, decode_mask(self.mask), self.hold_id
        )

    def _remove(self, project: Project) -> None:
        project.masks.unhold(self.reel_id, self.hold_id)

    def apply(self, project: Project) -> None:
        (self._add if self.add else self._remove)(project)

    def revert(self, project: Project) -> None:
        (self._remove if self.add else self._add)(project)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "reel_id": self.reel_id,
            "start": self.start,
            "stop": self.stop,
            "mask": _b64(self.mask),
            "hold_id": self.hold_id,
            "add": self.add,
        }

    @classmethod
    def from_dict(cls, d: dict) -> HoldEdit:
        return cls(
            d["reel_id"],
            d["start"],
            d["stop"],
            _unb64(d["mask"]),
            d.get("hold_id"),
            bool(d["add"]),
            d.get("text", "Hold over range"),
        )


class RejectEdit(Command):
    """Change which detected defects of a frame are rejected (kept out of the repair)."""

    kind = "reject"

    def __init__(
        self, reel_id: str, frame: int, before: set[int], after: set[int], text: str = "Reject detection"
    ):
        self.reel_id, self.frame, self.text = reel_id, int(frame), text
        self.before, self.after = set(before), set(after)

    @classmethod
    def rejecting(
        cls, project: Project, reel_id: str, frame: int, ids: list[int] | None = None, reject: bool = True
    ) -> RejectEdit:
        """Reject (or accept, with ``reject=False``) ``ids``, or every defect of the frame when None."""
        now = project.rejected(reel_id, frame)
        ids_set = {d.id for d in project.defects(reel_id, frame)} if ids is None else set(ids)
        after = now | ids_set if reject else now - ids_set
        return cls(reel_id, frame, now, after, "Reject detection" if reject else "Accept detection")

    def apply(self, project: Project) -> None:
        project._set_rejected(self.reel_id, self.frame, self.after)

    def revert(self, project: Project) -> None:
        project._set_rejected(self.reel_id, self.frame, self.before)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "reel_id": self.reel_id,
            "frame": self.frame,
            "before": sorted(self.before),
            "after": sorted(self.after),
        }

    @classmethod
    def from_dict(cls, d: dict) -> RejectEdit:
        return cls(
            d["reel_id"], d["frame"], set(d["before"]), set(d["after"]), d.get("text", "Reject detection")
        )


REVOKE_OP, REVOKE_UNDONE_OP = "revoke_intervention", "revoke_undone"


class RevokeEdit(Command):
    """Take back one repaired region of a frame: erase painted pixels there, exclude the box.

    With ``record`` (the restore record id, the intervention's index and its fields) every
    apply, redo included, adds a ``revoke_intervention`` record to the history and every undo
    a ``revoke_undone`` one, so the history says which repairs stand taken back now."""

    kind = "revoke"

    def __init__(
        self,
        reel_id: str,
        frame: int,
        bbox,
        painted_before: bytes | None,
        painted_after: bytes | None,
        excluded_before: list,
        text: str = "Revoke repair",
        record: dict | None = None,
    ):
        self.reel_id, self.frame, self.text = reel_id, int(frame), text
        self.bbox = tuple(int(v) for v in bbox)
        self.painted_before, self.painted_after = painted_before, painted_after
        self.excluded_before = [tuple(int(v) for v in b) for b in excluded_before]
        self.record = record

    @classmethod
    def capture(cls, project: Project, reel_id: str, frame: int, bbox, record: dict | None = None) -> RevokeEdit:
        before = project.masks.encoded(reel_id, frame, "painted")
        after = before
        if before is not None:
            painted = decode_mask(before).copy()
            x, y, w, h = bbox
            painted[y : y + h, x : x + w] = False
            after = encode_mask(painted) if painted.any() else None
        return cls(reel_id, frame, bbox, before, after, project.excluded(reel_id, frame), record=record)

    def _painted(self, project: Project, data: bytes | None) -> None:
        if self.painted_before != self.painted_after:  # untouched painting stays as it is
            project.masks.set(
                self.reel_id, self.frame, "painted", None if data is None else decode_mask(data)
            )

    def apply(self, project: Project) -> None:
        self._painted(project, self.painted_after)
        project._set_excluded(self.reel_id, self.frame, [*self.excluded_before, self.bbox])
        if self.record is not None:
            project.record(REVOKE_OP, dict(self.record))

    def revert(self, project: Project) -> None:
        self._painted(project, self.painted_before)
        project._set_excluded(self.reel_id, self.frame, self.excluded_before)
        if self.record is not None:
            project.record(REVOKE_UNDONE_OP, {"record_id": self.record["record_id"], "index": self.record["index"],
                                              "frame": self.frame, "bbox": list(self.bbox)})

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "text": self.text,
            "reel_id": self.reel_id,
            "frame": self.frame,
            "bbox": list(self.bbox),
            "painted_before": _b64(self.painted_before),
            "painted_after": _b64(self.painted_after),
            "excluded_before": [list(b) for b in self.excluded_before],
            "record": self.record,
        }

    @classmethod
    def from_dict(cls, d: dict) -> RevokeEdit:
        return cls(
            d["reel_id"],
            d["frame"],
            d["bbox"],
            _unb64(d["painted_before"]),
            _unb64(d["painted_after"]),
            d["excluded_before"],
            d.get("text", "Revoke repair"),
            d.get("record"),
        )


KINDS: dict[str, type[Command]] = {c.kind: c for c in (MaskEdit, HoldEdit, RejectEdit, RevokeEdit)}


def register(cls: type[Command]) -> type[Command]:
    """Make a command kind defined in another module loadable from ``undo.json``."""
    KINDS[cls.kind] = cls
    return cls


def command_from_dict(d: dict) -> Command:
    return KINDS[d["kind"]].from_dict(d)  # type: ignore[attr-defined]


class UndoStack:
    """A linear undo/redo stack of :class:`Command` s; ``index`` commands are applied."""

    changed = Signal()

    def __init__(self, project: Project, limit: int = 200):
        self.project = project
        self.limit = limit
        self.commands: list[Command] = []
        self.index = 0

    def push(self, command: Command) -> None:
        """Apply ``command`` and put it on top (dropping anything that could be redone)."""
        command.apply(self.project)
        del self.commands[self.index :]
        self.commands.append(command)
        if len(self.commands) > self.limit:
            del self.commands[: len(self.commands) - self.limit]
        self.index = len(self.commands)
        self.changed.emit()

    @property
    def can_undo(self) -> bool:
        return self.index > 0

    @property
    def can_redo(self) -> bool:
        return self.index < len(self.commands)

    @property
    def undo_text(self) -> str:
        return self.commands[self.index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self.commands[self.index].text if self.can_redo else ""

    def undo(self) -> None:
        if not self.can_undo:
            raise IndexError("nothing to undo")
        self.index -= 1
        self.commands[self.index].revert(self.project)
        self.changed.emit()

    def redo(self) -> None:
        if not self.can_redo:
            raise IndexError("nothing to redo")
        self.commands[self.index].apply(self.project)
        self.index += 1
        self.changed.emit()

    def clear(self) -> None:
        self.commands, self.index = [], 0
        self.changed.emit()

    def to_json(self) -> dict:
        return {"index": self.index, "commands": [c.to_dict() for c in self.commands]}

    def from_json(self, doc: dict) -> None:
        commands = [command_from_dict(d) for d in doc["commands"]]
        index = int(doc["index"])
        if not 0 <= index <= len(commands):
            raise ValueError(f"undo index {index} out of range")
        self.commands, self.index = commands, index
        self.changed.emit()

    def load(self, file: Path) -> None:
        """Read a saved stack; a missing or damaged file just leaves the stack empty (logged)."""
        if not file.is_file():
            return
        try:
            self.from_json(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s: undo history ignored (%s)", file, exc)
            self.commands, self.index = [], 0
