"""The one render pipeline and everything about what it writes.

:mod:`~restoration_core.render.pipeline` renders a job (resolve source and masks -> detect ->
restore -> cache -> encode -> report -> sign-off review) and previews one frame of it
exactly (:func:`preview_frame`); :mod:`~.masks` holds a job's repair masks (the project's
rule) and where each pixel's mask came from; :mod:`~.spec` describes a job,
:mod:`~.cache` keeps finished frames so a render resumes, :mod:`~.naming` and :mod:`~.plan`
turn an export dialog's choices into deliverables, :mod:`~.signoff` is the before/after
review render, :mod:`~.export` a plain copy of a reel through a preset.
"""

from restoration_core.render.cache import RenderCache
from restoration_core.render.masks import ClipMasks
from restoration_core.render.pipeline import RenderResult, preview_frame, render
from restoration_core.render.spec import JobSpec, load_job_file

__all__ = ["ClipMasks", "JobSpec", "RenderCache", "RenderResult", "load_job_file", "preview_frame", "render"]
