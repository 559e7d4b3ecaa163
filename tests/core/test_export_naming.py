"""Export naming: tokens, one job per preset, never overwrite unless asked."""

from __future__ import annotations

from fractions import Fraction

import pytest

from restoration_core.errors import InputError, OutputError
from restoration_core.export_naming import (
    ExportItem,
    destination_name,
    job_specs,
    plan_exports,
    resolve_destination,
)

ITEM = ExportItem(source="/scans/reel 1.mkv", reel="Reel 1", clip="Opening: titles", frame_range=(24, 48),
                  fps=Fraction(24), start_timecode="01:00:00:00")


def test_tokens_fill_the_name():
    assert destination_name(ITEM, "master") == "Reel_1_Opening_titles_01-00-01-00_master.mkv"
    name = destination_name(ITEM, "access", "{clip}-{in_tc}-{out_tc}.{preset}.{ext}")
    assert name == "Opening_titles-01-00-01-00-01-00-01-23.access.mp4"
    assert destination_name(ITEM, "png") == "Reel_1_Opening_titles_01-00-01-00_png"  # a sequence folder
    no_tc = ExportItem("/s.mkv", "r", "c", (0, 25), Fraction(25))
    assert destination_name(no_tc, "master", "{in_tc}_{out_tc}") == "00-00-00-00_00-00-00-24.mkv"


def test_bad_patterns_are_refused():
    with pytest.raises(InputError, match="unknown token"):
        destination_name(ITEM, "master", "{reel}_{date}")
    with pytest.raises(InputError, match="plain file name"):
        destination_name(ITEM, "master", "sub/{reel}")


def test_two_presets_make_two_jobs(tmp_path):
    plan = plan_exports([ITEM], ["master", "access"], tmp_path)
    assert [p.preset for p in plan] == ["master", "access"]
    assert [p.output.name for p in plan] == ["Reel_1_Opening_titles_01-00-01-00_master.mkv",
                                             "Reel_1_Opening_titles_01-00-01-00_access.mp4"]
    assert plan[0].report.name == "Reel_1_Opening_titles_01-00-01-00_master.report.json"
    specs = job_specs(plan)
    assert [s.preset for s in specs] == ["master", "access"]
    assert specs[0].frame_range == (24, 48) and specs[0].input == ITEM.source
    assert specs[1].output == str(plan[1].output) and specs[1].report == str(plan[1].report)


def test_never_overwrites_unless_asked(tmp_path):
    existing = tmp_path / destination_name(ITEM, "master")
    existing.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists"):
        plan_exports([ITEM], ["master", "access"], tmp_path)
    with pytest.raises(OutputError, match="already exists"):
        resolve_destination(existing)
    assert existing.read_bytes() == b"precious"
    plan = plan_exports([ITEM], ["master"], tmp_path, overwrite=True)
    assert plan[0].output == existing
    # a pattern that gives two jobs the same name is refused before anything runs
    with pytest.raises(OutputError, match="same file"):
        plan_exports([ITEM], ["master", "access"], tmp_path, "{clip}.out", overwrite=True)
    with pytest.raises(OutputError, match="does not exist"):
        plan_exports([ITEM], ["master"], tmp_path / "missing")
    with pytest.raises(InputError):
        plan_exports([], ["master"], tmp_path)
