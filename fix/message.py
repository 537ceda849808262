"""A FIX message as an ordered list of ``(tag, bytes)`` pairs.

Order matters in FIX (repeating groups), so the pairs are the message; a
first-occurrence index makes ``get`` a dict lookup. Values stay bytes until a
typed getter converts them, and a typed getter that fails raises the
:class:`~fix.errors.FieldError` the session turns into a Reject.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from fix import values
from fix.errors import FieldError, MissingTag
from fix.tags import MSG_SEQ_NUM, MSG_TYPE
from fix.values import FieldValue, to_bytes

Field = tuple[int, bytes]


class FixMessage:
    """Ordered fields plus, for a parsed message, the raw bytes it came from."""

    __slots__ = ("_index", "defect", "fields", "raw")

    def __init__(self, fields: list[Field] | None = None, raw: bytes | None = None) -> None:
        self.fields: list[Field] = fields if fields is not None else []
        self.raw = raw
        #: the first field-level problem the parser saw (a Reject is owed for it)
        self.defect: FieldError | None = None
        self._index: dict[int, bytes] | None = None

    # --- building ---

    def append(self, tag: int, value: FieldValue | None) -> FixMessage:
        """Add a field (``None`` is skipped, so optional fields read naturally)."""
        if value is not None:
            self.fields.append((tag, to_bytes(value)))
            self._index = None
        return self

    def set(self, tag: int, value: FieldValue) -> FixMessage:
        """Replace the first occurrence of ``tag`` (or append it)."""
        data = to_bytes(value)
        for i, (t, _) in enumerate(self.fields):
            if t == tag:
                self.fields[i] = (tag, data)
                self._index = None
                return self
        return self.append(tag, data)

    # --- reading ---

    def _idx(self) -> dict[int, bytes]:
        index = self._index
        if index is None:
            index = {}
            for tag, value in self.fields:
                if tag not in index:
                    index[tag] = value
            self._index = index
        return index

    def get(self, tag: int) -> bytes | None:
        """The first value of ``tag``, or None."""
        return self._idx().get(tag)

    def __contains__(self, tag: object) -> bool:
        return tag in self._idx()

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def get_all(self, tag: int) -> list[bytes]:
        return [v for t, v in self.fields if t == tag]

    @property
    def msg_type(self) -> bytes | None:
        return self._idx().get(MSG_TYPE)

    @property
    def seq_num(self) -> int | None:
        """MsgSeqNum (34) if present and well formed, else None."""
        raw = self._idx().get(MSG_SEQ_NUM)
        if raw is None or not raw.isdigit() or len(raw) > values.MAX_INT_DIGITS:
            return None
        return int(raw)

    def require(self, tag: int) -> bytes:
        value = self._idx().get(tag)
        if value is None:
            raise MissingTag(tag)
        return value

    def get_str(self, tag: int) -> str | None:
        value = self._idx().get(tag)
        return None if value is None else value.decode("utf-8", "replace")

    def require_str(self, tag: int) -> str:
        return self.require(tag).decode("utf-8", "replace")

    def get_int(self, tag: int) -> int | None:
        value = self._idx().get(tag)
        return None if value is None else values.parse_int(tag, value)

    def require_int(self, tag: int) -> int:
        return values.parse_int(tag, self.require(tag))

    def get_decimal(self, tag: int) -> Decimal | None:
        value = self._idx().get(tag)
        return None if value is None else values.parse_decimal(tag, value)

    def require_decimal(self, tag: int) -> Decimal:
        return values.parse_decimal(tag, self.require(tag))

    def get_bool(self, tag: int) -> bool | None:
        value = self._idx().get(tag)
        return None if value is None else values.parse_bool(tag, value)

    def get_time(self, tag: int) -> datetime | None:
        value = self._idx().get(tag)
        return None if value is None else values.parse_utc_timestamp(tag, value)

    def groups(self, count_tag: int, delimiter: int, members: frozenset[int]) -> list[list[Field]]:
        """Entries of the repeating group counted by ``count_tag``.

        Each entry starts at ``delimiter``; the group ends at the first tag
        that is neither the delimiter nor in ``members``.
        """
        out: list[list[Field]] = []
        fields = self.fields
        start = next((i for i, (t, _) in enumerate(fields) if t == count_tag), None)
        if start is None:
            return out
        current: list[Field] | None = None
        for tag, value in fields[start + 1 :]:
            if tag == delimiter:
                current = [(tag, value)]
                out.append(current)
            elif current is not None and tag in members:
                current.append((tag, value))
            else:
                break
        return out

    def __repr__(self) -> str:
        body = "|".join(f"{t}={v.decode('utf-8', 'replace')}" for t, v in self.fields)
        return f"FixMessage({body})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FixMessage) and self.fields == other.fields

    __hash__ = None  # type: ignore[assignment]
