"""Cluster names that describe, each with the evidence behind it ("why this name").

The rule (``NAMING_RULE``, shown in the legend's tooltip):
1. an auto-tag names a cluster only when it is *strong* there (mean probability ≥ TAG_FLOOR,
   far above the 0.05-0.15 Musicnn gives tags that do not apply), *distinctive* (≥ TAG_LIFT ×
   the population's mean) and *not chance* (z ≥ TAG_Z: the cluster mean against the spread of
   the population's per-track values, for a cluster of that size);
2. a genre tag held by ≥ GENRE_SHARE of the cluster's tracks and ≥ TAG_LIFT × its share of the
   population, the most over-represented first (a genre every track has is a last resort);
3. the artist or album holding > WHO_SHARE of the cluster, else two albums holding ≥ PAIR_SHARE,
   else the album leading it with ≥ LEAD_SHARE ("A +3": three more albums are in it), each
   only when that is ≥ WHO_LIFT × its share of the population (so an opened cluster of one
   composer is named by its albums, not by the composer again).
At most three parts; a cluster nothing else describes is named by its most common genre, if
≥ GENRE_SHARE of it has one, else "Cluster N". The population is the whole
library for the map's clusters and the parent cluster for its sub-clusters.
"""
from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .mapdata import TrackView
from .tags import UNKNOWN_ARTIST

TAG_FLOOR = 0.3  # mean probability inside; MSD tags on game soundtracks mostly sit at 0.05-0.2
TAG_LIFT = 1.5  # × the population's mean
TAG_Z = 2.0  # standard errors above the population's mean (a 4-track cluster can pass)
GENRE_SHARE = 0.3  # a genre names a cluster when at least this share of its tracks has it
WHO_SHARE = 0.5  # an artist / album names a cluster when it holds more than half of it
PAIR_SHARE = 2 / 3  # two albums name a cluster when together they hold this much
LEAD_SHARE = 0.15  # else the biggest album, holding at least this share (and 3 tracks), leads it
WHO_LIFT = 1.5  # … and only when that is this many times their share of the population
SEP = " · "
NAMING_RULE = (f"An auto-tag names a cluster when its mean probability there is ≥ {TAG_FLOOR:.2f}, "
               f"≥ {TAG_LIFT:g}× its mean in the library and clearly not chance (z ≥ {TAG_Z:g}); "
               f"otherwise a genre tag held by ≥ {GENRE_SHARE:.0%} of the tracks and over-represented "
               f"as much, or the artist or album holding more than half of them, two albums holding "
               f"{PAIR_SHARE:.0%}, or the album leading it with ≥ {LEAD_SHARE:.0%} of them (“A +3”: three "
               f"more albums are in it); else its most common genre.")


@dataclass(frozen=True)
class ClusterName:
    """A cluster's name and the evidence for each part, one line each (the legend's tooltip)."""

    name: str
    why: tuple[str, ...] = ()

    def tooltip(self) -> str:
        """Text for the legend row's tooltip: the evidence, then the rule."""
        lines = list(self.why) or ["nothing in this cluster is strong or distinctive enough to name it"]
        return "\n".join(lines + ["", NAMING_RULE])


@dataclass(frozen=True)
class _Part:
    text: str
    why: str


def name_clusters(labels: np.ndarray, tracks: list[TrackView], tag_probs: np.ndarray | None,
                  tag_names) -> list[str]:
    """One unique name per cluster id, e.g. "rock · guitar · Wesnoth Project"."""
    return [c.name for c in explain_clusters(labels, tracks, tag_probs, tag_names)]


