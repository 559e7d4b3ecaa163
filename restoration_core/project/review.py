"""What the archivist reviews and what restoration records, as a mixin of :class:`Project`.

Per-frame defects and rejected defect ids, the flicker curve, regions excluded from repair
(a revoked intervention), the repair mask that restoration uses, and the append-only
history with restore records detailed enough to take back one intervention later.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from restoration_core.defects import Defect, Intervention
from restoration_core.errors import InputError
from restoration_core.project.commands import REVOKE_OP, REVOKE_UNDONE_OP, RevokeEdit
from restoration_core.project.records import HistoryRecord
from restoration_core.project.schema import check_id

if TYPE_CHECKING:
    from restoration_core.project.document import ProjectEvents
    from restoration_core.project.masks import MaskStore

Box = tuple[int, int, int, int]


class ReviewMixin:
    """Detections, rejections, flicker, exclusions, repair mask and history of a project."""

    events: ProjectEvents
    masks: MaskStore
    folder: Path
    history: list[HistoryRecord]

    def _init_review(self) -> None:
        self._defects: dict[str, dict[int, list[Defect]]] = {}
        self._rejected: dict[str, dict[int, set[int]]] = {}
        self._flicker: dict[str, dict[int, tuple[float, float]]] = {}
        self._excluded: dict[str, dict[int, list[Box]]] = {}
        self.history = []

    def _set_dirty(self, value: bool = True) -> None:  # pragma: no cover - provided by Project
        raise NotImplementedError

    def reel(self, reel_id: str):  # pragma: no cover - provided by Project
        raise NotImplementedError

    # --- persistence -------------------------------------------------------------------
    def _review_from_json(self, doc: dict, file: Path) -> None:
        def per_reel(key: str) -> dict:
            data = doc.get(key, {})
            if not isinstance(data, dict):
                raise InputError(f"'{key}' must be an object keyed by reel id", file)
            return {check_id(r, "reel", file): frames for r, frames in data.items()}

        for r, frames in per_reel("defects").items():
            self._defects[r] = {int(f): [Defect.from_dict(d) for d in ds] for f, ds in frames.items()}
        for r, frames in per_reel("rejected").items():
            self._rejected[r] = {int(f): {int(i) for i in ids} for f, ids in frames.items()}
        for r, curve in per_reel("flicker").items():
            self._flicker[r] = {int(f): (float(g), float(o)) for f, (g, o) in curve.items()}
        for r, frames in per_reel("excluded").items():
            self._excluded[r] = {int(f): [_box(b) for b in boxes] for f, boxes in frames.items()}
        self.history = [HistoryRecord.from_dict(h) for h in doc.get("history", [])]

    def _review_to_json(self) -> dict:
        def per_frame(store: dict, encode) -> dict:
            return {
                r: {str(f): encode(v) for f, v in sorted(frames.items()) if v} for r, frames in store.items()
            }

        return {
            "defects": per_frame(self._defects, lambda ds: [d.to_dict() for d in ds]),
            "rejected": per_frame(self._rejected, sorted),
            "flicker": per_frame(self._flicker, list),
            "excluded": per_frame(self._excluded, lambda bs: [list(b) for b in bs]),
            "history": [h.to_dict() for h in self.history],
        }

    def _drop_review(self, reel_id: str) -> None:
        for store in (self._defects, self._rejected, self._flicker, self._excluded):
            store.pop(reel_id, None)

    # --- detections --------------------------------------------------------------------
    def set_detection(
        self,
        reel_id: str,
        frame: int,
        mask: np.ndarray | None,
        defects: list[Defect],
        flicker: tuple[float, float] | None = None,
    ) -> None:
        """Store one frame's detection result: detected mask layer, defect list, flicker gain/offset."""
        self.masks.set(reel_id, frame, "detected", mask)
        self.set_defects(reel_id, frame, defects)
        if flicker is not None:
            self.set_flicker(reel_id, {frame: flicker})

    def set_defects(self, reel_id: str, frame: int, defects: list[Defect]) -> None:
        self.reel(reel_id)
        self._defects.setdefault(reel_id, {})[int(frame)] = list(defects)
        self._set_dirty()
        self.events.defects_changed.emit(reel_id, int(frame))

    def defects(self, reel_id: str, frame: int) -> list[Defect]:
        return list(self._defects.get(reel_id, {}).get(int(frame), []))

    def defect_frames(self, reel_id: str) -> list[int]:
        """Frames with at least one detected defect (for the density strip and next/previous)."""
        return sorted(f for f, ds in self._defects.get(reel_id, {}).items() if ds)

    def rejected(self, reel_id: str, frame: int) -> set[int]:
        return set(self._rejected.get(reel_id, {}).get(int(frame), set()))

    def reject(self, reel_id: str, frame: int, defect_ids: list[int] | None = None) -> None:
        """Keep detections out of the repair (all of the frame's when ``defect_ids`` is None)."""
        ids = {d.id for d in self.defects(reel_id, frame)} if defect_ids is None else set(defect_ids)
        self._set_rejected(reel_id, frame, self.rejected(reel_id, frame) | ids)

    def accept(self, reel_id: str, frame: int, defect_ids: list[int] | None = None) -> None:
        """Undo a rejection (all of the frame's when ``defect_ids`` is None)."""
        keep = set() if defect_ids is None else self.rejected(reel_id, frame) - set(defect_ids)
        self._set_rejected(reel_id, frame, keep)

    def _set_rejected(self, reel_id: str, frame: int, ids: set[int]) -> None:
        self.reel(reel_id)
        self._rejected.setdefault(reel_id, {})[int(frame)] = set(ids)
        self._set_dirty()
        self.events.defects_changed.emit(reel_id, int(frame))

    def set_flicker(self, reel_id: str, curve: dict[int, tuple[float, float]]) -> None:
        """Merge per-frame (gain, offset) pairs into the reel's flicker curve."""
        self.reel(reel_id)
        store = self._flicker.setdefault(reel_id, {})
        store.update({int(f): (float(g), float(o)) for f, (g, o) in curve.items()})
        self._set_dirty()
        self.events.flicker_changed.emit(reel_id)

    def flicker(self, reel_id: str) -> dict[int, tuple[float, float]]:
        return dict(self._flicker.get(reel_id, {}))

    # --- exclusions (a revoked intervention) ----------------------------------------------
    def excluded(self, reel_id: str, frame: int) -> list[Box]:
        """Boxes of ``frame`` kept out of held and detected repair (painting there still counts)."""
        return list(self._excluded.get(reel_id, {}).get(int(frame), []))

    def _set_excluded(self, reel_id: str, frame: int, boxes: list[Box]) -> None:
        self.reel(reel_id)
        self._excluded.setdefault(reel_id, {})[int(frame)] = [_box(b) for b in boxes]
        self._set_dirty()
        self.events.masks_changed.emit(reel_id, int(frame), "excluded")

    # --- the mask restoration uses ------------------------------------------------------
    def repair_mask(self, reel_id: str, frame: int, shape: tuple[int, int]) -> np.ndarray | None:
        """painted ∪ ((held ∪ detected minus rejected) minus excluded boxes); None when empty.

        A rejected defect removes the detected pixels inside its bbox, except where the bbox
        of a defect that is still accepted overlaps (those stay repaired).
        """
        layers = {layer: self.masks.get(reel_id, frame, layer) for layer in ("detected", "painted", "held")}
        for layer, m in layers.items():
            if m is not None and m.shape != tuple(shape):
                raise InputError(
                    f"{layer} mask of frame {frame} is {m.shape[1]}x{m.shape[0]}, "
                    f"the frames are {shape[1]}x{shape[0]}",
                    self.folder / "masks" / reel_id / layer,
                )
        detected, painted, held = layers["detected"], layers["painted"], layers["held"]
        rejected = self.rejected(reel_id, frame)
        if detected is not None and rejected:
            drop = np.zeros(detected.shape, bool)
            keep = np.zeros(detected.shape, bool)
            for d in self.defects(reel_id, frame):
                x, y, w, h = d.bbox
                (drop if d.id in rejected else keep)[y : y + h, x : x + w] = True
            detected = detected & ~(drop & ~keep)
        auto = _or(detected, held)
        boxes = self.excluded(reel_id, frame)
        if auto is not None and boxes:
            auto = auto.copy()
            for x, y, w, h in boxes:
                auto[y : y + h, x : x + w] = False
        out = _or(painted, auto)
        return out if out is not None and out.any() else None

    # --- history -----------------------------------------------------------------------
    def record(self, op: str, params: dict | None = None) -> HistoryRecord:
        """Append an applied operation to the history (params must be JSON-serialisable)."""
        params = dict(params or {})
        check_json(params, f"history record {op!r}")
        rec = HistoryRecord(len(self.history) + 1, op, params)
        self.history.append(rec)
        self._set_dirty()
        self.events.history_changed.emit()
        return rec

    def mask_digests(self, reel_id: str, frames, shape: tuple[int, int]) -> dict[str, str]:
        """SHA-1 of each frame's repair mask (frames with none are left out), to pin a restore's input."""
        out = {}
        for f in frames:
            m = self.repair_mask(reel_id, f, shape)
            if m is not None:
                out[str(f)] = hashlib.sha1(np.packbits(m).tobytes()).hexdigest()
        return out

    def record_restore(
        self,
        reel_id: str,
        frame_range: tuple[int, int],
        interventions: list[Intervention],
        shape: tuple[int, int],
        *,
        clip_id: str | None = None,
        output: str | Path | None = None,
        settings: dict | None = None,
        report: dict | None = None,
        mask_digests: dict[str, str] | None = None,
    ) -> HistoryRecord:
        """Record a restore: its range, output, settings, every intervention and the masks it used
        (``report``: where its intervention report is and when it was made, if it has one;
        ``mask_digests``: :meth:`mask_digests` of the range, when already computed elsewhere)."""
        a, b = int(frame_range[0]), int(frame_range[1])
        if mask_digests is None:
            mask_digests = self.mask_digests(reel_id, range(a, b), shape)
        return self.record(
            "restore",
            {
                "reel_id": reel_id,
                "clip_id": clip_id,
                "frame_range": [a, b],
                "output": None if output is None else str(output),
                "settings": dict(settings or {}),
                "interventions": [i.to_dict() for i in interventions],
                "mask_digests": dict(mask_digests),
                **({"report": report} if report is not None else {}),
            },
        )

    def record_render_report(self, report_path: str | Path | None, report: dict | None = None,
                             mask_digests: dict[str, str] | None = None) -> HistoryRecord | None:
        """Record a finished render of one of this project's clips from its intervention report
        (the JSON a job writes at ``report_path``, or ``report`` already read), once: the same
        report seen again returns the existing record. OSError / ValueError for an unreadable file.
        ``mask_digests`` may be computed beforehand (off the GUI thread) from ``report``'s range."""
        if report is None:
            report = json.loads(Path(report_path).read_text(encoding="utf-8"))
        reel_id = report.get("reel")
        if not reel_id:
            return None
        stamp = {"path": None if report_path is None else str(report_path), "created": report.get("created")}
        for h in self.history:
            if h.op == "restore" and h.params.get("report") == stamp:
                return h
        reel = self.reel(reel_id)
        info = reel.info or {}
        shape = (int(info.get("height", 0)), int(info.get("width", 0)))
        return self.record_restore(
            reel_id, tuple(report["frame_range"]),
            [Intervention.from_dict(d) for d in report.get("interventions", [])], shape,
            clip_id=report.get("clip"), output=report.get("output"), settings=report.get("settings"),
            report=stamp, mask_digests=mask_digests,
        )

    def interventions(self, record_id: int) -> list[Intervention]:
        """The interventions a recorded restore made."""
        rec = self._history_record(record_id)
        return [Intervention.from_dict(d) for d in rec.params.get("interventions", [])]

    def repairs_in_frame(self, reel_id: str, frame: int) -> list[tuple[int, int, Intervention, bool]]:
        """Every recorded repair of ``frame``: (restore record id, index, intervention, taken back).

        Asked on every frame change while scrubbing: served from an index of the history,
        rebuilt only when the (append-only) history has grown."""
        n = len(self.history)
        cached = getattr(self, "_repairs_index", None)
        if cached is None or cached[0] != n:
            by_frame: dict[tuple[str, int], list[tuple[int, int, dict]]] = {}
            revoked: set[tuple[int, int]] = set()
            for h in self.history:
                if h.op == "restore":
                    for k, d in enumerate(h.params.get("interventions", [])):
                        by_frame.setdefault((h.params.get("reel_id"), d.get("frame")), []).append((h.id, k, d))
                elif h.op == REVOKE_OP:
                    revoked.add((h.params.get("record_id"), h.params.get("index")))
                elif h.op == REVOKE_UNDONE_OP:
                    revoked.discard((h.params.get("record_id"), h.params.get("index")))
            cached = self._repairs_index = (n, by_frame, revoked)
        _n, by_frame, revoked = cached
        return [(r, k, Intervention.from_dict(d), (r, k) in revoked) for r, k, d in by_frame.get((reel_id, frame), [])]

    def revoke_intervention(self, record_id: int, index: int, apply=None) -> RevokeEdit:
        """Take back one repaired region: later renders keep the original pixels inside its bbox.

        Pushed on the undo stack (so it can itself be undone; ``apply(command)`` pushes it
        instead, e.g. through the GUI's undo stack) and recorded in the history.
        """

        rec = self._history_record(record_id)
        done = self.interventions(record_id)
        if not 0 <= index < len(done):
            raise IndexError(f"restore {record_id} has {len(done)} interventions, no #{index}")
        item = done[index]
        command = RevokeEdit.capture(self, rec.params["reel_id"], item.frame, item.bbox,
                                     record={"record_id": record_id, "index": index, **item.to_dict()})
        (apply or self.undo.push)(command)  # type: ignore[attr-defined]  # its apply records it
        return command

    def _history_record(self, record_id: int) -> HistoryRecord:
        rec = next((h for h in self.history if h.id == record_id), None)
        if rec is None or rec.op != "restore":
            raise KeyError(f"no restore record {record_id} in the history")
        return rec


def _or(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None if b is None else b.copy()
    return a.copy() if b is None else a | b


def _box(b) -> Box:
    x, y, w, h = (int(v) for v in b)
    if w <= 0 or h <= 0:
        raise ValueError(f"empty box {b!r}")
    return (x, y, w, h)


def check_json(value: object, what: str) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be JSON-serialisable ({exc})") from None
