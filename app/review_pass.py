"""The review pass: step through every repair of a clip, one region at a time, and decide.

``V`` starts (and ends) it over the in/out range (or the whole reel). Each region is shown
zoomed with its mask outlined; ``Y`` accepts, ``X`` rejects and the next unreviewed region
is shown at once; ``N`` / ``Shift+N`` go to the next / previous unreviewed one, ``.`` / ``,``
to the next / previous region of any state; ``\\`` toggles before / after (the frame's
restore preview, made in the background as each frame is reached). The decisions are the
project's (restoration_core.project.decisions): undoable, saved, honoured by every render.
The frames a render of the range will rebuild are items too, shown whole before the frame's
regions (``app.review_rebuild``): ``Y`` keeps one, ``X`` takes it out of the rebuild (undoable).

After a render, "Recorded repairs" steps through what the latest render of the reel did
(the project's history): ``X`` takes the shown repair back, ``Y`` keeps it and moves on.
The regions that render left as scanned for review (its temporal sources disagreed, or its
fill did not match its surroundings) are listed under "Held for review": ``Y`` chooses the
repair (its box is painted, so the next render repairs it), ``X`` keeps the scan.
"""

from __future__ import annotations

import bisect
import dataclasses

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.lists import refill
from app.painting import undo
from app.review_outline import ReviewOutline
from app.review_rebuild import REBUILD_KIND, RebuildFrames, RebuildItem, order_key
from app.review_rebuild import step as merged_step
from app.theme import icon
from restoration_core.project.decisions import (
    ACCEPTED,
    HELD_KEPT,
    HELD_REPAIRED,
    REJECTED,
    UNREVIEWED,
    RecordedRepair,
    ReviewItem,
    ReviewQueue,
    decide,
    held_status,
    item_mask,
    keep_held_scan,
    latest_render,
    recorded_repairs,
    repair_held,
)

KINDS = ("dust", "dirt", "scratch", "blotch", "painted", "held", REBUILD_KIND)
REGIONS, RENDER = "regions", "render"
MIN_VIEW_PX = 48      # a region is shown in a window at least this many source pixels wide
MAX_ZOOM = 8.0


