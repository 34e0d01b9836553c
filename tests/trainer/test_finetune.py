"""`--retrain --finetune-backbone`: augmentations, the fine-tuned backbone's file and id, and the
whole job on the generated album library (conftest), a few steps only."""
import contextlib
import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from feature_factory import copy_db
from musicmap_desktop.core.album_models import choose_model, retrained_models
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.store import ids
from musicmap_desktop.core.store import vectors as vector_store
from musicmap_desktop.core.store import windows as window_store
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.store.ids import vector_model_id
from musicmap_desktop.model import finetuned, registry
from musicmap_desktop.model.album import ModelFileError
from musicmap_desktop.model.musicnn import TOP_MODULES
from tests.trainer.conftest import _private_home, _quiet_main as _main  # (pytest --import-mode=importlib)
from trainer import finetune

STOCK = ids.backbone_id("msd_musicnn")
PLAN = "n20-skip5"
FAST = ["--epochs", "5", "--no-mfcc", "--finetune-backbone", "--finetune-epochs", "2", "--steps-per-epoch", "2",
        "--tracks-per-step", "4", "--windows-per-step", "4"]


@contextlib.contextmanager
def _env(base: Path, **patches):
    """A private home (module fixtures run before the per-test isolation) and these patches."""
    with _private_home(base), pytest.MonkeyPatch.context() as mp:
        for target, value in patches.items():
            mp.setattr(target, value)
        yield


@pytest.fixture(scope="module")
def finetuned_run(album_library, tmp_path_factory):
    """The whole `--retrain --finetune-backbone`, its model counted as better than mean‖max."""
    base = tmp_path_factory.mktemp("ft_run")
    db = copy_db(album_library.db, base / "cache.sqlite3")
    models = str(base / "models")
    with _env(base, **{"trainer.retrain.beats_row": lambda *a: True}):
        code, out = _main(["--retrain", album_library.root, "--db", db, "--models-dir", models, "--json", *FAST])
    assert code == 0, out
    return SimpleNamespace(root=album_library.root, db=db, models=models, report=json.loads(out), base=base)


# ---- augmentation ---------------------------------------------------------------------------
def test_spec_augment_masks_one_time_and_one_frequency_band_with_the_mean():
    x = torch.randn(16, 187, 96)
    y = finetune.spec_augment(x, torch.Generator().manual_seed(1), 20, 12)
    same = finetune.spec_augment(x, torch.Generator().manual_seed(1), 20, 12)
    assert torch.equal(y, same)  # seeded: reproducible
    changed = y != x
    assert changed.any(dim=(1, 2)).sum() >= 14  # (a window may draw two empty masks)
    for i in range(16):
        rows, cols = changed[i].all(dim=1), changed[i].all(dim=0)  # fully masked frames / mel bands
        assert rows.sum() <= 20 and cols.sum() <= 12
        assert torch.equal(changed[i], rows[:, None] | cols[None, :])  # one band each, nothing else
        assert torch.allclose(y[i][changed[i]], x[i].mean().expand(int(changed[i].sum())))
        for band in (rows, cols):  # contiguous
            idx = torch.nonzero(band).flatten()
            assert len(idx) == 0 or idx[-1] - idx[0] + 1 == len(idx)


def test_random_gain_scales_each_window_within_the_range():
    audio = torch.ones(64, 100)
    out = finetune.random_gain(audio, torch.Generator().manual_seed(0), 6.0)
    gain_db = 20 * torch.log10(out[:, 0])
    assert torch.all(out == out[:, :1])  # one gain per window
    assert gain_db.abs().max() <= 6.0 + 1e-4 and gain_db.std() > 1.0


def test_random_starts_stay_in_the_track_and_skip_its_edges():
    rng = np.random.default_rng(0)
    starts = finetune.random_starts(180.0, 500, rng)
    skip = round(5 * 16000 / 256)
    assert starts == sorted(starts) and min(starts) >= skip
    assert max(starts) <= 1 + 180 * 16000 // 256 - 187 - skip
    assert finetune.random_starts(2.0, 3, rng) == [0, 0, 0]  # shorter than a window
    short = finetune.random_starts(8.0, 100, rng)  # too short to skip 5 s at both ends
    assert min(short) < skip


