"""Packaging: the bundle recipe's inputs exist, entry points resolve, desktop/AppStream files are valid."""

from __future__ import annotations

import ast
import configparser
import importlib
import importlib.util
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "org.reelwright.Reelwright.desktop"
METAINFO = PACKAGING / "org.reelwright.Reelwright.metainfo.xml"


def _scripts() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {**project.get("scripts", {}), **project.get("gui-scripts", {})}


def test_console_script_resolves_to_the_cli():
    target = _scripts()["reelwright"]
    assert target == "restoration_core.cli:main"
    module, attr = target.split(":")
    assert callable(getattr(importlib.import_module(module), attr))


def test_gui_script_resolves_without_starting_qt():
    module, attr = _scripts()["reelwright-gui"].split(":")
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin
    tree = ast.parse(Path(spec.origin).read_text())
    assert attr in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


class _Recorder:
    def __init__(self, name, calls):
        self.name, self.calls = name, calls

    def __call__(self, *args, **kwargs):
        self.calls[self.name] = (args, kwargs)
        return type(self.name, (), {"pure": [], "scripts": [], "binaries": [], "datas": []})()


def test_pyinstaller_recipe_inputs_exist_and_imports_resolve():
    pytest.importorskip("PyInstaller")
    calls: dict = {}
    env = {"SPECPATH": str(PACKAGING), "__file__": str(PACKAGING / "reelwright.spec")}
    env.update({n: _Recorder(n, calls) for n in ("Analysis", "PYZ", "EXE", "COLLECT")})
    exec(compile((PACKAGING / "reelwright.spec").read_text(), "reelwright.spec", "exec"), env)
    (scripts,), analysis = calls["Analysis"]
    assert all(Path(s).is_file() for s in scripts)
    assert Path(scripts[0]).read_text().count("restoration_core.cli import main") == 1
    for source, _dest in analysis["datas"]:
        assert Path(source).exists(), source
    hidden = analysis["hiddenimports"]
    assert "restoration_core.cli.report" in hidden and "restoration_core.cli.otio" in hidden and "app.main" in hidden
    for name in hidden:  # each names a source file of the tree (located without importing torch or Qt)
        base = ROOT / name.replace(".", "/")
        assert base.with_suffix(".py").is_file() or (base / "__init__.py").is_file(), name
    from restoration_core.cli import SUBCOMMANDS  # imported by name at run time: must be bundled

    present = [n for n in SUBCOMMANDS if (ROOT / "restoration_core" / "cli" / f"{n}.py").is_file()]
    assert present and all(f"restoration_core.cli.{n}" in hidden for n in present)
    assert "restoration_core.jobs.worker" in hidden and "restoration_core.render.engines" in hidden
    assert Path(calls["EXE"][1]["icon"]).is_file()
    assert calls["COLLECT"][1]["name"] == "reelwright"
    assert (ROOT / "scripts" / "build_bundle.sh").is_file()


def test_desktop_entry_has_valid_keys():
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    entry = parser["Desktop Entry"]
    required = {"Type", "Name", "Exec", "Icon", "Categories"}
    known = required | {"Version", "GenericName", "Comment", "TryExec", "Terminal", "Keywords", "StartupNotify",
                        "StartupWMClass", "MimeType"}
    assert required <= set(entry) and set(entry) <= known
    assert entry["Type"] == "Application" and entry["Exec"].split()[0] in _scripts()
    assert entry["Terminal"] in ("true", "false") and entry["StartupNotify"] in ("true", "false")
    assert entry["Categories"].endswith(";") and "AudioVideo" in entry["Categories"].split(";")
    assert (ROOT / "restoration_core" / "resources" / "icons" / f"{entry['Icon']}.svg").is_file()
    assert (ROOT / "restoration_core" / "resources" / "icons" / f"{entry['Icon']}.png").is_file()


def test_appstream_metainfo_parses_and_matches_the_desktop_entry():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == DESKTOP.name.removesuffix(".desktop")
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == "reelwright"
    assert root.findtext("metadata_license") and root.findtext("project_license") == "MIT"
    assert root.find("description/p") is not None and root.findtext("summary")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert root.find("releases/release").get("version") == version
