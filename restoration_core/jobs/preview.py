"""Frame previews with a diffusion model, restored in a worker process (never in the caller's).

The GUI shows "after" for one frame at a time; with a model that means loading weights
and running a UNet, which must not happen in the GUI process (a model crash or an
out-of-memory kill must not take the workbench with it). :class:`PreviewWorker` keeps one
``spawn`` process that holds the last model (and reel) it was asked for and restores
single frames on request, with the render pipeline's
:func:`~restoration_core.render.pipeline.restore_preview` (the caller plans the frame with
:func:`~restoration_core.render.pipeline.plan_preview`: the same neighbours' masks, seeds
and flicker curve as the clip's render). A worker that dies is reported as an error and
replaced on the next request.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from typing import Any

import numpy as np

from restoration_core.errors import Cancelled, InputError, ReelwrightError
from restoration_core.render.engines import load_engines
from restoration_core.render.pipeline import PreviewPlan, restore_preview

JOIN_S = 3.0
PROGRESS_S = 0.25  # at most this often a progress message from the worker


def _serve(conn: Any) -> None:
    """The worker's loop: ``(reel, plan, settings, model, steps)`` -> progress messages
    ``("progress", done, total, stage, message)``, then ``("ok", array)`` or ``("error", line)``."""
    from restoration_core.diffusion import load_fill_engine  # torch: only in this process

    eng = load_engines()
    reel = reel_path = None
    engine = engine_key = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        path, plan, settings, model, steps = msg
        try:
            if reel_path != path:
                if reel is not None:
                    reel.close()
                reel, reel_path = None, None
                reel, reel_path = eng.open_reel(path), path
            if engine_key != (model, steps):
                engine = engine_key = None   # let the previous model go before loading the next
                conn.send(("progress", 0, 1, "load", f"loading {model}"))
                engine, engine_key = load_fill_engine(model, steps=steps), (model, steps)
            task = restore_preview(reel, plan, eng.restore_settings(settings), eng, fill_engine=engine)
            last = 0.0
            try:
                while True:
                    p = next(task)
                    now = time.monotonic()
                    if now - last >= PROGRESS_S:
                        last = now
                        conn.send(("progress", p.done, p.total, p.stage, p.message))
            except StopIteration as stop:
                conn.send(("ok", np.asarray(stop.value.data)))
        except ReelwrightError as exc:
            conn.send(("error", str(exc)))
        except Exception as exc:  # noqa: BLE001 - reported to the caller as one line
            conn.send(("error", f"{type(exc).__name__}: {exc}".splitlines()[0]))


class PreviewWorker:
    """Restores single frames with a diffusion model in a long-lived ``spawn`` process.

    Thread-safe: one request at a time (callers wait their turn)."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Any = None
        self._lock = threading.Lock()
        self._cancelled = False

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child,), name="reelwright-preview", daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def restore(self, reel_path: str, plan: PreviewPlan, settings: dict[str, Any],
                model: str, steps: int | None = None, on_progress=None) -> np.ndarray:
        """Frame ``plan.index`` of ``reel_path`` restored as the clip's render restores it
        (``settings``: the job's restore settings dict).

        ``on_progress(done, total, stage, message)`` is called (on this thread) as the worker
        goes; :meth:`cancel` from another thread ends the request with :class:`Cancelled`."""
        with self._lock:
            self._cancelled = False
            if self._proc is None or not self._proc.is_alive():
                self._start()
            try:
                self._conn.send((str(reel_path), plan, dict(settings), str(model), steps))
                while True:
                    status, *value = self._receive()
                    if status != "progress":
                        break
                    if on_progress is not None:
                        on_progress(*value)
            except (EOFError, OSError, BrokenPipeError):
                code = self._proc.exitcode if self._proc is not None else None
                self._stop_locked()
                if self._cancelled:
                    raise Cancelled("preview cancelled") from None
                raise InputError(f"the preview worker stopped (exit code {code}); "
                                 "the next preview starts a new one", model) from None
        if status == "error":
            raise InputError(value[0], model)
        return value[0]

    def cancel(self) -> None:
        """End the preview in progress now (the worker is stopped; the next request starts one)."""
        proc = self._proc
        if proc is not None and proc.is_alive() and self._lock.locked():
            self._cancelled = True
            proc.kill()

    def _receive(self) -> tuple:
        return self._conn.recv()

    def close(self) -> None:
        """Stop the worker now, even in the middle of a preview (that request is cancelled)."""
        self.cancel()
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            try:
                conn.send(None)
            except (OSError, BrokenPipeError):
                pass
            conn.close()
        if proc is not None:
            proc.join(JOIN_S)
            if proc.is_alive():
                proc.kill()
                proc.join(JOIN_S)