# ---- the fine-tuned backbone file ------------------------------------------------------------
def test_unchanged_top_gives_the_stock_features_and_tags(tmp_path):
    from musicmap_desktop.core.embed_pool import InProcess
    from musicmap_desktop.model.backbone import MusicnnBackbone

    stock = registry.build("msd_musicnn")
    path = tmp_path / "top.safetensors"
    finetuned.save_top(finetuned.MusicnnTop(stock.model), path, "msd_musicnn")
    backbone_id = ids.backbone_id("msd_musicnn", path)
    assert backbone_id.startswith(STOCK + "+ft-") and ids.base_id(backbone_id) == STOCK
    loaded = finetuned.build("msd_musicnn", path)
    x = torch.randn(3, 187, 96)
    with torch.no_grad():
        a, b = stock.model(x), loaded.model(x)
    assert torch.allclose(a.penultimate, b.penultimate) and torch.allclose(a.taggram, b.taggram)
    assert InProcess(MusicnnBackbone("msd_musicnn", "cpu", top=str(path)), 0).backbone_id == backbone_id


def test_loading_a_top_refuses_pickles_and_other_weights(tmp_path):
    from musicmap_desktop.model.backbone import MusicnnBackbone

    stock = registry.build("msd_musicnn").model
    pickled = tmp_path / "top.safetensors"
    torch.save(finetuned.MusicnnTop(stock).state_dict(), pickled)
    with pytest.raises(ModelFileError, match="pickle"):
        MusicnnBackbone("msd_musicnn", "cpu", top=str(pickled))
    path = tmp_path / "ok.safetensors"
    finetuned.save_top(finetuned.MusicnnTop(stock), path, "msd_musicnn")
    with pytest.raises(ModelFileError, match="fine-tuned from"):
        finetuned.build("mtt_musicnn", path)


# ---- training ---------------------------------------------------------------------------------
@pytest.mark.slow  # a fine-tune on decoded audio
def test_finetune_trains_the_top_and_leaves_the_convs_alone(album_library, monkeypatch, tmp_path):
    from trainer.retrain import RetrainOptions, prepare
    from trainer.train import TrainSettings, train_album_model

    built = []
    real_build = registry.build
    monkeypatch.setattr(registry, "build", lambda *a, **k: built.append(real_build(*a, **k)) or built[-1])
    db = open_db(copy_db(album_library.db, tmp_path / "cache.sqlite3"))
    options = RetrainOptions(root=None, backbone_id=STOCK, plan=PLAN, settings=TrainSettings(epochs=3))
    data, split = prepare(db, options)
    train, val = data.subset(split.train), data.subset(split.val)
    warm = [p.result for p in train_album_model(train, val, options.settings) if p.result][0]
    ft = finetune.FinetuneSettings(epochs=1, steps_per_epoch=2, tracks_per_step=4, windows_per_step=3,
                                   decode_workers=0)
    result = [p.result for p in finetune.finetune_album_model(
        db, train, val, warm.model, "msd_musicnn", STOCK, PLAN, options.settings, ft) if p.result][0]
    stock = real_build("msd_musicnn").model.state_dict()
    after = built[0].model.state_dict()  # the frozen Musicnn the steps ran through
    assert all(torch.equal(after[k], stock[k]) for k in stock)
    assert not any(p.requires_grad for p in built[0].model.parameters())
    top = result.top.state_dict()
    assert set(top) == {k for k in stock if k.split(".")[0] in TOP_MODULES}
    assert not torch.equal(top["dense.weight"], stock["dense.weight"])  # the top learned
    assert torch.equal(top["bn_pool.running_mean"], stock["bn_pool.running_mean"])  # BN stats kept
    assert [h["epoch"] for h in result.history] == [0, 1]


