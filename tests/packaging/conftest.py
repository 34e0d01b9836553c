import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_build_script():
    """packaging/build.py, the recipe users run, imported so the tests drive exactly it."""
    spec = importlib.util.spec_from_file_location("musicmap_packaging_build", REPO / "packaging" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """`packaging/build.py venv`: sdist + wheel, and a fresh venv outside the checkout with
    torch (the CPU pin) and the wheel installed. Shared by the wheel and frozen-build tests."""
    work = tmp_path_factory.mktemp("installed")
    build = load_build_script()
    mp = pytest.MonkeyPatch()
    for var in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):  # nothing of this venv leaks into the new one
        mp.delenv(var, raising=False)
    try:
        # --no-compile: byte-compiling all of torch costs more than the few modules a run imports
        build.main(["venv", str(work / "venv"), "--dist", str(work / "dist"), "--no-compile"])
    finally:
        mp.undo()
    return build, work / "venv", work / "dist"
