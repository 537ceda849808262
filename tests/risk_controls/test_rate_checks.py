"""Checks 8-9: duplicate orders, session/account message throttles, the repeated-execution
throttle and the daily order-count cap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from risk_controls.checks import duplicate, throttle
from risk_controls.domain import Channel, Denial, DenyCode, NewOrder, Side
from tests.risk_controls.builders import D, Harness, minimal_policy, order, replace_request

LOOSE_THROTTLES = {
    "session_throttle": {"max_messages": 1000, "per_seconds": "1"},
    "execution_throttle": {"max_fills": 1000, "window_seconds": "1"},
}
LOOSE_ACCOUNT = {"throttle": {"max_messages": 1000, "per_seconds": "1"}, "max_daily_orders": 1000}


def loose(firm: dict[str, Any] | None = None, **accounts: dict[str, Any]) -> Harness:
    """Throttles out of the way, so a test sees only the control it is about."""
    return Harness(
        policy=minimal_policy(
            firm={**LOOSE_THROTTLES, **(firm or {})},
            accounts={name: {**LOOSE_ACCOUNT, **accounts.get(name, {})} for name in ("A1", "A2", "B1")},
        )
    )


def accept(h: Harness, new: NewOrder) -> str:
    outcome = h.submit(new)
    assert outcome.denial is None, outcome.denial
    assert outcome.order_id is not None
    return outcome.order_id


# ---- 8. duplicate orders (window 1000 ms, max_count 1) --------------------------------


def test_an_identical_order_within_the_window_is_a_duplicate() -> None:
    h = loose()
    accept(h, order(quantity=100, price="228.50"))
    h.clock.advance(0.999999)
    denial = duplicate.check(h.ctx(order(quantity=100, price="228.50")))
    assert denial is not None and denial.code is DenyCode.DUPLICATE_ORDER
    assert denial.context_dict() == {"seen": "1", "max": "1", "window_ms": "1000"}


def test_the_duplicate_window_ends_exactly_window_ms_later() -> None:
    h = loose()
    accept(h, order(quantity=100, price="228.50"))
    h.clock.advance(1.0)
    assert duplicate.check(h.ctx(order(quantity=100, price="228.50"))) is None


def test_orders_differing_in_any_key_field_are_not_duplicates() -> None:
    h = loose()
    accept(h, order(quantity=100, price="228.50"))
    for different in (
        order(quantity=101, price="228.50"),
        order(quantity=100, price="228.51"),
        order(quantity=100, price="228.50", side=Side.SELL_SHORT, locate="L"),
        order(quantity=100, price="228.50", account="A2"),
        order("MSFT", quantity=100, price="415.20"),
    ):
        assert duplicate.check(h.ctx(different)) is None


def test_max_count_allows_that_many_identical_orders_in_the_window() -> None:
    h = loose(firm={"duplicate": {"window_ms": 500, "max_count": 2}})
    accept(h, order(quantity=10))
    h.clock.advance(0.1)
    accept(h, order(quantity=10))
    h.clock.advance(0.1)
    denial = h.submit(order(quantity=10)).denial
    assert denial is not None and denial.code is DenyCode.DUPLICATE_ORDER
    assert denial.context_dict()["seen"] == "2"
    h.clock.advance(0.3)  # the first one left the window
    assert h.submit(order(quantity=10)).accepted


def test_a_denied_order_does_not_count_as_a_previous_order() -> None:
    h = loose()
    assert h.submit(order(quantity=100, price="228.50", user="carol")).denial is not None
    assert h.submit(order(quantity=100, price="228.50")).accepted


def test_a_replace_is_not_a_duplicate_of_the_order_it_amends() -> None:
    h = loose()
    oid = accept(h, order(quantity=100, price="228.50"))
    working = h.state.orders[oid]
    same = working.replaced_by(replace_request(working, 100))
    assert duplicate.check(h.ctx(same, replacing=working)) is None


# ---- 9. session throttle (firm default 5 per 1 s; session S2 has its own, 2 per 1 s) ------


def burst(h: Harness, count: int, account: str = "A1") -> list[Denial | None]:
    """``count`` distinct orders at the same instant; their denials (None = accepted)."""
    return [h.submit(order(quantity=1 + i, account=account)).denial for i in range(count)]


def test_session_throttle_counts_the_current_message() -> None:
    h = Harness(policy=minimal_policy(accounts={"A1": LOOSE_ACCOUNT}))
    denials = burst(h, 6)
    assert denials[:5] == [None] * 5
    assert denials[5] is not None and denials[5].code is DenyCode.SESSION_THROTTLE_EXCEEDED
    assert denials[5].context_dict() == {"session": "S1", "max": "5", "per_seconds": "1"}


def test_session_throttle_window_expires_after_per_seconds() -> None:
    h = Harness(policy=minimal_policy(accounts={"A1": LOOSE_ACCOUNT}))
    burst(h, 5)
    h.clock.advance(0.999999)
    assert h.submit(order(quantity=50)).denial is not None
    h.clock.advance(0.000001)  # the first burst is now exactly 1 s old: out of the window
    assert h.submit(order(quantity=51)).accepted


def test_a_session_policy_overrides_the_firms_session_throttle() -> None:
    h = Harness(policy=minimal_policy(accounts={"A2": LOOSE_ACCOUNT}))
    denials = burst(h, 3, account="A2")
    assert denials[:2] == [None, None]
    assert denials[2] is not None and denials[2].context_dict() == {
        "session": "S2",
        "max": "2",
        "per_seconds": "1",
    }


def test_denied_messages_count_against_the_throttle_too() -> None:
    h = Harness(policy=minimal_policy(accounts={"A1": LOOSE_ACCOUNT}))
    for _ in range(5):
        assert h.submit(order("TSLA", price="338.90")).denial is not None  # restricted
    denial = h.submit(order()).denial
    assert denial is not None and denial.code is DenyCode.SESSION_THROTTLE_EXCEEDED


def test_session_throttle_check_at_its_boundary() -> None:
    h = Harness()
    now = h.clock.now()
    for _ in range(5):
        h.state.note_message("S1", "A1", now)
    assert throttle.session_throttle(h.ctx(order())) is None  # 5 messages incl. this one
    h.state.note_message("S1", "A1", now)
    assert throttle.session_throttle(h.ctx(order())) is not None  # 6


def test_each_rest_client_has_a_session_throttle_of_its_own() -> None:
    """Every REST client enters through the one door ``rest``: one busy client must not
    throttle the others. A FIX session stays one budget, whoever enters through it."""
    h = Harness()
    now = h.clock.now()
    ann = order(channel=Channel.REST, session="rest", user="ann")
    bob = order(channel=Channel.REST, session="rest", user="bob")
    for _ in range(6):
        h.state.note_message(ann.origin.throttle_key, "A1", now)
    denial = throttle.session_throttle(h.ctx(ann))
    assert denial is not None and denial.context_dict()["session"] == "rest:ann"
    h.state.note_message(bob.origin.throttle_key, "A1", now)
    assert throttle.session_throttle(h.ctx(bob)) is None

    for _ in range(6):
        h.state.note_message(order(user="ann").origin.throttle_key, "A1", now)  # FIX session S1
    assert throttle.session_throttle(h.ctx(order(user="bob"))) is not None


# ---- 9. account throttle (A1: 4 per 1 s, whatever the session) ---------------------------


def test_account_throttle_counts_messages_from_every_session() -> None:
    h = Harness(policy=minimal_policy(firm=LOOSE_THROTTLES))
    denials = [h.submit(order(quantity=i + 1, session=s)).denial for i, s in enumerate(["S1", "ALGOS"] * 3)]
    assert denials[:4] == [None] * 4
    assert denials[4] is not None and denials[4].code is DenyCode.ACCOUNT_THROTTLE_EXCEEDED
    assert denials[4].context_dict() == {"account": "A1", "max": "4", "per_seconds": "1"}
    # another account is not affected
    assert h.submit(order(account="A2", quantity=1)).accepted


def test_account_throttle_window_expires() -> None:
    h = Harness(policy=minimal_policy(firm=LOOSE_THROTTLES))
    burst(h, 5)
    h.clock.advance(1)
    assert h.submit(order(quantity=77)).accepted


# ---- 9. repeated-execution throttle (3 fills in 10 s disables the account) -------------


def test_execution_throttle_trips_on_the_nth_fill_and_stays_until_re_enabled() -> None:
    h = Harness(
        policy=minimal_policy(
            firm={"session_throttle": LOOSE_THROTTLES["session_throttle"]}, accounts={"A1": LOOSE_ACCOUNT}
        )
    )
    oid = accept(h, order(quantity=100))
    h.fill(oid, 10)
    h.fill(oid, 10)
    assert throttle.execution_throttle(h.ctx(order(quantity=1))) is None  # two fills
    h.fill(oid, 10)
    denial = throttle.execution_throttle(h.ctx(order(quantity=1)))
    assert denial is not None and denial.code is DenyCode.EXECUTION_THROTTLE_TRIPPED
    assert denial.context_dict() == {"account": "A1"}
    assert throttle.execution_throttle(h.ctx(order(account="A2"))) is None
    # it does not wear off with time: a person has to re-enable the account
    h.clock.advance(3600)
    assert throttle.execution_throttle(h.ctx(order(quantity=1))) is not None
    h.state.execution_disabled.discard("A1")
    assert throttle.execution_throttle(h.ctx(order(quantity=1))) is None


def test_fills_spread_wider_than_the_window_do_not_trip_it() -> None:
    h = Harness(policy=minimal_policy(accounts={"A1": LOOSE_ACCOUNT}))
    oid = accept(h, order(quantity=100))
    for _ in range(5):
        h.fill(oid, 1)
        h.clock.advance(5)  # at most two fills in any 10 s window
    assert "A1" not in h.state.execution_disabled


# ---- 9. daily order-count cap (A1: 5 orders a day) ---------------------------------


def test_daily_order_cap_boundary_and_reset_on_a_new_day() -> None:
    h = Harness(
        policy=minimal_policy(firm=LOOSE_THROTTLES, accounts={"A1": {"throttle": {"max_messages": 99}}})
    )
    for i in range(5):
        accept(h, order(quantity=i + 1))
    denial = h.submit(order(quantity=99)).denial
    assert denial is not None and denial.code is DenyCode.DAILY_ORDER_COUNT_EXCEEDED
    assert denial.context_dict() == {"max": "5", "count": "5"}
    h.clock.advance(24 * 3600)  # Tuesday, same time
    assert h.submit(order(quantity=99)).accepted


def test_daily_order_cap_counts_accepted_orders_only() -> None:
    h = Harness(
        policy=minimal_policy(firm=LOOSE_THROTTLES, accounts={"A1": {"throttle": {"max_messages": 99}}})
    )
    for _ in range(3):
        assert h.submit(order("TSLA", price="338.90")).denial is not None
    for i in range(5):
        accept(h, order(quantity=i + 1))
    assert h.state.book("A1").orders_today == 5


def test_a_replace_does_not_count_against_the_daily_cap() -> None:
    h = Harness(
        policy=minimal_policy(firm=LOOSE_THROTTLES, accounts={"A1": {"throttle": {"max_messages": 99}}})
    )
    ids = [accept(h, order(quantity=i + 1)) for i in range(5)]
    working = h.state.orders[ids[0]]
    outcome = h.replace_order(ids[0], replace_request(working, 20))
    assert outcome.denial is None
    assert h.state.orders[ids[0]].order.quantity == D(20)
    assert h.state.book("A1").orders_today == 5


def test_throttle_spans_follow_the_policy() -> None:
    h = Harness(policy=minimal_policy(firm={"session_throttle": {"max_messages": 1, "per_seconds": "0.5"}}))
    assert h.submit(order(quantity=1)).accepted
    h.clock.set(h.clock.now() + timedelta(milliseconds=499))
    assert h.submit(order(quantity=2)).denial is not None
    h.clock.set(h.clock.now() + timedelta(milliseconds=501))
    assert h.submit(order(quantity=3)).accepted
