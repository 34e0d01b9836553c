"""Musicnn without its dead filters: the same outputs for a fraction of the arithmetic.

Most convolution filters of the official weights were switched off in training: their
weights are ~0 (MSD_musicnn: 181 of 204 and 190 of 204 timbral filters, 48/44/34 of 51
temporal ones, 44 of 64 in the first mid-end layer; largest weight among them 2e-7).
Such a filter outputs its bias everywhere, so after the max over frequency its channel
is that constant. ``lean`` computes only the live filters -- topped up with the
strongest dead ones to a multiple of ``block`` (8: AVX2 register width, which ONNX
Runtime's blocked kernels want) -- appends the dead channels as constants, and puts
the channels back in their order. Everything downstream is untouched.

Dropping the rest changes nothing measurable: the largest weight left out is 3e-9 (MSD;
9e-8 in MTT), and the outputs were bit-identical on real music windows, in ONNX Runtime
and in torch (tests/model/test_lean.py). The max
over frequency is a MaxPool here (the same maximum), which ONNX Runtime runs in its
blocked layout instead of converting the whole conv output back first.

The CPU engine runs it as ``weights/<name>.lean.onnx`` (written by model/onnx_export.py),
the torch engine calls ``lean`` on the loaded model (model/backbone.py). Measured (bench/
listen.py, 1 thread, CPU time): MSD 30 -> ~160-190 windows/s per core, MTT 30 -> ~51, on
AVX2 kernels and AVX-512 alike; torch 14 -> 77 (docs/listening-speed.md).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .musicnn import FrontBlock, MidBlock, Musicnn

DEAD = 1e-6  # a filter is dead when its norm is below this fraction of its layer's largest


def _split(weight: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(computed, constant) filter indices, each ascending; computed is a multiple of block."""
    norms = weight.flatten(1).norm(dim=1)
    live = int((norms > DEAD * norms.max()).sum())
    keep = min(len(norms), max(1, -(-live // block)) * block)  # at least one block: never an empty conv
    order = torch.argsort(-norms, stable=True)
    return order[:keep].sort().values, order[keep:].sort().values


class _Lean(nn.Module):
    """Computed channels + constant ones, back in the original channel order."""

    def _setup(self, weight, bias, block):
        run, const = _split(weight, block)
        self.register_buffer("weight", weight[run].clone())
        self.register_buffer("bias", bias[run].clone())
        self.register_buffer("fill", bias[const].clone()[None, :, None])  # a dead filter's output
        self.register_buffer("order", torch.argsort(torch.cat([run, const])))
        return len(run)

    def _merge(self, y: torch.Tensor) -> torch.Tensor:
        if self.fill.shape[1] == 0:  # nothing dead (then order is the identity)
            return y
        const = y[:, :1] * 0 + self.fill  # [B, dead, T]: the constants, at y's batch and length
        return torch.cat([y, const], 1)[:, self.order]


class LeanFront(_Lean):
    """FrontBlock in eval (pool-first form): conv of the live filters -> max over frequency."""

    def __init__(self, blk: FrontBlock, n_mels: int, block: int) -> None:
        super().__init__()
        bn = blk.bn
        sign = torch.where(bn.weight >= 0, 1.0, -1.0)
        self.pad_time, self.bn = blk.pad_time, bn
        self.register_buffer("sign", sign[None, :, None])
        self.computed = self._setup(blk.conv.weight.detach() * sign[:, None, None, None],
                                    blk.conv.bias.detach() * sign, block)
        self.width = n_mels - blk.conv.weight.shape[3] + 1  # a static MaxPool kernel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(F.pad(x, (0, 0, *self.pad_time)), self.weight, self.bias)
        pooled = F.max_pool2d(y, (1, self.width)).squeeze(3)
        return self.bn(F.relu(self._merge(pooled) * self.sign))


class LeanMid(_Lean):
    def __init__(self, blk: MidBlock, block: int) -> None:
        super().__init__()
        self.pad, self.bn = blk.pad, blk.bn
        self.computed = self._setup(blk.conv.weight.detach(), blk.conv.bias.detach(), block)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(F.relu(self._merge(F.conv1d(F.pad(x, self.pad), self.weight, self.bias))))


def lean(model: Musicnn, block: int = 8) -> Musicnn:
    """The same network, inference only, with dead filters replaced by constants (in place)."""
    model.eval()
    n_mels = model.config["n_mels"]
    with torch.no_grad():
        model.timbral = nn.ModuleList(LeanFront(b, n_mels, block) for b in model.timbral)
        model.temporal = nn.ModuleList(LeanFront(b, n_mels, block) for b in model.temporal)
        model.midend = nn.ModuleList(LeanMid(b, block) for b in model.midend)
    return model


def summary(model: Musicnn) -> str:
    rows = [(f"timbral.{i}", b) for i, b in enumerate(model.timbral)]
    rows += [(f"temporal.{i}", b) for i, b in enumerate(model.temporal)]
    rows += [(f"midend.{i}", b) for i, b in enumerate(model.midend)]
    return ", ".join(f"{n} {b.computed}/{b.computed + b.fill.shape[1]}" for n, b in rows)
