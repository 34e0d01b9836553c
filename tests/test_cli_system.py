"""Housekeeping options: --paths, --reset (never music), --verbose and the rotating log file."""
import hashlib
import logging
import os

import pytest

from audio_factory import make_library
from musicmap_desktop.system import logs
from musicmap_desktop.cli import main
from musicmap_desktop.core.store.db import open_db


def _paths(capsys) -> dict[str, str]:
    assert main(["--paths"]) == 0
    return dict(line.split(None, 1) for line in capsys.readouterr().out.replace("log file", "log_file").splitlines())


def _digest(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_paths_follow_xdg(isolated_dirs, capsys):
    got = _paths(capsys)
    home = str(isolated_dirs)
    assert got["data"] == f"{home}/data/musicmap-desktop"
    assert got["database"] == f"{home}/data/musicmap-desktop/library.sqlite3"
    assert got["models"] == f"{home}/data/musicmap-desktop/models"
    assert got["cache"] == f"{home}/cache/musicmap-desktop"
    assert got["logs"] == f"{home}/state/musicmap-desktop/log"
    assert got["settings"] == f"{home}/config/musicmap/musicmap-desktop.conf"


def _fill_user_dirs(tmp_path, capsys):
    """A scanned library plus something in every location a reset clears."""
    make_library(tmp_path / "music", n_albums=1, tracks_per_album=3, formats=["flac", "mp3", "wav"])
    assert main(["scan", str(tmp_path / "music"), "--no-embed"]) == 0
    where = _paths(capsys)
    for folder in ("models", "cache", "logs"):
        os.makedirs(where[folder], exist_ok=True)
        with open(os.path.join(where[folder], "something"), "w") as f:
            f.write("x")
    os.makedirs(os.path.dirname(where["settings"]), exist_ok=True)
    with open(where["settings"], "w") as f:
        f.write("[library]\nlast_folder=x\n")
    return where


def test_reset_deletes_our_data_and_never_music(tmp_path, capsys, monkeypatch):
    where = _fill_user_dirs(tmp_path, capsys)
    before = _digest(tmp_path / "music")
    monkeypatch.setattr("builtins.input", lambda _: "n")
    assert main(["--reset"]) == 1  # declined: nothing gone
    assert "Nothing deleted" in capsys.readouterr().out and os.path.exists(where["database"])
    monkeypatch.setattr("builtins.input", lambda _: "y")
    assert main(["--reset"]) == 0
    out = capsys.readouterr().out
    for name in ("database", "models", "cache", "logs", "settings"):
        assert not os.path.exists(where[name]), name
        assert where[name] in out
    assert _digest(tmp_path / "music") == before and len(before) == 3
    assert main(["--reset", "--yes"]) == 0 and "Nothing to delete" in capsys.readouterr().out


def test_reset_keeps_a_folder_that_holds_a_library(tmp_path, capsys, isolated_dirs):
    # Music kept inside the cache folder (odd, but the cache folder is then not ours alone).
    music = isolated_dirs / "cache" / "musicmap-desktop" / "music"
    make_library(music, n_albums=1, tracks_per_album=2, formats=["wav"])
    assert main(["scan", str(music), "--no-embed"]) == 0
    before = _digest(music)
    assert main(["--reset", "--yes"]) == 0
    assert "keeping " + str(isolated_dirs / "cache" / "musicmap-desktop") in capsys.readouterr().out
    assert _digest(music) == before and not (isolated_dirs / "data" / "musicmap-desktop" / "library.sqlite3").exists()


def test_reset_never_deletes_a_db_path_that_is_not_a_database(tmp_path, capsys):
    song = make_library(tmp_path / "m", n_albums=1, tracks_per_album=1, formats=["mp3"])[0]["path"]
    assert main(["--reset", "--yes", "--db", str(song)]) == 0
    assert os.path.exists(song) and str(song) not in capsys.readouterr().out


def test_reset_without_an_answer_deletes_nothing(tmp_path, capsys, monkeypatch):
    where = _fill_user_dirs(tmp_path, capsys)

    def no_terminal(_):
        raise EOFError
    monkeypatch.setattr("builtins.input", no_terminal)
    assert main(["--reset"]) == 1 and os.path.exists(where["database"])


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for h in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(h)
        h.close()
    root.setLevel(level)


def test_log_file_levels_and_verbose_anywhere(tmp_path, capsys, restore_logging):
    assert main(["--paths"]) == 0
    assert not os.path.exists(logs.log_file())  # nothing logged, no file
    logging.getLogger("musicmap_desktop.test").info("an info line")
    logging.getLogger("musicmap_desktop.test").debug("a debug line")
    text = open(logs.log_file(), encoding="utf-8").read()
    assert "an info line" in text and "a debug line" not in text
    err = capsys.readouterr().err
    assert "an info line" not in err  # stderr: warnings only
    # --verbose after a subcommand is taken out before that command's parser sees it
    open_db(str(tmp_path / "c.db")).conn.close()  # problems reads a cache; it never creates one
    assert main(["problems", "--verbose", "--db", str(tmp_path / "c.db")]) == 0
    logging.getLogger("musicmap_desktop.test").debug("a verbose debug line")
    assert "a verbose debug line" in open(logs.log_file(), encoding="utf-8").read()
    assert sum(getattr(h, "musicmap", False) for h in logging.getLogger().handlers) == 2  # no pile-up


def test_log_file_rotates(restore_logging, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    logs.setup_logging()
    for i in range(200):
        logging.getLogger("musicmap_desktop.test").info("line %d %s", i, "x" * 40)
    files = sorted(os.listdir(os.path.dirname(logs.log_file())))
    assert files == ["musicmap-desktop.log"] + [f"musicmap-desktop.log.{i}" for i in (1, 2, 3)]
    assert all(os.path.getsize(os.path.join(os.path.dirname(logs.log_file()), f)) <= 2000 for f in files)
