"""`--retrain` and `--evaluate` as jobs.

``retrain`` runs the issue-14 recipe (trainer/closed_form.py: the closed-form model, scored
on folds, then fitted on every album) unless the seed's trained heads are asked for
(``--aggregator``, ``--finetune-backbone``: ``heads``): then it loads the labelled tracks,
splits by album, trains one head per aggregator, scores everything on the test albums,
saves the best head in the versioned store and computes the library's new vectors.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Iterator

from musicmap_desktop.core import album_models
from musicmap_desktop.core.jobs import CancelToken, Phase, Progress, passed_through
from musicmap_desktop.core.store import ids
from musicmap_desktop.core.store.db import Database
from musicmap_desktop.core.track_vectors import vectorize

from .closed_form import BUNDLED_ROW, never_trained_on, retrain_closed_form
from .dataset import Dataset, labelled_dataset
from .evaluate import MEANMAX_ROW, beats_row, evaluation_table
from .finetune import FinetuneSettings
from .fold_eval import FoldSettings
from .metrics import format_table
from .split import Split, TooFewAlbums, split_albums
from .train import TrainSettings, train_album_model


@dataclass(frozen=True)
class RetrainOptions:
    root: str | None
    backbone_id: str
    plan: str
    settings: TrainSettings = TrainSettings()
    aggregators: tuple[str, ...] = ("attention",)
    min_tracks: int = 4
    albums_file: str | None = None
    with_mfcc: bool = True
    backbone: str = "msd_musicnn"  # the stock backbone named by backbone_id
    finetune: FinetuneSettings | None = None  # --finetune-backbone
    heads: bool = False  # train the seed's heads (--aggregator, --finetune-backbone), not the recipe
    folds: FoldSettings = FoldSettings()  # the recipe's folds (and --evaluate --folds)


@dataclass
class Report:
    table: dict[str, dict]  # row name -> metrics on the test albums
    data: Dataset
    split: Split
    entry: album_models.AlbumModelEntry | None = None  # the model saved (retrain only)
    trained: dict = field(default_factory=dict)  # row name -> TrainResult

    def text(self) -> str:
        test = self.data.subset(self.split.test)
        head = (f"Evaluated on {len(test)} tracks of {len(set(test.albums))} albums that no model here "
                f"trained on (of {len(self.data)} tracks, {len(set(self.data.albums))} albums).")
        return head + "\n\n" + format_table(self.table)


def prepare(db: Database, options: RetrainOptions, test_albums: set[str] | None = None
            ) -> tuple[Dataset, Split]:
    data = labelled_dataset(db, options.root, options.backbone_id, options.plan, options.min_tracks,
                            options.albums_file, options.settings.labels)
    if test_albums:  # evaluate the split a retrained model recorded
        split = _recorded_split(data, test_albums, options.settings.seed)
    else:
        split = split_albums(data.albums, options.settings.seed)
    return data, split


def _recorded_split(data: Dataset, test_albums: set[str], seed: int) -> Split:
    import numpy as np

    test = np.array([i for i, a in enumerate(data.albums) if a in test_albums], np.int64)
    rest = np.setdiff1d(np.arange(len(data)), test)
    if len(set(data.albums[i] for i in test)) < 2:
        return split_albums(data.albums, seed)  # the recorded albums are gone: split afresh
    inner = split_albums([data.albums[i] for i in rest], seed, val_fraction=0.2, test_fraction=0.0)
    return Split(rest[inner.train], rest[inner.val], test)


def too_few_message(e: TooFewAlbums, options: RetrainOptions) -> str:
    return (f"{e}. Only albums with at least {options.min_tracks} tracks whose audio has been analysed "
            f"count (see --min-tracks); scan more music with album tags, then try again.")


def train_variants(data: Dataset, split: Split, options: RetrainOptions, cancel: CancelToken
                   ) -> Iterator[Progress]:
    """One model per aggregator, same split and seed; result: {row name: TrainResult}."""
    trained = {}
    train, val = data.subset(split.train), data.subset(split.val)
    for agg in options.aggregators:
        settings = dataclasses.replace(options.settings, aggregator=agg)
        result = None
        for p in train_album_model(train, val, settings, cancel):
            p.current = agg
            result = p.result if p.result is not None else result
            if p.result is None:
                yield p
        if result is None:
            return
        trained[f"retrained ({agg})"] = result
    yield Progress(Phase.DONE, len(trained), len(trained), result=trained)


def _best(trained: dict) -> str:
    """The row whose model scored best on the validation albums."""
    return max(trained, key=lambda k: trained[k].best_metric)


def _bundled_row(backbone_id: str, data: Dataset) -> dict:
    """The bundled model as a row, when it fits these features and never trained on these albums."""
    entry = album_models.bundled_model()
    if entry is None or entry.backbone_id not in (None, backbone_id) or not never_trained_on(entry, data):
        return {}
    if entry.needs_pools and not data.has_pools:
        return {}
    return {BUNDLED_ROW: album_models.load_album_model(entry)}


def retrain(db: Database, options: RetrainOptions, models_dir: str,
            cancel: CancelToken | None = None) -> Iterator[Progress]:
    """The whole retrain; the last item's result is a Report or a FoldReport (nothing when cancelled)."""
    if not (options.heads or options.finetune is not None):  # a fine-tune warms up from a trained head
        return retrain_closed_form(db, options, models_dir, cancel)
    return _retrain_heads(db, options, models_dir, cancel or CancelToken())


