"""The whole refresh as one job: provisional maps while embedding, then the final one, as typed events."""
import numpy as np

from cache_factory import BACKBONE, TAGS, Library
from musicmap_desktop.core import embed, refresh
from musicmap_desktop.core.jobs import CancelToken, MapProgress, Phase
from musicmap_desktop.core.mapdata import MapData
from musicmap_desktop.core.refresh import RefreshPlan, refresh_library


class HeardEverything:
    """An engine that 'hears' every task at once (features from a seeded generator, no audio)."""

    backbone_id = BACKBONE

    def __init__(self):
        self.rng = np.random.default_rng(1)

    def run(self, tasks, cancel):
        for track, frames, last in tasks:
            feats = np.abs(self.rng.normal(size=(len(frames), 200))).astype(np.float32)
            pools = np.abs(self.rng.normal(size=1506)).astype(np.float32)
            yield track, frames, (feats, np.full((len(frames), 50), 0.1, np.float32), pools), last


def test_provisional_maps_then_the_final_one_and_no_renamed_phase(tmp_path, monkeypatch):
    lib = Library(tmp_path)
    for i in range(12):
        lib.add(f"t{i:02d}", i % 3, windows=False)  # scanned, not heard yet
    monkeypatch.setattr(embed, "COMMIT_EVERY_SECONDS", 0.0)  # progress after every track
    monkeypatch.setattr(refresh, "MAP_EVERY_SECONDS", 0.0)  # a provisional map at every chance
    items = list(refresh_library(lib.db, RefreshPlan(lib.root, scan=False), lambda model: HeardEverything(),
                                 TAGS, CancelToken()))
    maps = [p for p in items if isinstance(p, MapProgress)]
    assert len(maps) >= 2 and [m.provisional for m in maps] == [True] * (len(maps) - 1) + [False]
    assert all(isinstance(m.result, MapData) for m in maps) and len(maps[-1].result) == 12
    assert len(maps[0].result) < 12  # shown while tracks were still being heard
    assert {p.phase for p in items} <= set(Phase)  # phases are only ever the jobs' own
    assert not [p for p in items if isinstance(p.result, MapData) and not isinstance(p, MapProgress)]
