"""The CPU engine's network: the bundled Musicnn run by ONNX Runtime, log-mel in torch.

ONNX Runtime ran this network at ~130 windows/s on 2 threads where eager torch ran
~85 (batch 2, same machine, same run); outputs agree within the parity tolerances
(tests/model/test_backbone.py). Its windows are the stock torch backbone's: same model.
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import torch

from . import registry
from .backbone import embed_in_batches


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class OrtBackbone:
    def __init__(self, name: str = registry.DEFAULT_MODEL, threads: int = 1, batch_size: int = 2) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        graph = (resources.files(registry.WEIGHTS_PACKAGE) / f"{name}.onnx").read_bytes()
        self.session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self.name, self.top = name, None  # the stock network: same windows as the torch one
        self.tags = tuple(registry.load_meta(name)["tags"])
        self.batch_size = batch_size
        torch.set_num_threads(threads)

    def embed_segments(self, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def network(logmel):
            return tuple(self.session.run(None, {"logmel": logmel.numpy()}))  # onnx_export.OUTPUTS

        return embed_in_batches(segments, self.batch_size, network, len(self.tags))
