"""Every kind of bad input is reported with a reason or handled; none stops the scan."""
import os

import pytest

from audio_factory import EXTENSIONS, make_track, poke_bytes, write_long_silent_wav
from musicmap_desktop.core import scan as scan_module
from musicmap_desktop.core.store.db import open_db
from musicmap_desktop.core.store.libraries import failed_tracks
from musicmap_desktop.core.store.tracks import iter_tracks
from musicmap_desktop.core.scan import scan


@pytest.fixture
def music(tmp_path):
    root = tmp_path / "music"
    make_track(root, "good", "flac", tags={"title": "Good"})  # every scan must still find this
    return root


def run(root, tmp_path):
    db = open_db(str(tmp_path / "cache.db"))
    summary = list(scan(str(root), db))[-1].result
    by_name = {os.path.basename(r["path"]): r for r in iter_tracks(db)}
    assert by_name["good.flac"]["status"] == "ok"
    return summary, by_name, db


def test_zero_byte_file(music, tmp_path):
    (music / "empty.mp3").write_bytes(b"")
    s, rows, _ = run(music, tmp_path)
    assert rows["empty.mp3"]["reason"] == "empty file (0 bytes)"
    assert s.failures == {"empty file (0 bytes)": [str(music / "empty.mp3")]}


@pytest.mark.parametrize("fmt, keep", [("flac", 0.5), ("mp3", 0.5), ("m4a", 0.3), ("ogg", 0.05)])
def test_truncated_file_is_handled(music, tmp_path, fmt, keep):
    path = make_track(music, "cut", fmt, seconds=3, tags={"title": "Cut"})
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    s, rows, _ = run(music, tmp_path)
    row = rows[path.name]
    # Tags may survive a truncation (decoding will notice later); otherwise a reason is given.
    assert (row["status"], row["title"]) == ("ok", "Cut") or (row["status"] == "failed" and row["reason"])


def test_text_file_with_audio_extension(music, tmp_path):
    (music / "lyrics.flac").write_text("La la la\n" * 30)
    (music / "readme.mp3").write_text("Just text\n" * 30)
    _, rows, _ = run(music, tmp_path)
    assert rows["lyrics.flac"]["status"] == "failed"
    assert rows["lyrics.flac"]["reason"] in ("not a recognised audio format",) or "unreadable" in rows["lyrics.flac"]["reason"]
    assert rows["readme.mp3"]["reason"] == "unreadable audio header: can't sync to MPEG frame"


def test_audio_with_wrong_extension(music, tmp_path):
    flac = make_track(music, "really_flac", "flac", tags={"title": "Really FLAC"})
    flac.rename(music / "really_flac.mp3")
    m4a = make_track(music, "noext", "m4a", tags={"title": "No extension"})
    m4a.rename(music / "noext")
    _, rows, _ = run(music, tmp_path)
    assert (rows["really_flac.mp3"]["status"], rows["really_flac.mp3"]["codec"]) == ("ok", "flac")
    assert (rows["noext"]["title"], rows["noext"]["codec"]) == ("No extension", "aac")


def test_file_without_tags(music, tmp_path):
    make_track(music / "Some Album", "03 Untitled", "wv")
    _, rows, _ = run(music, tmp_path)
    r = rows["03 Untitled.wv"]
    assert (r["status"], r["title"], r["album"], r["artist"]) == ("ok", "03 Untitled", "Some Album", "Unknown artist")


def test_cyrillic_and_cjk_paths_and_tags(music, tmp_path):
    make_track(music / "Кино" / "Группа крови", "01 Группа крови", "mp3",
               tags={"title": "Группа крови", "artist": "Кино"})
    make_track(music / "坂本龍一", "戦場のメリークリスマス", "opus", tags={"title": "戦場のメリークリスマス"})
    _, rows, _ = run(music, tmp_path)
    assert rows["01 Группа крови.mp3"]["artist"] == "Кино"
    assert rows["戦場のメリークリスマス.opus"]["title"] == "戦場のメリークリスマス"


def test_non_utf8_file_name(music, tmp_path):
    raw = os.path.join(os.fsencode(music), b"caf\xe9 \xff.flac")  # latin-1 bytes: invalid UTF-8
    os.rename(make_track(music, "tmp", "flac", tags={"title": "Latin-1 name"}), raw)
    s, rows, db = run(music, tmp_path)
    name = os.fsdecode(b"caf\xe9 \xff.flac")
    assert rows[name]["title"] == "Latin-1 name"
    assert os.path.exists(os.path.join(music, name))  # the stored path opens the real file
    assert rows[name]["display_path"].endswith("caf\ufffd \ufffd.flac")
    assert list(scan(str(music), db))[-1].result.unchanged == 2


