"""The side dock in the real window: the library overview before a track is chosen, then the
track with its cover art, ten most similar tracks with their scores, and why one is close."""
import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from musicmap_desktop.core.similarity import most_similar
from musicmap_desktop.core.why_close import why_close
from window_driver import click_point, open_and_wait

pytestmark = pytest.mark.no_qt_log  # clicks play tracks; Qt's audio thread logs


def test_before_a_selection_the_panel_shows_the_library(qtbot, window, tmp_path):
    (tmp_path / "music" / "broken.mp3").write_text("not audio at all")
    open_and_wait(qtbot, window, tmp_path / "music")
    side, lib = window.side, window.library_panel
    assert side.currentWidget() is lib
    assert lib.title.text() == "music"
    hours = sum(t.duration for t in window.data.tracks) / 3600
    assert lib.counts.text() == f"32 tracks · 4 albums · 4 artists · {hours:.1f} hours"
    qtbot.waitUntil(lambda: lib.analysed.text() == "Analysed: 32 of 32 tracks (100 %)", timeout=10_000)
    sizes = np.bincount(window.data.cluster)
    shown = [lib.clusters.item(i).text() for i in range(lib.clusters.count())]
    assert sorted(shown) == sorted(f"{n}  ({sizes[c]})" for c, n in enumerate(window.data.cluster_names))
    item = lib.clusters.item(0)
    qtbot.mouseClick(lib.clusters.viewport(), Qt.LeftButton, pos=lib.clusters.visualItemRect(item).center())
    cluster = item.data(Qt.UserRole)
    assert sorted(window.map_view._highlight.tolist()) == np.flatnonzero(window.data.cluster == cluster).tolist()
    assert lib.problems_button.isVisible() and lib.problems_button.text().startswith("1 problem")
    seen = []

    def close_dialog():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            return QTimer.singleShot(50, close_dialog)
        seen.append(dialog.tree.topLevelItem(0).text(0))
        dialog.reject()

    QTimer.singleShot(50, close_dialog)
    qtbot.mouseClick(lib.problems_button, Qt.LeftButton)
    assert seen and seen[0].endswith("broken.mp3")


def test_a_click_shows_the_track_and_escape_the_library_again(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    click_point(qtbot, window.map_view, 4)
    assert window.side.currentWidget() is window.panel
    assert window.panel.labels["title"].text() == window.data.tracks[4].title
    qtbot.keyClick(window.map_view.canvas, Qt.Key_Escape)
    assert window.side.currentWidget() is window.library_panel
    assert window.map_view._selection.tolist() == []
    click_point(qtbot, window.map_view, 6)
    qtbot.mouseClick(window.panel.back_button, Qt.LeftButton)
    assert window.side.currentWidget() is window.library_panel


def test_most_similar_shows_ten_rows_with_their_scores_whole(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    click_point(qtbot, window.map_view, 2)
    tree = window.panel.similar
    assert tree.topLevelItemCount() == 10
    view = tree.viewport().rect()
    header = tree.header()
    score_right = header.sectionViewportPosition(1) + header.sectionSize(1)
    expected = most_similar(window.data.vectors, 2, k=10)
    for k in range(10):
        item = tree.topLevelItem(k)
        assert view.contains(tree.visualItemRect(item)), k  # no row behind a scroll bar
        assert item.text(1) == f"{expected[k][1]:.2f}"
        assert tree.fontMetrics().horizontalAdvance(item.text(1)) < header.sectionSize(1)
    assert score_right <= view.width()  # the score column is not cut off


def test_choosing_a_similar_track_shows_why_it_is_close(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    i = 8
    click_point(qtbot, window.map_view, i)
    panel, tree = window.panel, window.panel.similar
    assert not panel.why.isVisible()
    item = tree.topLevelItem(1)
    j = item.data(0, Qt.UserRole)
    qtbot.mouseClick(tree.viewport(), Qt.LeftButton, pos=tree.visualItemRect(item).center())
    assert panel.why.isVisible()
    data = window.data
    expected = why_close(data, i, j, window.details(data.tracks[i].id), window.details(data.tracks[j].id))
    why = panel.why
    assert data.tracks[j].title in why.title.text()
    assert why.score.text().startswith(f"Similarity {expected.similarity:.2f}")
    assert [why.tags.topLevelItem(k).text(0) for k in range(len(expected.shared_tags))] == \
        [t.name for t in expected.shared_tags]
    if expected.shared_tags:
        t = expected.shared_tags[0]
        assert why.tags.topLevelItem(0).text(1) == f"{t.a:.2f}" and why.tags.topLevelItem(0).text(2) == f"{t.b:.2f}"
    assert expected.windows  # the cached windows are there: the best-matching ones are marked
    assert len(why.timeline_a.marks) == len(why.timeline_b.marks) == len(expected.windows)
    starts_a = window.details(data.tracks[i].id).starts * 256 / 16000
    assert starts_a[why.timeline_a.marks[0][0]] == pytest.approx(expected.windows[0].a_start, abs=0.01)
    image = why.timeline_a.grab().toImage()  # the mark is drawn
    rect = why.timeline_a.mark_rect(why.timeline_a.marks[0][0])
    assert image.pixelColor(rect.left() + 1, rect.center().y()).name() == "#ff3d00"
    qtbot.keyClick(tree, Qt.Key_Down)  # the arrow keys go through the list, the answer follows
    assert data.tracks[tree.currentItem().data(0, Qt.UserRole)].title in why.title.text()


def test_cover_art_from_the_album_folder_shows_in_the_panel(qtbot, window, tmp_path):
    from PIL import Image

    folder = tmp_path / "music" / "Artist 2" / "Album 2"
    Image.new("RGB", (600, 600), (200, 30, 40)).save(folder / "cover.jpg")
    with qtbot.waitSignal(window.session.covers_done, timeout=60_000):
        open_and_wait(qtbot, window, tmp_path / "music")
    row = next(i for i, t in enumerate(window.data.tracks) if t.album == "Album 2")
    click_point(qtbot, window.map_view, row)
    panel = window.panel
    assert panel.cover.isVisible() and panel.cover_path.endswith("-256.jpg")
    assert panel.cover.pixmap().width() == 192
    assert panel.cover.pixmap().toImage().pixelColor(96, 96).red() > 150
    assert window.map_view.cover_pixmaps.file(window.data.tracks[row].path) == panel.cover_path
    other = next(i for i, t in enumerate(window.data.tracks) if t.album == "Album 3")
    click_point(qtbot, window.map_view, other)
    assert not panel.cover.isVisible()  # no cover there: no empty frame either
