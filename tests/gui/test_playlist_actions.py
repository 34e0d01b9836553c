"""Playlists in the real window: a path through several clicked tracks, "more like these" with
its diversity limits, "play next", and M3U export of each through the real file dialog."""
from collections import Counter

import pytest
from PySide6.QtCore import Qt

from musicmap_desktop.core.playlists import artist_key, album_key, more_like_these
from musicmap_desktop.core.similarity import path_through
from window_driver import (
    answer_file_dialog, box_select, choose, click_action, click_point, open_and_wait, started_with,
)

pytestmark = pytest.mark.no_qt_log  # Qt's audio thread logs; see test_player.py



def m3u_paths(path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


def export(qtbot, window, what: str, path) -> None:
    choose(qtbot, window, "Playlist", "Export M3U", what)
    answer_file_dialog(qtbot, str(path))


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key_Return)


def test_a_path_through_three_clicked_tracks_is_drawn_played_in_order_and_exported(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    mv, pl, pb = window.map_view, window.playlists, window.playback
    click_action(qtbot, window.toolbar, pl.path_mode)
    assert pl.path_mode.isChecked() and "Path mode" in window.play_status.text()
    a, b, c = 0, 31, 12
    with qtbot.assertNotEmitted(window.player.track_started, wait=200):
        click_point(qtbot, mv, a)  # in Path mode a click picks a point; it does not play
    for row in (b, c):
        with qtbot.waitSignal(pl.path_changed, timeout=30_000) as got:
            click_point(qtbot, mv, row)
    path = got.args[0]
    assert path == path_through(window.data.vectors, [a, b, c])
    assert path[0] == a and b in path and path[-1] == c and len(set(path)) == len(path)
    assert mv.overlays.path == path  # drawn on the map
    assert window.play_status.text().startswith(f"Path through 3 tracks: {len(path)} steps.")
    with started_with(qtbot, window, a):
        click_action(qtbot, window.toolbar, pl.play_path)
    assert [pb.row_of(i) for i in pb.queue.items] == path
    assert window.queue_panel.list.count() == len(path)
    export(qtbot, window, "Path…", tmp_path / "path.m3u8")
    assert m3u_paths(tmp_path / "path.m3u8") == [window.data.tracks[i].path for i in path]
    export(qtbot, window, "Queue…", tmp_path / "queue.m3u8")
    assert m3u_paths(tmp_path / "queue.m3u8") == [window.data.tracks[i].path for i in path]
    choose(qtbot, window, "Playlist", "Clear path")
    assert mv.overlays.path == []


def test_more_like_these_keeps_the_limits_and_never_repeats_a_seed(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    data, pl, pb = window.data, window.playlists, window.playback
    album_one = [i for i, t in enumerate(data.tracks) if t.album == "Album 1"]
    seeds = box_select(qtbot, window, album_one[:3])
    box = pl.more_box
    assert box.source.text() == f"From the selection ({len(seeds)} tracks)"
    type_into(qtbot, box.count, "6")
    type_into(qtbot, box.per_artist, "1")
    type_into(qtbot, box.per_album, "1")
    with qtbot.waitSignal(window.player.track_started, timeout=15_000):
        qtbot.mouseClick(box.play_button, Qt.LeftButton)
    rows = [pb.row_of(i) for i in pb.queue.items]
    assert rows == more_like_these(data.vectors, data.tracks, seeds, 6, 1, 1)
    assert 0 < len(rows) <= 4 and not set(rows) & set(seeds)  # four artists, one each; no seed again
    assert max(Counter(artist_key(data.tracks[r]) for r in rows).values()) == 1
    assert max(Counter(album_key(data.tracks[r]) for r in rows).values()) == 1
    export(qtbot, window, "More like these…", tmp_path / "more.m3u8")
    assert m3u_paths(tmp_path / "more.m3u8") == [data.tracks[r].path for r in rows]


def test_more_like_these_can_start_with_the_seeds_and_goes_to_the_queue(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    pl, pb = window.playlists, window.playback
    seeds = box_select(qtbot, window, [3, 4])
    box = pl.more_box
    type_into(qtbot, box.count, "5")
    type_into(qtbot, box.per_artist, "0")  # "no limit"
    type_into(qtbot, box.per_album, "0")
    assert box.per_artist.text() == box.per_album.text() == "no limit"
    qtbot.mouseClick(box.with_seeds, Qt.LeftButton)
    with qtbot.waitSignal(window.player.track_started, timeout=15_000):
        qtbot.mouseClick(box.play_button, Qt.LeftButton)
    rows = [pb.row_of(i) for i in pb.queue.items]
    assert rows[:len(seeds)] == seeds and len(rows) == len(seeds) + 5
    qtbot.mouseClick(box.queue_button, Qt.LeftButton)  # five more, like the selection, appended
    assert len(pb.queue) == len(seeds) + 10


def test_play_selection_next_puts_it_after_the_current_track(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    pb = window.playback
    with started_with(qtbot, window, 9):
        click_point(qtbot, window.map_view, 9)
    picked = box_select(qtbot, window, [20, 21])
    qtbot.mouseClick(window.queue_panel.play_next_button, Qt.LeftButton)
    assert [pb.row_of(i) for i in pb.queue.upcoming()] == picked
    assert pb.queue.current_item == window.data.tracks[9].id  # what plays goes on playing


def test_export_with_nothing_to_export_says_so_and_opens_no_dialog(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    choose(qtbot, window, "Playlist", "Export M3U", "Path…")
    assert window.play_status.text() == "Nothing to export: the path is empty."


def test_a_playlist_is_never_written_into_the_music_folder(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    box_select(qtbot, window, [1, 2])
    target = tmp_path / "music" / "mine.m3u8"
    export(qtbot, window, "Selection…", target)
    assert not target.exists() and "not written into the music folder" in window.play_status.text()
