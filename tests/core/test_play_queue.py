"""The play queue the player and the queue panel share: cursor, gaps, moves, play next."""
from hypothesis import given, settings
from hypothesis import strategies as st

from musicmap_desktop.core.play_queue import PlayQueue


def test_a_queue_plays_through_and_ends_in_a_gap():
    changes = []
    q = PlayQueue(on_change=lambda: changes.append(1))
    assert q.current_item is None and q.advance() is None
    assert q.replace([10, 11, 12]) == 10 and q.current == 0 and q.upcoming() == [11, 12]
    assert q.advance() == 11 and q.peek_next() == 12
    assert q.advance() == 12 and q.advance() is None and q.current is None and q.upcoming() == []
    q.append([13])  # added after the end: it is what plays next
    assert q.upcoming() == [13] and q.advance() == 13
    assert q.back() == 12 and q.back() == 11 and q.back() == 10 and q.back() == 10
    assert len(changes) >= 10


def test_play_next_move_and_remove_keep_the_current_item():
    q = PlayQueue()
    q.replace([1, 2, 3, 4], start=1)
    q.insert_after_current([9, 8])
    assert q.items == [1, 2, 9, 8, 3, 4] and q.current_item == 2 and q.peek_next() == 9
    q.move(5, 0)
    assert q.items == [4, 1, 2, 9, 8, 3] and q.current_item == 2
    q.move(2, 5)  # the current item itself
    assert q.items == [4, 1, 9, 8, 3, 2] and q.current_item == 2 and q.upcoming() == []
    q.remove(0)
    assert q.current_item == 2 and q.items == [1, 9, 8, 3, 2]
    q.jump(1)
    q.remove(1)  # the current one: a gap, the next plays next
    assert q.current_item is None and q.peek_next() == 8 and q.advance() == 8
    q.clear()
    assert q.items == [] and q.current_item is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=12), st.data())
def test_any_edit_keeps_the_items_and_the_current_item(items, data):
    q = PlayQueue()
    q.replace(items, start=data.draw(st.integers(0, len(items) - 1)))
    for _ in range(data.draw(st.integers(1, 8))):
        n, before, current = len(q), sorted(q.items), q.current
        op = data.draw(st.sampled_from(["move", "advance", "insert", "remove"] if n else ["insert"]))
        playing = q.current_item
        if op == "move":
            src, dst = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
            q.move(src, dst)
            assert sorted(q.items) == before and q.items[dst] == (before and q.items[dst])
            if current is not None:
                assert q.current_item == playing and q.current is not None
        elif op == "insert":
            q.insert_after_current([99])
            assert len(q) == n + 1 and q.current_item == playing and q.peek_next() == 99
        elif op == "remove":
            pos = data.draw(st.integers(0, n - 1))
            q.remove(pos)
            assert len(q) == n - 1
            if current is not None and pos != current:
                assert q.current_item == playing
        else:
            q.advance()
        assert q.upcoming() == q.items[len(q) - len(q.upcoming()):]
