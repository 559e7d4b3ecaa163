"""The review pass's decisions: every repair region of a clip is an item to accept or reject.

An item is one region the repair mask would cover: a detected defect (kind and score from
detection) or a connected component of the painted or held layer of a frame. Each has a
status, ``unreviewed``, ``accepted`` or ``rejected``, and a decision maps onto the one
repair-mask rule, so every render and preview honours it through ``project.repair_mask``:

- rejecting a **detected** defect is ``project.reject`` (its pixels leave the repair);
- rejecting a **painted** region erases its pixels from the painted layer of that frame
  (the decision keeps them, so accepting it again puts them back);
- rejecting a **held** region keeps its box out of the automatic repair on that frame only
  (the exclusion a taken-back repair uses; the held range itself stays for its other frames).

Decisions are project state: saved in ``project.json`` (``decisions``, schema 3) and every
change is one :class:`ReviewEdit` on the project's undo stack. :class:`ReviewQueue` walks
the items of a clip in order, with a kind/score filter and counts.
"""

from __future__ import annotations

import base64
import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from psygnal import Signal

from restoration_core.defects import Intervention
from restoration_core.errors import InputError
from restoration_core.project.commands import (
    REVOKE_OP,
    REVOKE_UNDONE_OP,
    FrameStateEdit,
    MaskEdit,
    RevokeEdit,
    register,
)
from restoration_core.project.masks import decode_mask, encode_mask
from restoration_core.project.schema import check_id

if TYPE_CHECKING:
    from restoration_core.project.document import Project

UNREVIEWED, ACCEPTED, REJECTED = "unreviewed", "accepted", "rejected"
STATUSES = (UNREVIEWED, ACCEPTED, REJECTED)
SOURCES = ("detected", "painted", "held")
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class ReviewItem:
    """One repair region of one frame. ``key`` is unique within the frame: ``d<defect id>``
    for a detection, ``p<x>,<y>,<w>,<h>`` / ``h<x>,<y>,<w>,<h>`` for a painted / held region."""

    reel_id: str
    frame: int
    source: str  # detected | painted | held
    key: str
    kind: str  # the detection's kind (dust, dirt, scratch, blotch), or "painted" / "held"
    bbox: Box
    area: int
    score: float | None  # detection score; None for painted and held regions
    status: str

    @property
    def reviewed(self) -> bool:
        return self.status != UNREVIEWED

    @property
    def order(self) -> tuple:
        """Clip order: frame, then detected / painted / held, then top to bottom, left to right."""
        x, y, _w, _h = self.bbox
        return (self.frame, SOURCES.index(self.source), y, x, self.key)


class Decisions:
    """Per reel and frame, the decision entries the project saves (``key -> entry``).

    A detected defect's rejection lives in the project's rejected ids (the existing rule);
    its entry only records an acceptance. A painted or held region's entry records its
    status, box and area; a rejected painted region also keeps its pixels (a PNG of its box).
    """

    def __init__(self, project: Project):
        self._project = project
        self._store: dict[str, dict[int, dict[str, dict]]] = {}

    def entries(self, reel_id: str, frame: int) -> dict[str, dict]:
        return {k: dict(v) for k, v in self._store.get(reel_id, {}).get(int(frame), {}).items()}

    def frames(self, reel_id: str) -> list[int]:
        return sorted(f for f, e in self._store.get(reel_id, {}).items() if e)

    def set_entries(self, reel_id: str, frame: int, entries: dict[str, dict]) -> None:
        """Replace one frame's entries (used by :class:`ReviewEdit`); emits ``decisions_changed``."""
        self._project.reel(reel_id)
        self._store.setdefault(reel_id, {})[int(frame)] = {k: dict(v) for k, v in entries.items()}
        self._project._set_dirty()
        self._project.events.decisions_changed.emit(reel_id, int(frame))

    def drop_reel(self, reel_id: str) -> None:
        self._store.pop(reel_id, None)

    def to_json(self) -> dict:
        return {
            r: {str(f): dict(sorted(e.items())) for f, e in sorted(frames.items()) if e}
            for r, frames in self._store.items()
            if any(frames.values())
        }

    def from_json(self, data: object, file: Path | None = None) -> None:
        if not isinstance(data, dict):
            raise InputError("'decisions' must be an object keyed by reel id", file)
        store: dict[str, dict[int, dict[str, dict]]] = {}
        for r, frames in data.items():
            check_id(r, "reel", file)
            if not isinstance(frames, dict):
                raise InputError(f"decisions of reel {r} must be an object keyed by frame", file)
            for f, entries in frames.items():
                for key, entry in entries.items():
                    if not isinstance(entry, dict) or entry.get("status") not in (ACCEPTED, REJECTED):
                        raise InputError(f"bad review decision {key!r} in frame {f} of reel {r}", file)
                store.setdefault(r, {})[int(f)] = {k: dict(v) for k, v in entries.items()}
        self._store = store


