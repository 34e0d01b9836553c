"""What plays now and next: one plain queue the player and the queue panel share.

Items are track ids (TrackView.id), not map rows: ids survive a map refresh, rows do not
(the GUI maps them with ``{t.id: row for row, t in enumerate(data.tracks)}``). The same id
may be queued twice on purpose (a user's choice); playlists built by core never repeat one.

How the GUI uses it: the window owns one PlayQueue; "Play selection", a path or "more like
these" call ``replace(ids)`` and play ``current_item``; at the end of a track (EndOfMedia)
it calls ``advance()`` and plays what it returns; the queue panel lists ``items`` with
``current`` marked, and its drag-and-drop, Delete key and "Play next" call ``move``,
``remove`` and ``insert_after_current``. Every change calls ``on_change`` (the panel's
refresh, queued through a Qt signal by the adapter).
"""
from __future__ import annotations

from typing import Callable, Iterable


class PlayQueue:
    """Items, and a cursor: either *on* an item (it is current: playing or about to) or in the
    gap *before* ``items[pos]`` (nothing current; that item plays next): a new queue, a queue
    played to its end, or one whose current item was removed."""

    def __init__(self, items: Iterable[int] = (), on_change: Callable[[], None] | None = None) -> None:
        self._items = [int(i) for i in items]
        self._pos, self._gap = 0, True  # not started: everything is upcoming
        self.on_change = on_change

    @property
    def items(self) -> list[int]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def current(self) -> int | None:
        """Position of the current item, None when the cursor is in a gap."""
        return None if self._gap else self._pos

    @property
    def current_item(self) -> int | None:
        return None if self._gap else self._items[self._pos]

    def upcoming(self) -> list[int]:
        """What plays after the current item (or from the gap on), in order."""
        return self._items[self._pos + (0 if self._gap else 1):]

    def peek_next(self) -> int | None:
        up = self.upcoming()
        return up[0] if up else None

    def replace(self, items: Iterable[int], start: int = 0) -> int | None:
        """A new queue (a selection, a path, "more like these") with ``items[start]`` current;
        returns it (None for an empty queue)."""
        self._items = [int(i) for i in items]
        self._pos = min(max(0, int(start)), max(0, len(self._items) - 1))
        self._gap = not self._items
        self._changed()
        return self.current_item

    def advance(self) -> int | None:
        """Move on to the next item and return it; None (a gap at the end) when there is none."""
        if not self._gap:
            self._pos += 1
        self._gap = self._pos >= len(self._items)
        self._changed()
        return self.current_item

    def back(self) -> int | None:
        """Move to the item before (stays on the first) and return it."""
        if self._items:
            self._pos = max(0, min(self._pos - 1, len(self._items) - 1)) if self._pos else 0
            self._gap = False
            self._changed()
        return self.current_item

    def jump(self, position: int) -> int:
        """Make ``position`` current (a double-click in the panel) and return its item."""
        self._check(position)
        self._pos, self._gap = position, False
        self._changed()
        return self._items[position]

    def move(self, src: int, dst: int) -> None:
        """Move the item at ``src`` to position ``dst`` (drag and drop). The current item stays
        current; dropped at the gap, an item plays next."""
        self._check(src)
        dst = min(max(0, int(dst)), len(self._items) - 1)
        item = self._items.pop(src)
        if not self._gap and src == self._pos:
            self._pos = dst
        else:
            self._pos -= src < self._pos
            self._pos += dst < self._pos or (not self._gap and dst == self._pos)
        self._items.insert(dst, item)
        self._changed()

    def remove(self, position: int) -> None:
        """Drop one item. Removing the current one leaves a gap: the item after it plays next
        (the player finishes what it plays; the window may skip at once with ``advance``)."""
        self._check(position)
        del self._items[position]
        if position < self._pos:
            self._pos -= 1
        elif position == self._pos:
            self._gap = True
        self._changed()

    def insert_after_current(self, items: Iterable[int]) -> None:
        """"Play next": ``items`` right after the current item (or at the gap)."""
        at = self._pos + (0 if self._gap else 1)
        self._items[at:at] = [int(i) for i in items]
        self._changed()

    def append(self, items: Iterable[int]) -> None:
        self._items.extend(int(i) for i in items)
        self._changed()

    def clear(self) -> None:
        self._items, self._pos, self._gap = [], 0, True
        self._changed()

    def _check(self, position: int) -> None:
        if not 0 <= position < len(self._items):
            raise IndexError(f"queue position {position} out of range 0..{len(self._items) - 1}")

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
