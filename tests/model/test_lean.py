"""The lean Musicnn (dead filters as constants) computes what the full one does."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from musicmap_desktop.model import lean, ort_backbone, registry
from musicmap_desktop.model.backbone import MusicnnBackbone
from musicmap_desktop.model.configuration import HOP, WINDOW_SEGMENT

REF = Path(__file__).resolve().parents[1] / "data" / "musicnn_reference" / "musicnn_reference.npz"


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
    full, slim = (s.run(None, {"logmel": x}) for s in runs)  # penultimate, taggram, mean pool, max pool
    assert [o.name for o in runs[1].get_outputs()] == [o.name for o in runs[0].get_outputs()] == [
        "penultimate", "taggram", "mean_pool", "max_pool"]
    (pa, ta, *pools_a), (pb, tb, *pools_b) = full, slim
    np.testing.assert_allclose(pb, pa, rtol=0, atol=1e-5)
    np.testing.assert_allclose(tb, ta, rtol=0, atol=1e-6)
    for a, b in zip(pools_a, pools_b):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-5)
    np.testing.assert_allclose(runs[1].run(None, {"logmel": x[:1]})[0], pb[:1], rtol=0, atol=1e-5)  # any batch


def _music_segments() -> np.ndarray:
    """47 overlapping 3 s segments of the reference clip (real music, 16 kHz)."""
    with np.load(REF, allow_pickle=False) as z:
        audio = z["audio_16k"].astype(np.float32)
    return np.stack([audio[s:s + WINDOW_SEGMENT] for s in range(0, len(audio) - WINDOW_SEGMENT, 40 * HOP)])


@pytest.mark.parametrize("name", sorted(registry.MODELS))
def test_lean_forms_give_the_full_forms_bits_on_music(name):
    """Why the lean network keeps the full one's cache id (core/store/ids.py): through the
    engines' own path (segments -> log-mel -> network) the features and tags are the same
    bits, not merely close (also measured on 1,111 soundtrack windows, docs/listening-speed.md);
    the track's mid-end pools (the third output) as the cache stores them (float16)."""
    segments = _music_segments()
    pairs = [(MusicnnBackbone(name, "cpu", batch_size=20, lean=False), MusicnnBackbone(name, "cpu", batch_size=20))]
    if ort_backbone.available():
        pairs.append((ort_backbone.OrtBackbone(name, graph="full"), ort_backbone.OrtBackbone(name, graph="lean")))
    for full, slim in pairs:
        (fa, ta, pa), (fb, tb, pb) = full.embed_segments(segments), slim.embed_segments(segments)
        np.testing.assert_array_equal(fb, fa)
        np.testing.assert_array_equal(tb, ta)
        # The pools come before the last BatchNorm and Dense layers that round the dead filters'
        # ~1e-8 contributions away: MTT's differ in the 7th digit of values near 0 (|Δ| < 1e-9),
        # and are the same bits in the float16 the cache stores.
        np.testing.assert_allclose(pb, pa, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(pb.astype(np.float16), pa.astype(np.float16))


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
