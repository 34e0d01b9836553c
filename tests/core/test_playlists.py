"""M3U export (exact text, UTF-8, atomic) and selecting map points by rectangle or lasso."""
import os

import numpy as np
import pytest

from musicmap_desktop.core import playlists
from musicmap_desktop.core.mapdata import TrackView
from musicmap_desktop.core.playlists import select_in_polygon, select_in_rect, write_m3u


def tv(path, title, artist, duration, albumartist=""):
    return TrackView(id=0, path=path, title=title, artist=artist, album="", albumartist=albumartist,
                     duration=duration)


def test_m3u_is_exact_extended_utf8(tmp_path):
    tracks = [
        tv("/music/Скорик/01 Мелодія.flac", "Мелодія", "Мирослав Скорик", 215.4),
        tv("/music/b.mp3", "Line\nbreak", "", 0.0, albumartist="Björk"),
        tv("/music/x/Track 3.ogg", "", "", -1.0),
    ]
    out = tmp_path / "list.m3u8"
    write_m3u(str(out), tracks)
    assert out.read_bytes().decode("utf-8") == (
        "#EXTM3U\n"
        "#EXTINF:215,Мирослав Скорик - Мелодія\n"
        "/music/Скорик/01 Мелодія.flac\n"
        "#EXTINF:-1,Björk - Line break\n"
        "/music/b.mp3\n"
        "#EXTINF:-1,Track 3\n"
        "/music/x/Track 3.ogg\n"
    )


def test_m3u_paths_are_absolute_and_non_utf8_names_keep_their_bytes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "l.m3u"
    write_m3u(str(out), [tv("rel/a.mp3", "A", "B", 1), tv(os.fsdecode(b"/m/\xff.mp3"), "C", "D", 2)])
    lines = out.read_bytes().split(b"\n")
    assert lines[2] == os.fsencode(str(tmp_path / "rel" / "a.mp3"))
    assert lines[4] == b"/m/\xff.mp3"


def test_m3u_write_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "keep.m3u8"
    out.write_text("old\n")

    def broken(tracks):
        raise RuntimeError("disk full")

    monkeypatch.setattr(playlists, "m3u_text", broken)
    with pytest.raises(RuntimeError):
        write_m3u(str(out), [tv("/a.mp3", "A", "B", 1)])
    assert out.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["keep.m3u8"]  # no temp file left behind


def test_empty_playlist(tmp_path):
    write_m3u(str(tmp_path / "e.m3u8"), [])
    assert (tmp_path / "e.m3u8").read_text() == "#EXTM3U\n"


def test_rect_selection_any_corner_order_edges_included():
    xy = np.array([[0, 0], [1, 1], [2, 2], [0.5, 1.5], [-1, 0]], np.float32)
    np.testing.assert_array_equal(select_in_rect(xy, 1, 2, 0, 0), [0, 1, 3])
    assert select_in_rect(xy, 5, 5, 6, 6).tolist() == []


def test_lasso_handles_concave_shapes():
    u_shape = [(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)]
    pts = np.array([[0.5, 2], [2.5, 2], [1.5, 0.5], [1.5, 2], [4, 1], [-1, 1], [1.5, 3.5]])
    assert select_in_polygon(pts, u_shape).tolist() == [0, 1, 2]  # (1.5, 2) sits in the notch
    assert select_in_polygon(pts, u_shape[:2]).tolist() == []


def test_lasso_matches_a_circle_on_many_points():
    rng = np.random.default_rng(0)
    xy = rng.uniform(-1, 1, (20000, 2)).astype(np.float32)
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    poly = np.c_[0.5 * np.cos(t) + 0.1, 0.5 * np.sin(t)]
    got = set(select_in_polygon(xy, poly).tolist())
    r = np.hypot(xy[:, 0] - 0.1, xy[:, 1])
    assert set(np.flatnonzero(r < 0.495).tolist()) <= got <= set(np.flatnonzero(r < 0.5).tolist())


def test_more_like_these_respects_the_diversity_limits_and_never_repeats_a_seed(tmp_path):
    from musicmap_desktop.core.layout import unit_rows

    rng = np.random.default_rng(0)
    x = unit_rows(rng.normal(size=(120, 16)))
    tracks = [TrackView(id=100 + i, path=f"/m/{i}.ogg", title=f"t{i}", artist=f"Artist {i % 6}",
                        album=f"Album {i % 12}", albumartist="", duration=60) for i in range(120)]
    tracks[7].artist = "Unknown artist"  # unknown artists are not one artist
    seeds = [0, 1, 2]
    got = playlists.more_like_these(x, tracks, seeds, n=10, per_artist=2, per_album=1)
    assert len(got) == 10 and len(set(got)) == 10 and not set(got) & set(seeds)
    artists = [playlists.artist_key(tracks[i]) for i in got if playlists.artist_key(tracks[i])]
    albums = [playlists.album_key(tracks[i]) for i in got]
    assert max(artists.count(a) for a in artists) <= 2 and len(albums) == len(set(albums))
    free = playlists.more_like_these(x, tracks, seeds, n=10)
    assert free[:3] == [int(r) for r in playlists.rank_like(x, seeds)[0][:3]]
    capped = playlists.more_like_these(x, tracks, seeds, n=50, per_artist=1)
    assert len(capped) == 7  # six artists one each, and the unknown one (no limit), then nothing
    write_m3u(str(tmp_path / "like.m3u8"), [tracks[i] for i in got])
    assert (tmp_path / "like.m3u8").read_text().count("#EXTINF") == 10


def test_diversify_limits_and_exclusions():
    tracks = [tv(f"/m/{i}.mp3", f"t{i}", "Same", 1) for i in range(5)]
    assert playlists.diversify(range(5), tracks, 3) == [0, 1, 2]
    assert playlists.diversify(range(5), tracks, 3, per_artist=1) == [0]
    assert playlists.diversify([4, 4, 3, 2], tracks, 3, exclude=[3]) == [4, 2]
