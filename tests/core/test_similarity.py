"""Play similar, next unplayed, and smooth paths between two songs through the kNN graph."""
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from musicmap_desktop.core import similarity
from musicmap_desktop.core.layout import unit_rows
from musicmap_desktop.core.similarity import knn_graph, most_similar, next_similar, path_between


def circle(n=240, d=16, seed=0):
    """Unit vectors on a circle in a random 2-D plane, stored in shuffled order; returns angles too."""
    rng = np.random.default_rng(seed)
    plane = np.linalg.qr(rng.normal(size=(d, 2)))[0].T
    angles = rng.permutation(np.linspace(0, 2 * np.pi, n, endpoint=False))
    return unit_rows(np.cos(angles)[:, None] * plane[0] + np.sin(angles)[:, None] * plane[1]), angles


def cos_dist(x, i, j):
    return 1.0 - float(x[i] @ x[j])


def test_most_similar_is_best_first_and_excludes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 8)) * rng.uniform(0.5, 3, size=(50, 1))  # not unit: cosine still
    u = unit_rows(x)
    got = most_similar(x, 3, k=5, exclude={7, 3})
    order = [j for j in np.argsort(-(u @ u[3])) if j not in (3, 7)][:5]
    assert [j for j, _ in got] == order
    np.testing.assert_allclose([c for _, c in got], (u[order] @ u[3]), rtol=1e-5)
    assert len(most_similar(x, 0, k=500)) == 49
    assert most_similar(x[:1], 0) == []


def test_next_similar_skips_played():
    x, angles = circle(12)
    i = int(np.argmin(angles))
    nearest = [j for j, _ in most_similar(x, i, k=3)]
    assert next_similar(x, i, set()) == nearest[0]
    assert next_similar(x, i, {nearest[0]}) == nearest[1]
    assert next_similar(x, i, set(range(12)) - {i}) is None


def check_path(x, path, a, b):
    assert path[0] == a and path[-1] == b
    assert len(path) == len(set(path))
    steps = [cos_dist(x, p, q) for p, q in zip(path, path[1:])]
    return max(steps)


@pytest.mark.parametrize("full_graph_max", [5000, 50])  # whole-library graph, then the corridor
def test_path_walks_along_the_circle_in_small_steps(monkeypatch, full_graph_max):
    monkeypatch.setattr(similarity, "FULL_GRAPH_MAX", full_graph_max)
    monkeypatch.setattr(similarity, "CORRIDOR_NEIGHBOURS", 12)
    x, angles = circle()
    a = int(np.argmin(np.abs(angles - 0.0)))
    b = int(np.argmin(np.abs(angles - 2 * np.pi / 3)))
    path = path_between(x, a, b)
    assert check_path(x, path, a, b) < 0.05 * cos_dist(x, a, b)
    walked = np.unwrap(angles[path])
    assert (np.diff(walked) > 0).all()  # monotone around the circle: no zig-zag
    assert len(path) >= 40  # ~80 points lie between; it did not jump
    if full_graph_max == 50:
        assert len(similarity._corridor(x, a, b)) < len(x) * 0.6  # really a corridor, not everything


def test_disconnected_graph_falls_back_to_interpolation():
    rng = np.random.default_rng(1)
    c = np.eye(16)[:2] * 5
    x = unit_rows(np.vstack([c[0] + rng.normal(size=(30, 16)) * 0.1, c[1] + rng.normal(size=(30, 16)) * 0.1]))
    assert connected_components(knn_graph(x, 3), directed=False)[0] > 1
    path = path_between(x, 0, 45, k=3)
    check_path(x, path, 0, 45)
    assert 2 <= len(path) <= similarity.FALLBACK_STEPS
    assert len(path_between(x, 0, 45, k=3, max_steps=5)) <= 5


def test_max_steps_thins_evenly_and_trivial_paths():
    x, angles = circle()
    a, b = int(np.argmin(angles)), int(np.argmin(np.abs(angles - np.pi)))
    full = path_between(x, a, b)
    short = path_between(x, a, b, max_steps=6)
    assert len(short) == 6 and short[0] == a and short[-1] == b and set(short) <= set(full)
    assert path_between(x, a, a) == [a]
    assert path_between(x[:2], 0, 1) == [0, 1]