class ReviewPass(QObject):
    """Drives the viewer through the review items of the open reel (see module docstring)."""

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.active = False
        self.mode = REGIONS
        self.queue: ReviewQueue | None = None
        self.rebuilds: RebuildFrames | None = None   # the frames a render of the range rebuilds
        self.current: ReviewItem | RebuildItem | None = None
        self.repairs: list[RecordedRepair] = []
        self.repair_pos = -1
        self.seen: set[tuple[int, int]] = set()
        self.auto_preview = True
        self._overlays: tuple[bool, bool, bool] | None = None   # the overlay switches before the pass
        self.outline = ReviewOutline(window.viewer.canvas, window.viewer)
        self.panel = ReviewPanel(self)
        self._refresh_timer = QTimer(self)   # project events come in bursts: one refresh per turn
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.panel.refresh)
        self._build_actions()
        window.controller.frame_shown.connect(self._frame_shown)
        window.session.preview_ready.connect(self._preview_ready)
        window.session.project_changed.connect(self._project_changed)
        fc = getattr(window, "frame_candidates", None)   # installed after the pass, it connects itself
        if fc is not None:
            fc.model.changed.connect(self.rebuilds_changed)

    # ---- actions --------------------------------------------------------------------
    def _build_actions(self) -> None:
        w = self.w
        menu = next((a.menu() for a in w.menuBar().actions() if a.text() == "&Review"), None)
        if menu is not None:
            menu.addSeparator()

        def act(text, slot, key, ic=None, checkable=False, always=False) -> QAction:
            a = QAction(icon(ic) if ic else icon("mdi6.blank"), text, w)
            a.setShortcut(QKeySequence(key))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setCheckable(checkable)
            a.triggered.connect(lambda _=False: slot())
            a.setEnabled(always)
            w.addAction(a)
            if menu is not None:
                menu.addAction(a)
            return a

        self.act_toggle = act("Review pass", self.toggle, "V", "mdi6.clipboard-check-outline", True, True)
        self.act_accept = act("Accept region", lambda: self.decide(ACCEPTED), "Y", "mdi6.check-bold")
        self.act_reject = act("Reject region / take repair back", lambda: self.decide(REJECTED), "X",
                              "mdi6.close-thick")
        self.act_next = act("Next unreviewed", lambda: self.step(1), "N", "mdi6.skip-next-outline")
        self.act_prev = act("Previous unreviewed", lambda: self.step(-1), "Shift+N", "mdi6.skip-previous-outline")
        self.act_next_any = act("Next region", lambda: self.step(1, unreviewed=False), ".")
        self.act_prev_any = act("Previous region", lambda: self.step(-1, unreviewed=False), ",")
        self._keys = (self.act_accept, self.act_reject, self.act_next, self.act_prev,
                      self.act_next_any, self.act_prev_any)

    # ---- start / stop -----------------------------------------------------------------
    def toggle(self) -> None:
        self.stop() if self.active else self.start()

    def start(self, mode: str | None = None) -> bool:
        """Start the review of the in/out range (whole reel when unmarked); False without an open reel."""
        s = self.w.session
        if s.project is None or s.reel_id is None:
            self._tell("Open a reel first")
            self.act_toggle.setChecked(False)
            return False
        self.stop(quiet=True)
        self.mode = mode or self.mode
        self.active = True
        self.act_toggle.setChecked(True)
        for a in self._keys:
            a.setEnabled(True)
        self.w.transport.speed = 0
        self.w.compare.mode = "single"
        self.w.compare.show_after = False
        o = self.w.overlay   # the region is outlined, not filled: "before" shows the damage itself
        if self._overlays is None:
            self._overlays = (o.detected, o.painted, o.boxes)
        o.detected = o.painted = o.boxes = False
        dock = self.w.docks.get("review")
        if dock is not None:
            dock.show()
            dock.raise_()
        if self.mode == REGIONS:
            t = self.w.transport
            frame_range = t.marked_range()   # the whole reel when nothing is marked
            self.queue = ReviewQueue(s.project, s.reel_id, frame_range)
            fc = getattr(self.w, "frame_candidates", None)
            if fc is not None and s.reel is not None:
                self.rebuilds = RebuildFrames(fc, frame_range, (s.reel.height, s.reel.width))
            self.panel.apply_filter()
            self.queue.changed.connect(self._queue_changed)
            first = self.next_item(None)
            if first is None:
                first = self.next_item(None, unreviewed=False)
            self.show_item(first)
        else:
            record = latest_render(s.project, s.reel_id)
            self.repairs = [] if record is None else self._recorded(record)
            self.seen = set()
            self.repair_pos = -1
            if not self.repairs:
                self._tell("No finished render of this reel is recorded yet (queue a clip and let it finish)")
            self.step_repair(1)
        self.panel.refresh()
        return True

    def stop(self, quiet: bool = False) -> None:
        if self.queue is not None:
            self.queue.changed.disconnect(self._queue_changed)
            self.queue.close()
        self.queue, self.current, self.rebuilds = None, None, None
        self.repairs, self.repair_pos = [], -1
        was = self.active
        self.active = False
        self.act_toggle.setChecked(False)
        for a in self._keys:
            a.setEnabled(False)
        self.outline.clear()
        if self._overlays is not None and not quiet:
            o = self.w.overlay
            o.detected, o.painted, o.boxes = self._overlays
            self._overlays = None
        if was and not quiet:
            self.w.viewer.canvas.fit()
            self.panel.refresh()

    def _project_changed(self) -> None:
        if self.active:
            self.stop()

    def _queue_changed(self) -> None:
        self._refresh_timer.start()

    def rebuilds_changed(self) -> None:
        """The frames to rebuild changed (a decision, its undo or redo): show their state now."""
        if not self.active:
            return
        if self.mode == RENDER and self.repairs:
            r = self.repairs[self.repair_pos]
            self.repairs = self._recorded(r.record_id)
            now = self.repairs[self.repair_pos]
            if not now.held:
                self.outline.set_status(REJECTED if now.taken_back else UNREVIEWED)
        elif self.rebuilds is not None:
            self.rebuilds.refresh()
            if isinstance(self.current, RebuildItem):
                item = self.rebuilds.item(self.current.frame)
                if item is not None:
                    self.current = item
                    self.outline.set_status(item.status)
        self._refresh_timer.start()

    # ---- the pass's items: the queue's regions and the frames to rebuild ------------------
    def _rebuild_shown(self) -> bool:
        kinds = self.panel.kinds()
        return self.rebuilds is not None and (kinds is None or REBUILD_KIND in kinds)

    def items(self) -> list:
        """Every item that passes the filter, in clip order (the frames to rebuild merged in)."""
        regions = self.queue.items() if self.queue is not None else []
        rebuilds = self.rebuilds.items() if self._rebuild_shown() else []
        return sorted([*rebuilds, *regions], key=order_key) if rebuilds else regions

    def next_item(self, item, direction: int = 1, unreviewed: bool = True):
        """The next / previous item after ``item`` (the queue's own step when no frame of the
        range is to be rebuilt: the common case stays as fast as it was)."""
        if self.queue is None:
            return None
        if self._merging(item):
            return merged_step(self.items(), item, direction, unreviewed)
        return self.queue.step(item, direction, unreviewed=unreviewed)

    def _merging(self, item) -> bool:
        """Whether stepping from ``item`` involves frames to rebuild (else the queue alone serves)."""
        return isinstance(item, RebuildItem) or (self._rebuild_shown() and bool(self.rebuilds.items()))

    def _live(self, item):
        """The current state of a handed-out item."""
        if isinstance(item, RebuildItem):
            return (self.rebuilds.item(item.frame) if self.rebuilds is not None else None) or item
        return (self.queue.find(item.frame, item.key) if self.queue is not None else None) or item

    def visible(self, item) -> bool:
        """Whether the filter shows ``item``."""
        if isinstance(item, RebuildItem):
            return self._rebuild_shown()
        return self.queue is not None and self.queue.index_of(item) is not None

    def _tell(self, message: str, ms: int = 5000) -> None:
        self.w.statusBar().showMessage(message, ms)

    # ---- regions ----------------------------------------------------------------------
    def show_item(self, item: ReviewItem | None) -> None:
        """Go to ``item``'s frame, zoomed to its region with its mask outlined."""
        self.current = item
        if item is None:
            self.outline.clear()
            self.panel.refresh()
            return
        project = self.w.session.project
        if isinstance(item, RebuildItem):
            self.outline.set_region(item.frame, item.bbox, None, f"rebuild · {item.kind}", item.status)
        else:
            label = item.kind if item.score is None else f"{item.kind} {item.score:.2f}"
            self.outline.set_region(item.frame, item.bbox, item_mask(project, item), label, item.status)
        self._go(item.frame, item.bbox)
        self.panel.refresh()
        self._prefetch_after(item)

    def _prefetch_after(self, item: ReviewItem) -> None:
        """Read the frame of the next unreviewed region on another frame while this one is looked at."""
        frames = self.w.controller.frames
        if frames is None or self.queue is None:
            return
        items = self.items()
        if self._merging(item):
            cut = bisect.bisect_right([order_key(i) for i in items], order_key(item))
        else:
            k = self.queue.index_of(item)
            cut = 0 if k is None else k + 1
        nxt = next((i for i in items[cut:] if not i.reviewed and i.frame != item.frame), None)
        if nxt is not None:
            frames.prefetch(nxt.frame)

    def decide(self, status: str) -> None:
        """Accept or reject the shown region (take back the shown repair), then show the next."""
        if not self.active:
            return
        if self.mode == RENDER:
            self._decide_repair(status)
            return
        if self.queue is None or self.current is None:
            return
        item = self._live(self.current)
        if isinstance(item, RebuildItem):
            self.rebuilds.decide(item.frame, status)
        else:
            decide(self.w.session.project, item, status)
        self._drop_preview(item.frame)
        decided = self._live(item)
        nxt = self.next_item(decided)
        if nxt is None:
            _done, total, _text = self.progress()
            self.current = decided
            self.outline.set_status(decided.status)
            self._tell(f"All {total:,} regions reviewed")
            self.panel.refresh()
            return
        self.show_item(nxt)

    def step(self, direction: int, unreviewed: bool = True) -> None:
        if not self.active:
            return
        if self.mode == RENDER:
            self.step_repair(direction)
            return
        if self.queue is None:
            return
        nxt = self.next_item(self.current, direction, unreviewed=unreviewed)
        if nxt is None:
            self._tell("No unreviewed region left" if unreviewed else "No region to review")
            return
        self.show_item(nxt)

    # ---- recorded repairs of the latest render --------------------------------------------
    def step_repair(self, direction: int) -> None:
        if not self.repairs:
            self.outline.clear()
            self.panel.refresh()
            return
        self.repair_pos = (self.repair_pos + direction) % len(self.repairs)
        self.show_repair()

    def show_repair(self) -> None:
        r = self.repairs[self.repair_pos]
        iv = r.intervention
        self.seen.add((r.record_id, r.index))
        if r.held:
            now = held_status(self.w.session.project, r)
            status = {HELD_REPAIRED: ACCEPTED, HELD_KEPT: REJECTED}.get(now, UNREVIEWED)
            label = f"{iv.kind} · held for review"
        else:
            status, label = (REJECTED if r.taken_back else UNREVIEWED), f"{iv.kind} · {iv.method}"
        self.outline.set_region(r.frame, iv.bbox, None, label, status)
        self._go(r.frame, iv.bbox)
        self.panel.refresh()

    def held(self) -> list[RecordedRepair]:
        """The shown render's regions left as scanned for review, in clip order."""
        return [r for r in self.repairs if r.held]

    def show_held(self, k: int) -> None:
        """Show the ``k``-th region held for review (the Held for review list)."""
        held = self.held()
        if not self.active or self.mode != RENDER or not 0 <= k < len(held):
            return
        self.repair_pos = self.repairs.index(held[k])
        self.show_repair()

    def _decide_held(self, r: RecordedRepair, status: str) -> None:
        """``Y`` chooses the repair of a region held for review, ``X`` keeps its scan."""
        project = self.w.session.project
        now = held_status(project, r)
        push = lambda cmd: undo.push(self.w.undo_stack, project, cmd)  # noqa: E731
        if now != UNREVIEWED:
            self._tell(f"Already decided ({'repair chosen' if now == HELD_REPAIRED else 'scan kept'}): "
                       "Ctrl+Z to change it")
        elif status == ACCEPTED:
            repair_held(project, r, apply=push)
            self._tell("The next render repairs this region (its box is painted)", 6000)
        else:
            keep_held_scan(project, r, apply=push)
            self._tell("The scan is kept: later renders leave this region as it is", 6000)
        self._drop_preview(r.frame)
        self.repairs = recorded_repairs(project, r.record_id)
        self.repair_pos = next(k for k, x in enumerate(self.repairs) if x.index == r.index)
        self.step_repair(1)

    def _decide_repair(self, status: str) -> None:
        if not self.repairs:
            return
        r = self.repairs[self.repair_pos]
        if r.held:
            self._decide_held(r, status)
            return
        if status == REJECTED and not r.taken_back:
            self.w.revoke_repair(r.record_id, r.index)   # a rebuilt frame leaves the rebuild lists
            self._drop_preview(r.frame)
            self.repairs = self._recorded(r.record_id)
            self.repair_pos = next(k for k, x in enumerate(self.repairs) if x.index == r.index)
        self.step_repair(1)

    def _recorded(self, record_id: int) -> list[RecordedRepair]:
        """The render's repairs; a rebuilt frame taken back counts as such only while no rebuild
        list holds it (undoing its take-back lists it again, though the history keeps the record)."""
        out = recorded_repairs(self.w.session.project, record_id)
        fc = getattr(self.w, "frame_candidates", None)
        if fc is None:
            return out
        return [dataclasses.replace(r, taken_back=False)
                if r.taken_back and r.intervention.kind == "rebuild" and fc.is_listed(r.frame) else r for r in out]

    # ---- the viewer ---------------------------------------------------------------------
    def _drop_preview(self, frame: int) -> None:
        """The frame's preview no longer matches its repair mask: a new one is made when needed."""
        self.w.session.previews.pop(frame, None)
        if self.w.viewer.index == frame:
            self.w.viewer.set_after(None)

    def _go(self, frame: int, bbox) -> None:
        w = self.w
        w.transport.speed = 0
        self.zoom_to(bbox)
        if w.transport.frame != frame:
            w.transport.seek(frame)
        elif w.viewer.index == frame:
            self._frame_shown(frame)   # already on screen: no frame_shown will come

    def zoom_to(self, bbox) -> None:
        """Centre the region, scaled to fill about a third of the canvas (at most 8x)."""
        cv = self.w.viewer.canvas
        x, y, bw, bh = bbox
        size = max(MIN_VIEW_PX, 3 * max(bw, bh))
        panel = cv.panels()[0]
        scale = min(MAX_ZOOM, panel.width() / size, panel.height() / size)
        iw, ih = cv.image_size()
        if iw:
            scale = max(scale, min(panel.width() / iw, panel.height() / ih) * 0.98)  # never below fit
        v = cv.view
        with v.events.blocked():
            v.scale, v.cx, v.cy = scale, x + bw / 2, y + bh / 2
        v.fit = False
        cv.update()
        self.outline.update()

    def _frame_shown(self, index: int) -> None:
        if not self.active or index != self.outline.frame:
            return
        self.outline.update()
        s = self.w.session
        if self.auto_preview and index not in s.previews and self.w.viewer.data is not None \
                and self._can_preview():
            self.w.preview_frame()

    def _can_preview(self) -> bool:
        """Not with the diffusion engine and no model (preview_frame would refuse with a dialog
        on every region); the operator still gets "after" by choosing a model or another engine."""
        inspector = getattr(self.w, "inspector", None)
        if inspector is None:
            return True
        restore = inspector.settings_dict().get("restore", {})
        return not (restore.get("engine") == "diffusion" and not restore.get("model"))

    def _preview_ready(self, index: int) -> None:
        """The window turns a fresh preview into a wipe; the review keeps one picture and ``\\``."""
        if self.active and self.w.compare.mode == "wipe":
            self.w.compare.mode = "single"

    # ---- what the panel shows -------------------------------------------------------------
    def progress(self) -> tuple[int, int, str]:
        if self.mode == RENDER:
            n = len(self.repairs)
            back = sum(1 for r in self.repairs if r.taken_back)
            seen = len(self.seen)
            held = self.held()
            text = f"{seen:,} of {n:,} repairs seen, {back:,} taken back"
            if held:
                project = self.w.session.project
                open_ = sum(1 for r in held if held_status(project, r) == UNREVIEWED)
                text += f"\n{len(held):,} held for review, {open_:,} undecided"
            return seen, n, text
        if self.queue is None:
            return 0, 0, ""
        done, total = self.queue.counts()
        text = self.queue.progress_text()
        if self._rebuild_shown():
            r_done, r_total, out = self.rebuilds.counts()
            if r_total:
                done, total = done + r_done, total + r_total
                text += f"\n{r_total:,} frame{'s' if r_total != 1 else ''} to rebuild: {r_done:,} reviewed, " \
                    f"{out:,} taken out"
        return done, total, text

    def describe(self) -> str:
        if self.mode == RENDER:
            if not self.repairs or self.repair_pos < 0:
                return ""
            r = self.repairs[self.repair_pos]
            iv = r.intervention
            x, y, bw, bh = iv.bbox
            how = f" from frames {', '.join(map(str, iv.source_frames))}" if iv.source_frames else \
                (f" seed {iv.seed}" if iv.seed is not None else "")
            state = "taken back" if r.taken_back else "kept"
            if r.held:
                now = held_status(self.w.session.project, r)
                state = {HELD_REPAIRED: "repair chosen (next render)", HELD_KEPT: "scan kept"}.get(
                    now, "undecided: Y repair it, X keep the scan")
                return (f"Repair {self.repair_pos + 1} of {len(self.repairs)} (render {r.record_id}) · frame {r.frame}\n"
                        f"{iv.kind}, held for review: {iv.review} · {bw}x{bh} at {x},{y} · {state}")
            return (f"Repair {self.repair_pos + 1} of {len(self.repairs)} (render {r.record_id}) · frame {r.frame}\n"
                    f"{iv.kind}, {iv.method}{how} · {bw}x{bh} at {x},{y} · {state}")
        item = self.current
        if item is None:
            return "Nothing to review in this range" if self.queue is not None else ""
        item = self._live(item)
        if isinstance(item, RebuildItem):
            state = {UNREVIEWED: "will be rebuilt: Y keep, X take it out", ACCEPTED: "kept: will be rebuilt",
                     REJECTED: "taken out: left as scanned"}[item.status]
            return (f"Frame {item.frame} · rebuild ({item.kind}): {item.detail}\n"
                    f"replaced by an interpolation of its neighbours in renders · {state}")
        x, y, bw, bh = item.bbox
        score = "" if item.score is None else f" · score {item.score:.2f}"
        return (f"Frame {item.frame} · {item.kind} ({item.source}){score}\n"
                f"{bw}x{bh} at {x},{y}, {item.area} px · {item.status}")


