"""Market-abuse monitors (MAR): layering/spoofing and momentum ignition.

Self-trade prevention is a pre-trade check (``risk_controls.checks.self_trade``);
the monitors here watch patterns across orders and raise alerts. The pipeline
feeds :class:`AbuseMonitors` and decides, per account with :func:`action_for`,
whether an alert only goes to the audit log or also blocks the order.
"""

from risk_controls.abuse.alerts import (
    CONTROL,
    LAYERING,
    MOMENTUM_IGNITION,
    AbuseAlert,
    action_for,
    blocked_denial,
)
from risk_controls.abuse.layering import LayeringDetector
from risk_controls.abuse.momentum import MomentumDetector, is_aggressive
from risk_controls.abuse.monitors import AbuseMonitors

__all__ = [
    "CONTROL",
    "LAYERING",
    "MOMENTUM_IGNITION",
    "AbuseAlert",
    "AbuseMonitors",
    "LayeringDetector",
    "MomentumDetector",
    "action_for",
    "blocked_denial",
    "is_aggressive",
]
