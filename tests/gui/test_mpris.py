"""MPRIS2 on a session bus started for the test: D-Bus calls drive the player, clients see
the title with MPRIS's exact types (checked with dbus-send's typed output and playerctl)."""
import os
import shutil
import subprocess

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtDBus import QDBusConnection
from PySide6.QtMultimedia import QMediaPlayer

from audio_factory import make_track
from musicmap_desktop.gui.mpris import NO_TRACK, PATH, PLAYER_IFACE, PROPS_IFACE, SERVICE, MprisService, TrackMeta

pytestmark = [pytest.mark.no_qt_log,
              pytest.mark.skipif(shutil.which("dbus-daemon") is None or shutil.which("dbus-send") is None,
                                 reason="needs dbus-daemon and dbus-send (Debian: dbus)")]
S = QMediaPlayer.PlaybackState


@pytest.fixture(scope="module")
def bus_address():
    out = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                         capture_output=True, text=True, check=True).stdout.split()
    yield out[0]
    os.kill(int(out[1]), 15)


_count = [0]


@pytest.fixture
def bus(qapp, bus_address):
    _count[0] += 1
    name = f"mpris-test-{_count[0]}"
    conn = QDBusConnection.connectToBus(bus_address, name)
    assert conn.isConnected()
    yield conn
    QDBusConnection.disconnectFromBus(name)


class FakePlayer(QObject):
    state_changed = Signal(object)

    def __init__(self):
        super().__init__()
        self._state, self.pos, self.vol, self.calls = S.StoppedState, 0, 0.8, []

    def _set(self, state):
        self._state = state
        self.state_changed.emit(state)

    def toggle(self):
        self.calls.append("toggle")
        self._set(S.PausedState if self._state == S.PlayingState else S.PlayingState)

    def stop(self):
        self.calls.append("stop")
        self._set(S.StoppedState)

    def seek(self, ms):
        self.calls.append(("seek", ms))
        self.pos = ms

    def position(self):
        return self.pos

    def state(self):
        return self._state

    def volume(self):
        return self.vol

    def set_volume(self, v):
        self.vol = v


def client(qtbot, address, *args, tool="dbus-send"):
    """Run a D-Bus client without blocking the event loop the service answers from."""
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
    cmd = [tool, "--session", "--print-reply", f"--dest={SERVICE}", PATH, *args] if tool == "dbus-send" else [tool, *args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10000)
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    return out


META = TrackMeta(5, "Mélodie", "Мирослав Скорик", "Карпатський концерт", 183.5, "/cache/covers/ab/ab-256.jpg",
                 "/music/a b.flac")


@pytest.fixture
def service(bus):
    player = FakePlayer()
    events = []
    svc = MprisService(player, bus, on_next=lambda: events.append("next"), on_previous=lambda: events.append("prev"),
                       on_raise=lambda: events.append("raise"))
    assert svc.register() and svc.service_name == SERVICE
    yield svc, player, events
    svc.unregister()


def test_metadata_has_the_title_and_mpris_types(qtbot, bus_address, service):
    svc, _, _ = service
    out = client(qtbot, bus_address, f"{PROPS_IFACE}.Get", f"string:{PLAYER_IFACE}", "string:Metadata")
    assert f'object path "{NO_TRACK}"' in out
    svc.set_track(META)
    out = client(qtbot, bus_address, f"{PROPS_IFACE}.Get", f"string:{PLAYER_IFACE}", "string:Metadata")
    assert 'string "xesam:title"' in out and 'string "Mélodie"' in out
    assert "int64 183500000" in out  # mpris:length: int64, even below 2^31 µs
    assert 'object path "/org/musicmap_desktop/track/5"' in out
    assert 'string "file:///cache/covers/ab/ab-256.jpg"' in out and 'string "Мирослав Скорик"' in out
    out = client(qtbot, bus_address, f"{PROPS_IFACE}.GetAll", f"string:{PLAYER_IFACE}")
    assert 'string "Mélodie"' in out and 'string "PlaybackStatus"' in out and "boolean true" in out
    out = client(qtbot, bus_address, f"{PROPS_IFACE}.Get", "string:org.mpris.MediaPlayer2", "string:Identity")
    assert 'string "musicmap"' in out


