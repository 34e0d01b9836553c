"""Drive the real window as a user does: click points on the map, choose menu items with the
mouse, type a file name into the real (non-native) file dialog. No pytest import: helpers only."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMenu


def click_point(qtbot, map_view, row: int, button=Qt.LeftButton, modifier=Qt.NoModifier) -> None:
    qtbot.mouseClick(map_view.canvas, button, modifier, pos=map_view.point_to_widget(row))


def _find_action(menu: QMenu, text: str):
    for action in menu.actions():
        if action.text().replace("&", "") == text:
            return action
    raise LookupError(f"no {text!r} in {[a.text() for a in menu.actions()]}")


def choose(qtbot, window, *path: str) -> None:
    """Open the menu bar's ``path[0]`` menu with a click, then walk to each item with the arrow
    keys (Right opens a submenu) and press Enter on the last, as a keyboard user does."""
    bar = window.menuBar()
    menu = next(a.menu() for a in bar.actions() if a.text().replace("&", "") == path[0])
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.actionGeometry(menu.menuAction()).center())
    qtbot.waitUntil(menu.isVisible, timeout=3000)
    for text in path[1:]:
        action = _find_action(menu, text)
        for _ in range(len(menu.actions()) + 1):
            if menu.activeAction() is action:
                break
            qtbot.keyClick(menu, Qt.Key_Down)
        assert menu.activeAction() is action, f"cannot reach {text!r} (disabled?)"
        if action.menu() is not None:
            qtbot.keyClick(menu, Qt.Key_Right)
            menu = action.menu()
            qtbot.waitUntil(menu.isVisible, timeout=3000)
        else:
            qtbot.keyClick(menu, Qt.Key_Return)


def answer_file_dialog(qtbot, path: str) -> str:
    """Type ``path`` into the file dialog that is open now and press Enter, as a user would;
    returns the dialog's title."""
    def dialog():
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: dialog() is not None, timeout=10_000)
    d = dialog()
    edit = d.findChild(QLineEdit, "fileNameEdit")
    qtbot.waitUntil(edit.isVisible, timeout=5000)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, path)
    title = d.windowTitle()
    for _ in range(5):  # Enter while the name completer's list is open picks from the list, as for a user
        popup = edit.completer().popup() if edit.completer() is not None else None
        if popup is not None and popup.isVisible():
            qtbot.keyClick(popup, Qt.Key_Escape)
        qtbot.keyClick(edit, Qt.Key_Return)
        try:
            qtbot.waitUntil(lambda: not d.isVisible(), timeout=1000)
            break
        except qtbot.TimeoutError:
            continue
    assert not d.isVisible(), "the file dialog did not take the name"
    return title


def drag_drop(list_widget, src_row: int, dst_row: int, below: bool = True) -> None:
    """Drop item ``src_row`` onto item ``dst_row`` (its lower half when ``below``), with the
    drag events Qt sends a list (Qt's own QDrag loop cannot run headless)."""
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

    vp = list_widget.viewport()
    start = list_widget.visualItemRect(list_widget.item(src_row)).center()
    QTest.mouseClick(vp, Qt.LeftButton, pos=start)  # a drag starts by pressing on the item
    rect = list_widget.visualItemRect(list_widget.item(dst_row))
    target = QPoint(rect.center().x(), rect.bottom() - 2 if below else rect.top() + 2)
    mime = list_widget.mimeData([list_widget.currentItem()])  # what Qt's drag would carry
    args = (Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, QDragEnterEvent(target, Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier))
    QApplication.sendEvent(vp, QDragMoveEvent(target, Qt.MoveAction, mime, Qt.LeftButton, Qt.NoModifier))
    QApplication.sendEvent(vp, QDropEvent(QPointF(target), *args))


def open_and_wait(qtbot, w, folder, rescan=True, timeout=120_000):
    with qtbot.waitSignal(w.session.finished, timeout=timeout):
        w.open_library(str(folder), rescan=rescan)
    if not rescan:  # the cached map first, then the background rescan
        with qtbot.waitSignal(w.session.finished, timeout=timeout):
            pass


def drag(qtbot, widget, points, modifier=Qt.NoModifier) -> None:
    """Press at the first point, move through the rest, release at the last."""
    qtbot.mousePress(widget, Qt.LeftButton, modifier, pos=points[0])
    for p in points[1:]:
        qtbot.mouseMove(widget, p)
    qtbot.mouseRelease(widget, Qt.LeftButton, modifier, pos=points[-1])


def pick(qtbot, combo, data) -> None:
    """Choose the entry of ``combo`` whose data is ``data`` with the keyboard."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_Home)
    while combo.currentData() != data:
        before = combo.currentIndex()
        qtbot.keyClick(combo, Qt.Key_Down)
        if combo.currentIndex() == before:
            raise LookupError(data)


def box_select(qtbot, window, rows) -> list[int]:
    """Drag a box (the toolbar's Box select mode) around the points of ``rows`` (and whatever
    else lies inside it); returns what the map reports selected. Pan mode again after."""
    map_view = window.map_view
    pick(qtbot, window.select_mode, "box")
    pts = [map_view.point_to_widget(r) for r in rows]
    x0, x1 = min(p.x() for p in pts) - 6, max(p.x() for p in pts) + 6
    y0, y1 = min(p.y() for p in pts) - 6, max(p.y() for p in pts) + 6
    x1, y1 = max(x1, x0 + 40), max(y1, y0 + 40)  # a drag long enough to be one, not a click
    steps = [QPoint(x0 + (x1 - x0) * k // 8, y0 + (y1 - y0) * k // 8) for k in range(9)]
    with qtbot.waitSignal(map_view.selection_changed, timeout=5000) as got:
        drag(qtbot, map_view.canvas, steps)
    pick(qtbot, window.select_mode, "pan")
    return list(got.args[0])


def click_action(qtbot, toolbar, action) -> None:
    """Click the toolbar button of ``action``."""
    button = toolbar.widgetForAction(action)
    qtbot.mouseClick(button, Qt.LeftButton)


def started_with(qtbot, window, row, timeout=15_000):
    """A waitSignal for the player starting the track at map row ``row``."""
    path = window.data.tracks[row].path
    return qtbot.waitSignal(window.player.track_started, timeout=timeout, check_params_cb=lambda p: p == path)


def scan_and_hear(root) -> None:
    """Scan ``root / "music"`` into ``root / "cache.db"`` and hear every track (once per fixture)."""
    from musicmap_desktop.core.embed import EmbedSettings, embed_library
    from musicmap_desktop.core.embed_pool import InProcess
    from musicmap_desktop.core.scan import scan
    from musicmap_desktop.core.store.db import open_db
    from musicmap_desktop.model.backbone import MusicnnBackbone

    db = open_db(str(root / "cache.db"))
    list(scan(str(root / "music"), db))
    list(embed_library(db, str(root / "music"), InProcess(MusicnnBackbone(device="cpu"), 0), EmbedSettings()))
    db.conn.close()
