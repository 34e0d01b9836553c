"""The map, its colours, legend and search box, driven like a user would (pytest-qt)."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QToolTip

from map_factory import blobs, drag
from musicmap_desktop.gui import colors
from musicmap_desktop.gui.legend import Legend
from musicmap_desktop.gui.map_view import MapView
from musicmap_desktop.gui.search_box import SearchBox, matches

@pytest.fixture
def view(qtbot):
    v = MapView(dark=True)  # one look for the pixel tests; test_colors and test_map_overlays cover both
    qtbot.addWidget(v)
    v.resize(640, 480)
    v.show()
    qtbot.waitExposed(v)
    v.set_data(blobs())
    return v


def test_clicking_a_point_emits_its_index(qtbot, view):
    for i in (0, 5, 17, 30):
        with qtbot.waitSignal(view.clicked, timeout=2000) as blocker:
            qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=view.point_to_widget(i))
        assert blocker.args == [i]


def test_clicking_empty_space_emits_nothing(qtbot, view):
    with qtbot.assertNotEmitted(view.clicked):
        qtbot.mouseClick(view.canvas, Qt.LeftButton, pos=QPoint(3, 3))


def test_hover_emits_index_and_shows_a_card_that_stays(qtbot, view):
    with qtbot.waitSignal(view.hovered, timeout=2000) as blocker:
        qtbot.mouseMove(view.canvas, view.point_to_widget(7))
    assert blocker.args == [7]
    assert view.card.isVisible() and not QToolTip.isVisible()  # a card, not a tooltip (issue 12)
    text = view.card.text.text()
    assert "Song 7" in text and "Artist 2" in text and "Album 1" in text and "1:08" in text and "rock" in text
    qtbot.wait(1600)  # the tooltip it replaces vanished after about a second
    assert view.card.isVisible() and view.card.index == 7
    with qtbot.waitSignal(view.hovered, timeout=2000) as blocker:
        qtbot.mouseMove(view.canvas, QPoint(3, 3))
    assert blocker.args == [-1] and not view.card.isVisible()


def test_refresh_with_keep_view_keeps_the_users_zoom(view):
    view.view_box.setRange(xRange=(8, 12), yRange=(-2, 2), padding=0)
    before = view.view_box.viewRange()
    view.set_data(blobs(seed=1), keep_view=True)
    assert np.allclose(view.view_box.viewRange(), before)
    view.set_data(blobs(seed=1))  # a new map is fitted
    (x0, x1), _ = view.view_box.viewRange()
    assert x0 < -1 and x1 > 11


def test_center_on_pans_without_zooming(view):
    view.view_box.setRange(xRange=(0, 4), yRange=(0, 3), padding=0)
    width = np.diff(view.view_box.viewRange()[0])
    view.center_on(30)
    (x0, x1), (y0, y1) = view.view_box.viewRange()
    assert np.isclose(x1 - x0, width)
    assert np.allclose([(x0 + x1) / 2, (y0 + y1) / 2], view.data.xy[30], atol=1e-4)


def test_colour_modes_change_groups_and_legend(qtbot, view):
    legend = Legend()
    qtbot.addWidget(legend)
    view.coloring_changed.connect(legend.set_coloring)
    legend.set_coloring(view.coloring)
    assert view.color_group_count() == 3 and legend.labels()[0] == "rock blob  (12)"
    view.set_color_mode("artist")
    assert view.color_group_count() == 5 and len(legend.labels()) == 5
    view.set_color_mode("year")
    assert [e.label for e in view.coloring.entries] == ["1990", "1991", "1992"]
    view.set_color_mode("tag", "rock")
    assert view.coloring.continuous and view.color_group_count() == colors.TAG_BINS
    assert legend.title.text() == "Auto-tag “rock”"
    with pytest.raises(ValueError):
        view.set_color_mode("mood")
    assert view.coloring.mode == "tag"  # a bad mode changes nothing
    key = view.coloring.entries[2].key
    row = legend.row_of(key)
    with qtbot.waitSignal(legend.entry_clicked) as blocker:
        qtbot.mouseClick(legend.list.viewport(), Qt.LeftButton, pos=legend.list.visualItemRect(row).center())
    assert blocker.args == [key]


def test_switching_modes_reuses_scatter_items(view):
    # Items are pooled, never removed: add/remove churns pyqtgraph's signal connections.
    def cycle():
        for mode in ("album", "artist", "tag", "year", "cluster"):
            view.set_color_mode(mode, "rock")
            view.highlight([1, 2, 3])
            view.clear_highlight()
        return len(view.view_box.childGroup.childItems())

    assert cycle() == cycle() == cycle()


def test_every_colour_mode_is_one_registry_entry(qtbot, view):
    legend = Legend()
    qtbot.addWidget(legend)
    view.coloring_changed.connect(legend.set_coloring)
    names = [m.name for m in colors.COLOR_MODES]
    assert len(set(names)) == len(names) and colors.MODES == tuple(names)
    for mode in colors.COLOR_MODES:
        view.set_color_mode(mode.name, "rock")
        assert view.coloring.mode == mode.name
        assert view.coloring.continuous == (mode.legend == colors.RAMP)
        assert legend.title.text() == mode.legend_title("rock") and legend.title.text()
    with pytest.raises(ValueError, match="unknown colour mode"):
        colors.color_mode("mood")


def test_saved_colour_modes_read_by_name_or_by_their_old_position():
    assert colors.saved_mode_name("album") == "album"
    assert colors.saved_mode_name(4) == colors.saved_mode_name("4") == "year"  # 0.1.0 saved positions
    assert colors.saved_mode_name("mood") == colors.saved_mode_name(99) == colors.saved_mode_name(None) == "cluster"


def test_many_categories_get_top_n_colours_and_grey_other():
    data = blobs()
    c = colors.color_by(data, "album", top_n=4)  # 9 albums of 4 tracks
    assert len(c.colors) == 5 and c.colors[-1] == colors.OTHER
    assert c.entries[-1].label == "other (5 more)" and c.entries[-1].count == 20
    assert sum(e.count for e in c.entries) == len(data)
    assert len(set(colors.PALETTE)) == len(colors.PALETTE) >= 20


def _pixel(view, index):
    image = view.grab().toImage()
    return image.pixelColor(view.canvas.mapTo(view, view.point_to_widget(index)))


def test_highlight_dims_everything_but_the_matches(view):
    bright = {i: _pixel(view, i).lightness() for i in (20, 2, 30)}  # one point in each blob
    view.highlight([20])
    assert _pixel(view, 20).lightness() == bright[20]
    assert _pixel(view, 2).lightness() < 0.5 * bright[2] and _pixel(view, 30).lightness() < 0.5 * bright[30]
    view.clear_highlight()
    assert _pixel(view, 2).lightness() == bright[2]


def _corners(view, rows):
    pts = [view.point_to_widget(i) for i in rows]
    xs, ys = [p.x() for p in pts], [p.y() for p in pts]
    return QPoint(min(xs) - 8, min(ys) - 8), QPoint(max(xs) + 8, max(ys) + 8)


def test_shift_drag_box_selects_exactly_one_blob(qtbot, view):
    start, end = _corners(view, range(12, 24))
    before = view.view_box.viewRange()
    with qtbot.waitSignal(view.selection_changed, timeout=2000) as blocker:
        drag(qtbot, view.canvas, [start, (start + end) / 2, end], Qt.ShiftModifier)
    assert sorted(blocker.args[0]) == list(range(12, 24))
    assert view.view_box.viewRange() == before  # selecting did not pan


def test_lasso_mode_selects_inside_the_drawn_polygon(qtbot, view):
    view.set_select_mode("lasso")
    (x0, y0), (x1, y1) = [(p.x(), p.y()) for p in _corners(view, range(0, 12))]
    ring = [QPoint(x0, y0), QPoint(x1, y0), QPoint(x1, y1), QPoint(x0, y1), QPoint(x0, y0 + 2)]
    with qtbot.waitSignal(view.selection_changed, timeout=2000) as blocker:
        drag(qtbot, view.canvas, ring)
    assert sorted(blocker.args[0]) == list(range(12))


def test_plain_drag_pans_and_selects_nothing(qtbot, view):
    before = view.view_box.viewRange()
    with qtbot.assertNotEmitted(view.selection_changed):
        drag(qtbot, view.canvas, [QPoint(300, 200), QPoint(340, 220), QPoint(380, 240)])
    assert view.view_box.viewRange() != before


def test_selection_and_playing_rings_survive_a_refresh(view):
    view.set_selection([1, 2])
    view.set_playing(3)
    view.set_data(blobs(seed=2), keep_view=True)
    assert view._selection.tolist() == [1, 2] and view._playing == 3
    view.set_data(blobs(seed=2))
    assert view._selection.tolist() == [] and view._playing == -1


def test_search_matches_are_case_insensitive_substrings_including_cyrillic():
    data = blobs(per_blob=2)
    data.tracks[0].title, data.tracks[1].artist = "Червона Рута", "ДахаБраха"
    data.tracks[2].genres = ["Post-Rock"]
    assert matches(data, "червона") == [0]
    assert matches(data, "ДАХАБРАХА") == [1] and matches(data, "дахабр") == [1]
    assert matches(data, "post-rock") == [2]
    assert matches(data, "song 5") == [5] and matches(data, "SONG") == [1, 2, 3, 4, 5]
    assert matches(data, "song artist 4") == [4]  # every word must match
    assert matches(data, "   ") == [] and matches(data, "nothing like this") == []


def test_search_box_debounces_and_enter_activates_the_first_match(qtbot):
    box = SearchBox()
    qtbot.addWidget(box)
    box.set_data(blobs())
    emitted = []
    box.search_changed.connect(emitted.append)
    with qtbot.waitSignal(box.search_changed, timeout=1000):
        qtbot.keyClicks(box, "JAZ")
    qtbot.wait(SearchBox.DEBOUNCE_MS + 100)
    assert emitted == [list(range(12, 24))]  # one search for three keystrokes
    with qtbot.waitSignal(box.activated, timeout=1000) as blocker:
        qtbot.keyClick(box, Qt.Key_Return)
    assert blocker.args == [12]
    with qtbot.waitSignal(box.cleared, timeout=1000):
        qtbot.keyClick(box, Qt.Key_Escape)
    assert box.text() == ""
