"""The queue panel over the shared PlayQueue: drag to reorder, Delete removes, Ctrl+Up/Down
moves, double-click plays, and the list always shows the queue as it is."""
import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Signal

from musicmap_desktop.core.mapdata import MapData, TrackView
from musicmap_desktop.gui.playback import Playback
from musicmap_desktop.gui.queue_panel import QueuePanel
from window_driver import drag_drop


class FakePlayer(QObject):
    track_started = Signal(str)
    track_finished = Signal(str)
    error = Signal(str)

    def __init__(self):
        super().__init__()
        self.played = []

    def play(self, path):
        self.played.append(path)
        self.track_started.emit(path)

    def position(self):
        return 0

    def seek(self, ms):
        pass


class FakeMap:
    def __init__(self):
        self.playing = -1

    def set_playing(self, row):
        self.playing = row


def data(n=8) -> MapData:
    tracks = [TrackView(100 + i, f"/music/{i:02d}.flac", f"Song {i}", "Someone", "Album", duration=60.0)
              for i in range(n)]
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(n, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return MapData(tracks, rng.normal(size=(n, 2)).astype(np.float32), vectors, np.zeros(n, np.int32), ["all"])


@pytest.fixture
def panel(qtbot):
    player = FakePlayer()
    pb = Playback(None, player, FakeMap())
    pb.set_data(data())
    p = QueuePanel(pb)
    qtbot.addWidget(p)
    p.resize(320, 400)
    p.show()
    qtbot.waitExposed(p)
    pb.play_rows([0, 1, 2, 3, 4])
    return p


def titles(panel):
    return [panel.list.item(i).text() for i in range(panel.list.count())]


def test_the_list_shows_the_queue_with_the_current_track_marked(panel):
    assert titles(panel) == ["▶ 1. Song 0 — Someone", "2. Song 1 — Someone", "3. Song 2 — Someone",
                             "4. Song 3 — Someone", "5. Song 4 — Someone"]
    assert panel.summary.text() == "Up next: 4 tracks · 4:00"


def test_drag_reorders_the_queue(qtbot, panel):
    drag_drop(panel.list, 1, 3, below=True)  # "Song 1" dropped after "Song 3"
    assert [i - 100 for i in panel.queue.items] == [0, 2, 3, 1, 4]
    assert titles(panel)[3] == "4. Song 1 — Someone"
    drag_drop(panel.list, 4, 1, below=False)  # "Song 4" dropped before "Song 2"
    assert [i - 100 for i in panel.queue.items] == [0, 4, 2, 3, 1]
    assert panel.queue.current == 0  # what plays stays current


def test_delete_removes_and_ctrl_arrows_move(qtbot, panel):
    panel.list.setFocus()
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, pos=panel.list.visualItemRect(panel.list.item(2)).center())
    qtbot.keyClick(panel.list, Qt.Key_Delete)
    assert [i - 100 for i in panel.queue.items] == [0, 1, 3, 4]
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, pos=panel.list.visualItemRect(panel.list.item(1)).center())
    qtbot.keyClick(panel.list, Qt.Key_Down, Qt.ControlModifier)
    assert [i - 100 for i in panel.queue.items] == [0, 3, 1, 4]
    assert panel.list.currentRow() == 2  # the moved item stays chosen: Ctrl+Down again moves it on
    qtbot.keyClick(panel.list, Qt.Key_Down, Qt.ControlModifier)
    assert [i - 100 for i in panel.queue.items] == [0, 3, 4, 1]


def test_double_click_plays_that_item_and_the_queue_goes_on_from_there(qtbot, panel):
    pb = panel.playback
    pos = panel.list.visualItemRect(panel.list.item(3)).center()
    qtbot.mouseClick(panel.list.viewport(), Qt.LeftButton, pos=pos)
    qtbot.mouseDClick(panel.list.viewport(), Qt.LeftButton, pos=pos)
    assert pb.player.played[-1] == "/music/03.flac" and panel.queue.current == 3
    assert titles(panel)[3].startswith("▶ ")
    pb.player.track_finished.emit("/music/03.flac")  # the end of the track, as the player says it
    assert pb.player.played[-1] == "/music/04.flac"


def test_clear_keeps_what_plays(qtbot, panel):
    qtbot.mouseClick(panel.clear_button, Qt.LeftButton)
    assert panel.queue.items == [100] and panel.queue.current == 0
    assert panel.summary.text().startswith("Nothing after this track")  # not "nothing queued": one is
    qtbot.keyClick(panel.list, Qt.Key_Home)
    qtbot.keyClick(panel.list, Qt.Key_Delete)
    assert panel.queue.items == [] and panel.summary.text().startswith("Nothing queued")
