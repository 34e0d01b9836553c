"""The headless CLI: scan, problems, exit codes, Ctrl-C and SIGKILL safety."""
import json
import shutil
import signal
import sqlite3
import subprocess
import sys

import pytest

from audio_factory import make_library, make_track
from paused_cli import start_paused
from musicmap_desktop import __version__
from musicmap_desktop.cli import main

CLI = [sys.executable, "-m", "musicmap_desktop"]


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "scan FOLDER" in out and "problems" in out and "--db" in out


def test_scan_json_summary_and_problems(tmp_path, capsys):
    make_library(tmp_path / "m", n_albums=1, tracks_per_album=3, formats=["mp3", "flac", "opus"])
    (tmp_path / "m" / "broken.ogg").write_bytes(b"OggS" + b"\x00" * 100)
    db = str(tmp_path / "c.db")
    assert main(["scan", str(tmp_path / "m"), "--db", db, "--json", "--no-embed"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["new"], summary["failed"]) == (4, 1)
    (reason, paths), = summary["failures"].items()
    assert paths == [str(tmp_path / "m" / "broken.ogg")] and reason
    assert main(["scan", str(tmp_path / "m"), "--db", db, "--no-embed"]) == 0
    out = capsys.readouterr().out
    assert "unchanged 3" in out and "+1 failed before" in out
    assert main(["problems", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "broken.ogg" in out and reason in out


def test_db_from_environment(tmp_path, monkeypatch, capsys):
    make_track(tmp_path / "m", "a", "wav")
    monkeypatch.setenv("MUSICMAP_DESKTOP_DB", str(tmp_path / "env.db"))
    assert main(["scan", str(tmp_path / "m"), "--no-embed"]) == 0
    assert (tmp_path / "env.db").exists()


def test_default_db_lives_in_user_data_dir(tmp_path, isolated_dirs):
    make_track(tmp_path / "m", "a", "wav")
    assert main(["scan", str(tmp_path / "m"), "--no-embed"]) == 0
    assert (isolated_dirs / "data" / "musicmap-desktop" / "library.sqlite3").exists()


@pytest.mark.parametrize("args, message", [
    (["scan", "/no/such/folder"], "not a folder: /no/such/folder"),
    (["scan", ".", "--db", "/proc/nope/x.db"], "cannot open cache database"),
])
def test_errors_are_one_line_without_traceback(args, message):
    r = subprocess.run(CLI + args, capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("musicmap-desktop: error:") and message in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def big_library(root, n):
    """n distinct small files, cheap to make: copies of one track with a unique tail."""
    seed = make_track(root / "seed", "seed", "wav", seconds=0.2)
    data = seed.read_bytes()
    shutil.rmtree(root / "seed")
    for i in range(n):
        d = root / f"album{i // 50:03d}"
        d.mkdir(parents=True, exist_ok=True)
        # RIFF ignores bytes after the data chunk; they make each fingerprint unique.
        (d / f"t{i:05d}.wav").write_bytes(data + i.to_bytes(4, "little"))


def track_count(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM tracks").fetchone()
    except sqlite3.OperationalError:
        return (0, 0)
    finally:
        con.close()


def check_resumes(root, db, n):
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    r = subprocess.run(CLI + ["scan", str(root), "--db", db, "--json", "--no-embed"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["new"] + summary["unchanged"] == n
    assert track_count(db) == (n, n)


@pytest.mark.parametrize("sig, code", [(signal.SIGKILL, -9), (signal.SIGINT, 130)])
def test_kill_or_ctrl_c_mid_scan_loses_nothing_and_resumes(tmp_path, sig, code):
    n = 600
    big_library(tmp_path / "m", n)
    db = str(tmp_path / "c.db")
    # Paused before reading the 300th file: 200 are committed (a batch), 99 more are not yet.
    proc, go = start_paused(tmp_path, "read", 300, ["scan", str(tmp_path / "m"), "--db", db, "--no-embed"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.send_signal(sig)
    if sig == signal.SIGINT:
        go.touch()  # Ctrl-C only asks: the scan stops after the file it is reading
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == code
    if sig == signal.SIGINT:
        assert "Scan cancelled" in out
        assert track_count(db)[0] == 300  # what was read before the stop is kept
    else:
        assert track_count(db)[0] == 200  # the committed batch; the rest is redone
    check_resumes(tmp_path / "m", db, n)


def test_two_scans_of_one_cache_at_once(tmp_path):
    """Issue 10, item 6: the second says clearly that another process is scanning (one line, exit
    2, nothing written by it); the first completes correctly; a scan after a kill -9 goes ahead."""
    n = 300
    big_library(tmp_path / "m", n)
    db = str(tmp_path / "c.db")
    proc, go = start_paused(tmp_path, "read", 250, ["scan", str(tmp_path / "m"), "--db", db, "--no-embed", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.run(CLI + ["scan", str(tmp_path / "m"), "--db", db, "--no-embed"], capture_output=True, text=True)
    assert second.returncode == 2, second.stderr
    assert len(second.stderr.strip().splitlines()) == 1 and "Traceback" not in second.stderr
    assert f"another musicmap process (pid {proc.pid}" in second.stderr and "is updating this cache" in second.stderr
    go.touch()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert json.loads(out)["new"] == n and track_count(db) == (n, n)
    # A scan killed while it holds the lock leaves none behind.
    (tmp_path / "go").unlink()
    (tmp_path / "ready").unlink()
    make_track(tmp_path / "m" / "new", "late", "wav")  # the one file this scan reads: it pauses there
    proc, _ = start_paused(tmp_path, "read", 1, ["scan", str(tmp_path / "m"), "--db", db, "--no-embed"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    check_resumes(tmp_path / "m", db, n + 1)


def test_scan_exclude_and_include_are_saved_with_the_library(tmp_path, capsys):
    """Issue 12, item 7: `scan --exclude DIR` (repeatable, saved), `--include DIR` undoes it."""
    make_track(tmp_path / "m" / "Music", "song", "wav", seed=1)
    make_track(tmp_path / "m" / "Audiobooks", "book", "wav", seed=2)
    make_track(tmp_path / "m" / "Samples", "kick", "wav", seed=3)
    db = str(tmp_path / "c.db")
    scan = ["scan", str(tmp_path / "m"), "--db", db, "--no-embed", "--json"]
    assert main(scan + ["--exclude", str(tmp_path / "m" / "Audiobooks"), "--exclude", str(tmp_path / "m" / "Samples")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["new"] == 1 and out["excluded_folders"] == [str(tmp_path / "m" / "Audiobooks"), str(tmp_path / "m" / "Samples")]
    assert main(scan) == 0  # saved: the next scan leaves them out too
    assert json.loads(capsys.readouterr().out)["unchanged"] == 1
    assert main(scan + ["--include", str(tmp_path / "m" / "Samples")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["new"] == 1 and out["excluded_folders"] == [str(tmp_path / "m" / "Audiobooks")]
    assert main(["scan", str(tmp_path / "m"), "--db", db, "--no-embed"]) == 0
    assert f"Excluded: {tmp_path / 'm' / 'Audiobooks'}" in capsys.readouterr().out


@pytest.mark.parametrize("flag, where, message", [
    ("--exclude", "elsewhere", "not a folder inside"),
    ("--exclude", "m/nope", "not a folder"),
    ("--include", "m/Music", "not excluded"),
])
def test_exclude_and_include_mistakes_are_one_line_errors(tmp_path, capsys, flag, where, message):
    make_track(tmp_path / "m" / "Music", "song", "wav")
    (tmp_path / "elsewhere").mkdir()
    assert main(["scan", str(tmp_path / "m"), "--db", str(tmp_path / "c.db"), "--no-embed", flag,
                 str(tmp_path / where)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
