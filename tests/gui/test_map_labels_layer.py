"""Names on the map: cluster names where their tracks are, readable at any zoom, album names as
you zoom in, never two on top of each other; "L" (Show labels) hides and shows them."""
import numpy as np
import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QApplication

from map_factory import albums_map, blobs, shown_view, wheel


@pytest.fixture
def view(qtbot):
    return shown_view(qtbot)


def screen_rects(view) -> list[QRectF]:
    """Where each shown label is drawn, in the canvas's pixels."""
    transform = view._plot.viewportTransform()
    return [item.deviceTransform(transform).mapRect(item.boundingRect()) for item in view.labels.items()]


def anchor_on_screen(view, text):
    item = next(i for i in view.labels.items() if i.text == text)
    return view._plot.mapFromScene(item.scenePos())


def test_cluster_names_sit_on_their_clusters_and_l_hides_them(qtbot, view):
    data = blobs()
    view.set_data(data)
    assert sorted(view.labels.texts()) == sorted(data.cluster_names)
    for item in view.labels.items():  # each name on a track of its own cluster
        c = data.cluster_names.index(item.text)
        members = data.xy[data.cluster == c]
        assert np.isclose(members, (item.pos().x(), item.pos().y()), atol=1e-5).all(1).any()
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=view.point_to_widget(0))  # the map has focus
    assert QApplication.focusWidget() is view.focusProxy()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_L)
    assert not view.labels_action.isChecked() and view.labels.items() == []
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_L)
    assert view.labels_action.isChecked() and len(view.labels.items()) == 3


def test_labels_keep_their_size_at_any_zoom_and_never_overlap(qtbot, view):
    data = albums_map(clusters=3, albums=4, per_album=6)
    view.set_data(data)
    sizes = None
    for _ in range(4):  # zoom in on the first cluster's name: it stays in view
        rects = screen_rects(view)
        assert rects, "some label is always shown"
        by_text = {item.text: (r.width(), r.height()) for item, r in zip(view.labels.items(), rects)}
        if sizes is not None:  # the same text is drawn the same size whatever the zoom
            for text in set(by_text) & set(sizes):
                assert np.allclose(by_text[text], sizes[text], atol=0.5)
        sizes = by_text
        for a in range(len(rects)):
            for b in range(a + 1, len(rects)):
                assert not rects[a].intersects(rects[b]), (view.labels.texts()[a], view.labels.texts()[b])
        wheel(view.canvas, anchor_on_screen(view, data.cluster_names[0]), 3)


def test_zooming_in_on_an_album_writes_its_name(qtbot, view):
    data = albums_map(clusters=3, albums=4, per_album=6)
    view.set_data(data)
    assert not any(t.startswith("Album") for t in view.labels.texts())  # the whole map: cluster names only
    for _ in range(6):
        wheel(view.canvas, view.point_to_widget(0), 2)
        if "Album 0" in view.labels.texts():
            break
    assert "Album 0" in view.labels.texts()
