#!/usr/bin/env bash
# Fit the bundled album model to every album of the soundtrack library (docs/soundtracks.md
# builds it; weights/soundtracks.json is its manifest, no reserved package) and make it
# weights/album_bundled.*, from the cached features only (no audio but the MFCC row's):
#   scripts/train_bundled.sh /work/soundtracks/cache.sqlite3
#
# The cache must hold this version's features: window features and the mid-end pools of
# every track (run `musicmap-desktop scan LIBRARY --db CACHE` on it first; it hears only
# the tracks that lack them). One `--retrain` scores the closed-form recipe (model/zwccn.py)
# on 5 folds disjoint by Debian package (the manifest's fold_group) x 3 shuffles, next to
# untrained Musicnn mean‖max and MFCC, then fits it to all albums; the folds only measure
# it. scripts/bundle_model.py copies that model and writes its record: every album and
# package it learned from, the fold table, and `default: true` only when the recipe won
# (>= +0.05 album P@5 over untrained on average, no fold lost). About 5 minutes on 2 cores.
#
# `--models-dir DIR`, an option --help does not list, replaces the user's models folder for
# that one --retrain (for this script and the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
src=${1:?usage: scripts/train_bundled.sh SOUNDTRACK_CACHE.sqlite3 (--help says more)}
work=$(mktemp -d)
cp "$src" "$work/cache.sqlite3"  # the retrain writes vectors; the source cache stays as it is
args=(--folds 5 --repeats 3 --fold-groups weights/soundtracks.json --seed 0)
.venv/bin/musicmap-desktop --retrain --db "$work/cache.sqlite3" --models-dir "$work/models" "${args[@]}" \
  | tee "$work/folds.txt"
weights=$(ls "$work/models"/album-*.safetensors)
.venv/bin/python scripts/bundle_model.py "$weights" --manifest weights/soundtracks.json \
  --command "musicmap-desktop --retrain --db SOUNDTRACKS ${args[*]}"
echo "fold table: $work/folds.txt"