def explain_clusters(labels: np.ndarray, tracks: list[TrackView], tag_probs: np.ndarray | None,
                     tag_names, population: str = "the library") -> list[ClusterName]:
    """One unique ClusterName per cluster id 0..max(labels), judged against all of ``tracks``.

    ``population`` is how the evidence names the reference ("the library", "the cluster").
    The GUI calls this with the MapData's cluster, tracks, tag_probs and tag_names to fill
    the legend tooltips (names match ``name_clusters``); ~1 s at 100k tracks, so off the GUI
    thread, next to the map build.
    """
    labels = np.asarray(labels)
    k = int(labels.max()) + 1 if len(labels) else 0
    ref = _Reference.of(tracks, tag_probs, population)
    parts, extras = [], []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        sub = [tracks[i] for i in members]
        genre = _genre(sub, ref)
        tags = _tags(tag_probs[members] if tag_probs is not None else None, ref, tag_names)
        tags = [t for t in tags if genre is None or t.text.lower() != genre.text.lower()]
        who = _who(sub, ref)
        n_tags = min(2, 3 - bool(genre) - bool(who))  # at most three parts in all
        chosen = ([genre] if genre else []) + tags[:n_tags] + ([who] if who else []) or _common_genre(sub, ref)
        parts.append(chosen)
        extras.append(tags[n_tags:])
    return _unique(parts, extras)


@dataclass(frozen=True)
class _Reference:
    genres: dict[str, float]
    artists: dict[str, float]
    albums: dict[str, float]
    tag_mean: np.ndarray | None
    tag_sd: np.ndarray | None
    words: str

    @classmethod
    def of(cls, tracks: list[TrackView], tag_probs: np.ndarray | None, words: str) -> "_Reference":
        mean, sd = _tag_stats(tag_probs)
        n = max(1, len(tracks))
        artists = {a: c / n for a, c in Counter(_artist(t) for t in tracks).items()}
        albums = {a: c / n for a, c in Counter(_album(t) for t in tracks).items()}
        return cls(_genre_shares(tracks), artists, albums, mean, sd, words)


def _genre_shares(tracks: list[TrackView]) -> dict[str, float]:
    counts = Counter(g for t in tracks for g in {x.strip().lower() for x in t.genres if x.strip()})
    return {g: c / max(1, len(tracks)) for g, c in counts.items()}


def _genre(tracks: list[TrackView], ref: _Reference) -> _Part | None:
    """The most telling common genre: share ≥ GENRE_SHARE and ≥ TAG_LIFT × the population's,
    then the highest lift."""
    shares = _genre_shares(tracks)
    ok = [(s / ref.genres[g], s, g) for g, s in shares.items()
          if s >= GENRE_SHARE and s >= TAG_LIFT * ref.genres[g]]
    if not ok:
        return None
    lift, share, best = min(ok, key=lambda t: (-round(t[0], 6), -t[1], t[2]))  # ties: larger share, A-Z
    text = _spelling(tracks, best)
    return _Part(text, f"genre {text}: {share:.0%} of the tracks here vs {ref.genres[best]:.0%} in {ref.words}")


def _spelling(tracks: list[TrackView], genre: str) -> str:
    """How the tracks most often spell the (lower-cased) ``genre``."""
    return Counter(x.strip() for t in tracks for x in t.genres if x.strip().lower() == genre).most_common(1)[0][0]


def _common_genre(tracks: list[TrackView], ref: _Reference) -> list[_Part]:
    """The last resort before "Cluster N": the cluster's most common genre, distinctive or not."""
    shares = _genre_shares(tracks)
    if not shares or max(shares.values()) < GENRE_SHARE:
        return []
    share, best = min((-s, g) for g, s in shares.items())
    text = _spelling(tracks, best)
    return [_Part(text, f"genre {text}: {-share:.0%} of the tracks here, {ref.genres[best]:.0%} in {ref.words} "
                        "(nothing more distinctive names it)")]


