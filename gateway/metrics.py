"""Prometheus metrics for the whole appliance, whatever the entry point.

Registered as a pipeline observer, so FIX, REST and strategy orders are all
counted. State that already lives elsewhere (kill switch, working orders,
audit store health, policy in force) is read at scrape time by a collector
instead of being mirrored into gauges on the order path. Each instance has its
own registry, so several gateways (tests) never share counters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.app import Gateway
from risk_controls.chain import CheckTimings
from risk_controls.domain import Channel, NewOrder
from risk_controls.entry import AmendResult, SubmitResult

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
CHAIN_BUCKETS = (
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.05,
)


class GatewayMetrics:
    """Counters and histograms fed by the pipeline; gauges read from the gateway on scrape."""

    def __init__(self, gateway: Gateway) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.orders = Counter(
            "gateway_orders",
            "Orders decided, by entry channel, outcome and denial code",
            ["channel", "outcome", "code"],
            registry=self.registry,
        )
        self.chain_seconds = Histogram(
            "gateway_chain_seconds",
            "Time to evaluate the pre-trade control chain for one order",
            buckets=CHAIN_BUCKETS,
            registry=self.registry,
        )
        self.check_seconds = Histogram(
            "gateway_check_seconds",
            "Time one pre-trade control took, by control (one order in 64 is timed)",
            ["check"],
            buckets=CHAIN_BUCKETS,
            registry=self.registry,
        )
        self._check_children: dict[str, Any] = {}
        self.amends = Counter(
            "gateway_amends",
            "Cancel and replace requests decided, by kind, entry channel, outcome and denial code",
            ["kind", "channel", "outcome", "code"],
            registry=self.registry,
        )
        self.http_denied = Counter(
            "gateway_http_access_denied",
            "REST requests refused for authentication (401) or authorisation (403)",
            ["status"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, str, str], Any] = {}
        self._amend_children: dict[tuple[str, str, str, str], Any] = {}
        self.registry.register(_StateCollector(gateway))
        gateway.pipeline.chain.on_sample = self.checks_timed

    # ---- PipelineObserver ----------------------------------------------------------

    def order_decided(self, order: NewOrder, result: SubmitResult, chain_seconds: float) -> None:
        self._count_order(order.origin.channel, result)
        if chain_seconds > 0:
            self.chain_seconds.observe(chain_seconds)

    def order_refused(self, channel: Channel, result: SubmitResult) -> None:
        self._count_order(channel, result)

    def day_opened(self, held: Collection[str]) -> None:
        return None  # counters run on across days (Prometheus takes rates)

    def checks_timed(self, timings: CheckTimings) -> None:
        """The control chain's sampled per-check timings (see ControlChain.sample_every)."""
        children = self._check_children
        for name, seconds in timings:
            child = children.get(name)
            if child is None:
                child = children[name] = self.check_seconds.labels(name)
            child.observe(seconds)

    def _count_order(self, channel: Channel, result: SubmitResult) -> None:
        code = result.denial.code.value if result.denial is not None else ""
        key = (channel.value, "accepted" if result.accepted else "denied", code)
        child = self._children.get(key)
        if child is None:  # labels() costs a few µs: keep the children
            child = self._children[key] = self.orders.labels(*key)
        child.inc()

    def amend_decided(self, kind: str, channel: Channel, result: AmendResult) -> None:
        code = result.denial.code.value if result.denial is not None else ""
        key = (kind, channel.value, "accepted" if result.accepted else "denied", code)
        child = self._amend_children.get(key)
        if child is None:
            child = self._amend_children[key] = self.amends.labels(*key)
        child.inc()

    def access_denied(self, status: int) -> None:
        self.http_denied.labels(str(status)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StateCollector(Collector):
    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway

    def collect(self) -> Iterator[Metric]:
        gateway = self._gateway
        yield from _kill_switch(gateway)
        working = GaugeMetricFamily("gateway_working_orders", "Orders working at a venue")
        working.add_metric([], len(gateway.pipeline.state.working_orders()))
        yield working
        held = GaugeMetricFamily(
            "gateway_risk_state_orders",
            "Orders the risk state holds: the day's and those still working (done ones are "
            "forgotten when a new UTC day opens, so this falls back each day)",
        )
        held.add_metric([], len(gateway.pipeline.state.orders))
        yield held
        disabled = GaugeMetricFamily(
            "gateway_execution_disabled_accounts", "Accounts disabled by the repeated-execution throttle"
        )
        disabled.add_metric([], len(gateway.pipeline.state.execution_disabled))
        yield disabled
        yield from _policy(gateway)
        yield from _audit(gateway)
        yield from _fix_sessions(gateway)
        yield from _venue_reconciliation(gateway)


def _kill_switch(gateway: Gateway) -> Iterator[Metric]:
    engaged = GaugeMetricFamily(
        "gateway_kill_switch_engaged",
        "1 for each engaged kill-switch scope",
        labels=["scope", "target", "mode"],
    )
    entries = gateway.kill.state()
    for entry in entries:
        engaged.add_metric([entry.scope.value, entry.target, entry.mode.value], 1)
    yield engaged
    count = GaugeMetricFamily("gateway_kill_switch_entries", "Number of engaged kill-switch scopes")
    count.add_metric([], len(entries))
    yield count


def _policy(gateway: Gateway) -> Iterator[Metric]:
    loaded = gateway.policies.current
    info = GaugeMetricFamily(
        "gateway_policy_loaded", "1 when a valid policy is in force (labelled with its hash)", labels=["hash"]
    )
    info.add_metric([loaded.content_hash if loaded else ""], 1 if loaded else 0)
    yield info


def _audit(gateway: Gateway) -> Iterator[Metric]:
    audit = gateway.audit
    available = GaugeMetricFamily("gateway_audit_available", "1 while the audit store accepts appends")
    available.add_metric([], 1 if getattr(audit, "available", True) else 0)
    yield available
    head = GaugeMetricFamily("gateway_audit_head_seq", "Sequence number of the last durable audit record")
    head.add_metric([], audit.head()[0])
    yield head
    for name, help_text, read in _OPTIONAL_AUDIT_GAUGES:
        value = read(audit)
        if value is not None:
            gauge = GaugeMetricFamily(name, help_text)
            gauge.add_metric([], value)
            yield gauge


def _fix_sessions(gateway: Gateway) -> Iterator[Metric]:
    """Each configured FIX session (acceptor and venue initiators): up or not, inside its
    schedule or not (a session down outside its hours is down on purpose), and its next
    sequence numbers, which a counterparty's support desk asks for when a session will not
    come back."""
    labels = ["session", "role"]
    logged_on = GaugeMetricFamily(
        "gateway_fix_session_logged_on", "1 while the FIX session is logged on", labels=labels
    )
    in_schedule = GaugeMetricFamily(
        "gateway_fix_session_in_schedule",
        "1 while the FIX session's schedule says it should be logged on",
        labels=labels,
    )
    sender = GaugeMetricFamily(
        "gateway_fix_next_sender_seq", "Sequence number of the next message the gateway sends", labels=labels
    )
    target = GaugeMetricFamily(
        "gateway_fix_next_target_seq", "Sequence number the gateway expects next from the peer", labels=labels
    )
    for engine in gateway.fix_engines:
        for status in engine.status():
            key = [status.session, status.role]
            logged_on.add_metric(key, 1 if status.logged_on else 0)
            in_schedule.add_metric(key, 1 if status.in_schedule else 0)
            sender.add_metric(key, status.next_sender_seq)
            target.add_metric(key, status.next_target_seq)
    yield from (logged_on, in_schedule, sender, target)


def _venue_reconciliation(gateway: Gateway) -> Iterator[Metric]:
    """What FIX venues reconciled at logon (fills whose reports were missed; orders shown less
    filled than booked, a missed bust someone has to reconcile by hand), what they sent that
    was refused as impossible, and what any venue reported on orders the gateway no longer
    holds."""
    fills = CounterMetricFamily(
        "gateway_venue_reconciled_fills",
        "Fills booked from a venue's order status at logon because their reports were missed",
        labels=["venue"],
    )
    discrepancies = CounterMetricFamily(
        "gateway_venue_status_discrepancies",
        "Orders a venue reports less filled than booked (a bust or correction missed while away)",
        labels=["venue"],
    )
    refused = CounterMetricFamily(
        "gateway_venue_refused_reports",
        "Fills, corrections or status answers a venue sent that no order could have (refused)",
        labels=["venue"],
    )
    unmatched = CounterMetricFamily(
        "gateway_venue_unmatched_reports",
        "Reports a venue sent on orders the gateway does not hold (a bust of a fill from an "
        "earlier day, say) or repeating a fill already booked: recorded as exec.unmatched, "
        "booked nowhere",
        labels=["venue"],
    )
    for name, venue in gateway.venues.items():
        counts = [n for attr in _VENUE_COUNTS if isinstance(n := getattr(venue, attr, None), int)]
        if len(counts) == len(_VENUE_COUNTS):  # venues that check and reconcile (FIX)
            for family, count in zip((fills, discrepancies, refused), counts, strict=True):
                family.add_metric([name], count)
        unmatched.add_metric([name], gateway.pipeline.unmatched_reports.get(name, 0))
    yield from (fills, discrepancies, refused, unmatched)


_VENUE_COUNTS = ("reconciled_fills", "status_discrepancies", "refused_reports")


def _attr(name: str) -> Callable[[object], float | None]:
    """Read a store statistic where the store exposes one (attribute or method)."""

    def read(audit: object) -> float | None:
        value = getattr(audit, name, None)
        if callable(value):
            value = value()
        return float(value) if isinstance(value, int | float) else None

    return read


_OPTIONAL_AUDIT_GAUGES = (
    ("gateway_audit_backlog", "Audit appends queued but not yet durable", _attr("backlog")),
    (
        "gateway_audit_append_p99_seconds",
        "99th percentile of recent audit append-to-durable latency",
        _attr("append_latency_p99"),
    ),
)
