"""The whole update of a library as one job: scan, embed what is new, rebuild the map.

While embedding, a provisional map is built every ``MAP_EVERY_SECONDS`` so the
window can show tracks as their vectors arrive. Items that carry a result
(a ScanSummary; a MapData on a MapProgress, provisional or final) are the ones the GUI applies.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator

from .album_models import AlbumModelEntry, windows_backbone_id
from .embed import EmbedSettings, Engine, embed_library
from .jobs import CancelToken, Phase, Progress
from .scan import scan
from .store import ids, windows
from .store.db import Database, db_path
from .store.lock import updating
from .store.paths import display
from .store.layouts import latest_layout
from .track_vectors import vectorize

MAP_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class RefreshPlan:
    root: str
    embed: bool = True
    settings: EmbedSettings = EmbedSettings()
    fresh_layout: bool = False
    k: int | None = None
    scan: bool = True
    vectors: AlbumModelEntry | None = None  # album model making the track vectors; None: mean‖max


def refresh_library(db: Database, plan: RefreshPlan,
                    make_engine: Callable[[AlbumModelEntry | None], Engine],
                    tag_names: tuple[str, ...], cancel: CancelToken) -> Iterator[Progress]:
    """``make_engine(plan.vectors)``: the engine for that model's backbone (a fine-tuned one
    re-analyses the audio; its windows are cached under its own backbone id)."""
    engine = make_engine(plan.vectors) if plan.embed else None
    if engine is not None:
        backbone_id = engine.backbone_id
    else:
        from ..model import registry

        backbone_id = windows_backbone_id(plan.vectors, ids.backbone_id(registry.DEFAULT_MODEL))
    # A library without a map yet may be laid out again as it grows; one the user
    # has seen keeps its points where they are (new tracks are placed among them).
    regrow = latest_layout(db, _map_model_id(db, plan, backbone_id), plan.root) is None
    if plan.scan or engine is not None:
        # The cache's update lock from the scan to the end of the embedding, so that no other
        # process slips in between; a map from the cache alone takes none.
        with updating(db_path(db), f"updating {display(plan.root)}"):
            yield from _update(db, plan, engine, backbone_id, tag_names, cancel, regrow)
    if cancel.cancelled:
        return
    yield from _vectors(db, plan, backbone_id, cancel)
    if cancel.cancelled:
        return
    yield from _map(db, plan, backbone_id, tag_names, cancel, False, regrow)


def _update(db, plan: RefreshPlan, engine, backbone_id: str, tag_names, cancel,
            regrow: bool) -> Iterator[Progress]:
    """Scan, then embed what is new, with a provisional map now and then."""
    if plan.scan:
        yield from scan(plan.root, db, cancel)
    if cancel.cancelled or engine is None:
        return
    interval, last_map = MAP_EVERY_SECONDS, time.monotonic()
    for p in embed_library(db, plan.root, engine, plan.settings, cancel):
        yield p
        if p.phase is Phase.EMBED and time.monotonic() - last_map > interval:
            yield from _vectors(db, plan, backbone_id, cancel)
            yield from _map(db, plan, backbone_id, tag_names, cancel, True, regrow)
            # Each provisional map costs more as the library grows: space them out.
            interval, last_map = interval * 2, time.monotonic()


def _vectors(db, plan: RefreshPlan, backbone_id: str, cancel) -> Iterator[Progress]:
    """The album model's vectors of tracks that have windows but none yet (mean‖max come with the windows)."""
    if plan.vectors is not None:
        for p in vectorize(db, plan.root, backbone_id, plan.settings.plan, plan.vectors, cancel):
            if p.result is None:
                yield p


def map_vectors(db, plan: RefreshPlan, backbone_id: str) -> AlbumModelEntry | None:
    """The model the map shows now: the plan's, except that one reading the cached pools waits
    until every track of the library has them (heard before pools were cached, they are heard
    again first); until then the map keeps mean‖max: never two vector spaces on one map."""
    entry = plan.vectors
    if entry is not None and entry.needs_pools and windows.tracks_without_pools(
            db, plan.root, backbone_id, plan.settings.plan):
        return None
    return entry


def _map_model_id(db, plan: RefreshPlan, backbone_id: str) -> str:
    return ids.vector_model_id(map_vectors(db, plan, backbone_id), backbone_id, plan.settings.plan)


def _map(db, plan: RefreshPlan, backbone_id: str, tag_names, cancel, provisional: bool,
         regrow: bool) -> Iterator[Progress]:
    from .map_build import build_map

    model_id = _map_model_id(db, plan, backbone_id)
    yield from build_map(db, plan.root, model_id, backbone_id, plan.settings.plan, tag_names, cancel,
                         k=plan.k, fresh=plan.fresh_layout and not provisional, regrow=regrow,
                         provisional=provisional)
