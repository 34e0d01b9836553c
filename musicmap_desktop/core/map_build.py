"""Build the map (MapData) from the cache: tracks, vectors, mean auto-tags, layout, clusters.

Layout reuse, in order:
1. the cached layout of exactly this set of fingerprints: reused as is;
2. otherwise the newest layout of this model and root: its points stay where they
   are and new tracks are placed among them (``place_new_points``), a stable map;
   its clusters and names stay too, new tracks joining the nearest cluster centroid;
3. otherwise, or with ``fresh=True``, a new t-SNE layout, clustered and named afresh.
Exception to 2, only with ``regrow=True`` (the first embedding of a library, when
nobody has seen the map yet): while the map is small and growing, it is laid out again, starting from the current arrangement, each time it
outgrows ``REGROW`` × the points its last t-SNE saw, until that core reaches
``layout.LANDMARKS`` (10k); so a 50k map is never 49.9k points hung on a 100-point core.
"""
from __future__ import annotations

import gc
import json
import logging
import os
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from .cluster_names import ClusterName, explain_clusters
from .clusters import choose_k, cluster, k_range
from .jobs import CancelToken, MapProgress, Phase, Progress
from .layout import MIN_TSNE, centre_unit_rows_in_place, compute_layout, core_size, place_new_points, unit_rows
from .map_labels import LabelSet, album_anchors, cluster_anchors
from .mapdata import CATEGORIES, MapData, TrackView
from .store import layouts
from .store.db import Database
from .store.map_load import LayoutNotes, load_layout_notes, load_map_rows, save_layout_notes

log = logging.getLogger(__name__)

REGROW = 2.0  # relayout a growing small map when it holds more than this × its t-SNE core


def build_map(db: Database, root: str | None, model_id: str, backbone_id: str, plan: str,
              tag_names, cancel: CancelToken | None = None, k: int | None = None,
              fresh: bool = False, seed: int | None = None, regrow: bool = False,
              provisional: bool = False) -> Iterator[Progress]:
    """Yield progress; the last item is a MapProgress whose ``result`` is the MapData (nothing
    when cancelled); ``provisional`` says so on it (a map made while embedding goes on).
    ``seed`` of a new layout: by default a grown one keeps its base's, a ``fresh`` one takes the
    next after the newest layout's ("New layout" draws a new map; each seed is kept with it)."""
    cancel = cancel or CancelToken()
    yield Progress(Phase.LOAD)
    with paused_gc():
        tracks, fps, vectors, tag_probs = load_tracks(db, model_id, root, backbone_id, plan, tag_names)
        uniq, first, inverse = _distinct(fps)  # copies of one file share a vector and a spot
        known = None if fresh else _known_layout(db, model_id, root, uniq)
    if cancel.cancelled:
        return
    uvec = vectors if first is None else vectors[first]
    if known is not None:
        rows = _rows_of(known, uniq)
        notes = load_layout_notes(db, known.id) or LayoutNotes()
        xy, method, core, base, seed = known.xy[rows], known.method, known.core_points, known, notes.seed
    else:
        got = yield from _positions(db, model_id, root, uniq, uvec, fresh, seed, cancel, regrow)
        if got is None:
            return
        xy, method, core, base, seed = got
    named = (tracks, inverse, tag_probs, tag_names)
    if known is not None and known.labels is not None and known.k == k:
        labels, names, why = _cached_clusters(db, known, rows, notes, named)
    else:
        got = yield from _clusters(db, method, base, uniq, uvec, k, seed, cancel)
        if got is None:
            return
        labels, names, why = _named(*got, named)
        layout_id = layouts.save_layout(db, model_id, root, uniq, xy, labels, names, k, method, core)
        save_layout_notes(db, layout_id, LayoutNotes(seed, tuple(why)))
    data = MapData(tracks, _expand(xy, inverse), vectors, np.asarray(_expand(labels, inverse), np.int32),
                   list(names), tuple(tag_names), tag_probs, model_id)
    with paused_gc():
        prepare(data, why)
    yield MapProgress(Phase.DONE, len(tracks), len(tracks), result=data, provisional=provisional)


def _cached_clusters(db, known: layouts.StoredLayout, rows, notes: LayoutNotes, named):
    """(labels, names, evidence) of a cached layout; evidence worked out (and kept) for a layout
    cached before its notes were. ``named``: (tracks, inverse, tag_probs, tag_names)."""
    tracks, inverse, tag_probs, tag_names = named
    labels, names, why = known.labels[rows], known.names, notes.why
    if why is None or len(why) != len(names):
        why = _evidence(_expand(labels, inverse), tracks, tag_probs, tag_names)
        save_layout_notes(db, known.id, LayoutNotes(notes.seed, why))
    return labels, names, why


