#!/usr/bin/env bash
# `--retrain` on ordinary libraries: the soundtrack library cut to 20 albums (at most one album
# per fold group, so a library is not one game's composers; drawn as common.run_small draws
# them, seeds 100..105), each scored by the app's own `--retrain` (5 folds by album artist, the
# zWCCN recipe against untrained mean‖max and MFCC). Prints one JSON line per library.
#   scripts/research/issue14/small_libraries.sh CACHE.sqlite3 [LIBRARIES]
set -euo pipefail
cd "$(dirname "$0")/../../.."
db=${1:?usage: small_libraries.sh CACHE.sqlite3 [LIBRARIES]}
work=$(mktemp -d)
for sub in $(seq 0 $(( ${2:-6} - 1 ))); do
  .venv/bin/python - "$sub" > "$work/albums-$sub.txt" <<'EOF'
import json, sys
import numpy as np
from trainer.dataset import album_key
rows = json.load(open("weights/soundtracks.json", encoding="utf-8"))["albums"]
rows = sorted(rows, key=lambda r: album_key(r["album"], r["albumartist"], ""))
rng, picked, used = np.random.default_rng(100 + int(sys.argv[1])), [], set()
for i in rng.permutation(len(rows)):
    if rows[i]["fold_group"] not in used and len(picked) < 20:
        picked.append(rows[i]["album"])
        used.add(rows[i]["fold_group"])
print("\n".join(picked))
EOF
  nice -n 10 .venv/bin/musicmap-desktop --retrain --db "$db" --models-dir "$work/models-$sub" --json \
    --albums-file "$work/albums-$sub.txt" --seed "$sub" > "$work/lib-$sub.json"
  .venv/bin/python -c "import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({'library': int(sys.argv[2]), \
'albums': r['albums'], 'tracks': r['tracks'], 'summary': r['folds']['summary'], 'untrained': r['folds']['untrained'], \
'rows': {k: [f['album_p_at_k'] for f in v] for k, v in r['folds']['rows'].items()}}))" "$work/lib-$sub.json" "$sub"
done
