"""The map's one-pass read (store.map_load): tracks, vectors and mean auto-tags together, and the
notes kept beside a layout (its seed, its names' evidence)."""
import os

import numpy as np

from cache_factory import BACKBONE, MODEL, PLAN, Library
from musicmap_desktop.core.store import layouts
from musicmap_desktop.core.store import vectors as vector_store
from musicmap_desktop.core.store.map_load import LayoutNotes, load_layout_notes, load_map_rows, save_layout_notes
from musicmap_desktop.core.store.windows import mean_taggrams


def test_one_pass_reads_what_the_separate_reads_did(tmp_path):
    lib = Library(tmp_path)
    for i in range(9):
        lib.add(f"t{i}", i % 3, windows=i != 4)  # t4: a vector but no taggram
    lib.add("elsewhere", 0, path=str(tmp_path / "other" / "x.flac"))
    rows = load_map_rows(lib.db, MODEL, lib.root, BACKBONE, PLAN)
    ids, vectors = vector_store.load_vectors(lib.db, MODEL, lib.root)
    assert [r[0] for r in rows.tracks] == ids and len(ids) == 9  # the root filter, by track id
    np.testing.assert_array_equal(rows.vectors, vectors)
    rows.vectors[0, 0] = 7.0  # the caller's to centre in place
    taggrams = mean_taggrams(lib.db, rows.fingerprints, BACKBONE, PLAN)
    np.testing.assert_array_equal(rows.taggrams, taggrams)  # NaN where a track has none
    assert np.isnan(rows.taggrams[4]).all() and not np.isnan(rows.taggrams[3]).any()
    assert os.fsdecode(rows.tracks[0][1]).startswith(lib.root) and rows.tracks[0][4] == "Battle"
    assert load_map_rows(lib.db, MODEL, lib.root, "other-backbone", PLAN).taggrams is None
    assert len(load_map_rows(lib.db, MODEL, None, BACKBONE, PLAN).tracks) == 10


def test_an_empty_library_reads_as_nothing(tmp_path):
    lib = Library(tmp_path)
    rows = load_map_rows(lib.db, MODEL, lib.root, BACKBONE, PLAN)
    assert rows.tracks == [] and rows.vectors.shape == (0, 0) and rows.taggrams is None


def test_layout_notes_round_trip_and_go_with_their_layout(tmp_path):
    lib = Library(tmp_path)
    fps = [f"{i:032x}" for i in range(4)]
    first = layouts.save_layout(lib.db, MODEL, lib.root, fps, np.zeros((4, 2)))
    notes = LayoutNotes(3, (("genre Rock: 80% here", "tag0: 0.8 here"), ()))
    save_layout_notes(lib.db, first, notes)
    assert load_layout_notes(lib.db, first) == notes
    save_layout_notes(lib.db, first, LayoutNotes(4))  # replaced
    assert load_layout_notes(lib.db, first) == LayoutNotes(4, None)
    for _ in range(layouts.KEEP):  # newer layouts prune the first one, and its notes with it
        save_layout_notes(lib.db, layouts.save_layout(lib.db, MODEL, lib.root, fps, np.zeros((4, 2))), notes)
    assert load_layout_notes(lib.db, first) is None
    kept = lib.db.execute("SELECT COUNT(*) FROM layout_notes").fetchone()[0]
    assert kept == layouts.KEEP
