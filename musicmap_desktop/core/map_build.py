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

import json
import logging
import os
from typing import Iterator

import numpy as np

from .clusters import choose_k, cluster, k_range, name_clusters
from .jobs import CancelToken, MapProgress, Phase, Progress
from .layout import MIN_TSNE, centred_unit_rows, compute_layout, core_size, place_new_points, unit_rows
from .mapdata import MapData, TrackView
from .store import layouts
from .store import tracks as track_store
from .store import vectors as vector_store
from .store.db import Database
from .store.windows import mean_taggrams

log = logging.getLogger(__name__)

REGROW = 2.0  # relayout a growing small map when it holds more than this × its t-SNE core
TOP_TAGS = 5


def build_map(db: Database, root: str | None, model_id: str, backbone_id: str, plan: str,
              tag_names, cancel: CancelToken | None = None, k: int | None = None,
              fresh: bool = False, seed: int = 0, regrow: bool = False,
              provisional: bool = False) -> Iterator[Progress]:
    """Yield progress; the last item is a MapProgress whose ``result`` is the MapData (nothing
    when cancelled); ``provisional`` says so on it (a map made while embedding goes on)."""
    cancel = cancel or CancelToken()
    yield Progress(Phase.LOAD)
    tracks, fps, vectors = load_tracks(db, model_id, root)
    vectors = centred_unit_rows(vectors)  # similarity, layout and clusters all use these
    tag_probs = _tag_probs(db, tracks, fps, backbone_id, plan, tag_names)
    if cancel.cancelled:
        return
    uniq, first, inverse = _distinct(fps)  # copies of one file share a vector and a spot
    uvec = vectors[first] if tracks else np.zeros((0, 1), np.float32)
    known = None if fresh else layouts.load_layout(db, model_id, root, layouts.set_hash(uniq))
    if known is not None:
        xy, method, core, base = _pick(known, known.xy, uniq), known.method, known.core_points, known
    else:
        got = yield from _positions(db, model_id, root, uniq, uvec, fresh, seed, cancel, regrow)
        if got is None:
            return
        xy, method, core, base = got
    if known is not None and known.labels is not None and known.k == k:
        labels, names = _pick(known, known.labels, uniq), known.names
    else:
        got = yield from _clusters(method, base, uniq, uvec, k, seed, cancel)
        if got is None:
            return
        labels, names = got
        names = names or name_clusters(labels[inverse], tracks, tag_probs, tag_names)
        layouts.save_layout(db, model_id, root, uniq, xy, labels, names, k, method, core)
    data = MapData(tracks, xy[inverse], vectors, labels[inverse].astype(np.int32), list(names),
                   tuple(tag_names), tag_probs, model_id)
    yield MapProgress(Phase.DONE, len(tracks), len(tracks), result=data, provisional=provisional)


def _tag_probs(db, tracks: list[TrackView], fps: list[str], backbone_id: str, plan: str,
               tag_names) -> np.ndarray | None:
    """Mean taggram per track (also sets each track's top tags); None without taggrams."""
    probs = mean_taggrams(db, fps, backbone_id, plan) if len(tag_names) else None
    if probs is not None and probs.shape[1] != len(tag_names):
        log.warning("taggrams have %d tags, expected %d: ignoring them", probs.shape[1], len(tag_names))
        probs = None
    _set_top_tags(tracks, probs, tag_names)
    return probs


def _clusters(method, base, uniq, uvec, k, seed, cancel):
    """(labels, names or None to name afresh) of the distinct fingerprints; None when cancelled."""
    if method == "placed" and base.labels is not None and base.k == k:
        return _carry_labels(base, uniq, uvec), base.names  # stable colours and names
    yield Progress(Phase.CLUSTERS, 0, len(uniq))
    labels = cluster(uvec, k or choose_k(uvec, *k_range(len(uvec)), seed=seed), seed)
    return None if cancel.cancelled else (labels, None)


def _positions(db, model_id, root, uniq, uvec, fresh, seed, cancel, regrow=False):
    """(xy, method, core points, layout it grew from) for the distinct fingerprints; None when cancelled."""
    n = len(uniq)
    base = None if fresh else layouts.latest_layout(db, model_id, root)
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
                return xy, "placed", base.core_points, base
            init = xy  # outgrown: lay out again, starting from where the points are now
    if base is None and not fresh:
        init = yield from _morph_start(db, model_id, root, uniq, uvec)
    log.info("fresh layout of %d points", n)
    result = None
    for p in compute_layout(uvec, cancel, seed, init):
        result = p.result
        yield p
    if result is None:
        return None
    method = "pca" if n < MIN_TSNE else "tsne" if core_size(n) == n else "tsne+landmarks"
    return result, method, core_size(n), None


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
    """Indices into uniq of the fingerprints base placed, and their rows in base."""
    pos = {fp: i for i, fp in enumerate(base.fingerprints)}
    pairs = [(i, pos[fp]) for i, fp in enumerate(uniq) if fp in pos]
    return np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.int64)


def _pick(base: layouts.StoredLayout, values: np.ndarray, uniq: list[str]) -> np.ndarray:
    """Rows of a stored array for uniq (every fingerprint of uniq is in base)."""
    return values[_overlap(base, uniq)[1]]


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


def load_tracks(db: Database, model_id: str,
                root: str | None) -> tuple[list[TrackView], list[str], np.ndarray]:
    """Every track under root with a vector of this model: views, fingerprints, vectors [n, d]."""
    ids, vectors = vector_store.load_vectors(db, model_id, root)
    wanted = set(ids)
    rows = {}
    for r in track_store.map_rows(db):
        if r[0] in wanted:
            rows[r[0]] = r
    tracks, fps = [], []
    genre_lists: dict[str, list[str]] = {}  # libraries repeat a few genre lists 100k times: parse each once
    for i in ids:
        r = rows[i]
        text = r[6] or "[]"
        genres = genre_lists.get(text)
        if genres is None:
            genres = genre_lists[text] = json.loads(text)
        tracks.append(TrackView(
            id=r[0], path=os.fsdecode(r[1]), title=r[2] or "", artist=r[3] or "", album=r[4] or "",
            albumartist=r[5] or "", genres=genres, year=r[7], duration=r[8] or 0.0))
        fps.append(r[9])
    return tracks, fps, np.asarray(vectors, np.float32)


def _set_top_tags(tracks: list[TrackView], tag_probs: np.ndarray | None, tag_names) -> None:
    if tag_probs is None:
        return
    k = min(TOP_TAGS, tag_probs.shape[1])
    order = np.argsort(-np.nan_to_num(tag_probs, nan=-1.0), axis=1, kind="stable")[:, :k]
    best = np.round(np.take_along_axis(tag_probs, order, 1).astype(np.float64), 4)
    names = [str(t) for t in tag_names]
    # plain lists first: building 100k small lists from numpy scalars is several times slower
    for t, idx, p, ok in zip(tracks, order.tolist(), best.tolist(), (~np.isnan(tag_probs[:, 0])).tolist()):
        if ok:
            t.top_tags = [(names[j], v) for j, v in zip(idx, p)]


def _distinct(fps: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Distinct fingerprints in first-seen order, the first row of each, each row's index."""
    index: dict[str, int] = {}
    first, inverse = [], np.empty(len(fps), np.int64)
    for row, fp in enumerate(fps):
        if fp not in index:
            index[fp] = len(index)
            first.append(row)
        inverse[row] = index[fp]
    return list(index), np.asarray(first, np.int64), inverse
