"""The track side panel: tags, auto-tag timeline, similar tracks, open-folder."""
import os

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from musicmap_desktop.core.mapdata import MapData, TrackView
from musicmap_desktop.gui.track_panel import TagTimeline, TrackPanel, track_tooltip

TAGS = tuple(f"tag{k}" for k in range(50))


def library(n=15) -> MapData:
    tracks = [TrackView(i, f"/music/Artist {i}/Album/{i:02d} Song.flac", f"Song {i}", f"Artist {i}",
                        "Album", albumartist="Various", genres=["Rock", "Indie"], year=2001,
                        duration=125.4) for i in range(n)]
    rng = np.random.default_rng(0)
    return MapData(tracks, rng.normal(size=(n, 2)).astype(np.float32), np.eye(n, 4, dtype=np.float32),
                   np.zeros(n, np.int32), ["all"], TAGS, rng.uniform(size=(n, 50)).astype(np.float32))


@pytest.fixture
def panel(qtbot):
    opened = []
    p = TrackPanel(opener=opened.append)
    p.opened = opened
    qtbot.addWidget(p)
    p.resize(360, 600)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_shows_the_tracks_tags(panel):
    data = library()
    panel.show_track(data, 3)
    text = {k: label.text() for k, label in panel.labels.items()}
    assert text["title"] == "Song 3" and text["artist"] == "Artist 3" and text["album"] == "Album"
    assert text["albumartist"] == "Various" and text["genres"] == "Rock, Indie"
    assert text["year"] == "2001" and text["duration"] == "2:05"
    assert text["tags"].split(", ")[0] == TAGS[int(np.argmax(data.tag_probs[3]))]
    assert panel.path.text() == "/music/Artist 3/Album/03 Song.flac"


def _similar(panel, data):
    panel.set_similar(data, [(7, 0.97), (2, 0.91), (11, 0.85)] + [(k, 0.5) for k in range(9)])
    assert panel.similar.topLevelItemCount() == 10
    assert panel.similar.topLevelItem(0).text(0) == "Song 7 — Artist 7"


def test_enter_on_a_similar_track_requests_it(qtbot, panel):
    _similar(panel, library())
    panel.similar.setFocus()
    panel.similar.setCurrentItem(panel.similar.topLevelItem(1))
    with qtbot.waitSignal(panel.play_requested, timeout=1000) as blocker:
        qtbot.keyClick(panel.similar, Qt.Key_Return)
    assert blocker.args == [2]


def test_double_click_on_a_similar_track_requests_it(qtbot, panel):
    _similar(panel, library())
    item = panel.similar.topLevelItem(2)
    pos = panel.similar.visualItemRect(item).center()
    with qtbot.waitSignal(panel.play_requested, timeout=1000) as blocker:
        # Qt 6's QTest.mouseDClick sends only the DblClick event; a real double-click starts with
        # a press + release, and item views need that press.
        qtbot.mouseClick(panel.similar.viewport(), Qt.LeftButton, pos=pos)
        qtbot.mouseDClick(panel.similar.viewport(), Qt.LeftButton, pos=pos)
    assert blocker.args == [11]


def test_open_containing_folder_emits_and_opens_the_folder(qtbot, panel):
    assert not panel.open_button.isEnabled()
    panel.show_track(library(), 4)
    with qtbot.waitSignal(panel.open_folder_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel.open_button, Qt.LeftButton)
    folder = os.path.dirname(os.path.abspath("/music/Artist 4/Album/04 Song.flac"))
    assert blocker.args == [folder]
    assert [url.toLocalFile() for url in panel.opened] == [folder]


@pytest.mark.parametrize("windows", [1, 40])
def test_timeline_paints_for_one_and_many_windows(qtbot, panel, windows):
    rng = np.random.default_rng(windows)
    taggram = rng.uniform(0, 0.2, (windows, 50))
    taggram[:, 7] += 0.7  # tag7 dominates: it is the first row
    panel.set_taggram(taggram, TAGS, np.arange(windows) * 3.0)
    timeline = panel.timeline
    assert timeline._names[0] == "tag7" and len(timeline._names) == 5
    image = timeline.grab().toImage()
    assert not image.isNull()
    cell = timeline._cell(windows - 1, 0).center()
    assert image.pixelColor(cell) != image.pixelColor(timeline._cell(windows - 1, 4).center())
    QApplication.sendEvent(timeline, QHelpEvent(QEvent.ToolTip, cell, timeline.mapToGlobal(cell)))
    assert QToolTip.text().startswith("tag7: ")


def test_timeline_paints_empty(qtbot):
    timeline = TagTimeline()
    qtbot.addWidget(timeline)
    assert not timeline.grab().toImage().isNull()


def test_tooltip_text_escapes_and_lists_top_tags():
    data = library()
    data.tracks[0].title = "<b>Loud</b> & proud"
    data.tracks[0].top_tags = [("rock", 0.9), ("guitar", 0.8)]
    text = track_tooltip(data, 0)
    assert "&lt;b&gt;Loud&lt;/b&gt; &amp; proud" in text and "rock, guitar" in text and "2:05" in text


def test_clear_empties_everything(panel):
    panel.show_track(library(), 1)
    _similar(panel, library())
    panel.clear()
    assert panel.labels["title"].text() == "" and panel.similar.topLevelItemCount() == 0
    assert not panel.open_button.isEnabled() and panel.path.text() == ""
