"""The hash-chained WORM audit store: the gateway's source of truth.

This package knows nothing of orders or of the server: it stores canonical
JSON records in a hash chain and proves that nothing was lost or rewritten.
"""

from audit.api import AppendTicket, AuditLog, AuditRecord, AuditUnavailable
from audit.factory import open_audit_log

__all__ = ["AppendTicket", "AuditLog", "AuditRecord", "AuditUnavailable", "open_audit_log"]
