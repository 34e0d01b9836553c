"""Core and trainer never import Qt: they must run headless and in worker processes."""
import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
QT = ("PySide6", "pyqtgraph", "shiboken6")


def test_no_qt_import_in_core_or_trainer_sources():
    offenders = []
    for folder in ("musicmap_desktop/core", "musicmap_desktop/model", "trainer"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in QT]
    assert offenders == []


def test_importing_core_and_cli_loads_no_qt():
    code = (
        "import sys, pkgutil, importlib, musicmap_desktop.core as c, musicmap_desktop.cli, trainer\n"
        "for m in pkgutil.walk_packages(c.__path__, 'musicmap_desktop.core.'): importlib.import_module(m.name)\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {QT!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
