import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors import safe_open

from musicmap_desktop.core.store.ids import album_model_id
from musicmap_desktop.model.digest import file_sha256
from musicmap_desktop.model import album
from musicmap_desktop.model.aggregate import meanmax_vector
from musicmap_desktop.model.album import AlbumModel, AlbumModelConfig, pad_batch


def _model(n_classes=0, seed=0) -> AlbumModel:
    torch.manual_seed(seed)
    m = AlbumModel(AlbumModelConfig(n_classes=n_classes))
    # Non-trivial BN statistics, so eval mode is not a near-identity.
    for bn in (m.input_bn, m.pool_bn, m.out_bn):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    return m.eval()


def _feats(*shape, seed=1) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def test_shapes_and_unit_length():
    m = _model(n_classes=5)
    vec, logits = m(_feats(3, 20, 200))
    assert vec.shape == (3, 128) and logits.shape == (3, 5)
    torch.testing.assert_close(vec.norm(dim=1), torch.ones(3))
    assert m.embed(_feats(1, 1, 200)).shape == (1, 128)  # a single window works
    assert AlbumModel()(_feats(2, 4, 200))[1] is None  # no class head by default


def test_deterministic_bit_identical():
    m = _model()
    x = _feats(4, 30, 200)
    assert torch.equal(m.embed(x), m.embed(x.clone()))


def test_embed_restores_training_mode():
    m = _model().train()
    m.embed(_feats(2, 5, 200))
    assert m.training


def test_padding_invariance():
    m = _model()
    short, long_ = _feats(7, 200, seed=2), _feats(25, 200, seed=3)
    alone = m.embed(short[None])
    feats, mask = pad_batch([short, long_])
    feats[0, 7:] = 1e3  # garbage in the padding must not leak in
    batched = m.embed(feats, mask)
    torch.testing.assert_close(batched[0:1], alone, atol=1e-5, rtol=0)
    torch.testing.assert_close(batched[1:2], m.embed(long_[None]), atol=1e-5, rtol=0)


def test_padding_invariance_of_training_batchnorm():
    # Training-mode BN statistics come from valid windows only, never from padding.
    m = AlbumModel().train()
    x = [_feats(5, 200, seed=4), _feats(9, 200, seed=5)]
    feats, mask = pad_batch(x)
    m(feats, mask)
    valid = torch.cat([x[0] + m.pos[:5], x[1] + m.pos[:9]])
    mom = album.BN_MOMENTUM
    torch.testing.assert_close(m.input_bn.running_mean, mom * valid.mean(0))
    torch.testing.assert_close(m.input_bn.running_var, (1 - mom) + mom * valid.var(0))


