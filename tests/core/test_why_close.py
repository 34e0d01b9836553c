"""Why two tracks are close: shared auto-tags with strengths, the map's cosine, matching windows."""
import numpy as np
import pytest

from musicmap_desktop.core.store.windows import WindowFeatures
from musicmap_desktop.core.layout import unit_rows
from musicmap_desktop.core.mapdata import MapData, TrackView
from musicmap_desktop.core.why_close import matching_windows, shared_tags, why_close
from musicmap_desktop.core.windows import HOP, SR, WINDOW_FRAMES

TAGS = ("piano", "rock", "ambient", "jazz")


def test_shared_tags_need_both_tracks_strong_and_come_strongest_first():
    got = shared_tags([0.62, 0.9, 0.25, 0.05], [0.48, 0.1, 0.3, 0.9], TAGS, library=[0.12, 0.5, 0.2, 0.3])
    assert [(t.name, t.a, t.b, t.library) for t in got] == [("piano", 0.62, 0.48, 0.12), ("ambient", 0.25, 0.3, 0.2)]
    assert shared_tags([0.1] * 4, [0.9] * 4, TAGS) == []
    assert shared_tags([np.nan] * 4, [0.9] * 4, TAGS) == []


def windows(rng, n, motif=None, at=()):
    f = rng.normal(size=(n, 200)).astype(np.float32)
    for w in at:
        f[w] = motif + rng.normal(size=200) * 0.05
    starts = (np.arange(n) * WINDOW_FRAMES).astype(np.int32)
    return f, starts


def test_the_windows_that_share_a_motif_are_found_with_their_times():
    rng = np.random.default_rng(0)
    motif, other = rng.normal(size=200), rng.normal(size=200)
    fa, sa = windows(rng, 20, motif, at=[3])
    fb, sb = windows(rng, 30, motif, at=[17])
    fa[9], fb[2] = other, other + rng.normal(size=200) * 0.3  # a second, weaker match
    got = matching_windows(fa, sa, fb, sb, top=3)
    assert len(got) == 3
    assert got[0].a_start == pytest.approx(3 * WINDOW_FRAMES * HOP / SR, abs=1e-3)
    assert got[0].b_start == pytest.approx(17 * WINDOW_FRAMES * HOP / SR, abs=1e-3)
    assert got[0].a_end - got[0].a_start == pytest.approx(2.992, abs=1e-3) and got[0].score > 0.95
    assert (got[1].a_start, got[1].b_start) == (round(9 * WINDOW_FRAMES * HOP / SR, 3), round(2 * WINDOW_FRAMES * HOP / SR, 3))
    assert got[0].score >= got[1].score >= got[2].score
    assert len({m.a_start for m in got}) == 3 and len({m.b_start for m in got}) == 3  # each window once
    assert matching_windows(fa[:0], sa[:0], fb, sb) == []


def test_why_close_puts_it_together_from_the_map_and_the_cached_windows():
    rng = np.random.default_rng(1)
    vectors = unit_rows(rng.normal(size=(3, 8)))
    probs = np.array([[0.7, 0.1, 0.3, 0.0], [0.5, 0.8, 0.1, 0.0], [0.1, 0.1, 0.1, 0.1]], np.float32)
    tracks = [TrackView(id=i, path=f"/m/{i}", title="", artist="", album="") for i in range(3)]
    data = MapData(tracks, np.zeros((3, 2), np.float32), vectors, np.zeros(3, np.int32), ["x"], TAGS, probs)
    motif = rng.normal(size=200)
    fa, sa = windows(rng, 5, motif, at=[1])
    fb, sb = windows(rng, 6, motif, at=[4])
    ta, tb = np.zeros((5, 4), np.float16), np.zeros((6, 4), np.float16)
    ta[1, 0], tb[4, 0] = 0.8, 0.6  # the matching windows are both piano
    got = why_close(data, 0, 1, WindowFeatures(sa, fa.astype(np.float16), ta), WindowFeatures(sb, fb.astype(np.float16), tb))
    assert got.similarity == pytest.approx(float(vectors[0] @ vectors[1]), abs=1e-4)
    assert [t.name for t in got.shared_tags] == ["piano"] and got.shared_tags[0].library == pytest.approx(0.4333, abs=1e-3)
    assert got.windows[0].tags == ("piano",) and got.windows[0].a_start == round(WINDOW_FRAMES * HOP / SR, 3)
    bare = why_close(data, 0, 2)
    assert bare.windows == [] and bare.shared_tags == []
