"""Bundled backbone models: name -> constructor + weight file, and the weights' digest.

Weights ship in the ``musicmap_desktop.weights`` package (repo folder
``weights/``) as safetensors plus a json with the constructor config and tag
names; nothing is unpickled.  The cache keys a backbone's windows by an id made
from its name and the weight file's sha256 (core/store/ids.py), so cached window
features are invalidated exactly when the weights change.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from importlib import resources
from typing import Any, Callable

from .digest import stream_sha256

log = logging.getLogger(__name__)

WEIGHTS_PACKAGE = "musicmap_desktop.weights"
DEFAULT_MODEL = "msd_musicnn"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    constructor: Callable[..., Any]  # called lazily: importing torch is for embedding time
    weights: str  # file name inside WEIGHTS_PACKAGE
    meta: str  # json: {"config": {...}, "tags": [...], "source": {...}}


def _musicnn(**config):
    from .musicnn import Musicnn

    return Musicnn(**config)


MODELS: dict[str, ModelSpec] = {
    "msd_musicnn": ModelSpec("msd_musicnn", _musicnn, "msd_musicnn.safetensors", "msd_musicnn.json"),
    "mtt_musicnn": ModelSpec("mtt_musicnn", _musicnn, "mtt_musicnn.safetensors", "mtt_musicnn.json"),
}


@dataclass(frozen=True)
class LoadedModel:
    name: str
    model: Any  # torch.nn.Module in eval mode, on the requested device
    tags: tuple[str, ...]
    meta: dict


def spec(name: str = DEFAULT_MODEL) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; known: {sorted(MODELS)}") from None


def _resource(filename: str):
    return resources.files(WEIGHTS_PACKAGE) / filename


@functools.lru_cache(maxsize=None)
def weights_sha256(name: str = DEFAULT_MODEL) -> str:
    with _resource(spec(name).weights).open("rb") as f:
        return stream_sha256(f)


def load_meta(name: str = DEFAULT_MODEL) -> dict:
    return json.loads(_resource(spec(name).meta).read_text(encoding="utf-8"))


def build(name: str = DEFAULT_MODEL, device="cpu") -> LoadedModel:
    """Construct the model, load its bundled weights, return it in eval mode."""
    from safetensors.torch import load_file

    s = spec(name)
    meta = load_meta(name)
    model = s.constructor(**meta.get("config", {}))
    with resources.as_file(_resource(s.weights)) as path:
        state = load_file(str(path), device="cpu")
    model.load_state_dict(state, strict=True)
    model.eval().requires_grad_(False).to(device)
    log.debug("loaded %s on %s", name, device)
    return LoadedModel(name=name, model=model, tags=tuple(meta["tags"]), meta=meta)
