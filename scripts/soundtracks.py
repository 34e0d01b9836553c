#!/usr/bin/env python3
"""Build the album-labelled library the bundled album model is trained and evaluated on.

The albums are game soundtracks that Debian (bookworm) packages ship under /usr/share.
Each becomes one folder of tagged copies:

    OUT/<Album>/NN - <title>.<ext>

with album, albumartist, artist, title, genre and tracknumber written into the copies
(the installed files are only read). Tracker modules (.mod/.xm/.it/.s3m) are rendered
to Ogg Vorbis and WAV to FLAC, since Musicnn needs decodable audio and WAV has no
dependable tag standard. A table of what was built goes to weights/soundtracks.json.

    sudo .venv/bin/python scripts/soundtracks.py --install --out /work/soundtracks/library
    .venv/bin/python scripts/soundtracks.py --plan        # what would be built, no writes

No audio ever goes into the repository: --out must lie outside it.

Reserved packages (scripts/reserved_packages.txt, see DEVELOPERS.md) are kept for an
independent evaluation: the script refuses any source from them, before installing,
planning or building anything.
"""
from __future__ import annotations

import argparse
import fnmatch
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import mutagen

REPO = Path(__file__).resolve().parent.parent
RESERVED_FILE = REPO / "scripts" / "reserved_packages.txt"
MIN_SECONDS = 20.0  # shorter files are jingles/stingers (victory, game over), not pieces
MIN_TRACKS = 4      # an album needs this many tracks to be worth a label
TRACKERS = {".mod", ".xm", ".it", ".s3m", ".stm"}
NO_ARTIST = re.compile(r"^<?unknown>?$|^(https?://|www\.)", re.I)  # placeholders and web addresses
GAMEY_GENRES = re.compile(r"game|soundtrack|\bost\b|score|vgm|^other$|^\(?\d+\)?$", re.I)


@dataclass(frozen=True)
class Source:
    """One game soundtrack: where its music lies and how to label it.

    pattern: a glob of installed files, or "ARCHIVE.pk3:REGEX" for music packed in a zip.
    split: the files' artist tags name several composers; each composer with
        MIN_TRACKS tracks gets an album of their own, the rest stay in the game's album.
    composer: album artist (and artist of untagged files) as credited in the package's
        copyright file or credits; empty means the game's name stands in.
    exclude: regexes on the file name for loops, ambience and duplicates that pass
        the length filter but are not pieces of music.
    licence: for copyright files that are not machine-readable (DEP-5).
    aliases: (tagged name, canonical name) pairs that unify one composer's spellings.
    by_name: (file-name regex, composer) pairs from the copyright file, for packs whose
        files carry no usable artist tag but whose names say who wrote them.
    group: the fold group (default: the package). Packages whose music shares a composer
        share a group, so that package-disjoint folds do not split one composer's style.
    raw: ffmpeg input format of headerless PCM, "FORMAT:RATE:CHANNELS" (e.g. "u8:22050:1").
    cover: an image the same package ships (its icon or logo), copied beside the album's
        tracks as cover.<ext>: the cover art a real library holds, shown by the app.
    """
    package: str
    game: str
    pattern: str
    album: str = ""
    composer: str = ""
    split: bool = False
    exclude: tuple[str, ...] = ()
    genre: str = ""
    licence: str = ""
    aliases: tuple[tuple[str, str], ...] = ()
    by_name: tuple[tuple[str, str], ...] = ()
    group: str = ""
    raw: str = ""
    cover: str = ""

    @property
    def album_name(self) -> str:
        return self.album or f"{self.game} (soundtrack)"

    @property
    def fold_group(self) -> str:
        return self.group or self.package


