"""A local pool of worker processes that runs the jobs of a :class:`JobQueue`.

One worker per CUDA device takes diffusion jobs (one model per GPU); CPU workers, sized
to the machine, take the rest. :meth:`WorkerPool.poll` never blocks: it drains progress
from the workers into the queue, notices crashed workers (the job fails with the exit code
or signal, a fresh worker takes the slot), finishes cancels (cooperative first, then a
hard kill after ``grace_s``) and hands queued jobs to idle workers. The CLI calls it in a
loop (:meth:`run`), the GUI from a timer, so the GUI process never runs model code.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from restoration_core.jobs.queue import RUNNING, JobQueue
from restoration_core.jobs.worker import worker_main
from restoration_core.render import engines as engines_module


def gpu_count() -> int:
    """CUDA devices visible to this process, found without importing torch here."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    smi = shutil.which("nvidia-smi")
    if not smi:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in out.splitlines() if line.startswith("GPU "))


def default_cpu_workers() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


def describe_exit(code: int | None) -> str:
    if code is None:
        return "worker vanished"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        why = {"SIGKILL": ": killed, or out of memory", "SIGSEGV": ": a crash in native code"}.get(name, "")
        return f"worker process killed by signal {-code} ({name}{why})"
    return f"worker process exited with code {code}"


@dataclass
class _Slot:
    name: str
    device: int | None
    process: Any = None
    inbox: Any = None
    outbox: Any = None
    cancel: Any = None
    job_id: str | None = None
    kill_at: float | None = None

    @property
    def gpu(self) -> bool:
        return self.device is not None


