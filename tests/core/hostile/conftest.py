"""The hostile-input corpus: one shared folder of tiny inputs per module and the case runner.

Every case runs ``restoration_core.cli.main(argv)`` in-process inside the shared folder (the
"world") and checks, besides its exit code and its one error line, that nothing outside the
case's declared outputs changed (checksums of every file before and after), that no source
or earlier output changed, and that no ``.partial``/``.old`` leftovers stay behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import socket
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest

from restoration_core.cli import main
from tests.core.fixtures_media import make_ffv1_mkv, make_png_sequence

SIZE = (32, 24)


def _png(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = cv2.imwrite(str(path), img)
    assert ok, path


def _frame(k: int, bits: int) -> np.ndarray:
    rng = np.random.default_rng(k)
    top = 255 if bits == 8 else 65535
    img = rng.integers(top // 8, top - top // 8, (SIZE[1], SIZE[0], 3))
    return img.astype(np.uint8 if bits == 8 else np.uint16)


def _truncated(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 3])
    return dst


def build_world(root: Path) -> dict[str, Path]:
    """Every input the corpus needs (about 60 small files, well under a second to make)."""
    w = root
    make_ffv1_mkv(w / "reel.mkv", frames=4, size=SIZE)
    make_ffv1_mkv(w / "long.mkv", frames=24, size=SIZE)
    _truncated(w / "long.mkv", w / "trunc.mkv")
    make_ffv1_mkv(w / "tiny.mkv", frames=3, size=(1, 1), pix_fmt="yuv444p")
    make_ffv1_mkv(w / "small8.mkv", frames=3, size=(8, 8), pix_fmt="yuv444p")
    make_ffv1_mkv(w / "Rëel with spaces.mkv", frames=3, size=SIZE)
    make_png_sequence(w / "seq", frames=4, size=SIZE, start=0, bits=16)
    (w / "seq" / "notes.txt").write_text("scanner log")  # the archivist's own file in the folder
    for k in range(4):  # a sequence named like masks: 000000.png ...
        _png(w / "frames" / f"{k:06d}.png", _frame(k, 16))
    for k, bits in enumerate((16, 16, 8, 16)):
        _png(w / "mixed" / f"f_{k:04d}.png", _frame(k, bits))
    for k, bits in enumerate((8, 16, 16)):
        _png(w / "mixed8first" / f"f_{k:04d}.png", _frame(k, bits))
    for k in range(3):
        _png(w / "seqbad" / f"f_{k:04d}.png", _frame(k, 16))
    (w / "seqbad" / "f_0003.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"arrayarrayarrayarray" * 4)
    for k in range(3):
        _png(w / "seqsize" / f"f_{k:04d}.png", _frame(k, 16) if k != 1 else np.zeros((10, 10, 3), np.uint16))
    (w / "emptyseq").mkdir()
    (w / "emptyseq" / "readme.txt").write_text("nothing here")
    # damaged and odd media
    (w / "garbage.mkv").write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (w / "text.mkv").write_text("this is not a film\n" * 20)
    (w / "empty.mkv").write_bytes(b"")
    (w / "badpng").mkdir()
    (w / "badpng" / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"arrayarrayarrayarray" * 4)
    ihdr = struct.pack(">II", 2**31 - 1, 2**31 - 1) + bytes([8, 2, 0, 0, 0])
    (w / "badpng" / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0" * 4)
    (w / "notes.txt").write_text("an unrelated file")
    os.mkfifo(w / "fifo.mkv")
    os.mkfifo(w / "fifo")
    try:  # a private /dev/null (needs root); else the cases use the real one, which is never replaced
        os.mknod(w / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        (w / "null").symlink_to("/dev/null")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(w / "sock"))
    sock.close()
    # masks: 8-bit 255, 16-bit holding 255, garbage, wrong size
    m8 = np.zeros((SIZE[1], SIZE[0]), np.uint8)
    m8[8:14, 10:16] = 255
    _png(w / "masks" / "000001.png", m8)
    _png(w / "masks16" / "000001.png", m8.astype(np.uint16))
    (w / "masksbad").mkdir()
    (w / "masksbad" / "000001.png").write_bytes(b"not a png")
    _png(w / "maskssize" / "000001.png", np.zeros((5, 5), np.uint8))
    # earlier outputs that no run may change
    assert main(["restore", "reel.mkv", "-o", "done.mkv"]) == 0
    assert main(["detect", "reel.mkv", "--masks-out", "donemasks", "--report", "detect.json"]) == 0
    report = json.loads((w / "done.report.json").read_text())
    (w / "reports").mkdir()
    bad_types = dict(report, interventions="many", frames={"x": 1}, frame_range="all")
    (w / "reports" / "types.json").write_text(json.dumps(bad_types))
    (w / "reports" / "types2.json").write_text(json.dumps(dict(report, interventions=[{"frame": "x"}])))
    (w / "reports" / "types3.json").write_text(json.dumps(dict(report, source=7, output=[1])))
    (w / "reports" / "list.json").write_text("[1, 2, 3]")
    (w / "reports" / "notjson.json").write_text("{ nope")
    (w / "reports" / "format.json").write_text(json.dumps({"format": "something-else"}))
    (w / "reports" / "empty.json").write_text("")
    (w / "reports" / "binary.json").write_bytes(bytes(range(256)))
    # job files
    jobs = w / "jobs"
    jobs.mkdir()
    job = {"input": "../reel.mkv", "output": "../out/a.mkv"}

    def jf(name: str, doc) -> None:
        (jobs / name).write_text(doc if isinstance(doc, str) else json.dumps(doc))

    jf("range1.json", {"jobs": [{**job, "frame_range": [1]}]})
    jf("rangerev.json", {"jobs": [{**job, "frame_range": [3, 1]}]})
    jf("rangeneg.json", {"jobs": [{**job, "frame_range": [-1, 2]}]})
    jf("rangewords.json", {"jobs": [{**job, "frame_range": ["a", "b"]}]})
    jf("outint.json", {"jobs": [{**job, "output": 5}]})
    jf("unknown.json", {"jobs": [{**job, "colour": "blue"}]})
    jf("noinput.json", {"jobs": [{"output": "../out/a.mkv"}]})
    jf("same.json", {"jobs": [job, {**job, "input": "../long.mkv"}]})
    jf("ontoinput.json", {"jobs": [{**job, "output": "../reel.mkv"}]})
    jf("ontodone.json", {"jobs": [{**job, "output": "../done.mkv.sha256"}]})
    jf("intoseq.json", {"jobs": [{"input": "../seq", "output": "../seq/restored.mkv"}]})
    jf("crossed.json", {"jobs": [job, {"input": "../out/a.mkv", "output": "../out/b.mkv"}]})
    jf("reportinput.json", {"jobs": [{**job, "report": "../reel.mkv"}]})
    jf("list.json", [job])
    jf("nojobs.json", {"jobs": []})
    jf("jobsdict.json", {"jobs": {"a": job}})
    jf("chunk0.json", {"jobs": [{**job, "chunk": 0}]})
    jf("chunkstr.json", {"jobs": [{**job, "chunk": "ten"}]})
    jf("preset.json", {"jobs": [{**job, "preset": "bluray"}]})
    jf("engine.json", {"jobs": [{**job, "settings": {"engine": "magic"}}]})
    jf("settingslist.json", {"jobs": [{**job, "settings": [1, 2]}]})
    jf("bad.toml", "[[job]\ninput = ")
    jf("empty.toml", "")
    jf("wrong.toml", '[[job]]\ninput = 7\noutput = "x.mkv"\n')
    (jobs / "binary.json").write_bytes(bytes(range(256)))
    # model files
    models = w / "models"
    models.mkdir()
    (models / "garbage.safetensors").write_bytes(b"\x07" * 64)
    head = b"[1, 2, 3]"
    (models / "listheader.safetensors").write_bytes(struct.pack("<Q", len(head)) + head)
    (models / "hugeheader.safetensors").write_bytes(struct.pack("<Q", 2**60) + b"{}")
    (models / "empty.safetensors").write_bytes(b"")
    (models / "plain.bin").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    (models / "plain.ckpt").write_bytes(b"not even a pickle")
    (models / "seven").mkdir()
    (models / "seven" / "config.json").write_text(json.dumps(
        {"_class_name": "UNet2DModel", "in_channels": "seven", "out_channels": 3}))
    (models / "listcfg").mkdir()
    (models / "listcfg" / "config.json").write_text("[1]")
    (models / "badindex").mkdir()
    (models / "badindex" / "model_index.json").write_text("{ broken")
    (models / "indexlist").mkdir()
    (models / "indexlist" / "model_index.json").write_text('["unet"]')
    (models / "emptydir").mkdir()
    (models / "prior").mkdir()  # a folder that looks like an earlier prior but holds a foreign file
    (models / "prior" / "reelwright.json").write_text("{}")
    (models / "prior" / "thesis.docx").write_text("years of work")
    # projects
    proj = w / "newer.reelwright"
    proj.mkdir()
    (proj / "project.json").write_text(json.dumps({"schema_version": 999, "name": "newer", "reels": []}))
    (w / "out").mkdir()
    return {}


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root``: kind, and for regular files size and SHA-256 (nothing else is opened)."""
    out: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                out[rel] = ("file", st.st_size, hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mode & 0o777)
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", st.st_mode & 0o777)
            else:
                out[rel] = ("special", stat.S_IFMT(st.st_mode))
    return out


