"""Playback of real generated files. Waits on the player's signals only, never polls it."""
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtMultimedia import QMediaPlayer

from audio_factory import make_track
from musicmap_desktop.gui.player import NowPlayingBar, Player, mmss

PLAYING = QMediaPlayer.PlaybackState.PlayingState
PAUSED = QMediaPlayer.PlaybackState.PausedState


# Qt's FFmpeg audio thread logs warnings ("No audio device detected"); pytest-qt's Python log
# handler, called from that thread, crashed (SIGSEGV) or deadlocked on the GIL at test boundaries.
pytestmark = pytest.mark.no_qt_log


@pytest.fixture(scope="module")
def player(qapp):
    # One player for the module, as the app has one for its lifetime: creating and destroying
    # QMediaPlayers test after test hung now and then.
    return Player()


@pytest.fixture(autouse=True)
def _stopped(qtbot, player):
    yield
    if player.state() != QMediaPlayer.PlaybackState.StoppedState:
        with qtbot.waitSignal(player.state_changed, timeout=5000):
            player.stop()


@pytest.fixture(params=["wav", "mp3"])
def track(request, tmp_path):
    return str(make_track(tmp_path, "three", request.param, seconds=3.0, tags={"title": "Three"}))


def _play(qtbot, player, path):
    with qtbot.waitSignals([player.track_started, player.state_changed], timeout=10000,
                           check_params_cbs=[None, lambda s: s == PLAYING]) as blocker:
        player.play(path)
    return blocker


def test_play_reaches_playing_state_with_that_source(qtbot, player, track):
    with qtbot.waitSignal(player.track_started, timeout=10000) as started:
        _play(qtbot, player, track)
    assert started.args == [track]
    assert player.state() == PLAYING
    assert player.source() == track


def test_toggle_pauses_and_resumes(qtbot, player, track):
    _play(qtbot, player, track)
    with qtbot.waitSignal(player.state_changed, timeout=5000, check_params_cb=lambda s: s == PAUSED):
        player.toggle()
    with qtbot.waitSignal(player.state_changed, timeout=5000, check_params_cb=lambda s: s == PLAYING):
        player.toggle()


def test_playing_the_current_file_again_restarts_it(qtbot, player, tmp_path):
    path = str(make_track(tmp_path, "ten", "wav", seconds=10.0))
    _play(qtbot, player, path)
    with qtbot.waitSignal(player.position_changed, timeout=5000, check_params_cb=lambda ms: ms >= 1500):
        pass
    with qtbot.waitSignals([player.track_started, player.position_changed], timeout=5000,
                           check_params_cbs=[None, lambda ms: ms < 1000]):
        player.play(path)
    assert player.state() == PLAYING


def test_missing_file_is_an_error_signal_not_a_crash(qtbot, player, tmp_path):
    with qtbot.waitSignal(player.error, timeout=1000) as blocker:
        player.play(str(tmp_path / "gone.mp3"))
    assert "not found" in blocker.args[0]
    assert player.state() != PLAYING


def test_undecodable_file_is_an_error_signal(qtbot, player, tmp_path):
    junk = tmp_path / "junk.mp3"
    junk.write_text("no music here\n" * 200)
    with qtbot.assertNotEmitted(player.track_started, wait=100):
        with qtbot.waitSignal(player.error, timeout=10000) as blocker:
            player.play(str(junk))
    assert "junk.mp3" in blocker.args[0]


def test_bar_shows_elapsed_and_total_time(qtbot, player, track):
    bar = NowPlayingBar(player)
    qtbot.addWidget(bar)
    bar.set_track("Three", "Synth")
    assert bar.title.text() == "Three — Synth"
    with qtbot.waitSignal(player.position_changed, timeout=10000, check_params_cb=lambda ms: ms >= 1000):
        _play(qtbot, player, track)
    assert re.fullmatch(r"0:0[1-3] / 0:03", bar.time_label.text()), bar.time_label.text()
    assert bar.seek_slider.maximum() == pytest.approx(3000, abs=100)


def test_position_updates_do_not_fight_a_drag_and_release_seeks(qtbot, player, tmp_path):
    path = str(make_track(tmp_path, "ten", "wav", seconds=10.0))
    bar = NowPlayingBar(player)
    qtbot.addWidget(bar)
    _play(qtbot, player, path)
    bar.seek_slider.setSliderDown(True)  # the user holds the thumb …
    bar.seek_slider.setSliderPosition(7000)
    with qtbot.waitSignal(player.position_changed, timeout=5000):
        pass
    assert bar.seek_slider.value() == 7000  # … and playback progress does not move it
    with qtbot.waitSignal(player.position_changed, timeout=5000, check_params_cb=lambda ms: ms >= 6900):
        bar.seek_slider.setSliderDown(False)  # release: seek there


def test_bar_buttons(qtbot, player, track):
    bar = NowPlayingBar(player)
    qtbot.addWidget(bar)
    with qtbot.waitSignal(bar.next_similar_requested, timeout=1000):
        qtbot.mouseClick(bar.next_button, Qt.LeftButton)
    _play(qtbot, player, track)
    with qtbot.waitSignal(player.state_changed, timeout=5000, check_params_cb=lambda s: s == PAUSED):
        qtbot.mouseClick(bar.play_button, Qt.LeftButton)
    target = 30 if bar.volume_slider.value() != 30 else 40  # the module shares one player
    with qtbot.waitSignal(player.audio.volumeChanged, timeout=1000):
        bar.volume_slider.setValue(target)
    assert player.volume() == pytest.approx(target / 100, abs=0.01)


def test_mmss():
    assert [mmss(ms) for ms in (0, 2999, 3000, 61_500, -5)] == ["0:00", "0:02", "0:03", "1:01", "0:00"]
