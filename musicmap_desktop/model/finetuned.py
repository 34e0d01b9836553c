"""A Musicnn whose back-end top was fine-tuned on the user's albums (--finetune-backbone).

Only the top (TOP_MODULES: pooled 1506-d -> 200-d features) is trained, so only it
is saved: a small safetensors file next to the album model, never a pickle. Its
backbone id is made of the stock one and the top file's sha256 (core/store/ids.py),
so the window features it makes are cached apart from the stock backbone's.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from . import registry
from .model_file import ModelFileError, safetensors_metadata
from .musicnn import TOP_MODULES, Musicnn

METADATA_KEY = "musicmap_backbone_top"


class MusicnnTop(nn.Module):
    """A trainable copy of a Musicnn's top modules; same computation as ``Musicnn.top``."""

    def __init__(self, model: Musicnn) -> None:
        super().__init__()
        for name in TOP_MODULES:
            setattr(self, name, copy.deepcopy(getattr(model, name)))

    forward = Musicnn.top  # reads only the TOP_MODULES attributes, which this module has


class FinetunedMusicnn(nn.Module):
    """Stock Musicnn with a fine-tuned top for the features (tags from the stock top)."""

    def __init__(self, base: Musicnn, top: MusicnnTop) -> None:
        super().__init__()
        self.base, self.tuned = base, top

    def forward(self, x: torch.Tensor):
        return self.base(x, self.tuned)


def save_top(top: MusicnnTop, path: str | os.PathLike, base_name: str) -> None:
    """Write the top atomically, with the stock weights it was tuned from."""
    meta = {"base_backbone": base_name, "base_weights_sha256": registry.weights_sha256(base_name)}
    state = {k: t.detach().cpu().contiguous() for k, t in top.state_dict().items()}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    save_file(state, str(tmp), metadata={METADATA_KEY: json.dumps(meta, sort_keys=True)})
    os.replace(tmp, path)


def build(base_name: str, top_path: str | os.PathLike, device="cpu") -> registry.LoadedModel:
    """The stock model ``base_name`` with the top from ``top_path``, in eval mode on ``device``."""
    meta = safetensors_metadata(top_path, METADATA_KEY, "a fine-tuned backbone top")
    _check_base(meta, base_name, top_path)
    loaded = registry.build(base_name, "cpu")
    top = MusicnnTop(loaded.model)
    top.load_state_dict(load_file(str(top_path), device="cpu"), strict=True)
    model = FinetunedMusicnn(loaded.model, top).eval().requires_grad_(False).to(device)
    return registry.LoadedModel(base_name, model, loaded.tags, {**loaded.meta, "top": meta})


def _check_base(meta: dict, base_name: str, top_path) -> None:
    """The top fits only the stock weights it was tuned from (tops saved before their digest
    was recorded name only the stock model)."""
    wanted = registry.weights_sha256(base_name)
    found = meta.get("base_weights_sha256")
    if (found or wanted) != wanted or meta.get("base_backbone", base_name) != base_name:
        raise ModelFileError(f"{top_path} was fine-tuned from {meta.get('base_backbone')} "
                         f"(weights {str(found)[:12]}), not from {base_name} (weights {wanted[:12]})")
