"""Issue 10, item 7 in the window: a damaged cache at start-up is said in a dialog that offers the
way out; damage a job runs into is one status line that says what to do."""
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from cache_factory import damaged_cache
from musicmap_desktop.app import open_checked_cache
from musicmap_desktop.core.errors import CacheDamaged
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.gui.damaged_cache import REBUILD


def click_when_asked(qtbot, label, seen):
    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            return QTimer.singleShot(20, click)
        seen.append(box.text() + "\n" + box.informativeText())
        button = next(b for b in box.buttons() if b.text() == label)
        qtbot.mouseClick(button, Qt.LeftButton)
    QTimer.singleShot(0, click)


def test_start_up_offers_to_set_a_damaged_cache_aside_and_starts_anew(qtbot, tmp_path):
    db = damaged_cache(tmp_path)
    seen = []
    click_when_asked(qtbot, REBUILD, seen)
    open_checked_cache(str(db))
    assert "damaged" in seen[0] and "Your music is not affected" in seen[0] and str(db) in seen[0]
    assert [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert open_db(str(db), check=True).execute("SELECT COUNT(*) FROM tracks").fetchone() == (0,)


def test_quit_leaves_the_damaged_cache_where_it_is(qtbot, tmp_path):
    db = damaged_cache(tmp_path)
    before = db.read_bytes()
    click_when_asked(qtbot, "Quit", [])
    with pytest.raises(CacheDamaged):
        open_checked_cache(str(db))
    assert db.read_bytes() == before and not [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
