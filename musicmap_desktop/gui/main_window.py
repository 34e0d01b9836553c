"""The explorer window: the welcome view alone, then the map with its toolbar, docks (legend,
the side panel, the queue, now playing), menus and background jobs."""
from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QLabel, QMainWindow, QProgressBar, QPushButton, QSizePolicy, QSpinBox, QStackedWidget,
    QToolBar,
)

from ..core.jobs import Phase, Progress
from ..core.library_summary import library_facts
from ..core.mapdata import MapData, start_positions
from ..core.refresh import RefreshPlan
from ..core.store.libraries import library_roots
from ..core.store.paths import display
from ..core.text import format_duration, summary_text
from .colors import COLOR_MODES, color_mode, saved_mode_name
from .excluded_folders import ExcludedFoldersDialog
from .legend import Legend
from .library_panel import LibraryPanel
from .map_view import MapView
from .window_menus import build_menus
from .playback import Playback, track_name
from .player import NowPlayingBar, Player
from .playlist_actions import PlaylistActions
from .problems import ProblemsDialog
from .queue_panel import QueuePanel
from .search_box import SearchBox
from .session import LibrarySession
from .side_panel import CoverLookup, SidePanel
from .track_panel import TrackPanel
from .welcome import WelcomeView, dropped_folder

COLOR_MODE_KEY = "view/color_mode"  # saved by name (colors.saved_mode_name reads older positions)
COVERS_REDRAW_MS = 500  # the map and the panel pick up new thumbnails at most this often


