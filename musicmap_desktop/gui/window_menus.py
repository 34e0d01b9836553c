"""The explorer window's menus (Library, Playlist, Playback, View) and their actions."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence


def build_menus(w) -> None:
    """The menu bar of MainWindow ``w``; its actions become attributes of ``w`` (tests and the
    toolbar use them)."""
    menu = w.library_menu = w.menuBar().addMenu("&Library")
    w.open_action = QAction("Open folder…", w, shortcut=QKeySequence.Open, triggered=w.welcome.choose)
    w.rescan_action = QAction("Rescan", w, shortcut=QKeySequence.Refresh, triggered=w.rescan)
    w.fresh_action = QAction("New layout", w, triggered=lambda: w.rescan(fresh=True))
    w.problems_action = QAction("Problems…", w, triggered=w.show_problems)
    w.excluded_action = QAction("Excluded folders…", w, triggered=w.show_excluded_folders)
    for a in (w.open_action, w.rescan_action, w.fresh_action, w.problems_action,
              w.excluded_action):
        menu.addAction(a)
    w.vectors_menu = menu.addMenu("Track vectors")
    w.vectors_menu.aboutToShow.connect(lambda: _fill_vectors_menu(w))
    menu.addSeparator()  # library settings (e.g. excluded folders) go above this line
    w.quit_action = QAction("Quit", w, triggered=w.close, menuRole=QAction.QuitRole)
    # Ctrl+Q everywhere: some platforms' standard Quit key is empty (Windows' scheme, offscreen).
    keys = [QKeySequence("Ctrl+Q")] + [k for k in QKeySequence.keyBindings(QKeySequence.Quit)
                                        if k != QKeySequence("Ctrl+Q")]
    w.quit_action.setShortcuts(keys)
    w.quit_action.setShortcutContext(Qt.ApplicationShortcut)
    menu.addAction(w.quit_action)
    _playlist_menu(w)
    _playback_menu(w)
    _view_menu(w)


def _playlist_menu(w) -> None:
    menu = w.menuBar().addMenu("&Playlist")
    for action in w.playlists.menu_actions():
        menu.addAction(action)
    menu.addSeparator()
    menu.addMenu(w.playlists.export_menu)


def _playback_menu(w) -> None:
    menu = w.menuBar().addMenu("P&layback")
    pb = w.playback
    for text, slot, key in (("Play/pause", w.player.toggle, Qt.Key_Space),
                            ("Next", pb.next, "Ctrl+Right"), ("Previous", pb.previous, "Ctrl+Left"),
                            ("Next similar", pb.next_similar, "Ctrl+N")):
        action = QAction(text, w, shortcut=key)
        action.triggered.connect(lambda _checked=False, slot=slot: slot())
        action.setShortcutContext(Qt.WindowShortcut)
        menu.addAction(action)
    w.play_pause_action = menu.actions()[0]


def _view_menu(w) -> None:
    view = w.view_menu = w.menuBar().addMenu("&View")
    w.fit_action = QAction("Fit to view", w, shortcut="Ctrl+0", triggered=w.map_view.fit_to_view)
    w.clear_action = QAction("Clear highlight and selection", w, shortcut=Qt.Key_Escape,
                                triggered=w.clear_marks)
    find = QAction("Find", w, shortcut=QKeySequence.Find, triggered=w.search.setFocus)
    for a in (w.fit_action, w.clear_action, find):
        view.addAction(a)
    view.addSeparator()
    for a in (w.map_view.labels_action, w.map_view.neighbours_action):
        view.addAction(a)
    view.addSeparator()
    for dock in w.docks:  # a closed panel comes back from here
        view.addAction(dock.toggleViewAction())
    view.addAction(w.toolbar.toggleViewAction())


def _fill_vectors_menu(w) -> None:
    """Rebuilt on every opening: a model retrained meanwhile is listed."""
    w.vectors_menu.clear()
    group = QActionGroup(w.vectors_menu)
    models = w.session.vector_models
    for label, choice in (models.choices() if models else []):
        action = QAction(label, w.vectors_menu, checkable=True,
                         checked=choice == w.session.vector_choice)
        action.triggered.connect(lambda _=False, c=choice: w.use_vectors(c))
        group.addAction(action)
        w.vectors_menu.addAction(action)
