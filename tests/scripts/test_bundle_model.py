"""scripts/bundle_model.py: the bundled record names its data, refuses reserved packages, and is
the default only when its fold table says the recipe won."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from musicmap_desktop.core import album_models
from musicmap_desktop.core.store.ids import album_model_id
from musicmap_desktop.model import zwccn
from musicmap_desktop.model.load_album import load_album_model
from trainer.dataset import album_key
from trainer.fold_eval import RECIPE_ROW

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle():
    sys.path.insert(0, str(REPO / "scripts"))
    spec = importlib.util.spec_from_file_location("bundle_model", REPO / "scripts" / "bundle_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.path.remove(str(REPO / "scripts"))


MANIFEST = {"albums": [
    {"album": "Game A (soundtrack)", "albumartist": "Game A", "package": "a-music", "licence": "GPL-2+"},
    {"album": "Game B (soundtrack, Kim)", "albumartist": "Kim", "package": "b-data", "licence": "CC-BY-SA-3.0"},
    {"album": "UFO: Alien Invasion", "albumartist": "UFO", "package": "ufoai-music", "licence": "GPL-2+"},
]}
KEYS = [album_key(a["album"], a["albumartist"], "") for a in MANIFEST["albums"]]


def _record(keys, wins=True) -> dict:
    summary = {RECIPE_ROW: {"wins": wins, "delta_p_at_5": 0.06 if wins else 0.01, "folds_lost": 0}}
    return {"id": "album-0123456789ab", "architecture": album_models.ZWCCN, "train_albums": keys,
            "folds": {"summary": summary}, "row": RECIPE_ROW}


def test_the_record_lists_every_album_and_package_it_trained_on(bundle):
    info = bundle.bundled_record(_record(KEYS[:2]), MANIFEST, "cmd")
    assert info["trained_on"] == ["Game A (soundtrack)", "Game B (soundtrack, Kim)"]
    assert info["trained_on_packages"] == ["a-music", "b-data"] and info["default"] is True


def test_the_default_switches_only_on_a_winning_record(bundle):
    assert bundle.bundled_record(_record(KEYS[:2], wins=False), MANIFEST, "cmd")["default"] is False


def test_a_reserved_package_or_an_unknown_album_is_refused(bundle):
    with pytest.raises(SystemExit, match="reserved package"):
        bundle.bundled_record(_record(KEYS), MANIFEST, "cmd")
    with pytest.raises(SystemExit, match="not in the manifest"):
        bundle.bundled_record(_record(KEYS[:1] + ["nobody\x1fnothing"]), MANIFEST, "cmd")
    with pytest.raises(SystemExit, match="closed-form"):
        bundle.bundled_record({**_record(KEYS[:2]), "architecture": "album_v5"}, MANIFEST, "cmd")


def test_the_command_copies_the_weights_under_their_id(tmp_path):
    rng = np.random.default_rng(0)
    model = zwccn.fit(rng.normal(size=(40, 1906)), [f"a{i % 4}" for i in range(40)])
    src = tmp_path / "incoming.safetensors"
    zwccn.save(model, src)
    record = {**_record(KEYS[:2]), "id": album_model_id(src)}
    src.with_suffix(".json").write_text(json.dumps(record))
    (tmp_path / "m.json").write_text(json.dumps(MANIFEST))
    out = tmp_path / "weights"
    out.mkdir()
    subprocess.run([sys.executable, str(REPO / "scripts" / "bundle_model.py"), str(src), "--manifest",
                    str(tmp_path / "m.json"), "--command", "cmd", "--out", str(out)], check=True, capture_output=True)
    written = json.loads((out / "album_bundled.json").read_text())
    assert written["id"] == album_model_id(out / "album_bundled.safetensors") and written["default"] is True


def test_the_shipped_bundled_model_loads_without_pickle_and_names_no_reserved_package(monkeypatch):
    entry = album_models.bundled_model()
    if entry is None:
        pytest.skip("no bundled album model in this checkout")
    import pickle

    import torch

    def refuse(*a, **k):
        raise AssertionError("something was unpickled")
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    model = load_album_model(entry.path)
    assert entry.needs_pools and model.needs_pools and entry.id == album_model_id(entry.path)
    reserved = {line.split("#")[0].strip() for line in (REPO / "scripts" / "reserved_packages.txt").read_text()
                .splitlines()} - {""}
    manifest = json.loads((REPO / "weights" / "soundtracks.json").read_text())
    assert entry.info["trained_on_packages"] and not set(entry.info["trained_on_packages"]) & reserved
    assert set(entry.info["trained_on_packages"]) <= {a["package"] for a in manifest["albums"]}
    assert entry.info["default"] == entry.info["folds"]["summary"][RECIPE_ROW]["wins"]
