"""The composition root: build every component from settings and wire the one path.

Start-up order matters: open the audit log, replay it into risk state, install
the policy (the file, or the last one recorded if the file is now invalid),
then build venues, router and pipeline. Orders only flow once all of that is
done.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.api import AuditLog
from audit.checkpoint import Signer
from audit.proofs import announce_signing_key
from audit.sql_store import SqlAuditLog
from audit.verify import keyring
from gateway.carry import restart
from gateway.endorsements import load_endorsement
from gateway.kill import KillSwitchService
from gateway.pipeline import OrderPipeline
from gateway.policy_manager import PolicyManager
from gateway.replay import Replayed, rebuild_abuse_windows
from gateway.router import Router
from gateway.secrets import SecretsProvider, checkpoint_public_keys, checkpoint_signer, secrets_from_env
from gateway.settings import Settings
from gateway.venues.simulated import SimulatedVenue
from risk_controls import events as ev
from risk_controls.abuse import AbuseMonitors
from risk_controls.chain import default_chain
from risk_controls.domain import ExecType, ExecutionReport, InstrumentBook
from risk_controls.domain.clock import Clock, SystemClock
from risk_controls.policy import LoadedPolicy, PolicyError, parse_policy
from risk_controls.policy.schema import AbusePolicy
from risk_controls.venue import Venue

if TYPE_CHECKING:
    from fix.engine import SessionStatus

log = logging.getLogger(__name__)
VERSION = "0.1.0"


class FixSessions(Protocol):
    """A FIX engine (acceptor, or a venue's initiator) whose sessions an operator watches."""

    def status(self) -> list[SessionStatus]: ...


@dataclass
class Gateway:
    settings: Settings
    audit: AuditLog
    instruments: InstrumentBook
    policies: PolicyManager
    pipeline: OrderPipeline
    kill: KillSwitchService
    venues: Mapping[str, Venue]
    replayed: Replayed
    secrets: SecretsProvider | None = None
    fix_engines: list[FixSessions] = field(default_factory=list)
    """The FIX engines started beside the pipeline, for /metrics (added as each one starts)."""

    def checkpoint_keys(self) -> dict[str, Ed25519PublicKey]:
        """The public key(s) that sign this gateway's audit checkpoints, by key id."""
        return checkpoint_keys(self.settings, self.secrets)

    def close(self) -> None:
        self.audit.close()


def secrets_for(settings: Settings) -> SecretsProvider:
    """Vault where VAULT_ADDR/VAULT_TOKEN are set, else key files under the data directory."""
    return secrets_from_env(default_dir=settings.data_dir / "secrets")


def checkpoint_keys(
    settings: Settings, secrets: SecretsProvider | None = None
) -> dict[str, Ed25519PublicKey]:
    """Every key the log's checkpoints may be signed with, by key id: the current one and
    those it replaced (so a rotation never makes older checkpoints unverifiable)."""
    provider = secrets or secrets_for(settings)
    return keyring(*checkpoint_public_keys(provider, _signer(settings, provider)))


def _signer(settings: Settings, secrets: SecretsProvider) -> Signer:
    return checkpoint_signer(secrets, transit_mount=settings.checkpoint_transit)


def open_audit(settings: Settings, secrets: SecretsProvider | None = None) -> AuditLog:
    """The audit store, writing a signed checkpoint every 10,000 records or 60 seconds."""
    from audit.factory import open_audit_log
    from audit.sql_store import CheckpointPolicy

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    signer = _signer(settings, secrets or secrets_for(settings))
    return open_audit_log(settings.resolved_audit_url, checkpoints=CheckpointPolicy(signer))


def build_gateway(
    settings: Settings,
    *,
    audit: AuditLog | None = None,
    clock: Clock | None = None,
    venues: Mapping[str, Venue] | None = None,
    extra_venues: Mapping[str, Venue] | None = None,
) -> Gateway:
    """``venues`` replaces the default simulated venue; ``extra_venues`` (FIX venues) sit beside it.
    The first venue is the default route; an order naming a venue goes there."""
    clock = clock or SystemClock()
    secrets = secrets_for(settings)
    audit = audit or open_audit(settings, secrets)
    if isinstance(audit, SqlAuditLog):
        signer = audit.signer
        endorsement = load_endorsement(settings.data_dir, signer.key_id) if signer else None
        announce_signing_key(audit, endorsement)  # a new or rotated key is named before it signs
    replayed = restart(audit)
    instruments = InstrumentBook.from_csv(settings.instruments_path)
    policies = PolicyManager(audit, settings.policy_path)
    policies.restore_hash(replayed.policy_hash)
    _install_policy(policies, replayed)
    if venues is None:
        stamp = clock.now().strftime("%Y%m%d%H%M%S%f")
        venues = {"SIM": SimulatedVenue(instruments, clock=clock, id_prefix=f"SIM{stamp}")}
    venues = {**venues, **(extra_venues or {})}
    router = Router(venues, default=next(iter(venues)))
    loaded = policies.current
    abuse = AbuseMonitors(loaded.policy.abuse if loaded else AbusePolicy())
    rebuild_abuse_windows(abuse, replayed.abuse_events, instruments.reference_price)
    replayed.abuse_events.clear()  # fed: no need to hold them for the run
    policies.on_change(lambda new: abuse.update_policy(new.policy.abuse))
    pipeline = OrderPipeline(
        audit=audit,
        policy=policies,
        instruments=instruments,
        router=router,
        chain=default_chain(),
        state=replayed.state,
        kill_switch=replayed.kill_switch,
        clock=clock,
        abuse=abuse,
    )
    _expire_orders_lost_by_venues(pipeline, venues, clock.now(), replayed.unrouted)
    replayed.unrouted.clear()
    audit.append(
        ev.GATEWAY_STARTED,
        {
            "version": VERSION,
            "policy_hash": loaded.content_hash if loaded else None,
            "replayed_records": replayed.records,
            "replayed_from_seq": replayed.first_seq,
            "working_orders": len(pipeline.state.working_orders()),
        },
    ).result(timeout=10)
    return Gateway(
        settings,
        audit,
        instruments,
        policies,
        pipeline,
        KillSwitchService(pipeline),
        venues,
        replayed,
        secrets,
    )


def _install_policy(policies: PolicyManager, replayed: Replayed) -> None:
    """The file in force if valid; else the last policy the log recorded; else none (fail closed)."""
    try:
        policies.reload(triggered_by="startup", reason="gateway start")
        return
    except PolicyError as exc:
        log.error("policy file refused at start:\n%s", exc)
    last = _last_recorded_policy(replayed)
    if last is not None:
        policies.install(last, triggered_by="startup", reason="file invalid: last recorded policy kept")
    else:
        log.error("no valid policy: every order will be denied with POLICY_UNAVAILABLE")


def _last_recorded_policy(replayed: Replayed) -> LoadedPolicy | None:
    if replayed.policy_content is None:
        return None
    try:
        return parse_policy(
            replayed.policy_content.encode("utf-8"), f"{replayed.policy_source} (from audit log)"
        )
    except PolicyError:
        return None


def _expire_orders_lost_by_venues(
    pipeline: OrderPipeline, venues: Mapping[str, Venue], now: datetime, unrouted: set[str]
) -> None:
    """The simulated venue keeps no orders across a restart: record that they are gone.
    An external venue (FIX) still holds its orders, so the router and the venue learn them
    again. That includes an order whose routing is not on record: the gateway stopped
    either before routing it or before its ``order.routed`` record was durable, and only
    the venue knows which (its status answer at the next logon closes the order if the
    venue never had it)."""
    for working in pipeline.state.working_orders():
        never_routed = working.order_id in unrouted
        if working.venue in venues and not isinstance(venues[working.venue], SimulatedVenue):
            if never_routed:
                log.warning("order %s: routing not on record; %s will say", working.order_id, working.venue)
            pipeline.router.restore(working)
            continue
        text = (
            "never routed: the gateway stopped before routing it"
            if never_routed
            else "venue session lost on gateway restart"
        )
        pipeline.on_venue_report(  # the same path as any venue report: state, audit, adapters
            ExecutionReport(
                working.order_id,
                f"{working.order_id}-restart",
                ExecType.EXPIRED,
                working.venue,
                now,
                text=text,
            )
        )
