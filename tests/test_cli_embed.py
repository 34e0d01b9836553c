"""CLI with the model: scan embeds, `tags` prints a timeline, `export` writes every format."""
import csv
import io
import json
import signal
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from audio_factory import make_library, make_track
from paused_cli import start_paused
from musicmap_desktop.cli import main

CLI = [sys.executable, "-m", "musicmap_desktop"]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """A small library scanned and embedded once for the export tests."""
    tmp = tmp_path_factory.mktemp("lib")
    make_library(tmp / "m", n_albums=2, tracks_per_album=2, formats=["mp3", "flac", "m4a", "ogg"], seconds=4)
    db = str(tmp / "c.db")
    r = subprocess.run(CLI + ["scan", str(tmp / "m"), "--db", db, "--device", "cpu", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return tmp, db, json.loads(r.stdout), r.stderr


def test_scan_embeds_and_reports_it(embedded):
    _, _, summary, stderr = embedded
    assert summary["embedded"] == {"tracks": 4, "windows": 4, "failed": 0, "missing": 0, "failures": {}}
    assert "windows/s" in stderr  # the embedding progress line
    assert "Exception ignored" not in stderr  # the worker pool was closed before the interpreter shut down


def test_scan_and_export_choose_the_model_once_and_scan_closes_its_engine(tmp_path, monkeypatch, capsys):
    from musicmap_desktop.core import album_models, embed_pool

    chosen, closed = [], []
    real_choose, real_build = album_models.choose_model, embed_pool.build_engine
    monkeypatch.setattr(album_models, "choose_model", lambda *a: chosen.append(a) or real_choose(*a))

    def build(*args, **kwargs):
        engine = real_build(*args, **kwargs)
        engine.close = lambda close=engine.close: (closed.append(engine), close())
        return engine

    monkeypatch.setattr(embed_pool, "build_engine", build)
    make_track(tmp_path / "m", "a", "wav", seconds=4)
    db = str(tmp_path / "c.db")
    assert main(["scan", str(tmp_path / "m"), "--db", db, "--device", "cpu", "--workers", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["embedded"]["tracks"] == 1
    assert len(chosen) == 1 and len(closed) == 1  # its worker processes are gone with the scan
    assert main(["export", "--format", "json", "--db", db]) == 0
    assert len(chosen) == 2


_IMPORTS = "import sys; from musicmap_desktop.cli import main; rc = main(sys.argv[1:]); " \
           "print(rc, 'torch' in sys.modules, 'onnxruntime' in sys.modules, file=sys.stderr)"


def test_a_rescan_with_nothing_new_starts_no_engine(embedded):
    tmp, db, _, _ = embedded
    r = subprocess.run([sys.executable, "-c", _IMPORTS, "scan", str(tmp / "m"), "--db", db, "--json"],
                       capture_output=True, text=True)
    embedded = json.loads(r.stdout)["embedded"]
    assert (embedded["tracks"], embedded["windows"], embedded["failed"]) == (0, 0, 0)
    assert r.stderr.split()[-3:] == ["0", "False", "False"]  # device auto: not even torch to ask for a GPU


def test_a_named_device_that_is_not_there_stops_the_scan_before_it_starts(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    make_track(tmp_path / "m", "a", "wav", seconds=4)
    db = tmp_path / "c.db"
    r = subprocess.run(CLI + ["scan", str(tmp_path / "m"), "--db", str(db), "--device", "cuda"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no CUDA GPU" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not db.exists()  # nothing scanned: the error came first


def test_scan_network_full_runs_the_full_network(tmp_path, monkeypatch, capsys):
    from musicmap_desktop.core import embed_pool

    asked = []
    real_build = embed_pool.build_engine
    monkeypatch.setattr(embed_pool, "build_engine", lambda *a, **k: asked.append(k) or real_build(*a, **k))
    (tmp_path / "m").mkdir()
    for extra in ([], ["--network", "full"]):
        assert main(["scan", str(tmp_path / "m"), "--db", str(tmp_path / "c.db"), "--device", "cpu", *extra]) == 0
    assert [k["network"] for k in asked] == ["lean", "full"]


def test_no_embed_only_scans(tmp_path, capsys):
    make_track(tmp_path / "m", "a", "wav", seconds=4)
    assert main(["scan", str(tmp_path / "m"), "--db", str(tmp_path / "c.db"), "--no-embed"]) == 0
    assert "Embedded" not in capsys.readouterr().out
    assert sqlite3.connect(tmp_path / "c.db").execute("SELECT COUNT(*) FROM windows").fetchone()[0] == 0


def test_export_json_csv_npz(embedded, tmp_path, capsys):
    _, db, _, _ = embedded
    assert main(["export", "--format", "json", "--db", db]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == 4
    r = records[0]
    assert {"path", "title", "artist", "album", "genres", "top_tags", "vector"} <= set(r)
    probs = [p for _, p in r["top_tags"]]
    assert probs == sorted(probs, reverse=True) and len(probs) == 5
    assert abs(np.linalg.norm(r["vector"]) - 1) < 1e-5

    assert main(["export", "--format", "csv", "--output", str(tmp_path / "x.csv"), "--db", db]) == 0
    rows = list(csv.DictReader(open(tmp_path / "x.csv", encoding="utf-8")))
    assert [row["path"] for row in rows] == [r["path"] for r in records]
    assert np.allclose([float(x) for x in rows[0]["vector"].split()], r["vector"], atol=1e-6)

    assert main(["export", "--format", "npz", "--output", str(tmp_path / "x.npz"), "--db", db]) == 0
    z = np.load(tmp_path / "x.npz", allow_pickle=False)
    assert list(z["paths"]) == [r["path"] for r in records]
    assert np.allclose(z["vectors"][0], r["vector"], atol=1e-7)


def test_tags_prints_overall_and_per_window_timeline(tmp_path, capsys):
    path = make_track(tmp_path, "song", "flac", seconds=10, style=2)
    assert main(["tags", str(path), "--device", "cpu", "--top", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Top tags: ")
    assert out.count(",", 0, out.index("\n")) == 3
    timeline = [line for line in out.splitlines() if line.startswith("  0:")]
    assert [line.split()[0] for line in timeline] == ["0:00–0:03", "0:03–0:06", "0:06–0:09"]


@pytest.mark.parametrize("args, message", [
    (["tags", "/no/such.mp3"], "not a file"),
    (["scan", ".", "--windows", "0"], "expected a positive number or 'all'"),
])
def test_bad_arguments_are_one_line_errors(args, message):
    r = subprocess.run(CLI + args, capture_output=True, text=True)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_tags_on_a_broken_file_is_a_clear_error(tmp_path):
    (tmp_path / "x.mp3").write_text("not audio")
    r = subprocess.run(CLI + ["tags", str(tmp_path / "x.mp3")], capture_output=True, text=True)
    assert r.returncode == 2 and "cannot decode" in r.stderr and "Traceback" not in r.stderr


def test_killed_embedding_resumes_without_repeating(tmp_path):
    make_library(tmp_path / "m", n_albums=2, tracks_per_album=4, formats=["wav", "flac"], seconds=4)
    db = str(tmp_path / "c.db")
    # Paused before the 5th track is finished (each one commits): 4 are in the cache. No pipes:
    # a decoder worker that outlived its parent would keep them open.
    proc, _ = start_paused(tmp_path, "finish", 5, ["scan", str(tmp_path / "m"), "--db", db, "--device", "cpu",
                                                  "--workers", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    count = lambda: sqlite3.connect(db).execute("SELECT COUNT(*) FROM windows").fetchone()[0]  # noqa: E731
    assert count() == 4
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    r = subprocess.run(CLI + ["scan", str(tmp_path / "m"), "--db", db, "--device", "cpu", "--workers", "1", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["embedded"]["tracks"] == 8 - 4
    assert count() == 8


def test_decode_failures_are_in_the_summary_and_not_counted_as_embedded(tmp_path, capsys):
    """Issue 10, item 9."""
    make_track(tmp_path / "m", "good", "wav", seconds=4)
    bad = make_track(tmp_path / "m", "bad", "flac", seconds=4)
    data = bytearray(bad.read_bytes())
    data[200:] = bytes(len(data) - 200)  # header intact, audio frames gone
    bad.write_bytes(bytes(data))
    db = str(tmp_path / "c.db")
    assert main(["scan", str(tmp_path / "m"), "--db", db, "--device", "cpu", "--workers", "1", "--json"]) == 0
    embedded = json.loads(capsys.readouterr().out)["embedded"]
    assert (embedded["tracks"], embedded["failed"], embedded["missing"]) == (1, 1, 0)
    (reason, paths), = embedded["failures"].items()
    assert reason.startswith("cannot decode audio") and paths == [str(bad)]
    bad.write_bytes(bytes(data[:-1]))  # changed: read and heard again
    assert main(["scan", str(tmp_path / "m"), "--db", db, "--device", "cpu", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "Embedded 0 track(s), 0 windows; 1 could not be heard" in out and "bad.flac" in out


def test_folder_unplugged_mid_embedding_leaves_tracks_missing_and_they_are_heard_when_back(tmp_path):
    """Issue 10, item 5: the tracks not heard yet are missing, not failed, and a later scan hears them."""
    make_library(tmp_path / "m", n_albums=2, tracks_per_album=3, formats=["wav"], seconds=4)
    db = str(tmp_path / "c.db")
    args = ["scan", str(tmp_path / "m"), "--db", db, "--device", "cpu", "--workers", "1", "--json"]
    # Paused before the 2nd track is saved; then "Artist 2" (tracks 4-6) goes offline.
    proc, go = start_paused(tmp_path, "finish", 2, args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    (tmp_path / "m" / "Artist 2").rename(tmp_path / "offline")
    go.touch()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    embedded = json.loads(out)["embedded"]
    assert (embedded["tracks"], embedded["missing"], embedded["failed"]) == (3, 3, 0)
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM tracks WHERE status = 'ok'").fetchone()[0] == 6
    con.close()
    (tmp_path / "offline").rename(tmp_path / "m" / "Artist 2")
    r = subprocess.run(CLI + args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["unchanged"] == 6 and summary["embedded"]["tracks"] == 3


def test_export_writes_the_exact_path_of_a_non_utf8_name(tmp_path, capsys):
    """Issue 10, item 9: `path` is for people (U+FFFD); `path_bytes` finds the file."""
    import base64
    import os

    raw = os.path.join(os.fsencode(tmp_path / "m"), b"caf\xe9.wav")
    os.rename(make_track(tmp_path / "m", "x", "wav", seconds=1), raw)
    db = str(tmp_path / "c.db")
    assert main(["scan", str(tmp_path / "m"), "--db", db, "--no-embed"]) == 0
    capsys.readouterr()
    assert main(["export", "--format", "json", "--db", db]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["path"].endswith("caf\ufffd.wav") and base64.b64decode(record["path_bytes"]) == raw
    assert main(["export", "--format", "csv", "--output", str(tmp_path / "x.csv"), "--db", db]) == 0
    (row,) = list(csv.DictReader(open(tmp_path / "x.csv", encoding="utf-8")))
    assert os.path.exists(base64.b64decode(row["path_bytes"]))
    assert main(["export", "--format", "npz", "--output", str(tmp_path / "x.npz"), "--db", db]) == 0
    z = np.load(tmp_path / "x.npz", allow_pickle=False)
    assert z["path_bytes"].tolist() == [raw] and z["paths"].tolist() == [record["path"]]


def test_the_worker_pool_is_closed_when_embedding_fails(tmp_path, monkeypatch, capsys):
    """Issue 10, item 9: whatever ends the embedding, the engine's processes go with it."""
    from musicmap_desktop.core import embed, embed_pool
    from musicmap_desktop.core.errors import CacheBusy

    closed, real_build = [], embed_pool.build_engine

    def build(*args, **kwargs):
        engine = real_build(*args, **kwargs)
        engine.close = lambda close=engine.close: (closed.append(engine), close())
        return engine

    def busy(*args, **kwargs):
        raise CacheBusy("another musicmap process is updating this cache")
        yield

    monkeypatch.setattr(embed_pool, "build_engine", build)
    monkeypatch.setattr(embed, "embed_library", busy)
    make_track(tmp_path / "m", "a", "wav", seconds=4)
    assert main(["scan", str(tmp_path / "m"), "--db", str(tmp_path / "c.db"), "--device", "cpu", "--workers", "1"]) == 2
    assert len(closed) == 1 and "another musicmap process" in capsys.readouterr().err
