"""The Problems dialog lists failed files and, like `musicmap-desktop problems`, what the scan
skipped: unreadable folders, broken symlinks, FIFOs (issue 10, item 9)."""
import os

from audio_factory import make_track
from musicmap_desktop.core.scan import scan
from musicmap_desktop.core.store.db import Cache
from musicmap_desktop.gui.problems import ProblemsDialog


def test_skipped_links_and_fifos_are_listed_with_failed_files(qtbot, tmp_path):
    music = tmp_path / "m"
    make_track(music, "good", "wav")
    (music / "broken.mp3").write_text("not audio")
    os.symlink(tmp_path / "gone.flac", music / "link.flac")
    os.mkfifo(music / "pipe.ogg")
    cache = Cache(str(tmp_path / "c.db"))
    list(scan(str(music), cache.connect()))
    dialog = ProblemsDialog(cache, str(music))
    qtbot.addWidget(dialog)
    rows = [(dialog.tree.topLevelItem(i).text(0), dialog.tree.topLevelItem(i).text(1))
            for i in range(dialog.tree.topLevelItemCount())]
    assert [os.path.basename(p) for p, _ in rows] == ["broken.mp3", "link.flac", "pipe.ogg"]
    assert rows[1][1].startswith("broken symlink") and rows[2][1].startswith("not a regular file")
    assert "2 folder(s), link(s) or special file(s) were skipped" in dialog.summary.text()
    cache.close()
