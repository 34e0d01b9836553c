#!/usr/bin/env bash
# Train the bundled album model on the soundtrack library (docs/soundtracks.md builds
# it) and make it weights/album_bundled.*: seed 0 is the shipped model; seeds 1-3 retrain
# the same recipe on other album splits, only to decide whether it beats untrained
# Musicnn mean‖max on unseen albums (weights/README.md).
#   scripts/train_bundled.sh /work/soundtracks/cache.sqlite3
#
# Each retrain writes into its own temporary folder through `--retrain --models-dir DIR`,
# an option --help does not list: it replaces the user's models folder for that one
# --retrain or --evaluate (for this script and the tests). scan, export and the window
# only ever read the user's models folder (`musicmap-desktop --paths`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
  exit 0
fi
src=${1:?usage: scripts/train_bundled.sh SOUNDTRACK_CACHE.sqlite3 (--help says more)}
work=$(mktemp -d)
cp "$src" "$work/cache.sqlite3"  # retrain writes vectors; the source cache stays as it is
for seed in 0 1 2 3; do
  # Only the shipped split (seed 0) needs the MFCC row; it decodes audio.
  mfcc=$([ "$seed" = 0 ] && echo "" || echo --no-mfcc)
  .venv/bin/musicmap-desktop --retrain --db "$work/cache.sqlite3" --models-dir "$work/models-$seed" \
    --aggregator attention,gru,meanmax --seed "$seed" $mfcc | tee "$work/seed-$seed.txt"
done
record() { ls "$work/models-$1"/album-*.json; }
.venv/bin/python scripts/bundle_model.py "$(record 0 | sed 's/json$/safetensors/')" \
  --manifest weights/soundtracks.json \
  --command "musicmap-desktop --retrain --db SOUNDTRACKS --aggregator attention,gru,meanmax --seed 0" \
  --also "$(record 1)" "$(record 2)" "$(record 3)"
echo "tables: $work/seed-*.txt"