def test_method_calls_drive_the_player_and_the_callbacks(qtbot, bus_address, service):
    svc, player, events = service
    svc.set_track(META)
    client(qtbot, bus_address, f"{PLAYER_IFACE}.PlayPause")
    assert player.state() == S.PlayingState
    client(qtbot, bus_address, f"{PLAYER_IFACE}.Play")  # already playing: stays so
    client(qtbot, bus_address, f"{PLAYER_IFACE}.Pause")
    client(qtbot, bus_address, f"{PLAYER_IFACE}.Pause")
    assert player.calls == ["toggle", "toggle"] and player.state() == S.PausedState
    out = client(qtbot, bus_address, f"{PROPS_IFACE}.Get", f"string:{PLAYER_IFACE}", "string:PlaybackStatus")
    assert 'string "Paused"' in out
    client(qtbot, bus_address, f"{PLAYER_IFACE}.Next")
    client(qtbot, bus_address, f"{PLAYER_IFACE}.Previous")
    client(qtbot, bus_address, "org.mpris.MediaPlayer2.Raise")
    assert events == ["next", "prev", "raise"]
    client(qtbot, bus_address, f"{PLAYER_IFACE}.SetPosition", "objpath:/org/musicmap_desktop/track/5", "int64:42000000")
    client(qtbot, bus_address, f"{PLAYER_IFACE}.Seek", "int64:-2000000")
    assert player.calls[-2:] == [("seek", 42000), ("seek", 40000)]
    out = client(qtbot, bus_address, f"{PROPS_IFACE}.Get", f"string:{PLAYER_IFACE}", "string:Position")
    assert "int64 40000000" in out
    client(qtbot, bus_address, f"{PROPS_IFACE}.Set", f"string:{PLAYER_IFACE}", "string:Volume", "variant:double:0.25")
    assert player.vol == pytest.approx(0.25)
    client(qtbot, bus_address, f"{PLAYER_IFACE}.Stop")
    assert player.state() == S.StoppedState


def test_properties_changed_announces_state_and_track(qtbot, bus_address, service, tmp_path):
    svc, player, _ = service
    log = tmp_path / "monitor.txt"
    with open(log, "w") as out:
        monitor = subprocess.Popen(["dbus-monitor", "--address", bus_address,
                                    f"type='signal',interface='{PROPS_IFACE}',member='PropertiesChanged'"],
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        qtbot.waitUntil(lambda: "NameAcquired" in log.read_text(), timeout=5000)  # listening
        svc.set_track(META)
        player.toggle()
        qtbot.waitUntil(lambda: 'string "Playing"' in log.read_text(), timeout=5000)
    finally:
        monitor.terminate()
        monitor.wait()
    text = log.read_text()
    first, second = text.split("member=PropertiesChanged")[1:3]
    assert f'string "{PLAYER_IFACE}"' in first and 'string "Metadata"' in first
    assert "int64 183500000" in first and 'string "Mélodie"' in first
    assert 'string "PlaybackStatus"' in second and 'string "Playing"' in second and "Metadata" not in second


@pytest.mark.skipif(shutil.which("playerctl") is None, reason="playerctl not installed")
def test_playerctl_sees_the_title_and_toggles(qtbot, bus_address, service):
    svc, player, _ = service
    svc.set_track(META)
    out = client(qtbot, bus_address, "-p", "musicmap_desktop", "metadata", "--format",
                 "{{title}}|{{artist}}|{{album}}|{{duration(mpris:length)}}", tool="playerctl")
    assert out.strip() == "Mélodie|Мирослав Скорик|Карпатський концерт|3:03"
    client(qtbot, bus_address, "-p", "musicmap_desktop", "play-pause", tool="playerctl")
    assert player.state() == S.PlayingState


@pytest.fixture(scope="module")
def real_player(qapp):
    from musicmap_desktop.gui.player import Player

    return Player()  # one per module, as in test_player: creating many hung now and then


def test_a_dbus_call_toggles_real_playback(qtbot, bus_address, bus, real_player, tmp_path):
    path = str(make_track(tmp_path, "ten", "wav", seconds=10.0))
    svc = MprisService(real_player, bus)
    assert svc.register()
    try:
        with qtbot.waitSignal(real_player.state_changed, timeout=10000, check_params_cb=lambda s: s == S.PlayingState):
            real_player.play(path)
        svc.set_track(TrackMeta(1, "Ten", "Synth", seconds=10.0, path=path))
        with qtbot.waitSignal(real_player.state_changed, timeout=10000, check_params_cb=lambda s: s == S.PausedState):
            env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus_address)
            proc = subprocess.Popen(["dbus-send", "--session", "--print-reply", f"--dest={SERVICE}", PATH,
                                     f"{PLAYER_IFACE}.PlayPause"], env=env, stdout=subprocess.PIPE)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10000)
        assert proc.returncode == 0
        out = client(qtbot, bus_address, f"{PROPS_IFACE}.Get", f"string:{PLAYER_IFACE}", "string:Metadata")
        assert 'string "Ten"' in out and "int64 10000000" in out
    finally:
        svc.unregister()
        if real_player.state() != S.StoppedState:
            with qtbot.waitSignal(real_player.state_changed, timeout=5000):
                real_player.stop()


