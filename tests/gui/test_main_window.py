"""The explorer window, driven like a user: open a library, watch the map appear, click to play."""
import os
import shutil
import time

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtMultimedia import QMediaPlayer

from audio_factory import make_library, make_track
from musicmap_desktop.app import make_window


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """30+ tracks, mixed formats, 4 audibly different albums, scanned and embedded once."""
    from musicmap_desktop.core.store.db import open_db
    from musicmap_desktop.core.embed import EmbedSettings, embed_library
    from musicmap_desktop.core.embed_pool import InProcess
    from musicmap_desktop.core.scan import scan
    from musicmap_desktop.model.backbone import MusicnnBackbone

    root = tmp_path_factory.mktemp("lib")
    make_library(root / "music", n_albums=4, tracks_per_album=8, seconds=4)
    db = open_db(str(root / "cache.db"))
    list(scan(str(root / "music"), db))
    list(embed_library(db, str(root / "music"), InProcess(MusicnnBackbone(device="cpu"), 0), EmbedSettings()))
    db.conn.close()
    return root


@pytest.fixture
def window(qtbot, tmp_path, library):
    shutil.copytree(library / "music", tmp_path / "music")
    shutil.copy(library / "cache.db", tmp_path / "cache.db")
    w = make_window(str(tmp_path / "cache.db"), QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), device="cpu")
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    yield w
    w.session.wait()
    w.player.stop()


def open_and_wait(qtbot, w, folder, rescan=True, timeout=120_000):
    with qtbot.waitSignal(w.session.finished, timeout=timeout):
        w.open_library(str(folder), rescan=rescan)
    if not rescan:  # the cached map first, then the background rescan
        with qtbot.waitSignal(w.session.finished, timeout=timeout):
            pass


def test_first_launch_shows_welcome_and_remembers_the_library(qtbot, window, tmp_path):
    assert window.stack.currentWidget() is window.welcome
    open_and_wait(qtbot, window, tmp_path / "music")
    assert window.stack.currentWidget() is window.map_view
    assert len(window.data) == 32
    assert window.settings.value("library/last_folder") == str(tmp_path / "music")
    assert len(set(window.data.cluster_names)) == len(window.data.cluster_names) >= 2


def test_status_bar_says_what_runs_in_every_phase_of_a_first_map(qtbot, window, tmp_path):
    from musicmap_desktop.core.jobs import Phase

    shown = {}
    window.session.progress.connect(lambda p: shown.setdefault(p.phase, window.status_label.text()))
    open_and_wait(qtbot, window, tmp_path / "music")  # embedded, never laid out: a fresh layout
    for phase in (Phase.LOAD, Phase.PCA, Phase.TSNE, Phase.CLUSTERS):
        assert shown[phase].startswith(phase.label), (phase, shown)
    assert "Loading map" not in shown[Phase.TSNE]


