"""The whole update of a library as one job: scan, embed what is new, rebuild the map.

While embedding, a provisional map is built every ``MAP_EVERY_SECONDS`` so the
window can show tracks as their vectors arrive. Items that carry a result
(a ScanSummary, a MapData) are the ones the GUI applies.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator

import sqlite_utils

from .embed import EmbedSettings, Engine, embed_library, meanmax_model_id
from .jobs import CancelToken, Progress
from .scan import scan

MAP_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class RefreshPlan:
    root: str
    embed: bool = True
    settings: EmbedSettings = EmbedSettings()
    fresh_layout: bool = False
    k: int | None = None


def refresh_library(db: sqlite_utils.Database, plan: RefreshPlan, make_engine: Callable[[], Engine],
                    tag_names: tuple[str, ...], cancel: CancelToken) -> Iterator[Progress]:
    yield from scan(plan.root, db, cancel)
    if cancel.cancelled:
        return
    engine = make_engine() if plan.embed else None
    backbone_id = engine.backbone_id if engine else None
    if engine is not None:
        last_map = time.monotonic()
        for p in embed_library(db, plan.root, engine, plan.settings, cancel):
            yield p
            if p.phase == "embed" and time.monotonic() - last_map > MAP_EVERY_SECONDS:
                last_map = time.monotonic()
                yield from _map(db, plan, backbone_id, tag_names, cancel, provisional=True)
        if cancel.cancelled:
            return
    if backbone_id is None:
        from ..model import registry

        backbone_id = registry.model_id(registry.DEFAULT_MODEL)
    yield from _map(db, plan, backbone_id, tag_names, cancel, provisional=False)


def _map(db, plan: RefreshPlan, backbone_id: str, tag_names, cancel, provisional: bool) -> Iterator[Progress]:
    from .map_build import build_map

    model_id = meanmax_model_id(backbone_id, plan.settings.plan)
    for p in build_map(db, plan.root, model_id, backbone_id, plan.settings.plan, tag_names, cancel,
                       k=plan.k, fresh=plan.fresh_layout and not provisional):
        if p.result is not None:
            p.phase = "map"
        yield p
