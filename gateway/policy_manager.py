"""The policy in force: atomic reloads, each recorded with who/what triggered it.

A file that fails validation is refused and recorded (``policy.rejected``);
the policy in force stays in force. A valid one replaces it only after its
``policy.loaded`` record is durable, so every decision's policy hash can be
traced to text in the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from audit.api import AuditLog
from risk_controls import events as ev
from risk_controls.policy import LoadedPolicy, PolicyError, load_policy_file, parse_policy

log = logging.getLogger(__name__)


class PolicyManager:
    def __init__(self, audit: AuditLog, path: Path) -> None:
        self._audit = audit
        self.path = path
        self._current: LoadedPolicy | None = None
        self._previous_hash_from_log: str | None = None
        self.loaded_at: str | None = None
        self.loaded_by: str | None = None
        self._listeners: list[Callable[[LoadedPolicy], None]] = []

    @property
    def current(self) -> LoadedPolicy | None:
        return self._current

    def __call__(self) -> LoadedPolicy | None:
        return self._current

    def on_change(self, listener: Callable[[LoadedPolicy], None]) -> None:
        self._listeners.append(listener)

    def restore_hash(self, content_hash: str | None) -> None:
        """Remember the hash last recorded in the log, so the next load names its predecessor."""
        self._previous_hash_from_log = content_hash

    def reload(self, triggered_by: str, reason: str = "reload") -> LoadedPolicy:
        """Load ``self.path``; raise PolicyError (and record it) if it is invalid."""
        try:
            loaded = load_policy_file(self.path)
        except PolicyError as exc:
            self._audit.append(
                ev.POLICY_REJECTED,
                ev.policy_rejected_payload(
                    str(self.path),
                    triggered_by,
                    [i.as_dict() for i in exc.issues],
                    self._current.content_hash if self._current else None,
                ),
            ).result(timeout=10)
            raise
        return self.install(loaded, triggered_by, reason)

    def install(self, loaded: LoadedPolicy, triggered_by: str, reason: str) -> LoadedPolicy:
        """Record and swap in an already-validated policy (no-op if the text is unchanged)."""
        previous = self._current.content_hash if self._current else self._previous_hash_from_log
        if self._current is not None and previous == loaded.content_hash:
            return self._current
        record = self._audit.append(
            ev.POLICY_LOADED,
            ev.policy_loaded_payload(
                loaded.content_hash, previous, loaded.source, triggered_by, reason, loaded.content
            ),
        ).result(timeout=10)
        self._current = loaded  # one reference swap: readers see the old or the new, never a mix
        self.loaded_at = record.ts
        self.loaded_by = triggered_by
        for listener in self._listeners:
            listener(loaded)
        log.info("policy %s loaded by %s", loaded.content_hash[:12], triggered_by)
        return loaded

    @staticmethod
    def dry_run(raw: bytes, source: str) -> LoadedPolicy:
        """Validate without installing; raises PolicyError with located issues."""
        return parse_policy(raw, source)

    async def watch(self, interval: float = 1.0) -> None:
        """Reload when the file's bytes change; a bad edit is refused and logged."""
        last = _digest(self.path)
        while True:
            await asyncio.sleep(interval)
            digest = _digest(self.path)
            if digest is None or digest == last:
                continue
            last = digest
            try:
                self.reload(triggered_by="file-watch", reason="policy file changed")
            except PolicyError as exc:
                log.error("policy change refused, previous policy stays in force:\n%s", exc)
            except Exception:
                log.exception("policy reload failed; previous policy stays in force")


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
