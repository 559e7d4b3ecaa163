"""``reelwright batch JOBFILE... [--workers N] [--ray ADDRESS]``: run many clip jobs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from restoration_core.errors import InputError, ReelwrightError
from restoration_core.jobs.pool import WorkerPool
from restoration_core.jobs.queue import CANCELLED, DONE, FAILED, Job, JobQueue
from restoration_core.jobs.ray_backend import RayRunner
from restoration_core.project import Project
from restoration_core.render.naming import is_sequence_preset, report_path_for
from restoration_core.render.spec import load_job_file
from restoration_core.report import html_path_for
from restoration_core.safety import Target, export_targets, plan_outputs


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "batch",
        help="run the jobs of TOML/JSON job files in worker processes or on a Ray cluster",
        description="Run every job listed in the job files. Jobs run in separate worker processes "
        "(or as Ray tasks with --ray); a job that fails does not stop the others. Finished frames "
        "are cached, so running the same job files again resumes interrupted jobs.",
    )
    p.add_argument("jobfiles", nargs="+", metavar="JOBFILE", help="TOML or JSON job file")
    p.add_argument("--workers", type=int, metavar="N", help="CPU worker processes (default: half the cores)")
    p.add_argument("--ray", metavar="ADDRESS", help="submit the jobs to a Ray cluster (an address or 'auto')")
    p.add_argument("--queue", metavar="FILE.json",
                   help="keep the job queue (states, logs) in this file; rerunning with it resumes or retries unfinished jobs")
    p.set_defaults(func=run)


def _line(job: Job) -> str:
    eta = "" if job.eta_s is None else f" {int(job.eta_s) // 60}:{int(job.eta_s) % 60:02d} left"
    return f"{job.spec.name}: {job.stage} {100 * job.fraction:.0f}% {job.fps:.1f}/s{eta}"


def _record_in_project(folder: str, report_path: str) -> None:
    """A finished clip job's interventions go into its project's history (saved at once)."""
    try:
        project = Project.load(folder)
        project.record_render_report(report_path)
        project.save()
    except (OSError, ValueError, KeyError, ReelwrightError) as exc:
        print(f"reelwright: warning: {folder}: the render was not added to the project's history ({exc})",
              file=sys.stderr)


class _Printer:
    """Prints each finished job once and a status line about once a second."""

    def __init__(self, queue: JobQueue):
        self.queue = queue
        self.reported: set[str] = set()
        self.last = 0.0

    def __call__(self) -> None:
        for job in self.queue.jobs:
            if job.id in self.reported:
                continue
            if job.state == DONE:
                r = job.result
                print(f"done: {job.spec.name} -> {r.get('output')} ({r.get('computed')} restored, "
                      f"{r.get('from_cache')} from cache, {r.get('interventions')} interventions)")
                if job.spec.project and r.get("report"):
                    _record_in_project(job.spec.project, r["report"])
            elif job.state in (FAILED, CANCELLED):
                print(f"{job.state}: {job.spec.name}: {job.error or job.state}")
            else:
                continue
            self.reported.add(job.id)
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            running = [j for j in self.queue.jobs if j.state == "running"]
            c = self.queue.counts()
            status = f"[{c[DONE]}/{len(self.queue)} done, {len(running)} running, {c['queued']} queued]"
            print(" ".join([status, *(_line(j) for j in running)]), file=sys.stderr)


def _load(path: str) -> list:
    """The jobs of one job file; a value of the wrong type is an InputError naming the file."""
    try:
        specs = load_job_file(path)
        for spec in specs:
            spec.validate()
            if spec.frame_range is not None:
                a, b = spec.frame_range
                if not (isinstance(a, int) and isinstance(b, int)):
                    raise TypeError(f"frame_range must be two whole numbers, got {list(spec.frame_range)}")
                if not 0 <= a < b and b != -1:
                    raise ValueError(f"job {spec.name}: frame_range {a}:{b} is empty or negative")
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise InputError(f"bad job file ({' '.join(str(exc).split())})", path) from None
    return specs


def _check_outputs(specs: list) -> None:
    """Every job's outputs against every job's inputs and each other, before any job starts."""
    targets, inputs = [], []
    for spec in specs:
        output = Path(spec.output)
        report = Path(spec.report) if spec.report else report_path_for(output, spec.preset)
        targets += export_targets(output, is_sequence_preset(spec.preset), f"output of job {spec.name}")
        targets += [Target(report, f"report of job {spec.name}"),
                    Target(html_path_for(report), f"HTML report of job {spec.name}")]
        inputs += [spec.input or None, spec.masks]
    plan_outputs("batch", inputs, targets)


def run(args: argparse.Namespace) -> int:
    specs = [spec for path in args.jobfiles for spec in _load(path)]
    outputs = [s.output for s in specs]
    dupes = sorted({o for o in outputs if outputs.count(o) > 1})
    if dupes:
        raise InputError(f"two jobs write the same output: {dupes[0]}")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be at least 1")
    _check_outputs(specs)
    queue = JobQueue(args.queue)
    known = {(j.spec.output, j.spec.cache_key()): j for j in queue.jobs}
    for spec in specs:
        job = known.get((spec.output, spec.cache_key()))
        if job is None:
            queue.add(spec)
        elif job.state in (FAILED, CANCELLED):  # rerun with the same --queue: retry, never repeat
            queue.retry(job.id)
    printer = _Printer(queue)
    if args.ray:
        runner = RayRunner(queue, address=args.ray)
    else:
        runner = WorkerPool(queue, workers=args.workers)
    try:
        runner.run(on_tick=printer)
    finally:
        runner.shutdown()
    counts = queue.counts()
    print(f"{counts[DONE]} done, {counts[FAILED]} failed, {counts[CANCELLED]} cancelled")
    return 0 if counts[DONE] == len(queue) else 1
