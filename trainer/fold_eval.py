"""The fold table of `--evaluate --folds N` and of `--retrain`: every way of making track
vectors, scored on folds disjoint by source (trainer/folds.py).

Rows: MFCC mean/std (the classic baseline), untrained Musicnn mean‖max raw and centred (the
better of the two on average is "untrained"), the closed-form recipe (model/zwccn.py)
fitted on the other folds' albums, fixed models that never trained on any of these albums
(the bundled one, a retrained one), and on request the seed's trained heads (album_v5),
trained on the other folds. Learned rows are scored as the map uses them: centred on the
held-out fold's own mean (core.layout.centred_unit_rows). Per fold: album P@5 and mAP,
artist P@5, KMeans AMI against the albums (k = the fold's albums).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from musicmap_desktop.core.jobs import CancelToken, Phase, Progress, passed_through
from musicmap_desktop.core.layout import centred_unit_rows
from musicmap_desktop.core.track_vectors import model_vectors
from musicmap_desktop.model import zwccn

from .dataset import Dataset
from .evaluate import CENTRED_ROW, MEANMAX_ROW, MFCC_ROW, meanmax_rows, mfcc_vectors
from .folds import Fold, make_folds
from .metrics import clustering, retrieval, standardize
from .split import split_albums
from .train import TrainSettings, train_album_model

RECIPE_ROW = "zWCCN (trained on the other folds)"
METRICS = ("album_p_at_k", "album_map", "artist_p_at_k", "album_ami")
HEADERS = ("album P@5", "album mAP", "artist P@5", "AMI album")
WIN_MARGIN = 0.05  # issue 14: a default must beat untrained by this much album P@5 on average, no fold lost


@dataclass(frozen=True)
class FoldSettings:
    folds: int = 5
    repeats: int = 1
    seed: int = 0
    groups: str = "albumartist"  # trainer.folds.fold_groups: albumartist | album | a manifest path
    labels: str = "album"  # what the recipe whitens within (album, artist or genre)
    shrinkage: float = zwccn.SHRINKAGE
    with_mfcc: bool = True
    heads: tuple[str, ...] = ()  # album_v5 aggregators to train per fold as extra rows
    head_settings: TrainSettings = TrainSettings()


@dataclass
class FoldTable:
    settings: FoldSettings
    folds: list[dict]  # per fold: name, tracks, albums, train_albums
    rows: dict[str, list[dict]] = field(default_factory=dict)  # row -> metrics per fold (same order)
    n_groups: int = 0

    def mean(self, row: str, metric: str = "album_p_at_k") -> float:
        return float(np.nanmean(_values(self.rows[row], metric)))

    def untrained(self) -> str:
        """The better on average of untrained mean‖max raw and centred (the issue's "untrained")."""
        return max((MEANMAX_ROW, CENTRED_ROW), key=self.mean)

    def deltas(self, row: str, against: str | None = None) -> np.ndarray:
        """Album P@5 of ``row`` minus that of ``against`` (default: untrained), fold by fold."""
        base = self.rows[against or self.untrained()]
        return _values(self.rows[row], "album_p_at_k") - _values(base, "album_p_at_k")

    def wins(self, row: str) -> bool:
        """Beats untrained by >= WIN_MARGIN album P@5 on average and loses on no fold."""
        d = self.deltas(row)
        return bool(np.nanmean(d) >= WIN_MARGIN and not (d < 0).any())

    def beats(self, row: str, other: str) -> bool:
        """Higher mean album P@5 and mAP than ``other`` on the same folds."""
        return all(self.mean(row, m) > self.mean(other, m) for m in ("album_p_at_k", "album_map"))

    def summary(self) -> dict[str, dict]:
        out = {}
        for name, folds in self.rows.items():
            row = {m: _mean_sd(_values(folds, m)) for m in METRICS}
            d = self.deltas(name)
            row.update(delta_p_at_5=float(np.nanmean(d)), folds_lost=int((d < 0).sum()), wins=self.wins(name))
            out[name] = row
        return out

    def to_json(self) -> dict:
        return {"settings": dataclasses.asdict(self.settings), "groups": self.n_groups, "folds": self.folds,
                "rows": self.rows, "summary": self.summary(), "untrained": self.untrained()}


def _values(folds: list[dict], metric: str) -> np.ndarray:
    return np.array([np.nan if f.get(metric) is None else f[metric] for f in folds], np.float64)


def _mean_sd(v: np.ndarray) -> list[float] | None:
    v = v[~np.isnan(v)]
    return [float(v.mean()), float(v.std())] if len(v) else None


def scores(vectors: np.ndarray, data: Dataset) -> dict:
    """The four fold metrics of one set of vectors (row i is data's track i)."""
    album, artist = retrieval(vectors, data.albums, 5), retrieval(vectors, data.artists, 5)
    return {"album_p_at_k": album["precision_at_k"], "album_map": album["map"],
            "artist_p_at_k": artist["precision_at_k"], "album_ami": clustering(vectors, data.albums)["ami"]}


def fold_table(db, data: Dataset, groups: list[str], settings: FoldSettings, backbone_id: str, plan: str,
               fixed: dict | None = None, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Score every row on every fold; result: a FoldTable. ``fixed``: row name -> album model that
    never trained on these albums (scored as it is on each held-out fold)."""
    cancel = cancel or CancelToken()
    folds = make_folds(groups, settings.folds, settings.repeats, settings.seed)
    mfcc = None
    if settings.with_mfcc:
        mfcc = yield from passed_through(mfcc_vectors(db, data, backbone_id, plan, cancel))
        if mfcc is None:
            return
    inputs = _Inputs(data, mfcc, fixed or {})
    table = FoldTable(settings, [], n_groups=len(set(groups)))
    progress = Progress(Phase.FOLDS, 0, len(folds))
    for i, fold in enumerate(folds):
        progress.done, progress.current = i, fold.name
        yield progress
        if cancel.cancelled:
            return
        got = yield from _fold_rows(inputs, fold, settings, cancel)
        if got is None:
            return
        test = data.subset(fold.test)
        table.folds.append({"name": fold.name, "tracks": len(test), "albums": len(set(test.albums)),
                            "train_albums": len({data.albums[j] for j in fold.train})})
        for name, metrics in got.items():
            table.rows.setdefault(name, []).append(metrics)
    yield Progress(Phase.DONE, len(folds), len(folds), result=table)


class _Inputs:
    """What every fold reads, computed once for the whole library."""

    def __init__(self, data: Dataset, mfcc, fixed: dict) -> None:
        self.data = data
        self.mfcc = mfcc
        self.meanmax = meanmax_rows(data)
        self.raw = zwccn.track_inputs(data.features, data.pools) if data.has_pools else None
        self.fixed = {name: model_vectors(m, data.features, data.pools if getattr(m, "needs_pools", False) else None)
                      for name, m in fixed.items()}


def _fold_rows(inputs: _Inputs, fold: Fold, settings: FoldSettings, cancel) -> Iterator[Progress]:
    data, test = inputs.data, inputs.data.subset(fold.test)
    rows: dict[str, dict] = {}
    if inputs.mfcc is not None:
        ok = [j for j in fold.test if inputs.mfcc[j] is not None]
        rows[MFCC_ROW] = scores(standardize(np.stack([inputs.mfcc[j] for j in ok])), data.subset(ok))
    rows[MEANMAX_ROW] = scores(inputs.meanmax[fold.test], test)
    rows[CENTRED_ROW] = scores(centred_unit_rows(inputs.meanmax[fold.test]), test)
    if inputs.raw is not None:
        labels = np.asarray(data.labels(settings.labels))
        model = zwccn.fit(inputs.raw[fold.train], labels[fold.train], settings.shrinkage)
        rows[RECIPE_ROW] = scores(centred_unit_rows(model.vectors(inputs.raw[fold.test])), test)
    for name, vectors in inputs.fixed.items():
        rows[name] = scores(centred_unit_rows(vectors[fold.test]), test)
    for agg in settings.heads:
        model = yield from _head(data, fold, dataclasses.replace(settings.head_settings, aggregator=agg), cancel)
        if model is None:
            return None
        rows[f"album_v5 {agg} (trained on the other folds)"] = scores(
            centred_unit_rows(model_vectors(model, test.features)), test)
    return rows


def _head(data: Dataset, fold: Fold, settings: TrainSettings, cancel) -> Iterator[Progress]:
    """The seed's head trained on the fold's training albums (20 % of them for early stopping)."""
    train = data.subset(fold.train)
    inner = split_albums(train.labels(settings.labels), settings.seed, val_fraction=0.2, test_fraction=0.0)
    result = yield from passed_through(train_album_model(train.subset(inner.train), train.subset(inner.val),
                                                     settings, cancel))
    return None if result is None else result.model
