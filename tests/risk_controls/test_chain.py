"""The chain as a whole: order of the checks, fail-closed behaviour, every result kept,
the sample policy end to end, and a replace checked as the order it would become."""

from __future__ import annotations

from risk_controls.chain import CheckTimings, ControlChain, default_chain
from risk_controls.checks.context import CheckContext
from risk_controls.domain import CheckOutcome, Denial, DenyCode, Side
from risk_controls.domain.decisions import deny
from risk_controls.kill_switch import KillScope
from tests.risk_controls.builders import D, Harness, default_policy, kill_entry, order, replace_request

SPEC_ORDER = [
    "kill_switch",
    "account_enabled",
    "authorized_for_account",
    "instrument_permitted",
    "venue_permitted",
    "trading_hours",
    "order_sanity",
    "restricted_list",
    "max_order_quantity",
    "max_order_notional",
    "price_collar",
    "duplicate_order",
    "session_throttle",
    "account_throttle",
    "execution_throttle",
    "daily_order_cap",
    "credit_limit",
    "position_limit",
    "gross_exposure",
    "short_sale",
    "self_trade",
]


def test_default_chain_runs_the_checks_in_the_order_of_the_spec() -> None:
    assert list(default_chain().names) == SPEC_ORDER


def test_an_order_that_passes_has_a_pass_result_for_every_check() -> None:
    outcome = Harness().submit(order())
    assert outcome.denial is None
    assert [r.control for r in outcome.results] == SPEC_ORDER
    assert all(r.outcome is CheckOutcome.PASS and r.denial is None for r in outcome.results)


def test_the_first_denial_stops_the_chain_and_earlier_results_are_kept() -> None:
    outcome = Harness().submit(order("TSLA", price="338.90"))
    assert outcome.denial is not None and outcome.denial.code is DenyCode.RESTRICTED_INSTRUMENT
    assert [r.control for r in outcome.results] == SPEC_ORDER[: SPEC_ORDER.index("restricted_list") + 1]
    assert outcome.results[-1].outcome is CheckOutcome.DENY
    assert outcome.results[-1].denial == outcome.denial
    assert outcome.denial.text() == "RESTRICTED_INSTRUMENT symbol=TSLA"


def test_a_check_that_raises_denies_and_the_chain_stops() -> None:
    calls: list[str] = []

    def fine(ctx: CheckContext) -> None:
        calls.append("fine")

    def broken(ctx: CheckContext) -> None:
        raise KeyError("bug")

    def never(ctx: CheckContext) -> None:
        calls.append("never")

    chain = ControlChain([("fine", fine), ("broken", broken), ("never", never)])
    denial, results = chain.evaluate(Harness().ctx(order()))
    assert denial is not None and denial.code is DenyCode.CHECK_FAILED
    assert denial.control == "broken" and denial.context_dict() == {"error": "KeyError"}
    assert [(r.control, r.outcome) for r in results] == [
        ("fine", CheckOutcome.PASS),
        ("broken", CheckOutcome.DENY),
    ]
    assert calls == ["fine"]


def test_one_evaluation_in_n_times_each_check_it_ran_without_changing_any_decision() -> None:
    sampled: list[CheckTimings] = []

    def allow(ctx: CheckContext) -> Denial | None:
        return None

    def refuse_tsla(ctx: CheckContext) -> Denial | None:
        return deny(DenyCode.RESTRICTED_INSTRUMENT, "second") if ctx.order.symbol == "TSLA" else None

    chain = ControlChain([("first", allow), ("second", refuse_tsla), ("third", allow)], sample_every=3)
    ctx, tsla = Harness().ctx(order()), Harness().ctx(order("TSLA", price="338.90"))
    assert chain.evaluate(ctx)[0] is None and not sampled  # no sink: nothing timed
    chain.on_sample = sampled.append
    decisions = [chain.evaluate(c)[0] for c in (ctx, ctx, ctx, tsla, ctx, ctx, ctx)]

    assert [d.code if d else None for d in decisions] == [None] * 3 + [DenyCode.RESTRICTED_INSTRUMENT] + [
        None
    ] * 3
    # evaluations 1, 4 and 7 were timed; the denied one stopped timing where it stopped checking
    assert [[name for name, _ in timings] for timings in sampled] == [
        ["first", "second", "third"],
        ["first", "second"],
        ["first", "second", "third"],
    ]
    assert all(0 <= seconds < 1 for timings in sampled for _, seconds in timings)

    def broken_sink(timings: CheckTimings) -> None:
        raise RuntimeError("metrics bug")

    chain.on_sample, chain.sample_every = broken_sink, 1
    assert chain.evaluate(tsla)[0] is not None and chain.evaluate(ctx)[0] is None


