"""Main window until the map lands: scan a folder in the background, show what was found."""
from __future__ import annotations

import os

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QMainWindow, QPlainTextEdit, QProgressBar, QPushButton,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from ..core.db import Cache
from ..core.library import display, failed_tracks
from ..core.scan import scan
from ..progress_text import format_duration, summary_text
from .jobs import JobThread


class ScanWindow(QMainWindow):
    def __init__(self, cache: Cache, folder: str, settings: QSettings) -> None:
        super().__init__()
        self.cache = cache
        self.settings = settings
        self.folder = folder
        self.job: JobThread | None = None
        self._build()
        self.restoreGeometry(settings.value("window/geometry", b""))

    def _build(self) -> None:
        self.resize(900, 600)
        self.folder_label = QLabel()
        self.progress_bar = QProgressBar()
        self.status = QLabel("Idle")
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_scan)
        self.cancel_button.setEnabled(False)
        self.open_button = QPushButton("Open folder…")
        self.open_button.clicked.connect(self.choose_folder)
        self.summary = QPlainTextEdit(readOnly=True)
        self.problems = QTreeWidget()
        self.problems.setHeaderLabels(["File", "Why it failed"])
        row = QHBoxLayout()
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.open_button)
        layout = QVBoxLayout()
        for w in (self.folder_label,):
            layout.addWidget(w)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.summary, 1)
        layout.addWidget(QLabel("Problems"))
        layout.addWidget(self.problems, 1)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        open_action = QAction("Open folder…", self, shortcut=QKeySequence.Open, triggered=self.choose_folder)
        self.addAction(open_action)
        self.menuBar().addMenu("&File").addAction(open_action)

    def start_scan(self, folder: str | None = None) -> None:
        self.folder = os.path.abspath(folder or self.folder)
        self.setWindowTitle(f"musicmap-desktop — {display(self.folder)}")
        self.folder_label.setText(f"Library: {display(self.folder)}")
        if not os.path.isdir(self.folder):
            self.status.setText("This folder does not exist. Choose another with Open folder… (Ctrl+O).")
            return
        if self.job is not None:
            self.job.cancel()
            self.job.wait()
        self.settings.setValue("library/last_folder", self.folder)
        folder, cache = self.folder, self.cache
        self.job = JobThread(lambda token: scan(folder, cache.connect(), token), parent=self)
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.cancel_button.setEnabled(True)
        self.status.setText("Listing files…")
        self.job.start()

    def cancel_scan(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open music folder", self.folder)
        if folder:
            self.start_scan(folder)

    def _on_progress(self, p) -> None:
        if p.phase == "walk":
            self.progress_bar.setRange(0, 0)
            self.status.setText(f"Listing files… {p.done} found")
            return
        self.progress_bar.setRange(0, max(p.total, 1))
        self.progress_bar.setValue(p.done)
        self.status.setText(
            f"{p.done}/{p.total} files · {p.rate:.0f}/s · ETA {format_duration(p.eta)} · {display(p.current)}")

    def _on_done(self, summary, cancelled: bool) -> None:
        self.cancel_button.setEnabled(False)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.status.setText("Cancelled" if cancelled else "Done")
        if summary is not None:
            self.summary.setPlainText(summary_text(summary))
        self.refresh_problems()

    def _on_failed(self, message: str) -> None:
        self.cancel_button.setEnabled(False)
        self.status.setText(f"Scan failed: {message}")

    def refresh_problems(self) -> None:
        self.problems.clear()
        for path, reason in failed_tracks(self.cache.connect(), self.folder):
            self.problems.addTopLevelItem(QTreeWidgetItem([path, reason]))

    def closeEvent(self, event) -> None:
        if self.job is not None and self.job.isRunning():
            self.job.cancel()
            self.job.wait()
        self.settings.setValue("window/geometry", self.saveGeometry())
        super().closeEvent(event)
