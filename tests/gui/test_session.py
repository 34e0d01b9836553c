"""The session's lanes: the library refresh runs alone in its lane; cover thumbnails (and other
side jobs) run beside it, never cancelling it, and never hold up the GUI thread."""
import time

import numpy as np
from PySide6.QtCore import QTimer

from musicmap_desktop.core.embed_pool import Engines
from musicmap_desktop.core.jobs import Phase, Progress
from musicmap_desktop.core.refresh import RefreshPlan
from musicmap_desktop.core.store.db import Cache
from musicmap_desktop.core.thumbnails import CoverCache
from musicmap_desktop.gui.session import LibrarySession


def session_for(tmp_path, library, covers=None):
    import shutil

    shutil.copy(library / "cache.db", tmp_path / "cache.db")
    return LibrarySession(Cache(str(tmp_path / "cache.db")), Engines("msd_musicnn", "cpu"), tuple(f"t{i}" for i in range(50)),
                          covers=covers)


def slow_job(seconds, log, name):
    def job(token):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not token.cancelled:
            time.sleep(0.02)
            yield Progress(Phase.COVERS, 0, 1)
        log.append((name, token.cancelled))
        yield Progress(Phase.DONE, 1, 1, result=name)
    return job


def test_a_side_job_runs_beside_the_refresh_and_cancels_only_its_own_lane(qtbot, tmp_path, library):
    session = session_for(tmp_path, library)
    log, done = [], []
    try:
        with qtbot.waitSignal(session.finished, timeout=120_000) as refreshed:
            session.load_map(RefreshPlan(str(library / "music")))
            session.run_side("covers", slow_job(5, log, "first"), on_done=lambda r, c: done.append((r, c)))
            session.run_side("covers", slow_job(0.3, log, "second"), on_done=lambda r, c: done.append((r, c)))
            session.run_side("summary", slow_job(0.3, log, "other lane"), on_done=lambda r, c: done.append((r, c)))
        assert refreshed.args == [False]  # the refresh was not cancelled by any of them
        qtbot.waitUntil(lambda: len(log) == 3, timeout=10_000)
        assert ("first", True) in log and ("second", False) in log and ("other lane", False) in log
        qtbot.waitUntil(lambda: len(done) == 2, timeout=5000)
        assert sorted(done) == [("other lane", False), ("second", False)]  # a superseded job says nothing
    finally:
        session.close()


def test_thumbnails_are_made_off_the_gui_thread(qtbot, tmp_path, library):
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(40):  # big noisy covers: seconds of decoding and resizing in all
        folder = tmp_path / "covers" / f"album{i}"
        folder.mkdir(parents=True)
        Image.fromarray(rng.integers(0, 255, (1400, 1400, 3), dtype=np.uint8)).save(folder / "cover.png")
        (folder / "01.flac").write_bytes(b"")
        paths.append(str(folder / "01.flac"))
    covers = CoverCache(str(tmp_path / "thumbs"))
    session = session_for(tmp_path, library, covers)
    drift, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        drift.append(now - last[0] - 0.01)
        last[0] = now

    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    timer.start()
    try:
        with qtbot.waitSignal(session.covers_done, timeout=120_000) as done:
            session.make_covers(paths)
    finally:
        timer.stop()
        session.close()
    assert done.args == [False]
    assert all(covers.thumbnail(p, 256) for p in paths)
    assert len(drift) > 20 and np.percentile(drift, 95) < 0.100
