"""Make the album model scripts/train_bundled.sh fitted the bundled one: copy its weights into
weights/ and write the record the app reads (weights/album_bundled.json).

    .venv/bin/python scripts/bundle_model.py MODELS_DIR/album-<id>.safetensors \
        --manifest weights/soundtracks.json --command "…the --retrain command line…"

The model is the closed-form kind (``zwccn_v1``) a ``--retrain`` fitted to every album after
scoring the recipe on folds disjoint by source. The record names every album and every
Debian package it learned from, and refuses reserved packages (scripts/reserved_packages.txt)
and albums the manifest does not account for. ``default`` is true only when the fold table
says the recipe wins: at least +0.05 album P@5 over untrained Musicnn mean‖max on average
over the folds, and no fold lost (trainer/fold_eval.FoldTable.wins).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from musicmap_desktop.core.album_models import BUNDLED_STEM, ZWCCN  # noqa: E402
from musicmap_desktop.core.store.ids import album_model_id  # noqa: E402
from soundtracks import refuse_reserved  # noqa: E402
from trainer.dataset import album_key  # noqa: E402
from trainer.fold_eval import RECIPE_ROW  # noqa: E402

KEPT = ("id", "architecture", "backbone_id", "plan", "created", "settings", "row", "n_tracks", "n_albums",
        "fit_seconds", "train_albums", "folds")


def manifest_rows(keys: list[str], manifest: dict) -> list[dict]:
    """The manifest's row of every album key; SystemExit for an album it does not list."""
    by_key = {album_key(a["album"], a["albumartist"], ""): a for a in manifest.get("albums", [])}
    missing = sorted(k for k in keys if k not in by_key)
    if missing:
        raise SystemExit(f"refusing: {len(missing)} trained album(s) are not in the manifest, e.g. "
                         f"{missing[0].replace(chr(31), ' — ')!r}: their source is unknown")
    return [by_key[k] for k in keys]


def bundled_record(record: dict, manifest: dict, command: str) -> dict:
    """What weights/album_bundled.json says: the retrain's record, its data and the verdict."""
    if record.get("architecture") != ZWCCN or "folds" not in record:
        raise SystemExit(f"expected a closed-form model ({ZWCCN}) with its fold table, got "
                         f"{record.get('architecture') or record.get('row')!r}")
    rows = manifest_rows(record["train_albums"], manifest)
    packages = sorted({r["package"] for r in rows})
    refuse_reserved(packages, "the bundled model's training albums")
    summary = record["folds"]["summary"][RECIPE_ROW]
    info = {k: record[k] for k in KEPT if k in record}
    info.update(command=command, trained_on=sorted(r["album"] for r in rows), trained_on_packages=packages,
                licences=sorted({r["licence"] for r in rows}),
                # The default switches only on a winning record (≥ +0.05 P@5 on average, no fold lost).
                default=bool(summary["wins"]))
    return info


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("weights", help="album-<id>.safetensors written by --retrain (its .json next to it)")
    p.add_argument("--manifest", required=True, help="what the training library was made of")
    p.add_argument("--command", required=True, help="the exact --retrain command, for the record")
    p.add_argument("--out", default=str(REPO / "weights"), help=argparse.SUPPRESS)  # the tests' folder
    args = p.parse_args()
    src = Path(args.weights)
    record = json.loads(src.with_suffix(".json").read_text(encoding="utf-8"))
    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8"))
    info = bundled_record(record, manifest, args.command)
    dest = Path(args.out) / f"{BUNDLED_STEM}.safetensors"
    shutil.copyfile(src, dest)  # replaces the previous bundled model's weights
    assert album_model_id(dest) == record["id"]  # the same bytes, so the same id
    dest.with_suffix(".json").write_text(json.dumps(info, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                                         encoding="utf-8")
    s = record["folds"]["summary"][RECIPE_ROW]
    print(f"bundled {record['id']} ({len(info['trained_on'])} albums from {len(info['trained_on_packages'])} "
          f"packages); ΔP@5 {s['delta_p_at_5']:+.3f}, {s['folds_lost']} fold(s) lost; default: {info['default']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
