"""Clips become jobs: queue a clip's render, keep its job state on the clip, host the jobs panel
(whole-reel detection is in app/reel_detection.py)."""

from __future__ import annotations

from PySide6.QtWidgets import QListWidget

from app import background, engine
from app.project_io import output_folder
from restoration_core.errors import ReelwrightError
from restoration_core.render.spec import JobSpec


def jobs_available() -> bool:
    return engine.available("restoration_core.jobs.queue", "JobQueue") and \
        engine.available("restoration_core.render.spec", "JobSpec")


class JobsHost:
    """Owns the project's job queue (``<project>/jobs.json``) and the jobs dock's widget."""

    def __init__(self, window):
        self.window = window
        self.queue = None
        self.panel = None
        self.runner = None
        self.auto_run = True        # tests turn this off: no worker processes
        self.gpus: int | None = None   # found by a background probe before the first pool starts
        self._probing = False
        self.list = QListWidget(window)   # used when the jobs engineer's panel is absent
        window.session.project_changed.connect(self.project_changed)

    def widget(self):
        return self.list

    def project_changed(self) -> None:
        project = self.window.session.project
        if project is None or not jobs_available():
            self._refresh_list()
            return
        from restoration_core.jobs.queue import JobQueue

        if self.queue is not None and self.queue.path == project.folder / "jobs.json":
            return
        self.shutdown()
        self.queue = JobQueue(project.folder / "jobs.json")
        self.queue.job_changed.connect(self._job_changed)
        try:
            from app.jobs_panel import JobsPanel
        except ImportError:
            self.panel = None
        else:
            self.panel = JobsPanel(self.queue, None, self.window)
            dock = self.window.docks["jobs"]
            old = dock.widget()
            dock.setWidget(self.panel)
            if old is not None and old is not self.list:
                old.deleteLater()
        self._refresh_list()
        if any(j.state == "queued" for j in self.queue.jobs):
            self.start_runner()   # jobs left queued (or running when the app stopped) go on

    def _job_changed(self, job_id: str) -> None:
        """Mirror a job's state on its clip (queued, running, done, failed)."""
        project = self.window.session.project
        job = self.queue.get(job_id) if self.queue is not None else None
        if job is not None and job.state == "queued" and self.runner is None:
            self.start_runner()   # e.g. a job retried in a reopened project
        if project is None or job is None or not job.spec.clip:
            return
        try:
            clip = project.clip(job.spec.clip)
        except KeyError:
            return
        if clip.job_state != job.state:
            project.update_clip(clip.id, job_state=job.state)
        if job.state == "done" and job.result.get("report"):
            record_render(self.window, project, job.result["report"], self.window.statusBar().showMessage)

    def _refresh_list(self) -> None:
        self.list.clear()
        project = self.window.session.project
        for clip in project.clips if project is not None else []:
            self.list.addItem(f"{clip.name}  {clip.in_frame}–{clip.out_frame - 1}  {clip.job_state or ''}")

    def start_runner(self) -> None:
        if self.runner is not None or self.queue is None or not self.auto_run:
            return
        if self.gpus is None:   # nvidia-smi (up to its 10 s timeout) never runs on the GUI thread
            if not self._probing:
                self._probing = True
                background.probe_gpus(self.window, self._gpus_found)
            return
        from restoration_core.jobs.pool import WorkerPool

        # sized like `reelwright batch`: one worker per GPU, CPU workers for half the cores
        self.runner = WorkerPool(self.queue, gpus=self.gpus)
        if self.panel is not None:
            self.panel.set_runner(self.runner)

    def _gpus_found(self, count: int) -> None:
        self.gpus, self._probing = int(count), False
        self.start_runner()

    def shutdown(self) -> None:
        if self.panel is not None:
            self.panel.shutdown()
        elif self.runner is not None:
            self.runner.shutdown()
        self.runner = None


def record_render(owner, project, report_path: str, tell) -> None:
    """Put a finished render's interventions into the project's history (so one can be taken back);
    the report is read and the clip's masks digested off the GUI thread."""
    background.record_render(owner, project, report_path, tell)


def queue_clip(window) -> None:
    """The in/out range becomes a clip with the inspector's settings; its render is queued."""
    s = window.session
    project = s.project
    a, b = window.transport.marked_range()
    settings = window.inspector.settings_dict() if hasattr(window, "inspector") else {}
    clip = project.add_clip(s.reel_id, a, b, settings=settings)
    host: JobsHost = window.jobs
    if host.queue is None:
        project.update_clip(clip.id, job_state="queued")
        window.statusBar().showMessage(f"{clip.name} ({a}–{b - 1}) added as queued", 6000)
        host._refresh_list()
        return
    reel = project.reel(s.reel_id)
    try:
        renders = output_folder(project, "renders", [reel.path])
    except ReelwrightError as exc:
        window.show_error("Cannot queue clip", str(exc))
        return
    out = renders / f"{reel.path.stem}_{clip.id}.mov"
    spec = JobSpec(output=str(out), input=str(reel.path), frame_range=(a, b), settings=settings.get("restore", {}),
                   detect_settings=settings.get("detect", {}), project=str(project.folder), clip=clip.id,
                   name=f"{reel.path.stem} {clip.name}")

    def enqueue(_saved=None) -> None:
        """The worker reads the clip from the saved project: it is queued once the save has landed."""
        try:
            host.queue.add(spec)
        except Exception as exc:  # noqa: BLE001 - shown to the user
            window.show_error("Cannot queue clip", f"{clip.name}: {exc}")
            return
        project.update_clip(clip.id, job_state="queued")
        window.statusBar().showMessage(f"Queued {clip.name} (frames {a}–{b - 1})", 6000)
        host.start_runner()

    # the save (masks and all) runs off the GUI thread
    window.statusBar().showMessage(f"Saving {project.name} to queue {clip.name}…")
    background.save_project(window, project, enqueue,
                            lambda exc: window.show_error("Cannot queue clip", f"saving {project.name} failed: {exc}"))

