"""Which policy version was in force when, rebuilt from ``policy.loaded`` records.

Shared by the policy change log and the 15c3-5 annual review. The version in
force when the period began is read from the last load before the range; texts
are kept once per distinct content hash (daily reloads of the same file cost
nothing), so memory follows the number of distinct versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reporting.record import Record
from reporting.scan import Scan
from risk_controls import events as ev


@dataclass(slots=True)
class Version:
    """A policy version's stay in force."""

    policy_hash: str
    seq: int
    loaded_at: str
    source: str | None
    triggered_by: str | None
    reason: str | None
    before_period: bool
    until: str | None = None


LoadListener = Callable[[Version, "Version | None", Record], None]
RejectListener = Callable[[Record, "Version | None"], None]


class PolicyHistory:
    def __init__(self, scan: Scan, initial: Record | None) -> None:
        self.contents: dict[str, str] = {}
        self.versions: list[Version] = []
        self.rejections = 0
        self._on_load: list[LoadListener] = []
        self._on_reject: list[RejectListener] = []
        if initial is not None:
            self.versions.append(self._version(initial, before_period=True))
        scan.on(ev.POLICY_LOADED, self._loaded)
        scan.on(ev.POLICY_REJECTED, self._rejected)

    @property
    def in_force(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    def on_load(self, listener: LoadListener) -> None:
        self._on_load.append(listener)

    def on_reject(self, listener: RejectListener) -> None:
        self._on_reject.append(listener)

    def content(self, version: Version | None) -> str | None:
        return None if version is None else self.contents.get(version.policy_hash)

    def _version(self, record: Record, before_period: bool) -> Version:
        p = record.payload
        self.contents.setdefault(p["policy_hash"], p.get("content") or "")
        return Version(
            p["policy_hash"], record.seq, record.ts, p.get("source"), p.get("triggered_by"),
            p.get("reason"), before_period,
        )

    def _loaded(self, record: Record) -> None:
        previous = self.in_force
        version = self._version(record, before_period=False)
        if previous is not None:
            previous.until = record.ts
        self.versions.append(version)
        for listener in self._on_load:
            listener(version, previous, record)

    def _rejected(self, record: Record) -> None:
        self.rejections += 1
        for listener in self._on_reject:
            listener(record, self.in_force)
