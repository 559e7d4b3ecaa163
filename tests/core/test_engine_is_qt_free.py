"""The engine must import and work with PySide6 absent (napari-style model/view split)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_every_engine_module_imports_with_qt_blocked():
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                root = name.split(".")[0]
                if root in ("PySide6", "shiboken6", "app", "superqt", "qtawesome"):
                    raise ImportError(f"engine imported {name}")
                return None

        sys.meta_path.insert(0, Block())
        import restoration_core
        names = [m.name for m in pkgutil.walk_packages(restoration_core.__path__, "restoration_core.")]
        for name in [n for n in names if not n.endswith("__main__")]:
            importlib.import_module(name)
        print(len(names))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip().splitlines()[-1]) >= 5