# --- the items of a frame ---------------------------------------------------------------
def components(mask: np.ndarray | None) -> list[tuple[Box, int, np.ndarray]]:
    """Connected regions (8-connected) of a mask: (box, area, the region's mask inside its box)."""
    if mask is None or not mask.any():
        return []
    n, labels, stats, _c = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    out = []
    for label in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[label])
        out.append(((x, y, w, h), area, labels[y : y + h, x : x + w] == label))
    return out


def _region_key(source: str, box: Box) -> str:
    return f"{source[0]}{box[0]},{box[1]},{box[2]},{box[3]}"


def items_in_frame(project: Project, reel_id: str, frame: int) -> list[ReviewItem]:
    """Every repair region of ``frame`` with its current status, in clip order."""
    frame = int(frame)
    entries = project.decisions.entries(reel_id, frame)
    rejected = project.rejected(reel_id, frame)
    out: list[ReviewItem] = []
    for d in project.defects(reel_id, frame):
        key = f"d{d.id}"
        status = REJECTED if d.id in rejected else (ACCEPTED if key in entries else UNREVIEWED)
        out.append(ReviewItem(reel_id, frame, "detected", key, d.kind, tuple(d.bbox), d.area, d.score, status))
    for source in ("painted", "held"):
        seen = set()
        for box, area, _m in components(project.masks.get(reel_id, frame, source)):
            key = _region_key(source, box)
            seen.add(key)
            status = entries.get(key, {}).get("status", UNREVIEWED)
            if source == "painted" and status == REJECTED:
                status = UNREVIEWED  # painted there again after the rejection: a new region
            out.append(ReviewItem(reel_id, frame, source, key, source, box, area, None, status))
        for key, e in entries.items():  # rejected painted regions are no longer in the layer
            if e.get("source") == source == "painted" and e["status"] == REJECTED and key not in seen:
                box = tuple(int(v) for v in e["bbox"])
                out.append(ReviewItem(reel_id, frame, source, key, source, box, int(e["area"]), None, REJECTED))
    out.sort(key=lambda i: i.order)
    return out


def item_mask(project: Project, item: ReviewItem) -> np.ndarray:
    """The item's pixels inside its box (bool, h x w): what the review outlines."""
    x, y, w, h = item.bbox
    if item.source == "detected":
        layer = project.masks.get(item.reel_id, item.frame, "detected")
        if layer is None:
            return np.ones((h, w), bool)
        crop = layer[y : y + h, x : x + w]
        return crop.copy() if crop.any() else np.ones((h, w), bool)
    entry = project.decisions.entries(item.reel_id, item.frame).get(item.key, {})
    if entry.get("mask"):
        return decode_mask(base64.b64decode(entry["mask"]))
    for box, _area, m in components(project.masks.get(item.reel_id, item.frame, item.source)):
        if box == item.bbox:
            return m
    return np.ones((h, w), bool)


