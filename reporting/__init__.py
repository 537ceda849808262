"""Regulatory reports as projections of the audit log alone.

Each report streams one audit range once (memory flat in the number of
records), writes CSV and/or PDF deterministically, and is sealed with a
detached Ed25519 signature and a signed manifest naming the range, the chain
verdict and the checkpoint it was built from. :func:`verify_report` rebuilds a
report from the log and compares bytes.
"""

from reporting.generate import generate_report
from reporting.period import Period
from reporting.registry import REPORT_NAMES
from reporting.verify import Verification, verify_report

__all__ = ["REPORT_NAMES", "Period", "Verification", "generate_report", "verify_report"]
