"""What the map draws over its points, checked on the rendered pixels: a ring on every selected
track, the ordered path with its step numbers, true-neighbour lines, the search match."""
import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from map_factory import blobs, colour_distance, drag, grid, shown_view
from musicmap_desktop.core.similarity import true_neighbours
from musicmap_desktop.gui.search_box import SearchBox


@pytest.fixture(params=[True, False], ids=["dark", "light"])
def view(qtbot, request):
    return shown_view(qtbot, dark=request.param, size=(640, 480))


def drawn_in(image, x, y, color, background, share=0.5) -> bool:
    """Is the pixel at (x, y), or one beside it, much nearer ``color`` than the background is
    (antialiased and translucent lines are a blend)?"""
    gap = colour_distance(QColor(background), QColor(color))
    return any(colour_distance(image.pixelColor(round(x) + dx, round(y) + dy), QColor(color)) < share * gap
               for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def ring_hits(view, index, radius, color, share=0.5) -> int:
    """How many of 16 points on a circle around track ``index`` are drawn in ``color``."""
    image = view.grab().toImage()
    at = view.canvas.mapTo(view, view.point_to_widget(index))
    return sum(drawn_in(image, at.x() + radius * math.cos(a), at.y() + radius * math.sin(a), color,
                        view.theme.background, share) for a in np.linspace(0, 2 * math.pi, 16, endpoint=False))


def line_at(view, x, y, color) -> bool:
    at = view.canvas.mapTo(view, QPoint(round(x), round(y)))
    return drawn_in(view.grab().toImage(), at.x(), at.y(), color, view.theme.background)


def between(view, a, b, t=0.5):
    pa, pb = view.point_to_widget(a), view.point_to_widget(b)
    return pa.x() + (pb.x() - pa.x()) * t, pa.y() + (pb.y() - pa.y()) * t


def test_a_lasso_selection_rings_every_track_and_a_click_keeps_the_rings(qtbot, view):
    view.set_data(grid())
    picked = [0, 1, 2, 5, 6, 7]  # the bottom left block of the grid
    pts = [view.point_to_widget(i) for i in picked]
    x0, x1 = min(p.x() for p in pts) - 20, max(p.x() for p in pts) + 20
    y0, y1 = min(p.y() for p in pts) - 20, max(p.y() for p in pts) + 20
    with qtbot.waitSignal(view.selection_changed, timeout=2000) as got:
        drag(qtbot, view.canvas, [QPoint(x0, y0), QPoint(x1, y0), QPoint(x1, y1), QPoint(x0, y1), QPoint(x0, y0 + 3)],
             Qt.ControlModifier)
    assert sorted(got.args[0]) == picked
    ring = view.theme.ring
    assert all(ring_hits(view, i, 5.5, ring) >= 6 for i in picked)  # not collapsed to one
    assert ring_hits(view, 23, 5.5, ring) <= 2  # not selected
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=view.point_to_widget(24))  # play another track
    assert all(ring_hits(view, i, 5.5, ring) >= 6 for i in picked)


def test_the_path_is_drawn_in_order_with_step_numbers_and_clears(qtbot, view):
    view.set_data(grid())
    path = [0, 6, 12, 13]
    color = view.theme.path
    view.set_path(path)
    for a, b in zip(path, path[1:]):
        assert line_at(view, *between(view, a, b), color)
    assert not line_at(view, *between(view, 0, 4), color)  # not a step
    image = view.grab().toImage()
    at = view.canvas.mapTo(view, view.point_to_widget(12))
    label = [image.pixelColor(at.x() + dx, at.y() - dy) for dx in range(6, 18) for dy in range(6, 18)]
    assert any(colour_distance(c, QColor(view.theme.text)) < 40 for c in label)  # the "3" beside step 3
    view.set_path([])
    assert not line_at(view, *between(view, 0, 6), color)


def test_n_draws_lines_to_the_true_neighbours_of_the_current_track(qtbot, view):
    data = grid()
    view.set_data(data)
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=view.point_to_widget(12))
    qtbot.keyClick(view.focusProxy(), Qt.Key_N)
    assert view.neighbours_action.isChecked()
    rows, _ = true_neighbours(data.vectors, 12, view.NEIGHBOURS)
    assert sorted(view.overlays.neighbours.tolist()) == sorted(rows.tolist())
    far = max(rows.tolist(), key=lambda r: np.hypot(*(data.xy[r] - data.xy[12])))
    assert all(line_at(view, *between(view, 12, far, t), view.theme.neighbours) for t in (0.3, 0.5, 0.7))
    qtbot.keyClick(view.focusProxy(), Qt.Key_Right)  # the lines follow the current track
    assert sorted(view.overlays.neighbours.tolist()) == sorted(true_neighbours(data.vectors, 13, 10)[0].tolist())
    qtbot.keyClick(view.focusProxy(), Qt.Key_N)
    assert len(view.overlays.neighbours) == 0


def test_search_enter_marks_the_match_it_centres_on(qtbot, view):
    data = blobs()
    view.set_data(data)
    box = SearchBox()
    qtbot.addWidget(box)
    box.set_data(data)
    box.search_changed.connect(view.highlight)
    box.activated.connect(view.center_on)
    box.cleared.connect(view.clear_highlight)
    with qtbot.waitSignal(box.search_changed, timeout=2000):
        qtbot.keyClicks(box, "song 30")
    qtbot.keyClick(box, Qt.Key_Return)
    found = view.theme.found
    assert ring_hits(view, 30, 3 + 10, found, 0.3) >= 8 and ring_hits(view, 29, 3 + 10, found, 0.3) <= 4
    at = view.point_to_widget(30)
    assert abs(at.x() - view.canvas.width() / 2) <= 2 and abs(at.y() - view.canvas.height() / 2) <= 2
    with qtbot.waitSignal(box.cleared, timeout=2000):
        qtbot.keyClick(box, Qt.Key_Escape)
    assert ring_hits(view, 30, 13, found, 0.3) <= 2