def test_input_validation():
    m = _model()
    with pytest.raises(ValueError, match="valid window"):
        m.embed(_feats(1, 3, 200), torch.zeros(1, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="expected features"):
        m.embed(_feats(3, 100))
    with pytest.raises(ValueError, match="max_windows"):
        m.embed(_feats(1, 513, 200))


def test_save_load_round_trip(tmp_path):
    m = _model(n_classes=3)
    path = tmp_path / "album.safetensors"
    extra = {"trained_on": "toy", "classes": ["a", "b", "c"], "epochs": 2}
    digest = album.save(m, path, m.config, extra)
    assert digest == file_sha256(path)
    mid = album_model_id(path)
    assert mid.startswith("album-") and len(mid) == len("album-") + 12
    loaded = album.load(path)
    assert not loaded.training
    assert loaded.config == m.config and loaded.metadata == extra
    x = _feats(3, 11, 200)
    assert torch.equal(loaded.embed(x), m.embed(x))
    assert torch.equal(loaded(x)[1], m(x)[1])
    with safe_open(str(path), framework="pt") as f:
        meta = json.loads(f.metadata()[album.METADATA_KEY])
    assert meta["config"]["n_classes"] == 3
    # Same weights -> same bytes -> same id (metadata is written in a stable order).
    album.save(loaded, tmp_path / "again.safetensors", loaded.config, extra)
    assert album_model_id(tmp_path / "again.safetensors") == mid


def test_save_rejects_mismatched_config(tmp_path):
    m = _model()
    with pytest.raises(ValueError, match="does not match"):
        album.save(m, tmp_path / "x.safetensors", AlbumModelConfig(dim=64), {})


def test_load_refuses_pickle(tmp_path, monkeypatch):
    m = _model()
    path = tmp_path / "model.pt"
    torch.save(m.state_dict(), path)

    def no_unpickling(*a, **k):
        raise AssertionError("load() must never unpickle")

    monkeypatch.setattr(torch, "load", no_unpickling)
    with pytest.raises(album.ModelFileError, match="pickle"):
        album.load(path)
    legacy = tmp_path / "legacy.pt"
    torch.save(m.state_dict(), legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(album.ModelFileError, match="pickle"):
        album.load(legacy)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not a header....")
    with pytest.raises(album.ModelFileError, match="safetensors"):
        album.load(junk)


def test_training_reduces_loss():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((2, 200)) * 2.0
    labels = np.repeat([0, 1], 16)
    tracks = [centres[c] + rng.standard_normal((int(rng.integers(3, 12)), 200)) for c in labels]
    feats, mask = pad_batch([t.astype(np.float32) for t in tracks])
    y = torch.from_numpy(labels)
    m = AlbumModel(AlbumModelConfig(n_classes=2))

    def eval_loss():
        m.eval()
        with torch.no_grad():
            return F.cross_entropy(m(feats, mask)[1], y).item()

    before = eval_loss()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3, weight_decay=1e-5)
    for _ in range(40):
        m.train()
        perm = torch.randperm(len(y))[:8]
        loss = F.cross_entropy(m(feats[perm], mask[perm])[1], y[perm])
        opt.zero_grad()
        loss.backward()
        opt.step()
    after = eval_loss()
    assert after < 0.8 * before, (before, after)


def test_meanmax_vector():
    x = np.random.default_rng(0).standard_normal((9, 200)).astype(np.float16)
    v = meanmax_vector(x)
    assert v.dtype == np.float32 and v.shape == (400,)
    assert abs(np.linalg.norm(v) - 1.0) < 1e-6
    x64 = x.astype(np.float64)
    manual = np.concatenate([x64.mean(0), x64.max(0)])
    np.testing.assert_allclose(v, manual / np.linalg.norm(manual), rtol=1e-6, atol=1e-7)
    assert np.array_equal(v, meanmax_vector(x.copy()))
    one = np.arange(200, dtype=np.float32)[None]
    np.testing.assert_allclose(meanmax_vector(one), np.tile(one[0], 2) / np.linalg.norm(np.tile(one[0], 2)),
                               rtol=1e-6)
    with pytest.raises(ValueError):
        meanmax_vector(np.zeros((0, 200), np.float32))


@pytest.mark.parametrize("aggregator", ["gru", "meanmax"])
def test_other_aggregators_ignore_padding_and_round_trip(tmp_path, aggregator):
    torch.manual_seed(0)
    config = AlbumModelConfig(aggregator=aggregator)
    m = AlbumModel(config).eval()
    short, long_ = _feats(5, 200, seed=4), _feats(20, 200, seed=5)
    feats, mask = pad_batch([short, long_])
    feats[0, 5:] = 1e3
    torch.testing.assert_close(m.embed(feats, mask)[0:1], m.embed(short[None]), atol=1e-5, rtol=0)
    path = tmp_path / "m.safetensors"
    album.save(m, path, config)
    again = album.load(path)
    assert again.config.aggregator == aggregator
    assert torch.equal(again.embed(long_[None]), m.embed(long_[None]))


def test_unknown_aggregator_is_refused():
    with pytest.raises(ValueError, match="aggregator"):
        AlbumModel(AlbumModelConfig(aggregator="lstm"))
