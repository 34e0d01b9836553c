"""Cover art: embedded pictures of every tag system, images beside the file, thumbnails cached by
content in the cache folder (never the music folder), a background job, bad input skipped."""
import base64
import io
import os
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from audio_factory import FORMATS, make_track
from musicmap_desktop.core import covers, thumbnails
from musicmap_desktop.core.covers import CoverError, embedded_picture, find_cover, sidecar_picture
from musicmap_desktop.core.jobs import CancelToken
from musicmap_desktop.core.thumbnails import CoverCache, render_thumbnails, thumbnail_job


def image(color=(200, 30, 40), size=(300, 200), fmt="JPEG", mode="RGB") -> bytes:
    img = Image.new(mode, size, color)
    img.putpixel((0, 0), (0, 0, 0) if mode == "RGB" else (0, 0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def flac_picture(data, kind=3):
    from mutagen.flac import Picture

    p = Picture()
    p.type, p.mime, p.data = kind, "image/jpeg", data
    return p


def embed(path, fmt, data, kind=3):
    """Write a picture into the file the way each format's taggers do (tests only)."""
    import mutagen
    from mutagen.apev2 import APEv2, APEValue, BINARY
    from mutagen.asf import ASFByteArrayAttribute
    from mutagen.id3 import APIC, ID3
    from mutagen.mp4 import MP4Cover

    if fmt in ("mp3", "wav", "aiff"):
        f = mutagen.File(path)
        if f.tags is None:
            f.add_tags()
        f.tags.add(APIC(encoding=3, mime="image/jpeg", type=kind, desc="cover", data=data))
        f.save()
    elif fmt == "flac":
        f = mutagen.File(path)
        f.add_picture(flac_picture(data, kind))
        f.save()
    elif fmt in ("ogg", "opus"):
        f = mutagen.File(path)
        f["metadata_block_picture"] = [base64.b64encode(flac_picture(data, kind).write()).decode("ascii")]
        f.save()
    elif fmt in ("m4a", "alac"):
        f = mutagen.File(path)
        f["covr"] = [MP4Cover(data, imageformat=MP4Cover.FORMAT_JPEG)]
        f.save()
    elif fmt == "wma":
        f = mutagen.File(path)
        mime, desc = "image/jpeg".encode("utf-16-le") + b"\0\0", "c".encode("utf-16-le") + b"\0\0"
        f["WM/Picture"] = [ASFByteArrayAttribute(bytes([kind]) + struct.pack("<I", len(data)) + mime + desc + data)]
        f.save()
    elif fmt == "wv":
        tags = APEv2()
        tags["Cover Art (Front)"] = APEValue(b"cover.jpg\0" + data, BINARY)
        tags.save(path)
    else:
        raise AssertionError(fmt)


EMBEDDED = [f for f in ("mp3", "flac", "ogg", "opus", "m4a", "wma", "wv", "wav", "aiff") if f in FORMATS]


@pytest.mark.parametrize("fmt", EMBEDDED)
def test_embedded_pictures_of_every_tag_system(tmp_path, fmt):
    path = str(make_track(tmp_path, "song", fmt, seconds=1.0, tags={"title": "Song"}))
    assert embedded_picture(path) is None
    back, front = image((10, 200, 10)), image((200, 10, 10))
    embed(path, fmt, back, kind=4)  # a back cover first …
    if fmt not in ("m4a", "wv"):  # (one picture only in those: the front)
        embed(path, fmt, front, kind=3)  # … then the front, which must win
    got = embedded_picture(path)
    assert got.data == (back if fmt in ("m4a", "wv") else front)
    assert got.origin.startswith("embedded ")


def test_sidecar_images_any_case_in_order(tmp_path):
    album = tmp_path / "Album"
    album.mkdir()
    song = make_track(album, "song", "wav", seconds=1.0)
    assert find_cover(str(song)) is None
    (album / "Folder.PNG").write_bytes(image(fmt="PNG"))
    assert find_cover(str(song)).origin == "Folder.PNG"
    (album / "cover.JPG").write_bytes(b"cover bytes")
    assert find_cover(str(song)) == covers.CoverSource(b"cover bytes", "cover.JPG")
    assert sidecar_picture(str(album), ["notes.txt", "front.jpeg"]) is None  # listed, but gone: skipped
    assert sidecar_picture(str(tmp_path / "vanished")) is None
    embed(str(song), "wav", image())
    assert find_cover(str(song)).origin == "embedded ID3 APIC"  # embedded beats the folder


def test_thumbnails_keep_the_aspect_never_upscale_and_flatten_transparency():
    thumbs = render_thumbnails(image(size=(600, 300)), (64, 256))
    big, small = (Image.open(io.BytesIO(thumbs[s])) for s in (256, 64))
    assert big.size == (256, 128) and small.size == (64, 32) and big.format == "JPEG"
    tiny = Image.open(io.BytesIO(render_thumbnails(image(size=(40, 30)), (64,))[64]))
    assert tiny.size == (40, 30)
    clear = Image.open(io.BytesIO(render_thumbnails(image((0, 0, 0, 0), (80, 80), "PNG", "RGBA"), (64,))[64]))
    assert clear.convert("RGB").getpixel((30, 30)) == pytest.approx((255, 255, 255), abs=3)  # white, not black


def test_damaged_and_huge_pictures_are_a_reason_not_a_crash(monkeypatch):
    good = image()
    with pytest.raises(CoverError, match="cannot decode"):
        render_thumbnails(b"not an image at all")
    with pytest.raises(CoverError, match="cannot decode"):
        render_thumbnails(good[: len(good) // 3])  # cut short
    monkeypatch.setattr(thumbnails, "MAX_PIXELS", 100 * 100)
    with pytest.raises(CoverError, match="too big"):
        render_thumbnails(image(size=(300, 200)))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["JPEG", "PNG", "GIF", "BMP"]), st.integers(0, 10_000), st.binary(min_size=1, max_size=8))
def test_any_mangled_picture_gives_thumbnails_or_a_cover_error(fmt, where, junk):
    data = bytearray(image(size=(120, 90), fmt=fmt))
    at = where % len(data)
    data[at:at + len(junk)] = junk  # flipped bytes …
    for sample in (bytes(data), bytes(data[:at + 1])):  # … and a file cut short there
        try:
            thumbs = render_thumbnails(sample, (64,))
        except CoverError:
            continue
        assert Image.open(io.BytesIO(thumbs[64])).size[0] <= 64


def music_folder(tmp_path):
    """Two albums: one with an embedded cover on each track, one with cover.jpg; one track
    with a damaged picture, one truncated file, one with nothing."""
    root = tmp_path / "music"
    (root / "A").mkdir(parents=True)
    (root / "B").mkdir()
    (root / "C").mkdir()
    art = image((20, 40, 200))
    a = [make_track(root / "A", f"a{i}", "flac", seconds=1.0) for i in range(3)]
    for p in a:
        embed(str(p), "flac", art)
    b = [make_track(root / "B", f"b{i}", "mp3", seconds=1.0) for i in range(2)]
    (root / "B" / "cover.jpg").write_bytes(image((200, 200, 0)))
    bad = make_track(root / "C", "bad", "ogg", seconds=1.0)
    embed(str(bad), "ogg", b"\xff\xd8\xff\xe0 this is no JPEG")
    cut = root / "C" / "cut.flac"
    whole = a[0].read_bytes()
    cut.write_bytes(whole[: len(whole) // 5])
    bare = make_track(root / "C", "bare", "wav", seconds=1.0)
    return root, [str(p) for p in a + b + [bad, cut, bare]]


def snapshot(root):
    return sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*"))


def test_the_job_makes_shared_thumbnails_in_the_cache_and_never_touches_the_music(tmp_path):
    root, paths = music_folder(tmp_path)
    before = snapshot(root)
    cache = CoverCache(str(tmp_path / "cache" / "covers"))
    items = list(thumbnail_job(cache, paths + paths[:1]))
    assert [p.done for p in items[:-1]] == list(range(len(paths) + 1)) and items[-1].phase == "done"
    result = items[-1].result
    assert len(result) == len(paths)
    a, b = result[paths[0]], result[paths[3]]
    assert a.origin == "embedded FLAC picture" and result[paths[1]].digest == a.digest  # one file for the album
    assert b.origin == "cover.jpg" and b.digest != a.digest
    assert "cannot decode" in result[paths[5]].reason and result[paths[5]].digest == ""
    assert result[paths[7]].reason == "no cover"
    assert result[paths[6]].digest == "" and result[paths[6]].reason  # the truncated file: a reason
    thumb = cache.thumbnail(paths[0], 256)
    assert thumb.startswith(str(tmp_path / "cache")) and Image.open(thumb).size == (256, 171)
    assert Image.open(cache.thumbnail(paths[0], 64)).size == (64, 43)  # 300 × 200, aspect kept
    jpgs = list((tmp_path / "cache").rglob("*.jpg"))
    assert len(jpgs) == 4  # two pictures × two sizes, keyed by content
    assert snapshot(root) == before  # the music folder is exactly as it was


def test_a_second_run_does_nothing_and_a_new_cover_is_noticed(tmp_path):
    root, paths = music_folder(tmp_path)
    folder = str(tmp_path / "cache" / "covers")
    list(thumbnail_job(CoverCache(folder), paths))
    again = CoverCache(folder)  # a new start reads the index back
    assert list(thumbnail_job(again, paths))[-1].result == {}
    assert again.thumbnail(paths[0], 64) is not None and again.thumbnail(paths[7], 64) is None
    (root / "C" / "Cover.png").write_bytes(image((0, 255, 0), fmt="PNG"))
    os.utime(root / "C", ns=(1, 2 * 10**18))  # the folder's listing changed
    redo = list(thumbnail_job(again, paths))[-1].result
    assert set(redo) == set(paths[5:]) and redo[paths[7]].origin == "Cover.png"


def test_cancel_stops_between_tracks_and_keeps_what_was_done(tmp_path):
    root, paths = music_folder(tmp_path)
    folder = str(tmp_path / "covers")
    token = CancelToken()
    job = thumbnail_job(CoverCache(folder), paths, token)
    next(job), next(job), next(job)  # start + two tracks
    token.cancel()
    assert list(job) == []
    assert len(list(thumbnail_job(CoverCache(folder), paths))[-1].result) == len(paths) - 2


def test_an_index_line_cut_short_by_a_crash_is_ignored(tmp_path):
    root, paths = music_folder(tmp_path)
    folder = tmp_path / "covers"
    list(thumbnail_job(CoverCache(str(folder)), paths[:2]))
    log = folder / "index.jsonl"
    log.write_bytes(log.read_bytes()[:-7])  # the last line half written
    cache = CoverCache(str(folder))
    assert cache.lookup(paths[0]) is not None and cache.lookup(paths[1]) is None


def test_non_utf8_file_names_round_trip_through_the_index(tmp_path):
    folder = tmp_path / os.fsdecode(b"\xff\xfe album")
    folder.mkdir()
    song = folder / "s.wav"
    song.write_bytes(make_track(tmp_path, "s", "wav", seconds=1.0).read_bytes())  # libsndfile cannot name it
    (folder / "cover.jpg").write_bytes(image())
    cache_dir = str(tmp_path / "covers")
    list(thumbnail_job(CoverCache(cache_dir), [str(song)]))
    assert CoverCache(cache_dir).thumbnail(str(song), 64) is not None


@pytest.fixture(scope="module")
def tagged_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tagged")
    out = {}
    for fmt in ("mp3", "flac", "ogg", "m4a", "wma"):
        if fmt in FORMATS:
            p = make_track(d, fmt, fmt, seconds=1.0)
            embed(str(p), fmt, image())
            out[fmt] = p.read_bytes()
    return out


def test_mangled_and_truncated_music_files_give_a_cover_none_or_a_reason(tagged_files, tmp_path):
    rng = np.random.default_rng(7)
    for fmt, whole in tagged_files.items():
        for _ in range(40):
            data = bytearray(whole)
            for at in rng.integers(0, len(data), rng.integers(0, 4)):
                data[at] = rng.integers(0, 256)
            data = data[:rng.integers(1, len(data))] if rng.random() < 0.6 else data
            path = tmp_path / f"x.{fmt}"
            path.write_bytes(bytes(data))
            try:
                got = embedded_picture(str(path))
            except CoverError:
                continue
            assert got is None or got.data