def frames_with_items(project: Project, reel_id: str, frame_range: tuple[int, int] | None = None) -> list[int]:
    """Frames that hold at least one item (detected, painted, held or a kept decision)."""
    frames = set(project.defect_frames(reel_id)) | set(project.decisions.frames(reel_id))
    for layer in ("painted", "held"):
        frames.update(project.masks.frames(reel_id, layer))
    if frame_range is not None:
        a, b = frame_range
        frames = {f for f in frames if a <= f < b}
    return sorted(frames)


# --- deciding ---------------------------------------------------------------------------
class ReviewEdit(FrameStateEdit):
    """One review decision on a frame: the frame's rejected ids, decision entries, painted
    mask and excluded boxes before and after (so it undoes exactly, and survives a save)."""

    kind = "review"
    default_text = "Review"

    @staticmethod
    def snapshot(project: Project, reel_id: str, frame: int) -> dict:
        painted = project.masks.encoded(reel_id, frame, "painted")
        return {
            "rejected": sorted(project.rejected(reel_id, frame)),
            "entries": project.decisions.entries(reel_id, frame),
            "painted": None if painted is None else base64.b64encode(painted).decode("ascii"),
            "excluded": [list(b) for b in project.excluded(reel_id, frame)],
        }

    def _put(self, project: Project, state: dict) -> None:
        other = self.after if state is self.before else self.before
        if state["painted"] != other["painted"]:
            data = state["painted"]
            project.masks.set(
                self.reel_id, self.frame, "painted", None if data is None else decode_mask(base64.b64decode(data))
            )
        if state["excluded"] != other["excluded"]:
            project._set_excluded(self.reel_id, self.frame, [tuple(b) for b in state["excluded"]])
        if state["rejected"] != other["rejected"]:
            project._set_rejected(self.reel_id, self.frame, set(state["rejected"]))
        project.decisions.set_entries(self.reel_id, self.frame, state["entries"])


register(ReviewEdit)


def decision_edit(project: Project, item: ReviewItem, status: str) -> ReviewEdit:
    """The command that gives ``item`` the ``status`` (accepted, rejected or unreviewed)."""
    if status not in STATUSES:
        raise ValueError(f"unknown review status {status!r} (one of {', '.join(STATUSES)})")
    reel_id, frame = item.reel_id, item.frame
    before = ReviewEdit.snapshot(project, reel_id, frame)
    after = {k: (list(v) if isinstance(v, list) else (dict(v) if isinstance(v, dict) else v))
             for k, v in before.items()}
    entries: dict[str, dict] = {k: dict(v) for k, v in before["entries"].items()}
    old = entries.pop(item.key, None)
    if item.source == "detected":
        did = int(item.key[1:])
        rejected = set(before["rejected"]) - {did}
        if status == REJECTED:
            rejected.add(did)
        elif status == ACCEPTED:
            entries[item.key] = {"status": ACCEPTED, "source": "detected"}
        after["rejected"] = sorted(rejected)
    elif item.source == "painted":
        painted = project.masks.get(reel_id, frame, "painted")
        x, y, w, h = item.bbox
        was_rejected = old is not None and old["status"] == REJECTED and bool(old.get("mask"))
        if status == REJECTED and was_rejected:
            entries[item.key] = old
        elif status == REJECTED:
            region = item_mask(project, item)
            if painted is not None:
                painted = painted.copy()
                painted[y : y + h, x : x + w] &= ~region
            entries[item.key] = {"status": REJECTED, "source": "painted", "bbox": list(item.bbox),
                                 "area": item.area,
                                 "mask": base64.b64encode(encode_mask(region)).decode("ascii")}
        else:
            if was_rejected:  # accepting (or un-reviewing) a rejected painted region paints it back
                region = decode_mask(base64.b64decode(old["mask"]))
                shape = _frame_shape(project, reel_id, frame, painted)
                painted = np.zeros(shape, bool) if painted is None else painted.copy()
                painted[y : y + h, x : x + w] |= region
            if status == ACCEPTED:
                entries[item.key] = {"status": ACCEPTED, "source": "painted", "bbox": list(item.bbox),
                                     "area": item.area}
        if status == REJECTED and not was_rejected or status != REJECTED and was_rejected:
            after["painted"] = None if painted is None or not painted.any() else \
                base64.b64encode(encode_mask(painted)).decode("ascii")
    else:  # held: exclude the region's box on this frame only
        excluded = [list(b) for b in before["excluded"]]
        box = list(item.bbox)
        if old is not None and old["status"] == REJECTED and box in excluded:
            excluded.remove(box)
        if status == REJECTED:
            excluded.append(box)
        if status != UNREVIEWED:
            entries[item.key] = {"status": status, "source": "held", "bbox": box, "area": item.area}
        after["excluded"] = excluded
    after["entries"] = entries
    if after["painted"] == before["painted"]:   # untouched: not kept twice in undo.json
        before = {**before, "painted": None}
        after["painted"] = None
    word = {ACCEPTED: "Accept", REJECTED: "Reject", UNREVIEWED: "Unreview"}[status]
    return ReviewEdit(reel_id, frame, before, after, f"{word} {item.kind} (frame {frame})")


