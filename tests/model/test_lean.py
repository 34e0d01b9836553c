"""The lean Musicnn (dead filters as constants) computes what the full one does."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from musicmap_desktop.model import lean, registry


def _logmel(seed: int, batch: int = 3) -> torch.Tensor:
    # Log-mel-like values (log10(1 + 10000 x) of a power spectrum lies in about 0..5).
    return torch.from_numpy(np.random.default_rng(seed).uniform(0, 5, (batch, 187, 96)).astype(np.float32))


@pytest.mark.parametrize("name", sorted(registry.MODELS))
def test_lean_model_gives_the_full_models_outputs(name):
    full, slim = registry.build(name).model, lean.lean(registry.build(name).model)
    x = _logmel(1)
    with torch.inference_mode():
        a, b = full(x), slim(x)
    for field in ("penultimate", "taggram", "mean_pool", "max_pool"):
        torch.testing.assert_close(getattr(b, field), getattr(a, field), rtol=0, atol=1e-6)
    # It really is lean: MSD computes a small fraction of its timbral filters.
    if name == "msd_musicnn":
        assert slim.timbral[0].computed <= 32 and slim.timbral[1].computed <= 16


@pytest.mark.parametrize("name", sorted(registry.MODELS))
def test_bundled_lean_graph_matches_the_full_graph(name):
    ort = pytest.importorskip("onnxruntime")
    from importlib import resources

    files = resources.files(registry.WEIGHTS_PACKAGE)
    runs = [ort.InferenceSession((files / f).read_bytes(), providers=["CPUExecutionProvider"])
            for f in (f"{name}.onnx", f"{name}.lean.onnx")]
    x = _logmel(2, batch=4).numpy()
    (pa, ta), (pb, tb) = (s.run(None, {"logmel": x}) for s in runs)
    np.testing.assert_allclose(pb, pa, rtol=0, atol=1e-5)
    np.testing.assert_allclose(tb, ta, rtol=0, atol=1e-6)
    np.testing.assert_allclose(runs[1].run(None, {"logmel": x[:1]})[0], pb[:1], rtol=0, atol=1e-5)  # any batch


@pytest.mark.parametrize("seed", range(40))
def test_split_computes_every_live_filter_in_whole_blocks(seed):
    rng = np.random.default_rng(seed)
    n, block = int(rng.integers(1, 65)), int(rng.integers(1, 17))
    dead = set(np.flatnonzero(rng.random(n) < rng.random()).tolist())  # from none to all
    w = torch.from_numpy(rng.normal(size=(n, 5)).astype(np.float32))
    w[sorted(dead)] = 0.0
    w[sorted(dead)[:1]] = 1e-9  # a nearly dead one counts as dead
    run, const = lean._split(w, block)
    assert sorted(run.tolist() + const.tolist()) == list(range(n))
    assert set(range(n)) - dead <= set(run.tolist())
    assert len(run) == n or len(run) % block == 0
