"""Menus, toolbar and keyboard shortcuts of the main window."""

from __future__ import annotations

import importlib.util

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QToolBar

from app import project_io, settings


def build_menus(w) -> None:
    mb = w.menuBar()
    a = w._action
    t = w.transport
    file = mb.addMenu("&File")
    w.act_open = a("Open reel…", w.open_reel_dialog, "Ctrl+O", "mdi6.filmstrip", file)
    a("Open image-sequence folder…", w.open_sequence_dialog, "Ctrl+Shift+O", "mdi6.folder-multiple-image", file)
    a("Open project…", w.open_project_dialog, "Ctrl+Alt+O", "mdi6.folder-open-outline", file)
    a("Open sample reel", w.open_sample, None, "mdi6.movie-open-star-outline", file)
    w.recent_menu = file.addMenu("Open recent")
    w.recent_menu.aboutToShow.connect(lambda: _fill_recent(w))
    file.addSeparator()
    w.act_save = a("Save project", lambda: project_io.save_in_background(w), "Ctrl+S", "mdi6.content-save-outline", file)
    a("Save project as…", lambda: project_io.save_as(w), "Ctrl+Shift+S", None, file)
    if importlib.util.find_spec("app.export_dialog") is not None:
        file.addSeparator()
        a("Export…", lambda: _open_export(w), "Ctrl+E", "mdi6.export", file)
    file.addSeparator()
    a("Quit", w.close, "Ctrl+Q", None, file)

    edit = mb.addMenu("&Edit")
    w.undo_stack_actions(edit)

    view = mb.addMenu("&View")
    c = w.compare
    a("Single", lambda: setattr(c, "mode", "single"), "1", "mdi6.image-outline", view)
    a("Wipe", lambda: setattr(c, "mode", "wipe"), "2", "mdi6.compare-horizontal", view)
    a("Side by side", lambda: setattr(c, "mode", "side"), "3", "mdi6.view-split-vertical", view)
    a("Difference", lambda: setattr(c, "mode", "diff"), "4", "mdi6.select-compare", view)
    a("Toggle before/after", c.toggle, "\\", "mdi6.swap-horizontal", view)
    a("Wipe direction", lambda: setattr(c, "wipe_vertical", not c.wipe_vertical), "Shift+\\", None, view)
    view.addSeparator()
    o = w.overlay
    for text, field, key in (("Detected damage", "detected", "Shift+D"), ("Painted masks", "painted", "Shift+M"),
                             ("Defect boxes", "boxes", "Shift+B"), ("Frame/timecode HUD", "hud", "Shift+H")):
        act = a(text, lambda on, f=field: setattr(o, f, on), key, None, view, checkable=True)
        act.setChecked(getattr(o, field))
        getattr(o.events, field).connect(lambda on, *, x=act: x.setChecked(on))  # in step with the model
    view.addSeparator()
    a("Fit", w.viewer.canvas.fit, "F", "mdi6.fit-to-screen-outline", view)
    a("Actual pixels (1:1)", w.viewer.canvas.one_to_one, "Ctrl+1", "mdi6.numeric-1-box-outline", view)
    a("Zoom in", lambda: _zoom(w, 1.25), "Ctrl+=", "mdi6.magnify-plus-outline", view)
    a("Zoom out", lambda: _zoom(w, 0.8), "Ctrl+-", "mdi6.magnify-minus-outline", view)
    view.addSeparator()
    panels = view.addMenu("Panels")
    for dock in w.docks.values():
        panels.addAction(dock.toggleViewAction())
    a("Reset layout", w.reset_layout, None, None, view)

    play = mb.addMenu("&Playback")
    w.act_play = a("Play / pause", t.play_pause, "Space", "mdi6.play-pause", play)
    a("Shuttle reverse (J)", lambda: t.shuttle(-1), "J", "mdi6.rewind", play)
    a("Stop (K)", lambda: t.shuttle(0), "K", "mdi6.stop", play)
    a("Shuttle forward (L)", lambda: t.shuttle(1), "L", "mdi6.fast-forward", play)
    a("Previous frame", lambda: t.step(-1), "Left", "mdi6.skip-previous", play)
    a("Next frame", lambda: t.step(1), "Right", "mdi6.skip-next", play)
    a("Previous defect", lambda: w.goto_defect(-1), "Up", "mdi6.chevron-double-up", play)
    a("Next defect", lambda: w.goto_defect(1), "Down", "mdi6.chevron-double-down", play)
    a("First frame", lambda: t.seek(0), "Home", None, play)
    a("Last frame", lambda: t.seek(t.frames - 1), "End", None, play)
    play.addSeparator()
    a("Set in", t.set_in, "I", "mdi6.contain-start", play)
    a("Set out", t.set_out, "O", "mdi6.contain-end", play)

    tools = mb.addMenu("&Tools")
    p = w.paint
    w.tool_actions = {}
    for text, tool, key, ic in (("Hand (pan)", "none", "H", "mdi6.hand-back-right-outline"),
                                ("Brush", "brush", "B", "mdi6.brush"),
                                ("Eraser", "eraser", "E", "mdi6.eraser"),
                                ("Rectangle", "rect", "R", "mdi6.rectangle-outline"),
                                ("Lasso", "lasso", "A", "mdi6.lasso")):
        act = a(text, lambda _=False, tl=tool: setattr(p, "tool", tl), key, ic, tools, checkable=True)
        act.setChecked(p.tool == tool)
        w.tool_actions[tool] = act
    p.events.tool.connect(lambda tl: [x.setChecked(k == tl) for k, x in w.tool_actions.items()])
    tools.addSeparator()
    a("Bigger brush", p.grow, "]", None, tools)
    a("Smaller brush", p.shrink, "[", None, tools)
    tools.addSeparator()
    w.act_hold = a("Hold mask over in/out range", w.hold_over_range, "Ctrl+H", "mdi6.arrow-expand-horizontal", tools)
    w.act_track = a("Track mask along motion…", w.track_mask, "Ctrl+T", "mdi6.motion-outline", tools)
    a("Clear painted mask of this frame", w.clear_painted, "Ctrl+Backspace", "mdi6.close-box-outline", tools)

    review = mb.addMenu("&Review")
    a("Reject all detections in this frame", lambda: w.set_frame_rejected(True), "Ctrl+R", "mdi6.close-circle-outline", review)
    a("Accept all detections in this frame", lambda: w.set_frame_rejected(False), "Ctrl+Shift+R",
      "mdi6.check-circle-outline", review)
    a("Detect whole reel", w.detect_reel, "Ctrl+D", "mdi6.radar", review)
    a("Cancel reel detection", lambda: w.reel_detection.cancel(), None, "mdi6.radar-off", review)

    restore = mb.addMenu("&Restore")
    w.act_preview = a("Preview this frame", w.preview_frame, "P", "mdi6.auto-fix", restore)
    a("Cancel preview", w.controller.cancel_preview, "Esc", "mdi6.cancel", restore)
    w.act_queue = a("Queue clip (in/out)", w.queue_clip, "Ctrl+Return", "mdi6.playlist-plus", restore)

    bar = QToolBar("Main", w)
    bar.setObjectName("toolbar_main")
    bar.setIconSize(QSize(18, 18))
    for act in (w.act_open, w.act_save):
        bar.addAction(act)
    bar.addSeparator()
    for tool in ("none", "brush", "eraser", "rect", "lasso"):
        bar.addAction(w.tool_actions[tool])
    bar.addSeparator()
    for act in (w.act_hold, w.act_track, w.act_preview, w.act_queue):
        bar.addAction(act)
    w.addToolBar(bar)


def _zoom(w, factor: float) -> None:
    cv = w.viewer.canvas
    cv.zoom_at(factor, cv.rect().center().toPointF())


def _fill_recent(w) -> None:
    menu = w.recent_menu
    menu.clear()
    items = settings.recent_files()
    menu.setToolTipsVisible(True)
    for path in items:
        act = menu.addAction(settings.recent_name(path), lambda p=path: w.open_path(p))
        act.setToolTip(path)
    if items:
        menu.addSeparator()
        menu.addAction("Clear list", settings.clear_recent)
    else:
        menu.addAction("(none)").setEnabled(False)


def _open_export(w) -> None:
    from app import export_dialog

    opener = getattr(export_dialog, "open_export_dialog", None) or export_dialog.ExportDialog
    result = opener(w) if opener is not getattr(export_dialog, "ExportDialog", None) else opener(w)
    if hasattr(result, "exec"):
        result.exec()
