"""Issue 10, item 8 and the error channel: every user error is one line and exit 2; anything
else is a bug, which keeps its traceback (stderr, the log) and gets a crash report, exit 1."""
import contextlib
import os
import subprocess
import sys

import pytest

from audio_factory import make_track
from musicmap_desktop.cli import main

CLI = [sys.executable, "-m", "musicmap_desktop"]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lib")
    make_track(tmp / "m", "a", "wav", seconds=1)
    db = str(tmp / "c.db")
    assert subprocess.run(CLI + ["scan", str(tmp / "m"), "--db", db, "--no-embed"], capture_output=True).returncode == 0
    return tmp, db


def one_line_error(args, capsys, *fragments):
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("musicmap-desktop") and "error:" in err
    for fragment in fragments:
        assert fragment in err
    return err


@pytest.mark.parametrize("args, fragment", [
    (["tags", "song.wav", "--top", "0"], "argument --top: expected a whole number >= 1"),
    (["tags", "song.wav", "--top", "-2"], "argument --top: expected a whole number >= 1"),
    (["scan", ".", "--workers", "0"], "argument --workers: expected a whole number >= 1"),
    (["scan", ".", "--workers", "-1"], "argument --workers: expected a whole number >= 1"),
    (["--retrain", "--epochs", "0"], "argument --epochs: expected a whole number >= 1"),
])
def test_wrong_numbers_are_one_line_errors(args, fragment, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and len(err.splitlines()) == 1 and fragment in err, err


def test_export_output_into_a_missing_folder_or_onto_a_folder(scanned, capsys, tmp_path):
    _, db = scanned
    one_line_error(["export", "--format", "json", "--output", str(tmp_path / "no" / "x.json"), "--db", db],
                   capsys, "does not exist")
    one_line_error(["export", "--format", "csv", "--output", str(tmp_path), "--db", db], capsys, "is a folder")


def test_missing_albums_file(scanned, capsys, tmp_path):
    _, db = scanned
    one_line_error(["--retrain", "--albums-file", str(tmp_path / "nope.txt"), "--db", db], capsys,
                   "--albums-file", "no such file")


@pytest.mark.parametrize("command", [["problems"], ["export", "--format", "json"], ["--evaluate"]])
def test_reading_commands_never_create_a_cache(command, capsys, tmp_path):
    missing = tmp_path / "MISSING.db"
    one_line_error(command + ["--db", str(missing)], capsys, "no cache at", str(missing))
    assert not missing.exists()


def test_unknown_model_and_missing_device(scanned, capsys):
    import torch

    tmp, db = scanned
    one_line_error(["scan", str(tmp / "m"), "--db", db, "--model", "album-zzzz"], capsys, "matches no model")
    if not torch.cuda.is_available():
        one_line_error(["scan", str(tmp / "m"), "--db", db, "--device", "cuda"], capsys, "no CUDA GPU")


@contextlib.contextmanager
def read_only(path):
    """The file cannot be written, even by root (an immutable file), else by a plain chmod."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("root, and this file system cannot make a file immutable")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        os.chmod(path, 0o444)
        try:
            yield
        finally:
            os.chmod(path, 0o644)


def test_read_only_cache_is_one_line(tmp_path, capsys):
    make_track(tmp_path / "m", "a", "wav", seconds=1)
    db = tmp_path / "c.db"
    assert main(["scan", str(tmp_path / "m"), "--db", str(db), "--no-embed"]) == 0
    make_track(tmp_path / "m", "b", "wav", seconds=1, seed=1)
    capsys.readouterr()
    with read_only(db):
        one_line_error(["scan", str(tmp_path / "m"), "--db", str(db), "--no-embed"], capsys,
                       "cannot write the cache", "read-only")
        assert main(["problems", "--db", str(db)]) == 0  # reading it still works
        assert "No problems" in capsys.readouterr().out


def test_a_bug_keeps_its_traceback_and_writes_a_crash_report(tmp_path, capsys, monkeypatch, isolated_dirs):
    from musicmap_desktop.cli import scan as scan_cli

    def broken(args):
        raise RuntimeError("a bug in the problems command")

    monkeypatch.setattr(scan_cli, "cmd_problems", broken)
    assert main(["problems", "--db", str(tmp_path / "c.db")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug in the problems command" in err and "crash report" in err
    logs = isolated_dirs / "state" / "musicmap-desktop" / "log"
    reports = list(logs.glob("crash-*.txt"))
    assert len(reports) == 1 and "a bug in the problems command" in reports[0].read_text()


def test_a_value_error_is_a_bug_not_a_user_error(tmp_path, capsys, monkeypatch):
    from musicmap_desktop.cli import scan as scan_cli

    monkeypatch.setattr(scan_cli, "cmd_problems", lambda args: int("not a number"))
    assert main(["problems", "--db", str(tmp_path / "c.db")]) == 1  # once printed as "error: invalid literal"
    assert "Traceback" in capsys.readouterr().err
