"""`--retrain` and `--evaluate` end to end: better held-out retrieval, the versioned model store,
interruptions that keep the previous model, odd labels and too-small libraries."""
import json
import os
import unicodedata

import pytest

from feature_factory import BACKBONE, PLAN, copy_db
from musicmap_desktop.cli import main
from musicmap_desktop.core import album_models
from musicmap_desktop.core.store import ids
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.model import album
from trainer.retrain import RetrainOptions, retrain
from trainer.train import TrainSettings

MEANMAX_ROW = "Musicnn mean‖max (no training)"
CENTRED_ROW = "Musicnn mean‖max, centred (the map's default)"
MFCC_ROW = "MFCC mean/std (baseline)"
BUNDLED_ROW = "bundled album model"  # present when this checkout ships one
FAST = ["--no-mfcc", "--epochs", "3"]


def _vector_count(db, entry) -> int:
    model_id = ids.vector_model_id(entry, BACKBONE, PLAN)
    return db.execute("SELECT count(*) FROM vectors WHERE model_id = ?", [model_id]).fetchone()[0]


def _retrain_json(lib, capsys, *args) -> dict:
    assert main(["--retrain", lib.root, "--db", lib.db_path, "--models-dir", lib.models, "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


# --- the generated audio library (scanned once per session) -------------------

@pytest.mark.slow  # the session's generated album library, heard and retrained: a minute or more
def test_retrained_model_beats_mean_max_on_held_out_albums(retrained):
    report, table = retrained.report, retrained.report["table"]
    assert (report["tracks"], report["albums"]) == (144, 24)
    assert set(table) - {BUNDLED_ROW} == {MFCC_ROW, MEANMAX_ROW, CENTRED_ROW, "retrained (attention)"}
    for row in table.values():  # every row scored on the same test tracks, none of them trained on
        assert (row["n_tracks"], row["n_albums"]) == (report["test_tracks"], report["test_tracks"] // 6)
    before, after = table[MEANMAX_ROW]["album_p_at_k"], table["retrained (attention)"]["album_p_at_k"]
    assert after >= before + 0.1, (before, after)  # measured 0.69 -> 0.91


@pytest.mark.slow  # the session's generated album library, heard and retrained: a minute or more
def test_retrained_model_is_in_use_with_its_vectors(retrained):
    from musicmap_desktop.core.store.db import open_db

    entry = album_models.choose_model("auto", retrained.models, BACKBONE)
    assert entry is not None and entry.id == retrained.report["model"] and entry.kind == "retrained"
    info = entry.info
    assert not set(info["test_albums"]) & set(info["val_albums"]) and len(info["test_albums"]) >= 2
    assert info["settings"]["labels"] == "album" and 1 <= info["best_epoch"] <= 20
    assert _vector_count(open_db(retrained.db), entry) == 144  # the map can use it at once


@pytest.mark.slow  # the session's generated album library, heard and retrained: a minute or more
def test_evaluate_scores_the_albums_the_retrain_held_out(retrained, tmp_path, capsys):
    db = copy_db(retrained.db, tmp_path / "cache.sqlite3")
    # Another seed would split differently: the recorded test albums must win.
    args = ["--evaluate", retrained.root, "--db", db, "--models-dir", retrained.models, "--json", "--seed", "7"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    before, table = retrained.report["table"], out["table"]
    assert set(table) - {BUNDLED_ROW} == {MFCC_ROW, MEANMAX_ROW, CENTRED_ROW, f"retrained {retrained.report['model']}"}
    assert out["test_tracks"] == retrained.report["test_tracks"]
    for row in (MEANMAX_ROW, MFCC_ROW, BUNDLED_ROW):  # same tracks, same vectors: same scores
        assert table.get(row) == before.get(row)
    saved = table[f"retrained {retrained.report['model']}"]["album_p_at_k"]
    assert saved == pytest.approx(before["retrained (attention)"]["album_p_at_k"])


# --- synthetic cached features (no audio) ---------------------------------------

def _saved(lib, out) -> album_models.AlbumModelEntry:
    """The model a --retrain saved (by id: "auto" also wants it to beat mean‖max, not the point here)."""
    return album_models.choose_model(out["model"], lib.models)


def _options(lib, seed=0, epochs=3) -> RetrainOptions:
    settings = TrainSettings(epochs=epochs, seed=seed)
    return RetrainOptions(lib.root, BACKBONE, PLAN, settings, with_mfcc=False)


def test_interrupted_retrain_leaves_the_previous_model_in_use(feature_cache, monkeypatch):
    lib = feature_cache(30, 6)  # enough to learn in 10 epochs and beat mean‖max: "auto" takes it
    first = list(retrain(lib.db, _options(lib, epochs=10), lib.models))[-1].result.entry
    assert album_models.choose_model("auto", lib.models).id == first.id
    cancel, seen = CancelToken(), []
    for p in retrain(lib.db, _options(lib, seed=1), lib.models, cancel):  # Ctrl-C during training
        seen.append(p.result)
        cancel.cancel()
    assert seen == [None] and album_models.choose_model("auto", lib.models).id == first.id
    assert sorted(os.listdir(lib.models)) == [f"{first.id}.json", f"{first.id}.safetensors"]

    def killed(*_):  # the process dies after the weights were written, before their record
        raise KeyboardInterrupt
    monkeypatch.setattr(album_models, "write_record", killed)
    with pytest.raises(KeyboardInterrupt):
        list(retrain(lib.db, _options(lib, seed=2, epochs=1), lib.models))
    weights = [f for f in os.listdir(lib.models) if f.endswith(".safetensors")]
    assert len(weights) == 2  # the new weights are there ...
    assert [e.id for e in album_models.retrained_models(lib.models)] == [first.id]  # ... but not in use
    assert album_models.choose_model("auto", lib.models).id == first.id


@pytest.mark.parametrize("n_albums, per_album", [(3, 5), (12, 3), (0, 0)])
def test_too_few_albums_is_one_clear_line(feature_cache, capsys, n_albums, per_album):
    lib = feature_cache(n_albums, per_album)
    assert main(["--retrain", lib.root, "--db", lib.db_path, "--models-dir", lib.models]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "album" in err and "--min-tracks" in err and err.startswith("musicmap-desktop: error:")
    assert not os.path.exists(lib.models)


def test_several_aggregators_are_compared_and_the_best_kept(feature_cache, capsys):
    lib = feature_cache()
    out = _retrain_json(lib, capsys, *FAST, "--aggregator", "attention,gru,meanmax")
    rows = {f"retrained ({a})" for a in ("attention", "gru", "meanmax")}
    assert rows <= set(out["table"]) and MFCC_ROW not in out["table"]
    entry = _saved(lib, out)
    assert entry.info["row"] in rows
    assert f"retrained ({album.load(entry.path).config.aggregator})" == entry.info["row"]


def test_artist_labels(feature_cache, capsys):
    lib = feature_cache()  # 12 albums by 5 artists
    out = _retrain_json(lib, capsys, *FAST, "--labels", "artist")
    info = _saved(lib, out).info
    assert info["settings"]["labels"] == "artist"
    keys = {f"artist {a % 5}\x1falbum {a}" for a in range(12)}
    train = keys - set(info["test_albums"]) - set(info["val_albums"])
    assert info["classes"] == len({k.split("\x1f")[0] for k in train}) < len(train)


def _unicode_discs(a: int, k: int) -> tuple[str, str]:
    # Each album on two discs of 3 tracks: under --min-tracks 4 only grouped discs count.
    title = ["Café del Mar", "大神 オリジナル", "🎵 Beats", "Ｗｉｄｅ", "Ölfarbe", "Ночь"][a % 6] + f" {a}"
    return f"{title} ({['Disc 1', 'CD 2'][k % 2]})", ["Zoë", "Björk", "坂本"][a % 3]


def test_unicode_titles_and_discs_grouped_end_to_end(feature_cache, capsys):
    lib = feature_cache(12, 6, names=_unicode_discs)
    out = _retrain_json(lib, capsys, *FAST)
    assert (out["albums"], out["tracks"]) == (12, 72)
    entry = _saved(lib, out)
    titles = {_unicode_discs(a, 0) for a in range(12)}
    expected = {unicodedata.normalize("NFKC", f"{artist}\x1f{title[:-len(' (Disc 1)')]}").casefold()
                for title, artist in titles}
    assert set(entry.info["test_albums"]) | set(entry.info["val_albums"]) < expected
    assert _vector_count(lib.db, entry) == 72
