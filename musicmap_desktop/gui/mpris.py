"""MPRIS2 on the session bus (Linux): media keys, the desktop's media widgets and ``playerctl``
see what plays and control it.

Exports org.mpris.MediaPlayer2 and org.mpris.MediaPlayer2.Player at /org/mpris/MediaPlayer2
under the name org.mpris.MediaPlayer2.musicmap_desktop (…instance<pid> when that is taken),
driving the app's Player (gui/player.py) through the few calls ``MprisTarget`` lists;
Next/Previous/Raise/Quit are callbacks, since the queue and the window own them.

Typing, the one subtle part: MPRIS wants ``mpris:length`` as int64 ('x') and the track id as
an object path inside the a{sv} Metadata, but PySide turns a small Python int into int32 and
cannot write an int64 into a QDBusArgument. So the metadata is built by a tiny helper object
whose properties are declared with the exact types ("qlonglong", QDBusObjectPath, …) and read
back with a local Properties.GetAll call: Qt marshals them, and the returned QDBusArgument
(a{sv}) is handed out as is — by Get (a property of type QDBusArgument), by our own GetAll
(Qt's skips properties of that type) and in PropertiesChanged.

How the app uses it (app.py / the window, phase 2): ``MprisService(player, on_next=…,
on_previous=…, on_raise=window.raise_, on_quit=window.close).register()`` once; on every
track start ``service.set_track(TrackMeta(id, title, artist, album, seconds, thumbnail))``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Protocol

from PySide6.QtCore import ClassInfo, Property, QObject, QUrl, Signal, Slot
from PySide6.QtDBus import QDBusAbstractAdaptor, QDBusConnection, QDBusMessage, QDBusObjectPath, QDBusVariant
from PySide6.QtMultimedia import QMediaPlayer

SERVICE = "org.mpris.MediaPlayer2.musicmap_desktop"
PATH = "/org/mpris/MediaPlayer2"
ROOT_IFACE = "org.mpris.MediaPlayer2"
PLAYER_IFACE = "org.mpris.MediaPlayer2.Player"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
NO_TRACK = "/org/mpris/MediaPlayer2/TrackList/NoTrack"
_META_PATH = "/org/musicmap_desktop/MprisMetadata"
_META_IFACE = "org.musicmap_desktop.MprisMetadata"
_STATUS = {QMediaPlayer.PlaybackState.PlayingState: "Playing",
           QMediaPlayer.PlaybackState.PausedState: "Paused",
           QMediaPlayer.PlaybackState.StoppedState: "Stopped"}


class MprisTarget(Protocol):
    """What the service needs of the player; gui.player.Player has all of it."""

    state_changed: Signal

    def toggle(self) -> None: ...
    def stop(self) -> None: ...
    def seek(self, ms: int) -> None: ...
    def position(self) -> int: ...
    def state(self) -> QMediaPlayer.PlaybackState: ...
    def volume(self) -> float: ...
    def set_volume(self, volume: float) -> None: ...


@dataclass(frozen=True)
class TrackMeta:
    track_id: int  # TrackView.id
    title: str
    artist: str = ""
    album: str = ""
    seconds: float = 0.0
    art_path: str | None = None  # a cached thumbnail (thumbnails.CoverCache), never the music folder
    path: str | None = None  # the file, as xesam:url


def _metadata_adaptor(fields: dict):
    """An adaptor class whose properties are exactly ``fields`` {name: (qt type, value)}."""
    attrs = {"__init__": lambda self, parent: QDBusAbstractAdaptor.__init__(self, parent)}
    for name, (qt_type, value) in fields.items():
        attrs[name] = Property(qt_type, lambda self, v=value: v)
    return ClassInfo({"D-Bus Interface": _META_IFACE})(type("_Metadata", (QDBusAbstractAdaptor,), attrs))


def _typed(bus: QDBusConnection, fields: dict, method: str, *args):
    """Properties.<method> on a helper object with exactly ``fields`` {name: (qt type, value)},
    answered locally and marshalled by Qt: the reply's first argument keeps the D-Bus types."""
    holder = QObject()
    _metadata_adaptor(fields)(holder)
    bus.registerObject(_META_PATH, holder)
    try:
        call = QDBusMessage.createMethodCall(bus.baseService(), _META_PATH, PROPS_IFACE, method)
        call.setArguments([_META_IFACE, *args])
        reply = bus.call(call)  # local: answered in place
    finally:
        bus.unregisterObject(_META_PATH)
    if reply.type() != QDBusMessage.MessageType.ReplyMessage:
        raise RuntimeError(f"building an MPRIS value failed: {reply.errorMessage()}")
    return reply.arguments()[0]


def typed_int64(bus: QDBusConnection, value: int) -> QDBusVariant:
    """A QDBusVariant holding an int64 ('x'), which PySide cannot make from a small int."""
    return _typed(bus, {"value": ("qlonglong", int(value))}, "Get", "value")


