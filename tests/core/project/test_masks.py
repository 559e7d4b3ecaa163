"""Mask layers: PNG storage, lazy loading with a bounded cache, held ranges, repair_mask with rejections."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration_core.defects import Defect
from restoration_core.errors import InputError, OutputError
from restoration_core.project import Project

SHAPE = (24, 32)


def box(y, x, h=3, w=3):
    m = np.zeros(SHAPE, bool)
    m[y : y + h, x : x + w] = True
    return m


def test_masks_are_png_files_loaded_lazily(project):
    masks = {f: box(f, f) for f in range(10)}
    for f, m in masks.items():
        project.masks.set("r1", f, "detected", m)
    assert not (project.folder / "masks").exists()  # nothing on disk before save
    project.save()
    files = sorted((project.folder / "masks" / "r1" / "detected").iterdir())
    assert [p.name for p in files] == [f"{f:06d}.png" for f in range(10)]
    on_disk = cv2.imread(str(files[3]), cv2.IMREAD_UNCHANGED)
    assert on_disk.dtype == np.uint8 and set(np.unique(on_disk)) == {0, 255}
    np.testing.assert_array_equal(on_disk == 255, masks[3])

    loaded = Project.load(project.folder)
    loaded.masks.cache_bytes = 3 * masks[0].nbytes
    assert loaded.masks.cached_count == 0  # nothing decoded at load
    assert loaded.masks.frames("r1", "detected") == list(range(10))
    for f, m in masks.items():
        np.testing.assert_array_equal(loaded.masks.get("r1", f, "detected"), m)
        assert loaded.masks.cached_count <= 3
    assert loaded.masks.get("r1", 50, "detected") is None
    assert loaded.masks.get("r1", 0, "painted") is None


def test_clearing_a_mask_deletes_its_file_on_save(project):
    project.masks.set("r1", 2, "painted", box(1, 1))
    project.save()
    path = project.folder / "masks" / "r1" / "painted" / "000002.png"
    assert path.is_file()
    project.masks.set("r1", 2, "painted", np.zeros(SHAPE, bool))
    assert project.masks.get("r1", 2, "painted") is None and path.is_file()
    project.save()
    assert not path.exists() and project.masks.frames("r1", "painted") == []


def test_returned_masks_are_read_only(project):
    project.masks.set("r1", 0, "painted", box(0, 0))
    with pytest.raises(ValueError):
        project.masks.get("r1", 0, "painted")[0, 0] = False


def test_bad_layers_frames_and_ids_are_refused(project):
    with pytest.raises(ValueError, match="unknown mask layer"):
        project.masks.set("r1", 0, "scribbles", box(0, 0))
    with pytest.raises(ValueError, match="hold"):
        project.masks.set("r1", 0, "held", box(0, 0))
    with pytest.raises(ValueError, match=">= 0"):
        project.masks.set("r1", -1, "painted", box(0, 0))
    with pytest.raises(InputError, match="invalid reel id"):
        project.masks.set("../../etc", 0, "painted", box(0, 0))
    with pytest.raises(KeyError, match="no reel 'r9'"):
        project.masks.set("r9", 0, "painted", box(0, 0))
    with pytest.raises(KeyError, match="no reel 'r9'"):
        project.masks.hold("r9", 0, 3, box(0, 0))


def test_held_mask_is_stored_once_and_applies_to_every_frame_of_its_range(project):
    hair = box(5, 5, 10, 1)
    hold_id = project.masks.hold("r1", 10, 20, hair)
    project.save()
    files = list((project.folder / "masks" / "r1" / "held").iterdir())
    assert [p.name for p in files] == [f"{hold_id}.png"]
    loaded = Project.load(project.folder)
    for f in range(10, 20):
        np.testing.assert_array_equal(loaded.masks.get("r1", f, "held"), hair)
        np.testing.assert_array_equal(loaded.repair_mask("r1", f, SHAPE), hair)
    assert loaded.masks.get("r1", 9, "held") is None and loaded.masks.get("r1", 20, "held") is None
    assert loaded.repair_mask("r1", 20, SHAPE) is None
    loaded.masks.unhold("r1", hold_id)
    loaded.save()
    assert list((loaded.folder / "masks" / "r1" / "held").iterdir()) == []


def test_repair_mask_is_painted_held_and_accepted_detections(project):
    dust, hair, painted = box(2, 2), box(2, 20), box(15, 10)
    detected = dust | hair
    defects = [
        Defect(7, (2, 2, 3, 3), 9, "dust", "dark", 0.9, id=1),
        Defect(7, (20, 2, 3, 3), 9, "dirt", "bright", 0.4, id=2),
    ]
    project.set_detection("r1", 7, detected, defects)
    project.masks.set("r1", 7, "painted", painted)
    held = box(20, 0, 2, 2)
    project.masks.hold("r1", 0, 100, held)
    np.testing.assert_array_equal(project.repair_mask("r1", 7, SHAPE), detected | painted | held)

    project.reject("r1", 7, [2])  # a false detection: kept out of the repair
    np.testing.assert_array_equal(project.repair_mask("r1", 7, SHAPE), dust | painted | held)
    project.save()
    loaded = Project.load(project.folder)  # and remembered
    np.testing.assert_array_equal(loaded.repair_mask("r1", 7, SHAPE), dust | painted | held)
    loaded.accept("r1", 7, [2])
    np.testing.assert_array_equal(loaded.repair_mask("r1", 7, SHAPE), detected | painted | held)
    loaded.reject("r1", 7)  # the whole frame
    np.testing.assert_array_equal(loaded.repair_mask("r1", 7, SHAPE), painted | held)


def test_rejected_overlapping_an_accepted_defect_keeps_the_accepted_pixels(project):
    detected = box(2, 2, 4, 8)
    defects = [
        Defect(0, (2, 2, 5, 4), 20, "dust", "dark", 0.9, id=1),
        Defect(0, (6, 2, 4, 4), 16, "dust", "dark", 0.9, id=2),
    ]
    project.set_detection("r1", 0, detected, defects)
    project.reject("r1", 0, [1])
    expected = detected.copy()
    expected[2:6, 2:6] = False  # rejected bbox minus the accepted one (x 6..9)
    np.testing.assert_array_equal(project.repair_mask("r1", 0, SHAPE), expected)


def test_repair_mask_checks_the_frame_size(project):
    project.masks.set("r1", 0, "painted", box(1, 1))
    with pytest.raises(InputError, match="32x24, the frames are 64x48"):
        project.repair_mask("r1", 0, (48, 64))


def test_masks_are_never_written_through_a_link_out_of_the_project(project, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (project.folder / "masks" / "r1").mkdir(parents=True)
    (project.folder / "masks" / "r1" / "painted").symlink_to(outside)
    project.masks.set("r1", 0, "painted", box(0, 0))
    with pytest.raises(OutputError, match="outside the project"):
        project.save()
    assert list(outside.iterdir()) == []
