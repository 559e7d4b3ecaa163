"""The pipeline's packages keep their layering: no import cycles, imports at the top, the contracts hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
OURS = ("restoration_core.render", "restoration_core.jobs", "restoration_core.report",
        *(f"restoration_core.cli.{m}" for m in ("restore", "batch", "detect", "export", "report")))
LAZY_OK = ("ray", "torch", "diffusers", "restoration_core.diffusion")  # heavy optional dependencies


def _ours(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in OURS)


def _files():
    for pkg in ("render", "jobs", "report"):
        yield from sorted((ROOT / "restoration_core" / pkg).glob("*.py"))
    for m in ("restore", "batch", "detect", "export", "report"):
        yield ROOT / "restoration_core" / "cli" / f"{m}.py"


def test_no_function_level_imports_but_heavy_optional_ones():
    found = []
    for path in _files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(node):
                names = [a.name for a in sub.names] if isinstance(sub, ast.Import) else \
                    [sub.module or ""] if isinstance(sub, ast.ImportFrom) else []
                found += [f"{path.relative_to(ROOT)}:{sub.lineno} {n}" for n in names
                          if not any(n == ok or n.startswith(ok + ".") for ok in LAZY_OK)]
    assert not found, "imports inside functions (move them to the top): " + ", ".join(found)


def test_no_import_cycle_runs_through_the_pipeline_packages():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("restoration_core")
    cycles = []
    for a in sorted(m for m in graph.modules if _ours(m)):
        for b in graph.find_modules_directly_imported_by(a):
            if b != a and graph.chain_exists(importer=b, imported=a):
                cycles.append(" -> ".join([a, *graph.find_shortest_chain(importer=b, imported=a)]))
    assert not cycles, cycles


def test_the_import_linter_contracts_hold():
    pytest.importorskip("importlinter")
    run = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "cli over jobs over render KEPT" in run.stdout


def test_the_whole_engine_has_no_import_cycle():
    """Runtime imports only (``if TYPE_CHECKING:`` imports are annotations, not a cycle)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("restoration_core", exclude_type_checking_imports=True)
    cycles = []
    for a in sorted(graph.modules):
        for b in graph.find_modules_directly_imported_by(a):
            if b != a and not b.startswith(a + ".") and not a.startswith(b + ".") \
                    and graph.chain_exists(importer=b, imported=a):
                cycles.append(" -> ".join([a, *graph.find_shortest_chain(importer=b, imported=a)]))
    assert not cycles, cycles


def test_engine_modules_import_each_other_at_the_top():
    """Inside functions only the heavy optional parts (diffusion: torch, diffusers) may be imported,
    and the CLI's subcommands may load their engine lazily (``reelwright --help`` stays quick)."""
    found = []
    for path in sorted((ROOT / "restoration_core").rglob("*.py")):
        if path.parent.name == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith("restoration_core") \
                            and not sub.module.startswith("restoration_core.diffusion"):
                        found.append(f"{path.relative_to(ROOT)}:{sub.lineno} {sub.module}")
    assert not found, "move these imports to the top: " + ", ".join(found)
