import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from trainer import metrics
from trainer.metrics import clustering, format_table, knn_accuracy, retrieval, standardize, summary


def _angles(degrees, scale=None) -> np.ndarray:
    r = np.radians(np.asarray(degrees, np.float64))
    v = np.stack([np.cos(r), np.sin(r)], 1)
    return v if scale is None else v * np.asarray(scale, np.float64)[:, None]


def _clusters(sizes=(8, 8, 8), d=12, noise=0.01, seed=0):
    """Tight clusters around orthogonal directions, lengths varying 1..50 (cosine ignores them)."""
    rng = np.random.default_rng(seed)
    labels = [f"L{i}" for i, n in enumerate(sizes) for _ in range(n)]
    base = np.eye(d)[[int(lab[1:]) for lab in labels]]
    x = base + noise * rng.standard_normal(base.shape)
    return x * rng.uniform(1, 50, (len(labels), 1)), labels


def test_separated_clusters_score_perfectly():
    x, labels = _clusters()
    r = retrieval(x, labels, k=5)
    assert r == {"precision_at_k": 1.0, "map": 1.0, "n_queries": 24, "k": 5}
    assert clustering(x, labels) == {"ami": pytest.approx(1.0), "ari": pytest.approx(1.0)}
    assert knn_accuracy(x, labels, k=5) == 1.0


def test_hand_ranked_average_precision():
    # Angles 0, 10, 22, 36, 80 deg; only "A" has >= 2 members, so its three are the queries.
    # 0 ranks A,B,A,C: AP (1/1 + 2/3)/2.  10 ranks A,B,A,C: the same.  36 ranks B,A,A,C: (1/2 + 2/3)/2.
    x = _angles([0, 10, 22, 36, 80], scale=[1, 3, 0.5, 7, 2])
    labels = ["A", "A", "B", "A", "C"]
    r = retrieval(x, labels, k=1)
    assert r["n_queries"] == 3
    assert r["map"] == pytest.approx(((1 + 2 / 3) / 2 * 2 + (1 / 2 + 2 / 3) / 2) / 3)
    assert r["precision_at_k"] == pytest.approx(2 / 3)
    assert retrieval(x, labels, k=2)["precision_at_k"] == pytest.approx(1 / 2)
    assert retrieval(x, labels, k=10)["precision_at_k"] == pytest.approx(2 / 4)  # only 4 others


def test_singletons_and_unknown_labels_are_not_queries():
    x = _angles([0, 10, 22, 36, 80])
    assert retrieval(x, ["A", "B", "C", "D", "E"])["n_queries"] == 0
    assert retrieval(x, ["A", "B", "C", "D", "E"])["map"] is None
    # Unknown labels never match each other; they stay in the ranking as distractors.
    r = retrieval(x, ["A", None, "", None, "A"], k=1)
    assert r["n_queries"] == 2 and r["precision_at_k"] == 0.0
    assert r["map"] == pytest.approx(1 / 4)  # the other "A" is 4th for both


def test_random_vectors_score_near_chance():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 32))  # > one chunk of queries
    labels = [f"L{i % 4}" for i in range(400)]
    chance = 99 / 399
    r = retrieval(x, labels, k=5)
    assert r["n_queries"] == 400
    assert abs(r["precision_at_k"] - chance) < 0.04
    assert abs(r["map"] - chance) < 0.04
    assert abs(clustering(x, labels)["ami"]) < 0.05
    assert abs(knn_accuracy(x, labels) - 0.25) < 0.08


def test_map_matches_a_per_query_reference():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((300, 6)) + np.repeat(rng.standard_normal((10, 6)), 30, axis=0)
    labels = [f"L{i // 30}" for i in range(300)]
    labels[5], labels[40] = "solo", None
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    aps, p5 = [], []
    for q in range(300):
        if labels[q] in ("solo", None):
            continue
        others = np.delete(np.arange(300), q)
        sims = unit[others] @ unit[q]
        rel = np.array([labels[o] == labels[q] for o in others])
        aps.append(average_precision_score(rel, sims))
        p5.append(rel[np.argsort(-sims)[:5]].mean())
    r = retrieval(x, labels, k=5)
    assert r["n_queries"] == len(aps) == 298
    assert r["map"] == pytest.approx(np.mean(aps), abs=1e-12)
    assert r["precision_at_k"] == pytest.approx(np.mean(p5), abs=1e-12)