def _retrain_heads(db: Database, options: RetrainOptions, models_dir: str,
                   cancel: CancelToken) -> Iterator[Progress]:
    data, split = prepare(db, options)
    trained = yield from passed_through(train_variants(data, split, options, cancel))
    if trained is None or cancel.cancelled:
        return  # nothing saved: the previous model stays in use
    models = {**_bundled_row(options.backbone_id, data), **{k: r.model for k, r in trained.items()}}
    datasets = {}
    top = os.path.join(models_dir, f"incoming-{os.getpid()}.backbone.safetensors")
    try:
        if options.finetune is not None:
            tuned = yield from passed_through(_finetune(db, data, split, trained, options, top, cancel))
            if tuned is None:
                return
            name, result, datasets[name] = tuned
            trained[name], models[name] = result, result.model
        table = yield from passed_through(evaluation_table(db, data.subset(split.test), options.backbone_id,
                                                  options.plan, models, cancel, options.with_mfcc, datasets))
        if table is None:
            return
        # A fine-tune is what was asked for (and paid for): it is the model saved.
        best_name = next(iter(datasets), None) or _best(trained)
        entry = save_model(models_dir, trained[best_name], data, split, options, table, best_name,
                           top if datasets else None)
    finally:
        if os.path.exists(top):
            os.remove(top)  # stopped before the record: nothing of this retrain stays
    backbone_id = album_models.windows_backbone_id(entry, options.backbone_id)
    yield from vectorize(db, options.root, backbone_id, options.plan, entry, cancel)
    yield Progress(Phase.DONE, 1, 1, result=Report(table, data, split, entry, trained))


def _finetune(db, data: Dataset, split: Split, trained: dict, options: RetrainOptions, top: str,
              cancel: CancelToken) -> Iterator[Progress]:
    """Fine-tune from the best head-only model, write its top to ``top`` (not in use until a
    record names it) and hear the test tracks with it. Result: (row, FinetuneResult, test Dataset)."""
    from musicmap_desktop.model.finetuned import save_top

    from .finetune import finetune_album_model

    warm = trained[_best(trained)]
    result = yield from passed_through(finetune_album_model(
        db, data.subset(split.train), data.subset(split.val), warm.model, options.backbone,
        options.backbone_id, options.plan, warm.settings, options.finetune, cancel))
    if result is None:
        return
    os.makedirs(os.path.dirname(top), exist_ok=True)
    save_top(result.top, top, options.backbone)
    backbone_id = ids.backbone_id(options.backbone, top)
    test = yield from passed_through(_heard_by(db, data.subset(split.test), backbone_id, top, options, cancel))
    if test is not None:
        yield Progress(Phase.DONE, 1, 1, result=(f"fine-tuned backbone ({warm.settings.aggregator})", result, test))


