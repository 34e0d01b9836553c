"""The frozen one-folder build (PyInstaller): built by packaging/build.py, started headless."""
import json
import os
import subprocess
import threading

import pytest

from audio_factory import make_library

pytestmark = pytest.mark.slow  # builds and installs: minutes (./scripts/test -m "not slow" skips it)


def _stderr_line(cmd, env, wanted: str, timeout: float = 120) -> str | None:
    """Start cmd, return its first stderr line containing wanted (None if it exits or times out), stop it."""
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    killer = threading.Timer(timeout, p.kill)  # a window that never logs it ends the loop below
    killer.start()
    try:
        return next((line for line in p.stderr if wanted in line), None)
    finally:
        killer.cancel()
        p.kill()
        p.wait()


def test_frozen_build_starts_and_scans_headless(installed, tmp_path):
    build, venv, _ = installed
    # The one command users run (here reusing the fresh venv). It ends with its own smoke test:
    # --version, `scan --no-embed`, --install-desktop (resources) and `tags` (weights, torch).
    build.main(["frozen", "--venv", str(venv), "--out", str(tmp_path / "frozen")])
    exe = tmp_path / "frozen" / "musicmap-desktop" / "musicmap-desktop"
    # Beyond the smoke test: compressed formats through the bundled FFmpeg (PyAV) and mutagen.
    make_library(tmp_path / "music", n_albums=1, tracks_per_album=3, formats=["mp3", "ogg", "m4a"])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([exe, "scan", tmp_path / "music", "--no-embed", "--json", "--db", tmp_path / "c.db"],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["new"], summary["failed"]) == (3, 0)
    # The window starts frozen and QtMultimedia finds its FFmpeg backend (the player needs it).
    line = _stderr_line([exe, tmp_path / "music", "--db", tmp_path / "c.db"],
                        dict(env, QT_LOGGING_RULES="qt.multimedia.ffmpeg=true"), "Using Qt multimedia with FFmpeg")
    assert line is not None
