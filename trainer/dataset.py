"""Album-labelled training data from the cache: window features + album, artist, genre.

Album identity: the album title, normalised (Unicode NFKC, case-folded, spaces
collapsed, a trailing disc marker such as "(Disc 2)", "[CD 1]" or "- Disc 3"
removed, so the discs of one album form one album), together with the album
artist; without an album artist, the folder stands in for it (a compilation
lives in one folder while its track artists differ). Two albums that share a
title but not an artist stay apart.
"""
from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from musicmap_desktop.core.errors import UserError
from musicmap_desktop.core.store.db import Database
from musicmap_desktop.core.store.windows import labelled_windows, load_pools

LABEL_KINDS = ("album", "artist", "genre")
_DISC = re.compile(r"\s*(?:[\(\[\{]\s*(?:disc|disk|cd)\s*\d+(?:\s*(?:of|/)\s*\d+)?\s*[\)\]\}]"
                   r"|[-–—:,]?\s*\b(?:disc|disk|cd)\s*\d+)\s*$")  # \b: "ABCD 2" keeps its "CD"
_DISC_FOLDER = re.compile(r"^(?:disc|disk|cd)\s*\d+$")


def normalise(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(text.split())


def album_title(album: str | None) -> str:
    """Normalised title with any trailing disc marker removed (an album called just
    "CD 1" keeps its name)."""
    title = normalise(album)
    return _DISC.sub("", title).strip() or title


def album_key(album: str | None, albumartist: str | None, path: str) -> str | None:
    title = album_title(album)
    if not title:
        return None
    owner = normalise(albumartist)
    if not owner:
        folder = os.path.dirname(path)
        if _DISC_FOLDER.match(normalise(os.path.basename(folder))):
            folder = os.path.dirname(folder)
        owner = "folder:" + folder
    return f"{owner}\x1f{title}"


@dataclass
class Dataset:
    """One row per distinct file (fingerprint) with cached window features and an album."""

    fingerprints: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # real paths, for decoding
    features: list[np.ndarray] = field(default_factory=list)  # float16 [S_i, 200]
    albums: list[str] = field(default_factory=list)  # album keys
    artists: list[str] = field(default_factory=list)  # normalised; "" when unknown
    genres: list[str] = field(default_factory=list)  # normalised first genre; "" when none
    album_names: dict[str, str] = field(default_factory=dict)  # key -> "Artist — Album" as tagged
    pools: list[np.ndarray | None] = field(default_factory=list)  # float16 [1506]; None: not cached yet

    def __len__(self) -> int:
        return len(self.fingerprints)

    def labels(self, kind: str) -> list[str]:
        return {"album": self.albums, "artist": self.artists, "genre": self.genres}[kind]

    def subset(self, rows) -> "Dataset":
        rows = list(rows)
        pick = lambda xs: [xs[i] for i in rows]  # noqa: E731
        keys = set(pick(self.albums))
        return Dataset(pick(self.fingerprints), pick(self.paths), pick(self.features), pick(self.albums),
                       pick(self.artists), pick(self.genres),
                       {k: v for k, v in self.album_names.items() if k in keys},
                       pick(self.pools) if self.pools else [])

    @property
    def has_pools(self) -> bool:
        """Every track has its cached pools (what the closed-form model needs)."""
        return len(self.pools) == len(self) and all(p is not None for p in self.pools)


def load_dataset(db: Database, root: str | None, backbone_id: str, plan: str) -> Dataset:
    """Every readable track under root with cached windows and an album tag."""
    data, seen = Dataset(), set()
    for path, display_path, fp, album, albumartist, artist, genres_json, features in labelled_windows(
            db, root, backbone_id, plan):
        if fp in seen:
            continue
        key = album_key(album, albumartist, display_path)
        if key is None:
            continue
        seen.add(fp)
        data.fingerprints.append(fp)
        data.paths.append(path)
        data.features.append(features)
        data.albums.append(key)
        data.artists.append(normalise(albumartist or artist))
        genres = json.loads(genres_json) if genres_json else []
        data.genres.append(normalise(genres[0]) if genres else "")
        owner = albumartist or artist or "?"
        data.album_names.setdefault(key, f"{owner} — {album}")
    pools = load_pools(db, data.fingerprints, backbone_id, plan)
    data.pools = [pools.get(fp) for fp in data.fingerprints]
    return data


def labelled_dataset(db: Database, root: str | None, backbone_id: str, plan: str, min_tracks: int = 4,
                     albums_file: str | None = None, labels: str = "album") -> Dataset:
    """The tracks of albums with at least ``min_tracks`` tracks, limited by an albums file; with
    ``labels`` other than album, only the tracks that have that label (the rest teach nothing)."""
    data = load_dataset(db, root, backbone_id, plan)
    include, exclude = read_albums_file(albums_file) if albums_file else (set(), set())
    data = select_albums(data, min_tracks, include, exclude)
    if labels != "album":
        data = data.subset(i for i, v in enumerate(data.labels(labels)) if v)
    return data


def read_albums_file(path: str) -> tuple[set[str], set[str]]:
    """(include, exclude) album titles, normalised. One per line; "-Title" excludes; # comments."""
    include, exclude = set(), set()
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:  # the file the user named
        raise UserError(f"cannot read --albums-file {path}: {getattr(e, 'strerror', None) or e}") from None
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        (exclude if line.startswith("-") else include).add(album_title(line.lstrip("-+").strip()))
    return include, exclude


def select_albums(data: Dataset, min_tracks: int, include: set[str] = frozenset(),
                  exclude: set[str] = frozenset()) -> Dataset:
    """Albums with at least min_tracks tracks, limited to ``include`` (when given), minus ``exclude``."""
    def wanted(key: str) -> bool:
        title = key.split("\x1f", 1)[1]
        return (not include or title in include) and title not in exclude

    counts: dict[str, int] = {}
    for key in data.albums:
        counts[key] = counts.get(key, 0) + 1
    return data.subset(i for i, key in enumerate(data.albums) if counts[key] >= min_tracks and wanted(key))
