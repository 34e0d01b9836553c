"""The audio constants are Musicnn's, and every consumer uses the same ones."""
from importlib import resources

import pytest

from musicmap_desktop.model import configuration as c
from musicmap_desktop.model import registry


def test_constants_are_musicnns():
    assert (c.SR, c.N_FFT, c.HOP, c.N_MELS, c.WINDOW_FRAMES) == (16000, 512, 256, 96, 187)
    assert c.WINDOW_SEGMENT == (c.WINDOW_FRAMES - 1) * c.HOP + c.N_FFT == 48128


@pytest.mark.parametrize("name", sorted(registry.MODELS))
def test_onnx_graph_input_is_one_window_of_log_mel(name):
    import onnxruntime as ort

    graph = (resources.files(registry.WEIGHTS_PACKAGE) / f"{name}.onnx").read_bytes()
    (logmel,) = ort.InferenceSession(graph, providers=["CPUExecutionProvider"]).get_inputs()
    assert logmel.name == "logmel"
    assert logmel.shape[1:] == [c.WINDOW_FRAMES, c.N_MELS]  # [batch, frames, mels]


def test_the_network_and_the_window_planner_share_them():
    from musicmap_desktop.core import windows
    from musicmap_desktop.model import melspec
    from musicmap_desktop.model.musicnn import Musicnn

    assert (windows.SR, windows.HOP, windows.WINDOW_FRAMES) == (melspec.SR, melspec.HOP, melspec.WINDOW_FRAMES)
    assert Musicnn().config["n_mels"] == c.N_MELS
    assert registry.load_meta("msd_musicnn")["config"]["n_mels"] == c.N_MELS
