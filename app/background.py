"""Work that must not run on the GUI thread, on superqt workers (Qt's thread pool).

``run(owner, fn, *args, on_result=..., on_error=...)`` calls ``fn`` in a pool thread and
delivers its result or its exception on the GUI thread (queued signals). The callbacks
belong to ``owner`` (a QObject): once it is deleted a late result is dropped, never
delivered to a closed window. The helpers below are the workbench's slow calls: the model
registry (importing it imports torch), the GPU probe (``nvidia-smi``, up to 10 s), the
sample reel, recording a finished render (reads the report and digests every mask of the
clip) and saving the project (writes every changed mask).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Slot
from superqt.utils import create_worker

from app import engine
from restoration_core.jobs.pool import gpu_count
from restoration_core.project.saving import SaveJob

_workers: set = set()   # running workers, so the pool's runnables outlive the caller's frame


class _Relay(QObject):
    """Receives a worker's signals on the GUI thread; deleted with its owner."""

    def __init__(self, owner: QObject, on_result, on_error):
        super().__init__(owner)
        self.on_result, self.on_error = on_result, on_error

    @Slot(object)
    def ok(self, value) -> None:
        if self.on_result is not None:
            self.on_result(value)

    @Slot(object)
    def failed(self, exc) -> None:
        if self.on_error is not None:
            self.on_error(exc)

    @Slot()
    def done(self) -> None:
        self.deleteLater()


def run(owner: QObject, fn: Callable[..., Any], *args, on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None):
    """Run ``fn(*args)`` off the GUI thread; the callbacks run on the GUI thread."""
    relay = _Relay(owner, on_result, on_error)
    worker = create_worker(fn, *args, _start_thread=False, _ignore_errors=True)
    worker.returned.connect(relay.ok)
    worker.errored.connect(relay.failed)
    worker.finished.connect(relay.done)
    _workers.add(worker)
    worker.finished.connect(lambda: _workers.discard(worker))
    worker.start()
    return worker


def wait_idle(ms: int = 10000) -> bool:
    """Wait for the pool's workers (shutdown and tests)."""
    return QThreadPool.globalInstance().waitForDone(ms)


def on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


# --- the workbench's slow calls --------------------------------------------------------------
REGISTRY = "restoration_core.diffusion.registry"


def registry_loaded() -> bool:
    """Whether the model registry (and torch) is imported already, so listing is cheap."""
    mod = sys.modules.get(REGISTRY)
    return mod is not None and not getattr(getattr(mod, "__spec__", None), "_initializing", False)


def list_models(owner: QObject, then: Callable[[list[dict]], None]) -> None:
    """The registered models (the registry imports torch: never on the GUI thread)."""
    run(owner, engine.list_models, on_result=then, on_error=lambda _exc: then([]))


def add_model(owner: QObject, folder: str, then: Callable[[str], None],
              failed: Callable[[BaseException], None]) -> None:
    """Validate and register a model folder (reads its weights) off the GUI thread."""
    run(owner, engine.add_model, folder, on_result=then, on_error=failed)


def probe_gpus(owner: QObject, then: Callable[[int], None]) -> None:
    """How many CUDA devices the job workers can use (``nvidia-smi -L``, up to its 10 s timeout)."""
    run(owner, gpu_count, on_result=then, on_error=lambda _exc: then(0))


def make_sample_reel(owner: QObject, folder: Path, then: Callable[[Path], None],
                     failed: Callable[[BaseException], None]) -> None:
    run(owner, engine.make_sample_reel, folder, on_result=then, on_error=failed)


def record_render(owner: QObject, project, report_path: str, tell: Callable[..., None]) -> None:
    """Put a finished render into the project's history: the report is read and the clip's
    masks digested in a pool thread; the record itself is added on the GUI thread (its events
    reach widgets)."""

    def prepare() -> tuple[dict, dict | None]:
        report = json.loads(Path(report_path).read_text(encoding="utf-8"))
        reel_id = report.get("reel")
        if not reel_id:
            return report, None
        info = project.reel(reel_id).info or {}
        shape = (int(info.get("height", 0)), int(info.get("width", 0)))
        a, b = (int(v) for v in report["frame_range"])
        return report, project.mask_digests(reel_id, range(a, b), shape)

    def record(result) -> None:
        report, digests = result
        try:
            project.record_render_report(report_path, report=report, mask_digests=digests)
        except (OSError, ValueError, KeyError) as exc:
            failed(exc)

    def failed(exc: BaseException) -> None:
        tell(f"{report_path}: the render's report could not be added to the history ({exc})", 8000)

    run(owner, prepare, on_result=record, on_error=failed)


def save_project(owner: QObject, project, then: Callable[[Path], None],
                 failed: Callable[[BaseException], None]) -> None:
    """Save off the GUI thread: the document is taken as it is now (here), the masks and files
    are written in a pool thread, and the project is marked saved on the GUI thread unless it
    was edited meanwhile (then it stays dirty, and is saved again next time)."""
    job = SaveJob(project)
    run(owner, job.write, on_result=lambda _r: then(job.finish()), on_error=failed)
