"""Start-up: `--version` and the window from a warm cache, against bare interpreters, in one run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/startup.py [--runs 7] [--tracks 24]
                                                                [--frozen dist/musicmap-desktop/musicmap-desktop]

Every figure is the median wall time of a fresh process (warm OS file cache: one
untimed run first), measured from spawning it to the line it prints:
- `--version` against `python -c pass` and `python -c "import PySide6.QtWidgets"`;
- the window of a library opened before (settings name it, the cache holds its map):
  first paint of the window, and the map drawn from the cache. Baseline: a bare
  QMainWindow shown in a fresh process. Also reports whether torch was imported by then
  (it must not be: torch is for embedding).
Targets on the 2-core machine: `--version` < 1 s, window shown < 3 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
APP = [sys.executable, "-m", "musicmap_desktop"]
BARE_WINDOW = ("from PySide6.QtWidgets import QApplication, QMainWindow\n"
               "from PySide6.QtCore import QTimer\n"
               "app = QApplication([]); w = QMainWindow(); w.resize(1200, 800); w.show()\n"
               "QTimer.singleShot(0, lambda: (print('painted', flush=True), app.quit()))\n"
               "app.exec()")


def run_app(argv: list[str], on_window) -> int:
    """Child role: the app's own GUI entry, with on_window(window) called once it is built."""
    from musicmap_desktop import app as composition
    from musicmap_desktop.cli import main

    original = composition.make_window

    def make_window(*args, **kwargs):
        window = original(*args, **kwargs)
        on_window(window)
        return window

    composition.make_window = make_window
    return main(argv)


def probe() -> int:
    """Child role: print when the window first paints and when the cached map is drawn."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def __init__(self, window):
            super().__init__(window)
            self.window, self.done = window, False

        def eventFilter(self, obj, event):
            if not self.done and event.type() == QEvent.Paint and obj.isWidgetType() and obj.window() is self.window:
                self.done = True
                print("painted", flush=True)
            return False

    def drawn(window):
        print(f"map torch={'torch' in sys.modules}", flush=True)
        window.close()  # closeEvent stops the rescan that follows a load; the last window quits

    def on_window(window):
        QApplication.instance().installEventFilter(FirstPaint(window))
        window.session.map_ready.connect(lambda *_: QTimer.singleShot(0, lambda: drawn(window)))
        QTimer.singleShot(60_000, window.close)  # never hang the benchmark

    return run_app([], on_window)


def first_open(folder: str) -> int:
    """Child role for the untimed first run: open the folder, wait for the finished map, close."""
    from PySide6.QtCore import QTimer

    def on_window(window):
        window.session.finished.connect(lambda *_: QTimer.singleShot(0, window.close))

    return run_app([folder], on_window)


def time_to(cmd: list[str], marker: str, env=None) -> float:
    """Seconds from spawning cmd to the first stdout line starting with marker."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    elapsed = None
    for line in p.stdout:
        if elapsed is None and line.startswith(marker):
            elapsed = time.perf_counter() - t0
    p.wait()
    if elapsed is None:
        raise SystemExit(f"{cmd[-1]!r} never printed {marker!r} (exit {p.returncode})")
    return elapsed


def median_time(cmd, marker, runs, env=None) -> float:
    time_to(cmd, marker, env)  # untimed: warms the OS file cache
    return statistics.median(time_to(cmd, marker, env) for _ in range(runs))


def warm_library(work: str, tracks: int) -> dict:
    """A scanned, embedded library whose map a first window run has cached; returns the env."""
    from audio_factory import make_library

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[var] = os.path.join(work, var.lower())
    music = os.path.join(work, "music")
    make_library(music, n_albums=max(1, tracks // 8), tracks_per_album=min(8, tracks), seconds=4)
    subprocess.run(APP + ["scan", music, "--device", "cpu"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # First window run: opens the folder, lays out the map, remembers the folder.
    subprocess.run([sys.executable, __file__, "--probe-folder", music], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return env


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--tracks", type=int, default=24)
    ap.add_argument("--frozen", help="also time this frozen executable's --version")
    ap.add_argument("--probe", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--probe-folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        return probe()
    if args.probe_folder:
        return first_open(args.probe_folder)

    n = args.runs
    rows = [("python -c pass", median_time([sys.executable, "-c", "print('x')"], "x", n)),
            ("python -c 'import PySide6.QtWidgets'",
             median_time([sys.executable, "-c", "import PySide6.QtWidgets; print('x')"], "x", n)),
            ("musicmap-desktop --version", median_time(APP + ["--version"], "musicmap-desktop", n))]
    if args.frozen:
        rows.append(("frozen --version", median_time([args.frozen, "--version"], "musicmap-desktop", n)))
    base = rows[0][1]
    print(f"{'':40} {'seconds':>8} {'× python -c pass':>17}")
    for name, t in rows:
        print(f"{name:40} {t:8.3f} {t / base:17.1f}")
    print(f"--version target < 1 s: {'PASS' if rows[2][1] < 1 else 'FAIL'}\n")

    with tempfile.TemporaryDirectory(prefix="musicmap-startup-") as work:
        env = warm_library(work, args.tracks)
        probe_cmd = [sys.executable, __file__, "--probe"]
        bare = median_time([sys.executable, "-c", BARE_WINDOW], "painted", n, env)
        painted = median_time(probe_cmd, "painted", n, env)
        drawn = median_time(probe_cmd, "map", n, env)
        torch = subprocess.run(probe_cmd, env=env, capture_output=True, text=True).stdout.split()[-1]
    print(f"{'':40} {'seconds':>8} {'× bare window':>17}")
    print(f"{'bare QMainWindow shown':40} {bare:8.3f} {1.0:17.1f}")
    print(f"{'window painted (warm cache)':40} {painted:8.3f} {painted / bare:17.1f}")
    print(f"{f'map of {args.tracks} tracks drawn from cache':40} {drawn:8.3f} {drawn / bare:17.1f}")
    print(f"window target < 3 s: {'PASS' if painted < 3 else 'FAIL'}; torch imported by then: {torch.split('=')[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