def _tag_stats(tag_probs: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-tag mean and standard deviation over tracks with a taggram (NaN rows are skipped)."""
    if tag_probs is None or len(tag_probs) == 0:
        return None, None
    p = np.asarray(tag_probs, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (no taggram) are fine
        return np.nan_to_num(np.nanmean(p, 0)), np.nan_to_num(np.nanstd(p, 0))


def _tags(probs: np.ndarray | None, ref: _Reference, tag_names) -> list[_Part]:
    """Auto-tags that pass the rule (module docstring), the strongest lift × mean first."""
    if probs is None or ref.tag_mean is None:
        return []
    mean, _ = _tag_stats(probs)
    n = int((~np.isnan(np.asarray(probs, np.float64)[:, 0])).sum()) if probs.shape[1] else 0
    lift = mean / np.maximum(ref.tag_mean, 1e-6)
    z = (mean - ref.tag_mean) / np.maximum(ref.tag_sd / np.sqrt(max(n, 1)), 1e-6)
    ok = (mean >= TAG_FLOOR) & (lift >= TAG_LIFT) & (z >= TAG_Z)
    score = mean * np.log(np.maximum(lift, 1e-6))  # the cluster's term of a KL divergence
    order = [i for i in np.argsort(-score, kind="stable") if ok[i]]
    return [_Part(str(tag_names[i]), f"{tag_names[i]}: {mean[i]:.2f} here vs {ref.tag_mean[i]:.2f} "
                  f"in {ref.words} ({lift[i]:.1f}×)") for i in order]


def _artist(t: TrackView) -> str:
    name = (t.albumartist or t.artist or "").strip()
    return "" if name == UNKNOWN_ARTIST else name


def _album(t: TrackView) -> str:
    return (t.album or "").strip()


def _who(tracks: list[TrackView], ref: _Reference) -> _Part | None:
    """The artist (album artist first) or album holding more than half the cluster, else two
    albums holding PAIR_SHARE of it together; each only if over-represented (WHO_LIFT)."""
    n = len(tracks)
    for what, key, shares in (("artist", _artist, ref.artists), ("album", _album, ref.albums)):
        counts = Counter(key(t) for t in tracks)
        counts.pop("", None)
        ok = [(v, c) for v, c in counts.items() if c > WHO_SHARE * n and c / n >= WHO_LIFT * shares[v]]
        if ok:
            value, count = min(ok, key=lambda kv: (-kv[1], kv[0]))
            return _Part(value, f"{what} {value}: {count} of {n} tracks here, {shares[value]:.0%} of {ref.words}")
    albums = Counter(_album(t) for t in tracks)
    albums.pop("", None)
    top = sorted(albums.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
    if len(top) == 2 and top[0][1] + top[1][1] >= max(PAIR_SHARE * n, WHO_LIFT * n * (
            ref.albums[top[0][0]] + ref.albums[top[1][0]])):
        (a, ca), (b, cb) = top
        return _Part(f"{a} + {b}", f"albums {a} and {b}: {ca} and {cb} of {n} tracks here")
    return _lead_album(albums, n, ref)


def _lead_album(albums: Counter, n: int, ref: _Reference) -> _Part | None:
    """The biggest album of a mixed cluster ("A +9": nine more albums are in it), when it holds
    LEAD_SHARE of it, 3 tracks or more, and is over-represented there (WHO_LIFT)."""
    if not albums:
        return None
    album, count = min(albums.items(), key=lambda kv: (-kv[1], kv[0]))
    if count < max(3, LEAD_SHARE * n) or count / n < WHO_LIFT * ref.albums[album]:
        return None
    more = len(albums) - 1
    return _Part(f"{album} +{more}" if more else album,
                 f"album {album}: {count} of {n} tracks here, {ref.albums[album]:.0%} of {ref.words}; "
                 f"{more} more album(s) in it")


def _unique(parts: list[list[_Part]], extras: list[list[_Part]]) -> list[ClusterName]:
    """Disambiguate equal names: first with a further qualifying tag, then with a number."""
    parts = [list(p) for p in parts]
    names = [SEP.join(p.text for p in ps) if ps else f"Cluster {c + 1}" for c, ps in enumerate(parts)]
    for _ in range(2):
        counts = Counter(names)
        for c, name in enumerate(names):
            if counts[name] > 1 and extras[c]:
                extra = extras[c].pop(0)
                parts[c].append(extra)
                names[c] = f"{name}{SEP}{extra.text}"
    counts, seen = Counter(names), Counter()
    for c, name in enumerate(names):
        if counts[name] > 1:
            seen[name] += 1
            names[c] = f"{name} ({seen[name]})"
    return [ClusterName(name, tuple(p.why for p in ps)) for name, ps in zip(names, parts)]
