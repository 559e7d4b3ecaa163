"""Frames to rebuild, in the workbench: the rebuild candidates on the timeline and their actions.

The frame scan (``restoration_core.detect.frames.scan_frames``) is the one whole-reel
detection makes for the reel's cuts (handed on by ``ReelDetection.frame_scan``: the reel is
read once for both), or runs on its own from Review > Find frames to rebuild; its black, blank,
torn and duplicate frames go into :class:`app.models.candidates.RebuildCandidates`, which the
timeline marks, with its splices (a cut mark: temporal steps stop there). Accepting a candidate (or "Rebuild this frame") adds the frame to the rebuild list: the
inspector's (what a queued clip gets) and that of every clip of the reel that covers it;
dismissing leaves it as it is. A rebuilt frame taken back in the review pass leaves those lists.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from app.inspector import format_frames
from app.models.candidates import ACCEPTED, DISMISSED, PENDING, RebuildCandidates
from app.painting import undo
from app.theme import icon
from app.workers import ReelTask, ReelWorker
from restoration_core.detect.frames import REBUILD_KINDS, scan_frames
from restoration_core.errors import InputError
from restoration_core.progress import CancelToken, run_to_end
from restoration_core.project.rebuild_frames import (
    REBUILD_OP,
    RebuildEdit,
    clip_rebuild,
    covering_clips,
    recorded_states,
)


class FrameCandidates(ReelTask):
    """Scans the open reel for rebuild candidates and edits the frames to rebuild."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.model = RebuildCandidates()
        self._project = None   # the project whose history is followed
        self._seen = 0
        s = window.session
        s.opened.connect(self._opened)
        s.closed.connect(self._closed)
        s.project_changed.connect(self._watch)
        timeline = getattr(window, "timeline", None)
        if timeline is not None:
            timeline.view.candidates = self.model
            timeline.view.rebuild_frames = self.rebuild_frames
            timeline.view.context_requested.connect(self.show_menu)
            self.model.changed.connect(lambda: timeline.view.update())
        review = getattr(window, "review_pass", None)
        if review is not None:
            self.model.changed.connect(review.rebuilds_changed)   # its frames to rebuild follow
        detection = getattr(window, "reel_detection", None)
        if detection is not None:
            detection.frame_scan.connect(self.offer)
        self._build_actions()

    def _build_actions(self) -> None:
        w = self.w
        menu = next((a.menu() for a in w.menuBar().actions() if a.text() == "&Review"), None)

        def act(text, slot, key, ic) -> QAction:
            a = QAction(icon(ic), text, w)
            if key:
                a.setShortcut(QKeySequence(key))
            a.triggered.connect(lambda _=False: slot())
            w.addAction(a)
            if menu is not None:
                menu.addAction(a)
            return a

        if menu is not None:
            menu.addSeparator()
        self.act_scan = act("Find frames to rebuild", self.scan, None, "mdi6.filmstrip-box-multiple")
        self.act_rebuild = act("Rebuild this frame", self.rebuild_this_frame, "Ctrl+B", "mdi6.image-refresh")
        self.act_keep = act("Don't rebuild this frame", lambda: self.remove_rebuild(self.w.transport.frame),
                            None, "mdi6.image-remove")
        self.act_next = act("Next rebuild candidate", lambda: self.goto(1), "Alt+Right", "mdi6.skip-next")
        self.act_dismiss = act("Dismiss rebuild candidate", lambda: self.dismiss(self.w.transport.frame), None,
                               "mdi6.close")

    # ---- the scan --------------------------------------------------------------------
    def offer(self, scan, announce: bool = True) -> str | None:
        """A whole-reel frame scan made elsewhere (whole-reel detection for its cuts, the motion
        curve for its shots): it is the candidates' too (the first one: the frames do not change).
        Returns what was found, in words (None when the scan was not taken); ``announce=False``
        leaves saying it to the caller, whose own message would overwrite it."""
        if self.model.scanned or self.running or self.w.session.reel is None:
            return None
        if scan.start == 0 and scan.count == self.w.session.frames:
            return self._take(scan, announce)
        return None

    def cuts(self) -> list[int] | None:
        """The open reel's splices from the one scan, None before it is scanned (the motion curve's
        shot starts, so it does not scan the reel again)."""
        return self.model.splices() if self.model.scanned else None

    def scan(self) -> bool:
        """Scan the open reel's frames in the background (False when none is open or one runs)."""
        s = self.w.session
        if s.reel is None or self.running:
            return False
        self.run_id += 1
        run_id, token = self.run_id, CancelToken()
        self.token = token
        self.worker = ReelWorker(str(s.reel.path), "frame-scan", parent=self)

        def run(reel):
            return run_to_end(scan_frames(reel, cancel=token))

        self.worker.submit("frame-scan", run, lambda scan: self._found(run_id, scan),
                           lambda msg: self._failed(run_id, msg))
        self.w.statusBar().showMessage("Looking for black, blank, torn and duplicate frames…")
        return True

    def _found(self, run_id: int, scan) -> None:
        if run_id != self.run_id:
            return
        self._drop_worker()
        self._take(scan)

    def _take(self, scan, announce: bool = True) -> str:
        self.model.set_scan(scan.defects, REBUILD_KINDS)
        for f, status in self.recorded_decisions().items():   # dismissals saved with the project
            if status == DISMISSED and self.model.at(f) is not None:
                self.model.decide(f, status)
        for f in self.rebuild_frames():
            if self.model.at(f) is not None:
                self.model.decide(f, ACCEPTED)
        n, cuts = len(self.model.items()), len(self.model.splices())
        found = f"{n} frame{'s' if n != 1 else ''} to consider rebuilding" if n else \
            "No black, blank, torn or duplicate frame found"
        if cuts:
            found += f", {cuts} splice{'s' if cuts != 1 else ''}"
        found += " (marked on the timeline)" if n or cuts else ""
        detection = getattr(self.w, "reel_detection", None)
        if announce and detection is not None and detection.running:
            detection.add_note(found)   # kept in its progress and end messages, not overwritten by them
        elif announce:
            self.w.statusBar().showMessage(found, 10000)
        return found

    def _failed(self, run_id: int, message: str) -> None:
        if run_id != self.run_id:
            return
        self._drop_worker()
        if message != "cancelled":
            self.w.show_error("Frame scan failed", message)

    def _opened(self) -> None:
        self.stop()
        self.model.reset(self.w.session.reel_id)

    def _closed(self) -> None:
        self.stop()
        self.model.reset(None)

    # ---- the frames to rebuild -----------------------------------------------------------
    def rebuild_frames(self) -> list[int]:
        """The inspector's frames to rebuild ([] when its list is empty or unreadable)."""
        try:
            return self.w.inspector.rebuild_frames()
        except InputError:
            return []

    def _inspector_listed(self, frame: int, listed: bool) -> None:
        """Put ``frame`` in (or take it off) the inspector's list (a bad list is left alone)."""
        try:
            frames = set(self.w.inspector.rebuild_frames())
        except InputError:
            return
        frames = frames | {frame} if listed else frames - {frame}
        self.w.inspector.rebuild.setText(format_frames(sorted(frames)))

    def _edit(self, frame: int, listed: bool, status: str | None, text: str) -> bool:
        """One undoable step: ``frame`` listed to rebuild or not (the inspector's list, what a
        queued clip gets, and every clip of the reel that covers it) and, for a candidate, its
        status. The inspector and the marks follow the history record it leaves (:meth:`_follow`),
        so undo and redo move them too. False when nothing changed or it could not be done."""
        s, frame = self.w.session, int(frame)
        if s.project is None or s.reel_id is None:
            return False
        try:
            listed_now = frame in set(self.w.inspector.rebuild_frames())
        except InputError as exc:
            self.w.show_error("Cannot change the frames to rebuild", str(exc))
            return False
        status_now = self.model.status(frame) if self.model.at(frame) is not None else None
        if status_now is None:
            status = None
        try:
            cmd = RebuildEdit.capture(s.project, s.reel_id, frame, listed_now=listed_now, status_now=status_now,
                                      listed=listed, status=status, text=text)
        except InputError as exc:
            self.w.show_error("Cannot change the frames to rebuild", str(exc))
            return False
        if cmd.before == cmd.after:
            return False
        undo.push(self.w.undo_stack, s.project, cmd)
        return True

    def _watch(self) -> None:
        """Follow the open project's history (the records :class:`RebuildEdit` leaves)."""
        old, project = self._project, self.w.session.project
        if old is project:
            return
        if old is not None:
            old.events.history_changed.disconnect(self._history_changed)
        self._project = project
        self._seen = 0 if project is None else len(project.history)
        if project is not None:
            project.events.history_changed.connect(self._history_changed)

    def _history_changed(self) -> None:
        project, s = self._project, self.w.session
        if project is None:
            return
        new, self._seen = project.history[self._seen:], len(project.history)
        for h in new:
            if h.op == REBUILD_OP and h.params.get("reel_id") == s.reel_id and s.reel_id is not None:
                self._follow(h.params)

    def _follow(self, params: dict) -> None:
        """Show a frame's recorded state: listed or not in the inspector, its candidate status."""
        frame = int(params["frame"])
        if "listed" in params:
            self._inspector_listed(frame, bool(params["listed"]))
        status = params.get("status")
        if status is not None and self.model.at(frame) is not None:
            self.model.decide(frame, status)
        self.w.session.previews.pop(frame, None)   # its preview no longer matches
        self.model.changed.emit()

    def add_rebuild(self, frame: int, text: str | None = None) -> bool:
        frame = int(frame)
        return self._edit(frame, True, ACCEPTED, text or f"Rebuild frame {frame}")

    def remove_rebuild(self, frame: int) -> bool:
        frame = int(frame)
        status = self.model.status(frame)
        return self._edit(frame, False, PENDING if status == ACCEPTED else status, f"Don't rebuild frame {frame}")

    def recorded_decisions(self) -> dict[int, str]:
        """The latest recorded candidate status per frame of the open reel (the project's history)."""
        s = self.w.session
        if s.project is None or s.reel_id is None:
            return {}
        return {f: st["status"] for f, st in recorded_states(s.project, s.reel_id).items() if "status" in st}

    def rebuild_this_frame(self) -> None:
        if self.w.session.reel is not None and self.add_rebuild(self.w.transport.frame):
            self.w.statusBar().showMessage(f"Frame {self.w.transport.frame} will be rebuilt from its "
                                           "neighbours in renders (Ctrl+Z undoes it)", 6000)

    def accept(self, frame: int) -> bool:
        return self.add_rebuild(frame, f"Accept rebuild candidate (frame {int(frame)})")

    def dismiss(self, frame: int) -> bool:
        if self.model.at(frame) is None:
            return False
        return self._edit(int(frame), False, DISMISSED, f"Dismiss rebuild candidate (frame {int(frame)})")

    def take_back(self, frame: int) -> bool:
        """A rebuilt frame is left as scanned in later renders (the review pass's take-back)."""
        frame = int(frame)
        return self._edit(frame, False, DISMISSED, f"Take back rebuilt frame {frame}")

    def take_back_rebuilt(self, record_id: int, index: int, intervention) -> None:
        """The review pass took a rendered rebuild back: the frame leaves the rebuild lists (one
        undoable step) and the history records the take-back."""
        frame = int(intervention.frame)
        self.take_back(frame)
        project = self.w.session.project
        if project is not None:
            project.record("revoke_intervention", {"record_id": int(record_id), "index": int(index),
                                                   **intervention.to_dict(), "rebuild_list": "removed"})
        self.w.statusBar().showMessage(f"Frame {frame} is no longer rebuilt: later renders keep it as scanned "
                                       "(Ctrl+Z undoes it)", 6000)

    def is_listed(self, frame: int) -> bool:
        """Whether a render of the reel would rebuild ``frame`` (the inspector's list or a clip's)."""
        s, frame = self.w.session, int(frame)
        if frame in self.rebuild_frames():
            return True
        if s.project is None or s.reel_id is None:
            return False
        try:
            return any(frame in clip_rebuild(c) for c in covering_clips(s.project, s.reel_id, frame))
        except InputError:
            return False

    def goto(self, direction: int) -> None:
        t = self.w.transport
        frames = self.model.pending() or [c.frame for c in self.model.items()]
        hits = [f for f in frames if (f > t.frame if direction > 0 else f < t.frame)]
        if hits:
            t.speed = 0
            t.seek(hits[0] if direction > 0 else hits[-1])
        else:
            self.w.statusBar().showMessage("No further rebuild candidate", 4000)

    # ---- the timeline's context menu -------------------------------------------------------
    def menu_actions(self, frame: int) -> list[tuple[str, object]]:
        """What the timeline offers at ``frame``: (text, callable) pairs."""
        out: list[tuple[str, object]] = []
        c = self.model.at(frame)
        listed = frame in self.rebuild_frames()
        if c is not None:
            state = self.model.status(frame)
            if state != ACCEPTED:
                out.append((f"Accept: rebuild frame {frame} ({c.kind})", lambda: self.accept(frame)))
            if state != DISMISSED:
                out.append((f"Dismiss: keep frame {frame} as it is", lambda: self.dismiss(frame)))
        if not listed and (c is None or self.model.status(frame) == DISMISSED):
            out.append((f"Rebuild frame {frame} from its neighbours", lambda: self.add_rebuild(frame)))
        if listed and (c is None or self.model.status(frame) != ACCEPTED):
            out.append((f"Don't rebuild frame {frame}", lambda: self.remove_rebuild(frame)))
        return out

    def show_menu(self, frame: int, pos) -> None:
        if self.w.session.reel is None:
            return
        menu = QMenu(self.w)
        c = self.model.at(frame)
        if c is not None:
            head = menu.addAction(f"Frame {frame}: {c.kind} — {c.detail}" if c.detail else f"Frame {frame}: {c.kind}")
            head.setEnabled(False)
        for text, fn in self.menu_actions(frame):
            menu.addAction(text, fn)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(pos)


def install(window) -> FrameCandidates:
    fc = FrameCandidates(window)
    window.frame_candidates = fc
    window.shutdown_hooks.append(fc.stop)
    return fc
