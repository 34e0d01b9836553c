"""Every id the cache keys things by, and how each is spelled. Change one here and only here.

- window plan: ``all`` | ``n<windows>-skip<seconds>`` (which windows of a track were heard)
- backbone id: ``<name>-<sha256[:12] of its weights>``; fine-tuned: ``<stock id>+ft-<sha256[:12] of its top>``
  (the ``windows`` and ``track_tags`` tables). One id for every form of the same weights (torch or
  ONNX Runtime, the lean network or the full one): they give the same features (the lean and
  full forms the same bits, tests/model/test_lean.py), so windows cached by one serve the others.
- album model id: ``album-<sha256[:12] of its weights>`` (also its file name in the models folder)
- vector model id (the ``vectors`` and ``layouts`` tables): ``meanmax:<backbone>:<plan>`` for the
  untrained mean‖max vector, ``<album model id>:<backbone>:<plan>`` for an album model's,
  ``mfcc20:<plan>`` for the MFCC baseline of --evaluate.

The model layer knows weights and their digests (model/registry.py, model/digest.py);
the ids are made here.
"""
from __future__ import annotations

import os

from ...model import registry
from ...model.digest import file_sha256

HASH_CHARS = 12
FT_MARK = "+ft-"
MEANMAX = "meanmax"
ALBUM_PREFIX = "album-"


def plan_name(n_windows: int | None, skip_edges_s: float) -> str:
    """The window plan (EmbedSettings.plan): None windows means every window."""
    return "all" if n_windows is None else f"n{n_windows}-skip{skip_edges_s:g}"


def backbone_id(name: str, top: str | os.PathLike | None = None) -> str:
    """Id of the bundled backbone ``name``, or of its fine-tuned version with the top file ``top``."""
    stock = f"{name}-{registry.weights_sha256(name)[:HASH_CHARS]}"
    return stock if top is None else f"{stock}{FT_MARK}{file_sha256(top)[:HASH_CHARS]}"


def base_id(backbone: str) -> str:
    """The stock backbone id a (possibly fine-tuned) backbone id starts from."""
    return backbone.split(FT_MARK, 1)[0]


def album_model_id(weights: str | os.PathLike) -> str:
    """Id of the album model in the weights file ``weights``."""
    return ALBUM_PREFIX + file_sha256(weights)[:HASH_CHARS]


def meanmax_model_id(backbone: str, plan: str) -> str:
    """Id of the untrained track vector: mean ‖ max of the window features."""
    return f"{MEANMAX}:{backbone}:{plan}"


def vector_model_id(entry, backbone: str, plan: str) -> str:
    """Key of the track vectors an album model makes (they also depend on the windows it reads);
    ``entry`` is its AlbumModelEntry, or None for mean‖max."""
    if entry is None:
        return meanmax_model_id(backbone, plan)
    return f"{entry.id}:{backbone}:{plan}"


def mfcc_model_id(plan: str) -> str:
    """Key of the MFCC mean/std baseline vectors --evaluate caches."""
    return f"mfcc20:{plan}"
