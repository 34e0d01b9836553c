"""`--retrain` with the issue-14 recipe, and `--evaluate --folds N`.

The recipe is the closed-form model (model/zwccn.py: z-scored blocks, within-album-scatter
whitening, s = 0.9). A retrain first scores it on folds disjoint by album artist (or
--fold-groups), each fold's model fitted on the other folds only, next to untrained
mean‖max and the current default; then fits the model on *all* the library's albums (the
folds only measured it) and saves it with its fold table. ``auto`` uses it only when it
beat the current default on those folds (core/album_models.choose_model): the bundled
model when its record says it wins, else untrained mean‖max.
"""
from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from musicmap_desktop.core import album_models
from musicmap_desktop.core.errors import UserError
from musicmap_desktop.core.jobs import CancelToken, Phase, Progress, passed_through
from musicmap_desktop.core.store import ids
from musicmap_desktop.core.track_vectors import vectorize
from musicmap_desktop.model import zwccn

from .dataset import Dataset, labelled_dataset
from .fold_eval import RECIPE_ROW, FoldSettings, FoldTable, fold_table
from .fold_text import fold_table_text
from .folds import fold_groups
from .split import TooFewAlbums

BUNDLED_ROW = "bundled album model"
MIN_ALBUMS = 4


@dataclass
class FoldReport:
    table: FoldTable
    data: Dataset
    entry: album_models.AlbumModelEntry | None = None  # the model saved (retrain only)
    note: str = ""

    def text(self) -> str:
        head = (f"{len(self.data)} tracks of {len(set(self.data.albums))} albums. "
                + fold_table_text(self.table))
        return head + (f"\n\n{self.note}" if self.note else "")


def trained_albums(entry: album_models.AlbumModelEntry) -> set[str] | None:
    """Album keys a model learned from (None: its record does not say)."""
    info = entry.info
    if "train_albums" not in info:
        return None
    return set(info["train_albums"]) | set(info.get("val_albums", []))


def never_trained_on(entry, data: Dataset) -> bool:
    seen = trained_albums(entry)
    return seen is not None and not seen & set(data.albums)


def current_default(backbone_id: str, data: Dataset) -> album_models.AlbumModelEntry | None:
    """The bundled model when it is the installation's default and never trained on these albums."""
    entry = album_models.bundled_model()
    fits = entry is not None and entry.info.get("default") and entry.backbone_id in (None, backbone_id)
    return entry if fits and never_trained_on(entry, data) else None


def check_pools(data: Dataset) -> None:
    missing = sum(p is None for p in data.pools) if data.pools else len(data)
    if missing:
        raise UserError(f"{missing} of {len(data)} tracks were analysed before this version and lack the "
                        f"mid-end pools the album model reads: scan the folder again (it hears only those "
                        f"tracks), then retrain")


def fold_settings(options, folds: int | None = None) -> FoldSettings:
    s = options.folds
    return dataclasses.replace(s, folds=folds or s.folds, labels=options.settings.labels,
                               with_mfcc=options.with_mfcc)


def _groups(data: Dataset, options, shrink_to_fit: bool) -> tuple[list[str], FoldSettings]:
    if len(set(data.albums)) < MIN_ALBUMS:
        raise TooFewAlbums(f"found {len(set(data.albums))} album(s); retraining needs at least {MIN_ALBUMS} "
                           f"(some to learn from, some to test on)")
    groups = fold_groups(data, options.folds.groups)
    n = len(set(groups))
    folds = min(options.folds.folds, n) if shrink_to_fit else options.folds.folds
    if folds < 2:
        raise TooFewAlbums(f"found {n} group(s) of albums by {options.folds.groups}; folds need at least 2")
    return groups, fold_settings(options, folds)


