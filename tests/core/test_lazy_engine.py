"""The engine starts only when there is a track to hear (core/embed_pool.Lazy)."""
import subprocess
import sys

import numpy as np
import pytest

from audio_factory import make_library
from musicmap_desktop.core.embed import EmbedSettings, embed_library
from musicmap_desktop.core.embed_pool import InProcess, Lazy, build_engine
from musicmap_desktop.core.errors import UserError
from musicmap_desktop.core.scan import scan
from musicmap_desktop.core.store import ids
from musicmap_desktop.core.store.db import open_db

# The window's refresh (gui/session.py runs exactly this on its job thread), in a fresh
# interpreter: this test process imported torch long ago.
_REFRESH = """
import sys
from musicmap_desktop.core.embed_pool import Engines
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.refresh import RefreshPlan, refresh_library
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.model import registry

engines = Engines("msd_musicnn")
items = list(refresh_library(open_db(sys.argv[1]), RefreshPlan(sys.argv[2]), engines.get,
                             tuple(registry.load_meta("msd_musicnn")["tags"]), CancelToken()))
engines.close()
print(len(items[-1].result), "torch" in sys.modules, "onnxruntime" in sys.modules)
"""


class Heard:
    """Stands in for the model: features from the audio's spectrum (no torch needed)."""

    name, top = "msd_musicnn", None  # the bundled backbone's id: as if the real engine had heard them

    def embed_segments(self, segments):
        spec = np.abs(np.fft.rfft(segments[:, :4096], axis=1))[:, :200].astype(np.float32)
        return spec, np.full((len(segments), 50), 0.5, np.float32), np.resize(spec.mean(0), 1506)


def test_a_refresh_with_nothing_to_hear_starts_no_engine(tmp_path):
    make_library(tmp_path / "m", n_albums=2, tracks_per_album=3, formats=["wav", "flac"], seconds=4)
    db = open_db(str(tmp_path / "c.db"))
    list(scan(str(tmp_path / "m"), db))
    list(embed_library(db, str(tmp_path / "m"), InProcess(Heard(), 0), EmbedSettings()))
    db.close()
    out = subprocess.run([sys.executable, "-c", _REFRESH, str(tmp_path / "c.db"), str(tmp_path / "m")],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["6", "False", "False"]  # the map of all six, no torch, no ONNX Runtime


def test_the_engine_is_made_once_on_its_first_task():
    made, closed = [], []

    class Echo:
        def run(self, tasks, cancel):
            return ((*t, "heard") for t in tasks)

        def close(self):
            closed.append(self)

    lazy = Lazy("id", lambda: made.append(Echo()) or made[-1])
    assert list(lazy.run(iter(()), None)) == [] and made == []
    lazy.close()
    assert closed == []  # nothing made, nothing to close
    assert list(lazy.run([("a",), ("b",)], None)) == [("a", "heard"), ("b", "heard")]
    assert list(lazy.run([("c",)], None)) == [("c", "heard")]
    assert len(made) == 1
    lazy.close()
    assert closed == made


def test_the_lazy_engine_has_its_cache_id_before_it_starts():
    engine = build_engine("msd_musicnn", "cpu", network="full")
    assert engine.backbone_id == ids.backbone_id("msd_musicnn")
    engine.close()


def test_a_named_device_that_is_not_there_is_a_user_error_at_once():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(UserError, match="no CUDA GPU"):
        build_engine("msd_musicnn", "cuda")
