"""Entry point of the frozen build (PyInstaller runs this file as __main__)."""
import multiprocessing
import sys

from musicmap_desktop.cli import main

if __name__ == "__main__":
    # The CPU engine's worker processes are spawned: in a frozen app each one re-runs this
    # executable, and freeze_support turns that run into the worker instead of a second app.
    multiprocessing.freeze_support()
    sys.exit(main())
