"""PageOrder: each page's comm messages are dispatched in the order the page sent them."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nextevi_widgets._widget.page_order import PageOrder


def _msg(page: str, n: int) -> dict[str, Any]:
    return {"kind": "audio_frame", "page": page, "n": n}


def _ns(released: list[tuple[Any, Any]]) -> list[int]:
    return [message["n"] for message, _ in released]


def test_in_order_messages_pass_at_once_with_their_buffers() -> None:
    order = PageOrder()
    for n in (1, 2, 3):
        [(message, buffers)] = order.accept(_msg("p", n), [b"pcm%d" % n])
        assert message["n"] == n
        assert buffers == [b"pcm%d" % n]
    assert order.held() == 0


def test_an_early_message_waits_for_the_one_before_it() -> None:
    order = PageOrder()
    assert order.accept(_msg("p", 2), None) == []
    assert order.accept(_msg("p", 3), None) == []
    assert order.held() == 2
    assert _ns(order.accept(_msg("p", 1), None)) == [1, 2, 3]
    assert order.held() == 0


def test_messages_without_an_envelope_pass_untouched() -> None:
    order = PageOrder()
    plain = {"kind": "ui_action", "action": "connect"}
    assert order.accept(plain, None) == [(plain, None)]
    assert order.accept({"kind": "x", "page": "p", "n": True}, None)[0][0]["n"] is True


def test_pages_are_ordered_independently() -> None:
    order = PageOrder()
    assert order.accept(_msg("a", 2), None) == []
    assert _ns(order.accept(_msg("b", 1), None)) == [1]
    assert _ns(order.accept(_msg("a", 1), None)) == [1, 2]


def test_a_gap_that_never_fills_releases_the_held_messages_in_order() -> None:
    order = PageOrder(max_held=3)
    for n in (2, 3, 4):
        assert order.accept(_msg("p", n), None) == []
    assert _ns(order.accept(_msg("p", 6), None)) == [2, 3, 4, 6]
    assert order.held() == 0
    # The missing ones, should they come after all, are not lost.
    assert _ns(order.accept(_msg("p", 1), None)) == [1]
    assert _ns(order.accept(_msg("p", 7), None)) == [7]


def test_old_pages_are_forgotten_beyond_the_limit() -> None:
    order = PageOrder(max_pages=2)
    order.accept(_msg("a", 2), None)
    order.accept(_msg("b", 1), None)
    order.accept(_msg("c", 1), None)  # "a" is the oldest: forgotten with what it held
    assert order.held() == 0


@given(st.lists(st.integers(1, 3), min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_any_local_swaps_come_out_in_send_order(pages: list[int], rnd: random.Random) -> None:
    counts: dict[str, int] = {}
    sent = []
    for page in pages:
        name = f"p{page}"
        counts[name] = counts.get(name, 0) + 1
        sent.append(_msg(name, counts[name]))
    arrived = sent[:]
    for i in range(len(arrived) - 1):  # adjacent swaps, as a busy kernel makes them
        if rnd.random() < 0.4:
            arrived[i], arrived[i + 1] = arrived[i + 1], arrived[i]
    order = PageOrder()
    out = [message for msg in arrived for message, _ in order.accept(msg, None)]
    assert order.held() == 0
    for name in counts:
        assert [m["n"] for m in out if m["page"] == name] == list(range(1, counts[name] + 1))
