"""Save docs/screenshot.png: the real window on a generated library, a track playing.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot.py [OUT.png]
"""
from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from audio_factory import make_library  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from musicmap_desktop.app import make_window  # noqa: E402


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "docs", "screenshot.png")
    work = tempfile.mkdtemp(prefix="musicmap-shot-")
    make_library(os.path.join(work, "Music"), n_albums=6, tracks_per_album=14, seconds=12)
    app = QApplication(sys.argv[:1])
    app.setApplicationDisplayName("musicmap")
    window = make_window(os.path.join(work, "cache.db"), QSettings(os.path.join(work, "s.ini"), QSettings.IniFormat),
                         device="cpu")
    window.resize(1400, 860)
    window.show()

    def finished(cancelled: bool) -> None:
        window.playback.play_index(len(window.data) // 3)
        window.search.setText("")
        QTimer.singleShot(1500, shoot)

    def shoot() -> None:
        window.grab().save(os.path.abspath(out))
        print("saved", os.path.abspath(out))
        app.quit()

    window.session.finished.connect(finished)
    window.open_library(os.path.join(work, "Music"))
    try:
        return app.exec()
    finally:
        window.session.close()  # the engine's worker processes and the cache connections


if __name__ == "__main__":
    sys.exit(main())
