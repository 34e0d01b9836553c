"""Album model: a track's window features [S, 200] -> one 128-d unit track vector.

The seed architecture (thesis "ukr_music_genre_map", album_v5, Keras):
  + sinusoidal positional encoding -> BatchNorm -> one-head self-attention
  (residual) -> mean ‖ max pooling over windows -> BatchNorm -> Dropout 0.5 ->
  Dense 128 ReLU -> BatchNorm -> L2 normalise; for training, Dense to the album
  classes (softmax cross-entropy) on top of the normalised vector.
BatchNorm uses Keras's eps 1e-3 and momentum 0.99 (torch 0.01) like the seed.

Variable window counts are batched by padding with a boolean mask (True =
valid).  Padded positions never reach a valid output: the input BatchNorm sees
only valid windows (also for its training statistics), attention masks padded
keys, pooling skips them; so a track's vector does not depend on its batch.
Weights are safetensors only (never pickle); the config travels in the file.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from .digest import file_sha256
from .model_file import ALBUM_METADATA_KEY, ModelFileError, safetensors_metadata

BN_EPS = 1e-3  # Keras BatchNormalization default (the seed was Keras)
BN_MOMENTUM = 0.01  # Keras momentum 0.99
METADATA_KEY = ALBUM_METADATA_KEY
ARCHITECTURE = "album_v5"


@dataclass(frozen=True)
class AlbumModelConfig:
    feature_dim: int = 200
    dim: int = 128
    n_classes: int = 0  # 0: no class head (inference-only model)
    dropout: float = 0.5
    max_windows: int = 512  # length of the positional-encoding table
    # How windows are mixed before pooling: "attention" (the seed's self-attention),
    # "gru" (a bidirectional GRU, the recurrent head the XNAP seed compared) or
    # "meanmax" (none: pooling straight after the input BatchNorm).
    aggregator: str = "attention"


AGGREGATORS = ("attention", "gru", "meanmax")


def sinusoidal_encoding(length: int, d: int) -> torch.Tensor:
    """Vaswani et al.: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same)."""
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    angle = pos / 10000.0 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    pe = torch.zeros(length, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : d // 2])
    return pe.float()


def _bn(n: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(n, eps=BN_EPS, momentum=BN_MOMENTUM)


class AlbumModel(nn.Module):
    def __init__(self, config: AlbumModelConfig = AlbumModelConfig()):
        super().__init__()
        c = self.config = config
        if c.aggregator not in AGGREGATORS:
            raise ValueError(f"aggregator {c.aggregator!r} not in {AGGREGATORS}")
        d = c.feature_dim
        # Fixed, so not persisted: a file holds only learned weights and BN stats.
        self.register_buffer("pos", sinusoidal_encoding(c.max_windows, d), persistent=False)
        self.input_bn = _bn(d)
        if c.aggregator == "attention":
            self.q, self.k, self.v, self.attn_out = (nn.Linear(d, d) for _ in range(4))
        elif c.aggregator == "gru":
            self.gru = nn.GRU(d, d // 2, batch_first=True, bidirectional=True)
        self.pool_bn = _bn(2 * d)
        self.dropout = nn.Dropout(c.dropout)
        self.fc = nn.Linear(2 * d, c.dim)
        self.out_bn = _bn(c.dim)
        self.classifier = nn.Linear(c.dim, c.n_classes) if c.n_classes > 0 else None
        self.metadata: dict = {}  # extra_metadata of the file it was loaded from

    def _inputs(self, features, mask) -> tuple[torch.Tensor, torch.Tensor]:
        dev = self.pos.device
        x = torch.as_tensor(features).to(dev, torch.float32)
        if x.ndim != 3 or x.shape[-1] != self.config.feature_dim:
            raise ValueError(f"expected features [B, S, {self.config.feature_dim}], got {tuple(x.shape)}")
        if x.shape[1] > self.config.max_windows:
            raise ValueError(f"{x.shape[1]} windows > max_windows={self.config.max_windows}")
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=dev)
        mask = torch.as_tensor(mask).to(dev, torch.bool)
        if mask.shape != x.shape[:2]:
            raise ValueError(f"mask shape {tuple(mask.shape)} != {tuple(x.shape[:2])}")
        if not bool(mask.any(dim=1).all()):
            raise ValueError("every track needs at least one valid window")
        return x, mask

    def forward(self, features, mask=None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """features [B, S, D] (+ mask [B, S], True = valid) -> (vectors [B, dim], logits | None)."""
        x, mask = self._inputs(features, mask)
        x = x + self.pos[: x.shape[1]]
        # BatchNorm over the feature axis on valid windows only; padding stays 0.
        h = torch.zeros_like(x).masked_scatter(mask[..., None], self.input_bn(x[mask]))
        if self.config.aggregator == "attention":
            h = h + self._attend(h, mask)
        elif self.config.aggregator == "gru":
            h = h + self._recur(h, mask)
        m = mask[..., None]
        mean = h.masked_fill(~m, 0.0).sum(dim=1) / m.sum(dim=1)
        mx = h.masked_fill(~m, float("-inf")).amax(dim=1)
        z = self.dropout(self.pool_bn(torch.cat([mean, mx], dim=1)))
        z = self.out_bn(F.relu(self.fc(z)))
        vectors = F.normalize(z, dim=1)
        logits = self.classifier(vectors) if self.classifier is not None else None
        return vectors, logits

    def _attend(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        q, k, v = self.q(h), self.k(h), self.v(h)
        scores = q @ k.transpose(1, 2) / math.sqrt(h.shape[-1])
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        return self.attn_out(scores.softmax(dim=-1) @ v)

    def _recur(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # Packed so the backward direction starts at each track's last valid window.
        lengths = mask.sum(dim=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.gru(packed)
        return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=h.shape[1])[0]

    def embed(self, features, mask=None) -> torch.Tensor:
        """Track vectors [B, dim] in eval mode without grad; training mode is restored."""
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                return self.forward(features, mask)[0]
        finally:
            self.train(was_training)


def pad_batch(tracks: Sequence[np.ndarray | torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """List of [S_i, D] window features -> (zero-padded float32 [B, max S, D], mask [B, max S])."""
    xs = [torch.as_tensor(t, dtype=torch.float32) for t in tracks]
    if not xs or any(x.ndim != 2 or x.shape[0] < 1 for x in xs):
        raise ValueError("need one or more [S>=1, D] arrays")
    feats = nn.utils.rnn.pad_sequence(xs, batch_first=True)
    mask = torch.zeros(feats.shape[:2], dtype=torch.bool)
    for i, x in enumerate(xs):
        mask[i, : x.shape[0]] = True
    return feats, mask


def save(model: AlbumModel, path: str | os.PathLike, config: AlbumModelConfig,
         extra_metadata: dict | None = None) -> str:
    """Write weights + config JSON (safetensors metadata) atomically; return the file's sha256
    (the store makes the model id of it: core/store/ids.album_model_id)."""
    if config != model.config:
        raise ValueError(f"config {config} does not match the model's {model.config}")
    meta = {"architecture": ARCHITECTURE, "config": dataclasses.asdict(config),
            "extra": extra_metadata or {}}
    state = {k: t.detach().cpu().contiguous() for k, t in model.state_dict().items()}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata={METADATA_KEY: json.dumps(meta, sort_keys=True)})
    os.replace(tmp, path)  # a crash never leaves a half-written model under `path`
    return file_sha256(path)


def load(path: str | os.PathLike, device: str | torch.device = "cpu") -> AlbumModel:
    """Read a file written by save(); returns the model in eval mode. Never unpickles."""
    path = Path(path)
    meta = safetensors_metadata(path, METADATA_KEY, "an album model")
    if meta.get("architecture") != ARCHITECTURE:
        raise ModelFileError(f"{path}: architecture {meta.get('architecture')!r} != {ARCHITECTURE!r}")
    try:
        config = AlbumModelConfig(**meta["config"])
    except (TypeError, KeyError) as e:
        raise ModelFileError(f"{path}: bad config {meta.get('config')}: {e}") from e
    model = AlbumModel(config)
    model.load_state_dict(load_file(str(path), device="cpu"), strict=True)
    model.metadata = meta.get("extra", {})
    return model.eval().to(device)
