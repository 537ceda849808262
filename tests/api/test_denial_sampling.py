"""Refused requests are audited with who and why, and a flood of them cannot fill the log."""

from __future__ import annotations

import time

from gateway.api.access import ACCESS_DENIED, ACCESS_DENIED_SUPPRESSED
from gateway.api.denials import DenialSampler
from tests.api.conftest import LiveApi, order_body


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_trickle_is_recorded_whole_and_a_flood_is_counted_into_the_next_record() -> None:
    clock = Ticking()
    sampler = DenialSampler(burst=3, window_seconds=10, clock=clock)
    assert [sampler.admit("c") for _ in range(5)] == [0, 0, 0, None, None]
    assert sampler.admit("other") == 0  # each caller has its own budget
    clock.now = 9.999
    assert sampler.admit("c") is None  # 3 suppressed so far
    clock.now = 10.0
    assert sampler.admit("c") == 3  # a new window: recorded, carrying the count
    assert sampler.admit("c") == 0


def test_the_sampler_forgets_the_quietest_callers_first() -> None:
    sampler = DenialSampler(burst=1, window_seconds=60, max_clients=2, clock=Ticking())
    assert [sampler.admit(k) for k in ("a", "a", "b", "c")] == [0, None, 0, 0]
    assert sampler.admit("a") == 0  # "a" was evicted with its pending count: a fresh budget


def test_a_flood_of_bad_tokens_gets_401_each_but_only_a_burst_of_audit_records(live: LiveApi) -> None:
    burst = 20
    with live.client() as anonymous:
        anonymous.headers["Authorization"] = "Bearer not-a-token"
        answers = [anonymous.post("/v1/orders", json=order_body(f"flood-{i}")) for i in range(burst + 15)]
    assert [a.status_code for a in answers] == [401] * (burst + 15)
    records = [r for r in live.records(ACCESS_DENIED) if r["status"] == 401]
    assert len(records) == burst
    assert {r["suppressed_since_last"] for r in records} == {0}
    # a signed-in trader refused on the same host still has a budget of its own
    with live.client("jsmith", "trader", accounts=("ACC-APPLE-TSY",)) as desk:
        refused = desk.post("/v1/orders", json=order_body("other-account", account="ACC-MSFT-TSY"))
    assert refused.status_code == 403
    assert [r["subject"] for r in live.records(ACCESS_DENIED) if r["status"] == 403] == ["jsmith"]


def test_a_flood_whose_caller_goes_quiet_is_counted_once_its_window_closes() -> None:
    clock = Ticking()
    sampler = DenialSampler(burst=2, window_seconds=10, clock=clock)
    for _ in range(7):
        sampler.admit("gone")
    sampler.admit("trickle")
    assert sampler.flush_quiet() == []  # windows still open
    clock.now = 10.0
    assert sampler.flush_quiet() == [("gone", 5)]  # the trickle had nothing suppressed
    assert sampler.flush_quiet() == []  # written once
    assert sampler.admit("gone") == 0  # a fresh budget: its count is already in the log
    for _ in range(3):
        sampler.admit("gone")
    assert sampler.flush_quiet(everything=True) == [("gone", 2)]  # at stop, open windows too


def test_the_server_writes_the_count_of_a_flood_that_stopped(live: LiveApi) -> None:
    live.app.state.api.denials = DenialSampler(burst=2, window_seconds=0.2)
    with live.client() as anonymous:
        anonymous.headers["Authorization"] = "Bearer not-a-token"
        answers = [anonymous.post("/v1/orders", json=order_body(f"q-{i}")) for i in range(9)]
    assert {a.status_code for a in answers} == {401}
    deadline = time.monotonic() + 10
    while not live.records(ACCESS_DENIED_SUPPRESSED):
        assert time.monotonic() < deadline, "the sweep never wrote the count"
        time.sleep(0.1)
    (summary,) = live.records(ACCESS_DENIED_SUPPRESSED)
    assert (summary["status"], summary["subject"], summary["suppressed"]) == (401, None, 7)
    assert len([r for r in live.records(ACCESS_DENIED) if r["status"] == 401]) == 2
