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
    assert summary["embedded"] == {"tracks": 4, "windows": 4}
    assert "windows/s" in stderr  # the embedding progress line


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
    assert json.loads(r.stdout)["embedded"] == {"tracks": 0, "windows": 0}
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
