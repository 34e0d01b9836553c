"""Maps for the GUI tests (MapData made in memory, no cache) and real input on the map widget."""
import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from musicmap_desktop.core.mapdata import MapData, TrackView

CENTRES = [(0.0, 0.0), (10.0, 0.0), (5.0, 8.0)]
TAGS = ("rock", "pop", "electronic", "jazz")


def blobs(per_blob=12, seed=0) -> MapData:
    """Three well separated blobs; blob b holds tracks b*per_blob .. (b+1)*per_blob-1."""
    rng = np.random.default_rng(seed)
    xy = np.concatenate([rng.uniform(-1.2, 1.2, (per_blob, 2)) + c for c in CENTRES]).astype(np.float32)
    n = len(xy)
    tracks = [TrackView(i, f"/music/a{i % 5}/t{i}.mp3", f"Song {i}", f"Artist {i % 5}", f"Album {i // 4}",
                        albumartist=f"Band {i // 4}", genres=[["Rock", "Jazz", "Pop"][i // per_blob]],
                        year=1990 + i % 3,
                        duration=61 + i, top_tags=[(TAGS[i // per_blob], 0.9)]) for i in range(n)]
    probs = np.zeros((n, len(TAGS)), np.float32)
    probs[:, 0] = np.linspace(0, 1, n)
    vectors = np.eye(n, 8, dtype=np.float32)
    cluster = np.repeat(np.arange(3), per_blob).astype(np.int32)
    return MapData(tracks, xy, vectors, cluster, ["rock blob", "jazz blob", "pop blob"], TAGS, probs)


def albums_map(clusters=2, albums=3, per_album=8, seed=0) -> MapData:
    """Clusters of albums, like a real map: cluster c far from the others, its albums tight
    groups inside it with vectors of their own (so opening a cluster finds the albums).
    Track i is album i // per_album; album a is in cluster a // albums."""
    rng = np.random.default_rng(seed)
    n_albums = clusters * albums
    album = np.repeat(np.arange(n_albums), per_album)
    cluster_xy = np.array([(12.0 * c, 0.0) for c in range(clusters)])
    album_xy = cluster_xy[np.arange(n_albums) // albums] + rng.normal(size=(n_albums, 2)) * 3.0
    xy = (album_xy[album] + rng.normal(size=(len(album), 2)) * 0.3).astype(np.float32)
    centres = rng.normal(size=(n_albums, 32)) * 3.0
    vectors = centres[album] + rng.normal(size=(len(album), 32)) * 0.2
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    tracks = [TrackView(i, f"/music/album{a}/t{i}.flac", f"Track {i}", f"Artist {a // albums}", f"Album {a}",
                        albumartist=f"Artist {a // albums}", genres=[f"Genre {a // albums}"], year=2000 + a,
                        duration=100.0 + i) for i, a in enumerate(album)]
    probs = rng.uniform(0.02, 0.1, (len(album), len(TAGS))).astype(np.float32)
    cluster = (album // albums).astype(np.int32)
    names = [f"Cluster of artist {c}" for c in range(clusters)]
    return MapData(tracks, xy, vectors, cluster, names, TAGS, probs)


def grid(side=5, step=1.0) -> MapData:
    """Points on a square grid, row-major from the bottom left: track r * side + c sits at (c, r)."""
    xy = np.array([(c * step, r * step) for r in range(side) for c in range(side)], np.float32)
    n = len(xy)
    tracks = [TrackView(i, f"/g/{i}.ogg", f"Cell {i}", "Grid", "Squares", duration=60.0) for i in range(n)]
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return MapData(tracks, xy, vectors, np.zeros(n, np.int32), ["all"])


def shown_view(qtbot, dark=None, size=(800, 600), data=None):
    """A MapView on the screen (``dark``: None follows the desktop), with ``data`` if given."""
    from musicmap_desktop.gui.map_view import MapView

    view = MapView(dark=dark)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    if data is not None:
        view.set_data(data)
    return view


def cover_jpeg(path, color=(220, 20, 20), size=256) -> str:
    from PIL import Image

    Image.new("RGB", (size, size), color).save(path, "JPEG", quality=95)
    return str(path)


def wheel(widget, pos: QPoint, steps: int) -> None:
    """Turn the mouse wheel ``steps`` notches at ``pos`` (positive: zoom in)."""
    p = QPointF(pos)
    event = QWheelEvent(p, widget.mapToGlobal(p), QPoint(0, 0), QPoint(0, 120 * steps), Qt.NoButton,
                        Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def drag(qtbot, widget, points, modifiers=Qt.NoModifier):
    """Press at points[0], move through the rest, release: real mouse events with modifiers."""
    def send(kind, pos, button, buttons):
        p = QPointF(pos)
        event = QMouseEvent(kind, p, widget.mapToGlobal(p), button, buttons, modifiers)
        QApplication.sendEvent(widget, event)

    send(QEvent.MouseButtonPress, points[0], Qt.LeftButton, Qt.LeftButton)
    for p in points[1:]:
        qtbot.wait(20)  # pyqtgraph drops moves closer than 10 ms apart
        send(QEvent.MouseMove, p, Qt.NoButton, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, points[-1], Qt.LeftButton, Qt.NoButton)


def pixel(view, x: float, y: float):
    """The colour drawn at canvas position (x, y)."""
    image = view.grab().toImage()
    return image.pixelColor(view.canvas.mapTo(view, QPoint(round(x), round(y))))


def colour_distance(a, b) -> float:
    return float(np.abs(np.array(a.getRgb()[:3], float) - np.array(b.getRgb()[:3], float)).max())
