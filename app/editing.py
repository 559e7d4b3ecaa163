"""Edits from menus and the inspector: undo, hold/track masks, review, preview, queue."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QInputDialog

from app.painting import undo
from restoration_core.render.masks import ClipMasks


class EditingMixin:
    """Mixed into MainWindow; every project change goes through ``self.undo_stack``."""

    def undo_stack_actions(self, menu) -> None:
        """Undo/Redo in ``menu``, driven by the project's own (only) undo stack."""
        self.undo_stack = undo.ProjectUndo(self, menu)
        self.session.project_changed.connect(self._watch_project)
        self._watched = None

    def _watch_project(self) -> None:
        old = self._watched
        if old is not None:
            old.events.masks_changed.disconnect(self._project_masks)
            old.events.held_changed.disconnect(self._project_held)
            old.events.defects_changed.disconnect(self._project_defects)
        project = self._watched = self.session.project
        if project is None:
            self.undo_stack.clear()
            return
        project.events.masks_changed.connect(self._project_masks)
        project.events.held_changed.connect(self._project_held)
        project.events.defects_changed.connect(self._project_defects)
        undo.mirror(self.undo_stack, project)

    def _project_masks(self, reel_id: str, frame: int, layer: str) -> None:
        if reel_id == self.session.reel_id:
            self.session.masks_changed.emit(frame)

    def _project_held(self, reel_id: str, start: int, stop: int) -> None:
        if reel_id == self.session.reel_id and start <= self.viewer.index < stop:
            self.session.masks_changed.emit(self.viewer.index)

    def _project_defects(self, reel_id: str, frame: int) -> None:
        if reel_id == self.session.reel_id:
            self.session.masks_changed.emit(frame)

    def _project_ready(self) -> bool:
        if self.session.project is None or self.session.reel_id is None or self.viewer.data is None:
            self.statusBar().showMessage("Open a reel first", 4000)
            return False
        return True

    # ---- masks ------------------------------------------------------------------------
    def current_painted(self) -> np.ndarray | None:
        s = self.session
        return s.project.masks.get(s.reel_id, self.viewer.index, "painted")

    def hold_over_range(self) -> None:
        """Hold this frame's painted mask over the in/out range (gate hair, a fixed stain)."""
        if not self._project_ready():
            return
        mask = self.current_painted()
        if mask is None:
            self.statusBar().showMessage("Paint a mask on this frame first, then hold it", 5000)
            return
        from restoration_core.project import HoldEdit

        a, b = self.transport.marked_range()
        s = self.session
        undo.push(self.undo_stack, s.project,
                  HoldEdit.adding(s.reel_id, a, b, mask, text=f"Hold mask over {a}–{b - 1}"))
        self.statusBar().showMessage(f"Mask held over frames {a}–{b - 1}", 5000)

    def clear_painted(self) -> None:
        if not self._project_ready() or self.current_painted() is None:
            return
        from restoration_core.project import MaskEdit

        s, f = self.session, self.viewer.index
        undo.push(self.undo_stack, s.project,
                  MaskEdit.capture(s.project, s.reel_id, "painted", {f: None}, text=f"Clear mask (frame {f})"))

    def track_mask(self, frames: int | None = None) -> None:
        """Carry this frame's painted mask N frames along the optical flow (negative: backward)."""
        if not self._project_ready():
            return
        mask = self.current_painted()
        if mask is None:
            self.statusBar().showMessage("Paint a mask on this frame first, then track it", 5000)
            return
        if frames is None:
            frames, ok = QInputDialog.getInt(self, "Track mask along motion",
                                             "Frames to carry the mask (negative = backward):", 12,
                                             -10000, 10000)
            if not ok or frames == 0:
                return
        from app.painting.track import track_task

        s, start = self.session, self.viewer.index

        def done(result: dict[int, np.ndarray]) -> None:
            from restoration_core.project import MaskEdit

            if s.project is None or not result:
                return
            undo.push(self.undo_stack, s.project,
                      MaskEdit.capture(s.project, s.reel_id, "painted", result,
                                       text=f"Track mask from frame {start} ({len(result)} frames)"))
            self.statusBar().showMessage(f"Mask tracked over {len(result)} frames", 5000)

        self.statusBar().showMessage("Tracking mask along motion…")
        self.controller.run_on_reel("track", track_task(start, frames, mask, s.frames), done)

    # ---- review -----------------------------------------------------------------------
    def set_frame_rejected(self, rejected: bool, ids: list[int] | None = None) -> None:
        """Reject (keep out of the repair) or accept detections of this frame; undoable."""
        if not self._project_ready():
            return
        from restoration_core.project import RejectEdit

        s, f = self.session, self.viewer.index
        before = s.project.rejected(s.reel_id, f)
        all_ids = {d.id for d in s.project.defects(s.reel_id, f)}
        chosen = all_ids if ids is None else set(ids)
        after = (before | chosen) if rejected else (before - chosen)
        if after == before:
            return
        word = "Reject" if rejected else "Accept"
        undo.push(self.undo_stack, s.project,
                  RejectEdit(s.reel_id, f, before, after, text=f"{word} {len(chosen)} detection(s) (frame {f})"))

    def revoke_repair(self, record_id: int, index: int) -> None:
        """Take back one recorded repair: later renders leave that region as scanned; undoable.

        A rebuilt frame leaves the frames to rebuild instead (revoking its whole-frame box would
        leave every other repair of that frame out too), from the inspector as from the review."""
        if not self._project_ready():
            return
        s = self.session
        iv = s.project.interventions(record_id)[index]
        if iv.kind == "rebuild" and hasattr(self, "frame_candidates"):
            self.frame_candidates.take_back_rebuilt(record_id, index, iv)
            return
        s.project.revoke_intervention(record_id, index, apply=lambda cmd: undo.push(self.undo_stack, s.project, cmd))
        self.statusBar().showMessage(f"Repair {record_id}.{index} taken back: it is left out of later renders", 6000)

    def goto_defect(self, direction: int) -> None:
        s = self.session
        frames = s.project.defect_frames(s.reel_id) if s.project is not None and s.reel_id else []
        f = self.transport.frame
        hits = [x for x in frames if (x > f if direction > 0 else x < f)]
        if hits:
            self.transport.speed = 0
            self.transport.seek(hits[0] if direction > 0 else hits[-1])
        else:
            self.statusBar().showMessage("No further detected defect (run Review > Detect whole reel)", 4000)

    # ---- restore ----------------------------------------------------------------------
    def clip_masks(self):
        """The repair masks of the clip a render of the marked range would get (the project's rule)."""
        s = self.session
        a, b = self.transport.marked_range()
        index = self.viewer.index
        if not a <= index < b:
            a, b = 0, s.frames   # a frame outside the marks previews as part of the whole reel
        return ClipMasks(self.viewer.data.shape[:2], (a, b), s.project, s.reel_id)

    def preview_frame(self) -> None:
        if not self._project_ready():
            return
        chosen = self.inspector.settings_dict() if hasattr(self, "inspector") else {"restore": {}, "detect": {}}
        restore = chosen["restore"]
        if restore.get("engine") == "diffusion" and not restore.get("model"):
            self.show_error("Cannot preview", "The diffusion engine needs a model: choose one in the inspector")
            return
        model = restore.get("model") if restore.get("engine") == "diffusion" else None  # auto uses none
        # the queued clip's job: the same settings, detection and chunks (app.jobs_dock.queue_clip)
        self.controller.request_preview(self.viewer.index, self.clip_masks(), restore,
                                        detect_settings=chosen.get("detect", {}), model=model,
                                        steps=restore.get("steps"))

    # ---- clips and jobs ---------------------------------------------------------------
    def queue_clip(self) -> None:
        """Make the in/out range a clip with the inspector's settings and queue its job."""
        if not self._project_ready():
            return
        from app.jobs_dock import queue_clip

        queue_clip(self)

    def detect_reel(self) -> None:
        """Detect every frame in the background (progress and cancel in the status bar)."""
        if not self._project_ready():
            return
        self.reel_detection.start()