class ReviewPanel(QWidget):
    """The Review dock: mode, filter, progress, the shown region and the keys."""

    def __init__(self, rp: ReviewPass):
        super().__init__(rp.w)
        self.rp = rp
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        modes = QHBoxLayout()
        self.mode_group = QButtonGroup(self)
        self.regions_btn = QRadioButton("Repairs to review", self)
        self.render_btn = QRadioButton("After the last render", self)
        self.regions_btn.setChecked(True)
        for b in (self.regions_btn, self.render_btn):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.mode_group.addButton(b)
            modes.addWidget(b)
        self.regions_btn.toggled.connect(self._mode_changed)
        lay.addLayout(modes)
        self.start_btn = QPushButton(icon("mdi6.clipboard-check-outline"), "Start review pass  (V)", self)
        self.start_btn.setObjectName("primary")
        self.start_btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.start_btn.clicked.connect(lambda _=False: rp.toggle())
        lay.addWidget(self.start_btn)

        self.filter_box = QWidget(self)
        grid = QGridLayout(self.filter_box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.kind_boxes: dict[str, QCheckBox] = {}
        for n, kind in enumerate(KINDS):
            cb = QCheckBox(kind, self.filter_box)
            cb.setChecked(True)
            cb.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            cb.toggled.connect(lambda _on: self.apply_filter())
            self.kind_boxes[kind] = cb
            grid.addWidget(cb, n // 3, n % 3)
        row = (len(KINDS) + 2) // 3
        grid.addWidget(QLabel("Min. score", self.filter_box), row, 0)
        self.min_score = QDoubleSpinBox(self.filter_box)
        self.min_score.setRange(0.0, 1.0)
        self.min_score.setSingleStep(0.05)
        self.min_score.setToolTip("Detections scoring below this are not shown (painted and held regions have no score)")
        self.min_score.valueChanged.connect(lambda _v: self.apply_filter())
        grid.addWidget(self.min_score, row, 1, 1, 2)
        lay.addWidget(self.filter_box)

        self.progress_label = QLabel("", self)
        self.progress_label.setObjectName("reviewProgress")
        f = self.progress_label.font()
        f.setPointSizeF(f.pointSizeF() * 1.25)
        f.setBold(True)
        self.progress_label.setFont(f)
        lay.addWidget(self.progress_label)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        lay.addWidget(self.bar)
        self.item_label = QLabel("", self)
        self.item_label.setWordWrap(True)
        lay.addWidget(self.item_label)
        self.held_label = QLabel("Held for review", self)
        lay.addWidget(self.held_label)
        self.held_list = QListWidget(self)
        self.held_list.setToolTip("Regions the last render left as scanned (a repair that could have made "
                                  "things worse): click one to see it, Y to repair it, X to keep the scan")
        self.held_list.setMaximumHeight(120)
        self.held_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.held_list.itemClicked.connect(lambda it: rp.show_held(self.held_list.row(it)))
        lay.addWidget(self.held_list)

        keys = QGridLayout()
        self.buttons = {}
        for n, (key, text, ic, fn) in enumerate((
                ("prev", "Previous  ⇧N", "mdi6.skip-previous-outline", lambda: rp.step(-1)),
                ("next", "Next  N", "mdi6.skip-next-outline", lambda: rp.step(1)),
                ("accept", "Accept  Y", "mdi6.check-bold", lambda: rp.decide(ACCEPTED)),
                ("reject", "Reject  X", "mdi6.close-thick", lambda: rp.decide(REJECTED)))):
            b = QPushButton(icon(ic), text, self)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, f=fn: f())
            self.buttons[key] = b
            keys.addWidget(b, n // 2, n % 2)
        lay.addLayout(keys)
        self.toggle_btn = QPushButton(icon("mdi6.swap-horizontal"), "Before / after  \\", self)
        self.toggle_btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.toggle_btn.clicked.connect(lambda _=False: rp.w.compare.toggle())
        lay.addWidget(self.toggle_btn)
        self.auto_preview = QCheckBox("Preview each frame for \"after\"", self)
        self.auto_preview.setChecked(rp.auto_preview)
        self.auto_preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.auto_preview.toggled.connect(lambda on: setattr(rp, "auto_preview", on))
        lay.addWidget(self.auto_preview)
        legend = QLabel(", / . any previous / next region.  Decisions are undoable (Ctrl+Z) and saved "
                        "with the project; every render honours them.", self)
        legend.setWordWrap(True)
        legend.setObjectName("hint")
        lay.addWidget(legend)
        lay.addStretch(1)
        self.refresh()

    def _mode_changed(self, regions: bool) -> None:
        rp = self.rp
        rp.mode = REGIONS if regions else RENDER
        self.buttons["accept"].setText("Accept  Y" if regions else "Keep  Y")
        self.buttons["reject"].setText("Reject  X" if regions else "Take back  X")
        if rp.active:
            rp.start(rp.mode)
        self.refresh()

    def kinds(self) -> set[str] | None:
        chosen = {k for k, cb in self.kind_boxes.items() if cb.isChecked()}
        return None if len(chosen) == len(KINDS) else chosen

    def apply_filter(self) -> None:
        q = self.rp.queue
        if q is None:
            return
        q.set_filter(self.kinds(), self.min_score.value())
        cur = self.rp.current
        if cur is None or not self.rp.visible(cur):   # the shown item is filtered out: go on
            nxt = self.rp.next_item(cur)
            if nxt is not None or cur is not None:
                self.rp.show_item(nxt)
        self.refresh()

    def refresh(self) -> None:
        rp = self.rp
        self.start_btn.setText("End review pass  (V)" if rp.active else "Start review pass  (V)")
        self.filter_box.setEnabled(rp.mode == REGIONS)
        done, total, text = rp.progress()
        self.progress_label.setText(text if rp.active else "Not reviewing")
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)
        self.item_label.setText(rp.describe() if rp.active else
                                "V steps through every repair region of the in/out range (the whole reel "
                                "when none is marked), zoomed in, one key per decision.")
        for b in self.buttons.values():
            b.setEnabled(rp.active)
        self._refresh_held()

    def _refresh_held(self) -> None:
        rp = self.rp
        shown = rp.active and rp.mode == RENDER
        held = rp.held() if shown else []
        self.held_label.setVisible(shown)
        self.held_list.setVisible(shown)
        self.held_label.setText(f"Held for review ({len(held)})")
        project = rp.w.session.project
        words = {HELD_REPAIRED: "repair chosen", HELD_KEPT: "scan kept", UNREVIEWED: "undecided"}
        current = rp.repairs[rp.repair_pos] if shown and 0 <= rp.repair_pos < len(rp.repairs) else None
        texts = [f"Frame {r.frame} · {r.intervention.kind} · {words[held_status(project, r)]}" for r in held]
        for item, r in zip(refill(self.held_list, texts), held, strict=True):   # C++-made items
            item.setData(Qt.ItemDataRole.ToolTipRole, r.intervention.review or "")
            if r is current:
                self.held_list.setCurrentItem(item)
        if current is not None and current.held:
            self.buttons["accept"].setText("Repair it  Y")
            self.buttons["reject"].setText("Keep the scan  X")
        elif rp.mode == RENDER:
            self.buttons["accept"].setText("Keep  Y")
            self.buttons["reject"].setText("Take back  X")


def install(window) -> ReviewPass:
    """Add the review pass and its dock (tabbed with the inspector) to the main window."""
    rp = ReviewPass(window)
    window.review_pass = rp
    dock = window.add_dock("review", "Review", rp.panel, Qt.DockWidgetArea.RightDockWidgetArea)
    inspector = window.docks.get("inspector")
    if inspector is not None:
        window.tabifyDockWidget(inspector, dock)
        inspector.raise_()
    window.shutdown_hooks.append(rp.stop)
    return rp
