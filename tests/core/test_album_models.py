"""The versioned album-model store, model choice, and vectors recomputed from cached windows."""
import os
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from musicmap_desktop.core import album_models, track_vectors
from musicmap_desktop.core.album_models import AlbumModelEntry, VectorModels, choose_model
from musicmap_desktop.core.errors import UserError
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.map_build import build_map
from musicmap_desktop.core.store import vectors as vector_store
from musicmap_desktop.core.store import windows as window_store
from musicmap_desktop.core.store.ids import album_model_id, vector_model_id
from musicmap_desktop.core.store.vectors import tracks_without_vectors
from musicmap_desktop.core.track_vectors import vectorize
from musicmap_desktop.model import album
from musicmap_desktop.model.album import AlbumModel, AlbumModelConfig

from cache_factory import BACKBONE, PLAN, TAGS, Library


def _save(models_dir, seed, created, record=True):
    torch.manual_seed(seed)
    model = AlbumModel(AlbumModelConfig()).eval()
    os.makedirs(models_dir, exist_ok=True)
    tmp = os.path.join(models_dir, "incoming.safetensors")
    album.save(model, tmp, model.config)
    model_id = album_model_id(tmp)
    path = os.path.join(models_dir, f"{model_id}.safetensors")
    os.replace(tmp, path)
    if record:
        album_models.write_record(path, {"id": model_id, "backbone_id": BACKBONE, "created": created})
    return model_id, path


@pytest.fixture
def no_bundled(monkeypatch):
    monkeypatch.setattr(album_models, "bundled_model", lambda: None)


def test_newest_complete_model_is_chosen(tmp_path, no_bundled):
    models = str(tmp_path / "models")
    assert choose_model("auto", models, BACKBONE) is None  # nothing trained: mean‖max
    old, _ = _save(models, 1, created=100.0)
    new, _ = _save(models, 2, created=200.0)
    assert choose_model("auto", models, BACKBONE).id == new
    _save(models, 3, created=300.0, record=False)  # a retrain killed before its record
    assert choose_model("auto", models, BACKBONE).id == new
    assert choose_model(old, models, BACKBONE).id == old
    assert choose_model(old.removeprefix("album-")[:6], models, BACKBONE).id == old
    assert choose_model("meanmax", models, BACKBONE) is None
    assert choose_model("auto", models, "another-backbone") is None  # trained on other features
    with pytest.raises(UserError, match="matches no model"):
        choose_model("album-000000000000", models, BACKBONE)
    with pytest.raises(UserError, match="no bundled"):
        choose_model("bundled", models, BACKBONE)


def test_bundled_model_is_the_default_only_when_its_record_says_so(tmp_path, monkeypatch):
    models = str(tmp_path / "models")
    _, path = _save(str(tmp_path / "w"), 1, created=1.0, record=False)
    for default, expected in ((True, "bundled"), (False, None)):
        entry = AlbumModelEntry("album-b", path, "bundled", {"default": default, "backbone_id": BACKBONE})
        monkeypatch.setattr(album_models, "bundled_model", lambda entry=entry: entry)
        got = choose_model("auto", models, BACKBONE)
        assert (got.kind if got else None) == expected
    new, _ = _save(models, 2, created=5.0)
    assert choose_model("auto", models, BACKBONE).id == new  # a retrained model wins


def test_menu_choices_list_every_model_and_a_deleted_one_falls_back(tmp_path, no_bundled):
    models = str(tmp_path / "models")
    a, path_a = _save(models, 1, created=100.0)
    b, _ = _save(models, 2, created=200.0)
    choices = VectorModels(models, BACKBONE).choices()
    assert [c for _, c in choices] == ["auto", "meanmax", b, a]
    os.remove(path_a)
    assert VectorModels(models, BACKBONE).resolve(a).id == b


def test_shipped_bundled_record_is_consistent():
    entry = album_models.bundled_model()
    if entry is None:
        pytest.skip("no bundled album model in this checkout")
    assert entry.id == album_model_id(entry.path)  # the record describes these weights
    assert isinstance(entry.info.get("default"), bool)