GAMES = "/usr/share/games"
SOURCES = [
    Source("wesnoth-1.16-music", "The Battle for Wesnoth", f"{GAMES}/wesnoth/1.16/data/core/music/*.ogg",
           split=True, exclude=(r"^silence",), licence="GPL-2+"),
    Source("supertux-data", "SuperTux", f"{GAMES}/supertux2/music/**/*.ogg", split=True),
    Source("hedgewars-data", "Hedgewars", f"{GAMES}/hedgewars/Data/Music/*.ogg"),
    Source("drascula-music", "Drascula: The Vampire Strikes Back", "/usr/share/scummvm/drascula/en/*.ogg"),
    Source("nexuiz-music", "Nexuiz", f"{GAMES}/nexuiz/data/music.pk3:sound/cdtracks/.*\\.ogg",
           split=True, licence="GPL-2+", aliases=(("elysis", "Gerd (elysis) Raudenbusch"),)),
    Source("blobwars-data", "Blob Wars: Metal Blob Solid", f"{GAMES}/blobwars/music/*", split=True,
           aliases=(("Dj Sjors", "DJ Sjors"),),
           cover="/usr/share/games/blobwars/gfx/main/title.png"),
    Source("flare-game", "Flare: Empyrean Campaign", f"{GAMES}/flare/mods/fantasycore/music/*.ogg",
           exclude=(r"ambient",),
           cover="/usr/share/games/flare/mods/empyrean_campaign/images/menus/logo.png"),
    Source("freedroidrpg-data", "FreedroidRPG", "/usr/share/freedroidrpg/data/sound/music/*.ogg",
           cover="/usr/share/icons/hicolor/128x128/apps/freedroidrpg.png"),
    Source("widelands-data", "Widelands", f"{GAMES}/widelands/data/music/*.ogg",
           cover="/usr/share/games/widelands/data/images/logos/wl-ico-128.png"),
    Source("naev-data", "Naev", "/usr/share/naev/dat/snd/music/*.ogg", split=True),
    Source("colobot-common-sounds", "Colobot", f"{GAMES}/colobot/music/*.ogg", split=True),
    Source("pingus-data", "Pingus", f"{GAMES}/pingus/data/music/*", licence="GPL-2+",
           cover="/usr/share/games/pingus/data/images/core/misc/logo.png"),
    Source("fillets-ng-data", "Fish Fillets NG", f"{GAMES}/fillets-ng/music/*.ogg", licence="GPL-2+"),
    Source("unknown-horizons", "Unknown Horizons", "/usr/share/unknown-horizons/content/audio/music/**/*.ogg"),
    Source("tecnoballz-data", "TecnoballZ", f"{GAMES}/tecnoballz/musics/*"),
    Source("plee-the-bear-data", "Plee the Bear", f"{GAMES}/plee-the-bear/music/*.ogg",
           licence="CC-BY-SA-3.0"),
    Source("pekka-kana-2-data", "Pekka Kana 2", f"{GAMES}/pekka-kana-2/data/music/*"),
    Source("etw-data", "Eat The Whistle", f"{GAMES}/etw/music/*.wav"),
    Source("ardentryst", "Ardentryst", f"{GAMES}/ardentryst/Music/*.ogg",
           cover="/usr/share/games/ardentryst/icon.png"),
    Source("warmux-data", "Warmux", f"{GAMES}/warmux/music/*/*.ogg", licence="GPL-2+"),
    Source("davegnukem-data", "Dave Gnukem", f"{GAMES}/davegnukem/music/eric_matyas/*.ogg"),
    Source("starfighter-data", "Project: Starfighter", "/usr/share/starfighter/music/*",
           cover="/usr/share/starfighter/gfx/sflogo.png"),
    Source("planetblupi-music-ogg", "Planet Blupi", "/usr/share/planetblupi/music/*.ogg"),
    Source("marsshooter-data", "M.A.R.S.", f"{GAMES}/marsshooter/audio/music/*",
           cover="/usr/share/icons/hicolor/512x512/apps/marsshooter.png"),
    Source("extremetuxracer-data", "Extreme Tux Racer", f"{GAMES}/etr/music/*",
           cover="/usr/share/games/etr/textures/menu_title.png"),
    Source("trackballs-data", "Trackballs", f"{GAMES}/trackballs/music/*",
           cover="/usr/share/icons/hicolor/128x128/apps/trackballs.png"),
    Source("seahorse-adventures", "Seahorse Adventures", f"{GAMES}/seahorse-adventures/data/music/*",
           cover="/usr/share/pixmaps/seahorse-adventures.png"),
    Source("megaglest-data", "MegaGlest", f"{GAMES}/megaglest/**/music/*.ogg",
           cover="/usr/share/games/megaglest/data/core/menu/textures/logo1.png"),
    Source("amoebax-data", "Amoebax", f"{GAMES}/amoebax/music/*"),
    Source("wizznic-data", "Wizznic!", f"{GAMES}/wizznic/packs/000_wizznic/music/*.ogg"),
    Source("neverball-common", "Neverball", f"{GAMES}/neverball/bgm/*.ogg"),
    Source("gl-117-data", "GL-117", f"{GAMES}/gl-117/music/*"),
    Source("berusky2-data", "Berusky 2", f"{GAMES}/berusky2/music/*",
           aliases=(("Matrin Linda", "Martin Linda"),)),
    Source("biniax2-data", "Biniax-2", f"{GAMES}/biniax2/music/*",
           cover="/usr/share/games/biniax2/graphics/logo.png"),
    Source("lordsawar-data", "LordsAWar!", f"{GAMES}/lordsawar/music/*.ogg",
           cover="/usr/share/games/lordsawar/various/lordsawar_logo.png"),
    Source("btanks-data", "Battle Tanks", f"{GAMES}/btanks/data/tunes/*",
           cover="/usr/share/icons/hicolor/64x64/apps/btanks.png"),
    # Added for issue 14 (all checked against scripts/reserved_packages.txt).
    Source("0ad-data", "0 A.D.", f"{GAMES}/0ad/mods/public/public.zip:audio/music/.*\\.ogg"),
    Source("freedroid-data", "Freedroid", f"{GAMES}/freedroid/sound/*.[mo][og][dg]"),
    Source("lugaru-data", "Lugaru", f"{GAMES}/lugaru/Sounds/Music*.ogg"),
    Source("flobopuyo", "FloboPuyo", f"{GAMES}/flobopuyo/sfx/*.xm", licence="GPL-2+",
           cover="/usr/share/pixmaps/flobopuyo.png"),
    Source("bomberclone-data", "BomberClone", f"{GAMES}/bomberclone/music/*",
           cover="/usr/share/games/bomberclone/gfx/logo.png"),
    # Headerless 8-bit PCM: 22050 Hz is the only sample-rate constant in xblast-tnt's sound server.
    Source("xblast-tnt-musics", "XBlast TNT", f"{GAMES}/xblast-tnt/sounds/xbsng*.raw", raw="u8:22050:1",
           licence="GPL-2"),
    Source("zaz-data", "Zaz", f"{GAMES}/zaz/mus*.ogg", composer="Leonard Ritter",
           cover="/usr/share/games/zaz/logo.png"),
    Source("wordwarvi-sound", "Word War vi", "/usr/share/wordwarvi/sounds/*.ogg"),
    Source("tuxtype-data", "Tux Typing", "/usr/share/tuxtype/sounds/*.[mo][og][dg]", licence="GPL-2",
           cover="/usr/share/tuxtype/images/title1.png"),
    Source("pachi-data", "Pachi el marciano", "/usr/share/pachi/music/*", composer="Peter Hajba",
           licence="GPL-2+"),
    Source("openarena-088-data", "OpenArena", f"{GAMES}/openarena/baseoa/pak6-patch088.pk3:music/.*\\.ogg"),
    # Kenta Cho's games (ABA Games) share their author, so they share one fold group.
    Source("parsec47-data", "PARSEC47", f"{GAMES}/parsec47/sounds/*.ogg", group="kenta-cho",
           licence="BSD-2-Clause"),
    Source("tumiki-fighters-data", "Tumiki Fighters", f"{GAMES}/tumiki-fighters/sounds/*.ogg",
           group="kenta-cho", licence="BSD-2-Clause"),
    Source("gunroar-data", "Gunroar", f"{GAMES}/gunroar/sounds/musics/*.ogg", group="kenta-cho",
           licence="BSD-2-Clause"),
    Source("mu-cade-data", "Mu-cade", f"{GAMES}/mu-cade/sounds/musics/*.ogg", group="kenta-cho",
           licence="BSD-2-Clause"),
    Source("torus-trooper-data", "Torus Trooper", f"{GAMES}/torus-trooper/sounds/musics/*.ogg",
           group="kenta-cho", licence="BSD-2-Clause"),
]
PACKAGES = sorted({s.package for s in SOURCES})


