"""The library map: one dot per track, coloured by a mode, with labels, a hover card, covers at
high zoom, rings, the path, true-neighbour lines, keyboard moves and region select.

Layers (each its own module): ``map_cloud.PointCloud`` paints every point from numpy arrays
(one item, not one per colour group); ``map_covers.CoverMarkers`` the covers of the few points
in view; ``map_overlays.Overlays`` rings, path and neighbour lines; ``map_labels_layer`` the
names; ``hover_card.HoverCard`` the card. Lookups under the mouse use a cKDTree (pyqtgraph's
``pointsAt`` costs ms at 100k). The view only shows data and emits signals; the window decides
what they do.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEasingCurve, QEvent, QPoint, QPointF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QVBoxLayout, QWidget
from scipy.spatial import cKDTree

from ..core.clusters import open_cluster
from ..core.jobs import Phase, Progress
from ..core.map_build import prepare
from ..core.map_labels import subcluster_anchors, to_pixels
from ..core.mapdata import MapData
from ..core.playlists import select_in_polygon
from ..core.similarity import true_neighbours
from .color_scheme import is_dark
from .colors import COLOR_MODES, THEMES, Coloring, color_by, color_mode, color_subclusters
from .hover_card import HoverCard
from .jobs import JobThread
from .map_cloud import PointCloud
from .map_covers import CoverMarkers, CoverPixmaps
from .map_labels_layer import LabelsLayer
from .map_navigation import DOWN, LEFT, RIGHT, UP, step_towards
from .map_overlays import Overlays
from .map_viewbox import MapViewBox

ARROWS = {Qt.Key_Left: LEFT, Qt.Key_Right: RIGHT, Qt.Key_Up: UP, Qt.Key_Down: DOWN}


@dataclass
class _Opened:
    """A cluster opened into its sub-clusters, and what to go back to."""

    cluster: int
    sub: object  # clusters.SubClusters
    view_range: list  # where "back" returns to


class MapView(QWidget):
    """The map widget. Public API: set_data, set_selection, set_playing, set_path, highlight,
    clear_highlight, center_on, set_color_mode, open_cluster / close_cluster, set_cover_lookup,
    covers_updated, fit_to_view, set_select_mode; ``labels_action``, ``neighbours_action``."""

    hovered = Signal(int)  # track index under the mouse, -1 when none
    clicked = Signal(int)  # track index clicked
    activated = Signal(int)  # Enter or double-click on a track: play it
    selection_changed = Signal(list)  # indices picked with box / lasso
    current_changed = Signal(int)  # the keyboard moved the current point here
    coloring_changed = Signal(object)  # colors.Coloring, for the legend
    highlight_cleared = Signal()  # highlight() / clear_highlight() took the highlight away
    cluster_opened = Signal(int)  # the cluster now shown as sub-clusters, -1 when back to all

    HOVER_PX = 6  # how close (screen pixels) the mouse must be to a point
    DIM = 0.15  # opacity of the points a search did not match
    NEIGHBOURS = 10  # true-neighbour lines drawn from the current point

    def __init__(self, parent: QWidget | None = None, point_size: float = 6.0, dark: bool | None = None) -> None:
        """``dark``: force the dark or light look; None follows the desktop."""
        super().__init__(parent)
        self.data: MapData | None = None
        self.coloring: Coloring | None = None
        self._size = point_size
        self._mode: tuple[str, str | int | None] = ("cluster", None)
        self._xy = np.zeros((0, 2))
        self._tree: cKDTree | None = None
        self._highlight: np.ndarray | None = None
        self._selection = np.zeros(0, dtype=np.int64)
        self._playing = self._hover = self._current = self._found = -1
        self._path: list[int] = []
        self._mouse: QPoint | None = None
        self._opened: _Opened | None = None
        self._open_job: JobThread | None = None
        self._open_request: tuple | None = None
        self._morph: QVariantAnimation | None = None
        self._follow_desktop = dark is None
        self.theme = THEMES[is_dark() if dark is None else dark]
        self.view_box = self._vb = MapViewBox(self._click_at, self._select_polygon, self.theme.ring)
        self._plot = pg.PlotWidget(viewBox=self._vb, background=self.theme.background)
        self.canvas = self._plot.viewport()  # receives the mouse events (tests click and move here)
        self.cover_pixmaps = CoverPixmaps()
        self.cloud, self.overlays = PointCloud(point_size, self.DIM), Overlays(point_size)
        self.cover_markers = CoverMarkers(self.cover_pixmaps)
        self.labels = LabelsLayer(self._vb, self.font())
        self.card = HoverCard(self, self.cover_pixmaps)
        self._build_actions()
        self._build()

    # ---- construction -------------------------------------------------------------
    def _build_actions(self) -> None:
        self.labels_action = QAction("Show labels", self, checkable=True, checked=True, shortcut="L")
        self.neighbours_action = QAction("Show true neighbours", self, checkable=True, shortcut="N",
                                         toolTip="Lines from the current track to its nearest tracks in the "
                                                 "full vector space: long lines show where the 2-D map distorts")
        for action in (self.labels_action, self.neighbours_action):
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)  # only while the map has focus
            self.addAction(action)
        self.labels_action.toggled.connect(self._show_labels)
        self.neighbours_action.toggled.connect(lambda _on: self._update_neighbours())

    def _build(self) -> None:
        item = self._plot.getPlotItem()
        for axis in ("left", "bottom"):
            item.hideAxis(axis)
        item.hideButtons()
        self._vb.disableAutoRange()  # the view moves only when asked: refreshes keep the user's zoom
        for layer, z in ((self.cloud, 0), (self.cover_markers, 5), (self.overlays, 25)):  # marks over labels (20)
            layer.setZValue(z)
            self._vb.addItem(layer, ignoreBounds=True)  # bounds are ours to fit (fit_to_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._plot)
        self.setFocusProxy(self._plot)
        self._plot.setFocusPolicy(Qt.StrongFocus)
        self.canvas.setMouseTracking(True)
        for widget in (self.canvas, self._plot):
            widget.installEventFilter(self)
        self._vb.sigRangeChanged.connect(self._view_changed)
        self._vb.sigResized.connect(self._view_changed)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._desktop_scheme_changed)
        self._apply_theme()

    # ---- data ---------------------------------------------------------------------
    def set_data(self, data: MapData, keep_view: bool = False) -> None:
        """Show ``data``. keep_view=True is a refresh of the same map: zoom, selection, search
        highlight, path and playing ring stay (where their indices still exist)."""
        if self._morph is not None:  # a running morph must not draw over the new data
            self._morph.stop()
            self._morph = None
        reopen = self.opened_cluster if keep_view else -1
        self._leave_opened(restore=False)
        if data.label_set is None:  # a MapData not made by the map job (tests, tools)
            prepare(data)
        n = len(data)
        self.data = data
        self._xy = np.asarray(data.xy, dtype=np.float64).reshape(n, 2)
        self._tree = cKDTree(self._xy) if n else None
        self._hover = -1
        self.card.dismiss()
        self._keep_marks(n, keep_view)
        coloring = self._coloring_for(data)
        self.cloud.set_map(self._xy, coloring.index, coloring.colors, coloring.other, not self.theme.dark,
                           self._highlight)
        self._place_marks(self._xy)
        self._apply(coloring, cloud=False)
        self.labels.set_labels(data.label_set)
        if not keep_view:
            self.fit_to_view()
        self._update_neighbours()
        if 0 <= reopen and (data.cluster == reopen).any():  # a refresh keeps an opened cluster open
            self.open_cluster(reopen, keep_view=True)

    def _keep_marks(self, n: int, keep_view: bool) -> None:
        if not keep_view:
            self._selection, self._highlight = np.zeros(0, np.int64), None
            self._playing = self._current = self._found = -1
            self._path = []
        self._selection = self._selection[self._selection < n]
        self._highlight = None if self._highlight is None else self._highlight[self._highlight < n]
        self._playing, self._current, self._found = (i if i < n else -1 for i in
                                                     (self._playing, self._current, self._found))
        self._path = [i for i in self._path if i < n]
        self._sync_marks()

    def _coloring_for(self, data: MapData) -> Coloring:
        if not color_mode(self._mode[0]).available(data):  # e.g. by auto-tag, on a map without tags
            self._mode = (COLOR_MODES[0].name, None)
        return color_by(data, *self._mode, dark=self.theme.dark)

    def morph_from(self, start_xy: np.ndarray, ms: int = 800) -> QVariantAnimation:
        """Move the points from ``start_xy`` to their places in the current data (new vectors).

        Each frame redraws every point, so a 100k map gets a few frames, not a frozen window."""
        target = self._xy.copy()
        start = np.asarray(start_xy, np.float64).reshape(target.shape)
        if self._morph is not None:
            self._morph.stop()
        anim = self._morph = QVariantAnimation(self, startValue=0.0, endValue=1.0, duration=ms)
        anim.setEasingCurve(QEasingCurve.InOutCubic)
        anim.valueChanged.connect(lambda t: self._show_positions(start + (target - start) * float(t)))
        anim.finished.connect(lambda: self._show_positions(target))
        self._show_positions(start)
        anim.start()
        return anim

    def _show_positions(self, xy: np.ndarray) -> None:
        """A frame of a morph: every point and mark at ``xy``."""
        self.cloud.set_points(xy)
        self._place_marks(xy)

    def _place_marks(self, xy: np.ndarray) -> None:
        self.overlays.set_points(xy)
        self.cover_markers.set_points(xy, [t.path for t in self.data.tracks] if self.data else [])

    # ---- colours ------------------------------------------------------------------
    def set_color_mode(self, mode: str, tag: str | int | None = None) -> None:
        """Colour by a mode of colors.COLOR_MODES ("cluster", "artist", …, "tag" with ``tag``)."""
        color_mode(mode)  # ValueError for an unknown mode, before anything changes
        coloring = color_by(self.data, mode, tag, dark=self.theme.dark) if self.data is not None else None
        self._leave_opened(restore=False)
        self._mode = (mode, tag)
        if coloring is not None:
            self._apply(coloring)

    def _apply(self, coloring: Coloring, cloud: bool = True) -> None:
        self.coloring = coloring
        if cloud:
            self.cloud.set_colors(coloring.index, coloring.colors, coloring.other, rim=not self.theme.dark)
        self.cover_markers.set_colors(coloring.index, coloring.colors)
        self.coloring_changed.emit(coloring)

    def color_group_count(self) -> int:
        """How many colour groups have points on the map now."""
        return self.cloud.group_count()

    # ---- light and dark -----------------------------------------------------------
    def set_dark(self, dark: bool | None) -> None:
        """Force the dark (True) or light (False) look, or follow the desktop again (None)."""
        self._follow_desktop = dark is None
        self._apply_theme(is_dark() if dark is None else dark)

    def _desktop_scheme_changed(self, scheme) -> None:
        if self._follow_desktop:
            self._apply_theme(is_dark(scheme))

    def changeEvent(self, ev) -> None:
        super().changeEvent(ev)
        if ev.type() == QEvent.PaletteChange and self._follow_desktop:
            self._apply_theme(is_dark())

    def _apply_theme(self, dark: bool | None = None) -> None:
        theme = self.theme if dark is None else THEMES[dark]
        changed, self.theme = theme is not self.theme, theme
        self._plot.setBackground(theme.background)
        self._vb.set_outline(theme.ring)
        self.overlays.set_theme(theme)
        self.labels.set_theme(theme)
        if changed and self.data is not None:
            self._apply(color_subclusters(self.data, self._opened.cluster, self._opened.sub, theme.dark)
                        if self._opened else self._coloring_for(self.data))

    # ---- marks --------------------------------------------------------------------
    def set_selection(self, indices) -> None:
        """Ring every one of the given tracks (does not emit selection_changed)."""
        self._selection = np.asarray(indices, dtype=np.int64).ravel()
        self._sync_marks()

    def set_playing(self, index: int) -> None:
        self._playing = int(index)
        self._sync_marks()

    def set_path(self, rows) -> None:
        """Draw the ordered path (or queue) ``rows`` as a line with step numbers; [] clears it."""
        self._path = [int(r) for r in rows]
        self._sync_marks()

    def highlight(self, indices) -> None:
        """Show ``indices`` bright and dim every other point (search results); None clears."""
        self._highlight = None if indices is None else np.asarray(indices, dtype=np.int64).ravel()
        self._found = -1
        self.cloud.set_bright(self._highlight)
        self._sync_marks()
        if self._highlight is None:
            self.highlight_cleared.emit()

    def clear_highlight(self) -> None:
        self.highlight(None)

    def center_on(self, index: int) -> None:
        """Pan (not zoom) so that track ``index`` is in the middle, and mark it as found."""
        self._pan_to(index)
        self._found = self._current = int(index)
        self._sync_marks()
        self._update_neighbours()

    def _pan_to(self, index: int) -> None:
        (x0, x1), (y0, y1) = self._vb.viewRange()
        (x, y), w, h = self._xy[index], (x1 - x0) / 2, (y1 - y0) / 2
        self._vb.setRange(xRange=(x - w, x + w), yRange=(y - h, y + h), padding=0)

    @property
    def current(self) -> int:
        """The track the keyboard moves from (the last clicked, found or moved to), -1 if none."""
        return self._current

    def _set_current(self, index: int) -> None:
        self._current = int(index)
        self._sync_marks()
        self._update_neighbours()

    def _sync_marks(self) -> None:
        o = self.overlays
        o.selection, o.path = self._selection, self._path
        o.playing, o.found, o.current = self._playing, self._found, self._current
        o.update()

    def _update_neighbours(self) -> None:
        o = self.overlays
        on = self.neighbours_action.isChecked() and self.data is not None and 0 <= self._current < len(self._xy)
        o.neighbours, o.neighbour_sims = (true_neighbours(self.data.vectors, self._current, self.NEIGHBOURS)
                                          if on else (np.zeros(0, np.int64), np.zeros(0, np.float32)))
        o.update()

    # ---- covers -------------------------------------------------------------------
    def set_cover_lookup(self, lookup: Callable[[str], str | None] | None) -> None:
        """Where each track's 256-px cover thumbnail is (track path → file or None)."""
        self.cover_pixmaps.set_lookup(lookup)
        self.covers_updated()

    def covers_updated(self) -> None:
        """The background job made more thumbnails: show them."""
        self.cover_pixmaps.forget_misses()
        self.cover_markers.update()
        if self.card.isVisible() and self.data is not None:
            index, self.card.index = self.card.index, -1
            self._show_card(index)

    # ---- labels -------------------------------------------------------------------
    def _show_labels(self, on: bool) -> None:
        self.labels.enabled = on
        self.labels.refresh()

    # ---- opening a cluster --------------------------------------------------------
    def open_cluster(self, cluster_id: int, keep_view: bool = False) -> None:
        """Show cluster ``cluster_id`` split into its sub-clusters (worked out off the GUI
        thread): their colours, legend rows and labels, zoomed to it (unless ``keep_view``);
        ``close_cluster`` goes back."""
        if self.data is None:
            return
        data, members = self.data, np.flatnonzero(self.data.cluster == cluster_id)
        if not len(members):
            return

        def job(token):
            yield Progress(Phase.CLUSTERS, 0, len(members))
            sub = open_cluster(members, data.vectors, data.tracks, data.tag_probs, data.tag_names)
            yield Progress(Phase.DONE, len(members), len(members), result=sub)

        self._wait_open_job()
        thread = self._open_job = JobThread(job, parent=self)
        self._open_request = (data, int(cluster_id), thread, keep_view)
        thread.done.connect(self._open_done)  # a method of this widget: delivered on the GUI thread
        thread.finished.connect(self._open_finished)
        self.setCursor(Qt.BusyCursor)
        thread.start()

    def _open_finished(self) -> None:
        job = self.sender()
        if job is self._open_job:
            self._open_job = None
        job.deleteLater()

    def _open_done(self, sub, cancelled: bool) -> None:
        data, cluster_id, job, keep_view = self._open_request
        if job is not self.sender():
            return  # superseded by a later request
        self.unsetCursor()
        if cancelled or sub is None or data is not self.data:
            return
        previous = self._opened
        self._opened = _Opened(cluster_id, sub, previous.view_range if previous else self._vb.viewRange())
        self.labels.always = (0, 1)
        self.labels.set_labels(data.label_set.with_level(1, subcluster_anchors(self._xy, sub), (cluster_id,)))
        if not keep_view:
            self._fit_rows(sub.members)
        self._apply(color_subclusters(data, cluster_id, sub, self.theme.dark))
        self.cluster_opened.emit(cluster_id)

    def close_cluster(self) -> None:
        """Back from an opened cluster to every cluster, at the zoom it was opened from."""
        if self._opened is not None:
            self._leave_opened()
            self._apply(self._coloring_for(self.data))

    def _leave_opened(self, restore: bool = True) -> None:
        opened, self._opened = self._opened, None
        if opened is None:
            return
        self.labels.always = (0,)
        if self.data is not None:
            self.labels.set_labels(self.data.label_set)
        if restore:
            (x0, x1), (y0, y1) = opened.view_range
            self._vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.cluster_opened.emit(-1)

    @property
    def opened_cluster(self) -> int:
        return self._opened.cluster if self._opened is not None else -1

    def _wait_open_job(self) -> None:
        job = self._open_job
        if job is not None:  # set back to None by _open_finished, before the thread object goes
            job.cancel()
            job.wait()  # open_cluster is quick (≈0.5 s at 4,000 tracks) and not cancellable inside

    def hideEvent(self, ev) -> None:
        # The window closes (or the stack shows another page): no worker may outlive the widget.
        self._wait_open_job()
        self.unsetCursor()
        super().hideEvent(ev)

    # ---- view ---------------------------------------------------------------------
    def fit_to_view(self) -> None:
        self._fit_rows(None)

    def _fit_rows(self, rows) -> None:
        xy = self._xy if rows is None else self._xy[np.asarray(rows, np.int64)]
        if len(xy):
            lo, hi = xy.min(axis=0), xy.max(axis=0)
            pad = 0.05 * (float((hi - lo).max()) or 20.0)  # a lone point still gets a sensible view
            (x0, y0), (x1, y1) = lo - pad, hi + pad
            self._vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def set_select_mode(self, mode: str) -> None:
        """"pan" (drag pans; Shift/Ctrl+drag select), "box" or "lasso" (drag selects)."""
        if mode not in ("pan", "box", "lasso"):
            raise ValueError(f"unknown select mode {mode!r}")
        self._vb.select_mode = mode

    def _view_changed(self, *_) -> None:
        rect = self._vb.viewRect()
        for layer in (self.cloud, self.cover_markers, self.overlays):
            layer.set_view_rect(rect)
        self.labels.refresh()
        if self._mouse is not None:
            self._hover_at(self._mouse)  # zoomed under the mouse: another point may be there now
        elif self.card.isVisible():
            self.card.move_to(self._card_anchor(self.card.index))

    # ---- geometry -----------------------------------------------------------------
    def point_to_widget(self, index: int) -> QPoint:
        """Where track ``index`` is drawn, in ``canvas`` coordinates."""
        x, y = self._xy[index]
        return self._plot.mapFromScene(self._vb.mapViewToScene(QPointF(float(x), float(y))))

    def index_at(self, pos: QPoint) -> int:
        """The track drawn nearest ``pos`` (canvas coordinates) within HOVER_PX, else -1."""
        return self._nearest(self._vb.mapSceneToView(self._plot.mapToScene(pos)))

    def _nearest(self, p: QPointF) -> int:
        if self._tree is None:
            return -1
        radius = self.HOVER_PX * max(self._vb.viewPixelSize())  # aspect locked: one scale for x and y
        dist, i = self._tree.query((p.x(), p.y()), distance_upper_bound=radius)
        return int(i) if np.isfinite(dist) else -1

    def _screen_xy(self) -> np.ndarray:
        rect = self._vb.boundingRect()
        return to_pixels(self._xy, self._vb.viewRange(), (rect.width(), rect.height()))

    def _card_anchor(self, index: int) -> QPoint:
        return self.canvas.mapTo(self, self.point_to_widget(index))

    # ---- mouse --------------------------------------------------------------------
    def eventFilter(self, obj, ev) -> bool:
        kind = ev.type()
        if obj is self.canvas and kind == QEvent.MouseMove and not ev.buttons():
            self._mouse = ev.position().toPoint()
            self._hover_at(self._mouse)
        elif obj is self.canvas and kind in (QEvent.Leave, QEvent.MouseButtonPress):
            self._mouse = None  # gone, or about to drag: no card for whatever passes under a stale spot
            self._hover_at(None)
        elif kind == QEvent.KeyPress:
            return self._key(ev)
        return False  # pyqtgraph still gets every other event

    def _hover_at(self, pos: QPoint | None) -> None:
        i = self.index_at(pos) if pos is not None else -1
        if i != self._hover:
            self._hover = i
            self.hovered.emit(i)
        if i < 0:
            self.card.dismiss()
        else:
            self._show_card(i)

    def _show_card(self, index: int) -> None:
        if self.data is not None and 0 <= index < len(self.data):
            self.card.show_track(self.data, index, self._card_anchor(index))

    def _click_at(self, p: QPointF, double: bool = False) -> None:
        self._plot.setFocus(Qt.MouseFocusReason)
        if (i := self._nearest(p)) >= 0:
            self._set_current(i)
            (self.activated if double else self.clicked).emit(i)

    def _select_polygon(self, polygon: np.ndarray) -> None:
        picked = select_in_polygon(self._xy, polygon)  # a box arrives as its four corners
        self.set_selection(picked)
        self.selection_changed.emit(picked.tolist())

    # ---- keyboard -----------------------------------------------------------------
    def keyPressEvent(self, ev) -> None:
        if not self._key(ev):
            super().keyPressEvent(ev)

    def _key(self, ev) -> bool:
        """Arrows move the current point, Enter activates it, Esc clears the highlight (then
        leaves an opened cluster). True when the key was used."""
        key = ev.key()
        if key in ARROWS and not ev.modifiers() & (Qt.ControlModifier | Qt.AltModifier):
            self._step(ARROWS[key])
            return True
        if key in (Qt.Key_Return, Qt.Key_Enter) and 0 <= self._current < len(self._xy):
            self.activated.emit(self._current)
            return True
        if key == Qt.Key_Escape and (self._highlight is not None or self._found >= 0 or self._opened):
            if self._highlight is not None or self._found >= 0:
                self.clear_highlight()
            else:
                self.close_cluster()
            return True
        return False

    def _step(self, direction: tuple[float, float]) -> None:
        if not len(self._xy):
            return
        px = self._screen_xy()
        if self._current < 0:  # the first press picks the point nearest the middle of the view
            rect = self._vb.boundingRect()
            nxt = int(np.argmin(np.hypot(px[:, 0] - rect.width() / 2, px[:, 1] - rect.height() / 2)))
        else:
            nxt = step_towards(px, self._current, direction)
        if nxt < 0:
            return
        self._set_current(nxt)
        x, y = px[nxt]
        rect = self._vb.boundingRect()
        if not (0 <= x <= rect.width() and 0 <= y <= rect.height()):
            self._pan_to(nxt)
        self._show_card(nxt)
        self.current_changed.emit(nxt)
