"""Intervention report: JSON fields, one entry per repaired region, offline HTML."""

from __future__ import annotations

import dataclasses
import json
import re
from fractions import Fraction
from html.parser import HTMLParser

import cv2
import numpy as np
import pytest

from restoration_core.defects import Intervention
from restoration_core.report import Fixity, ReportData, html_path_for, read_report, write_report

H, W = 48, 64
FIELDS = {"frame", "timecode", "bbox", "area", "kind", "method", "source_frames", "seed"}


def damaged_frames(n: int = 6) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Clean frames, the same frames with dark specks, and the specks' masks."""
    rng = np.random.default_rng(1)
    clean, damaged, masks = [], [], []
    for k in range(n):
        img = np.full((H, W, 3), 120 + 10 * k, np.uint8)
        img[:, : W // 2] += 40
        mask = np.zeros((H, W), bool)
        for _ in range(k % 3 + 1):
            x, y = rng.integers(2, W - 10), rng.integers(2, H - 10)
            w, h = rng.integers(2, 7, size=2)
            mask[y:y + h, x:x + w] = True
        bad = img.copy()
        bad[mask] = 10
        clean.append(img)
        damaged.append(bad)
        masks.append(mask)
    return clean, damaged, masks


def interventions_from(masks: list[np.ndarray], first: int = 0) -> list[Intervention]:
    """One intervention per connected region of each mask (what the restore pipeline records)."""
    out = []
    for k, mask in enumerate(masks):
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        for lab in range(1, n):
            x, y, w, h, area = (int(v) for v in stats[lab])
            method = "temporal" if lab % 2 else "diffusion"
            out.append(Intervention(
                frame=first + k, bbox=(x, y, w, h), area=area, kind="dust", method=method,
                source_frames=(first + k - 1, first + k + 1) if method == "temporal" else (),
                seed=None if method == "temporal" else 1234,
            ))
    return out


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "data", "poster") and value is not None:
                self.refs.append(value)


def check_offline(html: str) -> _Parser:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    assert "http://" not in html and "https://" not in html and "//" not in re.sub(r"data:[^\"']+", "", html).replace(
        "<!DOCTYPE", "")
    assert all(ref.startswith("data:image/png;base64,") for ref in parser.refs), parser.refs
    assert "<link" not in html and "<script" not in html
    return parser


def test_report_lists_one_intervention_per_repaired_region(tmp_path):
    clean, damaged, masks = damaged_frames()
    first = 10
    items = interventions_from(masks, first)
    data = ReportData(
        source=Fixity("/nonexistent/scan.mkv", "ab" * 32, ["0" * 32] * 6),
        output=Fixity(str(tmp_path / "out.mkv"), "cd" * 32, ["1" * 32] * 6),
        interventions=items, settings={"engine": "auto", "feather": 4},
        model={"path": "/models/prior", "sha256": "ef" * 32}, clip="Opening", reel="r1",
        frame_range=(first, first + 6), fps=Fraction(24000, 1001), start_timecode="01:00:00:00", preset="master",
    )
    pairs = {first + k: (damaged[k], clean[k]) for k in range(6)}
    path = write_report(tmp_path / "out.report.json", data, frames=pairs)
    doc = json.loads(path.read_text())
    assert doc["source"]["sha256"] == "ab" * 32 and doc["output"]["frame_md5"] == ["1" * 32] * 6
    assert doc["model"] == {"path": "/models/prior", "sha256": "ef" * 32}
    assert doc["program"]["version"] and doc["settings"]["feather"] == 4 and doc["fps"] == "24000/1001"
    assert doc["frame_range"] == [first, first + 6] and doc["clip"] == "Opening" and doc["reel"] == "r1"
    # one entry per connected region per frame, matching the masks exactly
    for k, mask in enumerate(masks):
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        regions = sorted((tuple(int(v) for v in stats[i][:4]), int(stats[i][4])) for i in range(1, n))
        listed = sorted((tuple(e["bbox"]), e["area"]) for e in doc["interventions"] if e["frame"] == first + k)
        assert listed == regions
        assert sum(a for _, a in listed) == int(mask.sum())
    for e in doc["interventions"]:
        assert set(e) == FIELDS
        assert re.fullmatch(r"\d\d:\d\d:\d\d:\d\d", e["timecode"])
        assert (e["seed"] is None) == (e["method"] == "temporal")
        assert (len(e["source_frames"]) == 2) == (e["method"] == "temporal")
    assert doc["interventions"][0]["timecode"] == "01:00:00:10"
    assert doc["summary"]["interventions"] == len(items) and doc["summary"]["frames"] == 6
    # HTML beside it: parses, offline, with the timeline and the before/after crops
    html = html_path_for(path).read_text()
    parser = check_offline(html)
    assert "svg" in parser.tags and parser.tags.count("img") == 2 * 6
    assert "Opening" in html and "ab" * 32 in html
    # the JSON reads back into the same data
    again = read_report(path)
    assert [dataclasses.replace(i, timecode=None) for i in again.interventions] == items
    assert again.interventions[0].timecode == "01:00:00:10" and again.model == data.model


