"""Make a retrained album model the bundled one: copy its weights into weights/ and
write the record the app reads (weights/album_bundled.json).

    .venv/bin/python scripts/bundle_model.py MODELS_DIR/album-<id>.safetensors \
        --manifest weights/soundtracks.json --command "…the --retrain command line…"

The record keeps the model's evaluation on albums it never saw and decides
``default``: the app uses the bundled model for track vectors only when the
recipe beat Musicnn mean‖max on unseen albums in both album P@5 and album mAP,
on average over this split and the other splits given with ``--also`` (records
of the same retrain run with other seeds): one split of ~12 test albums is too
few to decide on.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from musicmap_desktop.core.album_models import BUNDLED_STEM  # noqa: E402
from musicmap_desktop.core.store.ids import album_model_id  # noqa: E402
from trainer.evaluate import MEANMAX_ROW, beats_meanmax  # noqa: E402


def album_titles(keys: list[str], manifest: dict) -> list[str]:
    by_key = {a["album"].casefold(): a["album"] for a in manifest.get("albums", [])}
    titles = [k.split("\x1f", 1)[-1] for k in keys]
    return sorted(by_key.get(t, t) for t in titles)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("weights", help="album-<id>.safetensors written by --retrain (its .json next to it)")
    p.add_argument("--manifest", required=True, help="what the training library was made of")
    p.add_argument("--command", required=True, help="the exact --retrain command, for the record")
    p.add_argument("--also", nargs="*", default=[], metavar="RECORD",
                   help="records (.json) of the same recipe retrained with other seeds")
    args = p.parse_args()
    src = Path(args.weights)
    record = json.loads(src.with_suffix(".json").read_text(encoding="utf-8"))
    others = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.also]
    if record.get("backbone_top"):  # its vectors need its own Musicnn top, which is not bundled
        p.error("a --finetune-backbone model cannot be bundled: the app reads stock window features")
    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    dest = REPO / "weights" / f"{BUNDLED_STEM}.safetensors"
    shutil.copyfile(src, dest)
    assert album_model_id(dest) == record["id"]  # the same bytes, so the same id
    test = set(record["test_albums"])
    info = {
        "id": record["id"], "backbone_id": record["backbone_id"], "plan": record["plan"],
        "created": record["created"], "settings": record["settings"], "row": record["row"],
        "best_epoch": record["best_epoch"], "val_precision_at_5": record["val_precision_at_5"],
        "n_tracks": record["n_tracks"], "n_albums": record["n_albums"], "command": args.command,
        "trained_on": album_titles([a for a in _all_albums(record) if a not in test], manifest),
        "test_album_titles": album_titles(sorted(test), manifest), "test_albums": sorted(test),
        "evaluation": record["evaluation"],
        "other_splits": [_split_summary(r) for r in others],
    }
    info["default"] = beats_meanmax(mean_table([record] + others), "model")
    dest.with_suffix(".json").write_text(json.dumps(info, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                                         encoding="utf-8")
    print(f"bundled {record['id']} ({record['row']}); default for track vectors: {info['default']}")
    return 0


def _split_summary(record: dict) -> dict:
    table = record["evaluation"]
    return {"seed": record["settings"]["seed"], "row": record["row"],
            "model": table[record["row"]], "meanmax": table[MEANMAX_ROW]}


def mean_table(records: list[dict]) -> dict:
    """The saved model's row and mean‖max, averaged over splits (only the metrics compared)."""
    keys = ("album_p_at_k", "album_map")
    mean = lambda rows: {k: sum(r[k] for r in rows) / len(rows) for k in keys}  # noqa: E731
    return {"model": mean([r["evaluation"][r["row"]] for r in records]),
            MEANMAX_ROW: mean([r["evaluation"][MEANMAX_ROW] for r in records])}


def _all_albums(record: dict) -> list[str]:
    return record.get("train_albums", []) + record.get("val_albums", [])


if __name__ == "__main__":
    sys.exit(main())