def test_click_plays_the_track_and_highlights_it(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    mv = window.map_view
    i = 7
    with qtbot.waitSignal(window.player.media.playbackStateChanged, timeout=10_000,
                          check_params_cb=lambda s: s == QMediaPlayer.PlaybackState.PlayingState):
        qtbot.mouseClick(mv.canvas, Qt.LeftButton, pos=mv.point_to_widget(i))
    assert window.player.source() == window.data.tracks[i].path
    assert window.panel.labels["title"].text() == window.data.tracks[i].title
    assert window.panel.similar.count() == 10
    assert mv._playing == i


def test_one_engine_for_the_window_and_clicks_touch_no_new_connection(qtbot, window, tmp_path, monkeypatch):
    from musicmap_desktop.core import album_models, embed_pool
    from musicmap_desktop.core.store import db as store_db

    built, closed, opened, scans = [], [], [], []
    real_build, real_connect, real_scan = embed_pool.build_engine, store_db._connect, album_models.retrained_models

    def build(*args, **kwargs):
        engine = real_build(*args, **kwargs)
        engine.close = lambda close=engine.close: (closed.append(engine), close())
        built.append(engine)
        return engine

    monkeypatch.setattr(embed_pool, "build_engine", build)
    open_and_wait(qtbot, window, tmp_path / "music")
    with qtbot.waitSignal(window.session.finished, timeout=120_000):
        window.rescan_action.trigger()  # Library → Rescan: a second refresh, the same engine
    assert len(built) == 1 and closed == []
    mv = window.map_view
    qtbot.mouseClick(mv.canvas, Qt.LeftButton, pos=mv.point_to_widget(0))  # the GUI thread's connection
    monkeypatch.setattr(store_db, "_connect", lambda *a, **k: opened.append(a) or real_connect(*a, **k))
    monkeypatch.setattr(album_models, "retrained_models", lambda *a: scans.append(a) or real_scan(*a))
    for i in (3, 9, 27):
        qtbot.mouseClick(mv.canvas, Qt.LeftButton, pos=mv.point_to_widget(i))
        assert window.panel.labels["title"].text() == window.data.tracks[i].title
    assert opened == [] and scans == []  # no connection, migration check or models folder per click
    window.close()
    assert closed == built


def test_hover_shows_the_card(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    mv = window.map_view
    with qtbot.waitSignal(mv.hovered, timeout=5000, check_params_cb=lambda i: i == 3):
        qtbot.mouseMove(mv.canvas, mv.point_to_widget(3))
    assert mv.card.isVisible() and window.data.tracks[3].title in mv.card.text.text()


def test_search_highlights_and_enter_centres(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    with qtbot.waitSignal(window.search.search_changed, timeout=5000) as got:
        qtbot.keyClicks(window.search, "song 2.")
    matches = got.args[0]
    assert sorted(matches) == sorted(i for i, t in enumerate(window.data.tracks) if t.title.startswith("Song 2."))
    assert len(matches) == 8


def test_colour_by_switches_legend(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    clusters = window.legend.labels()
    assert len(clusters) == len(window.data.cluster_names)
    window.color_mode.setCurrentIndex(window.color_mode.findData("artist"))
    artists = sorted(label.split("(")[0].strip() for label in window.legend.labels())
    assert artists == ["Artist 1", "Artist 2", "Artist 3", "Artist 4"]
    window.color_mode.setCurrentIndex(window.color_mode.findData("tag"))
    assert window.tag_choice.isVisible() and window.map_view.coloring.mode == "tag"


def test_path_between_a_and_b_and_m3u_export(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    pb, mv = window.playback, window.map_view
    a, b = 0, 31
    for i in (a, b):  # click A, then B, like a user
        qtbot.mouseClick(mv.canvas, Qt.LeftButton, pos=mv.point_to_widget(i))
    steps = pb.path()
    assert steps[0] == a and steps[-1] == b and len(set(steps)) == len(steps)
    pb._actions["path"].trigger()
    assert window.player.source() == window.data.tracks[a].path and pb.queue == steps[1:]
    out = pb.export_m3u(str(tmp_path / "path.m3u8"))
    lines = [l for l in open(out, encoding="utf-8").read().splitlines() if l and not l.startswith("#")]
    assert lines == [window.data.tracks[i].path for i in steps]
    assert all(os.path.isfile(p) for p in lines)


def test_box_selection_then_export(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    mv = window.map_view
    window.select_mode.setCurrentIndex(window.select_mode.findData("box"))
    xs = [mv.point_to_widget(i) for i in range(len(window.data))]
    left = min(p.x() for p in xs) - 5
    top, bottom = min(p.y() for p in xs) - 5, max(p.y() for p in xs) + 5
    # The box's right edge: in the widest gap between points near the middle of the map, so
    # no point sits on the edge where pixel rounding would decide.
    cols = sorted({p.x() for p in xs})
    middle = [(b - a, (a + b) // 2) for a, b in zip(cols, cols[1:])][len(cols) // 4:3 * len(cols) // 4 + 1]
    right = max(middle)[1]
    with qtbot.waitSignal(mv.selection_changed, timeout=5000) as got:
        qtbot.mousePress(mv.canvas, Qt.LeftButton, pos=xs[0].__class__(left, top))
        for step in range(1, 11):
            qtbot.mouseMove(mv.canvas, xs[0].__class__(left + (right - left) * step // 10, top + (bottom - top) * step // 10))
        qtbot.mouseRelease(mv.canvas, Qt.LeftButton, pos=xs[0].__class__(right, bottom))
    picked = sorted(got.args[0])
    assert picked == sorted(i for i, p in enumerate(xs) if p.x() <= right)
    out = window.playback.export_m3u(str(tmp_path / "sel.m3u8"))
    assert [l for l in open(out, encoding="utf-8").read().splitlines() if l.startswith("/")] == \
        [window.data.tracks[i].path for i in got.args[0]]


def test_problems_dialog_lists_failures_and_retry_rereads(qtbot, window, tmp_path, monkeypatch):
    from musicmap_desktop.gui.problems import ProblemsDialog

    (tmp_path / "music" / "broken.mp3").write_text("not audio at all")
    open_and_wait(qtbot, window, tmp_path / "music")
    dialog = ProblemsDialog(window.session.cache, window.folder, window, on_retry=window.rescan)
    qtbot.addWidget(dialog)
    assert dialog.tree.topLevelItemCount() == 1
    assert dialog.tree.topLevelItem(0).text(0).endswith("broken.mp3")
    assert "can't sync" in dialog.tree.topLevelItem(0).text(1)
    (tmp_path / "music" / "broken.mp3").unlink()
    with qtbot.waitSignal(window.session.finished, timeout=60_000):
        qtbot.mouseClick(dialog.retry_button, Qt.LeftButton)
    assert ProblemsDialog(window.session.cache, window.folder).tree.topLevelItemCount() == 0


def test_cached_map_opens_without_rescan_then_refreshes(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    before = window.data.xy.copy()
    ids = [t.id for t in window.data.tracks]
    make_track(tmp_path / "music" / "New", "new one", "flac", seconds=4, style=2, seed=9)
    make_track(tmp_path / "music" / "New", "new two", "mp3", seconds=4, style=0, seed=9)
    open_and_wait(qtbot, window, tmp_path / "music", rescan=False)
    assert len(window.data) == 34
    after = {t.id: window.data.xy[i] for i, t in enumerate(window.data.tracks)}
    # The stable map: old points keep their place when tracks are added.
    assert np.allclose(np.array([after[i] for i in ids]), before)


def test_event_loop_stays_responsive_during_a_scan(qtbot, window, tmp_path):
    for i in range(400):  # many small files: a scan long enough to measure
        make_track(tmp_path / "big" / f"a{i // 50}", f"t{i}", "wav", seconds=0.5, seed=i)
    drift = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        drift.append(now - last[0] - 0.01)
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    open_and_wait(qtbot, window, tmp_path / "big", timeout=300_000)
    timer.stop()
    assert len(drift) > 50
    assert np.percentile(drift, 95) < 0.100


def test_cancel_button_stops_a_scan_and_keeps_what_was_done(qtbot, window, tmp_path):
    for i in range(300):
        make_track(tmp_path / "big" / f"a{i // 50}", f"t{i}", "wav", seconds=0.5, seed=i)
    with qtbot.waitSignal(window.session.progress, timeout=60_000,
                          check_params_cb=lambda p: p.phase in ("read", "embed")):
        window.open_library(str(tmp_path / "big"))
    assert window.cancel_button.isEnabled()
    with qtbot.waitSignal(window.session.finished, timeout=60_000) as done:
        qtbot.mouseClick(window.cancel_button, Qt.LeftButton)
    assert done.args == [True]
    assert "Cancelled" in window.status_label.text() and not window.cancel_button.isEnabled()


def test_next_similar_plays_the_nearest_unplayed_track(qtbot, window, tmp_path):
    from musicmap_desktop.core.similarity import most_similar

    open_and_wait(qtbot, window, tmp_path / "music")
    mv = window.map_view
    qtbot.mouseClick(mv.canvas, Qt.LeftButton, pos=mv.point_to_widget(5))
    nearest = most_similar(window.data.vectors, 5, k=1)[0][0]
    with qtbot.waitSignal(window.player.track_started, timeout=10_000) as started:
        qtbot.mouseClick(window.now_bar.next_button, Qt.LeftButton)
    assert started.args == [window.data.tracks[nearest].path] or window.player.source() == window.data.tracks[nearest].path


def test_cluster_count_is_adjustable(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    window.k_spin.setValue(3)
    with qtbot.waitSignal(window.session.finished, timeout=120_000):
        window.k_spin.editingFinished.emit()
    assert len(window.data.cluster_names) == 3 and len(window.legend.labels()) == 3


def test_enter_in_search_centres_the_first_match(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    qtbot.keyClicks(window.search, "Song 4.2")
    with qtbot.waitSignal(window.search.activated, timeout=5000) as got:
        qtbot.keyClick(window.search, Qt.Key_Return)
    (x0, x1), (y0, y1) = window.map_view.view_box.viewRange()
    x, y = window.data.xy[got.args[0]]
    assert abs((x0 + x1) / 2 - x) < 1e-6 and abs((y0 + y1) / 2 - y) < 1e-6


def test_window_geometry_and_view_settings_are_remembered(qtbot, tmp_path, library):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    first = make_window(str(tmp_path / "c.db"), settings, device="cpu")
    qtbot.addWidget(first)
    first.show()
    first.resize(700, 500)  # within the offscreen screen, which restoreGeometry clamps to
    first.color_mode.setCurrentIndex(first.color_mode.findData("album"))
    first.close()
    again = make_window(str(tmp_path / "c.db"), settings, device="cpu")
    qtbot.addWidget(again)
    assert again.color_mode.currentData() == "album"
    assert (again.width(), again.height()) == (700, 500)


def test_colour_mode_is_saved_by_name_and_an_old_position_is_read_once(qtbot, tmp_path):
    from musicmap_desktop.gui.colors import COLOR_MODES

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    settings.setValue("view/color_mode", 4)  # how 0.1.0 saved "Year": its position in the toolbar
    window = make_window(str(tmp_path / "c.db"), settings, device="cpu")
    qtbot.addWidget(window)
    assert [window.color_mode.itemData(i) for i in range(window.color_mode.count())] == \
        [m.name for m in COLOR_MODES]  # the toolbar lists the registry, in its order
    assert window.color_mode.currentData() == "year" and settings.value("view/color_mode") == "year"
    window.color_mode.setCurrentIndex(window.color_mode.findData("genre"))
    window.close()
    settings.sync()
    assert QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat).value("view/color_mode") == "genre"


def test_switching_to_a_retrained_model_morphs_the_map(qtbot, window, tmp_path):
    """Library → Track vectors lists a model retrained meanwhile; choosing it moves the points
    from their old places to the new layout instead of drawing a new random map."""
    import torch

    from musicmap_desktop.core import album_models
    from musicmap_desktop.core.mapdata import start_positions
    from musicmap_desktop.core.store import ids
    from musicmap_desktop.model import album
    from musicmap_desktop.system.paths import models_dir

    open_and_wait(qtbot, window, tmp_path / "music")
    before = window.data
    torch.manual_seed(0)
    model = album.AlbumModel().eval()
    os.makedirs(models_dir(), exist_ok=True)
    tmp = os.path.join(models_dir(), "incoming.safetensors")
    album.save(model, tmp, model.config)
    model_id = ids.album_model_id(tmp)
    path = os.path.join(models_dir(), f"{model_id}.safetensors")
    os.replace(tmp, path)
    album_models.write_record(path, {"id": model_id, "backbone_id": ids.backbone_id("msd_musicnn")})

    frames = []
    show = window.map_view._show_positions
    window.map_view._show_positions = lambda xy: (frames.append(np.array(xy)), show(xy))
    window.vectors_menu.popup(window.mapToGlobal(window.rect().center()))
    action = next(a for a in window.vectors_menu.actions() if model_id in a.text())
    with qtbot.waitSignal(window.session.finished, timeout=60_000):
        action.trigger()
    window.vectors_menu.close()
    anim = window.map_view._morph
    if anim.state() == anim.State.Running:
        with qtbot.waitSignal(anim.finished, timeout=5000):
            pass
    assert window.data.model_id.startswith(model_id + ":")
    assert window.settings.value("model/choice") == model_id
    np.testing.assert_allclose(frames[0], start_positions(before, window.data))
    np.testing.assert_allclose(frames[-1], window.data.xy)
    assert len(frames) >= 3  # in between, points were on their way
    np.testing.assert_allclose(window.map_view._xy, window.data.xy)