def typed_metadata(bus: QDBusConnection, meta: TrackMeta | None):
    """The a{sv} Metadata as a QDBusArgument with MPRIS's types (see the module note)."""
    fields = {"mpris:trackid": (QDBusObjectPath, QDBusObjectPath(
        NO_TRACK if meta is None else f"/org/musicmap_desktop/track/{max(0, int(meta.track_id))}"))}
    if meta is not None:
        fields["xesam:title"] = (str, meta.title)
        if meta.artist:
            fields["xesam:artist"] = ("QStringList", [meta.artist])
        if meta.album:
            fields["xesam:album"] = (str, meta.album)
        if meta.seconds and meta.seconds > 0:
            fields["mpris:length"] = ("qlonglong", int(round(meta.seconds * 1e6)))
        if meta.art_path:
            fields["mpris:artUrl"] = (str, QUrl.fromLocalFile(os.path.abspath(meta.art_path)).toString())
        if meta.path:
            fields["xesam:url"] = (str, QUrl.fromLocalFile(os.path.abspath(meta.path)).toString())
    return _typed(bus, fields, "GetAll")


@ClassInfo({"D-Bus Interface": ROOT_IFACE})
class _Root(QDBusAbstractAdaptor):
    def __init__(self, service: "MprisService") -> None:
        super().__init__(service)
        self.s = service

    Identity = Property(str, lambda self: self.s.identity)
    DesktopEntry = Property(str, lambda self: self.s.desktop_entry)
    CanQuit = Property(bool, lambda self: self.s.on_quit is not None)
    CanRaise = Property(bool, lambda self: self.s.on_raise is not None)
    HasTrackList = Property(bool, lambda self: False)
    SupportedUriSchemes = Property("QStringList", lambda self: ["file"])
    SupportedMimeTypes = Property("QStringList", lambda self: [])

    @Slot()
    def Raise(self) -> None:
        if self.s.on_raise is not None:
            self.s.on_raise()

    @Slot()
    def Quit(self) -> None:
        if self.s.on_quit is not None:
            self.s.on_quit()


