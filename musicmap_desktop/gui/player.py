"""Playback: a thin Player around QMediaPlayer, and the now-playing bar that drives it.

Qt's FFmpeg backend threads call back into the Python-wrapped player objects (taking the GIL),
while play/pause/stop wait on those threads: called straight from Python, which holds the GIL,
they deadlocked now and then (PySide6 6.12 releases the GIL only for setSource). So every control
goes through QMetaObject.invokeMethod, which runs the C++ slot at once with the GIL released.
Everything here reacts to the player's signals; nothing polls it.
"""
from __future__ import annotations

import os

from PySide6.QtCore import Q_ARG, QMetaObject, QObject, Qt, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QStyle, QWidget

from ..core.text import format_duration

PlaybackState = QMediaPlayer.PlaybackState


def mmss(ms: int) -> str:
    """Milliseconds as m:ss, counting whole seconds elapsed (a player never rounds up)."""
    return format_duration(max(0, int(ms)) // 1000)


def _call(obj: QObject, slot: str, *args) -> None:
    """Call a Qt slot of ``obj`` now, without holding the GIL (see the module note)."""
    QMetaObject.invokeMethod(obj, slot, Qt.DirectConnection, *args)


class Player(QObject):
    """Plays one file at a time. Problems arrive as ``error(str)``; nothing here raises."""

    track_started = Signal(str)  # path, once playback of a newly requested file begins
    track_finished = Signal(str)  # path, played to its end (EndOfMedia): a queue moves on
    state_changed = Signal(QMediaPlayer.PlaybackState)
    position_changed = Signal("qlonglong")  # ms; qint64 like QMediaPlayer, so it can be relayed
    duration_changed = Signal("qlonglong")  # ms
    error = Signal(str)

    def __init__(self, parent: QObject | None = None, volume: float = 0.8) -> None:
        super().__init__(parent)
        self.media = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.media.setAudioOutput(self.audio)  # before playback starts: no backend threads yet
        self.audio.setVolume(min(1.0, max(0.0, float(volume))))
        self._path = ""
        self._starting = False  # a new file was requested and has not started yet
        self.media.playbackStateChanged.connect(self._on_state)
        self.media.positionChanged.connect(self.position_changed)
        self.media.durationChanged.connect(self.duration_changed)
        self.media.errorOccurred.connect(self._on_error)
        self.media.mediaStatusChanged.connect(self._on_media_status)

    def play(self, path: str) -> None:
        """Play ``path`` from the start (also when it is the current file)."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            self.error.emit(f"File not found: {path}")
            return
        url = QUrl.fromLocalFile(os.path.abspath(path))
        if url == self.media.source() and self.state() != PlaybackState.StoppedState:
            self.seek(0)  # setSource ignores the same URL: restart it by hand
            _call(self.media, "play")
            self.track_started.emit(path)
            return
        self._path, self._starting = path, True
        _call(self.media, "setSource", Q_ARG(QUrl, url))
        _call(self.media, "play")

    def toggle(self) -> None:
        """Pause when playing; otherwise resume (or restart) the current file."""
        if self.media.playbackState() == PlaybackState.PlayingState:
            _call(self.media, "pause")
        elif self._path:
            _call(self.media, "play")

    def stop(self) -> None:
        _call(self.media, "stop")

    def seek(self, ms: int) -> None:
        _call(self.media, "setPosition", Q_ARG("qint64", max(0, int(ms))))

    def set_volume(self, volume: float) -> None:
        _call(self.audio, "setVolume", Q_ARG("float", min(1.0, max(0.0, float(volume)))))

    def volume(self) -> float:
        return self.audio.volume()

    def source(self) -> str:
        """The path of the current file ("" when none)."""
        return self.media.source().toLocalFile()

    def state(self) -> QMediaPlayer.PlaybackState:
        return self.media.playbackState()

    def position(self) -> int:
        return self.media.position()

    def duration(self) -> int:
        return self.media.duration()

    def _on_state(self, state: QMediaPlayer.PlaybackState) -> None:
        if state == PlaybackState.PlayingState and self._starting:
            self._starting = False
            self.track_started.emit(self._path)
        self.state_changed.emit(state)

    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia and self._path:
            self.track_finished.emit(self._path)

    def _on_error(self, err: QMediaPlayer.Error, text: str) -> None:
        if err == QMediaPlayer.Error.NoError:
            return
        self._starting = False
        name = os.path.basename(self._path) or "playback"
        self.error.emit(f"Cannot play {name}: {text or err.name}")


class NowPlayingBar(QWidget):
    """Previous, play/pause, next, title, seek, time, volume and "Next similar". The window sets
    Space to ``toggle``; previous and next go through the queue (the window's Playback)."""

    next_similar_requested = Signal()
    previous_requested = Signal()
    next_requested = Signal()

    def __init__(self, player: Player, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        self._duration_ms = 0
        self.title = QLabel("Nothing playing")
        self.title.setTextFormat(Qt.PlainText)
        self.play_button = QPushButton()
        self.play_button.setToolTip("Play / pause (Space)")
        self.previous_button, self.next_track_button = QPushButton(), QPushButton()
        for button, icon, tip in ((self.previous_button, QStyle.SP_MediaSkipBackward, "Previous in the queue"),
                                  (self.next_track_button, QStyle.SP_MediaSkipForward,
                                   "Next in the queue (at its end: the nearest track not played yet)")):
            button.setIcon(self.style().standardIcon(icon))
            button.setToolTip(tip)
        self.seek_slider = QSlider(Qt.Horizontal)
        self.seek_slider.setRange(0, 0)
        self.time_label = QLabel(self._times(0))
        self.volume_slider = QSlider(Qt.Horizontal)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(round(player.volume() * 100))
        self.volume_slider.setMaximumWidth(100)
        self.volume_slider.setToolTip("Volume")
        self.next_button = QPushButton("Next similar")
        self._layout()
        self._connect()
        self._show_state(player.state())

    def _layout(self) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.addWidget(self.previous_button)
        row.addWidget(self.play_button)
        row.addWidget(self.next_track_button)
        row.addWidget(self.title, 2)
        row.addWidget(self.seek_slider, 3)
        row.addWidget(self.time_label)
        row.addWidget(self.volume_slider)
        row.addWidget(self.next_button)

    def _connect(self) -> None:
        p = self.player
        self.play_button.clicked.connect(self.toggle)
        self.next_button.clicked.connect(self.next_similar_requested)
        self.previous_button.clicked.connect(self.previous_requested)
        self.next_track_button.clicked.connect(self.next_requested)
        self.volume_slider.valueChanged.connect(lambda v: p.set_volume(v / 100))
        # Seek on release (or a click on the groove), so a drag is not undone by positionChanged.
        self.seek_slider.sliderReleased.connect(lambda: p.seek(self.seek_slider.value()))
        self.seek_slider.sliderMoved.connect(lambda v: self.time_label.setText(self._times(v)))
        self.seek_slider.actionTriggered.connect(self._on_slider_action)
        p.position_changed.connect(self._on_position)
        p.duration_changed.connect(self._on_duration)
        p.state_changed.connect(self._show_state)

    def set_track(self, title: str, artist: str = "", duration_s: float = 0.0) -> None:
        """What is playing (the window calls this with the track's tags)."""
        self.title.setText(f"{title} — {artist}" if artist else title)
        self.title.setToolTip(self.title.text())
        if duration_s:  # until the player reports the real duration
            self._on_duration(int(duration_s * 1000))

    def toggle(self) -> None:
        self.player.toggle()

    def _on_position(self, ms: int) -> None:
        if self.seek_slider.isSliderDown():
            return  # the user is dragging: their thumb position wins
        self.seek_slider.blockSignals(True)
        self.seek_slider.setValue(ms)
        self.seek_slider.blockSignals(False)
        self.time_label.setText(self._times(ms))

    def _on_duration(self, ms: int) -> None:
        self._duration_ms = max(0, ms)
        self.seek_slider.setRange(0, self._duration_ms)
        self.time_label.setText(self._times(self.seek_slider.value()))

    def _on_slider_action(self, action: int) -> None:
        if action != QSlider.SliderAction.SliderMove.value:  # page step or click on the groove
            self.player.seek(self.seek_slider.sliderPosition())

    def _show_state(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == PlaybackState.PlayingState
        icon = QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        if state == PlaybackState.StoppedState:
            self._on_position(0)

    def _times(self, ms: int) -> str:
        return f"{mmss(ms)} / {mmss(self._duration_ms)}"
