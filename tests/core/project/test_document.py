"""Project document: create/load/save, reels, clips, load errors, path escapes, history, events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from restoration_core.defects import Defect
from restoration_core.errors import InputError, OutputError
from restoration_core.project import Project


def make_project(tmp_path: Path) -> tuple[Project, str]:
    project = Project.create(tmp_path / "film.reelwright")
    media = project.folder / "media"
    media.mkdir()
    (media / "reel.mkv").write_bytes(b"not really a film")
    reel = project.add_reel(media / "reel.mkv", info={"width": 8, "height": 6, "frames": 20})
    return project, reel.id


def test_round_trip_keeps_everything(tmp_path):
    project, rid = make_project(tmp_path)
    outside = tmp_path / "elsewhere.mov"
    outside.write_bytes(b"abc")
    other = project.add_reel(outside, info={}, fixity=False)
    clip = project.add_clip(rid, 2, 10, name="Opening", settings={"engine": "temporal"}, notes="gate hair")
    project.update_clip(clip.id, job_state="done")
    mask = np.zeros((6, 8), bool)
    mask[1:3, 2:4] = True
    project.masks.set(rid, 4, "painted", mask)
    project.masks.hold(rid, 5, 8, mask)
    defects = [Defect(4, (0, 0, 2, 2), 4, "dust", "dark", 0.9, id=1)]
    project.set_detection(rid, 4, mask, defects, flicker=(1.05, -0.5))
    project.reject(rid, 4, [1])
    project.record("restore", {"clip_id": clip.id, "frames": [2, 10]})
    project.save()

    doc = json.loads(project.path.read_text())
    assert doc["schema_version"] == 3
    assert doc["reels"][0]["path"] == "media/reel.mkv"  # relative inside the folder
    assert doc["reels"][1]["path"] == str(outside.resolve())  # absolute outside

    loaded = Project.load(project.folder)
    assert [r.id for r in loaded.reels] == [rid, other.id]
    assert loaded.reel(rid).path == (project.folder / "media" / "reel.mkv").resolve()
    assert loaded.reel(rid).sha256 == project.reel(rid).sha256 and len(loaded.reel(rid).sha256) == 64
    assert loaded.reel(other.id).sha256 is None
    assert loaded.clips == [project.clip(clip.id)]
    assert loaded.clip(clip.id).job_state == "done"
    np.testing.assert_array_equal(loaded.masks.get(rid, 4, "painted"), mask)
    assert loaded.masks.frames(rid, "held") == [5, 6, 7]
    assert loaded.defects(rid, 4) == defects
    assert loaded.rejected(rid, 4) == {1}
    assert loaded.flicker(rid) == {4: (1.05, -0.5)}
    assert [(h.op, h.params) for h in loaded.history] == [
        ("restore", {"clip_id": clip.id, "frames": [2, 10]})
    ]
    assert not loaded.dirty


def test_create_refuses_existing_project_and_load_needs_one(tmp_path):
    Project.create(tmp_path / "p")
    with pytest.raises(OutputError, match="already holds"):
        Project.create(tmp_path / "p")
    with pytest.raises(InputError, match="project.json is missing"):
        Project.load(tmp_path)


def test_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    project, rid = make_project(tmp_path)
    project.save()
    before = project.path.read_bytes()
    project.add_clip(rid, 0, 5)

    import restoration_core.atomic as atomic

    real_open = open

    def failing_open(path, mode="r", *a, **k):
        fh = real_open(path, mode, *a, **k)
        if "w" in mode and ".partial-" in str(path):
            fh.write(b"{ half")
            fh.close()
            raise OSError("disk full")
        return fh

    monkeypatch.setattr(atomic, "open", failing_open, raising=False)
    with pytest.raises(OSError, match="disk full"):
        project.save()
    monkeypatch.undo()
    assert project.path.read_bytes() == before
    assert not [p for p in project.folder.iterdir() if ".partial-" in p.name]
    assert project.dirty


def test_corrupt_json_names_the_file_and_leaves_it(tmp_path):
    project, _ = make_project(tmp_path)
    project.path.write_text('{"schema_version": 2, "reels": [')
    before = project.path.read_bytes()
    with pytest.raises(InputError) as err:
        Project.load(project.folder)
    assert str(project.path) in str(err.value) and "bad JSON" in str(err.value)
    assert project.path.read_bytes() == before


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"schema_version": 99, "reels": [], "clips": []}, "newer Reelwright"),
        ({"reels": [], "clips": []}, "no valid schema_version"),
        ([1, 2], "not a Reelwright project"),
        ({"schema_version": 2, "clips": []}, "missing or bad field"),
        ({"schema_version": 2, "reels": [{"id": "r1"}], "clips": []}, "missing field"),
        (
            {
                "schema_version": 2,
                "reels": [],
                "clips": [{"id": "c1", "reel_id": "r9", "in_frame": 0, "out_frame": 3}],
            },
            "unknown reel",
        ),
    ],
)
def test_unusable_documents_give_clear_errors(tmp_path, doc, message):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "project.json").write_text(json.dumps(doc))
    before = (folder / "project.json").read_bytes()
    with pytest.raises(InputError, match=message) as err:
        Project.load(folder / "project.json")
    assert str(folder / "project.json") in str(err.value)
    assert (folder / "project.json").read_bytes() == before


def test_migrates_a_v1_document(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    src = tmp_path / "scan.mov"
    src.write_bytes(b"x")
    v1 = {
        "schema_version": 1,
        "name": "old",
        "reels": [{"id": "r1", "source": str(src), "info": {"frames": 10}, "sha256": "ab"}],
        "clips": [{"id": "c1", "reel": "r1", "name": "Shot", "in": 2, "out": 5}],
    }
    (folder / "project.json").write_text(json.dumps(v1))
    project = Project.load(folder)
    assert project.migrated_from == 1
    clip = project.clip("c1")
    assert (clip.reel_id, clip.in_frame, clip.out_frame, clip.name) == (
        "r1",
        2,
        6,
        "Shot",
    )  # out now exclusive
    assert project.reel("r1").path == src
    assert json.loads((folder / "project.json").read_text())["schema_version"] == 1  # not rewritten on load
    project.save()
    assert json.loads((folder / "project.json").read_text())["schema_version"] == 3


@pytest.mark.parametrize("bad", ["../outside.mov", "media/../../x.mov", "..\\x.mov", "C:/x.mov"])
def test_reel_paths_cannot_escape_the_folder(tmp_path, bad):
    folder = tmp_path / "p"
    folder.mkdir()
    doc = {"schema_version": 2, "reels": [{"id": "r1", "path": bad}], "clips": []}
    (folder / "project.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="escapes the project folder"):
        Project.load(folder)


@pytest.mark.parametrize("bad_id", ["../x", "a/b", "", ".hidden"])
def test_ids_used_in_file_names_are_checked(tmp_path, bad_id):
    folder = tmp_path / "p"
    folder.mkdir()
    doc = {"schema_version": 2, "reels": [{"id": bad_id, "path": "a.mov"}], "clips": []}
    (folder / "project.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="invalid reel id"):
        Project.load(folder)


def test_add_reel_checks_the_source_and_clips_check_ranges(tmp_path):
    project, rid = make_project(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        project.add_reel(tmp_path / "missing.mov", info={})
    with pytest.raises(ValueError, match="empty"):
        project.add_clip(rid, 5, 5)
    with pytest.raises(KeyError):
        project.add_clip("r99", 0, 5)
    with pytest.raises(ValueError, match="JSON"):
        project.record("restore", {"bad": object()})


def test_sequence_fixity_covers_every_frame_file(tmp_path):
    project, _ = make_project(tmp_path)
    seq = tmp_path / "seq"
    seq.mkdir()
    for i in (1, 2, 4):
        (seq / f"f_{i:04d}.png").write_bytes(bytes([i]))
    a = project.add_reel(seq, info={}).sha256
    b = project.add_reel(seq / "f_%04d.png", info={}).sha256
    assert a == b
    (seq / "f_0002.png").write_bytes(b"changed")
    assert project.add_reel(seq, info={}).sha256 != a


def test_events_and_dirty_state(tmp_path):
    project, rid = make_project(tmp_path)
    project.save()
    seen = []
    project.events.masks_changed.connect(lambda r, f, layer: seen.append(("mask", r, f, layer)))
    project.events.held_changed.connect(lambda r, a, b: seen.append(("held", r, a, b)))
    project.events.clips_changed.connect(lambda: seen.append(("clips",)))
    project.events.defects_changed.connect(lambda r, f: seen.append(("defects", r, f)))
    project.events.dirty_changed.connect(lambda d: seen.append(("dirty", d)))
    project.masks.set(rid, 3, "painted", np.ones((6, 8), bool))
    project.masks.hold(rid, 0, 4, np.ones((6, 8), bool))
    project.add_clip(rid, 0, 4)
    project.reject(rid, 3)
    project.save()
    assert seen == [
        ("dirty", True),
        ("mask", rid, 3, "painted"),
        ("held", rid, 0, 4),
        ("clips",),
        ("defects", rid, 3),
        ("dirty", False),
    ]


def test_remove_reel_drops_its_clips_and_masks(tmp_path):
    project, rid = make_project(tmp_path)
    project.add_clip(rid, 0, 4)
    project.masks.set(rid, 1, "painted", np.ones((6, 8), bool))
    project.save()
    assert (project.folder / "masks" / rid / "painted" / "000001.png").is_file()
    project.remove_reel(rid)
    project.save()
    assert project.clips == [] and project.reels == []
    assert not (project.folder / "masks" / rid / "painted" / "000001.png").exists()


def test_add_reel_records_the_media_probe(tmp_path, monkeypatch):
    import restoration_core.project.document as document

    class Info:
        def to_dict(self):
            return {"frames": 48, "fps": "24000/1001"}

    seen = []
    monkeypatch.setattr(document, "probe", lambda path: seen.append(path) or Info())
    project, _ = make_project(tmp_path)
    src = tmp_path / "scan.mkv"
    src.write_bytes(b"x")
    reel = project.add_reel(src)
    assert reel.info == {"frames": 48, "fps": "24000/1001"} and seen == [src.resolve()]


def test_relink_a_moved_reel(tmp_path):
    project, rid = make_project(tmp_path)
    old = project.reel(rid).path
    moved = tmp_path / "moved.mkv"
    old.rename(moved)
    assert [r.id for r in project.missing_reels()] == [rid]
    impostor = tmp_path / "other.mkv"
    impostor.write_bytes(b"different bytes")
    with pytest.raises(InputError, match="SHA-256 differs"):
        project.relink_reel(rid, impostor)
    assert project.relink_reel(rid, moved).path == moved.resolve()
    assert project.missing_reels() == []


def test_save_as_continues_in_the_new_folder(tmp_path):
    project, rid = make_project(tmp_path)
    project.masks.set(rid, 1, "painted", np.ones((6, 8), bool))
    project.save()
    project.masks.set(rid, 2, "painted", np.ones((6, 8), bool))  # unsaved edit
    project.autosave()
    old_folder = project.folder
    project.save_as(tmp_path / "copy.reelwright")
    assert project.folder == (tmp_path / "copy.reelwright").resolve() and not project.dirty
    copy = Project.load(tmp_path / "copy.reelwright")
    assert copy.masks.frames(rid, "painted") == [1, 2]
    assert copy.reel(rid).path == old_folder / "media" / "reel.mkv"  # the media did not move
    assert Project.load(old_folder).masks.frames(rid, "painted") == [1]
    assert not Project.has_recovery(old_folder)
    with pytest.raises(OutputError, match="refusing to overwrite"):
        project.save_as(old_folder)


def test_ids_are_never_reused_and_clips_stay_inside_the_reel(tmp_path):
    project, rid = make_project(tmp_path)  # the reel has 20 frames
    with pytest.raises(ValueError, match="past the end"):
        project.add_clip(rid, 0, 21)
    clip = project.add_clip(rid, 0, 20)
    with pytest.raises(ValueError, match="past the end"):
        project.update_clip(clip.id, out_frame=25)
    path = project.reel(rid).path
    project.remove_reel(rid)
    project.save()
    loaded = Project.load(project.folder)
    again = loaded.add_reel(path, info={})
    assert again.id != rid
    assert loaded.add_clip(again.id, 0, 3).id != clip.id


def test_duplicate_ids_are_refused(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    reel = {"id": "r1", "path": "a.mov"}
    (folder / "project.json").write_text(
        json.dumps({"schema_version": 2, "reels": [reel, reel], "clips": []})
    )
    with pytest.raises(InputError, match="two reels share an id"):
        Project.load(folder)
