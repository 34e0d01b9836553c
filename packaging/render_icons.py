"""Render the application icon's PNG sizes from its SVG (run after editing the SVG).

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

Writes resources/icons/hicolor/NxN/apps/<app id>.png, the freedesktop icon-theme layout,
so the folder can be copied into ~/.local/share/icons as it is. The PNGs are committed:
users and the frozen build never need an SVG renderer.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from musicmap_desktop.system.desktop import APP_ID, ICON_SIZES  # noqa: E402

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons" / "hicolor"


def render(svg: Path, size: int, out: Path) -> None:
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise SystemExit(f"could not write {out}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication(sys.argv[:1])  # noqa: F841  (QPainter needs it)
    svg = ICONS / "scalable" / "apps" / f"{APP_ID}.svg"
    for size in ICON_SIZES:
        out = ICONS / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        render(svg, size, out)
        print(out.relative_to(ICONS.parents[1]), out.stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
