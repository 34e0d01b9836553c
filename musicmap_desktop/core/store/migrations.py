"""Ordered, named schema migrations. Append new ones; never edit a released one."""
from __future__ import annotations

from typing import Callable

import sqlite_utils


def _run(db: sqlite_utils.Database, script: str) -> None:
    # Statement by statement: executescript() would COMMIT the migration's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _create_tracks(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
        CREATE TABLE tracks (
            id INTEGER PRIMARY KEY,
            path BLOB NOT NULL UNIQUE,      -- os.fsencode(): exact even for non-UTF-8 names
            display_path TEXT NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            fingerprint TEXT,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            reason TEXT,
            title TEXT, artist TEXT, album TEXT, albumartist TEXT,
            artists_json TEXT, genres_json TEXT,
            date TEXT, year INTEGER, tracknumber INTEGER, discnumber INTEGER,
            duration REAL, sample_rate INTEGER, channels INTEGER, bitrate INTEGER, codec TEXT,
            tags_json TEXT,
            added_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX tracks_fingerprint ON tracks (fingerprint);
        """
    )


def _create_folders(db: sqlite_utils.Database) -> None:
    _run(
        db,
        """
        CREATE TABLE libraries (
            root BLOB PRIMARY KEY,
            display_root TEXT NOT NULL,
            last_scan_at REAL
        );
        CREATE TABLE folder_problems (
            root BLOB NOT NULL,
            path BLOB NOT NULL,
            display_path TEXT NOT NULL,
            reason TEXT NOT NULL,
            seen_at REAL NOT NULL
        );
        CREATE INDEX folder_problems_root ON folder_problems (root);
        """
    )


def _create_embeddings(db: sqlite_utils.Database) -> None:
    # Keyed by content, not by path: a moved file keeps its embedding, and a
    # new backbone or album model recomputes only what depends on it.
    _run(
        db,
        """
        CREATE TABLE windows (
            fingerprint TEXT NOT NULL,
            backbone_id TEXT NOT NULL,
            plan TEXT NOT NULL,             -- window choice, e.g. 'n20-skip5' or 'all'
            n_windows INTEGER NOT NULL,
            starts BLOB NOT NULL,           -- int32 first frame of each window
            features BLOB NOT NULL,         -- float16 [n_windows, 200] penultimate
            taggram BLOB NOT NULL,          -- float16 [n_windows, 50] tag probabilities
            created_at REAL NOT NULL,
            PRIMARY KEY (fingerprint, backbone_id, plan)
        );
        CREATE TABLE vectors (
            fingerprint TEXT NOT NULL,
            model_id TEXT NOT NULL,         -- what made it: aggregator + backbone + plan
            vector BLOB NOT NULL,           -- float32, L2-normalised
            created_at REAL NOT NULL,
            PRIMARY KEY (fingerprint, model_id)
        );
        """,
    )


def _create_layouts(db: sqlite_utils.Database) -> None:
    # One row per computed map: arrays as BLOBs so a 100k-track map loads in one read.
    # Keyed by what it placed (model + root + set of fingerprints), so a moved file keeps its spot.
    _run(
        db,
        """
        CREATE TABLE layouts (
            id INTEGER PRIMARY KEY,
            model_id TEXT NOT NULL,         -- the vectors it was computed from
            root BLOB NOT NULL,             -- os.fsencode(abspath(root)), x'' = the whole cache
            set_hash TEXT NOT NULL,         -- blake2b of the sorted, distinct fingerprints
            n_points INTEGER NOT NULL,
            fingerprints TEXT NOT NULL,     -- newline-joined, row i of xy and labels
            xy BLOB NOT NULL,               -- float32 [n_points, 2]
            labels BLOB,                    -- int32 [n_points] cluster per point
            k INTEGER,                      -- clusters asked for, NULL = chosen automatically
            names_json TEXT,                -- cluster names, by cluster id
            method TEXT NOT NULL,           -- 'tsne', 'tsne+landmarks', 'placed', 'pca'
            core_points INTEGER NOT NULL,   -- points laid out by t-SNE in the map this one grew from
            created_at REAL NOT NULL
        );
        CREATE INDEX layouts_key ON layouts (model_id, root, set_hash);
        """,
    )


def _create_track_tags(db: sqlite_utils.Database) -> None:
    # Each track's auto-tags averaged over its windows, stored apart from the windows:
    # reading a column behind the 8 KB feature blob walks its overflow pages, which made
    # opening a large map from the cache read the whole windows table.
    _run(
        db,
        """
        CREATE TABLE track_tags (
            fingerprint TEXT NOT NULL,
            backbone_id TEXT NOT NULL,
            plan TEXT NOT NULL,
            taggram BLOB NOT NULL,          -- float32 [tags], mean over the windows
            PRIMARY KEY (fingerprint, backbone_id, plan)
        );
        """,
    )
    import numpy as np

    rows = db.execute("SELECT fingerprint, backbone_id, plan, n_windows, taggram FROM windows")
    db.conn.executemany(
        "INSERT INTO track_tags VALUES (?, ?, ?, ?)",
        ((fp, b, plan, np.frombuffer(blob, "<f2").reshape(n, -1).mean(0, dtype=np.float32).astype("<f4").tobytes())
         for fp, b, plan, n, blob in rows if n > 0),
    )


def _create_removed_fingerprints(db: sqlite_utils.Database) -> None:
    # What was heard in a file that left the library is kept for a while (it may come back: a
    # folder re-included, a library moved in two steps); content no track has and no recent
    # removal explains (an edited file's old content) is collected. Analyses that are orphans
    # already when this runs start their grace period now.
    import time

    _run(
        db,
        """
        CREATE TABLE removed_fingerprints (
            fingerprint TEXT PRIMARY KEY,
            removed_at REAL NOT NULL          -- when the last track with it left
        );
        """,
    )
    db.execute(
        "INSERT OR IGNORE INTO removed_fingerprints SELECT DISTINCT fingerprint, ? FROM windows"
        " WHERE fingerprint NOT IN (SELECT fingerprint FROM tracks WHERE fingerprint IS NOT NULL)", [time.time()])


def _create_excluded_folders(db: sqlite_utils.Database) -> None:
    # Folders of a library that its scans leave out (audiobooks, podcasts, samples), kept with it.
    _run(
        db,
        """
        CREATE TABLE excluded_folders (
            root BLOB NOT NULL,               -- the library (libraries.root)
            path BLOB NOT NULL,               -- os.fsencode(abspath(folder)), inside root
            display_path TEXT NOT NULL,
            added_at REAL NOT NULL,
            PRIMARY KEY (root, path)
        );
        """,
    )


def _create_layout_notes(db: sqlite_utils.Database) -> None:
    # Beside each cached layout: the seed it was laid out with (a "New layout" takes the next,
    # and any layout can be laid out again the same) and the evidence for each cluster name,
    # which takes ~0.5 s to work out at 100k tracks: a start-up from the cache reads it.
    _run(
        db,
        """
        CREATE TABLE layout_notes (
            layout_id INTEGER PRIMARY KEY REFERENCES layouts (id) ON DELETE CASCADE,
            seed INTEGER NOT NULL,
            why_json TEXT                   -- per cluster id, the list of evidence lines
        );
        """,
    )


def _create_track_pools(db: sqlite_utils.Database) -> None:
    # Per track, what the closed-form album model reads beside the window features: the
    # mid-end pools aggregated over the windows (3 KB). Tracks heard before this table
    # existed have none: the engine hears them again (tracks_without_windows).
    _run(
        db,
        """
        CREATE TABLE track_pools (
            fingerprint TEXT NOT NULL,
            backbone_id TEXT NOT NULL,
            plan TEXT NOT NULL,
            pools BLOB NOT NULL,            -- float16 [1506]: mean of the mean pools, max of the max pools
            PRIMARY KEY (fingerprint, backbone_id, plan)
        );
        """,
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("0001_create_tracks", _create_tracks),
    ("0002_libraries_and_folder_problems", _create_folders),
    ("0003_windows_and_vectors", _create_embeddings),
    ("0004_layouts", _create_layouts),
    ("0005_track_tags", _create_track_tags),
    ("0006_removed_fingerprints", _create_removed_fingerprints),
    ("0007_excluded_folders", _create_excluded_folders),
    ("0008_layout_notes", _create_layout_notes),
    ("0009_track_pools", _create_track_pools),
]
