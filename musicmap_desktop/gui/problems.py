"""The files that failed and why, with Retry."""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from ..core.store.db import Cache, transaction
from ..core.store.libraries import folder_problems
from ..core.store.paths import display
from ..core.store.tracks import failed_paths, mark_for_retry


class ProblemsDialog(QDialog):
    def __init__(self, cache: Cache, folder: str, parent=None, on_retry: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Problems")
        self.resize(800, 400)
        self.cache, self.folder, self.on_retry = cache, folder, on_retry
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Why it failed"])
        self.tree.setRootIsDecorated(False)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.retry_button = buttons.addButton("Retry all", QDialogButtonBox.ActionRole)
        self.retry_button.clicked.connect(self.retry)
        buttons.rejected.connect(self.reject)
        self.summary = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        db = self.cache.connect()
        self.paths = failed_paths(db, self.folder)
        for path, reason in self.paths:
            self.tree.addTopLevelItem(QTreeWidgetItem([display(path), reason]))
        skipped = folder_problems(db, self.folder)  # folders and links: seen again at every scan
        for path, reason in skipped:
            self.tree.addTopLevelItem(QTreeWidgetItem([path, reason]))
        self.summary.setText(f"{len(self.paths)} file(s) could not be used. They are skipped until they "
                             "change; Retry reads them again now."
                             + (f" {len(skipped)} folder(s), link(s) or special file(s) were skipped." if skipped else ""))
        self.retry_button.setEnabled(bool(self.paths))

    def retry(self) -> None:
        db = self.cache.connect()
        with transaction(db):
            mark_for_retry(db, [p for p, _ in self.paths])
        self.accept()
        if self.on_retry is not None:
            self.on_retry()
