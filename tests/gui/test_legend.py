"""The legend, driven by mouse and keyboard: highlight a group and clear it again, read why a
cluster has its name, open a cluster into its sub-clusters and come back."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from map_factory import albums_map
from musicmap_desktop.gui import colors
from musicmap_desktop.gui.legend import ALL, Legend
from musicmap_desktop.gui.map_view import MapView


@pytest.fixture
def pair(qtbot):
    window = QWidget()
    qtbot.addWidget(window)
    legend, view = Legend(), MapView()
    layout = QHBoxLayout(window)
    layout.addWidget(legend)
    layout.addWidget(view, 1)
    window.resize(1000, 600)
    window.show()
    qtbot.waitExposed(window)
    legend.bind(view)
    data = albums_map()
    view.set_data(data)
    yield legend, view, data
    window.close()  # (the fixture holds the window: its children live as long as the test)


def click_row(qtbot, legend, key, double=False):
    rect = legend.list.visualItemRect(legend.row_of(key))
    if double:
        qtbot.mouseClick(legend.list.viewport(), Qt.LeftButton, pos=rect.center())
        qtbot.mouseDClick(legend.list.viewport(), Qt.LeftButton, pos=rect.center())
        qtbot.mouseRelease(legend.list.viewport(), Qt.LeftButton, pos=rect.center())
    else:
        qtbot.mouseClick(legend.list.viewport(), Qt.LeftButton, pos=rect.center())


def dimmed(view) -> bool:
    return view._highlight is not None


def test_a_row_highlights_and_clicking_it_again_all_or_esc_clears(qtbot, pair):
    legend, view, data = pair
    key = view.coloring.entries[1].key
    click_row(qtbot, legend, key)
    assert sorted(view._highlight.tolist()) == view.coloring.members(key).tolist()
    with qtbot.waitSignal(view.highlight_cleared, timeout=1000):
        click_row(qtbot, legend, key)  # the same row again
    assert not dimmed(view)
    click_row(qtbot, legend, key)
    with qtbot.waitSignal(view.highlight_cleared, timeout=1000):
        click_row(qtbot, legend, ALL)
    click_row(qtbot, legend, key)
    with qtbot.waitSignal(view.highlight_cleared, timeout=1000):
        qtbot.keyClick(legend.list, Qt.Key_Escape)
    assert not dimmed(view)
    click_row(qtbot, legend, view.coloring.entries[0].key)  # cleared elsewhere (search, the map's Esc) …
    view.clear_highlight()
    click_row(qtbot, legend, view.coloring.entries[0].key)  # … the row highlights on the next click
    assert dimmed(view)


def test_each_cluster_row_says_why_it_has_its_name(pair):
    legend, view, data = pair
    for entry in view.coloring.entries:
        tip = legend.row_of(entry.key).toolTip()
        assert tip == data.cluster_info[entry.code].tooltip()
        assert "names a cluster" in tip  # the rule, stated


def test_double_click_opens_a_cluster_into_sub_clusters_and_back_returns(qtbot, pair):
    legend, view, data = pair
    before, written = view.view_box.viewRange(), view.labels.texts()
    entry = next(e for e in view.coloring.entries if e.code == 0)
    with qtbot.waitSignal(view.cluster_opened, timeout=20_000) as got:
        click_row(qtbot, legend, entry.key, double=True)
    assert got.args == [0] and view.opened_cluster == 0
    assert legend.title.text() == f"Inside “{data.cluster_names[0]}”" and legend.back.isVisible()
    names = [e.label for e in view.coloring.entries if e.code >= 0]
    assert sorted(n.split(" · ")[-1] for n in names) == ["Album 0", "Album 1", "Album 2"]  # its albums, by vectors
    assert set(names) <= set(view.labels.texts())  # written on the map
    outside = view.coloring.index[data.cluster != 0]
    assert set(view.coloring.colors[g] for g in set(outside.tolist())) == {colors.OTHER}
    assert all("of the cluster" in legend.row_of(e.key).toolTip() for e in view.coloring.entries if e.code >= 0)
    with qtbot.waitSignal(view.cluster_opened, timeout=1000) as got:
        qtbot.mouseClick(legend.back, Qt.LeftButton)
    assert got.args == [-1] and view.coloring.mode == "cluster" and view.coloring.opened is None
    assert not legend.back.isVisible() and view.labels.texts() == written
    assert view.view_box.viewRange() == before


def test_open_cluster_from_the_context_menu_and_esc_goes_back(qtbot, pair):
    legend, view, data = pair
    entry = next(e for e in view.coloring.entries if e.code == 1)
    rect = legend.list.visualItemRect(legend.row_of(entry.key))
    legend.list.customContextMenuRequested.emit(rect.center())  # what a right-click asks for
    menu = legend.context_menu
    qtbot.waitExposed(menu)
    action = next(a for a in menu.actions() if a.text() == "Open cluster")
    assert action.isEnabled()
    with qtbot.waitSignal(view.cluster_opened, timeout=20_000):
        qtbot.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(action).center())
    assert view.opened_cluster == 1
    legend.list.setFocus()
    with qtbot.waitSignal(view.cluster_opened, timeout=1000) as got:
        qtbot.keyClick(legend.list, Qt.Key_Escape)
    assert got.args == [-1]


def test_only_clusters_open(qtbot, pair):
    legend, view, data = pair
    view.set_color_mode("artist")
    legend.list.customContextMenuRequested.emit(legend.list.visualItemRect(legend.row_of(0)).center())
    assert not next(a for a in legend.context_menu.actions() if a.text() == "Open cluster").isEnabled()
    with qtbot.assertNotEmitted(view.cluster_opened, wait=300):
        click_row(qtbot, legend, 0, double=True)


def test_a_refresh_keeps_an_opened_cluster_open_and_where_the_user_looks(qtbot, pair):
    legend, view, data = pair
    with qtbot.waitSignal(view.cluster_opened, timeout=20_000):
        click_row(qtbot, legend, next(e.key for e in view.coloring.entries if e.code == 1), double=True)
    view.view_box.setRange(xRange=(10, 14), yRange=(-2, 2), padding=0)
    zoom = view.view_box.viewRange()
    with qtbot.waitSignal(view.cluster_opened, timeout=20_000,
                          check_params_cb=lambda c: c == 1):  # closed for the new data, opened again
        view.set_data(albums_map(seed=0), keep_view=True)  # a rescan finished
    assert view.opened_cluster == 1 and legend.back.isVisible()
    assert view.view_box.viewRange() == zoom
