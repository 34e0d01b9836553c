"""Log-mel + Musicnn on one device: audio segments in, window features out."""
from __future__ import annotations

import logging

import numpy as np
import torch

from . import registry
from .melspec import log_mel

log = logging.getLogger(__name__)


class DeviceUnavailable(Exception):
    """The device asked for is not there (no CUDA GPU, no Metal); the CLI says so in one line."""


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' prefers CUDA, then Apple's MPS, then the CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("--device cuda: no CUDA GPU is available to torch")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceUnavailable("--device mps: Apple Metal is not available to torch")
    return device


def default_batch_size(device: torch.device) -> int:
    # On the CPU small batches are fastest (measured: 80 windows/s at batch 1-2,
    # 35 at batch 16, 2 threads); a GPU wants big ones.
    return 2 if device.type == "cpu" else 64


class MusicnnBackbone:
    """Turns 16 kHz segments of ``WINDOW_SEGMENT`` samples into 200-d features + 50 tags (+ pools)."""

    def __init__(self, name: str = registry.DEFAULT_MODEL, device: str = "auto",
                 batch_size: int | None = None, threads: int | None = None, top: str | None = None,
                 lean: bool = True) -> None:
        """``top``: a fine-tuned top file (model/finetuned.py) replacing the stock one.
        ``lean``: drop the dead filters (model/lean.py: the same outputs, ~5x fewer operations);
        False runs every filter, as the port does."""
        if threads:
            torch.set_num_threads(threads)
        self.device = resolve_device(device)
        if top is None:
            loaded = registry.build(name, self.device)
        else:
            from . import finetuned

            loaded = finetuned.build(name, top, self.device)
        self.name, self.top = name, top  # what it is: the engine keys its windows by them
        self.model = loaded.model
        if lean:
            from .lean import lean as make_lean

            make_lean(getattr(self.model, "base", self.model))  # a FinetunedMusicnn keeps its Musicnn in .base
        self.tags = loaded.tags
        self.batch_size = batch_size or default_batch_size(self.device)

    def embed_segments(self, segments: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        def network(logmel: torch.Tensor):
            out = self.model(logmel)
            return tuple(t.float().cpu().numpy() for t in (out.penultimate, out.taggram, out.mean_pool, out.max_pool))

        return embed_in_batches(segments, self.batch_size, network, len(self.tags), self.device)


POOL_DIM = 753  # mid-end channels: each window's mean and max pool over time


@torch.inference_mode()
def embed_in_batches(segments: np.ndarray, batch_size: int, network, n_tags: int,
                     device: torch.device | str = "cpu") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segments [N, WINDOW_SEGMENT] -> (features [N, 200], taggram [N, n_tags], pools [1506]), ``batch_size``
    at a time; ``network(logmel)`` returns one batch's (features, taggram, mean pool, max pool) as numpy.
    ``pools``: the mean over the N windows of their mean pools ‖ the max of their max pools (model/zwccn.py)."""
    feats, tags, mean_sum, max_pool = [], [], np.zeros(POOL_DIM, np.float64), np.full(POOL_DIM, -np.inf)
    for i in range(0, len(segments), batch_size):
        audio = torch.from_numpy(np.ascontiguousarray(segments[i:i + batch_size])).to(device)
        # float32 mel: 3x cheaper than the float64 path that matches librosa's log-mel
        # bit for bit, and the network's outputs stay within the parity tolerances
        # (tests/model/test_backbone.py checks them through this very function).
        f, t, mean, mx = network(log_mel(audio, center=False, precise=False))
        feats.append(f)
        tags.append(t)
        mean_sum += mean.sum(0, dtype=np.float64)
        max_pool = np.maximum(max_pool, mx.max(0))
    if not feats:
        return np.zeros((0, 200), np.float32), np.zeros((0, n_tags), np.float32), np.zeros(0, np.float32)
    pools = np.concatenate([mean_sum / len(segments), max_pool]).astype(np.float32)
    return np.concatenate(feats), np.concatenate(tags), pools