def test_vectorize_uses_cached_windows_only_and_resumes(tmp_path, no_bundled, monkeypatch):
    lib = Library(tmp_path)
    for i in range(12):
        lib.add(f"t{i}", i % 3)
    model_id, path = _save(str(tmp_path / "models"), 1, created=1.0)
    entry = choose_model("auto", str(tmp_path / "models"), BACKBONE)
    vid = vector_model_id(entry, BACKBONE, PLAN)
    assert len(tracks_without_vectors(lib.db, lib.root, BACKBONE, PLAN, vid)) == 12
    monkeypatch.setattr(track_vectors, "BATCH", 5)
    cancel = CancelToken()
    for p in vectorize(lib.db, lib.root, BACKBONE, PLAN, entry, cancel):
        if p.done == 5:
            cancel.cancel()  # after the first batch: it is kept, the rest is left
    assert len(tracks_without_vectors(lib.db, lib.root, BACKBONE, PLAN, vid)) == 7
    items = list(vectorize(lib.db, lib.root, BACKBONE, PLAN, entry))
    assert items[-1].result.total == 7  # the rerun did only what was missing
    ids, vecs = vector_store.load_vectors(lib.db, vid, lib.root)
    assert len(ids) == 12 and vecs.shape == (12, 128)
    model = album.load(path)
    fp = lib.db.execute("SELECT fingerprint FROM tracks WHERE id = ?", [ids[0]]).fetchone()[0]
    feats = window_store.load_windows(lib.db, fp, BACKBONE, PLAN).features
    np.testing.assert_allclose(vecs[0], model.embed(torch.tensor(feats[None], dtype=torch.float32))[0].numpy(),
                               atol=1e-6)


def test_first_map_of_new_vectors_starts_from_the_old_map(tmp_path, no_bundled, monkeypatch):
    from musicmap_desktop.core import map_build

    lib = Library(tmp_path)
    for i in range(30):
        lib.add(f"t{i}", i % 3)
    old, _ = lib.build()
    entry = _entry(tmp_path)
    list(vectorize(lib.db, lib.root, BACKBONE, PLAN, entry))
    vid = vector_model_id(entry, BACKBONE, PLAN)
    starts = []
    real = map_build.compute_layout

    def spy(vectors, cancel, seed, init):
        starts.append(init)
        return (yield from real(vectors, cancel, seed, init))

    monkeypatch.setattr(map_build, "compute_layout", spy)
    items = list(build_map(lib.db, lib.root, vid, BACKBONE, PLAN, TAGS))
    new = items[-1].result
    assert new.model_id == vid and old.model_id != vid
    assert "place" in [p.phase for p in items]
    # t-SNE started from where every track was on the previous model's map.
    where = {t.id: i for i, t in enumerate(old.tracks)}
    np.testing.assert_allclose(starts[0], [old.xy[where[t.id]] for t in new.tracks])


def _entry(tmp_path):
    models = str(tmp_path / "m")
    _save(models, 5, created=1.0)
    return choose_model("auto", models, BACKBONE)


def test_auto_skips_a_retrained_model_that_lost_to_meanmax(tmp_path, no_bundled):
    models = str(tmp_path / "models")
    good, _ = _save(models, 1, created=100.0)
    _, path = _save(models, 2, created=200.0, record=False)
    weak = album_model_id(path)
    album_models.write_record(path, {"id": weak, "backbone_id": BACKBONE, "created": 200.0,
                                     "beats_meanmax": False})
    assert choose_model("auto", models, BACKBONE).id == good
    assert choose_model(weak, models, BACKBONE).id == weak  # still there to pick by hand


def _with_record(models, seed, created, **info):
    _, path = _save(models, seed, created, record=False)
    model_id = album_model_id(path)
    album_models.write_record(path, {"id": model_id, "backbone_id": BACKBONE, "created": created, **info})
    return model_id


def test_a_retrained_model_takes_over_the_bundled_default_only_when_it_beat_that_very_model(tmp_path,
                                                                                            monkeypatch):
    models = str(tmp_path / "models")
    _, path = _save(str(tmp_path / "w"), 1, created=1.0, record=False)
    bundled = AlbumModelEntry("album-b", path, "bundled", {"default": True, "backbone_id": BACKBONE})
    monkeypatch.setattr(album_models, "bundled_model", lambda: bundled)
    # An older retrain beat mean‖max but was never compared with the bundled model: it does not take over.
    old = _with_record(models, 2, 10.0, beats_meanmax=True)
    assert choose_model("auto", models, BACKBONE).id == "album-b"
    lost = _with_record(models, 3, 20.0, compared_with="album-b", beats_default=False, beats_meanmax=True)
    assert choose_model("auto", models, BACKBONE).id == "album-b"
    other = _with_record(models, 4, 30.0, compared_with="album-x", beats_default=True)  # another bundled model
    assert choose_model("auto", models, BACKBONE).id == "album-b"
    won = _with_record(models, 5, 5.0, compared_with="album-b", beats_default=True)
    assert choose_model("auto", models, BACKBONE).id == won  # the oldest, but the only one that beat it
    # Where the bundled model is not the default, the rule is the old one: beat mean‖max.
    bundled = AlbumModelEntry("album-b", path, "bundled", {"default": False, "backbone_id": BACKBONE})
    assert choose_model("auto", models, BACKBONE).id == other  # newest; its record says nothing of mean‖max
    assert {old, lost} <= {e.id for e in album_models.retrained_models(models)}


