"""Playback through the queue, in the real window: a selection plays track after track (the end
of each one moves the queue on), Next / Previous follow the queue, the rings and the status bar
stay true. Waits on the player's signals only, never polls it."""
import pytest
from PySide6.QtCore import Qt

from window_driver import box_select, click_action, click_point, open_and_wait, started_with

pytestmark = pytest.mark.no_qt_log  # Qt's audio thread logs; see test_player.py



def test_play_selection_plays_every_track_in_turn(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    mv, pb = window.map_view, window.playback
    picked = box_select(qtbot, window, range(len(window.data)))
    assert len(picked) == 32 and window.play_status.text() == "32 tracks selected"
    with started_with(qtbot, window, picked[0]):
        click_action(qtbot, window.toolbar, window.playlists.play_selection)
    assert [pb.row_of(i) for i in pb.queue.items] == picked
    with started_with(qtbot, window, picked[1]):  # the 4 s track ends: EndOfMedia moves the queue on
        pass
    assert window.play_status.text().startswith(
        f"Playing 2 of 32: {window.data.tracks[picked[1]].title} — {window.data.tracks[picked[1]].artist}")
    assert "32 tracks selected" in window.play_status.text()  # still selected, and said so after
    assert sorted(mv._selection.tolist()) == picked  # the rings did not collapse to the playing track
    assert mv._playing == picked[1]
    with started_with(qtbot, window, picked[2]):
        pass
    third = window.data.tracks[picked[2]]
    assert window.now_bar.title.text() == f"{third.title} — {third.artist}"


def test_next_and_previous_go_through_the_queue(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    picked = box_select(qtbot, window, range(len(window.data)))
    with started_with(qtbot, window, picked[0]):
        click_action(qtbot, window.toolbar, window.playlists.play_selection)
    bar = window.now_bar
    with started_with(qtbot, window, picked[1]):
        qtbot.mouseClick(bar.next_track_button, Qt.LeftButton)
    with started_with(qtbot, window, picked[2]):
        qtbot.keyClick(window, Qt.Key_Right, Qt.ControlModifier)  # Playback → Next
    with started_with(qtbot, window, picked[1]):
        qtbot.mouseClick(bar.previous_button, Qt.LeftButton)  # within 3 s of its start: the one before
    assert window.playback.queue.current == 1


def test_a_click_plays_now_and_the_queue_goes_on_after_it(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    picked = box_select(qtbot, window, range(len(window.data)))
    with started_with(qtbot, window, picked[0]):
        click_action(qtbot, window.toolbar, window.playlists.play_selection)
    with started_with(qtbot, window, 20):
        click_point(qtbot, window.map_view, 20)
    pb = window.playback
    assert [pb.row_of(i) for i in pb.queue.upcoming()] == picked[1:]
    assert window.play_status.text().startswith("Playing 2 of 33: ")
    with started_with(qtbot, window, picked[1]):  # after the clicked one, the queue goes on
        pass


def test_the_end_of_the_queue_stops_and_says_so(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    with started_with(qtbot, window, 5):
        click_point(qtbot, window.map_view, 5)
    assert window.play_status.text() == f"Playing: {window.data.tracks[5].title} — {window.data.tracks[5].artist}"
    with qtbot.waitSignal(window.player.track_finished, timeout=15_000):
        pass
    assert window.play_status.text() == "Played to the end of the queue."
    assert window.playback.queue.current is None


def test_a_missing_file_is_said_and_skipped(qtbot, window, tmp_path):
    import os

    open_and_wait(qtbot, window, tmp_path / "music")
    picked = box_select(qtbot, window, range(len(window.data)))
    os.remove(window.data.tracks[picked[1]].path)  # a drive that vanished, a file deleted meanwhile
    with started_with(qtbot, window, picked[0]):
        click_action(qtbot, window.toolbar, window.playlists.play_selection)
    with started_with(qtbot, window, picked[2]):
        qtbot.mouseClick(window.now_bar.next_track_button, Qt.LeftButton)
    assert window.playback.queue.current == 2
    assert window.play_status.text().startswith("Playing 3 of 32: ")
    assert f"File not found: {window.data.tracks[picked[1]].path} (skipped)" in window.play_status.text()