def test_missing_data_denies_rather_than_passes() -> None:
    h = Harness()
    h.book.set_reference_price("AAPL", None)
    outcome = h.submit(order(price=None))  # a market order with nothing to value it at
    assert outcome.denial is not None and outcome.denial.code is DenyCode.NO_REFERENCE_PRICE


def test_sample_policy_accepts_a_normal_order_and_denies_a_fat_finger() -> None:
    h = Harness(policy=default_policy())
    ok = order("AAPL", Side.BUY, 100, "228.50", account="ACC-APPLE-TSY", user="jsmith", session="DESK1")
    assert h.submit(ok).accepted
    fat = order("AAPL", Side.BUY, 30000, "228.50", account="ACC-APPLE-TSY", user="jsmith", session="DESK1")
    denial = h.submit(fat).denial
    assert denial is not None
    assert denial.text() == "NOTIONAL_EXCEEDS_MAX_PER_ORDER max=5000000 notional=6855000"
    dormant = order("AAPL", account="ACC-DORMANT", user="jsmith", session="DESK1")
    denied = h.submit(dormant).denial
    assert denied is not None and denied.code is DenyCode.ACCOUNT_DISABLED


# ---- 14. a replace is checked as the order it would become -----------------------------


def working_order(h: Harness, quantity: int = 400, price: str = "200.00") -> str:
    h.book.set_reference_price("AAPL", D("200.00"))
    outcome = h.submit(order("AAPL", Side.BUY, quantity, price))
    assert outcome.order_id is not None, outcome.denial
    h.clock.advance(0.5)
    return outcome.order_id


def test_a_replace_is_checked_against_its_full_new_size() -> None:
    h = Harness()
    oid = working_order(h)
    working = h.state.orders[oid]
    ok = h.replace_order(oid, replace_request(working, 500))  # 100000 = the per-order maximum
    assert ok.denial is None and working.order.quantity == D(500)
    h.clock.advance(0.5)
    too_big = h.replace_order(oid, replace_request(working, 501))
    assert too_big.denial is not None and too_big.denial.code is DenyCode.NOTIONAL_EXCEEDS_MAX_PER_ORDER
    assert too_big.denial.context_dict() == {"max": "100000", "notional": "100200"}
    assert working.order.quantity == D(500)  # unchanged by the denied replace


def test_a_replace_is_checked_at_its_new_price() -> None:
    h = Harness()
    oid = working_order(h)
    working = h.state.orders[oid]
    outcome = h.replace_order(oid, replace_request(working, 400, limit_price=D("210.01")))
    assert outcome.denial is not None and outcome.denial.code is DenyCode.PRICE_OUTSIDE_COLLAR
    assert working.order.limit_price == D("200.00")
    assert h.state.reservations[oid].price_base == D("200.00")


def test_a_replace_is_subject_to_the_kill_switch_and_the_throttles() -> None:
    h = Harness()
    oid = working_order(h)
    working = h.state.orders[oid]
    h.kill.engage(kill_entry(KillScope.ACCOUNT, "A1"))
    outcome = h.replace_order(oid, replace_request(working, 300))
    assert outcome.denial is not None and outcome.denial.code is DenyCode.KILL_SWITCH_ENGAGED
    h.kill.release(KillScope.ACCOUNT, "A1")
    # A1 may send 4 messages a second: the order, the denied replace, then two more
    denials = [h.replace_order(oid, replace_request(working, 300 - i)).denial for i in range(3)]
    assert denials[:2] == [None, None]
    assert denials[2] is not None and denials[2].code is DenyCode.ACCOUNT_THROTTLE_EXCEEDED


def test_an_accepted_replace_moves_the_reservation() -> None:
    h = Harness()
    oid = working_order(h)
    working = h.state.orders[oid]
    outcome = h.replace_order(oid, replace_request(working, 300, limit_price=D("201.00")))
    assert outcome.denial is None
    assert h.state.book("A1").open_notional == 300 * D("201.00")
    assert h.state.exposure("A1", "AAPL").open_buy == 300