class ReservedPackage(SystemExit):
    """A source or manifest row names a reserved package: nothing is installed or built."""


def reserved_packages(path: Path = RESERVED_FILE) -> frozenset[str]:
    """The reserved Debian package names: one a line, # comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.split("#", 1)[0].strip() for line in lines) - {""}


def refuse_reserved(packages, what: str) -> None:
    """Stop when any of ``packages`` is reserved (the standing rule in DEVELOPERS.md)."""
    bad = sorted(set(packages) & reserved_packages())
    if bad:
        raise ReservedPackage(f"refusing: {what} name(s) reserved package(s) {', '.join(bad)} "
                              f"({RESERVED_FILE.relative_to(REPO)}; see DEVELOPERS.md)")


@dataclass
class Track:
    source: Source
    origin: str    # installed path, or "ARCHIVE.pk3:member"
    path: str      # a readable file: the installed one, or a zip member extracted to a temp folder
    kind: str      # vorbis, opus, mp3, flac, wav, tracker, or repair (Ogg that FFmpeg rejects)
    seconds: float
    digest: str
    tags: dict[str, str] = field(default_factory=dict)  # the file's own title/artist/album/genre/date

    @property
    def ext(self) -> str:  # what the copy is stored as
        return {"vorbis": ".ogg", "tracker": ".ogg", "opus": ".opus", "mp3": ".mp3"}.get(self.kind, ".flac")


@dataclass
class Album:
    name: str
    albumartist: str
    source: Source
    tracks: list[Track]


# ---------------------------------------------------------------- finding the music


def candidate_files(src: Source, scratch: Path) -> list[tuple[str, str]]:
    """(origin, readable path) of every file the source's pattern names, sorted."""
    packed = re.fullmatch(r"(.+\.(?:pk3|zip)):(.+)", src.pattern)
    if packed:
        # Quake-engine games (.pk3) and 0 A.D. (.zip) ship their music inside a zip;
        # only the members are read.
        archive, member = packed.groups()
        if not os.path.isfile(archive):
            return []
        out = []
        with zipfile.ZipFile(archive) as z:
            for name in sorted((n for n in z.namelist() if re.fullmatch(member, n)), key=natural):
                dest = scratch / src.package / name
                if not dest.exists():
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(z.read(name))
                out.append((f"{archive}:{name}", str(dest)))
        return out
    files = sorted((p for p in glob.glob(src.pattern, recursive=True) if os.path.isfile(p)), key=natural)
    return [(p, p) for p in files]


