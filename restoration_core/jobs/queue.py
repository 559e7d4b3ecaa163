"""The job queue: a Qt-free model of jobs, their states, progress and logs, persisted to JSON.

States: ``queued`` -> ``running`` -> ``done`` | ``failed`` | ``cancelled``; a failed or
cancelled job can be retried (it resumes from its render cache). The GUI's jobs panel and
the CLI observe it through psygnal signals; a :class:`~restoration_core.jobs.pool.WorkerPool`
(or the Ray backend) changes it. A queue file saved while jobs were running (the program
crashed or was killed) loads with those jobs queued again.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psygnal import Signal

from restoration_core.atomic import atomic_write_text
from restoration_core.errors import InputError
from restoration_core.render.spec import JobSpec

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
MAX_LOG_LINES = 500


@dataclass
class Job:
    """One job's spec and what is known about its run."""

    spec: JobSpec
    state: str = QUEUED
    done: int = 0
    total: int = 0
    stage: str = ""
    step: str = ""  # within the stage, e.g. a diffusion step "12/20"
    fps: float = 0.0
    eta_s: float | None = None
    error: str = ""
    log: list[str] = field(default_factory=list)
    attempts: int = 0
    cancel_requested: bool = False
    result: dict[str, Any] = field(default_factory=dict)
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def fraction(self) -> float:
        return 1.0 if self.state == DONE else (self.done / self.total if self.total else 0.0)

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "spec"}
        d["spec"] = self.spec.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Job:
        d = dict(d)
        spec = JobSpec.from_dict(d.pop("spec"))
        return cls(spec=spec, **{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


class JobQueue:
    """Ordered jobs with events; saved atomically to ``path`` on every state change."""

    job_added = Signal(str)
    job_changed = Signal(str)
    job_removed = Signal(str)

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else None
        self._jobs: dict[str, Job] = {}
        if self.path is not None and self.path.exists():
            self._load()

    # ---- persistence -----------------------------------------------------------------
    def _load(self) -> None:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            jobs = [Job.from_dict(d) for d in data["jobs"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"not a readable job queue ({exc})", self.path) from None
        for job in jobs:
            if job.state == RUNNING:
                job.state = QUEUED
                job.log.append("interrupted (the program stopped); queued again, resumes from the render cache")
            self._jobs[job.id] = job

    def save(self) -> None:
        if self.path is not None:
            data = {"version": 1, "jobs": [j.to_dict() for j in self._jobs.values()]}
            atomic_write_text(self.path, json.dumps(data, indent=1, default=str))

    # ---- reading ---------------------------------------------------------------------
    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    def get(self, job_id: str) -> Job:
        return self._jobs[job_id]

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in (QUEUED, RUNNING, DONE, FAILED, CANCELLED)}
        for job in self._jobs.values():
            out[job.state] += 1
        return out

    @property
    def finished(self) -> bool:
        """True when no job is queued or running."""
        return all(j.state in FINISHED for j in self._jobs.values())

    def next_queued(self, gpu: bool | None = None) -> Job | None:
        """The oldest queued job (only GPU or only CPU jobs when ``gpu`` is given)."""
        for job in self._jobs.values():
            if job.state == QUEUED and (gpu is None or job.spec.needs_gpu == gpu):
                return job
        return None

    # ---- user actions ----------------------------------------------------------------
    def add(self, spec: JobSpec) -> Job:
        spec.validate()
        if spec.id in self._jobs:
            raise InputError(f"job {spec.id} is already queued")
        job = Job(spec)
        self._jobs[job.id] = job
        self.save()
        self.job_added.emit(job.id)
        return job

    def cancel(self, job_id: str) -> None:
        """Cancel a queued job now; ask a running one to stop (its runner finishes the cancel)."""
        job = self._jobs[job_id]
        if job.state == QUEUED:
            self._finish(job, CANCELLED, "cancelled before it started")
        elif job.state == RUNNING and not job.cancel_requested:
            job.cancel_requested = True
            self.log(job_id, "cancel requested")
            self.job_changed.emit(job_id)

    def retry(self, job_id: str) -> None:
        """Queue a failed or cancelled job again; it resumes from its render cache."""
        job = self._jobs[job_id]
        if job.state in (FAILED, CANCELLED):
            job.state, job.error, job.cancel_requested = QUEUED, "", False
            job.done = job.total = 0
            job.eta_s = None
            self.log(job_id, "queued again")
            self.save()
            self.job_changed.emit(job_id)

    def remove(self, job_id: str) -> None:
        if self._jobs[job_id].state == RUNNING:
            raise InputError("a running job cannot be removed; cancel it first")
        del self._jobs[job_id]
        self.save()
        self.job_removed.emit(job_id)

    # ---- runner updates --------------------------------------------------------------
    def log(self, job_id: str, line: str) -> None:
        job = self._jobs[job_id]
        job.log.append(f"{time.strftime('%H:%M:%S')} {line}")
        del job.log[:-MAX_LOG_LINES]

    def mark_running(self, job_id: str, where: str = "") -> None:
        job = self._jobs[job_id]
        job.state, job.started, job.finished = RUNNING, time.time(), None
        job.attempts += 1
        self.log(job_id, f"started{' on ' + where if where else ''} (attempt {job.attempts})")
        self.save()
        self.job_changed.emit(job_id)

    def update_progress(
        self, job_id: str, done: int, total: int, stage: str, fps: float = 0.0, eta_s: float | None = None,
        step: str = "",
    ) -> None:
        job = self._jobs[job_id]
        if job.stage != stage:
            self.log(job_id, f"stage {stage}")
        job.done, job.total, job.stage, job.fps, job.eta_s, job.step = done, total, stage, fps, eta_s, step
        self.job_changed.emit(job_id)

    def mark_done(self, job_id: str, result: dict[str, Any]) -> None:
        job = self._jobs[job_id]
        job.result = dict(result)
        job.done = job.total
        job.eta_s = 0.0
        if result.get("review"):
            self.log(job_id, f"review: {result['review']}")
        if result.get("review_error"):
            self.log(job_id, f"review not written: {result['review_error']}")
        self._finish(job, DONE, f"done: {result.get('output')} ({result.get('computed')} frames restored, "
                                f"{result.get('from_cache')} from cache)")

    def requeue(self, job_id: str, why: str) -> None:
        """Put an interrupted running job back in the queue (it resumes from its render cache)."""
        job = self._jobs[job_id]
        if job.cancel_requested:
            self.mark_cancelled(job_id)
            return
        job.state, job.eta_s = QUEUED, None
        self.log(job_id, f"{why}; queued again, resumes from the render cache")
        self.save()
        self.job_changed.emit(job_id)

    def mark_failed(self, job_id: str, reason: str) -> None:
        job = self._jobs[job_id]
        job.error = reason
        self._finish(job, FAILED, f"failed: {reason}")

    def mark_cancelled(self, job_id: str, how: str = "cancelled") -> None:
        self._finish(self._jobs[job_id], CANCELLED, how)

    def _finish(self, job: Job, state: str, line: str) -> None:
        job.state, job.finished, job.cancel_requested = state, time.time(), False
        self.log(job.id, line)
        self.save()
        self.job_changed.emit(job.id)