@ClassInfo({"D-Bus Interface": PLAYER_IFACE})
class _Player(QDBusAbstractAdaptor):
    Seeked = Signal("qlonglong")  # relayed to D-Bus as the MPRIS Seeked signal

    def __init__(self, service: "MprisService") -> None:
        super().__init__(service)
        self.s = service
        self.setAutoRelaySignals(True)

    PlaybackStatus = Property(str, lambda self: self.s.status())
    Rate = Property(float, lambda self: 1.0)
    MinimumRate = Property(float, lambda self: 1.0)
    MaximumRate = Property(float, lambda self: 1.0)
    Volume = Property(float, lambda self: float(self.s.player.volume()),
                      lambda self, v: self.s.player.set_volume(float(v)))
    CanGoNext = Property(bool, lambda self: self.s.on_next is not None)
    CanGoPrevious = Property(bool, lambda self: self.s.on_previous is not None)
    CanPlay = Property(bool, lambda self: self.s.track is not None)
    CanPause = Property(bool, lambda self: self.s.track is not None)
    CanSeek = Property(bool, lambda self: self.s.track is not None)
    CanControl = Property(bool, lambda self: True)

    @Slot()
    def PlayPause(self) -> None:
        self.s.player.toggle()

    @Slot()
    def Play(self) -> None:
        if self.s.player.state() != QMediaPlayer.PlaybackState.PlayingState:
            self.s.player.toggle()  # resumes, or restarts the stopped current file

    @Slot()
    def Pause(self) -> None:
        if self.s.player.state() == QMediaPlayer.PlaybackState.PlayingState:
            self.s.player.toggle()

    @Slot()
    def Stop(self) -> None:
        self.s.player.stop()

    @Slot()
    def Next(self) -> None:
        if self.s.on_next is not None:
            self.s.on_next()

    @Slot()
    def Previous(self) -> None:
        if self.s.on_previous is not None:
            self.s.on_previous()

    @Slot("qlonglong")
    def Seek(self, offset_us: int) -> None:
        self.s.seek_to(self.s.player.position() + offset_us // 1000)

    @Slot(QDBusObjectPath, "qlonglong")
    def SetPosition(self, track: QDBusObjectPath, position_us: int) -> None:
        if self.s.track is not None and track.path() == self.s.track_path():
            self.s.seek_to(position_us // 1000)

    @Slot(str)
    def OpenUri(self, uri: str) -> None:
        pass  # the map chooses what plays; "file" is listed for clients that insist on one


@ClassInfo({"D-Bus Interface": PROPS_IFACE})
class _Properties(QDBusAbstractAdaptor):
    """Properties of both interfaces, answered here: Qt's own cannot hand out the typed
    Metadata (see the module note), and an adaptor for this interface replaces all of Qt's."""

    def __init__(self, service: "MprisService") -> None:
        super().__init__(service)
        self.s = service

    @Slot(str, result="QVariantMap")
    def GetAll(self, interface: str) -> dict:
        return self.s.properties(interface)

    @Slot(str, str, result="QDBusVariant")
    def Get(self, interface: str, name: str) -> QDBusVariant:
        if interface == PLAYER_IFACE and name == "Position":
            return typed_int64(self.s.bus, self.s.player.position() * 1000)
        return QDBusVariant(self.s.properties(interface).get(name, ""))

    @Slot(str, str, QDBusVariant)
    def Set(self, interface: str, name: str, value: QDBusVariant) -> None:
        if interface == PLAYER_IFACE and name == "Volume":
            self.s.player.set_volume(float(value.variant()))


class MprisService(QObject):
    def __init__(self, player: MprisTarget, connection: QDBusConnection | None = None,
                 on_next: Callable[[], None] | None = None, on_previous: Callable[[], None] | None = None,
                 on_raise: Callable[[], None] | None = None, on_quit: Callable[[], None] | None = None,
                 identity: str = "musicmap", desktop_entry: str = "musicmap-desktop") -> None:
        super().__init__()
        self.player, self.bus = player, connection if connection is not None else QDBusConnection.sessionBus()
        self.on_next, self.on_previous, self.on_raise, self.on_quit = on_next, on_previous, on_raise, on_quit
        self.identity, self.desktop_entry = identity, desktop_entry
        self.track: TrackMeta | None = None
        self.service_name = ""
        self._root, self._player, self._props = _Root(self), _Player(self), _Properties(self)
        self.metadata = typed_metadata(self.bus, None)
        player.state_changed.connect(lambda _state: self._changed(PLAYER_IFACE, ["PlaybackStatus"]))

    def register(self) -> bool:
        """Export the object and take the bus name; False when there is no session bus."""
        if not self.bus.isConnected() or not self.bus.registerObject(PATH, self):
            return False
        for name in (SERVICE, f"{SERVICE}.instance{os.getpid()}"):
            if self.bus.registerService(name):
                self.service_name = name
                return True
        self.bus.unregisterObject(PATH)
        return False

    def unregister(self) -> None:
        if self.service_name:
            self.bus.unregisterService(self.service_name)
            self.bus.unregisterObject(PATH)
            self.service_name = ""

    def set_track(self, meta: TrackMeta | None) -> None:
        """What plays now (None: nothing); announced with PropertiesChanged."""
        self.track = meta
        self.metadata = typed_metadata(self.bus, meta)
        self._changed(PLAYER_IFACE, ["Metadata", "CanPlay", "CanPause", "CanSeek"])

    def status(self) -> str:
        return _STATUS.get(self.player.state(), "Stopped")

    def track_path(self) -> str:
        return f"/org/musicmap_desktop/track/{max(0, int(self.track.track_id))}" if self.track else NO_TRACK

    def seek_to(self, ms: int) -> None:
        ms = max(0, int(ms))
        if self.track is not None and self.track.seconds and ms > self.track.seconds * 1000:
            return self._next_if_any()
        self.player.seek(ms)
        self._player.Seeked.emit(ms * 1000)

    def _next_if_any(self) -> None:  # MPRIS: seeking past the end acts like Next
        if self.on_next is not None:
            self.on_next()

    def properties(self, interface: str) -> dict:
        """Every property of ``interface`` with its D-Bus type (for GetAll and PropertiesChanged)."""
        adaptor = {ROOT_IFACE: self._root, PLAYER_IFACE: self._player}.get(interface)
        if adaptor is None:
            return {}
        names = _ROOT_PROPS if adaptor is self._root else _PLAYER_PROPS
        out = {name: getattr(adaptor, name) for name in names}
        if adaptor is self._player:
            out["Metadata"] = self.metadata  # Position: only through Get, as int64 (typed_int64)
        return out

    def _changed(self, interface: str, names: list[str]) -> None:
        if not self.service_name:
            return
        values = self.properties(interface)
        signal = QDBusMessage.createSignal(PATH, PROPS_IFACE, "PropertiesChanged")
        signal.setArguments([interface, {n: values[n] for n in names if n in values}, []])
        self.bus.send(signal)


_ROOT_PROPS = ("Identity", "DesktopEntry", "CanQuit", "CanRaise", "HasTrackList", "SupportedUriSchemes",
               "SupportedMimeTypes")
_PLAYER_PROPS = ("PlaybackStatus", "Rate", "MinimumRate", "MaximumRate", "Volume", "CanGoNext",
                 "CanGoPrevious", "CanPlay", "CanPause", "CanSeek", "CanControl")
