"""Trainer fixtures: one generated audio library, scanned and embedded once per session,
and caches of synthetic window features (no audio) for the fast tests."""
import contextlib
import io
import json
from types import SimpleNamespace

import pytest

from audio_factory import make_album_library
from feature_factory import copy_db, gaussian_tracks, write_track
from musicmap_desktop.cli import main
from musicmap_desktop.core.store.db import open_db


@contextlib.contextmanager
def _private_home(base):
    # Session fixtures run before the per-test autouse isolation: give them their own.
    with pytest.MonkeyPatch.context() as mp:
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            mp.setenv(var, str(base / "home" / var.lower()))
        mp.delenv("MUSICMAP_DESKTOP_DB", raising=False)
        yield


@contextlib.contextmanager
def _one_thread():
    # Tiny batches gain nothing from threads, and on a busy 2-core machine torch's
    # 2 spinning threads made epochs 10-50x slower (see bench/retrain.py --threads).
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def one_torch_thread():
    with _one_thread():
        yield


def _quiet_main(args) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


@pytest.fixture(scope="session")
def album_library(tmp_path_factory):
    """24 audibly different albums x 6 tracks x 20 s, scanned and embedded (read-only: copy the db)."""
    base = tmp_path_factory.mktemp("album_library")
    root, db = base / "music", str(base / "cache.sqlite3")
    with _private_home(base), _one_thread():
        make_album_library(root)
        code, _ = _quiet_main(["scan", str(root), "--db", db, "--json"])
    assert code == 0
    return SimpleNamespace(root=str(root), db=db)


@pytest.fixture(scope="session")
def retrained(album_library, tmp_path_factory):
    """`--retrain --json` (the closed-form recipe, 5 folds by album artist) on a copy of the album
    library; its db and models folder."""
    base = tmp_path_factory.mktemp("retrained")
    db = copy_db(album_library.db, base / "cache.sqlite3")
    models = str(base / "models")
    with _private_home(base), _one_thread():
        code, out = _quiet_main(["--retrain", album_library.root, "--db", db, "--models-dir", models, "--json"])
    assert code == 0, out
    return SimpleNamespace(root=album_library.root, db=db, models=models, report=json.loads(out))


def default_names(a: int, k: int) -> tuple[str, str]:
    return f"Album {a}", f"Artist {a % 5}"


@pytest.fixture
def feature_cache(tmp_path):
    """make(n_albums, per_album) -> cache of synthetic features; names(a, k) -> (album, albumartist) tags."""
    def make(n_albums=12, per_album=5, seed=0, windows=6, names=default_names):
        root = tmp_path / "music"
        root.mkdir(exist_ok=True)
        db_path = str(tmp_path / "cache.sqlite3")
        db = open_db(db_path)
        for a, k, feats in gaussian_tracks(n_albums, per_album, windows, seed):
            album, artist = names(a, k)
            write_track(db, str(root / artist / album / f"{k:02d}.flac"), feats, album, artist, artist,
                        f"G{a % 3}", fingerprint=f"{seed:04d}{a:04d}{k:024d}")
        return SimpleNamespace(root=str(root), db_path=db_path, db=db, models=str(tmp_path / "models"))
    return make