def test_a_report_is_a_dataclass_end_to_end_and_a_dict_is_refused(tmp_path):
    _, _, masks = damaged_frames(3)
    items = interventions_from(masks)
    data = ReportData(
        source=Fixity("/gone/scan.mov"),
        output=Fixity(str(tmp_path / "o.mkv"), "aa" * 32, [f"{k:032x}" for k in range(3)]),
        interventions=items, settings={"engine": "temporal"}, frame_range=(0, 3), preset="master",
        program_version="9.9.9", extra={"frames_computed": 3},
    )
    with pytest.raises(TypeError, match="ReportData"):
        write_report(tmp_path / "d.report.json", data.to_dict())
    assert not (tmp_path / "d.report.json").exists()
    path = write_report(tmp_path / "o.report.json", data)
    doc = json.loads(path.read_text())
    assert doc["program"]["version"] == "9.9.9" and doc["output"]["sha256"] == "aa" * 32
    assert doc["output"]["frame_md5"][2] == f"{2:032x}" and doc["extra"]["frames_computed"] == 3
    assert len(doc["interventions"]) == len(items) and doc["model"] is None
    assert read_report(path).interventions == items
    html = html_path_for(path).read_text()
    check_offline(html)
    assert "unavailable" in html  # the source is gone: no crops, but still a report


def test_report_reads_fixity_and_crops_from_files(tmp_path):
    pytest.importorskip("restoration_core.media.reader")
    clean, damaged, masks = damaged_frames(4)
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    for k in range(4):
        cv2.imwrite(str(src / f"f_{k:04d}.png"), cv2.cvtColor(damaged[k], cv2.COLOR_RGB2BGR))
    for k in range(1, 3):  # the output holds the range 1:3 only
        cv2.imwrite(str(out / f"o_{k - 1:04d}.png"), cv2.cvtColor(clean[k], cv2.COLOR_RGB2BGR))
    items = [i for i in interventions_from(masks) if 1 <= i.frame < 3]
    data = ReportData(source=Fixity(str(src)), output=Fixity(str(out)), interventions=items, frame_range=(1, 3))
    path = write_report(tmp_path / "r.json", data)
    doc = json.loads(path.read_text())
    import hashlib

    assert doc["source"]["frame_md5"] == [hashlib.md5(damaged[k].tobytes()).hexdigest() for k in (1, 2)]
    assert doc["source"]["sha256"] and doc["fps"]
    assert all(e["timecode"] for e in doc["interventions"])
    parser = check_offline(html_path_for(path).read_text())
    from restoration_core.report.html import largest

    assert parser.tags.count("img") == 2 * len(largest(items, 6)) == 2 * 4  # at most two per frame


def test_read_report_rejects_other_json(tmp_path):
    from restoration_core.errors import InputError

    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(InputError, match="not a reelwright"):
        read_report(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_report(tmp_path / "none.json")


def test_cli_report_summary_and_html(tmp_path, capsys):
    from restoration_core.cli import main

    _, _, masks = damaged_frames(3)
    data = ReportData(source=Fixity("/gone.mkv", "ab" * 32), output=Fixity("/gone-out.mkv"),
                      interventions=interventions_from(masks), frame_range=(0, 3), clip="A", fps=Fraction(24))
    path = write_report(tmp_path / "a.report.json", data, complete=False)
    html_path_for(path).unlink()
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "3 frames" in out and "dust" in out
    assert main(["report", str(path), "--html"]) == 0
    check_offline(html_path_for(path).read_text())
    assert main(["report", str(tmp_path / "missing.json")]) == 2


def test_timeline_bins_long_clips():
    from restoration_core.report.html import timeline_svg

    items = [Intervention(f, (0, 0, 2, 2), 4, "dust", "temporal") for f in range(0, 20000, 3)]
    data = ReportData(Fixity("s"), Fixity("o"), interventions=items, frame_range=(0, 20000))
    svg = timeline_svg(data, width=900)
    assert svg.count("<rect") <= 901 and "per 23 frames" in svg
    short = timeline_svg(ReportData(Fixity("s"), Fixity("o"), interventions=items[:3], frame_range=(0, 9)))
    assert short.count("<rect") == 4 and "frame 3: 1 dust" in short
