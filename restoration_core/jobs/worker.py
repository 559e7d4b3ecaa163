"""The body of a worker process: take jobs from a pipe, render them, report back on a pipe.

Started with the ``spawn`` context (a clean interpreter: no inherited Qt, threads or CUDA
state). A GPU worker sees exactly one device (``CUDA_VISIBLE_DEVICES``); a CPU worker sees
none, so two models never fight over one GPU. Messages to the parent are tuples:
``("progress", job_id, done, total, stage, fps, eta_s, step)``, ``("log", job_id, line)``,
``("done", job_id, result)``, ``("failed", job_id, reason)``, ``("cancelled", job_id)``.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import asdict
from typing import Any

import cv2

from restoration_core.errors import Cancelled, ReelwrightError
from restoration_core.progress import CancelToken, RenderStats
from restoration_core.render.engines import load_engines
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec

PROGRESS_INTERVAL_S = 0.2


class EventToken(CancelToken):
    """A :class:`CancelToken` over a multiprocessing Event the parent sets."""

    def __init__(self, event: Any):
        self._event = event


def result_dict(result: Any) -> dict[str, Any]:
    d = asdict(result)
    for key in ("output", "report", "review"):
        d[key] = None if d[key] is None else str(d[key])
    d.pop("frame_md5", None)
    return d


def run_job(spec_dict: dict, cancel: CancelToken, send: Any, engines_module: str | None) -> None:
    """Render one job, sending progress and exactly one final message through ``send``."""
    spec = JobSpec.from_dict(spec_dict)
    job_id = spec.id
    last, stage = 0.0, ""
    try:
        task = render(spec, cancel=cancel, engines=load_engines(engines_module))
        while True:
            try:
                p = next(task)
            except StopIteration as stop:
                send(("done", job_id, result_dict(stop.value)))
                return
            now = time.monotonic()
            if now - last >= PROGRESS_INTERVAL_S or p.stage != stage:
                last, stage = now, p.stage
                stats = p.stats or RenderStats()
                send(("progress", job_id, p.done, p.total, p.stage, stats.fps, stats.eta_s, p.message))
    except Cancelled:
        send(("cancelled", job_id))
    except ReelwrightError as exc:
        send(("failed", job_id, str(exc)))
    except Exception as exc:  # an engine bug must not take the worker down with it
        send(("log", job_id, traceback.format_exc()))
        send(("failed", job_id, f"{type(exc).__name__}: {exc}"))


def worker_main(inbox: Any, outbox: Any, cancel_event: Any, device: int | None, threads: int,
                engines_module: str | None) -> None:
    """Loop: receive a spec dict (``None`` = stop), render it, report."""
    os.environ["CUDA_VISIBLE_DEVICES"] = "" if device is None else str(device)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)  # read by torch, loaded only when a job uses a model
    cv2.setNumThreads(threads)
    token = EventToken(cancel_event)
    parent = os.getppid()

    def send(msg: tuple) -> None:
        if os.getppid() != parent:  # the pool's process died: stop; finished frames stay cached
            os._exit(3)
        outbox.send(msg)

    while True:
        try:
            spec_dict = inbox.recv()
        except (EOFError, OSError):
            return
        if spec_dict is None:
            return
        run_job(spec_dict, token, send, engines_module)