def _closed_form_entry(lib, models_dir):
    """A closed-form model fitted to the library's tracks, saved with its record."""
    from musicmap_desktop.model import zwccn

    fps = [r[0] for r in lib.db.execute("SELECT fingerprint FROM track_pools")]
    feats = window_store.load_features(lib.db, fps, BACKBONE, PLAN)
    pools = window_store.load_pools(lib.db, fps, BACKBONE, PLAN)
    albums = [lib.db.execute("SELECT album FROM tracks WHERE fingerprint = ?", [fp]).fetchone()[0] for fp in fps]
    model = zwccn.fit(zwccn.track_inputs([feats[f] for f in fps], [pools[f] for f in fps]), albums, dim=16)
    os.makedirs(models_dir, exist_ok=True)
    tmp = os.path.join(models_dir, "incoming.safetensors")
    zwccn.save(model, tmp)
    model_id = album_model_id(tmp)
    path = os.path.join(models_dir, f"{model_id}.safetensors")
    os.replace(tmp, path)
    return album_models.write_record(path, {"id": model_id, "backbone_id": BACKBONE, "architecture": "zwccn_v1"}), model


def test_vectorize_with_the_closed_form_model_reads_windows_and_pools(tmp_path, no_bundled):
    lib = Library(tmp_path)
    for i in range(24):
        lib.add(f"t{i}", i % 3)
    entry, model = _closed_form_entry(lib, str(tmp_path / "models"))
    lib.add("late", 1, pools=False)  # heard before pools were cached
    assert entry.needs_pools
    list(vectorize(lib.db, lib.root, BACKBONE, PLAN, entry))
    vid = vector_model_id(entry, BACKBONE, PLAN)
    ids, vecs = vector_store.load_vectors(lib.db, vid, lib.root)
    assert len(ids) == 24 and vecs.shape == (24, 16)  # not the track without pools
    fp = lib.db.execute("SELECT fingerprint FROM tracks WHERE id = ?", [ids[3]]).fetchone()[0]
    feats = window_store.load_windows(lib.db, fp, BACKBONE, PLAN).features
    pools = window_store.load_pools(lib.db, [fp], BACKBONE, PLAN)[fp]
    np.testing.assert_array_equal(vecs[3], model.embed([feats], [pools])[0])


def test_the_map_keeps_mean_max_until_every_track_has_its_pools(tmp_path, no_bundled):
    from musicmap_desktop.core.jobs import MapProgress
    from musicmap_desktop.core.refresh import RefreshPlan, refresh_library

    lib = Library(tmp_path)
    for i in range(12):
        lib.add(f"t{i}", i % 3)
    entry, _ = _closed_form_entry(lib, str(tmp_path / "models"))
    lib.add("late", 1, pools=False)
    plan = RefreshPlan(lib.root, scan=False, vectors=entry, settings=SimpleNamespace(plan=PLAN))

    class Absent:  # the engine cannot hear the late track (its drive is away)
        backbone_id = BACKBONE

        def run(self, tasks, cancel):
            return iter(())

    def shown():
        items = list(refresh_library(lib.db, plan, lambda m: Absent(), TAGS, CancelToken()))
        return [p.result for p in items if isinstance(p, MapProgress)][-1]
    before = shown()
    assert before.model_id == vector_model_id(None, BACKBONE, PLAN) and len(before) == 13
    fp = lib.db.execute("SELECT fingerprint FROM tracks WHERE title LIKE '% late'").fetchone()[0]
    window_store.save_pools(lib.db, fp, BACKBONE, PLAN, lib.pools(1))  # the engine heard it again
    after = shown()
    assert after.model_id == vector_model_id(entry, BACKBONE, PLAN) and len(after) == 13
