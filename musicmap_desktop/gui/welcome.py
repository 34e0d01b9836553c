"""First launch: offer the Music folder, any folder (Ctrl+O), or a folder dropped on the window."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget


def dropped_folder(mime) -> str | None:
    """The first local folder in a drag's data, if any."""
    for url in mime.urls() if mime.hasUrls() else []:
        path = url.toLocalFile()
        if path and os.path.isdir(path):
            return path
    return None


class WelcomeView(QWidget):
    folder_chosen = Signal(str)

    def __init__(self, music_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.music_dir = music_dir
        title = QLabel("<h1>musicmap</h1><p>Your music, drawn as a map: similar songs land close "
                       "together. Click a point to play it.</p><p>Nothing leaves this computer, and "
                       "your music files are never changed.</p>")
        title.setWordWrap(True)
        title.setAlignment(Qt.AlignCenter)
        self.music_button = QPushButton(f"Open your Music folder\n{music_dir}")
        self.music_button.setEnabled(os.path.isdir(music_dir))
        if not os.path.isdir(music_dir):
            self.music_button.setToolTip("This folder does not exist on this computer.")
        self.open_button = QPushButton("Open folder…  (Ctrl+O)")
        hint = QLabel("…or drop a folder onto this window.")
        hint.setAlignment(Qt.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for w in (title, self.music_button, self.open_button, hint):
            layout.addWidget(w, 0, Qt.AlignHCenter)
        layout.addStretch(2)
        self.music_button.clicked.connect(lambda: self.folder_chosen.emit(self.music_dir))
        self.open_button.clicked.connect(self.choose)

    def choose(self) -> None:
        start = self.music_dir if os.path.isdir(self.music_dir) else os.path.expanduser("~")
        folder = QFileDialog.getExistingDirectory(self, "Open music folder", start)
        if folder:
            self.folder_chosen.emit(folder)