@pytest.mark.slow  # a fine-tune on decoded audio
def test_retrain_saves_a_finetuned_backbone_and_reanalyses_the_library(finetuned_run):
    entry = retrained_models(finetuned_run.models)[0]
    assert finetuned_run.report["model"] == entry.id
    top = Path(entry.backbone_top)
    assert top.name == f"{entry.id}.backbone.safetensors" == entry.info["backbone_top"] and top.is_file()
    assert entry.backbone_id == ids.backbone_id("msd_musicnn", top) != STOCK
    assert entry.info["base_backbone"] == "msd_musicnn" and entry.info["row"].startswith("fine-tuned")
    assert choose_model("auto", finetuned_run.models, STOCK).id == entry.id  # picked for the stock backbone
    assert not [p for p in os.listdir(finetuned_run.models) if p.startswith("incoming-")]
    db = open_db(finetuned_run.db)
    fps = [r[0] for r in db.execute("SELECT fingerprint FROM tracks WHERE status = 'ok'")]
    assert len(fps) == 24 * 6
    for fp in fps:  # windows of the fine-tuned backbone at the planned starts, and vectors from them
        mine, stock = (window_store.load_windows(db, fp, b, PLAN) for b in (entry.backbone_id, STOCK))
        assert np.array_equal(mine.starts, stock.starts) and not np.array_equal(mine.features, stock.features)
        np.testing.assert_allclose(mine.taggram, stock.taggram, atol=2e-3)  # tags from the stock top
    track_ids, vectors = vector_store.load_vectors(db, vector_model_id(entry, entry.backbone_id, PLAN))
    assert len(track_ids) == len(fps) and vectors.shape[1] == 128


@pytest.mark.slow  # a fine-tune on decoded audio
def test_evaluate_reads_the_cached_finetuned_windows(finetuned_run):
    def no_decoding(*a, **k):
        raise AssertionError("decoded audio again")

    with _env(finetuned_run.base, **{"trainer.finetune.decode_task": no_decoding}):
        code, out = _main(["--evaluate", "--db", finetuned_run.db, "--models-dir", finetuned_run.models,
                           "--json", "--no-mfcc"])
    assert code == 0, out
    table = json.loads(out)["table"]
    entry = retrained_models(finetuned_run.models)[0]
    assert table[f"retrained {entry.id}"] == finetuned_run.report["table"][entry.info["row"]]


@pytest.mark.slow  # a fine-tune on decoded audio
def test_cancelled_finetune_saves_nothing(finetuned_run, tmp_path):
    from trainer.finetune import FinetuneSettings
    from trainer.retrain import RetrainOptions, retrain
    from trainer.train import TrainSettings

    models = finetuned_run.models
    before = sorted(os.listdir(models))
    previous = choose_model("auto", models, STOCK).id
    db = open_db(copy_db(finetuned_run.db, tmp_path / "cache.sqlite3"))
    options = RetrainOptions(root=None, backbone_id=STOCK, plan=PLAN, settings=TrainSettings(epochs=3, seed=1),
                             with_mfcc=False, finetune=FinetuneSettings(epochs=3, steps_per_epoch=3,
                                                                        tracks_per_step=4, windows_per_step=2))
    cancel, phases = CancelToken(), []
    for p in retrain(db, options, models, cancel):
        phases.append(p.phase)
        if p.phase == "finetune":
            cancel.cancel()
        assert p.result is None
    assert "finetune" in phases
    assert sorted(os.listdir(models)) == before
    assert choose_model("auto", models, STOCK).id == previous


@pytest.mark.slow  # a fine-tune on decoded audio
def test_the_map_of_a_finetuned_model_reads_its_windows(finetuned_run, tmp_path):
    from musicmap_desktop.core.mapdata import MapData
    from musicmap_desktop.core.refresh import RefreshPlan, refresh_library

    entry = retrained_models(finetuned_run.models)[0]
    db = open_db(copy_db(finetuned_run.db, tmp_path / "cache.sqlite3"))
    asked = []

    def engine_for(model):  # the library is analysed already: an engine with nothing to do
        asked.append(model)
        return SimpleNamespace(backbone_id=model.backbone_id, run=lambda tasks, cancel: iter(()))

    for embed in (True, False):  # a refresh, and the map from the cache alone
        plan = RefreshPlan(finetuned_run.root, embed=embed, scan=False, vectors=entry)
        maps = [p.result for p in refresh_library(db, plan, engine_for, (), CancelToken())
                if isinstance(p.result, MapData)]
        assert len(maps[-1]) == 24 * 6 and maps[-1].model_id == vector_model_id(entry, entry.backbone_id, PLAN)
    assert asked == [entry]
