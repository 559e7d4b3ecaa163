"""The report's before/after crops taken as step 4 writes the frames are the ones read back."""

from __future__ import annotations

from restoration_core.progress import run_to_end
from restoration_core.render import pipeline
from restoration_core.render.pipeline import render
from restoration_core.render.spec import JobSpec
from restoration_core.report import html_path_for, read_report, render_report_html
from restoration_core.sample import make_sample_reel


def test_crops_taken_during_the_encode_match_the_files(tmp_path, monkeypatch):
    sample = make_sample_reel(tmp_path / "sample", frames=6, size=(64, 48))
    taken = []
    real = pipeline.kept_regions
    monkeypatch.setattr(pipeline, "kept_regions", lambda frame, boxes: taken.append(1) or real(frame, boxes))
    out = tmp_path / "o.mkv"
    spec = JobSpec(input=str(sample), output=str(out), preset="master", masks=str(sample.parent / "masks"),
                   settings={"engine": "classical"})
    run_to_end(render(spec))
    assert taken  # the crops came from the encode, not from reading the files again
    report = out.with_name("o.report.json")
    data = read_report(report)
    assert data.interventions
    # the same page as one whose crops are read from the source and the output
    assert html_path_for(report).read_text() == render_report_html(data)