def test_two_hour_file_is_read_for_tags_only(music, tmp_path, monkeypatch):
    write_long_silent_wav(music / "long.wav", 2 * 3600)
    read_sizes = []
    real_open = open

    class CountingFile:
        def __init__(self, f):
            self._f = f

        def read(self, n=-1):
            data = self._f.read(n)
            read_sizes.append(len(data))
            return data

        def __getattr__(self, name):
            return getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self._f.close()

    def counting_open(path, mode="r", *a, **k):
        f = real_open(path, mode, *a, **k)
        return CountingFile(f) if str(path).endswith("long.wav") else f

    monkeypatch.setattr(scan_module, "open", counting_open, raising=False)
    _, rows, _ = run(music, tmp_path)
    assert rows["long.wav"]["duration"] == pytest.approx(7200, abs=1)
    assert sum(read_sizes) < 1_000_000  # 57 MB file; we read the header and fingerprint samples


def test_unreadable_folder_is_reported_and_listed_as_problem(music, tmp_path, monkeypatch):
    locked = music / "locked"
    make_track(locked, "hidden", "wav")
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda p: (_ for _ in ()).throw(PermissionError(13, "Permission denied"))
                        if os.fspath(p) == str(locked) else real_scandir(p))
    s, rows, db = run(music, tmp_path)
    assert "hidden.wav" not in rows
    assert [(p.path, p.reason) for p in s.folder_problems] == [(str(locked), "folder not readable: Permission denied")]
    assert (str(locked), "folder not readable: Permission denied") in failed_tracks(db)


def test_unreadable_file_is_failed_with_reason(music, tmp_path, monkeypatch):
    make_track(music, "secret", "wav")
    real_open = open

    def deny(path, mode="r", *a, **k):
        if str(path).endswith("secret.wav"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, mode, *a, **k)

    monkeypatch.setattr(scan_module, "open", deny, raising=False)
    _, rows, _ = run(music, tmp_path)
    assert rows["secret.wav"]["reason"] == "cannot read file: Permission denied"


def test_symlink_loop(music, tmp_path):
    os.symlink(music, music / "loop")
    s, rows, _ = run(music, tmp_path)
    assert list(rows) == ["good.flac"]
    assert [p.reason for p in s.folder_problems] == ["symlink loop (folder already scanned), skipped"]


def test_file_deleted_between_listing_and_reading(music, tmp_path, monkeypatch):
    doomed = make_track(music, "doomed", "ogg")
    real_walk = scan_module.walk_audio

    def walk_then_delete(root, problems, *rest):
        entries = list(real_walk(root, problems, *rest))
        doomed.unlink()
        return iter(entries)

    monkeypatch.setattr(scan_module, "walk_audio", walk_then_delete)
    s, rows, _ = run(music, tmp_path)
    assert s.vanished == 1
    assert "doomed.ogg" not in rows


# ---- issue 10, item 1: text derived from a path is display text; the exact bytes stay in BLOBs ----

def test_non_utf8_file_name_without_a_title_tag_gets_a_display_title(music, tmp_path):
    raw = os.path.join(os.fsencode(music), b"caf\xe9.flac")
    os.rename(make_track(music, "tmp", "flac"), raw)  # no tags: the title comes from the name
    s, rows, db = run(music, tmp_path)
    row = rows[os.fsdecode(b"caf\xe9.flac")]
    assert (row["status"], row["title"]) == ("ok", "caf\ufffd")
    assert os.fsencode(row["path"]) == raw  # the exact bytes, in the BLOB column
    assert s.new == 2


def test_non_utf8_folder_name_as_album_keeps_the_sibling_folders(music, tmp_path):
    folder = os.path.join(os.fsencode(music), b"caf\xe9")
    os.makedirs(folder)
    os.rename(make_track(music, "tmp", "wav"), os.path.join(folder, b"01.wav"))  # no album tag
    make_track(music / "zzz later", "after", "flac", tags={"title": "After"})
    s, rows, _ = run(music, tmp_path)
    assert rows["01.wav"]["album"] == "caf\ufffd" and rows["01.wav"]["status"] == "ok"
    assert rows["after.flac"]["status"] == "ok" and s.new == 3


# ---- item 2: numbers out of any sensible range become NULL ----

@pytest.mark.parametrize("fmt", ["mp3", "flac", "wv"])
def test_absurd_track_and_disc_numbers_become_null(music, tmp_path, fmt):
    make_track(music, "huge", fmt, tags={"title": "Huge", "tracknumber": "99999999999999999999999/0",
                                         "discnumber": "18446744073709551616", "date": "99999999999999999999"})
    make_track(music, "sane", fmt, tags={"title": "Sane", "tracknumber": "7/12", "discnumber": "2"})
    s, rows, _ = run(music, tmp_path)
    huge, sane = rows["huge" + EXTENSIONS[fmt]], rows["sane" + EXTENSIONS[fmt]]
    assert (huge["status"], huge["title"], huge["tracknumber"], huge["discnumber"]) == ("ok", "Huge", None, None)
    assert (sane["tracknumber"], sane["discnumber"]) == (7, 2)
    assert s.new == 3 and s.failed == 0


