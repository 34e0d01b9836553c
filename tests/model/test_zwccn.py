"""The closed-form album model: exact whitening, training statistics, the file round trip, no pickle."""
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from musicmap_desktop.core import album_models
from musicmap_desktop.model import load_album, model_file, zwccn


def _albums(n_albums=12, per_album=6, dims=(8, 12), seed=0):
    """Rows whose albums differ along a few directions, swamped by a shared within-album spread."""
    d = sum(dims)
    space = np.random.default_rng(123)  # the feature space: the same for every seed
    spread, scale, offset = space.normal(size=(3, d)) * 4, space.uniform(0.1, 50, size=d), space.normal(size=d) * 10
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_albums, d))
    raw = np.concatenate([centres[a] + rng.normal(size=(per_album, 3)) @ spread + 0.3 * rng.normal(size=(per_album, d))
                          for a in range(n_albums)])
    return raw * scale + offset, np.repeat(np.arange(n_albums), per_album)


def test_the_low_rank_whitening_is_the_exact_inverse_square_root():
    raw, albums = _albums()
    model = zwccn.fit(raw, albums, shrinkage=0.7, block_dims=(8, 12))  # 72 rows > 20 dims: still no projection
    assert model.config.dim == 20
    x = zwccn.unit_blocks((raw - raw.mean(0)) / (raw.std(0) + zwccn.EPS), (8, 12))
    xc = x - x.mean(0)
    xa = np.concatenate([xc[albums == a] - xc[albums == a].mean(0) for a in range(12)])
    sw = xa.T @ xa / len(xa)
    s = 0.3 * sw + 0.7 * np.trace(sw) / 20 * np.eye(20)
    w, v = np.linalg.eigh(s)
    dense = v @ np.diag(w ** -0.5) @ v.T
    np.testing.assert_allclose(model.projection, dense, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(model.centre, x.mean(0), atol=1e-6)


def test_whitening_brings_an_albums_tracks_together():
    from trainer.metrics import retrieval

    raw, albums = _albums()
    test_raw, test_albums = _albums(seed=1)  # other albums, the same kind of within-album spread
    v = zwccn.fit(raw, albums, shrinkage=0.5, block_dims=(8, 12)).vectors(test_raw)
    plain = test_raw - test_raw.mean(0)  # centred, as the map compares untrained vectors
    before, after = (retrieval(x, list(test_albums), 5)["precision_at_k"] for x in (plain, v))
    assert after > 2 * before and after > before + 0.1, (before, after)  # measured 0.09 -> 0.22
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)


def test_a_tracks_vector_depends_on_the_track_alone():
    raw, albums = _albums()
    model = zwccn.fit(raw, albums, block_dims=(8, 12))
    every = model.vectors(raw)
    np.testing.assert_array_equal(model.vectors(raw[5:6]), every[5:6])  # a library of one track
    np.testing.assert_array_equal(model.vectors(raw[::7]), every[::7])


def test_the_projection_is_used_only_with_enough_training_rows():
    assert zwccn.output_dim(511, 1906) == 1906 and zwccn.output_dim(512, 1906) == zwccn.OUT_DIM == 256
    raw, albums = _albums(n_albums=30, per_album=4, dims=(400, 1506))
    model = zwccn.fit(raw, albums, dim=16)
    assert model.projection.shape == (1906, 16) and model.vectors(raw).shape == (120, 16)
    with pytest.raises(ValueError, match="1906 inputs"):
        zwccn.fit(raw[:, :100], albums)
    with pytest.raises(ValueError, match="two or more albums"):
        zwccn.fit(raw, np.zeros(len(raw)))


def test_track_inputs_are_mean_max_of_the_windows_then_the_pools():
    rng = np.random.default_rng(0)
    feats = [rng.normal(size=(n, 200)).astype(np.float16) for n in (1, 5, 20)]
    pools = [rng.normal(size=1506).astype(np.float16) for _ in feats]
    x = zwccn.track_inputs(feats, pools)
    assert x.shape == (3, 1906) and x.dtype == np.float32
    np.testing.assert_array_equal(x[1, :200], feats[1].astype(np.float32).mean(0))
    np.testing.assert_array_equal(x[1, 200:400], feats[1].astype(np.float32).max(0))
    np.testing.assert_array_equal(x[2, 400:], pools[2].astype(np.float32))
    with pytest.raises(ValueError):
        zwccn.track_inputs(feats, pools[:2])


def test_save_and_load_round_trip_bit_for_bit(tmp_path):
    raw, albums = _albums(n_albums=10, per_album=5, dims=(400, 1506))
    model = zwccn.fit(raw, albums)
    path = tmp_path / "m.safetensors"
    digest = zwccn.save(model, path, {"labels": "album"})
    assert zwccn.save(model, tmp_path / "again.safetensors", {"labels": "album"}) == digest  # reproducible id
    back = zwccn.load(path)
    assert back.config == model.config and back.metadata == {"labels": "album"}
    for name in ("mean", "std", "centre", "projection"):
        np.testing.assert_array_equal(getattr(back, name), getattr(model, name))
    np.testing.assert_array_equal(back.vectors(raw), model.vectors(raw))
    assert load_album.architecture(path) == zwccn.ARCHITECTURE == album_models.ZWCCN
    assert isinstance(load_album.load_album_model(path), zwccn.ZwccnModel)


def test_pickles_and_foreign_files_are_refused(tmp_path):
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps({"mean": np.zeros(3)}))
    with pytest.raises(model_file.ModelFileError, match="pickle"):
        zwccn.load(evil)
    from safetensors.numpy import save_file

    save_file({"x": np.zeros(2, np.float32)}, str(tmp_path / "foreign.safetensors"))
    with pytest.raises(model_file.ModelFileError, match="no 'musicmap_album' metadata"):
        load_album.load_album_model(tmp_path / "foreign.safetensors")


def test_a_file_whose_arrays_do_not_match_its_config_is_refused(tmp_path):
    raw, albums = _albums(n_albums=10, per_album=5, dims=(400, 1506))
    model = zwccn.fit(raw, albums)
    model.projection = model.projection[:, :7]
    zwccn.save(model, tmp_path / "bad.safetensors")
    with pytest.raises(model_file.ModelFileError, match="shapes"):
        zwccn.load(tmp_path / "bad.safetensors")


def test_loading_and_using_it_needs_no_torch(tmp_path):
    raw, albums = _albums(n_albums=10, per_album=5, dims=(400, 1506))
    path = tmp_path / "m.safetensors"
    zwccn.save(zwccn.fit(raw, albums), path)
    code = ("import sys, numpy as np\n"
            "from musicmap_desktop.model import load_album\n"
            f"m = load_album.load_album_model({str(path)!r})\n"
            "m.embed([np.ones((3, 200), np.float16)], [np.ones(1506, np.float16)])\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 0, done.stderr
