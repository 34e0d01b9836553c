"""The production path (decode windows from a file -> uncentred log-mel -> Musicnn) against
the official outputs: the window alignment must be exact, not approximately right."""
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from musicmap_desktop.core.embed_pool import InProcess, decode_task
from musicmap_desktop.core.windows import WINDOW_FRAMES
from musicmap_desktop.model.backbone import DeviceUnavailable, MusicnnBackbone, resolve_device

REF = Path(__file__).resolve().parents[1] / "data" / "musicnn_reference" / "musicnn_reference.npz"


def _check_pools(pools, ref, key):
    """The track's pools: mean of the official mean pools ‖ max of the max pools, over the windows
    (5e-5 of the range: the fast float32 log-mel moves single mid-end maxima more than the
    penultimate, which averages over them; measured 1.7e-5 for MTT)."""
    mean, mx = ref[f"{key}_net_mean_pool"], ref[f"{key}_net_max_pool"]
    assert pools.shape == (1506,)
    assert np.abs(pools[:753] - mean.mean(0)).max() <= 5e-5 * np.ptp(mean)
    assert np.abs(pools[753:] - mx.max(0)).max() <= 5e-5 * np.ptp(mx)


@pytest.fixture(scope="module")
def ref():
    with np.load(REF, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


MODELS = [("msd_musicnn", "msd"), ("mtt_musicnn", "mtt")]


@pytest.mark.parametrize("lean", [False, True], ids=["full", "lean"])  # full: the fp32 port as is
@pytest.mark.parametrize("name, key", MODELS)
def test_file_to_features_matches_official_model(tmp_path, ref, name, key, lean):
    path = tmp_path / "clip16k.wav"
    sf.write(path, ref["audio_16k"], 16000, subtype="FLOAT")  # 16 kHz float already: bit-exact input
    frames = [i * WINDOW_FRAMES for i in range(10)]  # the official windows, back to back
    backbone = MusicnnBackbone(name, device="cpu", batch_size=3, lean=lean)
    feats, taggram, pools = backbone.embed_segments(decode_task(str(path), frames))
    want_p, want_t = ref[f"{key}_net_penultimate"], ref[f"{key}_net_taggram"]
    assert np.abs(feats - want_p).max() <= 1e-5 * np.ptp(want_p)
    assert np.abs(taggram - want_t).max() <= 1e-5
    _check_pools(pools, ref, key)
    assert backbone.tags[0] == ref[f"{key}_tags"][0]


def test_batch_size_does_not_change_results(tmp_path, ref):
    path = tmp_path / "clip16k.wav"
    sf.write(path, ref["audio_16k"][:16000 * 12], 16000, subtype="FLOAT")
    segments = decode_task(str(path), [0, 100, 187, 300])
    a = MusicnnBackbone(device="cpu", batch_size=1).embed_segments(segments)
    b = MusicnnBackbone(device="cpu", batch_size=4).embed_segments(segments)
    assert np.abs(a[0] - b[0]).max() < 1e-5 and np.abs(a[2] - b[2]).max() < 1e-4


def test_device_auto_falls_back_to_cpu_without_gpu():
    import torch

    if not torch.cuda.is_available():
        assert resolve_device("auto").type in ("cpu", "mps")
        with pytest.raises(DeviceUnavailable, match="no CUDA GPU"):
            resolve_device("cuda")


@pytest.mark.parametrize("graph", ["full", "lean"])  # full: the plain export of the fp32 port
@pytest.mark.parametrize("name, key", MODELS)
def test_onnx_runtime_engine_matches_official_model(tmp_path, ref, name, key, graph):
    from musicmap_desktop.model.ort_backbone import OrtBackbone

    path = tmp_path / "clip16k.wav"
    sf.write(path, ref["audio_16k"], 16000, subtype="FLOAT")
    frames = [i * WINDOW_FRAMES for i in range(10)]
    backbone = OrtBackbone(name, threads=1, batch_size=3, graph=graph)
    feats, taggram, pools = backbone.embed_segments(decode_task(str(path), frames))  # one pass, all three
    want_p, want_t = ref[f"{key}_net_penultimate"], ref[f"{key}_net_taggram"]
    assert np.abs(feats - want_p).max() <= 1e-5 * np.ptp(want_p)
    assert np.abs(taggram - want_t).max() <= 1e-5
    _check_pools(pools, ref, key)
    # the same network: its windows are cached under the torch backbone's id
    assert InProcess(backbone, 0).backbone_id == InProcess(MusicnnBackbone(name, device="cpu"), 0).backbone_id
