"""A property test of the isolation boundary (issue 10): libraries whose file and folder names are
arbitrary bytes, whose tags hold arbitrary text, integers and bytes, in every format the scanner
reads, some files damaged. Scanning and listening always finish; every sound file is heard (a
bad tag never costs the track), every other one is failed with a reason; the words for people
print; SQLite's integrity_check passes."""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_factory import EXTENSIONS, FORMATS, TAG_KEYS, make_track, poke_bytes, tag_file
from musicmap_desktop.core.embed import EmbedSettings, embed_library
from musicmap_desktop.core.embed_pool import InProcess
from musicmap_desktop.core.scan import scan
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.store.libraries import failed_tracks
from musicmap_desktop.core.store.tracks import iter_tracks
from musicmap_desktop.core.text import embed_dict, embed_text, summary_dict, summary_text

# Tag bytes are poked into the file where the tag system stores text without a checksum;
# Ogg pages carry a CRC (poking would be damage, not a bad tag), so Ogg tags get text only.
RAW_TEXT_TAGS = {"mp3", "wav", "aiff", "flac", "m4a", "alac", "wv", "wma"}
DAMAGE = ("none", "none", "none", "truncate", "garbage", "empty", "text")


class Fake:
    """The model, replaced: the boundary is about files, decoding and saving, not about Musicnn."""

    backbone_id, name, top = "fake-1", "fake", None

    def embed_segments(self, segments):
        return np.abs(segments[:, :200]) + 0.1, np.full((len(segments), 50), 0.5, np.float32), np.ones(1506, np.float32)


# Formats the scanner reads that audio_factory does not tag: made by FFmpeg, names and damage only.
# (Monkey's Audio has no encoder anywhere; TTA and Matroska are not scanned.)
UNTAGGED = {"aac": (".aac", ["-c:a", "aac", "-b:a", "48k", "-f", "adts"]),
            "rf64": (".wav", ["-c:a", "pcm_s16le", "-rf64", "always", "-f", "wav"])}
EXT = {**EXTENSIONS, **{fmt: ext for fmt, (ext, _) in UNTAGGED.items()}}


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """One short, untagged file per format (copied and tagged per example)."""
    folder = tmp_path_factory.mktemp("originals")
    made = {fmt: make_track(folder, fmt, fmt, seconds=1.0, seed=i) for i, fmt in enumerate(FORMATS)}
    for fmt, (ext, args) in UNTAGGED.items():
        target = folder / (fmt + "-made" + ext)
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(made["wav"]), *args,
                        str(target)], check=True)
        made[fmt] = target
    return made


name_bytes = st.binary(min_size=1, max_size=60).filter(
    lambda b: b"/" not in b and b"\x00" not in b and not b.startswith(b"."))
tag_value = st.one_of(
    st.text(max_size=40),
    st.integers(-2**80, 2**80).map(str),
    st.tuples(st.integers(-2**70, 2**70), st.integers(-2**70, 2**70)).map(lambda p: f"{p[0]}/{p[1]}"),
    st.binary(min_size=6, max_size=40),  # raw bytes in a text tag (placed with poke_bytes)
)
library_files = st.lists(
    st.fixed_dictionaries({
        "fmt": st.sampled_from(FORMATS + tuple(UNTAGGED)),
        "folder": name_bytes,
        "stem": name_bytes,
        "tags": st.dictionaries(st.sampled_from(TAG_KEYS), tag_value, max_size=4),
        "damage": st.sampled_from(DAMAGE),
    }),
    min_size=1, max_size=6, unique_by=lambda f: (f["folder"], f["stem"] + EXT[f["fmt"]].encode()))


def _tag(path, fmt: str, tags: dict) -> set:
    """Write what mutagen is willing to write, one tag at a time; return the keys given raw bytes."""
    poked = set()
    for n, (key, value) in enumerate(sorted(tags.items())):
        raw = isinstance(value, bytes)
        if raw and fmt not in RAW_TEXT_TAGS:
            continue
        if raw:  # a placeholder of the value's length in the tag's encoding, replaced by the bytes
            wide = fmt == "wma"
            value = value[:len(value) // 2 * 2] if wide else value
            mark = f"Q{n}".ljust(len(value) // 2 if wide else len(value), "Z")
            placeholder = mark.encode("utf-16-le" if wide else "ascii")
        try:
            tag_file(path, fmt, {key: mark if raw else value})
            if raw:
                poke_bytes(path, placeholder, value)
                poked.add(key)
        except Exception:  # noqa: BLE001  the test's own tagger refusing a value is not the app's concern
            continue
    return poked


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[:len(data) // 3])
    elif how == "garbage":
        mid = len(data) // 2
        path.write_bytes(data[:mid] + bytes(np.random.default_rng(len(data)).integers(0, 256, 4096, np.uint8))
                         + data[mid + 4096:])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "text":
        path.write_bytes(b"not audio at all\n" * 20)


def _make(root: bytes, originals, files) -> dict[bytes, dict]:
    made = {}
    for f in files:
        folder = os.path.join(root, f["folder"])
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f["stem"] + EXT[f["fmt"]].encode())
        shutil.copy(originals[f["fmt"]], path)
        if f["fmt"] not in UNTAGGED:
            _tag(Path(os.fsdecode(path)), f["fmt"], f["tags"])
        _damage(Path(os.fsdecode(path)), f["damage"])
        made[path] = f
    return made


def check_library(originals, files) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(os.fsencode(tmp), b"music")
        made = _make(root, originals, files)
        db = open_db(os.path.join(tmp, "c.db"))
        summary = list(scan(os.fsdecode(root), db))[-1].result
        heard = list(embed_library(db, os.fsdecode(root), InProcess(Fake(), 0, backbone_id="fake-1"),
                                   EmbedSettings(2, 0.0)))[-1].result
        rows = {os.fsencode(r["path"]): r for r in iter_tracks(db)}
        assert set(rows) == set(made), "every file is in the cache, once"
        windows = {r[0] for r in db.execute("SELECT fingerprint FROM windows")}
        for path, f in made.items():
            row = rows[path]
            if row["status"] == "failed":
                assert row["reason"], f"{path!r} failed without a reason"
                assert f["damage"] != "none", f"a sound file failed: {path!r} {f} — {row['reason']}"
            else:
                assert row["fingerprint"] in windows, f"{path!r} was not heard: {f}"
        failed = [r for r in rows.values() if r["status"] == "failed"]
        # Scan failures count files; embedding failures count contents (copies are heard once).
        assert len({r["fingerprint"] for r in failed}) <= summary.failed + heard.failed <= len(failed)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # The words for people print on a UTF-8 terminal and as JSON, whatever the names were.
        for text in (summary_text(summary), embed_text(heard), json.dumps(summary_dict(summary), ensure_ascii=False),
                     json.dumps(embed_dict(heard), ensure_ascii=False), repr(failed_tracks(db))):
            text.encode("utf-8")
        db.conn.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(files=library_files)
def test_odd_names_tags_and_damage_never_stop_a_scan(originals, files):
    check_library(originals, files)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(files=library_files)
def test_odd_names_tags_and_damage_never_stop_a_scan_many_more(originals, files):
    check_library(originals, files)
