"""What a library holds, for the side panel before a track is chosen: tracks, albums, artists,
hours, how much is analysed, the clusters with their sizes, how many problems.

``map_summary`` reads only the map (instant); ``library_facts`` reads the cache (the files
found and the problems list), so the GUI runs it off its thread.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mapdata import MapData
from .playlists import album_key, artist_key
from .store.db import Database
from .store.libraries import failed_tracks
from .store.tracks import known_tracks


@dataclass(frozen=True)
class MapSummary:
    tracks: int  # on the map (analysed)
    albums: int
    artists: int
    seconds: float
    clusters: tuple[tuple[int, str, int], ...]  # (cluster id, name, tracks), biggest first


@dataclass(frozen=True)
class LibraryFacts:
    readable: int  # audio files found and read (every one is analysed in the end)
    problems: int  # files and folders that could not be used


def map_summary(data: MapData) -> MapSummary:
    tracks = data.tracks
    albums = {album_key(t) for t in tracks if album_key(t)[0]}
    artists = {artist_key(t) for t in tracks} - {""}
    seconds = float(sum(t.duration for t in tracks if t.duration and t.duration > 0))
    sizes = np.bincount(np.asarray(data.cluster, np.int64), minlength=len(data.cluster_names)) \
        if len(tracks) else np.zeros(len(data.cluster_names), np.int64)
    order = sorted(range(len(data.cluster_names)), key=lambda c: (-int(sizes[c]), c))
    clusters = tuple((c, data.cluster_names[c], int(sizes[c])) for c in order if sizes[c])
    return MapSummary(len(tracks), len(albums), len(artists), seconds, clusters)


def library_facts(db: Database, root: str) -> LibraryFacts:
    known = known_tracks(db, root)
    readable = sum(1 for t in known.values() if t.status == "ok")
    return LibraryFacts(readable, len(failed_tracks(db, root)))
