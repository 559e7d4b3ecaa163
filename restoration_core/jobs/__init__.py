"""Run restoration work off the UI thread and off this machine.

:func:`render` runs one job (read -> detect -> restore -> render cache -> write -> report)
as a progress generator; :class:`JobQueue` is the Qt-free, persisted model of many jobs;
:class:`WorkerPool` runs them in spawned worker processes and
:class:`~restoration_core.jobs.ray_backend.RayRunner` on a Ray cluster.
"""

from restoration_core.jobs.cache import RenderCache
from restoration_core.jobs.pool import WorkerPool
from restoration_core.jobs.queue import Job, JobQueue
from restoration_core.jobs.render import RenderResult, render
from restoration_core.jobs.spec import JobSpec, load_job_file

__all__ = ["Job", "JobQueue", "JobSpec", "RenderCache", "RenderResult", "WorkerPool", "load_job_file", "render"]
