"""Layer rules: the import-linter contracts in pyproject.toml hold, and importing core, the
trainer and the CLI loads no Qt (they run headless and in worker processes)."""
import os
import pathlib
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
QT = ("PySide6", "pyqtgraph", "shiboken6")


def test_import_contracts_are_kept():
    lint = pathlib.Path(sys.executable).with_name("lint-imports")  # the test extra's console script
    r = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                       capture_output=True, text=True, cwd=ROOT, env={**os.environ, "NO_COLOR": "1"})
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_the_contracts_cover_the_layers():
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    forbidden = {(src, bad) for c in contracts if c["type"] == "forbidden"
                 for src in c["source_modules"] for bad in c["forbidden_modules"]}
    for src in ("musicmap_desktop.core", "trainer"):
        assert {(src, "musicmap_desktop.gui"), (src, "PySide6")} <= forbidden
    assert ("musicmap_desktop.core", "trainer") in forbidden
    assert {("musicmap_desktop.model", "musicmap_desktop.core"), ("musicmap_desktop.model", "musicmap_desktop.gui")} \
        <= forbidden
    assert any(c["type"] == "acyclic_siblings" and "musicmap_desktop.cli" in c["ancestors"] for c in contracts)


def test_importing_core_and_cli_loads_no_qt():
    code = (
        "import sys, pkgutil, importlib, musicmap_desktop.core as c, musicmap_desktop.cli, trainer\n"
        "for m in pkgutil.walk_packages(c.__path__, 'musicmap_desktop.core.'): importlib.import_module(m.name)\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {QT!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
