"""The torch port against outputs of the official TensorFlow Musicnn (musicnn 0.1.0)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from musicmap_desktop.core.store import ids
from musicmap_desktop.model import melspec, registry

REF = Path(__file__).resolve().parents[1] / "data" / "musicnn_reference" / "musicnn_reference.npz"
MODELS = {"msd_musicnn": "msd", "mtt_musicnn": "mtt"}


@pytest.fixture(scope="module")
def ref():
    with np.load(REF, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module", params=sorted(MODELS))
def loaded(request):
    return registry.build(request.param)


@pytest.fixture(scope="module")
def outputs(loaded, ref):
    windows = melspec.cut_windows(torch.from_numpy(ref["logmel"]))
    with torch.no_grad():
        return loaded.model(windows)


def test_logmel_matches_reference(ref):
    logmel = melspec.log_mel(torch.from_numpy(ref["audio_16k"]))
    assert logmel.shape == ref["logmel"].shape == (melspec.n_frames_for(480000), 96)
    assert logmel.dtype == torch.float32
    err = np.abs(logmel.numpy() - ref["logmel"]).max()
    assert err <= 1e-4, err


def test_filterbank_matches_librosa():
    librosa = pytest.importorskip("librosa")
    expected = librosa.filters.mel(sr=16000, n_fft=512, n_mels=96)
    np.testing.assert_array_equal(melspec.mel_filterbank(), expected)


def test_windows_follow_the_extractor(ref):
    logmel = torch.from_numpy(ref["logmel"])
    w = melspec.cut_windows(logmel)
    assert w.shape == (10, 187, 96)  # 1876 frames: 10 full windows, tail dropped
    assert torch.equal(w[9], logmel[9 * 187:10 * 187])
    short = logmel[:50]
    assert melspec.cut_windows(short).shape == (0, 187, 96)
    padded = melspec.cut_windows(short, pad_short=True)
    assert padded.shape == (1, 187, 96) and torch.equal(padded[0, 100:150], short)


def test_tags_match_reference(loaded, ref):
    assert list(loaded.tags) == [str(t) for t in ref[f"{MODELS[loaded.name]}_tags"]]


@pytest.mark.parametrize("key,tol,relative", [
    ("logits", 1e-4, False),
    ("taggram", 1e-5, False),
    ("penultimate", 1e-5, True),
    ("mean_pool", 1e-5, True),
    ("max_pool", 1e-5, True),
])
def test_outputs_match_reference(loaded, ref, outputs, key, tol, relative):
    expected = ref[f"{MODELS[loaded.name]}_net_{key}"]
    got = getattr(outputs, key).numpy()
    assert got.shape == expected.shape
    limit = tol * (expected.max() - expected.min()) if relative else tol
    err = np.abs(got - expected).max()
    assert err <= limit, f"{loaded.name} {key}: max abs error {err:.3g} > {limit:.3g}"


def test_end_to_end_from_audio(loaded, ref):
    windows = melspec.cut_windows(melspec.log_mel(torch.from_numpy(ref["audio_16k"])))
    with torch.no_grad():
        out = loaded.model(windows)
    expected = ref[f"{MODELS[loaded.name]}_net_logits"]
    assert np.abs(out.logits.numpy() - expected).max() <= 1e-4


def test_pool_first_rewrite_is_exact(loaded, ref):
    """Max over frequency before BN (sign-aware) == the literal conv->ReLU->BN->max."""
    model = loaded.model
    blocks = [*model.timbral, *model.temporal]
    assert any((b.bn.weight < 0).any() for b in blocks)  # the naive rewrite would be wrong
    windows = melspec.cut_windows(torch.from_numpy(ref["logmel"]))[:3]
    with torch.no_grad():
        fast = model(windows)
        try:
            for b in blocks:
                b.pool_first = False
            literal = model(windows)
        finally:
            for b in blocks:
                b.pool_first = True
    for a, b in zip(fast, literal):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_batch_independence_and_other_lengths(loaded, ref):
    windows = melspec.cut_windows(torch.from_numpy(ref["logmel"]))
    with torch.no_grad():
        single = loaded.model(windows[4:5]).logits
        batched = loaded.model(windows).logits[4:5]
        other = loaded.model(torch.from_numpy(ref["logmel"][:100]))  # 2-D input, T = 100
    torch.testing.assert_close(single, batched, rtol=0, atol=1e-5)
    assert other.taggram.shape == (1, 50) and other.mean_pool.shape == (1, 753)


def test_registry_ids_and_metadata():
    assert registry.DEFAULT_MODEL == "msd_musicnn"
    for name in MODELS:
        mid = ids.backbone_id(name)
        assert mid == f"{name}-{registry.weights_sha256(name)[:12]}"
        meta = registry.load_meta(name)
        assert meta["weights_sha256"] == registry.weights_sha256(name)
        assert meta["source"]["version"] == "0.1.0" and len(meta["tags"]) == 50
    assert ids.backbone_id("msd_musicnn") != ids.backbone_id("mtt_musicnn")
    with pytest.raises(KeyError):
        registry.spec("nope")
