"""Desktop integration files (icon, .desktop entry, AppStream metainfo) and their installation.

They ship in the package as ``musicmap_desktop.resources`` (the repo's ``resources/``) and
are read through importlib.resources, so an installed wheel or a frozen build finds them.
No Qt here: ``--install-desktop`` runs headless.
"""
from __future__ import annotations

import os
import shlex
import sys
from importlib import resources

APP_ID = "io.github.musicmap.MusicmapDesktop"  # reverse DNS: desktop file, icon and AppStream id
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
RESOURCES = "musicmap_desktop.resources"


def resource(relpath: str):
    """A Traversable for a file under resources/ (relpath uses '/')."""
    return resources.files(RESOURCES).joinpath(*relpath.split("/"))


def icon_png(size: int) -> bytes:
    return resource(f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png").read_bytes()


def _files_to_install() -> list[tuple[str, str]]:
    """(resource path, destination relative to the XDG data dir) pairs."""
    files = [(f"{APP_ID}.desktop", f"applications/{APP_ID}.desktop"),
             (f"{APP_ID}.metainfo.xml", f"metainfo/{APP_ID}.metainfo.xml"),
             (f"icons/hicolor/scalable/apps/{APP_ID}.svg", f"icons/hicolor/scalable/apps/{APP_ID}.svg")]
    files += [(f"icons/hicolor/{s}x{s}/apps/{APP_ID}.png", f"icons/hicolor/{s}x{s}/apps/{APP_ID}.png")
              for s in ICON_SIZES]
    return files


def launcher_command() -> str:
    """How a desktop entry starts this very installation (venv, user install or frozen build)."""
    if getattr(sys, "frozen", False):
        return shlex.quote(sys.executable)
    script = sys.argv[0]
    if os.path.basename(script).startswith("musicmap-desktop") and os.path.isfile(script):
        return shlex.quote(os.path.abspath(script))  # the entry point of this venv or user install
    # python -m musicmap_desktop (a checkout, or a test): the interpreter and the module.
    return f"{shlex.quote(sys.executable)} -m musicmap_desktop"


def install_desktop_entry(data_home: str | None = None) -> list[str]:
    """Copy the entry, metainfo and icons into the user's XDG data dir; returns the paths written.

    The entry's Exec line is rewritten to this installation, because a venv's bin/ is
    usually not on the PATH a desktop session starts programs with.
    """
    root = data_home or os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    written = []
    for src, rel in _files_to_install():
        dest = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        data = resource(src).read_bytes()
        if rel.endswith(".desktop"):
            data = _with_exec(data.decode("utf-8"), launcher_command()).encode("utf-8")
        with open(dest, "wb") as f:
            f.write(data)
        written.append(dest)
    return written


def _with_exec(entry: str, command: str) -> str:
    return "".join(f"Exec={command} %f\n" if line.startswith("Exec=") else line
                   for line in entry.splitlines(keepends=True))
