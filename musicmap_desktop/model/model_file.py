"""What every album-model file is: safetensors with one JSON metadata key, read without torch.

Two architectures share the file kind: the seed's trained head ``album_v5`` (model/album.py,
torch) and the closed-form ``zwccn_v1`` (model/zwccn.py, numpy only); model/load_album.py
opens either. Nothing is ever unpickled.
"""
from __future__ import annotations

import json
import os

from safetensors import SafetensorError, safe_open

# One metadata key only: safetensors writes metadata from a hash map, so several
# keys come out in random order and the file hash (= model id) would vary.
ALBUM_METADATA_KEY = "musicmap_album"


class ModelFileError(Exception):
    """A model file that cannot be used: a pickle, a foreign or damaged file, another
    architecture. (Core turns it into the user's error where the user chose the model.)"""


def safetensors_metadata(path: str | os.PathLike, key: str, what: str) -> dict:
    """The JSON under ``key`` in a safetensors file's metadata; ModelFileError for pickles and
    foreign files."""
    with open(path, "rb") as f:  # FileNotFoundError stays what it is
        head = f.read(9)
    if head[:2] == b"PK" or head[:1] == b"\x80":
        raise ModelFileError(f"{path} is a pickle / torch.save file; only safetensors is loaded")
    try:
        with safe_open(str(path), framework="numpy") as f:  # numpy: reading metadata needs no torch
            raw = (f.metadata() or {}).get(key)
    except SafetensorError as e:
        raise ModelFileError(f"{path} is not a valid safetensors file: {e}") from e
    if raw is None:
        raise ModelFileError(f"{path} has no {key!r} metadata; not {what}")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: its {key!r} metadata is not JSON ({e})") from e
