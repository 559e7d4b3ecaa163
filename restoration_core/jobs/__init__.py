"""Run render jobs off the UI thread and off this machine.

:class:`JobQueue` is the Qt-free, persisted model of many jobs; :class:`WorkerPool` runs
them in spawned worker processes and :class:`~restoration_core.jobs.ray_backend.RayRunner`
on a Ray cluster. What a job *does* is :mod:`restoration_core.render` (the one pipeline):
this package runs it, it does not wire it.
"""

from restoration_core.jobs.pool import WorkerPool
from restoration_core.jobs.queue import Job, JobQueue

__all__ = ["Job", "JobQueue", "WorkerPool"]
