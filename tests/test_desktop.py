"""Desktop integration files: valid by the freedesktop tools, consistent ids, icons of every size."""
import configparser
import os
import shlex
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from musicmap_desktop.cli import main
from musicmap_desktop.system.desktop import APP_ID, ICON_SIZES, icon_png, resource


def _entry(text: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return parser["Desktop Entry"]


def _validate(tool: list[str], path) -> None:
    if shutil.which(tool[0]) is None:
        pytest.skip(f"{tool[0]} not installed (scripts/setup.sh installs it when run as root)")
    r = subprocess.run(tool + [str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_desktop_entry_is_valid(tmp_path):
    path = tmp_path / f"{APP_ID}.desktop"
    path.write_bytes(resource(f"{APP_ID}.desktop").read_bytes())
    _validate(["desktop-file-validate"], path)
    entry = _entry(path.read_text())
    assert entry["Icon"] == APP_ID and entry["Exec"].startswith("musicmap-desktop ")


def test_metainfo_is_valid_and_names_the_entry(tmp_path):
    path = tmp_path / f"{APP_ID}.metainfo.xml"
    path.write_bytes(resource(f"{APP_ID}.metainfo.xml").read_bytes())
    _validate(["appstreamcli", "validate", "--no-net"], path)
    root = ET.parse(path).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == f"{APP_ID}.desktop"


def test_icons_have_the_size_their_folder_says():
    for size in ICON_SIZES:
        png = icon_png(size)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (size, size)
    svg = resource(f"icons/hicolor/scalable/apps/{APP_ID}.svg").read_text()
    assert ET.fromstring(svg).tag.endswith("svg")


def test_install_desktop_entry_points_at_this_installation(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert main(["--install-desktop"]) == 0
    written = capsys.readouterr().out.split()
    entry_file = tmp_path / "share" / "applications" / f"{APP_ID}.desktop"
    assert str(entry_file) in written
    for size in ICON_SIZES:
        assert (tmp_path / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").exists()
    assert (tmp_path / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").exists()
    program = shlex.split(_entry(entry_file.read_text())["Exec"])[0]
    assert os.path.isabs(program) and os.access(program, os.X_OK)
    _validate(["desktop-file-validate"], entry_file)