def decide(project: Project, item: ReviewItem, status: str, apply=None) -> ReviewEdit:
    """Accept / reject / unreview ``item`` as one step on the project's undo stack
    (``apply(command)`` pushes it elsewhere instead)."""
    command = decision_edit(project, item, status)
    (apply or project.undo.push)(command)
    return command


def _frame_shape(project: Project, reel_id: str, frame: int, painted: np.ndarray | None) -> tuple[int, int]:
    if painted is not None:
        return painted.shape
    for layer in ("detected", "held"):
        m = project.masks.get(reel_id, frame, layer)
        if m is not None:
            return m.shape
    info = project.reel(reel_id).info or {}
    h, w = int(info.get("height", 0)), int(info.get("width", 0))
    if not (h and w):
        raise ValueError(f"the frame size of reel {reel_id} is unknown (no probe info)")
    return (h, w)


# --- walking a clip ---------------------------------------------------------------------
class ReviewQueue:
    """The items of one reel's frame range in clip order, kept current from project events.

    Per-frame item lists are built on first use and rebuilt only for frames whose masks,
    detections or decisions change, so stepping and deciding stay cheap on long clips.
    """

    changed = Signal()

    def __init__(self, project: Project, reel_id: str, frame_range: tuple[int, int] | None = None):
        self.project, self.reel_id = project, reel_id
        self.frame_range = None if frame_range is None else (int(frame_range[0]), int(frame_range[1]))
        self.kinds: set[str] | None = None
        self.min_score = 0.0
        self._frames: dict[int, list[ReviewItem]] = {}
        self._order: list[int] | None = None
        self._visible: list[ReviewItem] | None = None
        ev = project.events
        self._hooks = [(ev.masks_changed, self._frame_event), (ev.defects_changed, self._frame_event),
                       (ev.decisions_changed, self._frame_event), (ev.held_changed, self._held_event)]
        for signal, slot in self._hooks:
            signal.connect(slot)

    def close(self) -> None:
        for signal, slot in self._hooks:
            signal.disconnect(slot)

    # ---- keeping current ----------------------------------------------------------------
    def _in_range(self, frame: int) -> bool:
        return self.frame_range is None or self.frame_range[0] <= frame < self.frame_range[1]

    def _frame_event(self, reel_id: str, frame: int, *_args) -> None:
        if reel_id == self.reel_id and self._in_range(frame):
            self._frames.pop(int(frame), None)
            self._order = self._visible = None
            self.changed.emit()

    def _held_event(self, reel_id: str, start: int, stop: int) -> None:
        if reel_id == self.reel_id:
            for f in [f for f in self._frames if start <= f < stop]:
                del self._frames[f]
            self._order = self._visible = None
            self.changed.emit()

    def set_filter(self, kinds: Iterable[str] | None = None, min_score: float = 0.0) -> None:
        """Show only these kinds (dust, dirt, scratch, blotch, painted, held; None = all) and
        detections scoring at least ``min_score`` (painted and held regions have no score)."""
        self.kinds = None if kinds is None else set(kinds)
        self.min_score = float(min_score)
        self._visible = None
        self.changed.emit()

    def _passes(self, item: ReviewItem) -> bool:
        if self.kinds is not None and item.kind not in self.kinds:
            return False
        return item.score is None or item.score >= self.min_score

    def frame_items(self, frame: int) -> list[ReviewItem]:
        items = self._frames.get(frame)
        if items is None:
            items = self._frames[frame] = items_in_frame(self.project, self.reel_id, frame)
        return items

    def items(self) -> list[ReviewItem]:
        """The items that pass the filter, in clip order."""
        if self._visible is None:
            if self._order is None:
                self._order = frames_with_items(self.project, self.reel_id, self.frame_range)
            self._visible = [i for f in self._order for i in self.frame_items(f) if self._passes(i)]
        return self._visible

    # ---- stepping -----------------------------------------------------------------------
    def find(self, frame: int, key: str) -> ReviewItem | None:
        """The current state of an item (its status may have changed since it was handed out)."""
        return next((i for i in self.frame_items(int(frame)) if i.key == key), None)

    def step(self, item: ReviewItem | None, direction: int = 1, unreviewed: bool = True,
             wrap: bool = True) -> ReviewItem | None:
        """The next (``direction`` 1) or previous (-1) item after ``item`` (None: from the
        clip's start or end); only unreviewed ones with ``unreviewed``; ``wrap`` goes round."""
        items = self.items()
        if not items:
            return None
        orders = [i.order for i in items]
        if direction > 0:
            cut = 0 if item is None else bisect.bisect_right(orders, item.order)
            seq = items[cut:] + (items[:cut] if wrap else [])
        else:
            cut = len(items) if item is None else bisect.bisect_left(orders, item.order)
            seq = items[:cut][::-1] + (items[cut:][::-1] if wrap else [])
        return next((i for i in seq if not (unreviewed and i.reviewed)), None)

    def index_of(self, item: ReviewItem) -> int | None:
        """Where ``item`` is in :meth:`items` (None when the filter hides it)."""
        orders = [i.order for i in self.items()]
        k = bisect.bisect_left(orders, item.order)
        return k if k < len(orders) and orders[k] == item.order else None

    def counts(self) -> tuple[int, int]:
        """(reviewed, total) of the items that pass the filter."""
        items = self.items()
        return sum(1 for i in items if i.reviewed), len(items)

    def progress_text(self) -> str:
        done, total = self.counts()
        return f"{done:,} of {total:,} reviewed"


