"""Issue 10, item 7: a damaged cache is detected, said in one line with the way out, in the CLI
and in the window; the way out sets it aside, starts a new cache, and keeps the retrained models."""
import os

import pytest

from cache_factory import BACKBONE, MODEL, PLAN, TAGS, damaged_cache
from musicmap_desktop.cli import main
from musicmap_desktop.core.errors import CacheDamaged
from musicmap_desktop.core.store.db import cache_errors, open_db
from musicmap_desktop.system.paths import models_dir


def one_line(capsys):
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("command", [["scan", "{music}", "--no-embed"], ["problems"], ["export", "--format", "json"],
                                     ["--retrain"]])
def test_every_command_says_the_cache_is_damaged_and_the_way_out(tmp_path, capsys, command):
    db = damaged_cache(tmp_path)
    (tmp_path / "music").mkdir()
    before = db.read_bytes()
    args = [a.format(music=tmp_path / "music") for a in command]
    assert main(args + ["--db", str(db)]) == 2
    err = one_line(capsys)
    assert "is damaged" in err and f"--rebuild-cache --db {db}" in err and "Your music is not affected" in err
    assert db.read_bytes() == before  # nothing written into it


def test_rebuild_cache_sets_it_aside_keeps_the_models_and_a_new_scan_works(tmp_path, capsys, monkeypatch):
    db = damaged_cache(tmp_path)
    os.makedirs(models_dir())
    model = os.path.join(models_dir(), "album-0123.safetensors")
    open(model, "wb").write(b"a retrained model")
    monkeypatch.setattr("builtins.input", lambda q: (_ for _ in ()).throw(EOFError))
    assert main(["--rebuild-cache", "--db", str(db)]) == 1  # no one to say yes: nothing changes
    assert db.exists()
    assert main(["--rebuild-cache", "--yes", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    aside, = [p for p in tmp_path.iterdir() if ".damaged-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert str(aside) in out and not db.exists()
    assert open(model, "rb").read() == b"a retrained model"
    (tmp_path / "music").mkdir()
    assert main(["scan", str(tmp_path / "music"), "--no-embed", "--db", str(db)]) == 0
    assert main(["--rebuild-cache", "--db", str(db)]) == 0
    assert "is not damaged" in capsys.readouterr().out and db.exists()


def test_rebuild_cache_never_renames_a_file_that_is_no_sqlite_file(tmp_path, capsys):
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3" + bytes(1000))
    assert main(["--rebuild-cache", "--yes", "--db", str(song)]) == 2
    assert "nothing was changed" in one_line(capsys) and song.exists()


def test_damage_found_where_it_surfaces_is_the_cache_error(tmp_path):
    from musicmap_desktop.core.export import track_records

    db_path = damaged_cache(tmp_path)
    db = open_db(str(db_path))  # not checked: the damage surfaces where the windows are read
    with pytest.raises(CacheDamaged, match="is damaged"):
        with cache_errors(str(db_path)):
            track_records(db, None, BACKBONE, PLAN, MODEL, TAGS)
