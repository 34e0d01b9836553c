"""`musicmap-desktop --retrain` and `--evaluate`: the trainer package behind the command line.

Both read the window features the scans cached (run `scan FOLDER` first); no
audio is decoded except for the MFCC baseline row (cached after the first run).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from ..core.errors import UserError
from .common import (Parser, add_db, add_model_args, at_least, checked_device, chosen_model, ctrl_c_cancels, drive,
                     folder_arg, open_cache)


def _aggregators(text: str) -> tuple[str, ...]:
    from ..model.album import AGGREGATORS

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    bad = [n for n in names if n not in AGGREGATORS]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"expected a comma list of {', '.join(AGGREGATORS)}")
    return names


def _fold_groups(text: str) -> str:
    from trainer.folds import GROUP_MODES

    if text in GROUP_MODES or os.path.isfile(text):
        return text
    raise argparse.ArgumentTypeError(f"expected {' or '.join(GROUP_MODES)}, or a manifest file with a "
                                     f"fold_group per album (weights/soundtracks.json)")


def train_parser(mode: str) -> argparse.ArgumentParser:
    retrain = mode == "--retrain"
    p = Parser(
        prog=f"musicmap-desktop {mode}",
        description=("Fit the album model to the albums of your library (cached features, no audio; the "
                     "closed-form recipe of the bundled model), score it on folds of albums it never saw, "
                     "and use it for the map from now on if it beat the current default there."
                     if retrain else
                     "Compare track vectors on held-out albums: MFCC baseline, Musicnn mean‖max, the "
                     "album model's recipe, the bundled album model and your retrained model. With "
                     "--folds N: on N folds disjoint by album artist (or --fold-groups), per fold and "
                     "on average."))
    p.add_argument(mode, action="store_true", required=True, help=argparse.SUPPRESS)
    p.add_argument("folder", nargs="?", help="only tracks under this folder (default: every scanned track)")
    p.add_argument("--labels", choices=["album", "artist", "genre"], default="album",
                   help="what tracks that belong together share (default: album)")
    p.add_argument("--min-tracks", type=at_least(1), default=4, metavar="N",
                   help="leave out albums with fewer tracks (default 4)")
    p.add_argument("--albums-file", metavar="PATH",
                   help="album titles to use, one per line; a line '-Title' leaves that album out")
    p.add_argument("--aggregator", type=_aggregators, default=None, metavar="A[,B…]",
                   help="train the seed's album_v5 head instead of the closed-form model: attention, gru, "
                        "meanmax; several are trained on the same split and compared"
                        + (" (the best is kept)" if retrain else "; with --folds, once per fold"))
    p.add_argument("--folds", type=at_least(2), default=5 if retrain else None, metavar="N",
                   help="folds of albums disjoint by --fold-groups" + (
                       " the recipe is scored on before it is fitted to every album (default 5; fewer "
                       "when there are fewer groups)" if retrain else
                       ": the table per fold and on average (issue 14's protocol: 5 or more)"))
    p.add_argument("--repeats", type=at_least(1), default=1, metavar="R",
                   help="repeat the folds with R different shuffles (default 1)")
    p.add_argument("--fold-groups", type=_fold_groups, default="albumartist", metavar="albumartist|album|FILE",
                   help="what a fold holds out together: albums by one album artist (default), single "
                        "albums, or the fold_group a manifest gives each album (weights/soundtracks.json)")
    p.add_argument("--epochs", type=at_least(1), default=100, metavar="N",
                   help="album_v5 heads: at most this many epochs (early stopping; default 100)")
    p.add_argument("--seed", type=int, default=0, help="split and initialisation seed (default 0)")
    p.add_argument("--no-mfcc", action="store_true", help="skip the MFCC baseline row (it decodes audio)")
    # Hidden: where models are written and read instead of the user's models folder, for the tests
    # and scripts/train_bundled.sh (its --help says so). scan, export and the window never look there.
    p.add_argument("--models-dir", default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    if retrain:
        _add_finetune_args(p)
    else:
        p.add_argument("--model", default="auto", metavar="auto|bundled|meanmax|ID",
                       help="retrained model to evaluate: auto (the newest that beat mean‖max on its held-out "
                            "albums) or an id (a unique prefix will do)")
    add_model_args(p, 20)
    add_db(p)
    return p


def _add_finetune_args(p: argparse.ArgumentParser) -> None:
    from trainer.finetune import FinetuneSettings

    d = FinetuneSettings()
    g = p.add_argument_group(
        "fine-tuning the backbone",
        "--finetune-backbone also trains the top of Musicnn (the layers after its pooled features) "
        "on your audio: each step decodes random 3-s windows of a batch of tracks, with random gain "
        "and SpecAugment time/frequency masks. It starts from the head trained on cached features. "
        "It costs decoding and a Musicnn pass per step, and the model it saves reads features of "
        "the fine-tuned backbone: the library's audio is analysed again afterwards (about as long "
        "as its first scan).")
    g.add_argument("--finetune-backbone", action="store_true", help="fine-tune Musicnn's top as well")
    g.add_argument("--finetune-epochs", type=at_least(1), default=d.epochs, metavar="N",
                   help=f"at most this many fine-tuning epochs (early stopping; default {d.epochs})")
    g.add_argument("--tracks-per-step", type=at_least(2), default=d.tracks_per_step, metavar="N",
                   help=f"tracks per step (default {d.tracks_per_step})")
    g.add_argument("--windows-per-step", type=at_least(1), default=d.windows_per_step, metavar="N",
                   help=f"random windows heard per track and step (default {d.windows_per_step})")
    g.add_argument("--steps-per-epoch", type=at_least(0), default=0, metavar="N",
                   help="steps per epoch (default: one pass over the training tracks)")


def _finetune_settings(args):
    if not getattr(args, "finetune_backbone", False):
        return None
    from trainer.finetune import FinetuneSettings

    return FinetuneSettings(epochs=args.finetune_epochs, tracks_per_step=args.tracks_per_step,
                            windows_per_step=args.windows_per_step, steps_per_epoch=args.steps_per_epoch)


def _options(args):
    from ..core.embed import EmbedSettings
    from ..core.store import ids
    from ..model.backbone import resolve_device
    from trainer.retrain import RetrainOptions
    from trainer.train import TrainSettings

    from trainer.fold_eval import FoldSettings

    settings = TrainSettings(epochs=args.epochs, seed=args.seed,
                             device=str(resolve_device(checked_device(args.device))), labels=args.labels)
    if args.albums_file is not None and not os.path.isfile(args.albums_file):  # said before any work
        raise UserError(f"--albums-file {args.albums_file}: no such file")
    finetune = _finetune_settings(args)
    heads = args.aggregator is not None or finetune is not None
    folds = FoldSettings(folds=args.folds or 5, repeats=args.repeats, seed=args.seed, groups=args.fold_groups,
                         heads=(args.aggregator or ()) if args.folds and not getattr(args, "retrain", False) else (),
                         head_settings=settings)
    return RetrainOptions(root=folder_arg(args.folder), backbone_id=ids.backbone_id(args.backbone),
                          plan=EmbedSettings(n_windows=args.windows).plan, settings=settings,
                          aggregators=args.aggregator or ("attention",), min_tracks=args.min_tracks,
                          albums_file=args.albums_file, with_mfcc=not args.no_mfcc,
                          backbone=args.backbone, finetune=finetune, heads=heads, folds=folds)


def cmd_train(args) -> int:
    from ..system.paths import models_dir
    from trainer.closed_form import evaluate_folds
    from trainer.retrain import evaluate, retrain, too_few_message
    from trainer.split import TooFewAlbums

    options = _options(args)
    db = open_cache(args, create=False)
    folder = args.models_dir or models_dir()
    with ctrl_c_cancels() as cancel:
        try:
            if getattr(args, "retrain", False):  # only the --retrain parser has it
                job = retrain(db, options, folder, cancel)
            elif args.folds:
                job = evaluate_folds(db, options, chosen_model(args.model, options.backbone_id, folder), cancel)
            else:
                chosen = chosen_model(args.model, options.backbone_id, folder)
                job = evaluate(db, options, chosen, cancel, train_aggregators=len(options.aggregators) > 1)
            report = drive(job, "tracks")
        except TooFewAlbums as e:
            raise UserError(too_few_message(e, options)) from None
        if report is None:
            print("Cancelled: nothing was saved; the previous model stays in use.")
            return 130
        _print_report(report, args)
        if report.entry is not None and report.entry.backbone_top:
            return _after_finetune(db, report.entry, args, cancel)
        return 0


def _after_finetune(db, entry, args, cancel) -> int:
    """A fine-tuned model reads features of its own backbone: analyse the library again with it."""
    from ..core.embed import EmbedSettings, embed_library
    from ..core.embed_pool import build_engine
    from ..core.track_vectors import vectorize

    if not entry.info.get("beats_default", entry.info.get("beats_meanmax")):
        print(f"Using it (`--model {entry.id}`) analyses the library's audio again with its fine-tuned "
              f"backbone first.", file=sys.stderr)
        return 0
    print("Analysing the library's audio again with the fine-tuned backbone (Ctrl-C stops; the next "
          "scan or app start goes on)…", file=sys.stderr)
    settings = EmbedSettings(n_windows=args.windows)
    engine = build_engine(args.backbone, args.device, model=entry)
    try:
        drive(embed_library(db, folder_arg(args.folder), engine, settings, cancel), "tracks")
    finally:
        engine.close()
    if not cancel.cancelled:
        drive(vectorize(db, folder_arg(args.folder), entry.backbone_id, settings.plan, entry, cancel), "tracks")
    if cancel.cancelled:
        print("Stopped: the model is saved; the rest of the library is analysed at the next scan or "
              "app start.", file=sys.stderr)
        return 130
    return 0


def _print_report(report, args) -> None:
    from trainer.closed_form import FoldReport

    if isinstance(report, FoldReport):
        return _print_folds(report, args)
    if args.json:
        out = {"table": report.table, "model": report.entry.id if report.entry else None,
               "tracks": len(report.data), "albums": len(set(report.data.albums)),
               "test_tracks": int(len(report.split.test))}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    print(report.text())
    if report.entry is not None:
        info = report.entry.info
        print(f"\nSaved model {report.entry.id} ({info['row']}, best epoch {info['best_epoch']}, "
              f"held-out P@5 {info['val_precision_at_5']:.3f}) in {report.entry.path}")
        _print_verdict(report.entry)


def _print_folds(report, args) -> None:
    if args.json:
        out = {"folds": report.table.to_json(), "model": report.entry.id if report.entry else None,
               "tracks": len(report.data), "albums": len(set(report.data.albums)), "note": report.note}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return
    print(report.text())
    if report.entry is not None:
        info = report.entry.info
        print(f"\nSaved model {report.entry.id} (fitted to all {info['n_albums']} albums, {info['n_tracks']} "
              f"tracks, in {info['fit_seconds']:.1f} s) in {report.entry.path}")
        _print_verdict(report.entry)


def _print_verdict(entry) -> None:
    against = "the bundled album model" if entry.info.get("compared_with", "meanmax") != "meanmax" \
        else "untrained Musicnn mean‖max"
    if entry.info.get("beats_default", entry.info.get("beats_meanmax")):
        print(f"It beat {against} on the held-out albums: the app and the CLI use it from now on; "
              f"`--model bundled` or `--model meanmax` go back.")
    else:
        print(f"It did not beat {against} on the held-out albums, so the map keeps its current vectors; "
              f"`--model {entry.id}` uses it anyway.")
