"""Colours: a categorical palette that colour-blind readers can tell apart, readable on a light
and a dark background, and a map that follows the desktop between the two."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from map_factory import blobs, shown_view
from musicmap_desktop.gui import colors
from musicmap_desktop.gui.map_view import MapView

# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def seen_by(matrix, hexes) -> np.ndarray:
    """OKLab of the colours as a dichromat sees them."""
    rgb = np.array([colors.hex_rgb(h) for h in hexes]) / 255
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    sim = np.clip(lin @ np.array(matrix).T, 0, 1)
    srgb = np.where(sim <= 0.0031308, sim * 12.92, 1.055 * sim ** (1 / 2.4) - 0.055)
    return np.array([colors.oklab("#%02x%02x%02x" % tuple(int(round(v * 255)) for v in c)) for c in srgb])


def min_gap(labs) -> float:
    d = np.linalg.norm(labs[:, None] - labs[None], axis=-1)
    return float(d[~np.eye(len(labs), dtype=bool)].min())


@pytest.mark.parametrize("dark", [True, False], ids=["dark", "light"])
def test_the_first_groups_stay_apart_for_colour_blind_readers(dark):
    first = [colors.themed(c, dark) for c in colors.PALETTE[:7]]
    assert first == list(colors.OKABE_ITO)  # drawn as published on both backgrounds
    assert min_gap(np.array([colors.oklab(c) for c in first])) > 0.12
    for name, matrix in CVD.items():
        assert min_gap(seen_by(matrix, first)) > 0.03, name


@pytest.mark.parametrize("dark", [True, False], ids=["dark", "light"])
def test_every_colour_is_distinct_and_stands_off_the_background(dark):
    palette = [colors.themed(c, dark) for c in colors.PALETTE]
    labs = np.array([colors.oklab(c) for c in palette])
    assert len(set(palette)) == len(palette) >= 24 and min_gap(labs) > 0.03
    assert np.linalg.norm(labs - colors.oklab(colors.OTHER), axis=1).min() > 0.08
    background = colors.oklab(colors.THEMES[dark].background)[0]
    lo, hi = colors.LIGHTNESS[dark]
    assert all(lo - 1e-3 <= lab[0] <= hi + 1e-3 for lab in labs[7:])
    assert np.abs(labs[:, 0] - background).min() > (0.3 if dark else 0.05)  # light dots get a rim too
    theme = colors.THEMES[dark]
    for mark in (theme.text, theme.ring, theme.current, theme.found, theme.playing, theme.path, theme.neighbours):
        assert abs(colors.oklab(mark)[0] - background) > 0.35, mark  # marks and labels read on it


def test_ramps_fit_their_background():
    dark, light = colors.ramp(np.linspace(0, 1, 5), True), colors.ramp(np.linspace(0, 1, 5), False)
    assert colors.oklab(dark[0])[0] > 0.3 and colors.oklab(light[-1])[0] < 0.85
    coloring = colors.color_by(blobs(), "year", dark=False)
    assert coloring.colors[0].startswith("#") and coloring.entries[0].color == coloring.colors[0]


@pytest.fixture
def restore_palette():
    app = QApplication.instance()
    palette = app.palette()
    yield app
    app.setPalette(palette)


def test_the_map_follows_the_desktop_between_light_and_dark(qtbot, restore_palette):
    view = shown_view(qtbot, size=(400, 300), data=blobs())
    hints = QGuiApplication.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what the desktop sends when it turns dark
    assert view.theme.dark and corner(view) == QColor(colors.THEMES[True].background)
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not view.theme.dark and corner(view) == QColor(colors.THEMES[False].background)
    dark = QPalette()  # a platform theme that only sends a palette
    dark.setColor(QPalette.Window, QColor("#202124"))
    dark.setColor(QPalette.WindowText, QColor("#e8eaed"))
    restore_palette.setPalette(dark)
    qtbot.waitUntil(lambda: view.theme.dark, timeout=2000)
    assert view.labels.theme.dark and view.overlays.theme.dark


def test_a_forced_look_ignores_the_desktop(qtbot):
    view = MapView(dark=False)
    qtbot.addWidget(view)
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not view.theme.dark


def corner(view) -> QColor:
    """The background in the top left corner of the map (no point is drawn there)."""
    return view.grab().toImage().pixelColor(view.canvas.mapTo(view, view.canvas.rect().topLeft()) + QPoint(2, 2))
