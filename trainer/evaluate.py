"""The evaluation table: several ways of making track vectors, scored on the same test albums.

Rows: an MFCC mean/std baseline (the classic FMA-style features), Musicnn window
features mean‖max with no training, the bundled album model, and retrained
models. MFCC vectors need the audio (the same windows Musicnn heard); they are
cached in the vectors table like any other vector, so a second evaluation does
not decode again.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from musicmap_desktop.core.jobs import CancelToken, Phase, Progress
from musicmap_desktop.core.layout import centred_unit_rows
from musicmap_desktop.core.store import ids, vectors, windows
from musicmap_desktop.core.store.db import BatchedWrites, Database
from musicmap_desktop.core.track_vectors import model_vectors
from musicmap_desktop.model.aggregate import meanmax_vector

from .dataset import Dataset
from .metrics import standardize, summary

MFCC_ROW = "MFCC mean/std (baseline)"
MEANMAX_ROW = "Musicnn mean‖max (no training)"
CENTRED_ROW = "Musicnn mean‖max, centred (the map's default)"


def beats_row(table: dict, row: str, other: str) -> bool:
    """True when ``row`` scored above ``other`` in album P@5 and mAP."""
    ours, base = table[row], table[other]
    return ours["album_p_at_k"] > base["album_p_at_k"] and ours["album_map"] > base["album_map"]


def beats_meanmax(table: dict, row: str) -> bool:
    """True when ``row`` scored above untrained Musicnn mean‖max in album P@5 and mAP."""
    return beats_row(table, row, MEANMAX_ROW)


def mfcc_vectors(db: Database, data: Dataset, backbone_id: str, plan: str,
                 cancel: CancelToken) -> Iterator[Progress]:
    """Cached or computed MFCC vectors of every track; result: [n, 40] (None rows if undecodable)."""
    from musicmap_desktop.core.audio import DecodeError

    from .mfcc import mfcc_for_file

    model_id = ids.mfcc_model_id(plan)
    out: list[np.ndarray | None] = []
    progress = Progress(Phase.MFCC, 0, len(data))
    with BatchedWrites(db, every_seconds=2.0) as batch:
        for fp, path in zip(data.fingerprints, data.paths):
            if cancel.cancelled:
                return
            cached = vectors.load_vector(db, fp, model_id)
            if cached is not None:
                out.append(cached)
            else:
                try:
                    starts = windows.load_windows(db, fp, backbone_id, plan).starts
                    out.append(mfcc_for_file(path, [int(s) for s in starts]))
                except (DecodeError, OSError):
                    out.append(None)  # moved or broken since its scan: left out of this row
                    continue
                batch.open()
                vectors.save_vector(db, fp, model_id, out[-1])
            progress.done += 1
            batch.tick()
            yield progress
    yield Progress(Phase.DONE, progress.done, progress.total, result=out)


def score(vectors: np.ndarray, data: Dataset) -> dict:
    genres = data.genres if any(data.genres) else None
    return summary(vectors, data.albums, data.artists, genres)


def meanmax_rows(data: Dataset) -> np.ndarray:
    return np.stack([meanmax_vector(f) for f in data.features])


def model_rows(model, data: Dataset) -> np.ndarray:
    pools = data.pools if getattr(model, "needs_pools", False) else None
    return model_vectors(model, data.features, pools)


def evaluation_table(db, test: Dataset, backbone_id: str, plan: str, models: dict,
                     cancel: CancelToken, with_mfcc: bool = True,
                     datasets: dict[str, Dataset] | None = None) -> Iterator[Progress]:
    """Score each source on ``test``; ``models`` maps row name -> album model. Result: {row: metrics}.

    ``datasets``: rows whose model reads other window features (a fine-tuned backbone's)
    are scored on those instead: the same test tracks, less any that could not be decoded."""
    datasets = datasets or {}
    rows: dict[str, dict] = {}
    if with_mfcc:
        mfcc = None
        for p in mfcc_vectors(db, test, backbone_id, plan, cancel):
            mfcc = p.result if p.result is not None else mfcc
            yield p
        if cancel.cancelled:
            return
        ok = [i for i, v in enumerate(mfcc) if v is not None]
        rows[MFCC_ROW] = score(standardize(np.stack([mfcc[i] for i in ok])), test.subset(ok))
    yield Progress(Phase.SCORE, len(rows), len(models) + 3)
    rows[MEANMAX_ROW] = score(meanmax_rows(test), test)
    # The map compares tracks by vectors centred on the library's mean (core.layout).
    rows[CENTRED_ROW] = score(centred_unit_rows(meanmax_rows(test)), test)
    for name, model in models.items():
        data = datasets.get(name, test)
        rows[name] = score(model_rows(model, data), data)
    yield Progress(Phase.DONE, len(rows), len(rows), result=rows)
