"""The shape of the code, checked: who may import whom, no circles, small files, tidy core.

- The core and the scheduler modules never import Textual (in a fresh interpreter).
- Nothing outside `hpctui.ui` imports `hpctui.ui`, so the UI stays a thin layer over the core.
- `hpctui.on_node` imports only the standard library: it runs with the workers' python.
- No import circle between hpctui's modules, counting imports inside functions too.
- No file in hpctui/ over 400 lines; no module loose in hpctui/core.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import hpctui
import hpctui.core
import hpctui.schedulers

PACKAGE = Path(hpctui.__file__).resolve().parent
MAX_LINES = 400


def _modules(package) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]


def _sources() -> dict[str, Path]:
    """Every module of hpctui by dotted name (a package by its own name), with its file."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """hpctui modules `path` imports anywhere in it (top level, functions, TYPE_CHECKING).

    `from a.b import c` counts as importing `a.b.c` when that is a module, else `a.b`.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "hpctui")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "hpctui":
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
    return {name for name in found if name in modules}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _sources()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


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


def test_only_the_ui_imports_the_ui():
    graph = _graph()
    bad = sorted(f"{m} imports {d}" for m, deps in graph.items() if not m.startswith("hpctui.ui")
                 for d in deps if d == "hpctui.ui" or d.startswith("hpctui.ui."))
    # hpctui.cli.main opens the TUI: the one place outside the UI allowed to start it.
    assert bad == ["hpctui.cli.main imports hpctui.ui.app"], bad


def test_on_node_scripts_use_the_standard_library_only():
    # They may import each other as plain modules: they are copied side by side to the node.
    siblings = {p.stem for p in (PACKAGE / "on_node").glob("*.py")}
    for path in (PACKAGE / "on_node").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or top in siblings or top == "__future__", \
                    f"{path.name} imports {name}, which the workers' python may not have"


def test_no_import_circle():
    cycles = _cycles(_graph())
    assert cycles == [], "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_circle_check_finds_a_circle():
    # The check itself must be able to fail.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_file_over_the_line_limit():
    long = sorted(f"{p.relative_to(PACKAGE.parent)}: {n} lines" for p in PACKAGE.rglob("*.py")
                  if (n := len(p.read_text().splitlines())) > MAX_LINES)
    assert long == [], f"files over {MAX_LINES} lines: {long}"


def test_core_has_packages_only():
    loose = sorted(p.name for p in (PACKAGE / "core").glob("*.py") if p.name != "__init__.py")
    assert loose == [], f"modules outside a package in hpctui/core: {loose}"
    for pkg in (PACKAGE / "core").iterdir():
        if pkg.is_dir() and pkg.name != "__pycache__":
            init = pkg / "__init__.py"
            assert init.exists() and ast.get_docstring(ast.parse(init.read_text())), \
                f"hpctui/core/{pkg.name} needs an __init__.py saying what it owns"
