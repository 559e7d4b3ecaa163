"""The frames a reel's renders rebuild, changed one frame at a time as undoable project edits.

A :class:`RebuildEdit` decides one frame of a reel: whether it is listed to rebuild (the
``restore.rebuild`` list of every clip of the reel that covers it) and, for a rebuild candidate
of the frame scan (black, blank, torn, duplicate), its status: ``pending``, ``accepted``
(listed) or ``dismissed`` (kept as scanned). Applying it and reverting it (undo, redo) each
record the state they leave in the history (op :data:`REBUILD_OP`); the history stays
append-only and its latest record of a frame is that frame's state, so an undone decision is
recorded too and a front end can follow every change (the workbench's frames-to-rebuild field
and timeline marks do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from restoration_core.errors import InputError
from restoration_core.project.commands import FrameStateEdit, register

if TYPE_CHECKING:
    from restoration_core.project.document import Project

REBUILD_OP = "rebuild_candidate"
PENDING, ACCEPTED, DISMISSED = "pending", "accepted", "dismissed"
STATUSES = (PENDING, ACCEPTED, DISMISSED)


def clip_rebuild(clip) -> list[int]:
    """The frames a clip's settings list to rebuild (the workbench writes them as a list)."""
    frames = clip.settings.get("restore", {}).get("rebuild") or []
    if not isinstance(frames, list | tuple):
        raise InputError(f"clip {clip.id}: restore.rebuild must be a list of frames here, got {frames!r}")
    return sorted({int(f) for f in frames})


def covering_clips(project: Project, reel_id: str, frame: int) -> list:
    return [c for c in project.clips if c.reel_id == reel_id and c.in_frame <= frame < c.out_frame]


class RebuildEdit(FrameStateEdit):
    """One frame listed to rebuild or not, and its candidate status, before and after.

    A state is ``{"listed": bool, "status": str | None, "clips": {clip id: [frames]}}``
    (``status`` None for a frame the scan did not suggest; ``clips`` the whole rebuild list of
    each covering clip, so a revert puts each list back exactly)."""

    kind = "rebuild"
    default_text = "Rebuild frame"

    @classmethod
    def capture(cls, project: Project, reel_id: str, frame: int, *, listed_now: bool, status_now: str | None,
                listed: bool, status: str | None, text: str) -> RebuildEdit:
        """The edit that lists (or unlists) ``frame`` in its covering clips and gives it ``status``."""
        for s in (status_now, status):
            if s is not None and s not in STATUSES:
                raise ValueError(f"unknown rebuild candidate status {s!r} (one of {', '.join(STATUSES)})")
        frame = int(frame)
        clips_before, clips_after = {}, {}
        for clip in covering_clips(project, reel_id, frame):
            have = clip_rebuild(clip)
            clips_before[clip.id] = have
            clips_after[clip.id] = sorted(set(have) | {frame}) if listed else [f for f in have if f != frame]
        return cls(reel_id, frame, {"listed": bool(listed_now), "status": status_now, "clips": clips_before},
                   {"listed": bool(listed), "status": status, "clips": clips_after}, text)

    def _put(self, project: Project, state: dict) -> None:
        for clip_id, frames in state["clips"].items():
            clip = next((c for c in project.clips if c.id == clip_id), None)
            if clip is None or clip_rebuild(clip) == sorted(frames):
                continue   # removed since, or already so
            settings = {k: dict(v) if isinstance(v, dict) else v for k, v in clip.settings.items()}
            restore = settings.setdefault("restore", {})
            if frames:
                restore["rebuild"] = sorted(int(f) for f in frames)
            else:
                restore.pop("rebuild", None)
            project.update_clip(clip_id, settings=settings)
        params = {"reel_id": self.reel_id, "frame": self.frame, "listed": bool(state["listed"])}
        if state["status"] is not None:
            params["status"] = state["status"]
        project.record(REBUILD_OP, params)


register(RebuildEdit)


def recorded_states(project: Project, reel_id: str) -> dict[int, dict]:
    """The latest recorded state of each decided frame of the reel (``listed``, ``status``)."""
    out: dict[int, dict] = {}
    for h in project.history:
        if h.op == REBUILD_OP and h.params.get("reel_id") == reel_id:
            out[int(h.params["frame"])] = dict(h.params)
    return out
