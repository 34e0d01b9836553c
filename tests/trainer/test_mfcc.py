import numpy as np
import pytest

from audio_factory import make_track, synth
from musicmap_desktop.core.audio import decode_all
from musicmap_desktop.core.windows import SR, WINDOW_FRAMES, WINDOW_SEGMENT, plan_windows
from trainer.mfcc import mfcc_for_file, mfcc_from_mel, mfcc_vector

librosa = pytest.importorskip("librosa")

MEL = dict(sr=SR, n_fft=512, hop_length=256, n_mels=96)


def _librosa_vector(mel_frames_by_mels: np.ndarray, n_mfcc: int = 20) -> np.ndarray:
    c = librosa.feature.mfcc(S=librosa.power_to_db(mel_frames_by_mels), n_mfcc=n_mfcc)
    return np.concatenate([c.mean(1), c.std(1)])


def _windows() -> np.ndarray:
    y = synth(10.0, sr=SR, style=1, seed=3)
    segs = np.stack([y[s:s + WINDOW_SEGMENT] for s in (0, 70000, 110000)])
    segs[2, 20000:] = 0.0  # digital silence: the top_db floor must clip it
    return segs


@pytest.mark.slow  # librosa's first call compiles (numba): a minute
def test_mfcc_from_mel_matches_librosa():
    mel = np.concatenate([librosa.feature.melspectrogram(y=s, center=False, **MEL).T for s in _windows()])
    ref = librosa.feature.mfcc(S=librosa.power_to_db(mel.T), n_mfcc=13).T
    assert ref.min() < librosa.power_to_db(mel.T).max() - 79  # the clipping is exercised
    np.testing.assert_allclose(mfcc_from_mel(mel, n_mfcc=13), ref, rtol=1e-6, atol=1e-4)


def test_mfcc_vector_matches_librosa_on_the_same_windows():
    segs = _windows()
    mel = np.concatenate([librosa.feature.melspectrogram(y=s, center=False, **MEL) for s in segs], axis=1)
    v = mfcc_vector(segs)
    assert v.dtype == np.float32 and v.shape == (40,)
    np.testing.assert_allclose(v, _librosa_vector(mel), rtol=1e-6, atol=1e-4)
    assert np.array_equal(mfcc_vector(list(segs)), v)  # a list of windows is the same thing
    assert mfcc_vector(segs, n_mfcc=13).shape == (26,)


def test_mfcc_for_file_reads_the_planned_windows(tmp_path):
    path = make_track(tmp_path, "t", "wav", seconds=9.0, style=3, sr=SR)
    frames = [0, 2 * WINDOW_FRAMES]
    # Window at frame f = frames f..f+186 of librosa's centred STFT of the whole track.
    whole = librosa.feature.melspectrogram(y=decode_all(str(path)), **MEL)
    mel = np.concatenate([whole[:, f:f + WINDOW_FRAMES] for f in frames], axis=1)
    np.testing.assert_allclose(mfcc_for_file(str(path), frames), _librosa_vector(mel), rtol=1e-5, atol=1e-3)


def test_same_file_same_vector_different_sounds_differ(tmp_path):
    a = make_track(tmp_path, "a", "wav", seconds=12.0, style=0, sr=SR)
    b = make_track(tmp_path, "b", "wav", seconds=12.0, style=4, sr=SR)
    frames = plan_windows(12.0, 3)
    va, vb = mfcc_for_file(str(a), frames), mfcc_for_file(str(b), frames)
    assert np.array_equal(va, mfcc_for_file(str(a), frames))
    assert np.abs(va - vb).max() > 1.0
    assert np.all(va[20:] >= 0)  # second half is the std


def test_rejects_no_audio():
    with pytest.raises(ValueError):
        mfcc_vector([])
    with pytest.raises(ValueError):
        mfcc_vector(np.zeros(100, np.float32))
