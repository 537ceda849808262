"""Refused requests are audited with who and why, and a flood of them cannot fill the log."""

from __future__ import annotations

from gateway.api.access import ACCESS_DENIED
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