# ---- item 3: a bad APEv2 or ASF tag loses that tag, not the track ----

def test_latin1_bytes_in_an_apev2_tag_lose_that_tag_not_the_track(music, tmp_path):
    path = make_track(music, "latin", "wv", tags={"title": "QQXQ", "artist": "Good Artist", "tracknumber": "3"})
    poke_bytes(path, b"QQXQ", b"caf\xe9")  # not UTF-8: mutagen rejects the whole file
    s, rows, _ = run(music, tmp_path)
    row = rows["latin.wv"]
    assert (row["status"], row["codec"], row["title"], row["artist"], row["tracknumber"]) == \
        ("ok", "wavpack", "caf\ufffd", "Good Artist", 3)
    assert row["duration"] == pytest.approx(2.0, abs=0.05) and s.failed == 0


@pytest.mark.parametrize("field, placeholder, bad", [
    ("title", "QZ", "Q".encode("utf-16-le") + b"\x00\xd8"),  # ContentDescription: a lone high surrogate
    ("genre", "GenQ", "Gen".encode("utf-16-le") + b"\x00\xdc"),  # ExtendedContentDescription: a lone low one
])
def test_a_lone_surrogate_in_an_asf_tag_loses_that_tag_not_the_track(music, tmp_path, field, placeholder, bad):
    tags = {"title": "Title", "artist": "Good Artist", "album": "Good Album", "genre": "Rock", "tracknumber": "4"}
    path = make_track(music, "wide", "wma", tags={**tags, field: placeholder})
    poke_bytes(path, placeholder.encode("utf-16-le"), bad)
    s, rows, _ = run(music, tmp_path)
    row = rows["wide.wma"]
    assert (row["status"], row["codec"], row["artist"], row["album"], row["tracknumber"]) == \
        ("ok", "wma", "Good Artist", "Good Album", 4)
    assert row[field if field == "title" else "genres_json"].count("\ufffd") == 1
    assert row["duration"] == pytest.approx(2.0, abs=0.1) and s.failed == 0


# ---- item 4: a WAV (or AIFF) cut short is caught ----

@pytest.mark.parametrize("fmt", ["wav", "aiff"])
def test_pcm_file_cut_short_is_failed_as_truncated(music, tmp_path, fmt):
    path = make_track(music, "cut", fmt, seconds=30, tags={"title": "Cut"})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 10])  # the header still promises 30 s
    s, rows, _ = run(music, tmp_path)
    row = rows["cut" + EXTENSIONS[fmt]]
    assert row["status"] == "failed"
    assert row["reason"] == "truncated: the file holds at most 3.0 s of the 30.0 s its header promises"
    assert s.failed == 1


def test_whole_pcm_file_is_not_truncated(music, tmp_path):
    make_track(music, "whole", "wav", seconds=3)
    _, rows, _ = run(music, tmp_path)
    assert rows["whole.wav"]["status"] == "ok"


# ---- item 9: broken symlinks and FIFOs are reported like unreadable folders ----

def test_broken_symlink_and_fifo_are_in_the_summary_and_the_problems(music, tmp_path):
    os.symlink(tmp_path / "elsewhere" / "song.mp3", music / "link.mp3")
    os.mkfifo(music / "pipe.ogg")
    s, rows, db = run(music, tmp_path)
    expected = {(str(music / "link.mp3"), "broken symlink (what it points to is not there), skipped"),
                (str(music / "pipe.ogg"), "not a regular file (a FIFO, socket or device), skipped")}
    assert {(p.path, p.reason) for p in s.folder_problems} == expected
    assert expected <= set(failed_tracks(db)) and list(rows) == ["good.flac"]


def test_rf64_wav_is_read(music, tmp_path):
    """Found by the boundary's property test: mutagen does not read RF64 (WAV over 4 GB); libsndfile does."""
    import subprocess

    plain = make_track(tmp_path / "src", "plain", "wav", seconds=2)
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(plain), "-rf64", "always",
                    str(music / "big.wav")], check=True)
    _, rows, _ = run(music, tmp_path)
    row = rows["big.wav"]
    assert (row["status"], row["title"], row["codec"], row["sample_rate"]) == ("ok", "big", "pcm", 22050)
    assert row["duration"] == pytest.approx(2.0, abs=0.01)
