"""The explorer window, driven like a user: open a library, watch the map appear, click to play."""
import os
import time

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtMultimedia import QMediaPlayer

from audio_factory import make_track
from window_driver import answer_file_dialog, choose, click_action, click_point, open_and_wait
from musicmap_desktop.app import make_window


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
    assert window.panel.similar.topLevelItemCount() == 10
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
    assert not window.tag_choice.isVisible()
    window.color_mode.setFocus()
    while window.color_mode.currentData() != "tag":  # the keyboard, as a user picks from the box
        qtbot.keyClick(window.color_mode, Qt.Key_Down)
    qtbot.waitUntil(window.tag_choice.isVisible, timeout=3000)  # the tag chooser comes with the mode
    assert window.map_view.coloring.mode == "tag" and window.map_view.coloring.tag == window.data.tag_names[0]
    window.tag_choice.setFocus()
    for _ in range(3):
        qtbot.keyClick(window.tag_choice, Qt.Key_Down)
    assert window.map_view.coloring.tag == window.data.tag_names[3] == window.tag_choice.currentText()
    assert window.legend.title.text()  # the legend says which tag
    qtbot.keyClick(window.color_mode, Qt.Key_Home)
    qtbot.waitUntil(lambda: not window.tag_choice.isVisible(), timeout=3000)


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
    assert window.play_status.text() == f"{len(picked)} tracks selected"
    (tmp_path / "out").mkdir()
    choose(qtbot, window, "Playlist", "Export M3U", "Selection…")
    title = answer_file_dialog(qtbot, str(tmp_path / "out" / "sel"))  # no suffix: .m3u8 is added
    assert title == "Export playlist (M3U)"
    out = tmp_path / "out" / "sel.m3u8"
    assert [l for l in out.read_text(encoding="utf-8").splitlines() if l.startswith("/")] == \
        [window.data.tracks[i].path for i in got.args[0]]
    assert window.play_status.text().startswith(f"{len(picked)} tracks selected") is False
    assert "Saved" in window.play_status.text()


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
    shown = window.data.tracks[6]
    click_point(qtbot, window.map_view, 6)  # its most similar, from the old vectors
    old_scores = [window.panel.similar.topLevelItem(k).text(1) for k in range(10)]
    label = next(label for label, choice in window.session.vector_models.choices() if choice == model_id)
    with qtbot.waitSignal(window.session.finished, timeout=60_000):
        choose(qtbot, window, "Library", "Track vectors", label)
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
    # The side panel still shows the same track, and its most similar come from the new vectors.
    from musicmap_desktop.core.similarity import most_similar

    row = next(i for i, t in enumerate(window.data.tracks) if t.id == shown.id)
    assert window.panel.labels["title"].text() == shown.title
    expected = [f"{window.data.tracks[j].title} — {window.data.tracks[j].artist}"
                for j, _ in most_similar(window.data.vectors, row, k=10)]
    assert [window.panel.similar.topLevelItem(k).text(0) for k in range(10)] == expected
    after = [window.panel.similar.topLevelItem(k).text(1) for k in range(10)]
    assert after == [f"{s:.2f}" for _, s in most_similar(window.data.vectors, row, k=10)] and after != old_scores


def test_first_launch_is_the_welcome_view_alone(qtbot, window, tmp_path):
    assert window.stack.currentWidget() is window.welcome
    assert not window.toolbar.isVisible() and not window.search.isVisible()
    assert [d.isVisible() for d in window.docks] == [False] * 4  # now playing, side panel, legend, queue
    assert not window.playlists.more_box.isVisible()
    open_and_wait(qtbot, window, tmp_path / "music")
    assert window.toolbar.isVisible() and window.search.isVisible()
    assert all(d.isVisible() for d in window.docks)


def test_a_closed_panel_comes_back_from_the_view_menu_and_stays_closed_next_time(qtbot, window, tmp_path, library):
    from PySide6.QtWidgets import QAbstractButton

    open_and_wait(qtbot, window, tmp_path / "music")
    queue_dock = next(d for d in window.docks if d.objectName() == "Queue")
    close = queue_dock.findChild(QAbstractButton, "qt_dockwidget_closebutton")
    qtbot.mouseClick(close, Qt.LeftButton)
    assert not queue_dock.isVisible()
    texts = [a.text() for a in window.view_menu.actions()]
    for name in ("Now playing", "Library and track", "Legend", "Queue", "Show labels", "Show true neighbours"):
        assert name in texts, texts
    choose(qtbot, window, "View", "Queue")
    assert queue_dock.isVisible()
    choose(qtbot, window, "View", "Legend")  # closed from the menu this time
    window.close()
    again = make_window(str(tmp_path / "cache.db"), window.settings, device="cpu")
    qtbot.addWidget(again)
    again.show()
    assert not any(d.isVisible() for d in again.docks)  # the welcome view first
    open_and_wait(qtbot, again, tmp_path / "music")
    assert {d.objectName(): d.isVisible() for d in again.docks} == \
        {"Now playing": True, "Track": True, "Legend": False, "Queue": True}
    again.session.wait()


