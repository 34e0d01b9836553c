"""scripts/soundtracks.py: the reserved packages (DEVELOPERS.md) never become training data."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def soundtracks():
    spec = importlib.util.spec_from_file_location("soundtracks", REPO / "scripts" / "soundtracks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


# The rule as issue 14 and HELPERS.md state it; the data file may add to it, never drop one.
RULE = {"ufoai-music", "warzone2100-music", "singularity-music", "hyperrogue-music", "openclonk-data",
        "enigma-data", "xmoto-data", "asc-music", "supertuxkart-data", "redeclipse-data",
        "fretsonfire-songs-muldjord", "fretsonfire-songs-sectoid", "adonthell-data", "pushover-data",
        "ironseed-data", "heroes-sound-tracks"}


def test_the_data_file_holds_every_reserved_package(soundtracks):
    assert RULE <= soundtracks.reserved_packages()


def test_no_source_is_from_a_reserved_package(soundtracks):
    named = {s.package for s in soundtracks.SOURCES} | set(soundtracks.PACKAGES)
    assert not named & soundtracks.reserved_packages()


def test_the_training_manifest_names_no_reserved_package(soundtracks):
    manifest = json.loads((REPO / "weights" / "soundtracks.json").read_text(encoding="utf-8"))
    reserved = soundtracks.reserved_packages()
    assert manifest["albums"], "the manifest lists no albums"
    assert not {row["package"] for row in manifest["albums"]} & reserved
    assert not {row["fold_group"] for row in manifest["albums"]} & reserved
    assert not {row["package"] for row in manifest["excluded"]} & reserved
    assert not set(manifest["missing_packages"]) & reserved


def test_a_reserved_source_that_sneaks_in_stops_the_plan(soundtracks, monkeypatch, tmp_path):
    sneaked = soundtracks.Source("hyperrogue-music", "HyperRogue", "/usr/share/hyperrogue/music/*.ogg")
    monkeypatch.setattr(soundtracks, "SOURCES", [*soundtracks.SOURCES, sneaked])
    with pytest.raises(soundtracks.ReservedPackage, match="hyperrogue-music"):
        soundtracks.plan(tmp_path)


def test_the_command_refuses_before_installing_or_writing(soundtracks, monkeypatch, tmp_path):
    monkeypatch.setattr(soundtracks, "PACKAGES", [*soundtracks.PACKAGES, "enigma-data"])
    monkeypatch.setattr(soundtracks, "install", lambda: pytest.fail("installed despite a reserved package"))
    manifest = tmp_path / "manifest.json"
    with pytest.raises(soundtracks.ReservedPackage, match="enigma-data"):
        soundtracks.main(["--install", "--out", str(tmp_path / "lib"), "--manifest", str(manifest)])
    assert not manifest.exists() and not (tmp_path / "lib").exists()


def test_build_refuses_an_album_from_a_reserved_package(soundtracks, tmp_path):
    src = soundtracks.Source("xmoto-data", "X-Moto", "/nowhere/*")
    album = soundtracks.Album("X-Moto (soundtrack)", "X-Moto", src, [])
    with pytest.raises(soundtracks.ReservedPackage):
        soundtracks.build([album], tmp_path)
    assert not any(tmp_path.iterdir())


def test_the_manifest_refuses_a_reserved_album(soundtracks):
    album = soundtracks.Album("OpenClonk (soundtrack)", "K-Pone",
                              soundtracks.Source("openclonk-data", "OpenClonk", "/nowhere/*"), [])
    with pytest.raises(soundtracks.ReservedPackage):
        soundtracks.manifest([album], [], [])


def test_reserved_file_parsing_keeps_names_and_drops_comments(soundtracks, tmp_path):
    path = tmp_path / "list.txt"
    path.write_text("# header\n\nfoo-data\n  bar-music  # why it is kept\n   # indented\nbaz\n", encoding="utf-8")
    assert soundtracks.reserved_packages(path) == {"foo-data", "bar-music", "baz"}
