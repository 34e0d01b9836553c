"""The CPU engine's network: the bundled Musicnn run by ONNX Runtime, log-mel in torch.

Two graphs of the same network (weights/README.md): "lean" (the default; model/lean.py:
the dead filters as constants, MSD_musicnn ~5x faster, outputs bit-identical on real
music) and "full" (the plain export, every filter computed). Both agree with the torch
port within the parity tolerances (tests/model/test_backbone.py), so their windows are
the stock torch backbone's: same model, same cache id.
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import torch

from . import registry
from .backbone import embed_in_batches

GRAPHS = {"lean": "{name}.lean.onnx", "full": "{name}.onnx"}  # network form -> file in weights/
DEFAULT_GRAPH = "lean"
# A track's 20 windows in one run: windows/s was flat from batch 1 to 20 (5-15 % slower at
# 40), and fewer runs cost less Python (docs/listening-speed.md).
DEFAULT_BATCH = 20


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def graph_file(name: str, graph: str = DEFAULT_GRAPH):
    """The bundled ONNX file of backbone ``name`` in the form ``graph`` (a GRAPHS key)."""
    return resources.files(registry.WEIGHTS_PACKAGE) / GRAPHS[graph].format(name=name)


class OrtBackbone:
    def __init__(self, name: str = registry.DEFAULT_MODEL, threads: int = 1, batch_size: int = DEFAULT_BATCH,
                 graph: str = DEFAULT_GRAPH) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(graph_file(name, graph).read_bytes(), options,
                                            providers=["CPUExecutionProvider"])
        self.name, self.top = name, None  # the stock network: same windows as the torch one
        self.graph = graph
        self.tags = tuple(registry.load_meta(name)["tags"])
        self.batch_size = batch_size
        torch.set_num_threads(threads)

    def embed_segments(self, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def network(logmel):
            return tuple(self.session.run(None, {"logmel": logmel.numpy()}))  # onnx_export.OUTPUTS

        return embed_in_batches(segments, self.batch_size, network, len(self.tags))