def natural(text: str) -> list:
    """Sort key that puts track2 before track10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def sniff(path: str) -> str | None:
    """The audio kind by magic bytes (some games ship music without an extension)."""
    with open(path, "rb") as f:
        head = f.read(64)
    if head.startswith(b"OggS"):
        return "opus" if b"OpusHead" in head else "vorbis"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if Path(path).suffix.lower() in TRACKERS:
        return "tracker"
    return None


def probe(path: str, kind: str, raw: str = "") -> tuple[float, dict[str, str]]:
    """(duration in seconds, the file's own tags) from mutagen, ffprobe for modules, or the
    size of headerless PCM."""
    if kind == "raw":
        fmt, rate, channels = raw.split(":")
        width = {"u8": 1, "s8": 1, "s16le": 2}[fmt]
        return os.path.getsize(path) / (int(rate) * int(channels) * width), {}
    if kind == "tracker":
        out = subprocess.run(["ffprobe", "-v", "quiet", "-of", "json", "-show_format", path],
                             capture_output=True, text=True).stdout
        fmt = json.loads(out or "{}").get("format", {})
        tags = {k.lower(): v for k, v in fmt.get("tags", {}).items()}
        return float(fmt.get("duration") or 0), {k: tags[k] for k in ("title", "artist") if k in tags}
    audio = mutagen.File(path, easy=True)
    if audio is None:
        return 0.0, {}
    tags = {}
    for key in ("title", "artist", "album", "genre", "date"):
        value = (audio.tags or {}).get(key) if audio.tags is not None else None
        if value and str(value[0]).strip():
            tags[key] = " ".join(str(value[0]).split())
    return float(audio.info.length or 0), tags


def sidecar_tags(path: str) -> dict[str, str]:
    """Blob Wars keeps each track's tags in a KEY=VALUE file beside it (NAME.tags)."""
    try:
        lines = Path(path + ".tags").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {k.strip().lower(): v.strip() for k, v in pairs
            if k.strip().lower() in ("title", "artist", "album", "genre", "date") and v.strip()}


def collect(src: Source, scratch: Path, seen: dict[str, str], skipped: list[dict]) -> list[Track]:
    """The source's pieces of music: audio, long enough, not excluded, not seen before."""
    tracks = []
    for origin, path in candidate_files(src, scratch):
        name = os.path.basename(origin.split(":")[-1])
        kind = "raw" if src.raw else sniff(path)
        if kind is None:
            continue  # sidecar tag files, readmes
        why = next((f"excluded by pattern {rx!r}" for rx in src.exclude if re.search(rx, name)), None)
        seconds, tags = probe(path, kind, src.raw) if why is None else (0.0, {})
        if why is None and seconds < MIN_SECONDS:
            why = f"jingle: {seconds:.1f} s < {MIN_SECONDS:.0f} s"
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if why is None else ""
        if why is None and digest in seen:
            why = f"same audio as {seen[digest]}"
        if why:
            skipped.append({"package": src.package, "file": origin, "why": why})
            continue
        seen[digest] = origin
        if kind in ("vorbis", "opus") and not ffmpeg_reads(path):
            kind = "repair"
        tags = {**sidecar_tags(path), **tags}
        tags["artist"] = artist_of(src, name, tags.get("artist", ""))
        tracks.append(Track(src, origin, path, kind, seconds, digest, tags))
    return tracks


def ffmpeg_reads(path: str) -> bool:
    """Whether FFmpeg accepts the header. Three HyperRogue tracks have Vorbis headers that
    libsndfile decodes but FFmpeg (the app's decoder for Ogg) rejects."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", path],
                           capture_output=True, text=True)
    return probe.returncode == 0  # stderr alone is no verdict: M.A.R.S. files warn yet decode


def artist_of(src: Source, name: str, tagged: str) -> str:
    """The composer: from the file name where the copyright file says so, else the cleaned tag."""
    for rx, who in src.by_name:
        if re.search(rx, name):
            return who
    if NO_ARTIST.search(tagged):
        return ""
    return next((canon for alias, canon in src.aliases if tagged.casefold() == alias.casefold()), tagged)


# ---------------------------------------------------------------- albums and labels


def albums_of(src: Source, tracks: list[Track], skipped: list[dict]) -> list[Album]:
    """One album per source; with split, one more per composer who has MIN_TRACKS tracks."""
    groups: dict[str, list[Track]] = {"": tracks}
    if src.split:
        counts = Counter(t.tags.get("artist", "") for t in tracks)
        own = sorted(a for a, n in counts.items() if a and n >= MIN_TRACKS)
        groups = {a: [t for t in tracks if t.tags.get("artist") == a] for a in own}
        groups[""] = [t for t in tracks if t.tags.get("artist") not in own]
    albums = []
    for artist, group in groups.items():
        if artist:
            albums.append(Album(f"{src.game} (soundtrack, {artist})", artist, src, group))
            continue
        if len(group) < MIN_TRACKS:
            skipped += [{"package": src.package, "file": t.origin,
                         "why": f"album would have {len(group)} < {MIN_TRACKS} tracks"} for t in group]
            continue
        artists = {t.tags.get("artist", "") for t in group}
        single = artists.pop() if len(artists) == 1 else ""  # one credited artist for all
        albums.append(Album(src.album_name, src.composer or single or src.game, src, group))
    return albums


def pretty(stem: str) -> str:
    """A title from a file name: battle_theme -> Battle Theme."""
    words = re.sub(r"[_\-]+", " ", stem).split()
    return " ".join(w[:1].upper() + w[1:] for w in words) or stem


def genre_of(track: Track) -> str:
    """The file's own genre when it says something about the music, else Soundtrack."""
    own = track.tags.get("genre", "")
    if own and not GAMEY_GENRES.search(own):
        return own
    return track.source.genre or "Soundtrack"


def labels(album: Album, number: int, track: Track) -> dict[str, str]:
    stem = Path(track.origin.split(":")[-1]).stem
    tags = {
        "album": album.name,
        "albumartist": album.albumartist,
        "artist": track.tags.get("artist") or album.albumartist,
        "title": track.tags.get("title") or pretty(stem),
        "genre": genre_of(track),
        "tracknumber": f"{number}/{len(album.tracks)}",
    }
    if track.tags.get("date"):
        tags["date"] = track.tags["date"]
    return tags


def safe(name: str, limit: int = 80) -> str:
    """A file-name-safe form that keeps the name readable."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", name.replace(": ", " - "))
    name = " ".join(name.split()).strip(". ")
    return name[:limit].rstrip(". ") or "untitled"


# ---------------------------------------------------------------- writing the library


def produce(track: Track, dest: Path) -> None:
    """Copy or convert into dest, through a temp name so an interrupted run leaves no half file."""
    tmp = dest.with_name(f".partial{dest.suffix}")
    source = ["-i", track.path]
    if track.kind == "tracker":
        codec = ["-c:a", "libvorbis", "-q:a", "6"]  # libopenmpt renders one pass, no loop
    elif track.kind in ("wav", "raw"):
        codec = ["-c:a", "flac"]
    else:
        codec = None
    if track.kind == "raw":  # headerless PCM: the format comes from the source table
        fmt, rate, channels = track.source.raw.split(":")
        source = ["-f", fmt, "-ar", rate, "-ac", channels, *source]
    if track.kind == "repair":
        import soundfile  # the app's own dependency; libsndfile reads what FFmpeg rejects
        audio, rate = soundfile.read(track.path, dtype="int16")
        soundfile.write(tmp, audio, rate, format="FLAC")
    elif codec:
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *source, *codec,
                        "-map_metadata", "-1", str(tmp)], check=True)
    else:
        shutil.copyfile(track.path, tmp)
    os.replace(tmp, dest)


def write_tags(path: Path, want: dict[str, str]) -> bool:
    """Set the labels on the copy; saves only when something differs, so re-runs touch nothing."""
    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    changed = [k for k, v in want.items() if list(audio.tags.get(k) or []) != [v]]
    for key in changed:
        audio[key] = want[key]
    if changed:
        audio.save()
    return bool(changed)


def build(albums: list[Album], out: Path) -> None:
    refuse_reserved({a.source.package for a in albums}, "the albums to build")
    for album in albums:
        folder = out / safe(album.name)
        folder.mkdir(parents=True, exist_ok=True)
        made, names = 0, set()
        for number, track in enumerate(album.tracks, 1):
            tags = labels(album, number, track)
            dest = folder / f"{number:02d} - {safe(tags['title'])}{track.ext}"
            names.add(dest.name)
            if not dest.exists():
                produce(track, dest)
                made += 1
            write_tags(dest, tags)
        cover = copy_cover(album.source, folder)
        if cover:
            names.add(cover)
        print(f"  {album.name}: {len(album.tracks)} tracks ({made} new)", file=sys.stderr)
        stray = sorted(p.name for p in folder.iterdir() if p.name not in names)
        if stray:  # left from an earlier run with other rules; never deleted silently
            print(f"  warning: {folder} has files this run did not make: {stray}", file=sys.stderr)


def copy_cover(src: Source, folder: Path) -> str | None:
    """The package's own image as the album folder's cover.<ext> (kept when already equal)."""
    if not src.cover or not os.path.isfile(src.cover):
        return None
    dest = folder / f"cover{Path(src.cover).suffix.lower()}"
    if not dest.exists() or dest.read_bytes() != Path(src.cover).read_bytes():
        shutil.copyfile(src.cover, dest)
    return dest.name


# ---------------------------------------------------------------- provenance


def dep5_stanzas(package: str) -> list[dict[str, str]] | None:
    """The Files/License paragraphs of a machine-readable copyright file, or None."""
    try:
        text = Path(f"/usr/share/doc/{package}/copyright").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not text.startswith("Format:"):
        return None
    stanzas = []
    for para in re.split(r"\n[ \t]*\n", text):
        fields, key = {}, None
        for line in para.splitlines():
            if line[:1] in (" ", "\t") and key:
                if key != "license":  # keep the licence's short name, not its text
                    fields[key] += " " + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "files" in fields and "license" in fields:
            stanzas.append(fields)
    return stanzas


def _tails(path: str) -> list[str]:
    """a/b/c -> a/b/c, b/c, c: installed and upstream paths differ in their leading folders."""
    parts = path.strip("/").split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


def _pattern_tails(pattern: str) -> list[str]:
    """The pattern, and its tails that still start with a literal folder (lib/x/* must not become *)."""
    return [pattern] + [t for t in _tails(pattern)[1:] if "/" in t and not re.search(r"[*?\[]", t.split("/")[0])]


def licence_of(src: Source, origin: str) -> str:
    """Licence of a music file: the last DEP-5 stanza whose Files glob matches a tail of its path.

    Upstream paths (DEP-5) and installed paths differ in their leading folders, so
    every tail of a pattern is tried against every tail of the installed path.
    """
    if src.licence:
        return src.licence
    stanzas = dep5_stanzas(src.package)
    if stanzas is None:
        return f"see /usr/share/doc/{src.package}/copyright"
    tails = _tails(origin.split(":")[-1])  # a zip member's path is the upstream one
    found = "unknown"
    for stanza in stanzas:
        globs = [t for g in stanza["files"].split() if not g.startswith("debian/") for t in _pattern_tails(g)]
        if any(fnmatch.fnmatchcase(t, g) for g in globs for t in tails):
            found = stanza["license"]
    return found


def version_of(package: str) -> str:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else ""


def manifest(albums: list[Album], skipped: list[dict], missing: list[str]) -> dict:
    rows = []
    for a in albums:
        licences = sorted({licence_of(a.source, t.origin) for t in a.tracks})
        rows.append({
            "album": a.name, "albumartist": a.albumartist, "package": a.source.package,
            "fold_group": a.source.fold_group, "version": version_of(a.source.package), "tracks": len(a.tracks),
            "minutes": round(sum(t.seconds for t in a.tracks) / 60, 1), "licence": " / ".join(licences),
            "converted": sorted({t.kind for t in a.tracks if t.kind in ("tracker", "wav", "raw", "repair")}),
            "cover": a.source.cover if a.source.cover and os.path.isfile(a.source.cover) else "",
        })
    refuse_reserved({r["package"] for r in rows}, "the manifest")
    return {
        "about": "Album-labelled game soundtracks from Debian bookworm packages: the training and "
                 "evaluation data of the bundled album model. Built by scripts/soundtracks.py; "
                 "see docs/soundtracks.md.",
        "rules": {"min_seconds": MIN_SECONDS, "min_tracks": MIN_TRACKS,
                  "reserved_packages": "scripts/reserved_packages.txt: never used (DEVELOPERS.md)"},
        "albums": rows,
        "totals": {"albums": len(rows), "tracks": sum(r["tracks"] for r in rows),
                   "minutes": round(sum(r["minutes"] for r in rows), 1)},
        "missing_packages": missing,
        "excluded": skipped,
    }


def markdown(man: dict) -> str:
    lines = ["| # | album | album artist | package | fold group | tracks | minutes | licence |",
             "|---|---|---|---|---|---:|---:|---|"]
    for i, r in enumerate(man["albums"], 1):
        group = "" if r["fold_group"] == r["package"] else r["fold_group"]
        lines.append(f"| {i} | {r['album']} | {r['albumartist']} | {r['package']} | {group} | {r['tracks']} "
                     f"| {r['minutes']:.1f} | {r['licence']} |")
    t = man["totals"]
    lines.append(f"| | **{t['albums']} albums** | | | | **{t['tracks']}** | **{t['minutes']:.1f}** | |")
    return "\n".join(lines)


# ---------------------------------------------------------------- command line


def install() -> None:
    refuse_reserved(PACKAGES, "the sources")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    if os.geteuid() != 0:
        print("not root; install the packages with:\n  sudo " + " ".join(cmd), file=sys.stderr)
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env)  # a fresh machine has no package lists
    subprocess.run(cmd, check=True, env=env)


def plan(scratch: Path) -> tuple[list[Album], list[dict], list[str]]:
    """Every album to build, in SOURCES order; what was left out and which packages are absent."""
    refuse_reserved({s.package for s in SOURCES}, "the sources")
    albums, skipped, missing, seen = [], [], [], {}
    for src in SOURCES:
        if not version_of(src.package):
            if src.package not in missing:
                missing.append(src.package)
            continue
        tracks = collect(src, scratch, seen, skipped)
        albums += albums_of(src, tracks, skipped)
    return albums, skipped, missing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--install", action="store_true", help="apt-get install the packages first (root)")
    ap.add_argument("--out", type=Path, help="library folder to build (outside the repository)")
    ap.add_argument("--manifest", type=Path, default=REPO / "weights" / "soundtracks.json",
                    help="album table to write (default: weights/soundtracks.json)")
    ap.add_argument("--plan", action="store_true", help="print the album table only; write nothing")
    args = ap.parse_args(argv)
    refuse_reserved(PACKAGES, "the sources")  # before anything is installed or written
    if args.install:
        install()
    if not args.plan and args.out is None:
        ap.error("--out is required unless --plan is given")
    if args.out and args.out.resolve().is_relative_to(REPO):
        ap.error("--out must lie outside the repository: no audio is ever committed")
    with tempfile.TemporaryDirectory(prefix="soundtracks-") as scratch:
        albums, skipped, missing = plan(Path(scratch))
        man = manifest(albums, skipped, missing)
        if not args.plan:
            build(albums, args.out.resolve())
            args.manifest.write_text(json.dumps(man, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"wrote {args.manifest}", file=sys.stderr)
    if missing:
        print(f"not installed (skipped): {' '.join(missing)}", file=sys.stderr)
    print(markdown(man))
    return 0


if __name__ == "__main__":
    sys.exit(main())