def test_knn_leave_one_out_by_hand():
    # X at 0, 4, 19; Y at 11, 90, 97, 105.  k=3: only 11 is outvoted (by 4, 19, 0) -> 6/7.
    # k=2: 11 wrong; 19's tie (11 Y nearer than 4 X) goes to Y, wrong -> 5/7.
    deg = [0, 4, 11, 19, 90, 97, 105, 100, 101, 102]
    labels = ["X", "X", "Y", "X", "Y", "Y", "Y", None, "", None]  # unknowns near the Ys are ignored
    x = _angles(deg)
    assert knn_accuracy(x, labels, k=3) == pytest.approx(6 / 7)
    assert knn_accuracy(x, labels, k=2) == pytest.approx(5 / 7)
    assert knn_accuracy(x, ["X"] * 7 + [None] * 3) is None


def test_clustering_ignores_vector_length_and_needs_two_labels():
    # Two directions, lengths 1 or 100: unnormalised KMeans would split by length instead.
    x = _angles([0, 2, 4, 6, 80, 82, 84, 86], scale=[1, 100, 1, 100, 100, 1, 100, 1])
    labels = list("aaaabbbb")
    assert clustering(x, labels) == {"ami": pytest.approx(1.0), "ari": pytest.approx(1.0)}
    shuffled = clustering(x, list("abababab"))
    assert shuffled["ami"] < 0.2 and shuffled["ari"] < 0.2
    assert clustering(x, ["a"] * 8) == {"ami": None, "ari": None}


def test_standardize_rescues_badly_scaled_dimensions():
    rng = np.random.default_rng(3)
    labels = [f"L{i % 3}" for i in range(90)]
    signal = np.eye(3)[[i % 3 for i in range(90)]] + 0.1 * rng.standard_normal((90, 3))
    x = np.hstack([signal, 1000 + 50 * rng.standard_normal((90, 2)), np.full((90, 1), 7.0)])
    z = standardize(x)
    np.testing.assert_allclose(z[:, :5].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z[:, :5].std(0), 1)
    assert np.all(z[:, 5] == 0)  # a constant dimension carries nothing
    assert retrieval(x, labels)["precision_at_k"] < 0.6
    assert retrieval(z[:, :3], labels)["precision_at_k"] == 1.0


def test_summary_and_table():
    x, albums = _clusters((6, 7, 8))
    artists = ["Ann" if a in ("L1", "L2") else "Bob" for a in albums]
    s = summary(x, albums, artists)
    assert s["album_p_at_k"] == 1.0 and s["album_map"] == 1.0
    assert s["album_ami"] == pytest.approx(1.0) and s["album_ari"] == pytest.approx(1.0)
    assert s["artist_p_at_k"] == 1.0 and s["artist_ami"] < 0.9  # KMeans merges the two smallest blobs, L0 + L1
    assert s["genre_knn"] is None and s["n_tracks"] == 21 and s["n_albums"] == 3 and s["k"] == 5
    genres = ["rock"] * 13 + ["jazz"] * 8
    assert summary(x, albums, artists, genres)["genre_knn"] == 1.0

    noise = summary(np.random.default_rng(0).standard_normal((21, 12)), albums, artists, genres)
    table = format_table({"MFCC mean/std": noise, "Musicnn mean‖max": s})
    lines = table.splitlines()
    assert len(lines) == 4 and {line.count("|") for line in lines} == {12}
    assert "album P@5" in lines[0] and "album mAP" in lines[0]
    assert "| MFCC mean/std |" in lines[2] and "| Musicnn mean‖max |" in lines[3]
    assert "—" in lines[3] and "—" not in lines[2]  # genre kNN is None only for the second row
    assert "| 1.000 |" in lines[3] and "| 21 | 3 |" in lines[3]
    assert f"| {noise['album_map']:.3f} |" in lines[2]
    assert "| a\\|b |" in format_table({"a|b": {"x": 1.0}})  # a pipe in a name is escaped


def test_bad_input_is_rejected():
    with pytest.raises(ValueError):
        retrieval(np.ones((3, 2)), ["a", "a"])
    with pytest.raises(ValueError):
        retrieval(np.array([[1.0, np.nan], [1, 0]]), ["a", "a"])
    with pytest.raises(ValueError):
        retrieval(np.ones((3, 2)), ["a", "a", "b"], k=0)


def test_chunking_does_not_change_results(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((50, 5))
    labels = [f"L{i % 5}" for i in range(50)]
    whole = retrieval(x, labels), knn_accuracy(x, labels)
    monkeypatch.setattr(metrics, "_CHUNK", 7)
    assert (retrieval(x, labels), knn_accuracy(x, labels)) == whole