class MainWindow(QMainWindow):
    def __init__(self, session: LibrarySession, settings: QSettings, music_dir: str, details,
                 covers: CoverLookup | None = None, player: Player | None = None) -> None:
        super().__init__()
        self.session, self.settings, self.details, self.covers = session, settings, details, covers
        self.folder: str | None = None
        self.data: MapData | None = None
        self.mpris = None
        self._refresh_after_load = False
        self._library_shown: bool | None = None
        self.setWindowTitle("musicmap")  # Qt adds the application's display name unless it ends so
        self.setAcceptDrops(True)
        self.player = player or Player(self, volume=float(settings.value("player/volume", 0.8)))
        self.map_view, self.legend, self.panel = MapView(), Legend(), TrackPanel()
        self.library_panel = LibraryPanel()
        self.side = SidePanel(details, covers, self.library_panel, self.panel)
        self.welcome = WelcomeView(music_dir)
        self.playback = Playback(self, self.player, self.map_view)
        self.playlists = PlaylistActions(self, self.playback, self.map_view, session.run_side)
        self.queue_panel = QueuePanel(self.playback)
        self.queue_panel.add_section(self.playlists.more_box)
        self._covers_timer = QTimer(self, singleShot=True, interval=COVERS_REDRAW_MS)
        self._build()
        self._connect()
        self.restoreGeometry(settings.value("window/geometry", b""))
        self._restore_color_mode()
        self._library_ui(False)

    # ---- construction -------------------------------------------------------------
    def _build(self) -> None:
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.map_view)
        self.setCentralWidget(self.stack)
        self.now_bar = NowPlayingBar(self.player)
        self.docks = [self._dock("Now playing", self.now_bar, Qt.BottomDockWidgetArea),
                      self._dock("Track", self.side, Qt.RightDockWidgetArea),
                      self._dock("Legend", self.legend, Qt.LeftDockWidgetArea),
                      self._dock("Queue", self.queue_panel, Qt.LeftDockWidgetArea)]
        self.docks[1].setWindowTitle("Library and track")
        self._build_toolbar()
        self._build_status()
        build_menus(self)

    def _dock(self, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(name, self)
        dock.setObjectName(name)  # saveState keys; never rename a released one
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_toolbar(self) -> None:
        bar = self.toolbar = QToolBar("Map toolbar")
        bar.setObjectName("map-toolbar")
        self.addToolBar(bar)
        self.search = SearchBox()
        self.search.setPlaceholderText("Search title, artist, album, genre (Ctrl+F)")
        self.color_mode = QComboBox()
        for mode in COLOR_MODES:
            self.color_mode.addItem(f"Colour: {mode.label}", mode.name)
        self.tag_choice = QComboBox()
        self.tag_choice.setToolTip("The auto-tag whose probability colours the map")
        self.k_spin = QSpinBox(minimum=0, maximum=60, specialValueText="auto", prefix="Clusters: ")
        self.k_spin.setValue(int(self.settings.value("view/k", 0)))
        self.select_mode = QComboBox()
        for label, mode in (("Pan", "pan"), ("Box select", "box"), ("Lasso select", "lasso")):
            self.select_mode.addItem(label, mode)
        for w in (self.search, self.color_mode):
            bar.addWidget(w)
        # A widget in a toolbar is shown and hidden through the action addWidget returns.
        self.tag_action = bar.addWidget(self.tag_choice)
        self.tag_action.setVisible(False)
        for w in (self.k_spin, self.select_mode):
            bar.addWidget(w)
        for action in self.playlists.toolbar_actions():
            bar.addAction(action)
        bar.addAction(self.playlists.export_menu.menuAction())

    def _build_status(self) -> None:
        self.progress_bar = QProgressBar(maximumWidth=240)
        self.play_status = QLabel()  # what plays and what is selected
        self.status_label = QLabel()  # what the background job does
        for label in (self.play_status, self.status_label):  # a long message never widens the window
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.statusBar().addWidget(self.play_status, 1)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.statusBar().addPermanentWidget(self.cancel_button)

    def _connect(self) -> None:
        s = self.session
        s.progress.connect(self._on_progress)
        s.scan_finished.connect(lambda summary: self.status_label.setText(summary_text(summary).splitlines()[1].strip()))
        s.map_ready.connect(self.show_map)
        s.finished.connect(self._on_finished)
        s.failed.connect(self._set_idle)  # the user's error as is; a bug names its crash report
        s.side_failed.connect(lambda lane, msg: self.status_label.setText(f"{lane}: {msg}"))
        s.covers_progress.connect(lambda _p: self._covers_timer.isActive() or self._covers_timer.start())
        s.covers_done.connect(lambda _cancelled: self._show_covers())
        self._covers_timer.timeout.connect(self._show_covers)
        self.cancel_button.clicked.connect(self.session.cancel)
        self.welcome.folder_chosen.connect(self.open_library)
        self._connect_map()
        self._connect_playback()
        self.color_mode.currentIndexChanged.connect(self._apply_color_mode)
        self.tag_choice.currentIndexChanged.connect(self._apply_color_mode)
        self.k_spin.editingFinished.connect(self.rescan)
        self.select_mode.currentIndexChanged.connect(
            lambda: self.map_view.set_select_mode(self.select_mode.currentData()))

    def _connect_map(self) -> None:
        mv = self.map_view
        mv.clicked.connect(self._on_click)
        mv.activated.connect(self._play_row)
        mv.current_changed.connect(self.side.show_row)
        mv.selection_changed.connect(self.playlists.set_selection)
        if self.covers is not None:
            mv.set_cover_lookup(self.covers)
        self.legend.bind(mv)  # colours, highlight and clearing it, open cluster and back
        self.library_panel.cluster_clicked.connect(self._highlight_cluster)
        self.library_panel.problems_requested.connect(self.show_problems)
        self.search.search_changed.connect(mv.highlight)
        self.search.cleared.connect(mv.clear_highlight)
        self.search.activated.connect(self._show_match)

    def _connect_playback(self) -> None:
        pb, bar = self.playback, self.now_bar
        bar.next_similar_requested.connect(pb.next_similar)
        bar.next_requested.connect(pb.next)
        bar.previous_requested.connect(pb.previous)
        self.panel.play_requested.connect(self._play_row)
        self.queue_panel.play_next_requested.connect(self.playlists.queue_selected_next)
        pb.requested.connect(lambda row: bar.set_track(*self._now_playing(row)))
        pb.status_changed.connect(self._show_play_status)
        self.playlists.status_changed.connect(self._show_play_status)

    # ---- what the user does on the map ---------------------------------------------------
    def _on_click(self, row: int) -> None:
        self.side.show_row(row)
        if self.playlists.path_mode.isChecked():
            return self.playlists.add_waypoint(row)
        self.map_view.set_selection([row])
        self.playlists.set_selection([row])
        self.playback.play_now(row)

    def _play_row(self, row: int) -> None:
        self.side.show_row(row)
        self.playback.play_now(row)

    def _show_match(self, row: int) -> None:
        """Search + Enter: centre the match, mark it, show it; say which of how many."""
        self.map_view.center_on(row)
        self.side.show_row(row)
        nth, n = self.search.position
        self.status_label.setText(f"Match {nth + 1} of {n}: {track_name(self.data.tracks[row])} "
                                  f"(Enter: the next one)")

    def _highlight_cluster(self, cluster: int) -> None:
        if self.data is not None:
            self.map_view.highlight(np.flatnonzero(np.asarray(self.data.cluster) == cluster))

    def clear_marks(self) -> None:
        """Escape: the highlight (legend, search, cluster), the search text and the selection go;
        the side panel shows the library again."""
        self.search.clear()
        self.map_view.clear_highlight()
        self.map_view.set_selection([])
        self.playlists.set_selection([])
        self.side.show_library()

    def _now_playing(self, row: int) -> tuple[str, str, float]:
        t = self.data.tracks[row]
        return t.title, t.artist, t.duration

    def _show_play_status(self, _text: str = "") -> None:
        parts = [self.playback.status, self.playlists.status]
        self.play_status.setText(" · ".join(p for p in parts if p))

    # ---- library ------------------------------------------------------------------
    def plan(self, **kw) -> RefreshPlan:
        k = self.k_spin.value() or None
        return RefreshPlan(self.folder, k=k, vectors=self.session.vectors(), **kw)

    def open_library(self, folder: str, rescan: bool | None = None) -> None:
        """Open a library. A library the cache knows shows its cached map first, then a
        rescan of what changed runs behind it; ``rescan=True`` scans first, False loads first."""
        self.folder = os.path.abspath(folder)
        if rescan is None:
            rescan = self.folder not in {os.path.abspath(r) for r in library_roots(self.session.cache.path)}
        self.settings.setValue("library/last_folder", self.folder)
        self.setWindowTitle(display(self.folder))  # "folder — musicmap": Qt adds the app's name
        self.data = None
        self.playlists.folder = self.folder
        self.library_panel.set_folder(self.folder)
        self.side.show_library()
        self.session.cancel_side("covers")
        self.stack.setCurrentWidget(self.map_view)
        self._library_ui(True)
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
        self.playlists.set_data()
        self.side.set_data(data)
        self.legend.set_coloring(self.map_view.coloring)
        self.session.make_covers([t.path for t in data.tracks])
        if not provisional:
            self._read_library_facts()

    def _read_library_facts(self) -> None:
        cache, root = self.session.cache, self.folder

        def job(token):  # off the GUI thread: it reads every track row of the library
            try:
                yield Progress(Phase.DONE, result=library_facts(cache.connect(), root))
            finally:
                cache.release()

        self.session.run_side("summary", job, on_done=lambda facts, cancelled: cancelled or
                              self.library_panel.set_facts(facts))

    def _show_covers(self) -> None:
        self.map_view.covers_updated()
        self.side.refresh_cover()

    def show_problems(self) -> None:
        if self.folder:
            ProblemsDialog(self.session.cache, self.folder, self, on_retry=self.rescan).exec()

    def _library_ui(self, on: bool) -> None:
        """First launch is the welcome view alone; the toolbar and the docks belong to a library."""
        if on == self._library_shown:
            return
        self._library_shown = on
        self.toolbar.setVisible(on)
        for dock in self.docks:
            dock.setVisible(on)
            dock.toggleViewAction().setEnabled(on)
        if on and not self.restoreState(self.settings.value("window/state", b"")):  # as the user left them
            self.resizeDocks(self.docks[2:], [300, 450], Qt.Vertical)  # first time: the queue is the taller
        self.toolbar.setVisible(on)

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
        self.tag_action.setVisible(mode.needs_tag)
        if self.map_view.data is not None and not mode.available(self.map_view.data):
            self.status_label.setText("This map has no auto-tags yet: they come as the tracks are heard.")
            return
        self.map_view.set_color_mode(mode.name, self.tag_choice.currentText() if mode.needs_tag else None)

    # ---- MPRIS --------------------------------------------------------------------
    def attach_mpris(self, service) -> bool:
        """Announce every track start to ``service`` (gui.mpris.MprisService, built by app.py);
        True when it is on the session bus."""
        from .mpris import TrackMeta

        def announce(row: int) -> None:
            t = self.data.tracks[row]
            art = self.covers(t.path) if self.covers is not None else None
            service.set_track(TrackMeta(t.id, t.title, t.artist, t.album, t.duration, art, t.path))

        self.mpris = service
        self.playback.started.connect(announce)
        return service.register()

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
        if self.mpris is not None:
            self.mpris.unregister()
        self.settings.setValue("window/geometry", self.saveGeometry())
        if self._library_shown:  # the welcome view's hidden docks are not the user's layout
            self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("player/volume", self.player.volume())
        self.settings.setValue(COLOR_MODE_KEY, self.color_mode.currentData())
        super().closeEvent(event)