@dataclass
class Case:
    """One hostile run: argv (``{o}`` is the case's own output folder), expected exit code, the
    word its error line must name, and what it may write besides ``{o}``."""

    id: str
    argv: list[str]
    rc: int = 2
    names: str | None = None
    writes: list[str] = field(default_factory=list)
    creates: list[str] = field(default_factory=list)  # must exist afterwards (success cases)
    stderr_has: str | None = None
    setup: object = None  # callable(world: Path, out: Path) run before the case


def run_case(case: Case, world: Path, capsys, monkeypatch) -> None:
    out = world / "out" / case.id
    out.mkdir(parents=True)
    monkeypatch.chdir(world)
    if case.setup is not None:
        case.setup(world, out)
    argv = [a.replace("{o}", f"out/{case.id}") for a in case.argv]
    before = snapshot(world)
    capsys.readouterr()
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse
        rc = exc.code
    captured = capsys.readouterr()
    after = snapshot(world)
    err = captured.err
    try:
        assert "Traceback" not in err + captured.out, err
        assert rc == case.rc, f"exit {rc}, expected {case.rc}; stderr:\n{err}"
        allowed = [f"out/{case.id}", *case.writes]

        def declared(rel: str) -> bool:
            return any(rel == a or rel.startswith(a.rstrip("/") + "/") for a in allowed)

        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k) and not declared(k))
        assert not changed, f"written outside the declared outputs: {changed}"
        leftovers = [k for k in after if ".partial-" in k or ".old-" in k]
        assert not leftovers, f"leftovers: {leftovers}"
        for rel in case.creates:
            assert (world / rel.replace("{o}", f"out/{case.id}")).exists(), rel
        if case.rc != 0:
            errors = [line for line in err.splitlines() if "error" in line.lower()]
            assert len(errors) == 1, f"expected one error line, got:\n{err}"
            if case.names is not None:
                assert case.names in errors[0], f"error line does not name {case.names!r}: {errors[0]}"
        else:
            assert "error" not in err.lower(), err
        if case.stderr_has is not None:
            assert case.stderr_has in err, err
    finally:
        shutil.rmtree(out, ignore_errors=True)
        for rel in case.writes:  # what a case may write elsewhere is put back for the next one
            p = world / rel
            if rel not in before and (p.exists() or p.is_symlink()):
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile-home")
    root = tmp_path_factory.mktemp("hostile-world")
    old_home, old_cwd = os.environ.get("REELWRIGHT_HOME"), os.getcwd()
    os.environ["REELWRIGHT_HOME"] = str(home)
    os.chdir(root)
    try:
        build_world(root)
    finally:
        os.chdir(old_cwd)
        if old_home is None:
            os.environ.pop("REELWRIGHT_HOME", None)
        else:
            os.environ["REELWRIGHT_HOME"] = old_home
    return root
