"""The report of a real restore: one intervention per repaired region, matching the masks."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration_core.report import Fixity, ReportData, html_path_for, write_report

restore = pytest.importorskip("restoration_core.restore")
media = pytest.importorskip("restoration_core.media")


def test_report_of_restore_frames_matches_the_masks(tmp_path):
    h, w, n = 48, 64, 6
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([(xx * 3) % 256, (yy * 5) % 256, np.full_like(xx, 90)], -1).astype(np.uint8)
    masks = []
    src = tmp_path / "scan"
    src.mkdir()
    for k in range(n):
        mask = np.zeros((h, w), bool)
        mask[5 + k * 4:9 + k * 4, 10 + k * 6:13 + k * 6] = True  # a speck that moves: neighbours are clean
        if k % 2:
            mask[30:34, 40:47] = True  # a second one every other frame
        pic = base.copy()
        pic[mask] = 255
        cv2.imwrite(str(src / f"s_{k:04d}.png"), cv2.cvtColor(pic, cv2.COLOR_RGB2BGR))
        masks.append(mask)
    settings = restore.RestoreSettings(engine="auto", grain=False)
    items, out = [], tmp_path / "restored"
    with media.open_reel(src) as reel:
        writer = media.open_writer(out, "png", reel.info, frame_range=(1, 5))
        for p in restore.restore_frames(reel, (1, 5), lambda i: masks[i], settings):
            if p.payload is not None:
                writer.write(p.payload.data)
                items.extend(p.payload.interventions)
        result = writer.commit()
    data = ReportData(source=Fixity(str(src)), output=Fixity(str(out), result.sha256, result.frame_md5),
                      interventions=items, frame_range=(1, 5), settings={"engine": "auto"}, clip="c1", reel="r1")
    path = write_report(tmp_path / "restored.report.json", data)
    doc = json.loads(path.read_text())
    for k in range(1, 5):
        count, _, stats, _ = cv2.connectedComponentsWithStats(masks[k].astype(np.uint8), connectivity=8)
        regions = [tuple(int(v) for v in stats[i]) for i in range(1, count)]
        listed = [e for e in doc["interventions"] if e["frame"] == k]
        assert len(listed) == len(regions)  # one intervention per repaired region
        for x, y, w, h, area in regions:  # each region lies inside exactly one listed box (which may be grown)
            inside = [e for e in listed if e["bbox"][0] <= x and e["bbox"][1] <= y
                      and x + w <= e["bbox"][0] + e["bbox"][2] and y + h <= e["bbox"][1] + e["bbox"][3]]
            assert len(inside) == 1 and inside[0]["area"] >= area
        for e in listed:
            assert set(e) == {"frame", "timecode", "bbox", "area", "kind", "method", "source_frames", "seed"}
            assert e["kind"] in ("dust", "dirt", "scratch", "blotch", "painted")
            assert e["method"] in ("temporal", "diffusion", "classical") and e["timecode"]
            if e["method"] == "temporal":
                assert e["source_frames"] and k not in e["source_frames"] and e["seed"] is None
    assert any(e["method"] == "temporal" for e in doc["interventions"])
    assert len(doc["source"]["frame_md5"]) == len(doc["output"]["frame_md5"]) == 4
    html = html_path_for(path).read_text()
    assert html.count("<img") >= 2 and "http" not in html
