"""Album identity (our documented choice: discs of one album are one album), album lists, selection."""
import os

import numpy as np
import pytest

from trainer.dataset import album_key, album_title, load_dataset, read_albums_file, select_albums

from feature_factory import BACKBONE, PLAN, write_track


@pytest.mark.parametrize("tagged", [
    "Album", "Album (Disc 1)", "Album [CD 2]", "Album - Disc 3", "ALBUM  (disc 1 of 2)", "Album {disk 2/2}",
    "Album CD2", "Album: Disc 4", "  album\t", "Ａｌｂｕｍ",  # fullwidth letters: NFKC folds them
])
def test_disc_markers_case_space_and_width_fold_into_one_title(tagged):
    assert album_title(tagged) == "album"


@pytest.mark.parametrize("tagged, title", [
    ("ABCD 2", "abcd 2"),  # "CD" inside a word is no disc marker
    ("Discovery", "discovery"), ("Vol. 2", "vol. 2"), ("Blink-182", "blink-182"),
    ("Album (Disc 1) (Remastered)", "album (disc 1) (remastered)"),  # only a trailing marker goes
    ("大神 (Disc 2)", "大神"), ("🎵 Beats", "🎵 beats"),
    ("CD 1", "cd 1"),  # nothing but a disc marker: it is the title, not an untagged album
])
def test_titles_that_must_keep_their_text(tagged, title):
    assert album_title(tagged) == title


def test_composed_and_combining_accents_are_one_album():
    assert album_key("Café", "Zoë", "/m/a/1.flac") == album_key("Cafe\u0301", "Zoe\u0308", "/m/b/2.flac")


def test_owner_of_an_album():
    # Same title, different album artists: two albums.
    assert album_key("Greatest Hits", "Queen", "/m/x/1.mp3") != album_key("Greatest Hits", "ABBA", "/m/x/2.mp3")
    # No album artist: the folder decides (a compilation in one folder is one album) ...
    assert album_key("Now 42", "", "/m/now/01.mp3") == album_key("Now 42", None, "/m/now/02.mp3")
    assert album_key("Now 42", "", "/m/now/01.mp3") != album_key("Now 42", "", "/m/other/01.mp3")
    # ... and disc folders under one album folder still make one album.
    assert album_key("X", "", "/m/X/CD1/01.mp3") == album_key("X (Disc 2)", "", "/m/X/cd 2/01.mp3")
    assert album_key("X", "", "/m/X/CD1/01.mp3") != album_key("X", "", "/m/Y/CD1/01.mp3")
    assert album_key("", "Queen", "/m/x/1.mp3") is None and album_key(None, "Queen", "/m/x/1.mp3") is None


def test_albums_file(tmp_path):
    path = tmp_path / "albums.txt"
    path.write_text("# mine\nAlbum 1\n\n+Café (Disc 2)\n-Album 3\n  - album 4  \n", encoding="utf-8")
    assert read_albums_file(str(path)) == ({"album 1", "café"}, {"album 3", "album 4"})


def _cache(feature_cache, tmp_path, tracks):
    """A cache holding ``tracks``: (relative path, album, albumartist, genre)."""
    lib = feature_cache(n_albums=0)
    rng = np.random.default_rng(0)
    for rel, album, albumartist, genre in tracks:
        path = os.path.normpath(tmp_path / "music" / rel)
        write_track(lib.db, path, rng.normal(size=(3, 200)), album, albumartist, albumartist or "Someone", genre)
    return lib


def test_discs_unicode_and_compilations_from_the_cache(feature_cache, tmp_path):
    tracks = [(f"Q/Album/d{d}/{k}.flac", f"Album (Disc {d})", "Quïet", "Rock") for d in (1, 2) for k in range(2)]
    tracks += [(f"j/{k}.flac", "大神 [CD 1]", "大神の楽団", "") for k in range(4)]
    tracks += [(f"comp/CD{d}/{k}.flac", "Now 🎵", "", "Pop") for d in (1, 2) for k in range(2)]
    tracks += [(f"few/{k}.flac", "Few", "Quïet", "Rock") for k in range(3)]
    tracks += [("untagged/1.flac", "", "Quïet", "Rock")]
    lib = _cache(feature_cache, tmp_path, tracks)
    data = load_dataset(lib.db, lib.root, BACKBONE, PLAN)
    assert len(data) == 15  # the untagged track is not labelled data
    assert sorted(data.album_names.values()) == [
        "Quïet — Album (Disc 1)", "Quïet — Few", "Someone — Now 🎵", "大神の楽団 — 大神 [CD 1]"]
    chosen = select_albums(data, min_tracks=4)  # "Few" (3 tracks) goes; each disc alone would too
    assert len(chosen) == 12 and len(set(chosen.albums)) == 3
    assert set(chosen.genres) == {"rock", "", "pop"} and "大神の楽団" in chosen.artists
    assert all(f.shape == (3, 200) and f.dtype == np.float16 for f in chosen.features)


def test_selection_by_albums_file_and_folder(feature_cache, tmp_path):
    tracks = [(f"{a}/{k}.flac", a, "X", "") for a in ("One", "Two", "Three") for k in range(4)]
    tracks += [(f"../elsewhere/{k}.flac", "One", "Y", "") for k in range(4)]
    lib = _cache(feature_cache, tmp_path, tracks)
    data = load_dataset(lib.db, lib.root, BACKBONE, PLAN)
    assert len(data) == 12  # only tracks under the folder
    assert len(load_dataset(lib.db, None, BACKBONE, PLAN)) == 16
    picked = select_albums(data, 4, include={"one", "two"}, exclude={"two"})
    assert {data.album_names[k] for k in set(picked.albums)} == {"X — One"}
    assert len(select_albums(data, 5)) == 0