# --- after a render: the recorded interventions ------------------------------------------
@dataclass(frozen=True)
class RecordedRepair:
    """One intervention of a finished render, as the project's history recorded it."""

    record_id: int
    index: int
    intervention: Intervention
    taken_back: bool

    @property
    def frame(self) -> int:
        return self.intervention.frame

    @property
    def held(self) -> bool:
        """The render left this region as scanned and marked it for review (``review`` says why)."""
        return self.intervention.method == "none" and self.intervention.review is not None


def latest_render(project: Project, reel_id: str) -> int | None:
    """The id of the newest recorded restore of the reel, or None."""
    ids = [h.id for h in project.history if h.op == "restore" and h.params.get("reel_id") == reel_id]
    return ids[-1] if ids else None


def recorded_repairs(project: Project, record_id: int) -> list[RecordedRepair]:
    """Every intervention of one recorded render in clip order, with whether it was taken back."""
    revoked: set[int] = set()
    for h in project.history:          # the latest take-back or its undo decides
        if h.op in (REVOKE_OP, REVOKE_UNDONE_OP) and h.params.get("record_id") == record_id:
            (revoked.add if h.op == REVOKE_OP else revoked.discard)(h.params.get("index"))
    done = project.interventions(record_id)
    out = [RecordedRepair(record_id, k, iv, k in revoked) for k, iv in enumerate(done)]
    out.sort(key=lambda r: (r.frame, r.intervention.bbox[1], r.intervention.bbox[0], r.index))
    return out


