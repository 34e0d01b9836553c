"""The hover card: cover, title, artist, album, duration and top auto-tags of the point under
the mouse, staying while the mouse stays, following it from point to point."""
import html

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint

from map_factory import albums_map, blobs, cover_jpeg, shown_view, wheel
from musicmap_desktop.core.mapdata import MapData, TrackView
from musicmap_desktop.gui.hover_card import card_text


@pytest.fixture
def view(qtbot):
    return shown_view(qtbot)


def card_corner(view) -> QPoint:
    return view.card.geometry().topLeft()


def card_gap(view, index) -> int:
    """Pixels between track ``index`` on the map and the nearest edge of the card."""
    at, r = view.canvas.mapTo(view, view.point_to_widget(index)), view.card.geometry()
    return max(r.left() - at.x(), 0, at.x() - r.right()) + max(r.top() - at.y(), 0, at.y() - r.bottom())


def test_the_card_shows_the_cover_when_there_is_one(qtbot, view, tmp_path):
    data = albums_map()
    red = cover_jpeg(tmp_path / "red.jpg")
    view.set_cover_lookup(lambda path: red if "/album0/" in path else None)
    view.set_data(data)
    qtbot.mouseMove(view.canvas, view.point_to_widget(2))  # album 0: a cover
    assert view.card.isVisible() and view.card.cover.isVisible()
    image = view.card.cover.pixmap().toImage()
    assert image.pixelColor(image.width() // 2, image.height() // 2).red() > 200
    text = view.card.text.text()
    assert "Track 2" in text and "Artist 0" in text and "Album 0" in text and "1:42" in text
    top = data.top_tags(2, 3)
    assert all(f"{name} {p:.2f}" in text for name, p in top)
    qtbot.mouseMove(view.canvas, view.point_to_widget(30))  # album 3: none
    assert view.card.index == 30 and not view.card.cover.isVisible() and "Track 30" in view.card.text.text()


def test_the_card_follows_the_mouse_from_point_to_point_and_through_a_zoom(qtbot, view):
    view.set_data(blobs())
    qtbot.mouseMove(view.canvas, view.point_to_widget(3))
    first = card_corner(view)
    qtbot.mouseMove(view.canvas, view.point_to_widget(20))  # another blob
    assert view.card.index == 20 and card_corner(view) != first and card_gap(view, 20) <= 40
    at = view.point_to_widget(20)
    wheel(view.canvas, at, 2)  # zoom around the mouse: the point stays under it, so does the card
    assert view.card.isVisible() and view.card.index == 20
    assert card_gap(view, 20) <= 40  # beside its point, wherever the zoom moved it
    qtbot.wait(1500)
    assert view.card.isVisible()


def test_the_card_stays_inside_the_map_near_its_edges(qtbot, view):
    data = blobs()
    view.set_data(data)
    right = int(np.argmax(data.xy[:, 0]))
    qtbot.mouseMove(view.canvas, view.point_to_widget(right))
    assert view.card.isVisible() and view.rect().contains(view.card.geometry())


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60), st.floats(0, 1e7, allow_nan=False))
def test_card_text_escapes_whatever_the_tags_hold(title, artist, duration):
    t = TrackView(0, "/m/x.mp3", title, artist, "<i>Album</i>", duration=duration)
    data = MapData([t], np.zeros((1, 2), np.float32), np.ones((1, 2), np.float32), np.zeros(1, np.int32), ["c"])
    text = card_text(data, 0)
    assert html.escape(title or "(untitled)") in text and "&lt;i&gt;Album&lt;/i&gt;" in text
    assert "<script" not in text.replace(html.escape("<script"), "")
