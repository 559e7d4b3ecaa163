"""Frame previews with a diffusion model, restored in a worker process (never in the caller's).

The GUI shows "after" for one frame at a time; with a model that means loading weights
and running a UNet, which must not happen in the GUI process (a model crash or an
out-of-memory kill must not take the workbench with it). :class:`PreviewWorker` keeps one
``spawn`` process that holds the last model (and reel) it was asked for and restores
single frames on request. A worker that dies is reported as an error and replaced on the
next request.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from typing import Any

import numpy as np

from restoration_core.errors import InputError, ReelwrightError

JOIN_S = 3.0


def _serve(conn: Any) -> None:
    """The worker's loop: ``(reel, index, mask, settings, model, steps)`` -> ``("ok", array)``."""
    from restoration_core.media import open_reel
    from restoration_core.models import load_fill_engine
    from restoration_core.restore import restore_single

    reel = reel_path = None
    engine = engine_key = None
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        path, index, mask, settings, model, steps = msg
        try:
            if reel_path != path:
                if reel is not None:
                    reel.close()
                reel, reel_path = None, None
                reel, reel_path = open_reel(path), path
            if engine_key != (model, steps):
                engine = engine_key = None   # let the previous model go before loading the next
                engine, engine_key = load_fill_engine(model, steps=steps), (model, steps)
            out = restore_single(reel, index, lambda i, m=mask, k=index: m if i == k else None, settings,
                                 fill_engine=engine)
            conn.send(("ok", np.asarray(out.data)))
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

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child,), name="reelwright-preview", daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def restore(self, reel_path: str, index: int, mask: np.ndarray | None, settings: Any,
                model: str, steps: int | None = None) -> np.ndarray:
        """The restored frame ``index`` of ``reel_path`` (``mask`` = its repair mask)."""
        with self._lock:
            if self._proc is None or not self._proc.is_alive():
                self._start()
            try:
                self._conn.send((str(reel_path), int(index), mask, settings, str(model), steps))
                status, value = self._receive()
            except (EOFError, OSError, BrokenPipeError):
                code = self._proc.exitcode if self._proc is not None else None
                self._stop_locked()
                raise InputError(f"the preview worker stopped (exit code {code}); "
                                 "the next preview starts a new one", model) from None
        if status == "error":
            raise InputError(value, model)
        return value

    def _receive(self) -> tuple[str, Any]:
        return self._conn.recv()

    def close(self) -> None:
        """Stop the worker now, even in the middle of a preview (that request then fails)."""
        proc = self._proc
        if proc is not None and proc.is_alive() and self._lock.locked():
            proc.kill()
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
