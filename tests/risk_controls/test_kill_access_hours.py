"""Checks 1-2: kill switch scopes and REDUCING mode; market access; trading hours."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from pydantic import ValidationError

from risk_controls.checks import access, hours, kill
from risk_controls.domain import Channel, Denial, DenyCode, NewOrder, Side
from risk_controls.kill_switch import KillMode, KillScope
from risk_controls.policy.schema import TradingHours
from tests.risk_controls.builders import Harness, kill_entry, minimal_policy, order, replace_request

# ---- 1. kill switch ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "target", "hit", "miss"),
    [
        (KillScope.FIRM, "*", order(account="A1"), None),
        (KillScope.ACCOUNT, "A1", order(account="A1"), order(account="A2", price="228.40")),
        (KillScope.TRADER, "alice", order(account="A2", user="alice"), order(account="A2", user="bob")),
        (
            KillScope.STRATEGY,
            "algo-1",
            order(channel=Channel.STRATEGY, strategy="algo-1", session="ALGOS", user="twap"),
            order(),
        ),
        (KillScope.INSTRUMENT, "AAPL", order("AAPL"), order("KO", price="63.15")),
        (KillScope.SESSION, "S1", order(account="A2", session="S1"), order(account="A2", session="S2")),
    ],
)
def test_kill_switch_halts_orders_in_its_scope_only(
    scope: KillScope, target: str, hit: NewOrder, miss: NewOrder | None
) -> None:
    h = Harness()
    h.kill.engage(kill_entry(scope, target))
    denial = kill.check(h.ctx(hit))
    assert denial is not None
    assert denial.code is DenyCode.KILL_SWITCH_ENGAGED
    assert denial.context_dict() == {"scope": scope.value, "target": target, "mode": "HALT"}
    if miss is not None:
        assert kill.check(h.ctx(miss)) is None


def test_kill_switch_is_the_first_check_and_release_lets_orders_through() -> None:
    h = Harness()
    h.kill.engage(kill_entry(KillScope.FIRM, "*"))
    outcome = h.submit(order())
    assert outcome.denial is not None and outcome.denial.code is DenyCode.KILL_SWITCH_ENGAGED
    assert [r.control for r in outcome.results] == ["kill_switch"]
    h.kill.release(KillScope.FIRM, "*")
    h.clock.advance(2)
    assert h.submit(order()).accepted


def test_halt_wins_over_reducing_when_both_cover_an_order() -> None:
    h = Harness()
    h.kill.engage(kill_entry(KillScope.INSTRUMENT, "AAPL", KillMode.REDUCING))
    h.kill.engage(kill_entry(KillScope.ACCOUNT, "A1", KillMode.HALT))
    denial = kill.check(h.ctx(order(side=Side.SELL)))
    assert denial is not None and denial.context_dict()["mode"] == "HALT"


def long_position(h: Harness, quantity: int) -> None:
    outcome = h.submit(order("AAPL", Side.BUY, quantity, "228.50"))
    assert outcome.order_id is not None
    h.fill(outcome.order_id, quantity)
    h.clock.advance(2)


def test_reducing_mode_lets_a_sale_up_to_the_long_position_through() -> None:
    h = Harness()
    long_position(h, 100)
    h.kill.engage(kill_entry(KillScope.ACCOUNT, "A1", KillMode.REDUCING))
    assert kill.check(h.ctx(order(side=Side.SELL, quantity=99))) is None
    assert kill.check(h.ctx(order(side=Side.SELL, quantity=100))) is None
    over = kill.check(h.ctx(order(side=Side.SELL, quantity=101)))
    assert over is not None and over.context_dict()["mode"] == "REDUCING"
    assert kill.check(h.ctx(order(side=Side.BUY, quantity=1))) is not None  # increases the long
    short = order(side=Side.SELL_SHORT, quantity=1, locate="LOC-1")
    assert kill.check(h.ctx(short)) is not None  # a short sale never reduces risk


def test_reducing_mode_counts_open_sells_and_a_replace_releases_its_own() -> None:
    h = Harness()
    long_position(h, 100)
    resting = h.submit(order(side=Side.SELL, quantity=60, price="229.00"))
    assert resting.order_id is not None
    h.kill.engage(kill_entry(KillScope.ACCOUNT, "A1", KillMode.REDUCING))
    assert kill.check(h.ctx(order(side=Side.SELL, quantity=40, price="229.10"))) is None
    assert kill.check(h.ctx(order(side=Side.SELL, quantity=41, price="229.10"))) is not None
    # replacing the resting sell up to the whole position still only reduces it
    working = h.state.orders[resting.order_id]
    bigger = working.replaced_by(replace_request(working, 100))
    assert kill.check(h.ctx(bigger, replacing=working)) is None
    too_big = working.replaced_by(replace_request(working, 101))
    assert kill.check(h.ctx(too_big, replacing=working)) is not None


def test_reducing_mode_lets_a_short_position_be_bought_back() -> None:
    h = Harness()
    outcome = h.submit(order(side=Side.SELL_SHORT, quantity=50, locate="LOC-1"))
    assert outcome.order_id is not None
    h.fill(outcome.order_id, 50)
    h.kill.engage(kill_entry(KillScope.FIRM, "*", KillMode.REDUCING))
    assert kill.check(h.ctx(order(side=Side.BUY, quantity=50))) is None
    assert kill.check(h.ctx(order(side=Side.BUY, quantity=51))) is not None
    assert kill.check(h.ctx(order(side=Side.SELL, quantity=1))) is not None


def test_reducing_mode_denies_everything_on_a_flat_position() -> None:
    h = Harness()
    h.kill.engage(kill_entry(KillScope.FIRM, "*", KillMode.REDUCING))
    for side in (Side.BUY, Side.SELL):
        assert kill.check(h.ctx(order(side=side, quantity=1))) is not None


# ---- 2. market access ----------------------------------------------------------


def test_unknown_account_is_denied() -> None:
    denial = access.account_enabled(Harness().ctx(order(account="NOPE", user="alice", session="S1")))
    assert denial is not None
    assert (denial.code, denial.context_dict()) == (DenyCode.ACCOUNT_UNKNOWN, {"account": "NOPE"})


def test_disabled_account_is_denied() -> None:
    h = Harness()
    denial = access.account_enabled(h.ctx(order(account="OFF")))
    assert denial is not None
    assert (denial.code, denial.context_dict()) == (DenyCode.ACCOUNT_DISABLED, {"account": "OFF"})
    assert access.account_enabled(h.ctx(order(account="A1"))) is None


def test_user_not_authorized_for_the_account_is_denied() -> None:
    h = Harness()
    denial = access.authorized(h.ctx(order(account="A1", user="carol")))
    assert denial is not None and denial.code is DenyCode.NOT_AUTHORIZED_FOR_ACCOUNT
    assert denial.context_dict() == {"user": "carol", "account": "A1"}
    assert access.authorized(h.ctx(order(account="A1", user="alice"))) is None


def test_session_not_authorized_for_the_account_is_denied() -> None:
    h = Harness()
    denial = access.authorized(h.ctx(order(account="A1", user="alice", session="S3")))
    assert denial is not None and denial.code is DenyCode.NOT_AUTHORIZED_FOR_ACCOUNT
    assert denial.context_dict() == {"session": "S3", "account": "A1"}


def test_a_strategy_must_itself_be_authorized_for_the_account() -> None:
    h = Harness()
    allowed = order(channel=Channel.STRATEGY, strategy="algo-1", user="twap", session="ALGOS")
    assert access.authorized(h.ctx(allowed)) is None
    other = order(channel=Channel.STRATEGY, strategy="algo-9", user="twap", session="ALGOS")
    denial = access.authorized(h.ctx(other))
    assert denial is not None and denial.code is DenyCode.NOT_AUTHORIZED_FOR_ACCOUNT
    assert denial.context_dict() == {"strategy": "algo-9", "account": "A1"}
    # an authorized strategy still needs an authorized session
    wrong_door = order(channel=Channel.STRATEGY, strategy="algo-1", user="twap", session="S3")
    assert access.authorized(h.ctx(wrong_door)) is not None


def test_instrument_not_on_the_accounts_list_is_denied() -> None:
    h = Harness()
    denial = access.instrument_permitted(h.ctx(order("MSFT", price="415.20", account="B1")))
    assert denial is not None
    assert (denial.code, denial.context_dict()) == (DenyCode.INSTRUMENT_NOT_PERMITTED, {"symbol": "MSFT"})
    assert access.instrument_permitted(h.ctx(order("AAPL", account="B1"))) is None
    assert access.instrument_permitted(h.ctx(order("MSFT", price="415.20", account="A1"))) is None


def test_venue_not_on_the_accounts_list_is_denied() -> None:
    h = Harness()
    denial = access.venue_permitted(h.ctx(order("VOD", price="0.7012", account="B1")))
    assert denial is not None
    assert (denial.code, denial.context_dict()) == (DenyCode.VENUE_NOT_PERMITTED, {"venue": "XLON"})
    assert access.venue_permitted(h.ctx(order("SAP", price="232.44", account="B1"))) is None
    # an explicitly requested venue is what is checked
    assert access.venue_permitted(h.ctx(order("AAPL", account="B1", venue="XLON"))) is not None


# ---- 2. trading hours (minimal policy: 08:00-16:30 UTC, Monday-Friday) ------------------


def at(h: Harness, when: datetime) -> Denial | None:
    h.clock.set(when)
    return hours.check(h.ctx(order()))


def test_trading_hours_start_is_inclusive() -> None:
    h = Harness()
    assert at(h, datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)) is None
    before = at(h, datetime(2026, 11, 23, 7, 59, 59, 999999, tzinfo=UTC))
    assert before is not None and before.code is DenyCode.OUTSIDE_TRADING_HOURS


def test_trading_hours_end_is_exclusive() -> None:
    h = Harness()
    assert at(h, datetime(2026, 11, 23, 16, 29, 59, 999999, tzinfo=UTC)) is None
    denial = at(h, datetime(2026, 11, 23, 16, 30, tzinfo=UTC))
    assert denial is not None and denial.code is DenyCode.OUTSIDE_TRADING_HOURS
    assert denial.context_dict() == {"now": "Mon 16:30:00", "start": "08:00:00", "end": "16:30:00"}


def test_a_weekday_not_listed_is_closed_all_day() -> None:
    h = Harness()
    denial = at(h, datetime(2026, 11, 28, 12, 0, tzinfo=UTC))  # a Saturday
    assert denial is not None and denial.context_dict()["now"] == "Sat 12:00:00"
    assert at(h, datetime(2026, 11, 27, 12, 0, tzinfo=UTC)) is None  # Friday


def overnight() -> Harness:
    """Sunday to Thursday sessions of 22:00-06:00 UTC (an Asian-hours desk)."""
    hours_policy = {"start": "22:00:00", "end": "06:00:00", "weekdays": [6, 0, 1, 2, 3]}
    return Harness(policy=minimal_policy(firm={"trading_hours": hours_policy}))


def test_an_overnight_window_is_open_on_both_sides_of_midnight() -> None:
    h = overnight()
    assert at(h, datetime(2026, 11, 23, 22, 0, tzinfo=UTC)) is None  # Monday evening
    assert at(h, datetime(2026, 11, 24, 5, 59, 59, 999999, tzinfo=UTC)) is None  # Tuesday morning
    assert at(h, datetime(2026, 11, 22, 23, 30, tzinfo=UTC)) is None  # Sunday evening opens the week
    closed = at(h, datetime(2026, 11, 24, 6, 0, tzinfo=UTC))
    assert closed is not None and closed.context_dict() == {
        "now": "Tue 06:00:00",
        "start": "22:00:00",
        "end": "06:00:00",
    }
    assert at(h, datetime(2026, 11, 24, 12, 0, tzinfo=UTC)) is not None  # midday is outside


def test_an_overnight_session_belongs_to_the_weekday_it_opens_on() -> None:
    h = overnight()
    assert at(h, datetime(2026, 11, 28, 2, 0, tzinfo=UTC)) is not None  # Saturday 02:00: Friday had none
    # Thursday's session runs into Friday morning; Friday evening has none (Friday is not listed)
    assert at(h, datetime(2026, 11, 27, 3, 0, tzinfo=UTC)) is None
    assert at(h, datetime(2026, 11, 27, 22, 30, tzinfo=UTC)) is not None
    assert at(h, datetime(2026, 11, 23, 1, 0, tzinfo=UTC)) is None  # Monday 01:00: Sunday's session
    assert at(h, datetime(2026, 11, 22, 1, 0, tzinfo=UTC)) is not None  # Sunday 01:00: Saturday's, closed


def test_an_empty_window_is_refused_with_the_field() -> None:
    with pytest.raises(ValidationError, match="start equals end"):
        TradingHours(start=time(9), end=time(9))
