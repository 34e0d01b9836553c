"""The CPU engine's network: the bundled Musicnn run by ONNX Runtime, log-mel in torch.

ONNX Runtime ran this network at ~130 windows/s on 2 threads where eager torch ran
~85 (batch 2, same machine, same run); outputs agree within the parity tolerances
(tests/model/test_backbone.py). The ids are the torch weights' ids: same model.
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import torch

from . import registry
from .melspec import log_mel


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
        self.backbone_id = registry.model_id(name)
        self.tags = tuple(registry.load_meta(name)["tags"])
        self.batch_size = batch_size
        torch.set_num_threads(threads)

    @torch.inference_mode()
    def embed_segments(self, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        feats, tags = [], []
        for i in range(0, len(segments), self.batch_size):
            audio = torch.from_numpy(np.ascontiguousarray(segments[i:i + self.batch_size]))
            logmel = log_mel(audio, center=False, precise=False).numpy()
            penultimate, taggram = self.session.run(None, {"logmel": logmel})
            feats.append(penultimate)
            tags.append(taggram)
        if not feats:
            return np.zeros((0, 200), np.float32), np.zeros((0, len(self.tags)), np.float32)
        return np.concatenate(feats), np.concatenate(tags)
