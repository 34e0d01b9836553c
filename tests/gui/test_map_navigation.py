"""The keyboard on the map: arrows move the current point to the nearest point that way, Enter
(or a double-click) plays it, Esc clears a highlight; the map keeps the focus it was given."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from map_factory import blobs, grid, shown_view
from musicmap_desktop.gui.map_navigation import CONE_DEG, DOWN, LEFT, OFF_AXIS, RIGHT, UP, step_towards
from musicmap_desktop.gui.map_view import MapView


def test_step_goes_to_the_nearest_point_straight_ahead_not_sideways():
    px = np.array([(0, 0), (10, 0), (8, 7), (0, -10), (-30, 1), (4, 30)], float)
    assert step_towards(px, 0, RIGHT) == 1
    assert step_towards(px, 0, UP) == 3  # y grows downwards on the screen
    assert step_towards(px, 0, LEFT) == 4
    assert step_towards(px, 0, DOWN) == 5  # (8, 7) is nearer but 41° off: straight ahead wins
    assert step_towards(px[:2], 1, RIGHT) == -1  # nothing that way
    assert step_towards(np.array([(0, 0), (0, 0), (5, 0)], float), 0, RIGHT) == 2  # a twin is skipped


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-500, 500), st.floats(-500, 500)), min_size=2, max_size=40),
       st.sampled_from([LEFT, RIGHT, UP, DOWN]))
def test_the_step_is_in_the_cone_and_no_point_there_scores_better(points, direction):
    px = np.array(points, float)
    got = step_towards(px, 0, direction)
    d = px - px[0]
    dist = np.hypot(d[:, 0], d[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (d @ np.array(direction)) / dist
    inside = (dist > 0.5) & (cos >= math.cos(math.radians(CONE_DEG)))
    if got < 0:
        assert not inside.any()
        return
    assert inside[got]
    score = dist * (1 + OFF_AXIS * (1 - cos))
    assert score[got] <= score[inside].min() + 1e-9


@pytest.fixture
def view(qtbot):
    return shown_view(qtbot, size=(640, 480), data=grid())


def test_arrows_move_the_current_point_and_enter_plays_it(qtbot, view):
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=view.point_to_widget(12))  # the middle of the grid
    keys = view.focusProxy()
    assert QApplication.focusWidget() is keys and view.current == 12
    for key, expected in ((Qt.Key_Right, 13), (Qt.Key_Up, 18), (Qt.Key_Left, 17), (Qt.Key_Down, 12),
                          (Qt.Key_Down, 7)):
        with qtbot.waitSignal(view.current_changed, timeout=1000) as got:
            qtbot.keyClick(keys, key)
        assert got.args == [expected] and view.current == expected
    assert view.card.isVisible() and view.card.index == 7  # the keyboard's point gets the card too
    before = view.view_box.viewRange()
    with qtbot.waitSignal(view.activated, timeout=1000) as got:
        qtbot.keyClick(keys, Qt.Key_Return)
    assert got.args == [7] and view.view_box.viewRange() == before  # keys never pan an in-view move


def test_at_the_edge_nothing_moves_and_the_first_press_picks_the_middle(qtbot, view):
    view.setFocus()
    with qtbot.waitSignal(view.current_changed, timeout=1000) as got:
        qtbot.keyClick(view.focusProxy(), Qt.Key_Left)  # nothing current yet: the point nearest the middle
    assert got.args == [12]
    for _ in range(2):
        qtbot.keyClick(view.focusProxy(), Qt.Key_Left)
    assert view.current == 10
    with qtbot.assertNotEmitted(view.current_changed):
        qtbot.keyClick(view.focusProxy(), Qt.Key_Left)  # the left edge of the grid


def test_a_move_off_screen_pans_to_the_new_point(qtbot, view):
    view.view_box.setRange(xRange=(-0.5, 1.5), yRange=(-0.5, 1.5), padding=0)  # zoomed on the corner
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=view.point_to_widget(1))
    qtbot.keyClick(view.focusProxy(), Qt.Key_Right)
    qtbot.keyClick(view.focusProxy(), Qt.Key_Right)
    assert view.current == 3
    at = view.point_to_widget(3)
    assert 0 <= at.x() <= view.canvas.width() and 0 <= at.y() <= view.canvas.height()


def test_double_click_plays(qtbot, view):
    at = view.point_to_widget(6)
    with qtbot.waitSignal(view.activated, timeout=2000) as got:
        # What a mouse sends: press, release, double-click (the second press), release.
        qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=at)
        qtbot.mouseDClick(view.canvas, Qt.LeftButton, pos=at)
        qtbot.mouseRelease(view.canvas, Qt.LeftButton, pos=at)
    assert got.args == [6]


def test_esc_clears_the_highlight_and_typing_elsewhere_keeps_its_keys(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    box, view = QLineEdit(), MapView()
    layout = QVBoxLayout(window)
    layout.addWidget(box)
    layout.addWidget(view)
    window.resize(640, 520)
    window.show()
    qtbot.waitExposed(window)
    view.set_data(blobs())
    view.highlight([1, 2, 3])
    qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=view.point_to_widget(2))
    with qtbot.waitSignal(view.highlight_cleared, timeout=1000):
        qtbot.keyClick(view.focusProxy(), Qt.Key_Escape)
    box.setFocus()
    qtbot.keyClicks(box, "ab")
    qtbot.keyClick(box, Qt.Key_Left)  # the line edit's cursor, not the map's point
    assert box.text() == "ab" and box.cursorPosition() == 1 and view.current == 2
    qtbot.keyClick(box, Qt.Key_L)  # the map's "L" shortcut only while the map has focus
    assert view.labels_action.isChecked() and box.text() == "alb"