class WorkerPool:
    """Runs queued jobs in spawn-context worker processes; drive it with :meth:`poll`."""

    def __init__(self, queue: JobQueue, workers: int | None = None, gpus: int | None = None,
                 engines: str | None = None, grace_s: float = 10.0):
        self.queue = queue
        self.engines = engines or engines_module.DEFAULT_ENGINES  # a module name workers import
        self.grace_s = grace_s
        self._ctx = mp.get_context("spawn")
        gpus = gpu_count() if gpus is None else gpus
        cpus = default_cpu_workers() if workers is None else max(1, workers)
        threads = max(1, (os.cpu_count() or 2) // (cpus + gpus))
        self._threads = threads
        self.slots = [_Slot(f"gpu{d}", d) for d in range(gpus)] + [_Slot(f"cpu{n}", None) for n in range(cpus)]
        self._closed = False

    # ---- processes -------------------------------------------------------------------
    def _spawn(self, slot: _Slot) -> None:
        inbox_r, inbox_w = self._ctx.Pipe(duplex=False)
        outbox_r, outbox_w = self._ctx.Pipe(duplex=False)
        slot.cancel = self._ctx.Event()
        slot.process = self._ctx.Process(
            target=worker_main, name=f"reelwright-{slot.name}", daemon=True,
            args=(inbox_r, outbox_w, slot.cancel, slot.device, self._threads, self.engines),
        )
        slot.process.start()
        inbox_r.close()
        outbox_w.close()  # so a dead worker reads as EOF, never as a half message
        slot.inbox, slot.outbox = inbox_w, outbox_r
        slot.job_id, slot.kill_at = None, None

    def _reap(self, slot: _Slot) -> None:
        for conn in (slot.inbox, slot.outbox):
            if conn is not None:
                conn.close()
        if slot.process is not None:
            slot.process.join(timeout=5)
        slot.process = slot.inbox = slot.outbox = None

    def worker_pid(self, job_id: str) -> int | None:
        for slot in self.slots:
            if slot.job_id == job_id and slot.process is not None:
                return slot.process.pid
        return None

    # ---- the loop --------------------------------------------------------------------
    def poll(self) -> bool:
        """Do everything that is due without blocking; True while jobs are queued or running."""
        if self._closed:
            return False
        for slot in self.slots:
            self._drain(slot)
            self._check_alive(slot)
            self._check_cancel(slot)
        self._dispatch()
        return not self.queue.finished

    def _drain(self, slot: _Slot) -> None:
        if slot.outbox is None:
            return
        try:
            while slot.outbox.poll():
                self._handle(slot, slot.outbox.recv())
        except (EOFError, OSError, ValueError, TypeError, AttributeError):
            pass  # the worker died; _check_alive reports it

    def _handle(self, slot: _Slot, msg: tuple) -> None:
        kind, job_id = msg[0], msg[1]
        if job_id not in self.queue:
            return
        if kind == "progress":
            _, _, done, total, stage, fps, eta, step = msg
            self.queue.update_progress(job_id, done, total, stage, fps or 0.0, eta, step)
        elif kind == "log":
            self.queue.log(job_id, msg[2])
        else:
            if kind == "done":
                self.queue.mark_done(job_id, msg[2])
            elif kind == "failed":
                self.queue.mark_failed(job_id, msg[2])
            elif kind == "cancelled":
                self.queue.mark_cancelled(job_id)
            slot.job_id, slot.kill_at = None, None

    def _check_alive(self, slot: _Slot) -> None:
        if slot.process is None or slot.process.is_alive():
            return
        self._drain(slot)
        code = slot.process.exitcode
        job_id = slot.job_id
        self._reap(slot)
        if job_id is not None and self.queue.get(job_id).state == RUNNING:
            if slot.kill_at is not None:
                self.queue.mark_cancelled(job_id, "cancelled (stopped after the grace period)")
            else:
                self.queue.mark_failed(job_id, describe_exit(code))
        slot.job_id, slot.kill_at = None, None

    def _check_cancel(self, slot: _Slot) -> None:
        if slot.job_id is None or slot.process is None:
            return
        job = self.queue.get(slot.job_id)
        now = time.monotonic()
        if job.cancel_requested and slot.kill_at is None:
            slot.cancel.set()
            slot.kill_at = now + self.grace_s
        elif slot.kill_at is not None and now >= slot.kill_at:
            self.queue.log(job.id, f"did not stop within {self.grace_s:g} s; killing its worker")
            slot.process.kill()
            slot.process.join(timeout=5)
            self._check_alive(slot)

    def _dispatch(self) -> None:
        has_gpu = any(s.gpu for s in self.slots)
        for slot in self.slots:
            if slot.job_id is not None:
                continue
            if slot.gpu:
                job = self.queue.next_queued(gpu=True) or self.queue.next_queued(gpu=False)
            else:
                job = self.queue.next_queued(gpu=False) if has_gpu else self.queue.next_queued()
            if job is None:
                continue
            if slot.process is None:
                self._spawn(slot)
            slot.cancel.clear()
            slot.job_id = job.id
            self.queue.mark_running(job.id, f"{slot.name} (pid {slot.process.pid})")
            slot.inbox.send(job.spec.to_dict())

    def run(self, on_tick: Any = None, interval: float = 0.05, timeout: float | None = None) -> None:
        """Poll until every job has finished (the CLI's loop); ``on_tick()`` after each poll."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll():
            if on_tick is not None:
                on_tick()
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("jobs did not finish in time")
            time.sleep(interval)
        if on_tick is not None:
            on_tick()

    def shutdown(self, kill_running: bool = True) -> None:
        """Stop every worker; running jobs go back to the queue (their render caches stay)."""
        if self._closed:
            return
        for slot in self.slots:
            if slot.process is None:
                continue
            if slot.job_id is not None and kill_running:
                slot.process.kill()
            else:
                try:
                    slot.inbox.send(None)
                except OSError:
                    slot.process.kill()
        for slot in self.slots:
            if slot.process is None:
                continue
            slot.process.join(timeout=5)
            if slot.process.is_alive():
                slot.process.kill()
            if slot.job_id is not None and self.queue.get(slot.job_id).state == RUNNING:
                self.queue.requeue(slot.job_id, "interrupted (the worker pool shut down)")
            self._reap(slot)
        self._closed = True

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
