"""Issue 12, item 7 in the window: Library → Excluded folders…, driven through real clicks: Add…
(Qt's own folder chooser), Remove; the library is rescanned and the map follows."""
import shutil

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLineEdit, QToolButton

from audio_factory import make_track
from musicmap_desktop.app import make_window
from musicmap_desktop.gui.excluded_folders import ExcludedFoldersDialog


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """Music and Audiobooks, scanned and heard once."""
    from musicmap_desktop.core.embed import EmbedSettings, embed_library
    from musicmap_desktop.core.embed_pool import InProcess
    from musicmap_desktop.core.scan import scan
    from musicmap_desktop.core.store.db import open_db
    from musicmap_desktop.model.backbone import MusicnnBackbone

    root = tmp_path_factory.mktemp("lib")
    for i in range(6):
        make_track(root / "music" / "Albums" / f"Album {i % 2}", f"song {i}", "wav", seconds=4, style=i % 3, seed=i)
    for i in range(3):
        make_track(root / "music" / "Audiobooks", f"chapter {i}", "wav", seconds=4, style=4, seed=10 + i)
    db = open_db(str(root / "cache.db"))
    list(scan(str(root / "music"), db))
    list(embed_library(db, str(root / "music"), InProcess(MusicnnBackbone(device="cpu"), 0), EmbedSettings()))
    db.conn.close()
    return root


@pytest.fixture
def window(qtbot, tmp_path, library):
    shutil.copytree(library / "music", tmp_path / "music")
    shutil.copy(library / "cache.db", tmp_path / "cache.db")
    w = make_window(str(tmp_path / "cache.db"), QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), device="cpu")
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.session.finished, timeout=120_000):
        w.open_library(str(tmp_path / "music"))
    yield w
    w.session.wait()


def choose_folder(qtbot, dialog, name, up=0):
    """Add… then, in Qt's chooser (it opens in the library): up a folder ``up`` times, type the
    folder's name, Choose."""
    qtbot.mouseClick(dialog.add_button, Qt.LeftButton)
    chooser = dialog.chooser
    assert isinstance(chooser, QFileDialog) and chooser.isVisible()
    assert chooser.testOption(QFileDialog.DontUseNativeDialog)
    for _ in range(up):
        qtbot.mouseClick(chooser.findChild(QToolButton, "toParentButton"), Qt.LeftButton)
    qtbot.keyClicks(chooser.findChild(QLineEdit, "fileNameEdit"), name)
    choose = next(b for b in chooser.findChild(QDialogButtonBox).buttons() if b.text() == "&Choose")
    with qtbot.waitSignal(chooser.fileSelected, timeout=10_000):
        qtbot.mouseClick(choose, Qt.LeftButton)


def test_library_menu_opens_the_dialog(qtbot, window):
    assert window.excluded_action in window.menuBar().actions()[0].menu().actions()
    assert window.excluded_action.text() == "Excluded folders…"
    opened = []

    def close_it():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ExcludedFoldersDialog):
            return QTimer.singleShot(20, close_it)
        opened.append(dialog.folder)
        qtbot.mouseClick(dialog.close_button, Qt.LeftButton)

    QTimer.singleShot(0, close_it)
    window.excluded_action.trigger()
    assert opened == [window.folder]


def test_add_and_remove_an_excluded_folder_through_clicks(qtbot, window, tmp_path):
    assert len(window.data) == 9
    dialog = ExcludedFoldersDialog(window.session.cache, window.folder, window, on_change=window.rescan,
                                   native_chooser=False)
    qtbot.addWidget(dialog)
    dialog.show()
    (tmp_path / "elsewhere").mkdir()
    choose_folder(qtbot, dialog, "elsewhere", up=1)  # outside the library: said, not saved
    assert "not inside the library" in dialog.note.text() and dialog.list.count() == 0
    choose_folder(qtbot, dialog, "Audiobooks")
    assert [dialog.list.item(i).text() for i in range(dialog.list.count())] == [str(tmp_path / "music" / "Audiobooks")]
    with qtbot.waitSignal(window.session.finished, timeout=120_000):
        qtbot.mouseClick(dialog.close_button, Qt.LeftButton)
    assert len(window.data) == 6 and not [t for t in window.data.tracks if "Audiobooks" in t.path]

    again = ExcludedFoldersDialog(window.session.cache, window.folder, window, on_change=window.rescan,
                                  native_chooser=False)
    qtbot.addWidget(again)
    again.show()
    assert again.list.count() == 1 and not again.remove_button.isEnabled()
    item = again.list.item(0)
    qtbot.mouseClick(again.list.viewport(), Qt.LeftButton, pos=again.list.visualItemRect(item).center())
    assert again.remove_button.isEnabled()
    qtbot.mouseClick(again.remove_button, Qt.LeftButton)
    assert again.list.count() == 0
    with qtbot.waitSignal(window.session.finished, timeout=120_000):
        qtbot.keyClick(again, Qt.Key_Escape)
    assert len(window.data) == 9
