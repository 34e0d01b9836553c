"""Per-track records (tags, top auto-tags, vector) and their CSV / JSON / NPZ writers."""
from __future__ import annotations

import base64
import csv
import io
import json
import os
from typing import BinaryIO, TextIO

import numpy as np

from .store import vectors, windows
from .store.db import Database
from .store.paths import display
from .store.tracks import iter_tracks

TAG_FIELDS = ("title", "artist", "album", "albumartist", "genres", "year", "tracknumber",
              "discnumber", "duration", "codec")


def top_tags(taggram: np.ndarray, tag_names, k: int = 5) -> list[tuple[str, float]]:
    """Best-first (tag, mean probability over windows)."""
    mean = np.asarray(taggram, np.float32).mean(0)
    order = np.argsort(-mean, kind="stable")[:k]
    return [(tag_names[i], round(float(mean[i]), 4)) for i in order]


def track_records(db: Database, root: str | None, backbone_id: str, plan: str,
                  vector_model_id: str, tag_names) -> list[dict]:
    records = []
    for row in iter_tracks(db, root):
        if row["status"] != "ok":
            continue
        # path: for people (U+FFFD for bytes that are not UTF-8); path_bytes: the exact name, base64.
        rec = {"path": display(row["path"]), "path_bytes": base64.b64encode(os.fsencode(row["path"])).decode()}
        for f in TAG_FIELDS:
            rec[f] = json.loads(row["genres_json"] or "[]") if f == "genres" else row[f]
        w = windows.load_windows(db, row["fingerprint"], backbone_id, plan)
        rec["top_tags"] = top_tags(w.taggram, tag_names) if w is not None else []
        rec["vector"] = vectors.load_vector(db, row["fingerprint"], vector_model_id)
        records.append(rec)
    return records


def write_json(records: list[dict], out: TextIO) -> None:
    def plain(r):
        return {**r, "vector": None if r["vector"] is None else [float(x) for x in r["vector"]],
                "top_tags": [[t, p] for t, p in r["top_tags"]]}

    json.dump([plain(r) for r in records], out, ensure_ascii=False, indent=1)
    out.write("\n")


def write_csv(records: list[dict], out: TextIO) -> None:
    """Lists become ';'-joined text, the vector space-separated floats."""
    w = csv.writer(out)
    w.writerow(["path", "path_bytes", *TAG_FIELDS, "top_tags", "vector"])
    for r in records:
        w.writerow([
            r["path"], r["path_bytes"], *("; ".join(r[f]) if f == "genres" else r[f] for f in TAG_FIELDS),
            "; ".join(f"{t}={p:.3f}" for t, p in r["top_tags"]),
            "" if r["vector"] is None else " ".join(f"{x:.7g}" for x in r["vector"]),
        ])


def write_npz(records: list[dict], out: BinaryIO) -> None:
    """``paths`` (display text), ``path_bytes`` (the exact names, bytes), ``vectors`` [n, d]
    (NaN rows where missing), and ``records`` as JSON text."""
    dims = {len(r["vector"]) for r in records if r["vector"] is not None}
    d = dims.pop() if dims else 0
    vectors = np.full((len(records), d), np.nan, np.float32)
    for i, r in enumerate(records):
        if r["vector"] is not None:
            vectors[i] = r["vector"]
    meta = io.StringIO()
    write_json([{**r, "vector": None} for r in records], meta)
    exact = [base64.b64decode(r["path_bytes"]) for r in records]
    np.savez(out, paths=np.array([r["path"] for r in records], dtype=str),
             path_bytes=np.array(exact, dtype=bytes) if exact else np.zeros(0, "S1"), vectors=vectors,
             records=np.array(meta.getvalue()))
