"""The reports by name, in the order "all" produces them."""

from __future__ import annotations

from reporting.base import Projection
from reporting.reports.abuse_alerts import AbuseAlerts
from reporting.reports.annual_review import AnnualReview
from reporting.reports.denials import Denials
from reporting.reports.integrity import IntegrityStatement
from reporting.reports.kill_switch import KillSwitchLog
from reporting.reports.mifid_transactions import MifidTransactions
from reporting.reports.order_blotter import OrderBlotter
from reporting.reports.policy_changes import PolicyChanges
from reporting.reports.trade_blotter import TradeBlotter

REPORTS: dict[str, type[Projection]] = {
    cls.name: cls
    for cls in (
        OrderBlotter,
        TradeBlotter,
        Denials,
        KillSwitchLog,
        PolicyChanges,
        AbuseAlerts,
        IntegrityStatement,
        AnnualReview,
        MifidTransactions,
    )
}
REPORT_NAMES: tuple[str, ...] = (*REPORTS, "all")
FORMATS = ("csv", "pdf")


def jobs(name: str, fmt: str) -> list[tuple[str, str]]:
    """``(report, format)`` pairs for a request; ``fmt`` is csv, pdf or both.

    "all" skips formats a report does not have (the MiFID II report is CSV
    only); naming such a pair explicitly is an error.
    """
    formats = FORMATS if fmt == "both" else (fmt,)
    if any(f not in FORMATS for f in formats):
        raise ValueError(f"unknown format {fmt!r}: use csv, pdf or both")
    if name == "all":
        return [(n, f) for n, cls in REPORTS.items() for f in formats if f in cls.formats]
    if name not in REPORTS:
        raise ValueError(f"unknown report {name!r}: one of {', '.join(REPORT_NAMES)}")
    cls = REPORTS[name]
    missing = [f for f in formats if f not in cls.formats]
    if missing and fmt != "both":
        raise ValueError(f"the {name} report has no {fmt} format")
    return [(name, f) for f in formats if f in cls.formats]