def test_the_window_announces_each_track_with_its_cover_and_next_goes_through_the_queue(
        qtbot, bus_address, bus, tmp_path, library, monkeypatch):
    """app.py registers the service for the window: a D-Bus Next plays the queue's next track."""
    from PIL import Image
    from PySide6.QtCore import QSettings

    from musicmap_desktop.app import make_window
    from window_driver import box_select, click_action, open_and_wait

    shutil.copytree(library / "music", tmp_path / "music")
    shutil.copy(library / "cache.db", tmp_path / "cache.db")
    for folder in (tmp_path / "music").glob("*/*"):
        Image.new("RGB", (300, 300), (20, 90, 200)).save(folder / "folder.png")
    w = make_window(str(tmp_path / "cache.db"), QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat),
                    device="cpu", bus=bus)
    qtbot.addWidget(w)
    w.resize(1200, 800)
    w.show()
    try:
        assert w.mpris is not None and w.mpris.service_name == SERVICE
        with qtbot.waitSignal(w.session.covers_done, timeout=60_000):
            open_and_wait(qtbot, w, tmp_path / "music")
        picked = box_select(qtbot, w, range(len(w.data)))
        first, second = (w.data.tracks[r] for r in picked[:2])
        with qtbot.waitSignal(w.player.track_started, timeout=15_000, check_params_cb=lambda p: p == first.path):
            click_action(qtbot, w.toolbar, w.playlists.play_selection)
        out = client(qtbot, bus_address, f"{PROPS_IFACE}.Get", f"string:{PLAYER_IFACE}", "string:Metadata")
        assert f'string "{first.title}"' in out and f'string "{first.artist}"' in out
        art = w.covers(first.path)
        assert art and f'string "file://{art}"' in out  # the cached thumbnail, never the music folder
        with qtbot.waitSignal(w.player.track_started, timeout=15_000, check_params_cb=lambda p: p == second.path):
            env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus_address)
            proc = subprocess.Popen(["dbus-send", "--session", "--print-reply", f"--dest={SERVICE}", PATH,
                                     f"{PLAYER_IFACE}.Next"], env=env, stdout=subprocess.PIPE)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=10_000)
        assert w.playback.queue.current == 1
        out = client(qtbot, bus_address, f"{PROPS_IFACE}.Get", f"string:{PLAYER_IFACE}", "string:Metadata")
        assert f'string "{second.title}"' in out
    finally:
        w.close()
    assert w.mpris.service_name == ""  # closing the window leaves the bus
