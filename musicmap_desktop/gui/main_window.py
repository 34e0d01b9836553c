"""The explorer window: welcome view, then the map with player, panels and background jobs."""
from __future__ import annotations

import os

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QLabel, QMainWindow, QMessageBox, QProgressBar, QPushButton, QSpinBox,
    QStackedWidget, QToolBar,
)

from ..core.store.paths import display
from ..core.jobs import Phase, Progress
from ..core.mapdata import MapData, start_positions
from ..core.refresh import RefreshPlan
from ..core.text import format_duration, summary_text
from .colors import COLOR_MODES, color_mode, saved_mode_name
from .excluded_folders import ExcludedFoldersDialog
from .legend import Legend
from .map_view import MapView
from .playback import Playback
from .player import NowPlayingBar, Player
from .problems import ProblemsDialog
from .search_box import SearchBox
from .session import LibrarySession
from .track_panel import TrackPanel
from .welcome import WelcomeView, dropped_folder

COLOR_MODE_KEY = "view/color_mode"  # saved by name (colors.saved_mode_name reads older positions)


class MainWindow(QMainWindow):
    def __init__(self, session: LibrarySession, settings: QSettings, music_dir: str, details) -> None:
        super().__init__()
        self.session, self.settings, self.details = session, settings, details
        self.folder: str | None = None
        self.data: MapData | None = None
        self._refresh_after_load = False
        self.setWindowTitle("musicmap")
        self.setAcceptDrops(True)
        self.player = Player(self, volume=float(settings.value("player/volume", 0.8)))
        self.map_view, self.legend, self.panel = MapView(), Legend(), TrackPanel()
        self.welcome = WelcomeView(music_dir)
        self.playback = Playback(self, self.player, self.map_view, self.panel, details)
        self._build()
        self._connect()
        self.restoreGeometry(settings.value("window/geometry", b""))
        self.restoreState(settings.value("window/state", b""))
        self._restore_color_mode()

    # ---- construction -------------------------------------------------------------
    def _build(self) -> None:
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.map_view)
        self.setCentralWidget(self.stack)
        self.now_bar = NowPlayingBar(self.player)
        self._dock("Now playing", self.now_bar, Qt.BottomDockWidgetArea)
        self._dock("Track", self.panel, Qt.RightDockWidgetArea)
        self._dock("Legend", self.legend, Qt.LeftDockWidgetArea)
        self._build_toolbar()
        self._build_status()
        self._build_menu()

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_toolbar(self) -> None:
        bar = QToolBar("Map")
        bar.setObjectName("map-toolbar")
        self.addToolBar(bar)
        self.search = SearchBox()
        self.search.setPlaceholderText("Search title, artist, album, genre (Ctrl+F)")
        self.color_mode = QComboBox()
        for mode in COLOR_MODES:
            self.color_mode.addItem(f"Colour: {mode.label}", mode.name)
        self.tag_choice = QComboBox()
        self.tag_choice.setVisible(False)
        self.k_spin = QSpinBox(minimum=0, maximum=60, specialValueText="auto", prefix="Clusters: ")
        self.k_spin.setValue(int(self.settings.value("view/k", 0)))
        self.select_mode = QComboBox()
        for label, mode in (("Pan", "pan"), ("Box select", "box"), ("Lasso select", "lasso")):
            self.select_mode.addItem(label, mode)
        for w in (self.search, self.color_mode, self.tag_choice, self.k_spin, self.select_mode):
            bar.addWidget(w)
        for action in self.playback.actions():
            bar.addAction(action)

    def _build_status(self) -> None:
        self.progress_bar = QProgressBar(maximumWidth=240)
        self.status_label = QLabel()
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.cancel_button)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&Library")
        self.open_action = QAction("Open folder…", self, shortcut=QKeySequence.Open, triggered=self.welcome.choose)
        self.rescan_action = QAction("Rescan", self, shortcut=QKeySequence.Refresh, triggered=self.rescan)
        self.fresh_action = QAction("New layout", self, triggered=lambda: self.rescan(fresh=True))
        self.problems_action = QAction("Problems…", self, triggered=self.show_problems)
        self.excluded_action = QAction("Excluded folders…", self, triggered=self.show_excluded_folders)
        for a in (self.open_action, self.rescan_action, self.fresh_action, self.problems_action,
                  self.excluded_action):
            menu.addAction(a)
        self.vectors_menu = menu.addMenu("Track vectors")
        self.vectors_menu.aboutToShow.connect(self._fill_vectors_menu)
        view = self.menuBar().addMenu("&View")
        self.fit_action = QAction("Fit to view", self, shortcut="Ctrl+0", triggered=self.map_view.fit_to_view)
        view.addAction(self.fit_action)
        find = QAction("Find", self, shortcut=QKeySequence.Find, triggered=self.search.setFocus)
        space = QAction("Play/pause", self, shortcut=Qt.Key_Space, triggered=self.player.toggle)
        space.setShortcutContext(Qt.WindowShortcut)
        for a in (find, space):
            self.addAction(a)

    def _fill_vectors_menu(self) -> None:
        """Rebuilt on every opening: a model retrained meanwhile is listed."""
        self.vectors_menu.clear()
        group = QActionGroup(self.vectors_menu)
        models = self.session.vector_models
        for label, choice in (models.choices() if models else []):
            action = QAction(label, self.vectors_menu, checkable=True,
                             checked=choice == self.session.vector_choice)
            action.triggered.connect(lambda _=False, c=choice: self.use_vectors(c))
            group.addAction(action)
            self.vectors_menu.addAction(action)

    def use_vectors(self, choice: str) -> None:
        """Draw the map from another album model's vectors; the points move to their new places."""
        self.session.vector_choice = choice
        self.settings.setValue("model/choice", choice)
        if not self.folder:
            return
        plan = self.plan(scan=False)
        if plan.vectors is not None and plan.vectors.backbone_top:
            # A fine-tuned backbone hears the library again first (windows it has not made yet).
            self._set_busy("Analysing the audio with the fine-tuned backbone…")
            self.session.refresh(plan)
        else:
            self._set_busy("Computing track vectors…")
            self.session.load_map(plan)

    def _connect(self) -> None:
        s = self.session
        s.progress.connect(self._on_progress)
        s.scan_finished.connect(lambda summary: self.status_label.setText(summary_text(summary).splitlines()[1].strip()))
        s.map_ready.connect(self.show_map)
        s.finished.connect(self._on_finished)
        s.failed.connect(self._set_idle)  # the user's error as is; a bug names its crash report
        self.cancel_button.clicked.connect(self.session.cancel)
        self.now_bar.next_similar_requested.connect(self.playback.play_next_similar)
        self.welcome.folder_chosen.connect(self.open_library)
        self.legend.bind(self.map_view)  # colours, highlight and clearing it, open cluster and back
        self.search.search_changed.connect(self.map_view.highlight)
        self.search.cleared.connect(self.map_view.clear_highlight)
        self.search.activated.connect(self.map_view.center_on)
        self.color_mode.currentIndexChanged.connect(self._apply_color_mode)
        self.tag_choice.currentIndexChanged.connect(self._apply_color_mode)
        self.k_spin.editingFinished.connect(self.rescan)
        self.select_mode.currentIndexChanged.connect(
            lambda: self.map_view.set_select_mode(self.select_mode.currentData()))

    # ---- library ------------------------------------------------------------------
    def plan(self, **kw) -> RefreshPlan:
        k = self.k_spin.value() or None
        return RefreshPlan(self.folder, k=k, vectors=self.session.vectors(), **kw)

    def open_library(self, folder: str, rescan: bool = True) -> None:
        self.folder = os.path.abspath(folder)
        self.settings.setValue("library/last_folder", self.folder)
        self.setWindowTitle(f"musicmap — {display(self.folder)}")
        self.data = None
        self.stack.setCurrentWidget(self.map_view)
        if not os.path.isdir(self.folder):
            self._set_idle("This folder does not exist any more. Open another with Ctrl+O.")
            return
        if rescan:
            self._set_busy("Scanning…")
            self.session.refresh(self.plan())
        else:  # the map from the cache first, then a rescan of what changed
            self._set_busy("Loading the map…")
            self._refresh_after_load = True
            self.session.load_map(self.plan())

    def rescan(self, fresh: bool = False) -> None:
        if self.folder:
            self.settings.setValue("view/k", self.k_spin.value())
            self._set_busy("Updating…")
            self.session.refresh(self.plan(fresh_layout=fresh))

    def show_map(self, data: MapData, provisional: bool = False) -> None:
        previous = self.data
        keep = previous is not None and len(previous) > 0
        self.data = data
        tags = list(data.tag_names)
        if tags and self.tag_choice.count() != len(tags):
            self.tag_choice.clear()
            self.tag_choice.addItems(tags)
        self.map_view.set_data(data, keep_view=keep)
        if keep and previous.model_id and data.model_id != previous.model_id:
            self.map_view.morph_from(start_positions(previous, data))
        self.search.set_data(data)
        self.playback.set_data(data)
        self.legend.set_coloring(self.map_view.coloring)

    def show_problems(self) -> None:
        if self.folder:
            ProblemsDialog(self.session.cache, self.folder, self, on_retry=self.rescan).exec()

    def show_excluded_folders(self) -> None:
        if self.folder:
            ExcludedFoldersDialog(self.session.cache, self.folder, self, on_change=self.rescan).exec()

    def _restore_color_mode(self) -> None:
        saved = self.settings.value(COLOR_MODE_KEY, COLOR_MODES[0].name)
        name = saved_mode_name(saved)
        if saved != name:  # a position saved by 0.1.0, or a mode since removed: keep the name now
            self.settings.setValue(COLOR_MODE_KEY, name)
        self.color_mode.setCurrentIndex(self.color_mode.findData(name))

    def _apply_color_mode(self) -> None:
        mode = color_mode(self.color_mode.currentData())
        self.tag_choice.setVisible(mode.needs_tag)
        if self.map_view.data is not None and not mode.available(self.map_view.data):
            self.status_label.setText("This map has no auto-tags yet: they come as the tracks are heard.")
            return
        self.map_view.set_color_mode(mode.name, self.tag_choice.currentText() if mode.needs_tag else None)

    # ---- progress -----------------------------------------------------------------
    def _on_progress(self, p: Progress) -> None:
        if p.phase is Phase.DONE:
            return  # a result: applied by show_map and the scan summary
        what = p.phase.label  # the same words as the command line's progress line
        if p.total:
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
        else:
            self.progress_bar.setRange(0, 0)
        rate = f" · {p.rate:.1f}/s · ETA {format_duration(p.eta)}" if p.total and p.done else ""
        current = f" · {os.path.basename(display(p.current))}" if p.current else ""
        self.status_label.setText(f"{what} {p.done}/{p.total or '…'}{rate}{current}")

    def _on_finished(self, cancelled: bool) -> None:
        if self._refresh_after_load and not cancelled:
            self._refresh_after_load = False
            return self.rescan()
        n = len(self.data) if self.data is not None else 0
        self._set_idle("Cancelled — what was done is kept." if cancelled else f"{n} tracks on the map.")

    def _set_busy(self, text: str) -> None:
        self.status_label.setText(text)
        self.progress_bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)

    def _set_idle(self, text: str) -> None:
        self.status_label.setText(text)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.cancel_button.setEnabled(False)

    # ---- Qt events ----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if dropped_folder(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        if folder := dropped_folder(event.mimeData()):
            self.open_library(folder)

    def closeEvent(self, event) -> None:
        self.session.close()
        self.player.stop()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("player/volume", self.player.volume())
        self.settings.setValue(COLOR_MODE_KEY, self.color_mode.currentData())
        super().closeEvent(event)