def test_ctrl_q_quits(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    qtbot.keyClick(window.map_view.canvas, Qt.Key_Q, Qt.ControlModifier)
    assert not window.isVisible()


def test_library_quit_closes_the_window(qtbot, window):
    choose(qtbot, window, "Library", "Quit")
    assert not window.isVisible()


def test_the_title_names_the_folder_once_and_qt_adds_the_app(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QApplication

    assert window.windowTitle() == QApplication.applicationDisplayName() or window.windowTitle() == "musicmap"
    open_and_wait(qtbot, window, tmp_path / "music")
    assert window.windowTitle() == str(tmp_path / "music")  # shown as "…/music — musicmap"


def test_search_enter_marks_each_match_in_turn(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    qtbot.keyClicks(window.search, "Song 2.")
    songs = sorted(i for i, t in enumerate(window.data.tracks) if t.title.startswith("Song 2."))
    seen = []
    for k in range(3):
        with qtbot.waitSignal(window.search.activated, timeout=5000) as got:
            qtbot.keyClick(window.search, Qt.Key_Return)
        row = got.args[0]
        seen.append(row)
        assert window.status_label.text().startswith(f"Match {k + 1} of 8: {window.data.tracks[row].title}")
        assert window.panel.labels["title"].text() == window.data.tracks[row].title  # shown in the panel
        (x0, x1), (y0, y1) = window.map_view.view_box.viewRange()
        assert abs((x0 + x1) / 2 - window.data.xy[row][0]) < 1e-6
    assert seen == songs[:3]
    qtbot.keyClick(window.search, Qt.Key_Escape)  # the first Escape empties the box
    assert window.search.text() == ""


def test_enter_on_the_map_plays_the_current_track(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    click_action(qtbot, window.toolbar, window.playlists.path_mode)  # a click chooses without playing
    click_point(qtbot, window.map_view, 11)
    path = window.data.tracks[11].path
    with qtbot.waitSignal(window.player.track_started, timeout=10_000, check_params_cb=lambda p: p == path):
        qtbot.keyClick(window.map_view.canvas, Qt.Key_Return)


def test_space_pauses_and_resumes(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    with qtbot.waitSignal(window.player.state_changed, timeout=10_000,
                          check_params_cb=lambda s: s == QMediaPlayer.PlaybackState.PlayingState):
        click_point(qtbot, window.map_view, 3)
    with qtbot.waitSignal(window.player.state_changed, timeout=5000,
                          check_params_cb=lambda s: s == QMediaPlayer.PlaybackState.PausedState):
        qtbot.keyClick(window.map_view.canvas, Qt.Key_Space)


def test_opening_a_known_library_draws_the_cached_map_before_rescanning(qtbot, window, tmp_path):
    from musicmap_desktop.core.jobs import Phase

    open_and_wait(qtbot, window, tmp_path / "music")  # now the cache knows this folder
    order = []
    window.session.progress.connect(lambda p: order.append(p.phase))
    window.session.map_ready.connect(lambda data, provisional: order.append("map"))
    with qtbot.waitSignal(window.session.finished, timeout=60_000):
        window.open_library(str(tmp_path / "music"))  # as gui.launch does with a folder argument
    assert order[0] == Phase.LOAD and "map" in order and Phase.WALK not in order
    with qtbot.waitSignal(window.session.finished, timeout=60_000):  # then the rescan behind it
        pass
    assert {Phase.WALK, Phase.READ} & set(order[order.index("map"):])


def test_menus_say_plain_words(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, tmp_path / "music")
    choose(qtbot, window, "Library", "Track vectors")
    labels = [a.text() for a in window.vectors_menu.actions()]
    assert "Musicnn mean and max (untrained)" in labels
    assert not any("‖" in text or "||" in text for text in labels)
    qtbot.keyClick(window.vectors_menu, Qt.Key_Escape)
