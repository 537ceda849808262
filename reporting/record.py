"""What a projection reads of an audit record.

``audit.api.AuditRecord`` is a frozen dataclass, whose construction costs more
than the rest of a record's handling put together when a million are read from
the store's raw rows; :class:`StoredRecord` is a named tuple with the same
fields. Projections accept either through the :class:`Record` protocol.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol


class Record(Protocol):
    @property
    def seq(self) -> int: ...

    @property
    def ts(self) -> str: ...

    @property
    def event_type(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...

    @property
    def prev_hash(self) -> str: ...

    @property
    def record_hash(self) -> str: ...


class StoredRecord(NamedTuple):
    seq: int
    ts: str
    event_type: str
    payload: Mapping[str, Any]
    prev_hash: str
    record_hash: str
    retention: str | None = None
