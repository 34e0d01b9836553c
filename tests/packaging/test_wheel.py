"""The wheel is all a user needs: installed into a fresh venv, it runs outside the checkout."""
import json
import subprocess
import tarfile
import zipfile

import pytest

from audio_factory import make_library
from musicmap_desktop import __version__

pytestmark = pytest.mark.slow  # builds and installs: minutes (./scripts/test -m "not slow" skips it)

# Package data that must ship and be found through importlib.resources once installed.
MUST_SHIP = ["musicmap_desktop/weights/msd_musicnn.safetensors", "musicmap_desktop/weights/msd_musicnn.onnx",
             "musicmap_desktop/weights/msd_musicnn.lean.onnx",  # the CPU engine's default graph
             "musicmap_desktop/weights/mtt_musicnn.json", "musicmap_desktop/weights/LICENSE-musicnn.txt",
             "musicmap_desktop/resources/io.github.musicmap.MusicmapDesktop.desktop",
             "musicmap_desktop/resources/io.github.musicmap.MusicmapDesktop.metainfo.xml",
             "musicmap_desktop/resources/icons/hicolor/512x512/apps/io.github.musicmap.MusicmapDesktop.png",
             "musicmap_desktop/resources/icons/hicolor/scalable/apps/io.github.musicmap.MusicmapDesktop.svg",
             "trainer/__init__.py", "musicmap_desktop/cli/main.py", "musicmap_desktop/core/store/db.py",
             "musicmap_desktop/system/paths.py"]


def _run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def test_wheel_and_sdist_hold_weights_resources_and_trainer(installed):
    _, _, dist = installed
    wheel, = dist.glob("*.whl")
    sdist, = dist.glob("*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [f for f in MUST_SHIP if f not in names] == []
    # The sdist keeps the repo's layout (weights/, resources/ at the top); the wheel was built from it.
    top = sdist.name[: -len(".tar.gz")]
    in_sdist = set(tarfile.open(sdist).getnames())
    repo_paths = [f.replace("musicmap_desktop/weights/", "weights/").replace("musicmap_desktop/resources/", "resources/")
                  for f in MUST_SHIP]
    assert [f for f in repo_paths if f"{top}/{f}" not in in_sdist] == []


def test_fresh_venv_runs_the_installed_app(installed, tmp_path):
    build, venv, _ = installed
    # six albums: the fewest --evaluate accepts (albums to train on, to stop early on, to test on)
    make_library(tmp_path / "music", n_albums=6, tracks_per_album=2, formats=["mp3", "flac"], seconds=3)
    app = build.app_in(venv)
    r = _run([build.venv_python(venv), "-c", "import musicmap_desktop, trainer; print(musicmap_desktop.__file__)"],
             cwd=tmp_path)  # not the checkout: nothing importable by accident
    assert r.stdout.startswith(str(venv))
    assert _run([app, "--version"], cwd=tmp_path).stdout.split() == ["musicmap-desktop", __version__]
    r = _run([app, "scan", tmp_path / "music", "--db", tmp_path / "cache.db", "--json", "--device", "cpu",
              "--workers", "1"], cwd=tmp_path, timeout=600)
    summary = json.loads(r.stdout)
    assert summary["new"] == 12 and summary["embedded"]["tracks"] == 12
    r = _run([app, "--evaluate", tmp_path / "music", "--db", tmp_path / "cache.db", "--min-tracks", "2",
              "--no-mfcc", "--json"], cwd=tmp_path, timeout=600)
    report = json.loads(r.stdout)
    assert report["albums"] == 6 and report["table"]
    assert all(row["n_tracks"] > 0 for row in report["table"].values())
    _run([app, "--install-desktop"], cwd=tmp_path, env={"XDG_DATA_HOME": str(tmp_path / "share")})
    share = tmp_path / "share"
    assert (share / "icons" / "hicolor" / "256x256" / "apps" / "io.github.musicmap.MusicmapDesktop.png").stat().st_size > 1000
    # The menu entry starts this venv's app, which is not on the desktop session's PATH.
    assert f"Exec={app} %f" in (share / "applications" / "io.github.musicmap.MusicmapDesktop.desktop").read_text()