def _named(labels, names, why, named):
    """Fresh clusters get names and evidence; carried names keep theirs (evidence worked out
    when the layout they came from kept none)."""
    if names is not None and why is not None:
        return labels, names, why
    tracks, inverse, tag_probs, tag_names = named
    info = explain_clusters(_expand(labels, inverse), tracks, tag_probs, tag_names)
    return labels, names or [c.name for c in info], [c.why for c in info]


@contextmanager
def paused_gc():
    """No cyclic garbage collection while a block makes 100k+ objects that live on (rows, track
    views, category labels): each collection would walk all of them again, 0.6 s of CPU at 100k
    tracks (reference counting still frees everything else). Never held across a yield."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def prepare(data: MapData, why=None) -> MapData:
    """What the window draws besides the points, worked out here (in the map job, not on the
    GUI thread): the names with their evidence, the labels' anchors, the categories of the
    colour modes. ``why``: each cluster's evidence, when known (else worked out)."""
    if why is None or len(why) != len(data.cluster_names):
        why = _evidence(data.cluster, data.tracks, data.tag_probs, data.tag_names)
    data.cluster_info = [ClusterName(name, tuple(w)) for name, w in zip(data.cluster_names, why)]
    for key in CATEGORIES:
        data.categories(key)
    albums = album_anchors(data.xy, data.tracks, codes=data.categories("album")[0])
    data.label_set = LabelSet.build([cluster_anchors(data.xy, data.cluster, data.cluster_names), [], albums])
    return data


def _known_layout(db, model_id: str, root, uniq: list[str]) -> layouts.StoredLayout | None:
    """The newest cached layout of exactly these fingerprints. Usually that is the newest
    layout, stored in this very order: one list comparison instead of hashing 100k of them."""
    latest = layouts.latest_layout(db, model_id, root)
    if latest is not None and latest.fingerprints == uniq:
        return latest
    return layouts.load_layout(db, model_id, root, layouts.set_hash(uniq))


def _evidence(labels, tracks, tag_probs, tag_names) -> tuple[tuple[str, ...], ...]:
    return tuple(c.why for c in explain_clusters(labels, tracks, tag_probs, tag_names))


def _expand(values: np.ndarray, inverse: np.ndarray | None) -> np.ndarray:
    """Per-fingerprint values → per track (no copy when every fingerprint is distinct)."""
    return values if inverse is None else values[inverse]


def _clusters(db, method, base, uniq, uvec, k, seed, cancel):
    """(labels, names, evidence) of the distinct fingerprints, names and evidence None to
    work them out afresh; None when cancelled."""
    if method == "placed" and base.labels is not None and base.k == k:
        notes = load_layout_notes(db, base.id) or LayoutNotes()
        return _carry_labels(base, uniq, uvec), base.names, notes.why  # stable colours and names
    yield Progress(Phase.CLUSTERS, 0, len(uniq))
    labels = cluster(uvec, k or choose_k(uvec, *k_range(len(uvec)), seed=seed), seed)
    return None if cancel.cancelled else (labels, None, None)


def _positions(db, model_id, root, uniq, uvec, fresh, seed, cancel, regrow=False):
    """(xy, method, core points, layout it grew from, seed) for the distinct fingerprints;
    None when cancelled."""
    n = len(uniq)
    base = None if fresh else layouts.latest_layout(db, model_id, root)
    if seed is None:
        seed = _seed_for(db, model_id, root, base, fresh)
    init = None
    if base is not None:
        old, where = _overlap(base, uniq)
        if len(old):
            yield Progress(Phase.PLACE, len(old), n)
            new = np.setdiff1d(np.arange(n), old)
            xy = np.zeros((n, 2), np.float32)
            xy[old] = base.xy[where]
            xy[new] = place_new_points(uvec[old], xy[old], uvec[new])
            if not regrow or base.core_points >= min(core_size(n), n / REGROW):
                return xy, "placed", base.core_points, base, seed
            init = xy  # outgrown: lay out again, starting from where the points are now
    if base is None and not fresh:
        init = yield from _morph_start(db, model_id, root, uniq, uvec)
    log.info("fresh layout of %d points (seed %d)", n, seed)
    result = None
    for p in compute_layout(uvec, cancel, seed, init):
        result = p.result
        yield p
    if result is None:
        return None
    method = "pca" if n < MIN_TSNE else "tsne" if core_size(n) == n else "tsne+landmarks"
    return result, method, core_size(n), None, seed


def _seed_for(db, model_id, root, base, fresh: bool) -> int:
    """A layout grown from ``base`` keeps its seed; a fresh one takes the next after the newest."""
    latest = base if base is not None else layouts.latest_layout(db, model_id, root)
    notes = load_layout_notes(db, latest.id) if latest is not None else None
    seed = notes.seed if notes is not None else 0
    return seed + 1 if fresh and latest is not None else seed


