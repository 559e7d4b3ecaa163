"""The hostile-input corpus: every command against inputs an attacker or a tired archivist gives.

Each case asserts its exit code, one clear error line naming the file (or option), nothing
written outside its declared outputs, no source or earlier output changed (checksums of the
whole shared folder before and after), and no leftovers. See ``conftest.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.core.hostile.conftest import Case, run_case

M = ["--preset", "master"]


def _symlink(name: str, to: str):
    def setup(world: Path, out: Path) -> None:
        (out / name).symlink_to(world / to)
    return setup


def _hardlink(name: str, to: str):
    def setup(world: Path, out: Path) -> None:
        os.link(world / to, out / name)
    return setup


def _mkdir(*names: str, foreign: str | None = None, mode: int | None = None):
    def setup(world: Path, out: Path) -> None:
        for n in names:
            (out / n).mkdir(parents=True, exist_ok=True)
            if foreign:
                (out / n / foreign).write_text("the archivist's own file")
            if mode is not None:
                (out / n).chmod(mode)
    return setup


def _file(name: str, mode: int | None = None, text: str = "earlier"):
    def setup(world: Path, out: Path) -> None:
        (out / name).write_text(text)
        if mode is not None:
            (out / name).chmod(mode)
    return setup


def _stale(*names: str):
    """Leftovers of a killed run (a process id that no longer exists) beside the outputs."""
    def setup(world: Path, out: Path) -> None:
        for n in names:
            p = out / n
            p.parent.mkdir(parents=True, exist_ok=True)
            if n.endswith("/"):
                p.mkdir()
                (p / "000000.png").write_bytes(b"half")
            else:
                p.write_bytes(b"half-written")
    return setup


DEAD = 4_000_000  # above any Linux pid_max: never a live process

# ---- 1. the output is an input: directly, by a relative path, a symlink, a hard link ----------
OUTPUT_SLOTS = {
    "export": lambda x: ["export", "reel.mkv", "-o", x, *M],
    "restore": lambda x: ["restore", "reel.mkv", "-o", x],
    "restore-report": lambda x: ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--report", x],
    "detect-report": lambda x: ["detect", "reel.mkv", "--masks-out", "{o}/m", "--report", x],
    "detect-masks": lambda x: ["detect", "reel.mkv", "--masks-out", x],
    "report-html": lambda x: ["report", "done.report.json", "--html", x],
    "train-prior": lambda x: ["train-prior", "reel.mkv", "-o", x, "--size", "16", "--steps", "1"],
}
SAME_AS_INPUT = {
    "plain": ("reel.mkv", None, "reel.mkv"),
    "dot": ("./reel.mkv", None, "reel.mkv"),
    "updown": ("out/../reel.mkv", None, "reel.mkv"),
    "doubleslash": ("seq//../reel.mkv", None, "reel.mkv"),
    "symlink": ("{o}/link.mkv", _symlink("link.mkv", "reel.mkv"), "link.mkv"),
    "hardlink": ("{o}/hard.mkv", _hardlink("hard.mkv", "reel.mkv"), "hard.mkv"),
}
CASES: list[Case] = []
for cmd, argv in OUTPUT_SLOTS.items():
    for how, (path, setup, name) in SAME_AS_INPUT.items():
        if cmd == "report-html":  # the report's own source and output are its inputs
            path = path.replace("reel.mkv", "done.mkv")
            name = name.replace("reel.mkv", "done.mkv")
            setup = {"symlink": _symlink("link.mkv", "done.mkv"), "hardlink": _hardlink("hard.mkv", "done.mkv")}.get(
                how, setup)
        CASES.append(Case(f"same-{cmd}-{how}", argv(path), 2, name, setup=setup))
CASES += [
    Case("same-absolute", ["export", "reel.mkv", "-o", "ABS/reel.mkv", *M], 2, "reel.mkv"),
    Case("same-report-is-report", ["report", "done.report.json", "--html", "done.report.json"], 2, "done.report.json"),
    Case("same-report-is-json", ["report", "done.report.json", "--html", "./done.report.json"], 2, "done.report.json"),
    Case("same-sample-over-reel", ["sample", "reel.mkv", "--frames", "2", "--size", "32x24"], 2, "reel.mkv"),
    Case("same-gui-screenshot", ["gui", "reel.mkv", "--screenshot", "reel.mkv"], 2, "reel.mkv"),
    Case("same-masks-symlinked-dir", ["detect", "seq", "--masks-out", "{o}/m"], 2, "m",
         setup=lambda w, o: (o / "m").symlink_to(w / "seq")),
]

# ---- 2. outputs inside an input sequence folder (or the folder itself) -----------------------
SEQ_INPUTS = {"folder": "seq", "file": "seq/frame_000001.png", "pattern": "seq/frame_%06d.png"}
SEQ_OUTPUTS = {
    "export": lambda i: ["export", i, "-o", "seq/x.mkv", *M],
    "export-png": lambda i: ["export", i, "-o", "seq", "--preset", "png"],
    "restore": lambda i: ["restore", i, "-o", "seq/x.mkv"],
    "restore-report": lambda i: ["restore", i, "-o", "{o}/x.mkv", "--report", "seq/r.json"],
    "detect-masks": lambda i: ["detect", i, "--masks-out", "seq"],
    "detect-report": lambda i: ["detect", i, "--masks-out", "{o}/m", "--report", "seq/r.json"],
    "onto-frame": lambda i: ["export", i, "-o", "seq/frame_000000.png", *M],
}
for form, inp in SEQ_INPUTS.items():
    for cmd, argv in SEQ_OUTPUTS.items():
        CASES.append(Case(f"inseq-{cmd}-{form}", argv(inp), 2, "seq"))
CASES += [
    Case("inseq-masks-named-like-frames", ["detect", "frames", "--masks-out", "frames"], 2, "frames"),
    Case("inseq-masks-subfolder", ["detect", "frames", "--masks-out", "frames/masks"], 2, "frames"),
    Case("inseq-output-holds-input", ["export", "seq", "-o", ".", "--preset", "png"], 2),
    Case("inseq-masks-out-holds-input", ["detect", "reel.mkv", "--masks-out", "."], 2, "reel"),
]

# ---- 3. outputs of one command colliding with each other or with earlier fixity --------------
CASES += [
    Case("collide-report-is-output", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--report", "{o}/x.mkv"], 2, "x.mkv"),
    Case("collide-report-is-sha", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--report", "{o}/x.mkv.sha256"], 2,
         "x.mkv.sha256"),
    Case("collide-report-is-md5", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--report", "{o}/x.mkv.framemd5"], 2,
         "x.mkv.framemd5"),
    Case("collide-report-html-is-output", ["restore", "reel.mkv", "-o", "{o}/x.html", "--report", "{o}/x.json"], 2,
         "x.html"),
    Case("collide-masks-is-report", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--report", "{o}/m"], 2, "m"),
    Case("collide-export-onto-sha", ["export", "reel.mkv", "-o", "done.mkv.sha256", *M], 2, "done.mkv"),
    Case("collide-export-onto-md5", ["export", "reel.mkv", "-o", "done.mkv.framemd5", *M], 2, "done.mkv"),
    Case("collide-report-onto-sha", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--report", "done.mkv.sha256"], 2,
         "done.mkv"),
    Case("collide-html-onto-md5", ["report", "done.report.json", "--html", "done.mkv.framemd5"], 2, "done.mkv"),
    Case("collide-md5-is-folder", ["export", "reel.mkv", "-o", "{o}/x.mkv", *M], 2, "x.mkv.framemd5",
         setup=_mkdir("x.mkv.framemd5")),
    Case("collide-sha-is-folder", ["restore", "reel.mkv", "-o", "{o}/x.mkv"], 2, "x.mkv.sha256",
         setup=_mkdir("x.mkv.sha256")),
    Case("collide-html-is-folder", ["restore", "reel.mkv", "-o", "{o}/x.mkv"], 2, "x.report.html",
         setup=_mkdir("x.report.html")),
    Case("collide-report-is-folder", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--report", "{o}/r"], 2, "r",
         setup=_mkdir("r")),
    Case("collide-seq-sha-is-folder", ["export", "reel.mkv", "-o", "{o}/s", "--preset", "png"], 2, "s.sha256",
         setup=_mkdir("s.sha256")),
]

# ---- 4. devices, FIFOs, sockets as outputs ----------------------------------------------------
SPECIALS = {"chardev": "null", "fifo": "fifo", "socket": "sock", "devnull": "/dev/null"}
SPECIAL_SLOTS = {
    "export": lambda x: ["export", "reel.mkv", "-o", x, *M],
    "restore": lambda x: ["restore", "reel.mkv", "-o", x],
    "restore-report": lambda x: ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--report", x],
    "detect-report": lambda x: ["detect", "reel.mkv", "--masks-out", "{o}/m", "--report", x],
    "detect-masks": lambda x: ["detect", "reel.mkv", "--masks-out", x],
    "report-html": lambda x: ["report", "done.report.json", "--html", x],
}
for kind, path in SPECIALS.items():
    for cmd, argv in SPECIAL_SLOTS.items():
        CASES.append(Case(f"device-{cmd}-{kind}", argv(path), 2, path))

# ---- 5. hostile inputs: devices, empty, garbage, truncated, tiny, broken sequences -----------
BAD_INPUTS = {
    "fifo": ("fifo.mkv", "FIFO"), "chardev": ("null", "device"), "socket": ("sock", "socket"),
    "empty": ("empty.mkv", "empty"), "garbage": ("garbage.mkv", "garbage.mkv"), "text": ("text.mkv", "text.mkv"),
    "junkpng": ("badpng/junk.png", "not a PNG"), "hugepng": ("badpng/huge.png", "huge.png"), "trunc": ("trunc.mkv", "truncated"),
    "missing": ("nowhere.mkv", "nowhere.mkv"), "notmedia": ("notes.txt", "notes.txt"),
    "emptyseq": ("emptyseq", "emptyseq"), "seqbad": ("seqbad", "f_0003.png"), "seqsize": ("seqsize", "f_0001.png"),
    "pattern-none": ("seq/none_%04d.png", "none_"), "dir-noseq": ("jobs", "jobs"),
}
INPUT_SLOTS = {
    "probe": lambda i: ["probe", i],
    "export": lambda i: ["export", i, "-o", "{o}/x.mkv", *M],
    "detect": lambda i: ["detect", i, "--masks-out", "{o}/m"],
    "restore": lambda i: ["restore", i, "-o", "{o}/x.mkv"],
}
for kind, (path, word) in BAD_INPUTS.items():
    for cmd, argv in INPUT_SLOTS.items():
        CASES.append(Case(f"input-{cmd}-{kind}", argv(path), 2, word))
CASES += [Case(f"input-{cmd}-tiny", argv("tiny.mkv"), 2, "tiny.mkv") for cmd, argv in INPUT_SLOTS.items()
          if cmd in ("detect", "restore")]
CASES += [Case(f"input-{cmd}-8x8", argv("small8.mkv"), 2, "16x16") for cmd, argv in INPUT_SLOTS.items()
          if cmd in ("detect", "restore")]
CASES += [
    Case("input-probe-tiny-ok", ["probe", "tiny.mkv"], 0),
    Case("input-export-tiny", ["export", "tiny.mkv", "-o", "{o}/x.mkv", *M], 2, "x.mkv"),  # FFV1 cannot code 1x1
    Case("input-train-prior-fifo", ["train-prior", "fifo.mkv", "-o", "{o}/p"], 2, "FIFO"),
    Case("input-train-prior-trunc", ["train-prior", "trunc.mkv", "-o", "{o}/p", "--size", "16"], 2, "trunc.mkv"),
    Case("input-gui-text", ["gui", "text.mkv", "--screenshot", "{o}/s.png"], 2, "text.mkv"),
    Case("input-gui-newer-project", ["gui", "newer.reelwright", "--screenshot", "{o}/s.png"], 2, "newer"),
    Case("input-gui-fifo", ["gui", "fifo.mkv", "--screenshot", "{o}/s.png"], 2, "FIFO"),
    Case("input-otio-newer-project", ["otio", "export", "newer.reelwright", "-o", "{o}/x.otio"], 2, "newer"),
    Case("input-otio-import-newer", ["otio", "import", "newer.reelwright", "reel.mkv"], 2, "newer"),
    Case("input-otio-missing-project", ["otio", "export", "nowhere.reelwright", "-o", "{o}/x.otio"], 2, "nowhere"),
]

# ---- 6. truncation accepted only when asked, and then noted -----------------------------------
CASES += [
    Case("trunc-probe-accepted", ["probe", "--accept-truncated", "trunc.mkv"], 0),
    Case("trunc-export-accepted", ["export", "trunc.mkv", "-o", "{o}/x.mkv", *M, "--accept-truncated"], 0,
         creates=["{o}/x.mkv"], stderr_has="truncated"),
    Case("trunc-detect-accepted", ["detect", "trunc.mkv", "--masks-out", "{o}/m", "--accept-truncated"], 0,
         creates=["{o}/m"]),
    Case("trunc-range-past-end", ["export", "trunc.mkv", "-o", "{o}/x.mkv", *M, "--accept-truncated",
                                  "--range", "0:20"], 2, "range"),
]

# ---- 7. mixed bit depths: read at the widest depth, noted -------------------------------------
CASES += [
    Case("mixed-probe", ["probe", "mixed"], 0),
    Case("mixed-export", ["export", "mixed", "-o", "{o}/x.mkv", *M], 0, creates=["{o}/x.mkv"], stderr_has="8-bit"),
    Case("mixed-8first-export", ["export", "mixed8first", "-o", "{o}/x.mkv", *M], 0, creates=["{o}/x.mkv"],
         stderr_has="16-bit"),
    Case("mixed-export-png", ["export", "mixed", "-o", "{o}/s", "--preset", "png"], 0, creates=["{o}/s"]),
]

# ---- 8. folders: existing, foreign files, read-only, missing, empty names, patterns ---------
CASES += [
    Case("folder-export-onto-folder", ["export", "reel.mkv", "-o", "{o}", *M], 2, "folder"),
    Case("folder-restore-onto-folder", ["restore", "reel.mkv", "-o", "{o}"], 2, "folder"),
    Case("folder-restore-onto-dot", ["restore", "reel.mkv", "-o", "."], 2),
    Case("folder-export-empty-name", ["export", "reel.mkv", "-o", "", *M], 2, "empty"),
    Case("folder-restore-empty-name", ["restore", "reel.mkv", "-o", ""], 2),
    Case("folder-detect-empty-name", ["detect", "reel.mkv", "--masks-out", ""], 2, "empty"),
    Case("folder-report-empty-html", ["report", "done.report.json", "--html", " "], 2, "empty"),
    Case("folder-pattern-in-cwd", ["export", "reel.mkv", "-o", "frame_%06d.png", "--preset", "png"], 2, "frame_%06d"),
    Case("folder-restore-pattern-in-cwd", ["restore", "reel.mkv", "-o", "frame_%06d.png", "--preset", "png"], 2,
         "frame_%06d"),
    Case("folder-restore-png-foreign", ["restore", "reel.mkv", "-o", "{o}/s", "--preset", "png"], 2, "keep.txt",
         setup=_mkdir("s", foreign="keep.txt")),
    Case("folder-restore-png-ok", ["restore", "reel.mkv", "-o", "{o}/s", "--preset", "png"], 0,
         creates=["{o}/s", "{o}/s.sha256", "{o}/s.report.json"]),
    Case("folder-png-foreign", ["export", "reel.mkv", "-o", "{o}/s", "--preset", "png"], 2, "keep.txt",
         setup=_mkdir("s", foreign="keep.txt")),
    Case("folder-png-pattern-foreign", ["export", "reel.mkv", "-o", "{o}/s/f_%04d.png", "--preset", "png"], 2,
         "keep.txt", setup=_mkdir("s", foreign="keep.txt")),
    Case("folder-missing-parent", ["export", "reel.mkv", "-o", "{o}/no/such/x.mkv", *M], 2, "does not exist"),
    Case("folder-restore-missing-parent", ["restore", "reel.mkv", "-o", "{o}/no/x.mkv"], 2, "does not exist"),
    Case("folder-parent-is-file", ["export", "reel.mkv", "-o", "notes.txt/x.mkv", *M], 2, "notes.txt"),
    Case("folder-readonly-export", ["export", "reel.mkv", "-o", "{o}/ro/x.mkv", *M], 2, "read-only",
         setup=_mkdir("ro", mode=0o555)),
    Case("folder-readonly-restore", ["restore", "reel.mkv", "-o", "{o}/ro/x.mkv"], 2, "read-only",
         setup=_mkdir("ro", mode=0o555)),
    Case("folder-readonly-masks", ["detect", "reel.mkv", "--masks-out", "{o}/ro/m"], 2, "read-only",
         setup=_mkdir("ro", mode=0o555)),
    Case("folder-readonly-report", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--report", "{o}/ro/r.json"], 2,
         "read-only", setup=_mkdir("ro", mode=0o555)),
    Case("folder-readonly-html", ["report", "done.report.json", "--html", "{o}/ro/r.html"], 2, "read-only",
         setup=_mkdir("ro", mode=0o555)),
    Case("folder-readonly-masks-itself", ["detect", "reel.mkv", "--masks-out", "{o}/m"], 2, "read-only",
         setup=_mkdir("m", mode=0o555)),
    Case("folder-readonly-master", ["export", "reel.mkv", "-o", "{o}/x.mkv", *M], 2, "read-only",
         setup=_file("x.mkv", 0o444)),
    Case("folder-readonly-restored", ["restore", "reel.mkv", "-o", "{o}/x.mkv"], 2, "read-only",
         setup=_file("x.mkv", 0o444)),
    Case("folder-masks-over-foreign-png", ["detect", "reel.mkv", "--masks-out", "seq_copy"], 2, "000000.png",
         writes=["seq_copy"], setup=lambda w, o: (w / "seq_copy").mkdir() or
         __import__("shutil").copy(w / "frames" / "000000.png", w / "seq_copy" / "000000.png")),
    Case("folder-masks-is-file", ["detect", "reel.mkv", "--masks-out", "notes.txt"], 2, "notes.txt"),
    Case("folder-prior-foreign", ["train-prior", "reel.mkv", "-o", "models/prior", "--size", "16"], 2, "thesis.docx"),
    Case("folder-prior-is-file", ["train-prior", "reel.mkv", "-o", "notes.txt", "--size", "16"], 2, "notes.txt"),
    Case("folder-sample-foreign-masks", ["sample", "{o}", "--frames", "2", "--size", "32x24"], 2, "mine.txt",
         setup=_mkdir("masks", foreign="mine.txt")),
    Case("folder-sample-onto-device", ["sample", "null", "--frames", "2", "--size", "32x24"], 2, "null"),
    Case("folder-otio-onto-device", ["otio", "export", "newer.reelwright", "-o", "null"], 2),
    Case("folder-screenshot-readonly", ["gui", "reel.mkv", "--screenshot", "{o}/ro/s.png"], 2, "read-only",
         setup=_mkdir("ro", mode=0o555)),
]

# ---- 9. bad numbers and ranges -----------------------------------------------------------------
NUMBERS = [
    ("detect-sens-nan", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--sensitivity", "nan"], "sensitivity"),
    ("detect-sens-neg", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--sensitivity", "-1"], "sensitivity"),
    ("detect-sens-big", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--sensitivity", "2"], "sensitivity"),
    ("detect-sens-inf", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--sensitivity", "inf"], "sensitivity"),
    ("detect-sens-word", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--sensitivity", "high"], "sensitivity"),
    ("detect-range-rev", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--range", "3:1"], "range"),
    ("detect-range-word", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--range", "a:b"], "range"),
    ("detect-range-neg", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--range", "-1:2"], "range"),
    ("detect-range-empty", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--range", "1:1"], "range"),
    ("detect-range-past", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--range", "0:99"], "range"),
    ("export-range-three", ["export", "reel.mkv", "-o", "{o}/x.mkv", *M, "--range", "1:2:3"], "range"),
    ("export-range-rev", ["export", "reel.mkv", "-o", "{o}/x.mkv", *M, "--range", "3:1"], "range"),
    ("export-range-float", ["export", "reel.mkv", "-o", "{o}/x.mkv", *M, "--range", "0.5:2"], "range"),
    ("export-range-past", ["export", "reel.mkv", "-o", "{o}/x.mkv", *M, "--range", "2:9"], "range"),
    ("export-fps-zero", ["export", "seq", "-o", "{o}/x.mkv", *M, "--fps", "0"], "fps"),
    ("export-fps-neg", ["export", "seq", "-o", "{o}/x.mkv", *M, "--fps", "-24"], "fps"),
    ("export-fps-nan", ["export", "seq", "-o", "{o}/x.mkv", *M, "--fps", "nan"], "fps"),
    ("export-fps-word", ["export", "seq", "-o", "{o}/x.mkv", *M, "--fps", "fast"], "fps"),
    ("export-fps-div0", ["export", "seq", "-o", "{o}/x.mkv", *M, "--fps", "24/0"], "fps"),
    ("probe-fps-zero", ["probe", "seq", "--fps", "0"], "fps"),
    ("export-preset-unknown", ["export", "reel.mkv", "-o", "{o}/x.mkv", "--preset", "bluray"], "preset"),
    ("restore-range-rev", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--range", "3:1"], "range"),
    ("restore-range-word", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--range", "x"], "range"),
    ("restore-range-past", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--range", "0:50"], "range"),
    ("restore-chunk-zero", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--chunk", "0"], "chunk"),
    ("restore-chunk-neg", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--chunk", "-5"], "chunk"),
    ("restore-chunk-word", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--chunk", "ten"], "chunk"),
    ("restore-engine-unknown", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--engine", "magic"], "engine"),
    ("restore-diffusion-no-model", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--engine", "diffusion"], "model"),
    ("restore-model-missing", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--model", "nowhere"], "nowhere"),
    ("restore-model-garbage", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--model", "models/garbage.safetensors"],
     "garbage.safetensors"),
    ("report-crops-neg", ["report", "done.report.json", "--html", "{o}/r.html", "--crops", "-1"], "crops"),
    ("train-frames-zero", ["train-prior", "reel.mkv", "-o", "{o}/p", "--frames", "0"], "--frames"),
    ("train-channels-odd", ["train-prior", "reel.mkv", "-o", "{o}/p", "--channels", "3,5"], "--channels"),
    ("train-channels-word", ["train-prior", "reel.mkv", "-o", "{o}/p", "--channels", "a,b"], "--channels"),
    ("train-channels-zero", ["train-prior", "reel.mkv", "-o", "{o}/p", "--channels", "0,32"], "--channels"),
    ("train-lr-nan", ["train-prior", "reel.mkv", "-o", "{o}/p", "--lr", "nan"], "--lr"),
    ("train-lr-neg", ["train-prior", "reel.mkv", "-o", "{o}/p", "--lr", "-1"], "--lr"),
    ("train-lr-zero", ["train-prior", "reel.mkv", "-o", "{o}/p", "--lr", "0"], "--lr"),
    ("train-lr-inf", ["train-prior", "reel.mkv", "-o", "{o}/p", "--lr", "inf"], "--lr"),
    ("train-steps-zero", ["train-prior", "reel.mkv", "-o", "{o}/p", "--steps", "0"], "--steps"),
    ("train-batch-zero", ["train-prior", "reel.mkv", "-o", "{o}/p", "--batch", "0"], "--batch"),
    ("train-size-zero", ["train-prior", "reel.mkv", "-o", "{o}/p", "--size", "0"], "--size"),
    ("train-size-odd", ["train-prior", "reel.mkv", "-o", "{o}/p", "--size", "7"], "--size"),
    ("train-size-big", ["train-prior", "reel.mkv", "-o", "{o}/p", "--size", "64"], "patch"),
    ("sample-frames-zero", ["sample", "{o}/s", "--frames", "0"], "frames"),
    ("sample-frames-neg", ["sample", "{o}/s", "--frames", "-3"], "frames"),
    ("sample-size-word", ["sample", "{o}/s", "--size", "big"], "size"),
    ("sample-size-tiny", ["sample", "{o}/s", "--size", "4x4"], "size"),
    ("batch-workers-zero", ["batch", "jobs/range1.json", "--workers", "0"], None),
]
CASES += [Case(f"number-{name}", argv, 2, word) for name, argv, word in NUMBERS]

# ---- 10. job files --------------------------------------------------------------------------
JOBS = {
    "range1": "range1.json", "rangerev": "rangerev.json", "rangeneg": "rangeneg.json", "rangewords": "rangewords.json", "outint": "outint.json",
    "unknown-key": "unknown.json", "noinput": "noinput.json", "same-output": "same.json",
    "onto-input": "ontoinput.json", "onto-manifest": "ontodone.json", "into-seq": "intoseq.json",
    "crossed": "crossed.json", "report-input": "reportinput.json", "list": "list.json", "nojobs": "nojobs.json",
    "jobs-dict": "jobsdict.json", "chunk0": "chunk0.json", "chunk-word": "chunkstr.json",
    "preset": "preset.json", "engine": "engine.json", "settings-list": "settingslist.json",
    "bad-toml": "bad.toml", "empty-toml": "empty.toml", "wrong-toml": "wrong.toml", "binary": "binary.json",
    "missing": "nowhere.json",
}
CASES += [Case(f"job-{name}", ["batch", f"jobs/{file}"], 2, None if name == "same-output" else "jobs")
          for name, file in JOBS.items()]
CASES += [Case("job-two-files-same-output", ["batch", "jobs/ontoinput.json", "jobs/ontoinput.json"], 2)]

# ---- 11. reports ------------------------------------------------------------------------------
for name in ("types", "types2", "types3", "list", "notjson", "format", "empty", "binary"):
    CASES.append(Case(f"report-{name}", ["report", f"reports/{name}.json"], 2, f"{name}.json"))
for name in ("types", "types2", "types3"):
    CASES.append(Case(f"report-html-{name}", ["report", f"reports/{name}.json", "--html", "{o}/r.html"], 2,
                      f"{name}.json"))
CASES += [
    Case("report-missing", ["report", "nowhere.json"], 2, "nowhere.json"),
    Case("report-is-media", ["report", "reel.mkv"], 2, "reel.mkv"),
    Case("report-is-fifo", ["report", "fifo"], 2, "fifo"),
    Case("report-summary-ok", ["report", "done.report.json", "--json"], 0),
    Case("report-html-ok", ["report", "done.report.json", "--html", "{o}/r.html"], 0, creates=["{o}/r.html"]),
]

# ---- 12. model files ---------------------------------------------------------------------------
MODELS = ["garbage.safetensors", "listheader.safetensors", "hugeheader.safetensors", "empty.safetensors",
          "plain.bin", "plain.ckpt", "seven", "listcfg", "badindex", "indexlist", "emptydir", "nowhere"]
for name in MODELS:
    CASES.append(Case(f"model-check-{name}", ["models", "check", f"models/{name}"], 2, name))
CASES += [
    Case("model-check-pickle-allowed", ["models", "check", "models/plain.bin", "--allow-pickle"], 2, "plain.bin"),
    Case("model-check-ckpt-allowed", ["models", "check", "models/plain.ckpt", "--allow-pickle"], 2, "plain.ckpt"),
    Case("model-add-garbage", ["models", "add", "models/garbage.safetensors"], 2, "garbage.safetensors"),
    Case("model-add-seven", ["models", "add", "models/seven"], 2, "seven"),
    Case("model-remove-unknown", ["models", "remove", "no-such-model"], 2, "no-such-model"),
]

# ---- 13. masks ----------------------------------------------------------------------------------
CASES += [
    Case("masks-garbage", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--masks", "masksbad"], 2, "000001.png"),
    Case("masks-wrong-size", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--masks", "maskssize"], 2, "000001.png"),
    Case("masks-missing", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--masks", "nowhere"], 2, "nowhere"),
    Case("masks-is-file", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--masks", "notes.txt"], 2, "notes.txt"),
    Case("masks-is-fifo", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--masks", "fifo"], 2, "fifo"),
    Case("masks-output-into-masks", ["restore", "reel.mkv", "-o", "masks/x.mkv", "--masks", "masks"], 2, "masks"),
    Case("masks-report-into-masks", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--masks", "masks", "--report",
                                     "masks/r.json"], 2, "masks"),
    Case("masks-16bit-255-ok", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--masks", "masks16", "--no-detect"], 0,
         creates=["{o}/x.mkv"]),
]

# ---- 13b. the render cache is an output too ---------------------------------------------------
CASES += [
    Case("cache-is-input", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--cache", "reel.mkv"], 2, "reel.mkv"),
    Case("cache-in-seq", ["restore", "seq", "-o", "{o}/x.mkv", "--cache", "seq/cache"], 2, "seq"),
    Case("cache-is-seq", ["restore", "seq", "-o", "{o}/x.mkv", "--cache", "seq"], 2, "seq"),
    Case("cache-is-device", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--cache", "null"], 2, "null"),
    Case("cache-is-fifo", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--cache", "fifo"], 2, "fifo"),
    Case("cache-is-file", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--cache", "notes.txt"], 2, "notes.txt"),
    Case("cache-is-output", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--cache", "{o}/x.mkv"], 2, "x.mkv"),
    Case("cache-holds-report", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--cache", "{o}/c", "--report",
                                "{o}/c/r.json"], 0, creates=["{o}/c/r.json"], setup=_mkdir("c")),
    Case("cache-readonly", ["restore", "reel.mkv", "-o", "{o}/x.mkv", "--cache", "{o}/ro/c"], 2, "read-only",
         setup=_mkdir("ro", mode=0o555)),
]

# ---- 14. names an archivist types at 2 a.m. that must simply work -----------------------------
CASES += [
    Case("name-unicode-spaces-export", ["export", "Rëel with spaces.mkv", "-o", "{o}/ünï cödé.mkv", *M], 0,
         creates=["{o}/ünï cödé.mkv", "{o}/ünï cödé.mkv.sha256"]),
    Case("name-unicode-detect", ["detect", "Rëel with spaces.mkv", "--masks-out", "{o}/mäsks dir"], 0,
         creates=["{o}/mäsks dir/000000.png"]),
    Case("name-unicode-probe", ["probe", "Rëel with spaces.mkv"], 0),
    Case("name-dash", ["export", "reel.mkv", "-o", "{o}/-dash.mkv", *M], 0, creates=["{o}/-dash.mkv"]),
    Case("name-no-extension", ["export", "reel.mkv", "-o", "{o}/master", *M], 0, creates=["{o}/master"]),
    Case("name-case-differs", ["export", "reel.mkv", "-o", "{o}/REEL.MKV", *M], 0, creates=["{o}/REEL.MKV"]),
    Case("name-overwrite-own-output", ["export", "reel.mkv", "-o", "{o}/x.mkv", *M], 0, creates=["{o}/x.mkv"],
         setup=_file("x.mkv", text="an earlier export")),
    Case("name-restore-ok", ["restore", "reel.mkv", "-o", "{o}/r.mkv", "--report", "{o}/r.json"], 0,
         creates=["{o}/r.mkv", "{o}/r.json", "{o}/r.html"]),
    Case("name-masks-rerun-ok", ["detect", "reel.mkv", "--masks-out", "{o}/m"], 0, creates=["{o}/m/000003.png"],
         setup=lambda w, o: __import__("shutil").copytree(w / "donemasks", o / "m")),
    Case("name-masks-keep-others", ["detect", "reel.mkv", "--masks-out", "{o}/m", "--range", "0:2"], 0,
         creates=["{o}/m/keep.txt"], setup=_mkdir("m", foreign="keep.txt")),
    Case("name-sample-ok", ["sample", "{o}/s", "--frames", "2", "--size", "32x24"], 0, creates=["{o}/s/sample.mkv"]),
]

# ---- 15. leftovers of a killed run are removed by the next run of the same output ------------
CASES += [
    Case("leftover-export", ["export", "reel.mkv", "-o", "{o}/x.mkv", *M], 0, creates=["{o}/x.mkv"],
         setup=_stale(f".x.partial-{DEAD}-0123abcd.mkv", f".x.mkv.partial-{DEAD}-0123abcd.sha256")),
    Case("leftover-detect", ["detect", "reel.mkv", "--masks-out", "{o}/m"], 0, creates=["{o}/m"],
         setup=_stale(f".m.partial-{DEAD}-0123abcd/")),
    Case("leftover-restore", ["restore", "reel.mkv", "-o", "{o}/x.mkv"], 0, creates=["{o}/x.mkv"],
         setup=_stale(f".x.partial-{DEAD}-89abcdef.mkv", f".x.report.partial-{DEAD}-89abcdef.json")),
    Case("leftover-png", ["export", "reel.mkv", "-o", "{o}/s", "--preset", "png"], 0, creates=["{o}/s"],
         setup=_stale(f".s.partial-{DEAD}-0123abcd/")),
]


def test_the_corpus_is_large_and_every_case_has_its_own_id():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 200


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_case(case: Case, world, capsys, monkeypatch):
    case = Case(**{**case.__dict__, "argv": [a.replace("ABS", str(world)) for a in case.argv]})
    run_case(case, world, capsys, monkeypatch)
