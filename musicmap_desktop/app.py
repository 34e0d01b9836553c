"""Composition point: builds the cache, the engine, the cover cache, the job session, settings
and MPRIS, and opens the window."""
from __future__ import annotations

import os

from .core.embed import EmbedSettings
from .core.store.db import Cache, open_db, set_aside
from .system.paths import cache_dir, default_music_dir, models_dir

COVER_PX = 256  # the thumbnail size the side panel, the map and MPRIS show


def open_checked_cache(db_path: str) -> None:
    """Before any window: a cache that cannot be used raises its CacheError (one line for the
    user); a damaged one is said in a dialog that offers to set it aside and start anew."""
    from .core.errors import CacheDamaged
    from .gui.damaged_cache import offer_rebuild

    try:
        open_db(db_path, check=True).conn.close()
    except CacheDamaged as e:
        if not offer_rebuild(e):
            raise
        set_aside(db_path)
        open_db(db_path).conn.close()


def make_window(db_path: str, settings, backbone: str = "msd_musicnn", device: str = "auto",
                model: str | None = None, bus=None):
    """Everything the window needs, built here and passed in (no globals). The cache and the
    engine live as long as the window; its session closes them when it closes.

    ``model`` (--model) overrides the track-vector model chosen in the window last time.
    ``bus``: the D-Bus connection MPRIS registers on (default: the session bus)."""
    from .core.album_models import AUTO, VectorModels, windows_backbone_id
    from .core.embed_pool import Engines
    from .core.store import ids
    from .core.store.windows import track_windows
    from .core.thumbnails import CoverCache
    from .gui.launch import attach_mpris
    from .gui.main_window import MainWindow
    from .gui.session import LibrarySession
    from .model import registry

    cache = Cache(db_path)
    covers = CoverCache(os.path.join(cache_dir(), "covers"))
    backbone_id = ids.backbone_id(backbone)
    plan = EmbedSettings().plan
    choice = model or settings.value("model/choice", AUTO)
    session = LibrarySession(cache, Engines(backbone, device), tuple(registry.load_meta(backbone)["tags"]),
                             VectorModels(models_dir(), backbone_id), choice, covers=covers)

    def details(track_id: int):
        """The track's windows (its auto-tag timeline), read on the GUI thread's one connection.
        A model with a fine-tuned backbone reads its own windows (same tags: the stock classifier)."""
        return track_windows(cache.connect(), track_id, windows_backbone_id(session.vectors_entry, backbone_id),
                             plan)

    window = MainWindow(session, settings, default_music_dir(), details,
                        covers=lambda path: covers.thumbnail(path, COVER_PX))
    attach_mpris(window, bus)
    return window


def run_gui(folder: str | None, db_path: str, model: str | None = None) -> int:
    """``model``: a --model choice the command line has checked."""
    from .gui.launch import application, run

    application()
    open_checked_cache(db_path)
    windows = []

    def build(settings):
        windows.append(make_window(db_path, settings, model=model))
        return windows[-1]

    try:
        return run(build, folder)
    finally:
        for window in windows:  # the event loop is over: engine workers and connections go too
            window.session.close()
