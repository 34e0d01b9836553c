"""Issue 10, item 6: one update of a cache at a time, across processes; a killed holder never
leaves a stale lock; within one process the lock is re-entrant."""
import os
import signal
import subprocess
import sys

import pytest

from audio_factory import make_track
from musicmap_desktop.core.errors import CacheBusy
from musicmap_desktop.core.scan import scan
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.store.lock import lock_path, updating

HOLDER = [sys.executable, os.path.join(os.path.dirname(os.path.dirname(__file__)), "lock_holder.py")]


@pytest.fixture
def held(tmp_path):
    """Another process holding the lock of tmp_path/c.db."""
    proc = subprocess.Popen(HOLDER + [str(tmp_path / "c.db")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    if proc.poll() is None:
        proc.stdin.close()
        proc.wait(timeout=30)


def test_another_process_holding_the_lock_makes_a_scan_say_who(tmp_path, held):
    make_track(tmp_path / "m", "a", "wav", seconds=1)
    db = open_db(str(tmp_path / "c.db"))
    with pytest.raises(CacheBusy) as e:
        list(scan(str(tmp_path / "m"), db))
    message = str(e.value)
    assert f"pid {held.pid}" in message and "scanning /music (a test)" in message and str(tmp_path / "c.db") in message
    assert db.execute("SELECT COUNT(*) FROM tracks").fetchone() == (0,)  # it wrote nothing


def test_a_killed_holder_leaves_no_stale_lock(tmp_path, held):
    with pytest.raises(CacheBusy):
        with updating(str(tmp_path / "c.db"), "testing"):
            pass
    held.send_signal(signal.SIGKILL)
    held.wait(timeout=30)
    assert os.path.exists(lock_path(str(tmp_path / "c.db")))  # the file stays; the lock went with its process
    with updating(str(tmp_path / "c.db"), "testing"):
        pass


def test_the_lock_is_reentrant_in_one_process_and_released_at_the_end(tmp_path):
    path = str(tmp_path / "c.db")
    with updating(path, "outer"):
        with updating(path, "inner"):
            pass
        r = subprocess.run(HOLDER + [path], input="", capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and "CacheBusy" in r.stderr  # still held by the outer block
    r = subprocess.run(HOLDER + [path], input="", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "held"
