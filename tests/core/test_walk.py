import os

import pytest

from musicmap_desktop.core.walk import walk_audio


def touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_lists_audio_by_extension_and_by_sniffing(tmp_path):
    touch(tmp_path / "a" / "song.MP3")
    touch(tmp_path / "a" / "cover.jpg")
    touch(tmp_path / "a" / "notes.txt")
    touch(tmp_path / "a" / "noext", b"fLaC\x00\x00\x00\x22")
    touch(tmp_path / "a" / "weird.dat", b"random bytes")
    problems = []
    found = sorted(os.path.basename(e.path) for e in walk_audio(str(tmp_path), problems))
    assert found == ["noext", "song.MP3"]
    assert problems == []


def test_symlink_loop_is_reported_not_followed_forever(tmp_path):
    touch(tmp_path / "a" / "b" / "x.flac")
    os.symlink(tmp_path / "a", tmp_path / "a" / "b" / "loop")
    problems = []
    found = [e.path for e in walk_audio(str(tmp_path), problems)]
    assert found == [str(tmp_path / "a" / "b" / "x.flac")]
    assert [p.reason for p in problems] == ["symlink loop (folder already scanned), skipped"]


def test_unreadable_folder_is_reported(tmp_path, monkeypatch):
    touch(tmp_path / "ok" / "x.flac")
    locked = tmp_path / "locked"
    touch(locked / "y.flac")
    real_scandir = os.scandir

    def scandir(path):  # tests run as root in CI, where chmod 000 would not stop us
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    problems = []
    found = [e.path for e in walk_audio(str(tmp_path), problems)]
    assert found == [str(tmp_path / "ok" / "x.flac")]
    assert [(p.path, p.reason) for p in problems] == [(str(locked), "folder not readable: Permission denied")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_chmod_000_folder_is_reported(tmp_path):
    locked = touch(tmp_path / "locked" / "y.flac").parent
    locked.chmod(0)
    try:
        problems = []
        assert list(walk_audio(str(tmp_path), problems)) == []
        assert problems and "Permission denied" in problems[0].reason
    finally:
        locked.chmod(0o755)


def test_broken_symlinks_and_fifos_are_reported_like_unreadable_folders(tmp_path):
    """Issue 10, item 9: skipped, and said why (a cover's dangling link is no one's concern)."""
    os.symlink(tmp_path / "nowhere.mp3", tmp_path / "dangling.mp3")
    os.symlink(tmp_path / "gone", tmp_path / "Old Album")  # a folder link whose target went away
    os.symlink(tmp_path / "nowhere.jpg", tmp_path / "cover.jpg")
    os.mkfifo(tmp_path / "pipe.flac")
    problems = []
    assert list(walk_audio(str(tmp_path), problems)) == []
    assert sorted((os.path.basename(p.path), p.reason) for p in problems) == [
        ("Old Album", "broken symlink (what it points to is not there), skipped"),
        ("dangling.mp3", "broken symlink (what it points to is not there), skipped"),
        ("pipe.flac", "not a regular file (a FIFO, socket or device), skipped"),
    ]
