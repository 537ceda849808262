"""The hash-chained WORM audit store: the gateway's source of truth.

This package knows nothing of orders or of the server: it stores canonical
JSON records in a hash chain and proves that nothing was lost or rewritten.
Public entry points (see docs/audit-format.md):

- :func:`open_audit_log` (``sqlite:///…``, ``postgresql+psycopg://…``, ``memory://``)
- :class:`CheckpointPolicy` + :class:`Ed25519Signer` for signed checkpoints
- :func:`verify_log` / ``audit.verify_store.verify_store`` to verify
- ``audit.export.export_files`` / ``verify_export`` for regulators
- ``audit.proofs`` for inclusion and consistency proofs
- ``audit.retention`` for retention classes and legal holds
"""

from pathlib import Path as _Path

from risk_controls.native_guard import ensure_fresh as _ensure_fresh

_ensure_fresh(_Path(__file__).parent)  # first: never run a compiled module older than its source

from audit.api import AppendTicket, AuditLog, AuditRecord, AuditUnavailable  # noqa: E402
from audit.checkpoint import Ed25519Signer  # noqa: E402
from audit.factory import open_audit_log  # noqa: E402
from audit.sql_store import CheckpointPolicy, SqlAuditLog  # noqa: E402
from audit.verify import verify_log  # noqa: E402

__all__ = [
    "AppendTicket",
    "AuditLog",
    "AuditRecord",
    "AuditUnavailable",
    "CheckpointPolicy",
    "Ed25519Signer",
    "SqlAuditLog",
    "open_audit_log",
    "verify_log",
]
