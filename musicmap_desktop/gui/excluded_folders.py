"""Library → Excluded folders…: the folders the library's scans leave out (audiobooks, podcasts,
samples), with Add… and Remove. Saved in the cache with the library; the library is rescanned
when the dialog closes after a change, so their tracks leave the map (or come back)."""
from __future__ import annotations

import os
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QLabel, QListWidget, QListWidgetItem, QVBoxLayout,
)

from ..core.store.db import Cache, transaction
from ..core.store.libraries import exclude_folder, excluded_folders, include_folder
from ..core.store.paths import display


class ExcludedFoldersDialog(QDialog):
    """``native_chooser=False``: Qt's own folder chooser (what tests click through)."""

    def __init__(self, cache: Cache, folder: str, parent=None, on_change: Callable[[], None] | None = None,
                 native_chooser: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Excluded folders")
        self.resize(640, 320)
        self.cache, self.folder, self.on_change, self.native_chooser = cache, folder, on_change, native_chooser
        self.changed = False
        self.chooser: QFileDialog | None = None
        self.list = QListWidget()
        self.list.setSelectionMode(QListWidget.ExtendedSelection)
        self.note = QLabel()
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.close_button = buttons.button(QDialogButtonBox.Close)
        self.add_button = buttons.addButton("Add…", QDialogButtonBox.ActionRole)
        self.remove_button = buttons.addButton("Remove", QDialogButtonBox.ActionRole)
        self.add_button.clicked.connect(self.choose)
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.list.selectedItems())))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Folders of {display(folder)} that scans leave out (audiobooks, podcasts, "
                                "samples). Their tracks are not on the map."))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for path in excluded_folders(self.cache.connect(), self.folder):
            item = QListWidgetItem(display(path))
            item.setData(Qt.UserRole, path)
            self.list.addItem(item)
        self.remove_button.setEnabled(False)

    def choose(self) -> None:
        """Ask for a folder inside the library (the chooser opens there)."""
        self.chooser = QFileDialog(self, "Leave out a folder", self.folder)
        self.chooser.setFileMode(QFileDialog.Directory)
        self.chooser.setOption(QFileDialog.ShowDirsOnly)
        self.chooser.setOption(QFileDialog.DontUseNativeDialog, not self.native_chooser)
        self.chooser.fileSelected.connect(self.add)
        self.chooser.open()

    def add(self, path: str) -> None:
        path = os.path.abspath(path)
        if not path.startswith(os.path.join(self.folder, "")):
            self.note.setText(f"{display(path)} is not inside the library: nothing to leave out.")
            return
        db = self.cache.connect()
        with transaction(db):
            exclude_folder(db, self.folder, path)
        self._changed(f"{display(path)} is left out from the next scan on.")

    def remove_selected(self) -> None:
        db = self.cache.connect()
        paths = [item.data(Qt.UserRole) for item in self.list.selectedItems()]
        with transaction(db):
            for path in paths:
                include_folder(db, self.folder, path)
        self._changed(f"{len(paths)} folder(s) are scanned again from the next scan on.")

    def _changed(self, note: str) -> None:
        self.changed = True
        self.note.setText(note + " The library is rescanned when you close this.")
        self.refresh()

    def done(self, result: int) -> None:
        super().done(result)
        if self.changed and self.on_change is not None:
            self.changed = False
            self.on_change()
