"""Musicnn (Pons & Serra 2019) in torch, numerically matching musicnn 0.1.0's TF graph.

Layout notes (TF graph -> here):
- TF works on [B, time, freq, ch]; here conv inputs are [B, ch, time, freq] and
  1-D features [B, ch, time].
- Timbral convs are 'valid' on an input zero-padded by 3 frames each side (the
  padding is applied *after* the input BatchNorm).  Temporal convs are TF
  'same': for even kernels TF pads (k-1)//2 before and the rest after.
- Every front-end block is conv -> ReLU -> BatchNorm -> max over frequency.
- Back-end pools are interleaved [max0, mean0, max1, mean1, ...] before the BN.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .configuration import N_MELS

BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization default
BN_MOMENTUM = 0.01  # TF momentum 0.99; only matters when training


class MusicnnOutput(NamedTuple):
    logits: torch.Tensor  # [B, n_classes], pre-sigmoid
    taggram: torch.Tensor  # [B, n_classes], sigmoid(logits)
    penultimate: torch.Tensor  # [B, backend_units], output of the last BatchNorm
    mean_pool: torch.Tensor  # [B, 753], mean over time of the mid-end features
    max_pool: torch.Tensor  # [B, 753], max over time of the mid-end features


def _bn(n: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(n, eps=BN_EPS, momentum=BN_MOMENTUM)


class FrontBlock(nn.Module):
    """conv2d -> ReLU -> BatchNorm -> max over frequency, output [B, C, T]."""

    def __init__(self, filters: int, kernel: tuple[int, int], pad_time: tuple[int, int]):
        super().__init__()
        self.pad_time = pad_time
        self.pool_first = True  # False: literal conv->ReLU->BN->max order (for checks)
        self.conv = nn.Conv2d(1, filters, kernel)
        self.bn = _bn(filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, (0, 0, *self.pad_time))
        bn = self.bn
        if self.training or not self.pool_first:  # the literal TF order
            y = F.relu(self.conv(x))  # [B, C, T, F']
            y = F.batch_norm(y, bn.running_mean, bn.running_var, bn.weight, bn.bias,
                             self.training, bn.momentum, bn.eps)
            return y.amax(3)
        # Eval: ReLU and BN are per-channel monotone maps, so pooling first is
        # exact -- but BN *decreases* where its scale (sign of gamma) is negative,
        # and then the max of the output comes from the min over frequency.  Most
        # channels of the official weights are like that.  Negating those
        # channels' filters turns the min into a max of one conv output; negation
        # is exact in floating point, so this equals the literal order bit for bit
        # while skipping ReLU/BN on the full [B, C, T, F'] map.
        sign = torch.where(bn.weight >= 0, 1.0, -1.0).to(x.dtype)
        y = F.conv2d(x, self.conv.weight * sign[:, None, None, None], self.conv.bias * sign)
        pooled = y.amax(3) * sign[None, :, None]
        return bn(F.relu(pooled))


class MidBlock(nn.Module):
    """1-D conv over time (kernel 7, zero pad 3+3) -> ReLU -> BatchNorm."""

    def __init__(self, in_ch: int, filters: int, kernel: int = 7):
        super().__init__()
        self.pad = ((kernel - 1) // 2, kernel - 1 - (kernel - 1) // 2)
        self.conv = nn.Conv1d(in_ch, filters, kernel)
        self.bn = _bn(filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(F.relu(self.conv(F.pad(x, self.pad))))


class Musicnn(nn.Module):
    """MSD_musicnn / MTT_musicnn (and MSD_musicnn_big with its filter counts).

    Input: log-mel windows [B, T, n_mels] (T = WINDOW_FRAMES for the official models,
    any T >= 1 works).  Output: :class:`MusicnnOutput`.
    """

    def __init__(self, n_mels: int = N_MELS, n_classes: int = 50, timbral_filters: int = 204,
                 temporal_filters: int = 51, midend_filters: int = 64,
                 backend_units: int = 200,
                 timbral_widths: tuple[int, ...] = (38, 67),
                 temporal_lengths: tuple[int, ...] = (128, 64, 32)):
        super().__init__()
        self.config = dict(n_mels=n_mels, n_classes=n_classes, timbral_filters=timbral_filters,
                           temporal_filters=temporal_filters, midend_filters=midend_filters,
                           backend_units=backend_units, timbral_widths=list(timbral_widths),
                           temporal_lengths=list(temporal_lengths))
        self.bn_input = nn.BatchNorm2d(1, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.timbral = nn.ModuleList(
            FrontBlock(timbral_filters, (7, w), (3, 3)) for w in timbral_widths)
        self.temporal = nn.ModuleList(
            FrontBlock(temporal_filters, (k, 1), ((k - 1) // 2, k - 1 - (k - 1) // 2))
            for k in temporal_lengths)
        front = timbral_filters * len(timbral_widths) + temporal_filters * len(temporal_lengths)
        self.midend = nn.ModuleList([MidBlock(front, midend_filters),
                                     MidBlock(midend_filters, midend_filters),
                                     MidBlock(midend_filters, midend_filters)])
        self.feature_dim = front + 3 * midend_filters  # 561 + 192 = 753
        self.bn_pool = _bn(2 * self.feature_dim)
        self.dense = nn.Linear(2 * self.feature_dim, backend_units)
        self.bn_dense = _bn(backend_units)
        self.classifier = nn.Linear(backend_units, n_classes)
        self.eval()

    def forward(self, x: torch.Tensor, tuned_top: nn.Module | None = None) -> MusicnnOutput:
        """``tuned_top`` (a fine-tuned copy of the top) gives the penultimate features; the tags
        stay those of the stock top, which is what the classifier was trained on."""
        pooled = self.pooled(x)
        penultimate = self.top(pooled)
        logits = self.classifier(penultimate)
        if tuned_top is not None:
            penultimate = tuned_top(pooled)
        max_pool, mean_pool = pooled[:, 0::2], pooled[:, 1::2]
        return MusicnnOutput(logits, torch.sigmoid(logits), penultimate, mean_pool, max_pool)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """Log-mel [B, T, mels] -> the pooled mid-end features [B, 1506], interleaved [max0, mean0, ...]."""
        if x.dim() == 2:
            x = x.unsqueeze(0)
        x = self.bn_input(x.unsqueeze(1))  # [B, 1, T, mels]
        front = torch.cat([blk(x) for blk in (*self.timbral, *self.temporal)], 1)  # [B, 561, T]
        m1 = self.midend[0](front)
        r2 = self.midend[1](m1) + m1
        r3 = self.midend[2](r2) + r2
        feats = torch.cat([front, m1, r2, r3], 1)  # dense connection, [B, 753, T]
        return torch.stack([feats.amax(2), feats.mean(2)], 2).flatten(1)

    def top(self, pooled: torch.Tensor) -> torch.Tensor:
        """Pooled [B, 1506] -> the 200-d penultimate features (the modules in TOP_MODULES)."""
        # Dropout layers of the original are identity at inference and omitted.
        return self.bn_dense(F.relu(self.dense(self.bn_pool(pooled))))


# The back-end top that --finetune-backbone trains; everything before it stays frozen.
TOP_MODULES = ("bn_pool", "dense", "bn_dense")


# TF variable scope (creation order in musicnn.models.build_musicnn) -> module path.
TF_LAYER_MAP = {
    "batch_normalization": "bn_input",
    "conv2d": "timbral.0.conv", "batch_normalization_1": "timbral.0.bn",
    "conv2d_1": "timbral.1.conv", "batch_normalization_2": "timbral.1.bn",
    "conv2d_2": "temporal.0.conv", "batch_normalization_3": "temporal.0.bn",
    "conv2d_3": "temporal.1.conv", "batch_normalization_4": "temporal.1.bn",
    "conv2d_4": "temporal.2.conv", "batch_normalization_5": "temporal.2.bn",
    "conv2d_5": "midend.0.conv", "batch_normalization_6": "midend.0.bn",
    "conv2d_6": "midend.1.conv", "batch_normalization_7": "midend.1.bn",
    "conv2d_7": "midend.2.conv", "batch_normalization_8": "midend.2.bn",
    "batch_normalization_9": "bn_pool",
    "dense": "dense", "batch_normalization_10": "bn_dense",
    "dense_1": "classifier",
}