# --- regions a render left as scanned for review -------------------------------------------
HELD_REPAIRED, HELD_KEPT = "repaired", "kept"


def held_for_review(project: Project, reel_id: str, record_id: int | None = None) -> list[RecordedRepair]:
    """The regions the latest recorded render of the reel (or render ``record_id``) left as
    scanned and marked for review (method ``none``: its temporal sources disagreed, or its
    fill did not match its surroundings), in clip order; :func:`held_status` says what the
    archivist chose."""
    if record_id is None:
        record_id = latest_render(project, reel_id)
    if record_id is None:
        return []
    return [r for r in recorded_repairs(project, record_id) if r.held]


def held_status(project: Project, repair: RecordedRepair) -> str:
    """``repaired`` when the region's box is painted (the next render repairs it), ``kept``
    when it is kept out of the repair (the scan stays), else ``unreviewed``; read from the
    project's masks, so an undo is reflected at once."""
    reel_id = _record_reel(project, repair.record_id)
    iv = repair.intervention
    x, y, w, h = iv.bbox
    if tuple(iv.bbox) in project.excluded(reel_id, iv.frame):
        return HELD_KEPT
    painted = project.masks.get(reel_id, iv.frame, "painted")
    if painted is not None and painted[y : y + h, x : x + w].all():
        return HELD_REPAIRED
    return UNREVIEWED


def _record_reel(project: Project, record_id: int) -> str:
    rec = next((h for h in project.history if h.id == record_id and h.op == "restore"), None)
    if rec is None:
        raise KeyError(f"no restore record {record_id} in the history")
    return rec.params["reel_id"]


def repair_held(project: Project, repair: RecordedRepair, apply=None) -> MaskEdit:
    """Choose the repair of a region the render left as scanned: its box joins the frame's
    painted layer, an exact mask, so the next render repairs it as it is (an exact mask is
    never left as scanned). One undoable step (``apply(command)`` pushes it elsewhere, e.g.
    the GUI's undo stack), recorded in the history as ``repair_held``."""
    if not repair.held:
        raise ValueError(f"repair {repair.record_id}.{repair.index} was not held for review")
    reel_id = _record_reel(project, repair.record_id)
    iv = repair.intervention
    painted = project.masks.get(reel_id, iv.frame, "painted")
    shape = _frame_shape(project, reel_id, iv.frame, painted)
    new = np.zeros(shape, bool) if painted is None else painted.copy()
    x, y, w, h = iv.bbox
    new[y : y + h, x : x + w] = True
    command = MaskEdit.capture(project, reel_id, "painted", {iv.frame: new},
                               text=f"Repair held {iv.kind} (frame {iv.frame})")
    (apply or project.undo.push)(command)
    project.record("repair_held", {"record_id": repair.record_id, "index": repair.index, **iv.to_dict()})
    return command


def keep_held_scan(project: Project, repair: RecordedRepair, apply=None) -> RevokeEdit:
    """Keep the scan of a region the render left as scanned: its box is kept out of the
    automatic repair of that frame (the take-back of :meth:`Project.revoke_intervention`), so
    later renders neither repair nor flag it again."""
    if not repair.held:
        raise ValueError(f"repair {repair.record_id}.{repair.index} was not held for review")
    return project.revoke_intervention(repair.record_id, repair.index, apply)