def retrain_closed_form(db, options, models_dir: str, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """The retrain; the last item's result is a FoldReport (nothing when cancelled)."""
    cancel = cancel or CancelToken()
    data = _labelled(db, options)
    check_pools(data)
    groups, settings = _groups(data, options, shrink_to_fit=True)
    default = current_default(options.backbone_id, data)
    fixed = {BUNDLED_ROW: _load(default)} if default else {}
    table = yield from passed_through(fold_table(db, data, groups, settings, options.backbone_id, options.plan,
                                             fixed, cancel))
    if table is None or cancel.cancelled:
        return  # nothing saved: the previous model stays in use
    t0 = time.perf_counter()
    model = zwccn.fit(zwccn.track_inputs(data.features, data.pools), data.labels(settings.labels),
                      settings.shrinkage)
    entry = save_closed_form(models_dir, model, data, options, table, default, time.perf_counter() - t0)
    yield from vectorize(db, options.root, options.backbone_id, options.plan, entry, cancel)
    yield Progress(Phase.DONE, 1, 1, result=FoldReport(table, data, entry))


def evaluate_folds(db, options, chosen: album_models.AlbumModelEntry | None,
                   cancel: CancelToken | None = None) -> Iterator[Progress]:
    """`--evaluate --folds N`: the fold table of every row; result: a FoldReport."""
    cancel = cancel or CancelToken()
    data = _labelled(db, options)
    groups, settings = _groups(data, options, shrink_to_fit=False)
    fixed, skipped = _fixed_rows(data, chosen, options.backbone_id)
    table = yield from passed_through(fold_table(db, data, groups, settings, options.backbone_id, options.plan,
                                             fixed, cancel))
    if table is not None:
        yield Progress(Phase.DONE, 1, 1, result=FoldReport(table, data, None, _note(data, skipped)))


def _labelled(db, options) -> Dataset:
    return labelled_dataset(db, options.root, options.backbone_id, options.plan, options.min_tracks,
                            options.albums_file, options.settings.labels)


def _fixed_rows(data: Dataset, chosen, backbone_id: str) -> tuple[dict, list[str]]:
    """Models scored as they are: the bundled one and the chosen retrained one, each only when it
    never trained on any of these albums (else the table would flatter it)."""
    fixed, skipped = {}, []
    bundled = album_models.bundled_model()
    candidates = [(BUNDLED_ROW, bundled)] if bundled is not None else []
    if chosen is not None and chosen.kind == "retrained":
        candidates.append((f"retrained {chosen.id}", chosen))
    for name, entry in candidates:
        usable = entry.backbone_id in (None, backbone_id) and (data.has_pools or not entry.needs_pools)
        if usable and never_trained_on(entry, data):
            fixed[name] = _load(entry)
        else:
            skipped.append(name)
    return fixed, skipped


def _note(data: Dataset, skipped: list[str]) -> str:
    notes = [f"Not scored: {name} (it trained on some of these albums, or its record does not say "
             f"which it trained on)." for name in skipped]
    if not data.has_pools:
        notes.append(f"No {RECIPE_ROW} row: {sum(p is None for p in data.pools)} tracks lack the cached "
                     f"mid-end pools; scan the folder again first.")
    return "\n".join(notes)


def _load(entry: album_models.AlbumModelEntry):
    return album_models.load_album_model(entry)


def save_closed_form(models_dir: str, model: zwccn.ZwccnModel, data: Dataset, options, table: FoldTable,
                     default: album_models.AlbumModelEntry | None, fit_seconds: float) -> album_models.AlbumModelEntry:
    """Weights first, under their content id, then the record that puts them in use."""
    os.makedirs(models_dir, exist_ok=True)
    tmp = os.path.join(models_dir, f"incoming-{os.getpid()}.safetensors")
    zwccn.save(model, tmp, {"labels": table.settings.labels})
    model_id = ids.album_model_id(tmp)
    weights = os.path.join(models_dir, f"{model_id}.safetensors")
    os.replace(tmp, weights)
    against = BUNDLED_ROW if default is not None else table.untrained()
    info = {
        "id": model_id, "architecture": zwccn.ARCHITECTURE, "backbone_id": options.backbone_id,
        "plan": options.plan, "row": RECIPE_ROW, "root": options.root,
        "settings": {**dataclasses.asdict(model.config), "labels": table.settings.labels},
        "fit_seconds": round(fit_seconds, 2), "n_tracks": len(data), "n_albums": len(set(data.albums)),
        "train_albums": sorted(set(data.albums)), "folds": table.to_json(),
        "compared_with": default.id if default is not None else ids.MEANMAX,
        # "auto" uses a retrained model only when it did better than what it would use instead.
        "beats_default": table.beats(RECIPE_ROW, against),
        "beats_meanmax": table.beats(RECIPE_ROW, table.untrained()), "wins": table.wins(RECIPE_ROW),
    }
    return album_models.write_record(weights, info)
