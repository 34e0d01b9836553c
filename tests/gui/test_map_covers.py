"""Cover art as the marker at high zoom: only the few points in view, only from the thumbnail
files the lookup names, a dozen new files per repaint at most."""
import numpy as np
import pytest

from map_factory import albums_map, colour_distance, cover_jpeg, pixel, shown_view, wheel
from musicmap_desktop.gui import map_covers
from PySide6.QtGui import QColor


@pytest.fixture
def view(qtbot):
    return shown_view(qtbot, dark=True)


def zoom_in_on(view, index, until=map_covers.MAX_VISIBLE):
    for _ in range(30):
        if len(view.cover_markers.in_view()) <= until:
            return
        wheel(view.canvas, view.point_to_widget(index), 2)
    raise AssertionError("could not zoom in far enough")


def test_covers_replace_the_dots_once_few_points_are_in_view(qtbot, view, tmp_path):
    data = albums_map(clusters=3, albums=4, per_album=8)  # 96 points: the whole map shows dots
    assert len(data) > map_covers.MAX_VISIBLE
    red = cover_jpeg(tmp_path / "red.jpg")
    view.set_cover_lookup(lambda path: red if "/album0/" in path else None)
    view.set_data(data)
    view.grab()
    assert view.cover_markers.drawn == []
    zoom_in_on(view, 0)
    qtbot.waitUntil(lambda: (view.grab(), sorted(view.cover_markers.drawn))[1] ==
                    sorted(i for i in view.cover_markers.in_view().tolist() if i < 8), timeout=3000)
    assert view.cover_markers.drawn  # album 0's covers, nobody else's
    at = view.point_to_widget(int(view.cover_markers.drawn[0]))
    assert colour_distance(pixel(view, at.x() + 8, at.y() + 8), QColor(220, 20, 20)) < 40  # the cover, 40 px wide


def test_a_repaint_reads_at_most_a_dozen_thumbnails_and_the_rest_follow(qtbot, view, tmp_path, monkeypatch):
    data = albums_map(clusters=1, albums=1, per_album=60)  # 60 tracks, each with its own cover file
    files = {t.path: cover_jpeg(tmp_path / f"{i}.jpg", (20, 20 + 3 * i, 200)) for i, t in enumerate(data.tracks)}
    reads = []
    real = map_covers.CoverPixmaps.load
    monkeypatch.setattr(map_covers.CoverPixmaps, "load", lambda self, path, side: (reads.append(path), real(self, path, side))[1])
    view.set_cover_lookup(files.get)
    view.set_data(data)
    reads.clear()
    view.grab()
    assert 0 < len(reads) <= map_covers.LOADS_PER_PAINT
    qtbot.waitUntil(lambda: len(view.cover_markers.drawn) == len(data), timeout=5000)  # the event loop brings the rest
    assert len(set(reads)) == len(reads) == len(data)  # each file read once, then cached


def test_thumbnails_made_later_appear_after_covers_updated(qtbot, view, tmp_path):
    data = albums_map(clusters=1, albums=1, per_album=10)
    made = {}
    view.set_cover_lookup(made.get)
    view.set_data(data)
    view.grab()
    assert view.cover_markers.drawn == []
    made.update({t.path: cover_jpeg(tmp_path / f"{i}.jpg") for i, t in enumerate(data.tracks)})  # the job ran
    view.grab()
    assert view.cover_markers.drawn == []  # a miss is remembered …
    view.covers_updated()  # … until the job says it made more
    qtbot.waitUntil(lambda: (view.grab(), len(view.cover_markers.drawn))[1] == len(data), timeout=3000)


def test_a_damaged_thumbnail_is_a_dot(qtbot, view, tmp_path):
    data = albums_map(clusters=1, albums=1, per_album=6)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg")
    view.set_cover_lookup(lambda path: str(bad))
    view.set_data(data)
    view.grab()
    assert view.cover_markers.drawn == [] and np.all(view.cover_markers.in_view() < len(data))