def _morph_start(db, model_id, root, uniq, uvec):
    """Start positions for the first map of new vectors (a retrained model): where the
    tracks were on the previous model's map, so the points move rather than reshuffle."""
    previous = layouts.latest_layout_of_another_model(db, model_id, root)
    if previous is None:
        return None
    old, where = _overlap(previous, uniq)
    if len(old) < 2:
        return None
    yield Progress(Phase.PLACE, len(old), len(uniq))
    xy = np.zeros((len(uniq), 2), np.float32)
    xy[old] = previous.xy[where]
    new = np.setdiff1d(np.arange(len(uniq)), old)
    if len(new):
        xy[new] = place_new_points(uvec[old], xy[old], uvec[new])
    return xy


def _overlap(base: layouts.StoredLayout, uniq: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Indices into uniq of the fingerprints base placed, and their rows in base (one sorted
    search; the identity when base stored exactly uniq, in this order)."""
    if base.fingerprints == uniq:
        every = np.arange(len(uniq), dtype=np.int64)
        return every, every
    known = np.array(base.fingerprints, dtype=str)
    if not len(known) or not uniq:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(known, kind="stable")
    wanted = np.array(uniq, dtype=str)
    pos = np.minimum(np.searchsorted(known, wanted, sorter=order), len(known) - 1)
    hit = known[order[pos]] == wanted
    return np.flatnonzero(hit).astype(np.int64), order[pos[hit]].astype(np.int64)


def _rows_of(base: layouts.StoredLayout, uniq: list[str]) -> np.ndarray | slice:
    """Rows of base's arrays for uniq (every fingerprint of uniq is in base); a slice (no copy)
    when base stored them in this order."""
    old, where = _overlap(base, uniq)
    if len(where) != len(uniq):
        raise ValueError("the layout does not hold every fingerprint of the map")
    return slice(None) if base.fingerprints == uniq else where


def _carry_labels(base: layouts.StoredLayout, uniq: list[str], uvec: np.ndarray) -> np.ndarray:
    """Old tracks keep their cluster; new ones join the cluster with the nearest centroid."""
    old, where = _overlap(base, uniq)
    labels = np.full(len(uniq), -1, np.int32)
    labels[old] = base.labels[where]
    new = np.flatnonzero(labels < 0)
    if len(new):
        unit = unit_rows(uvec)
        k = max(len(base.names), int(labels.max()) + 1)
        centroids = np.zeros((k, unit.shape[1]), np.float32)
        np.add.at(centroids, labels[old], unit[old])
        sims = unit[new] @ unit_rows(centroids).T
        sims[:, ~centroids.any(1)] = -np.inf  # a cluster whose tracks are all gone takes no one
        labels[new] = sims.argmax(1)
    return labels


def load_tracks(db: Database, model_id: str, root: str | None, backbone_id: str = "", plan: str = "",
                tag_names=()) -> tuple[list[TrackView], list[str], np.ndarray, np.ndarray | None]:
    """Every track under root with a vector of this model: views, fingerprints, vectors [n, d]
    centred and unit length, mean auto-tag probabilities [n, tags] (None without taggrams)."""
    rows = load_map_rows(db, model_id, root, backbone_id, plan)
    tracks = []
    genre_lists: dict[str, list[str]] = {}  # libraries repeat a few genre lists 100k times: parse each once
    for r in rows.tracks:
        text = r[6] or "[]"
        genres = genre_lists.get(text)
        if genres is None:
            genres = genre_lists[text] = json.loads(text)
        tracks.append(TrackView(r[0], os.fsdecode(r[1]), r[2] or "", r[3] or "", r[4] or "", r[5] or "",
                                genres, r[7], r[8] or 0.0))
    probs = rows.taggrams if len(tag_names) else None
    if probs is not None and probs.shape[1] != len(tag_names):
        log.warning("taggrams have %d tags, expected %d: ignoring them", probs.shape[1], len(tag_names))
        probs = None
    vectors = centre_unit_rows_in_place(rows.vectors) if rows.vectors.size else rows.vectors
    return tracks, rows.fingerprints, vectors, probs


def _distinct(fps: list[str]) -> tuple[list[str], np.ndarray | None, np.ndarray | None]:
    """Distinct fingerprints in first-seen order, the first row of each, each row's index
    (both None when every fingerprint is distinct: nothing to pick or spread)."""
    index = dict.fromkeys(fps)
    if len(index) == len(fps):
        return fps, None, None
    seen: dict[str, int] = {}
    first, inverse = [], np.empty(len(fps), np.int64)
    for row, fp in enumerate(fps):
        if fp not in seen:
            seen[fp] = len(seen)
            first.append(row)
        inverse[row] = seen[fp]
    return list(seen), np.asarray(first, np.int64), inverse
