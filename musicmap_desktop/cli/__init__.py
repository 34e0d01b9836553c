"""The command line: ``main`` parses and runs one command.

``main`` (parsing, dispatch, the window), ``scan`` (scan, problems), ``tags``, ``export``,
``train`` (--retrain, --evaluate), ``housekeeping`` (--paths, --reset, --install-desktop);
``common`` holds what they share (arguments, cache, --model, Ctrl-C, the progress driver)
and ``printer`` the terminal progress line.
"""
from .main import main

__all__ = ["main"]
