"""Save the README's screenshots: the real window on real music, driven by real clicks.

Three PNGs in docs/screenshots/: ``map.png`` (the map with its cluster labels), ``track.png``
(a track with its cover art, and why one of its most similar tracks is close) and ``path.png``
(a path through three clicked tracks, queued). It opens a COPY of a cache that already holds the
library's scan and analysis, so nothing is re-analysed; cover thumbnails go to a temporary cache
folder. Under Xvfb with a window manager the root window is grabbed, title bar included.

    apt-get install xvfb openbox     # screenshot-only tools, not needed by the app or the tests
    xvfb-run -a -s "-screen 0 1600x1320x24" sh -c 'openbox & sleep 1; \
        .venv/bin/python scripts/screenshot.py /work/soundtracks/library /work/soundtracks/cache.sqlite3'

Arguments: LIBRARY CACHE [OUT_DIR]. The library is the Debian soundtrack library of
scripts/soundtracks.py. Without a window manager (or with QT_QPA_PLATFORM=offscreen) the window's
own contents are saved instead.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

WORK = tempfile.mkdtemp(prefix="musicmap-shot-")
os.environ["XDG_CACHE_HOME"] = os.path.join(WORK, "xdg-cache")  # thumbnails, never the user's

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from musicmap_desktop.app import make_window  # noqa: E402
from musicmap_desktop.gui.launch import application  # noqa: E402

SIZE = (1500, 1270)  # tall enough for the track panel's cover, similar tracks and why close at once
MAX_BYTES = 400_000  # README pictures stay small: a bigger one is saved with a 256-colour palette


def wait_for(signal, timeout_s: float = 300, action=None) -> None:
    """Do ``action`` (if any), then run the event loop until ``signal`` fires (or the timeout)."""
    got, loop = [], QEventLoop()
    signal.connect(lambda *args: (got.append(args), loop.quit()))
    if action is not None:
        action()
    if not got:
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec()
    if not got:
        print("warning: timed out waiting", file=sys.stderr)


def settle(ms: int = 800) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QTest.qWait(50)


def save(window, path: str) -> None:
    screen = QGuiApplication.primaryScreen()
    if QGuiApplication.platformName() == "xcb":  # the root window: the title bar is drawn by the WM
        frame = window.frameGeometry()
        image = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
    else:
        image = window.grab()
    image.save(path, "PNG")
    if os.path.getsize(path) > MAX_BYTES:
        from PIL import Image

        with Image.open(path) as full:
            full.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print("saved", path, os.path.getsize(path) // 1024, "KB")


def click_point(window, row: int) -> None:
    mv = window.map_view
    QTest.mouseClick(mv.canvas, Qt.LeftButton, Qt.NoModifier, mv.point_to_widget(row))
    settle(300)


def open_library(window, library: str) -> None:
    """A known library: its cached map first, then a rescan of what changed (nothing here)."""
    window.open_library(library)
    wait_for(window.session.finished)  # the cached map
    wait_for(window.session.finished)  # the rescan behind it
    if "covers" in window.session.side:  # thumbnails still being made
        wait_for(window.session.covers_done, 120)
    settle(1500)


def row_with_cover(window) -> int:
    """A track near the middle of the map whose album folder has a cover picture."""
    import numpy as np

    data = window.data
    xy = np.asarray(data.xy, dtype=float)
    order = np.argsort(np.linalg.norm(xy - xy.mean(axis=0), axis=1))
    for row in order:
        if os.path.exists(os.path.join(os.path.dirname(data.tracks[row].path), "cover.png")):
            return int(row)
    return int(order[0])


def shoot_track(window, out: str) -> None:
    row = row_with_cover(window)
    click_point(window, row)
    tree = window.panel.similar
    item = tree.topLevelItem(0)
    QTest.mouseClick(tree.viewport(), Qt.LeftButton, Qt.NoModifier, tree.visualItemRect(item).center())
    settle(1000)
    save(window, os.path.join(out, "track.png"))


def shoot_path(window, out: str) -> None:
    import numpy as np

    QTest.keyClick(window.map_view.canvas, Qt.Key_Escape)
    xy = np.asarray(window.data.xy, dtype=float)
    a, c = int(np.argmin(xy[:, 0])), int(np.argmax(xy[:, 0]))  # left edge to right edge
    b = int(np.argmax(xy[:, 1]))  # by way of the top
    pl = window.playlists
    QTest.mouseClick(window.toolbar.widgetForAction(pl.path_mode), Qt.LeftButton)
    click_point(window, a)
    for row in (b, c):  # each click after the first finds the path so far (a background job)
        wait_for(pl.path_changed, 60, action=lambda row=row: click_point(window, row))
    QTest.mouseClick(window.toolbar.widgetForAction(pl.play_path), Qt.LeftButton)
    settle(1500)
    save(window, os.path.join(out, "path.png"))


def main() -> int:
    library, cache = sys.argv[1], sys.argv[2]
    out = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else
                          os.path.join(os.path.dirname(__file__), "..", "docs", "screenshots"))
    os.makedirs(out, exist_ok=True)
    db = os.path.join(WORK, "cache.sqlite3")
    shutil.copy(cache, db)  # a copy: the original is never written
    application()
    window = make_window(db, QSettings(os.path.join(WORK, "settings.ini"), QSettings.IniFormat), device="cpu")
    window.resize(*SIZE)
    window.move(20, 20)
    window.show()
    try:
        open_library(window, library)
        save(window, os.path.join(out, "map.png"))
        shoot_track(window, out)
        shoot_path(window, out)
    finally:
        window.session.close()  # the engine's worker processes and the cache connections
        shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