def evaluate(db: Database, options: RetrainOptions, chosen: album_models.AlbumModelEntry | None,
             cancel: CancelToken | None = None, train_aggregators: bool = False) -> Iterator[Progress]:
    """Score the sources on a retrained model's test albums (or a fresh split); result: Report."""
    cancel = cancel or CancelToken()
    # Score on albums no model in the table trained on: the chosen retrained model's test
    # albums, else the bundled model's (when this library has them), else a fresh split.
    bundled = album_models.bundled_model()
    source = chosen if chosen is not None and chosen.kind == "retrained" else bundled
    recorded = set(source.info.get("test_albums", [])) if source is not None else set()
    data, split = prepare(db, options, recorded or None)
    models, datasets = _bundled_row(options.backbone_id, data), {}
    if chosen is not None and chosen.kind == "retrained" and (data.has_pools or not chosen.needs_pools):
        models[f"retrained {chosen.id}"] = album_models.load_album_model(chosen)
        if chosen.backbone_top:  # its features: cached after the retrain, else heard now
            datasets[f"retrained {chosen.id}"] = yield from passed_through(_heard_by(
                db, data.subset(split.test), chosen.backbone_id, chosen.backbone_top, options, cancel))
    trained = {}
    if train_aggregators:
        trained = yield from passed_through(train_variants(data, split, options, cancel))
        if trained is None:
            return
        models.update({k: r.model for k, r in trained.items()})
    table = yield from passed_through(evaluation_table(db, data.subset(split.test), options.backbone_id, options.plan,
                                              models, cancel, options.with_mfcc, datasets))
    if table is not None:
        yield Progress(Phase.DONE, 1, 1, result=Report(table, data, split, None, trained))


def _heard_by(db, test: Dataset, backbone_id: str, top: str, options: RetrainOptions,
              cancel: CancelToken) -> Iterator[Progress]:
    """``test`` with the window features of the fine-tuned backbone ``backbone_id`` (top file ``top``)."""
    from musicmap_desktop.model.backbone import MusicnnBackbone

    from .finetune import hear_planned

    make = lambda: MusicnnBackbone(options.backbone, options.settings.device, top=top)  # noqa: E731
    return hear_planned(db, test, backbone_id, make, options.backbone_id, options.plan, cancel)


def save_model(models_dir: str, result, data: Dataset, split: Split, options: RetrainOptions,
               table: dict, row: str, top: str | None = None) -> album_models.AlbumModelEntry:
    """Weights first, under their content id, then the record that puts them in use.

    ``top``: the fine-tuned backbone top the model reads features from; it moves next to
    the weights and its backbone id goes into the record."""
    from musicmap_desktop.model import album

    os.makedirs(models_dir, exist_ok=True)
    tmp = os.path.join(models_dir, f"incoming-{os.getpid()}.safetensors")
    album.save(result.model, tmp, result.model.config,
               {"labels": options.settings.labels, "aggregator": result.settings.aggregator})
    model_id = ids.album_model_id(tmp)
    weights = os.path.join(models_dir, f"{model_id}.safetensors")
    os.replace(tmp, weights)
    info = {
        "id": model_id, "backbone_id": options.backbone_id, "plan": options.plan, "row": row,
        "root": options.root, "settings": dataclasses.asdict(result.settings),
        "best_epoch": result.best_epoch, "val_precision_at_5": result.best_metric,
        "train_seconds": round(result.seconds, 1), "history": result.history,
        "n_tracks": len(data), "n_albums": len(set(data.albums)), "classes": len(result.classes),
        "test_albums": sorted(set(data.albums[i] for i in split.test)),
        "val_albums": sorted(set(data.albums[i] for i in split.val)),
        "train_albums": sorted(set(data.albums[i] for i in split.train)),
        "evaluation": table,
        # "auto" uses a retrained model only when it did better than what it would use instead.
        "beats_meanmax": beats_row(table, row, MEANMAX_ROW),
        **_against_default(table, row, options.backbone_id),
    }
    if top is not None:
        info.update(_place_top(top, weights, options))
    return album_models.write_record(weights, info)


def _against_default(table: dict, row: str, backbone_id: str) -> dict:
    """Compared with the bundled model when it is the default (choose_model reads these)."""
    bundled = album_models.bundled_model()
    if bundled is None or not bundled.info.get("default") or BUNDLED_ROW not in table:
        return {"compared_with": ids.MEANMAX, "beats_default": beats_row(table, row, MEANMAX_ROW)}
    return {"compared_with": bundled.id, "beats_default": beats_row(table, row, BUNDLED_ROW)}


def _place_top(top: str, weights: str, options: RetrainOptions) -> dict:
    final = weights.removesuffix(".safetensors") + ".backbone.safetensors"
    os.replace(top, final)
    return {"backbone_id": ids.backbone_id(options.backbone, final), "base_backbone": options.backbone,
            "backbone_top": os.path.basename(final), "finetune": dataclasses.asdict(options.finetune)}
