"""The core and the scheduler modules must never import Textual (checked in a fresh interpreter)."""

import pkgutil
import subprocess
import sys

import hpctui.core
import hpctui.schedulers


def _modules(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def test_core_and_schedulers_import_without_textual():
    names = ["hpctui.core", "hpctui.schedulers"] + _modules(hpctui.core) + _modules(hpctui.schedulers)
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print('\\n'.join(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"textual imported by the core: {out.stdout} {out.stderr}"
    # The walk must have found modules, or this test proves nothing.
    assert "hpctui.core.batch.kinds" in names
