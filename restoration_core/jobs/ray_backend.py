"""Run the jobs of a :class:`JobQueue` as Ray tasks (``reelwright batch --ray ADDRESS``).

Each clip job becomes one task (``num_gpus=1`` for diffusion work, else ``num_cpus=1``)
that runs the same :func:`~restoration_core.jobs.worker.run_job` as a local worker.
Progress and results stream back through a ``ray.util.queue.Queue`` (an actor) that
:meth:`RayRunner.poll` drains without blocking. Paths in the jobs (inputs, outputs, masks,
caches, models) must name the same files on every node: use shared storage. Ray is the
optional ``cluster`` extra and is imported only here, only when used.
"""

from __future__ import annotations

import time
from typing import Any

from restoration_core.errors import InputError
from restoration_core.jobs.queue import RUNNING, JobQueue
from restoration_core.jobs.worker import run_job
from restoration_core.progress import CancelToken
from restoration_core.render import engines as engines_module


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise InputError("Ray is not installed; install the cluster extra: pip install 'reelwright[cluster]'") from None
    return ray


def _run_remote(spec_dict: dict, engines: str, progress: Any) -> None:
    """The task body: render one job, every message goes to the progress queue."""
    run_job(spec_dict, CancelToken(), progress.put, engines)


class RayRunner:
    """Submits queued jobs to Ray and mirrors their progress into the queue; drive with :meth:`poll`."""

    def __init__(self, queue: JobQueue, address: str | None = "auto", engines: str | None = None,
                 grace_s: float = 10.0, runtime_env: dict | None = None):
        self.ray = ray = _import_ray()
        self.queue = queue
        self.engines = engines or engines_module.DEFAULT_ENGINES
        self.grace_s = grace_s
        if not ray.is_initialized():
            try:
                ray.init(address=address, runtime_env=runtime_env, include_dashboard=False,
                         log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise InputError(f"cannot connect to the Ray cluster at {address!r} ({exc})") from None
        from ray.util.queue import Queue

        self.progress = Queue()
        self._task = ray.remote(max_retries=0)(_run_remote)
        self._refs: dict[str, Any] = {}  # job id -> ObjectRef of its running task
        self._kill_at: dict[str, float] = {}

    def _submit(self) -> None:
        while (job := self.queue.next_queued()) is not None:
            options = {"num_gpus": 1, "num_cpus": 1} if job.spec.needs_gpu else {"num_cpus": 1}
            ref = self._task.options(**options).remote(job.spec.to_dict(), self.engines, self.progress)
            self._refs[job.id] = ref
            self.queue.mark_running(job.id, "ray")

    def _drain(self) -> None:
        size = self.progress.qsize()
        if size:
            for msg in self.progress.get_nowait_batch(size):
                self._handle(msg)

    def _handle(self, msg: tuple) -> None:
        kind, job_id = msg[0], msg[1]
        if job_id not in self.queue or self.queue.get(job_id).state != RUNNING:
            return
        if kind == "progress":
            _, _, done, total, stage, fps, eta, step = msg
            self.queue.update_progress(job_id, done, total, stage, fps or 0.0, eta, step)
        elif kind == "log":
            self.queue.log(job_id, msg[2])
        elif kind == "done":
            self.queue.mark_done(job_id, msg[2])
        elif kind == "failed":
            self.queue.mark_failed(job_id, msg[2])
        elif kind == "cancelled":
            self.queue.mark_cancelled(job_id)

    def _finish_tasks(self) -> None:
        """Tasks that ended without a final message crashed or were cancelled."""
        ray = self.ray
        if not self._refs:
            return
        ready, _ = ray.wait(list(self._refs.values()), num_returns=len(self._refs), timeout=0)
        if not ready:
            return
        self._drain()  # the final messages are queued before a task returns
        for job_id, ref in list(self._refs.items()):
            if ref not in ready:
                continue
            del self._refs[job_id]
            cancelled = self._kill_at.pop(job_id, None) is not None
            if self.queue.get(job_id).state != RUNNING:
                continue
            try:
                ray.get(ref)
                reason = "the task ended without a result"
            except ray.exceptions.TaskCancelledError:
                cancelled = True
                reason = "cancelled"
            except ray.exceptions.RayError as exc:
                reason = f"Ray task failed: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
            if cancelled:
                self.queue.mark_cancelled(job_id)
            else:
                self.queue.mark_failed(job_id, reason)

    def _cancels(self) -> None:
        now = time.monotonic()
        for job_id, ref in self._refs.items():
            job = self.queue.get(job_id)
            if job.cancel_requested and job_id not in self._kill_at:
                self.ray.cancel(ref, force=False)
                self._kill_at[job_id] = now + self.grace_s
            elif job_id in self._kill_at and now >= self._kill_at[job_id]:
                self.ray.cancel(ref, force=True)
                self._kill_at[job_id] = float("inf")

    def poll(self) -> bool:
        """Submit, mirror progress, settle finished tasks; True while jobs are queued or running."""
        self._drain()
        self._finish_tasks()
        self._cancels()
        self._submit()
        return not self.queue.finished

    def run(self, on_tick: Any = None, interval: float = 0.1, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll():
            if on_tick is not None:
                on_tick()
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("jobs did not finish in time")
            time.sleep(interval)
        if on_tick is not None:
            on_tick()

    def shutdown(self) -> None:
        """Stop tasks still running; their jobs go back to the queue (render caches stay)."""
        for job_id, ref in list(self._refs.items()):
            self.ray.cancel(ref, force=True)
            if self.queue.get(job_id).state == RUNNING:
                self.queue.requeue(job_id, "interrupted (the Ray runner shut down)")
        self._refs.clear()
        try:
            self.ray.kill(self.progress.actor)
        except Exception:  # the actor may already be gone with the cluster
            pass