def test_knn_graph_has_k_edges_per_point_and_keeps_duplicates():
    x = np.vstack([np.ones((3, 4)), np.eye(4)])
    g = knn_graph(unit_rows(x), 2)
    assert g.shape == (7, 7) and (np.diff(g.indptr) == 2).all()
    assert (g.data > 0).all()  # a zero-distance duplicate is still an edge


def test_true_neighbours_are_exact_best_first_and_never_the_track():
    rng = np.random.default_rng(4)
    x = unit_rows(rng.normal(size=(500, 24)))
    idx, cos = similarity.true_neighbours(x, 7, k=12)
    brute = [j for j in np.argsort(-(x @ x[7]), kind="stable") if j != 7][:12]
    assert idx.tolist() == brute and idx.dtype == np.int64
    np.testing.assert_allclose(cos, x[brute] @ x[7], rtol=1e-5)
    assert (np.diff(cos) <= 0).all()
    assert len(similarity.true_neighbours(x[:1], 0)[0]) == 0
    assert len(similarity.true_neighbours(x[:3], 0, k=10)[0]) == 2


def test_path_through_several_points_visits_them_in_order_without_repeats():
    x, angles = circle()
    at = [int(np.argmin(np.abs(angles - a))) for a in (0.0, 2.0, 4.0, 5.5)]
    path = similarity.path_through(x, at)
    assert len(path) == len(set(path))
    assert path[0] == at[0] and path[-1] == at[-1]
    positions = [path.index(p) for p in at]
    assert positions == sorted(positions)
    for i in range(3):
        leg = path[positions[i]:positions[i + 1] + 1]
        assert check_path(x, leg, leg[0], leg[-1]) < 0.1
    assert len(path) >= 80  # ~5.5 rad of a 240-point circle, walked in small steps
    crossed = int(np.argmin(np.abs(angles - 1.0)))  # already on the A→B leg: skipped, not revisited
    assert similarity.path_through(x, at[:2] + [crossed]) == similarity.path_between(x, at[0], at[1])
    assert similarity.path_through(x, [at[0], at[0], at[1]]) == similarity.path_between(x, at[0], at[1])
    assert similarity.path_through(x, [at[2]]) == [at[2]] and similarity.path_through(x, []) == []


def test_path_between_keeps_out_of_excluded_tracks():
    x, angles = circle()
    a, b = int(np.argmin(angles)), int(np.argmin(np.abs(angles - 1.0)))
    plain = similarity.path_between(x, a, b)
    avoid = plain[len(plain) // 2]
    detour = similarity.path_between(x, a, b, exclude=[avoid, a])
    assert avoid not in detour and detour[0] == a and detour[-1] == b


def test_rank_like_takes_each_seeds_nearest_in_turn_never_a_seed():
    rng = np.random.default_rng(5)
    centres = unit_rows(rng.normal(size=(2, 16)))
    # seed 0 sits in a dense blob, seed 1 among few tracks: the plain max would give seed 0 every place
    x = unit_rows(np.vstack([centres[0] + rng.normal(size=(200, 16)) * 0.05,
                             centres[1] + rng.normal(size=(10, 16)) * 0.3]))
    seeds = [0, 200]
    rows, scores = similarity.rank_like(x, seeds)
    assert set(rows.tolist()) == set(range(210)) - set(seeds) and len(rows) == 208
    owner = np.argmax(x[rows] @ x[seeds].T, axis=1)
    assert owner[:10].tolist() == [0, 1] * 5 or owner[:10].tolist() == [1, 0] * 5  # alternating
    np.testing.assert_allclose(scores, (x[rows] @ x[seeds].T).max(1), rtol=1e-5)
    assert 5 not in similarity.rank_like(x, seeds, exclude=[5])[0]
    assert len(similarity.rank_like(x, [])[0]) == 0
