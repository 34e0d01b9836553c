"""2D layout: deterministic t-SNE, tiny libraries, landmarks, and placing new points (stable map)."""
import numpy as np
import pytest

from musicmap_desktop.core import layout
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.layout import compute_layout, knn_cosine, place_new_points, unit_rows


def blobs(n_per, centres=3, d=32, spread=0.15, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, d))
    labels = np.repeat(np.arange(centres), n_per)
    return unit_rows(c[labels] + spread * rng.normal(size=(len(labels), d))), labels


def run(vectors, **kw):
    items = list(compute_layout(vectors, **kw))
    return items[-1].result, [p.phase for p in items]


def neighbour_purity(xy, labels, k=5):
    d = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    nn = np.argsort(d, axis=1)[:, 1:k + 1]
    return (labels[nn] == labels[:, None]).mean()


def test_layout_is_deterministic_normalised_and_keeps_blobs_apart():
    x, labels = blobs(40)
    xy, phases = run(x, seed=3)
    again, _ = run(x, seed=3)
    assert xy.shape == (120, 2) and xy.dtype == np.float32
    np.testing.assert_array_equal(xy, again)
    assert phases[0] == "pca" and "tsne" in phases and phases[-1] == "done"
    assert np.abs(xy).max() == pytest.approx(1.0) and np.abs(xy).max(0).min() <= 1.0
    assert neighbour_purity(xy, labels) > 0.95


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 7, 8, 9, 12])
def test_tiny_libraries_get_a_layout(n):
    x, _ = blobs(n, centres=1, spread=1.0, seed=n)
    xy, _ = run(x)
    assert xy.shape == (n, 2) and np.isfinite(xy).all() and (np.abs(xy) <= 1 + 1e-6).all()
    if n == 1:
        assert (xy == 0).all()
    if n >= 2:
        assert len(np.unique(xy.round(5), axis=0)) == n  # distinct vectors, distinct spots


def test_identical_vectors_share_one_spot():
    x = np.tile(unit_rows(np.arange(1, 17, dtype=np.float32)[None]), (20, 1))
    xy, _ = run(x)
    assert (xy == xy[0]).all()


def test_big_libraries_use_landmarks_and_place_the_rest(monkeypatch):
    monkeypatch.setattr(layout, "LANDMARKS", 60)
    x, labels = blobs(100)
    xy, phases = run(x, seed=1)
    again, _ = run(x, seed=1)
    np.testing.assert_array_equal(xy, again)
    assert "place" in phases and xy.shape == (300, 2)
    assert (np.abs(xy) <= 1 + 1e-6).all()
    assert neighbour_purity(xy, labels) > 0.95


def test_init_sets_the_arrangement():
    x, labels = blobs(40)
    xy, _ = run(x)
    mirrored, _ = run(x, init=xy * [-1, 1])
    assert np.corrcoef(xy[:, 0], mirrored[:, 0])[0, 1] < -0.8
    assert neighbour_purity(mirrored, labels) > 0.95


def test_cancel_between_phases_gives_no_result():
    x, _ = blobs(20)
    token = CancelToken()
    items = []
    for p in compute_layout(x, token):
        items.append(p)
        token.cancel()
    assert [p.phase for p in items] == ["pca"] and items[-1].result is None


def test_new_points_land_among_their_nearest_neighbours():
    x, labels = blobs(40)
    xy, _ = run(x[:-3])
    new = place_new_points(x[:-3], xy, x[-3:])  # the last three belong to blob 2
    centre = xy[labels[:-3] == 2].mean(0)
    spread = np.linalg.norm(xy[labels[:-3] == 2] - centre, axis=1).max()
    assert new.shape == (3, 2) and new.dtype == np.float32
    assert (np.linalg.norm(new - centre, axis=1) <= spread).all()


def test_a_duplicate_lands_on_its_twin_and_points_stay_in_the_box():
    x, _ = blobs(10)
    xy = layout.normalise_xy(np.random.default_rng(0).normal(size=(30, 2)))
    placed = place_new_points(x, xy, np.vstack([x[7], x[:5].mean(0)]), k=50)
    np.testing.assert_allclose(placed[0], xy[7], atol=1e-4)
    assert (placed >= xy.min(0) - 1e-6).all() and (placed <= xy.max(0) + 1e-6).all()
    assert place_new_points(x, xy, np.zeros((0, 32))).shape == (0, 2)
    with pytest.raises(ValueError):
        place_new_points(np.zeros((0, 32)), np.zeros((0, 2)), x[:1])


def test_knn_cosine_matches_brute_force(monkeypatch):
    monkeypatch.setattr(layout, "CHUNK_ELEMENTS", 64)  # several chunks
    rng = np.random.default_rng(1)
    base, queries = unit_rows(rng.normal(size=(50, 8))), unit_rows(rng.normal(size=(9, 8)))
    idx, sim = knn_cosine(base, queries, 4)
    expected = np.argsort(-(queries @ base.T), axis=1)[:, :4]
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_allclose(sim, np.take_along_axis(queries @ base.T, expected, 1), rtol=1e-6)
    assert knn_cosine(base[:3], queries, 10)[0].shape == (9, 3)


def test_pca_orders_axes_by_variance_and_pads():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 5)) * [5, 3, 1, 0.5, 0.1]
    out = layout.pca(x, 8)
    assert out.shape == (200, 8) and (out[:, 5:] == 0).all()
    var = out.var(0)
    assert (np.diff(var[:5]) <= 0).all()
    np.testing.assert_allclose(var[:5], x.var(0), rtol=0.3)


def test_centred_unit_rows_removes_the_shared_direction():
    from musicmap_desktop.core.layout import centred_unit_rows

    rng = np.random.default_rng(0)
    shared = rng.normal(size=64) * 10
    x = (shared + rng.normal(size=(50, 64))).astype(np.float32)
    raw = unit_rows(x) @ unit_rows(x).T
    centred = centred_unit_rows(x)
    np.testing.assert_allclose(np.linalg.norm(centred, axis=1), 1.0, atol=1e-5)
    off = ~np.eye(50, dtype=bool)
    assert raw[off].min() > 0.9  # everything looks alike before
    assert abs((centred @ centred.T)[off].mean()) < 0.1  # and unrelated after
    np.testing.assert_allclose(centred_unit_rows(x[:2]), unit_rows(x[:2]))  # too few to centre
