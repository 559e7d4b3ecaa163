"""The inspector's whole-frame steps (stabilize, tears) reach the job settings only when on."""

from __future__ import annotations


def test_stabilize_and_tears_go_into_the_clip_settings_when_checked(window):
    inspector = window.inspector
    restore = inspector.settings_dict()["restore"]
    assert "stabilize" not in restore and "repair_tears" not in restore
    inspector.stabilize.setChecked(True)
    inspector.stabilize_smooth.setValue(36)
    inspector.repair_tears.setChecked(True)
    restore = inspector.settings_dict()["restore"]
    assert restore["stabilize"] is True and restore["stabilize_smooth"] == 36 and restore["repair_tears"] is True
    settings = inspector.restore_settings()
    assert settings.stabilize and settings.stabilize_smooth == 36 and settings.repair_tears


def test_rebuild_this_frame_adds_the_viewer_frame(window, monkeypatch):
    from app.inspector import format_frames

    assert format_frames([3, 12, 40, 41, 42]) == "3,12,40:43"
    inspector = window.inspector
    inspector.rebuild.setText("12,40:42")
    monkeypatch.setattr(window.viewer, "index", 42)
    inspector.rebuild_this_frame()
    assert inspector.rebuild.text() == "12,40:43"
    assert inspector.settings_dict()["restore"]["rebuild"] == [12, 40, 41, 42]
    inspector.rebuild.setText("12,x")
    assert "rebuild" not in inspector.settings_dict()["restore"]
