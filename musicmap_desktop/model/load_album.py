"""Open an album-model file of either architecture (model/model_file.py says what they share)."""
from __future__ import annotations

import os

from . import zwccn
from .model_file import ALBUM_METADATA_KEY, safetensors_metadata


def architecture(path: str | os.PathLike) -> str:
    """``album_v5`` or ``zwccn_v1`` (ModelFileError for anything that is not an album model)."""
    return safetensors_metadata(path, ALBUM_METADATA_KEY, "an album model").get("architecture", "")


def load_album_model(path: str | os.PathLike, device: str = "cpu"):
    """The album model in ``path``: a ``zwccn.ZwccnModel`` (no torch) or an ``album.AlbumModel``."""
    if architecture(path) == zwccn.ARCHITECTURE:
        return zwccn.load(path)
    from . import album  # torch: only for the seed's heads

    return album.load(path, device)
