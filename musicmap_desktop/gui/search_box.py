"""Search as you type: which tracks match the words in the box (title, artist, album, genres)."""
from __future__ import annotations

import unicodedata

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from ..core.mapdata import MapData


def _fold(text: str) -> str:
    # NFKC first so composed / compatibility forms compare equal; casefold handles ß, Cyrillic, …
    return unicodedata.normalize("NFKC", text).casefold()


def haystacks(data: MapData) -> list[str]:
    """One folded search text per track; build once per map, reuse for every keystroke."""
    return [_fold("\n".join([t.title, t.artist, t.album, *t.genres])) for t in data.tracks]


def matches(data: MapData, text: str, index: list[str] | None = None) -> list[int]:
    """Tracks whose title/artist/album/genres contain every word of ``text`` (case-insensitive).

    Empty text matches nothing. ``index`` is ``haystacks(data)``, passed in to avoid rebuilding it.
    """
    words = _fold(text).split()
    if not words:
        return []
    index = haystacks(data) if index is None else index
    return [i for i, hay in enumerate(index) if all(w in hay for w in words)]


class SearchBox(QLineEdit):
    """Emits the matching indices while the user types (debounced); Enter activates the first
    match, Enter again the next one (``position`` says which of how many)."""

    search_changed = Signal(list)  # indices of the matches ([] also when nothing matches)
    cleared = Signal()  # the box was emptied: show the whole map again
    activated = Signal(int)  # Enter: the first match, then the next one on each Enter

    DEBOUNCE_MS = 150

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Search title, artist, album, genre…")
        self.setClearButtonEnabled(True)
        self._data: MapData | None = None
        self._index: list[str] = []
        self._timer = QTimer(self, singleShot=True, interval=self.DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        self.position: tuple[int, int] = (0, 0)  # (which match, of how many) Enter went to last
        self._entered = ""  # the text of the last Enter: a new text starts at its first match
        self.textChanged.connect(lambda _: self._timer.start())
        self.returnPressed.connect(self._activate)

    def set_data(self, data: MapData | None) -> None:
        self._data = data
        self._index = haystacks(data) if data is not None else []
        if self.text().strip():
            self._timer.start()  # re-run the current search against the new map

    def current_matches(self) -> list[int]:
        return matches(self._data, self.text(), self._index) if self._data is not None else []

    def _run(self) -> None:
        if not self.text().strip():
            self.cleared.emit()
            return
        self.search_changed.emit(self.current_matches())

    def _activate(self) -> None:
        self._timer.stop()  # Enter answers now, not 150 ms later
        found = self.current_matches()
        self._run()
        if not found:
            self.position = (0, 0)
            return
        nth = (self.position[0] + 1) % len(found) if self.text() == self._entered else 0
        self._entered, self.position = self.text(), (nth, len(found))
        self.activated.emit(found[nth])

    def event(self, event) -> bool:
        # Escape empties the box first; the window's Escape (clear the highlight) comes next time.
        if event.type() == QEvent.ShortcutOverride and event.key() == Qt.Key_Escape and self.text():
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)
