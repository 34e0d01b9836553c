"""`musicmap-desktop --retrain` and `--evaluate`: the trainer package behind the command line.

Both read the window features the scans cached (run `scan FOLDER` first); no
audio is decoded except for the MFCC baseline row (cached after the first run).
"""
from __future__ import annotations

import argparse
import json
import signal

from .paths import models_dir


def _aggregators(text: str) -> tuple[str, ...]:
    from .model.album import AGGREGATORS

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    bad = [n for n in names if n not in AGGREGATORS]
    if not names or bad:
        raise argparse.ArgumentTypeError(f"expected a comma list of {', '.join(AGGREGATORS)}")
    return names


def train_parser(mode: str) -> argparse.ArgumentParser:
    from .cli import _add_db, _add_model_args

    retrain = mode == "--retrain"
    p = argparse.ArgumentParser(
        prog=f"musicmap-desktop {mode}",
        description=("Train the album model on the albums of your library (cached window features), "
                     "evaluate it on albums it never saw, and use it for the map from now on."
                     if retrain else
                     "Compare track vectors on held-out albums: MFCC baseline, Musicnn mean‖max, the "
                     "bundled album model and your retrained model."))
    p.add_argument(mode, action="store_true", required=True, help=argparse.SUPPRESS)
    p.add_argument("folder", nargs="?", help="only tracks under this folder (default: every scanned track)")
    p.add_argument("--labels", choices=["album", "artist", "genre"], default="album",
                   help="what tracks that belong together share (default: album)")
    p.add_argument("--min-tracks", type=int, default=4, help="leave out albums with fewer tracks (default 4)")
    p.add_argument("--albums-file", metavar="PATH",
                   help="album titles to use, one per line; a line '-Title' leaves that album out")
    p.add_argument("--aggregator", type=_aggregators, default=("attention",), metavar="A[,B…]",
                   help="how windows are combined: attention (the seed), gru, meanmax; several are "
                        "trained on the same split and compared" + (" (the best is kept)" if retrain else ""))
    p.add_argument("--epochs", type=int, default=100, help="at most this many (early stopping; default 100)")
    p.add_argument("--seed", type=int, default=0, help="split and initialisation seed (default 0)")
    p.add_argument("--no-mfcc", action="store_true", help="skip the MFCC baseline row (it decodes audio)")
    p.add_argument("--models-dir", default=None, help=argparse.SUPPRESS)  # tests, the bundled-model script
    p.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    if not retrain:
        p.add_argument("--model", default="auto", help="retrained model to evaluate: auto (newest) or an id")
    _add_model_args(p, 20)
    _add_db(p)
    return p


def _options(args):
    from .core.embed import EmbedSettings
    from .model import registry
    from .model.backbone import resolve_device
    from trainer.retrain import RetrainOptions
    from trainer.train import TrainSettings

    settings = TrainSettings(epochs=args.epochs, seed=args.seed, device=str(resolve_device(args.device)),
                             labels=args.labels)
    return RetrainOptions(root=_root(args), backbone_id=registry.model_id(args.backbone),
                          plan=EmbedSettings(n_windows=args.windows).plan, settings=settings,
                          aggregators=args.aggregator, min_tracks=args.min_tracks,
                          albums_file=args.albums_file, with_mfcc=not args.no_mfcc)


def _root(args) -> str | None:
    import os

    from .cli import UserError

    if args.folder is None:
        return None
    if not os.path.isdir(args.folder):
        raise UserError(f"not a folder: {args.folder}")
    return os.path.abspath(args.folder)


def cmd_train(args) -> int:
    from .cli import UserError, _drive, _open_cache
    from .core import album_models
    from .core.jobs import CancelToken
    from trainer.retrain import evaluate, retrain, too_few_message
    from trainer.split import TooFewAlbums

    db = _open_cache(args)
    options = _options(args)
    folder = args.models_dir or models_dir()
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    try:
        if args.retrain:
            job = retrain(db, options, folder, cancel)
        else:
            chosen = album_models.choose_model(args.model, folder, options.backbone_id)
            job = evaluate(db, options, chosen, cancel, train_aggregators=len(args.aggregator) > 1)
        report = _drive(job, "tracks")
    except TooFewAlbums as e:
        raise UserError(too_few_message(e, options)) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    if report is None:
        print("Cancelled: nothing was saved; the previous model stays in use.")
        return 130
    _print_report(report, args)
    return 0


def _print_report(report, args) -> None:
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
        if info.get("beats_meanmax"):
            print("The app and the CLI use it from now on; `--model bundled` or `--model meanmax` go back.")
        else:
            print(f"It did not beat untrained Musicnn mean‖max on the held-out albums, so the map keeps "
                  f"its current vectors; `--model {report.entry.id}` uses it anyway.")

