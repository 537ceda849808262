"""The data dictionary: which tags exist, their types, and what each message holds.

Built from ``fix.spec_data`` (generated from the QuickFIX FIX 4.2 / 4.4
dictionaries) plus the MiFID II extensions the gateway uses: PartyRoleQualifier
(2376) inside the Parties group, the OrderAttributes group (2593), and Parties
in FIX 4.2 as most 4.2 counterparties send it.

:meth:`Dictionary.validate` raises the :class:`~fix.errors.FieldError` a
session Reject is built from (FIX session test cases 14.a-14.j).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from fix import values
from fix.errors import (
    BadGroupCount,
    DuplicateTag,
    InvalidMsgType,
    InvalidTagNumber,
    MissingTag,
    TagNotForMessage,
    TagOutOfOrder,
    ValueIncorrect,
)
from fix.message import FixMessage
from fix.spec_data import SPEC
from fix.tags import (
    CHECK_SUM,
    MSG_SEQ_NUM,
    NO_ORDER_ATTRIBUTES,
    NO_PARTY_IDS,
    ORDER_ATTRIBUTE_TYPE,
    ORDER_ATTRIBUTE_VALUE,
    PARTY_ID,
    PARTY_ID_SOURCE,
    PARTY_ROLE,
    PARTY_ROLE_QUALIFIER,
    PASSWORD,
    SENDER_COMP_ID,
    SENDING_TIME,
    TARGET_COMP_ID,
    USERNAME,
)

USER_DEFINED_MIN = 5000
_MAX_SHAPES = 4096
_MAX_VALUES_PER_TAG = 4096
_HEADER_REQUIRED = (SENDER_COMP_ID, TARGET_COMP_ID, MSG_SEQ_NUM, SENDING_TIME)
_SIGNATURE_TAGS = frozenset({89, 93, CHECK_SUM})
_PARTY_MEMBERS = frozenset({PARTY_ID, PARTY_ID_SOURCE, PARTY_ROLE, PARTY_ROLE_QUALIFIER, 523, 802, 803})
_ORDER_ATTRIBUTE_MEMBERS = frozenset({ORDER_ATTRIBUTE_TYPE, ORDER_ATTRIBUTE_VALUE})
# messages that may carry the MiFID II groups in either version
_MIFID_MESSAGES = (b"D", b"G", b"8")


def _check_seq(tag: int, raw: bytes) -> None:
    if not raw.isdigit():  # 0 is valid: EndSeqNo=0 means "infinity"
        values.parse_seq(tag, raw)


def _check_len(tag: int, raw: bytes) -> None:
    if not raw.isdigit():
        values.parse_seq(tag, raw)


def _check_int(tag: int, raw: bytes) -> None:
    if not raw.isdigit():
        values.parse_int(tag, raw)


_CHECKERS: dict[str, Callable[[int, bytes], object]] = {
    "INT": _check_int,
    "LEN": _check_len,
    "NUM": _check_len,
    "SEQ": _check_seq,
    "DEC": values.parse_decimal,
    "BOOL": values.parse_bool,
    "TIME": values.parse_utc_timestamp,
    "CHAR": values.parse_char,
    "DATE": values.parse_local_date,
}


@dataclass(frozen=True, slots=True)
class MessageSpec:
    """Required tags, allowed tags and repeating groups of one message type."""

    required: tuple[int, ...]
    allowed: frozenset[int]
    groups: dict[int, tuple[int, frozenset[int]]]
    group_members: frozenset[int]


class Dictionary:
    """One FIX version's dictionary, with a fast validator."""

    def __init__(self, begin_string: str) -> None:
        if begin_string not in SPEC:
            raise ValueError(f"unsupported FIX version {begin_string!r} (FIX.4.2 or FIX.4.4)")
        data = SPEC[begin_string]
        self.begin_string = begin_string
        self.types: dict[int, str] = dict(data["types"])
        self.types.update(
            {
                PARTY_ROLE_QUALIFIER: "INT",
                NO_PARTY_IDS: "NUM",
                PARTY_ID: "STR",
                PARTY_ID_SOURCE: "CHAR",
                PARTY_ROLE: "INT",
                NO_ORDER_ATTRIBUTES: "NUM",
                ORDER_ATTRIBUTE_TYPE: "INT",
                ORDER_ATTRIBUTE_VALUE: "STR",
                USERNAME: "STR",
                PASSWORD: "STR",
            }
        )
        self.enums: dict[int, frozenset[bytes]] = {
            tag: frozenset(v.encode() for v in vals) for tag, vals in data["enums"].items()
        }
        self.header = frozenset(data["header"])
        self.trailer = frozenset(data["trailer"]) | _SIGNATURE_TAGS
        self.msg_types = frozenset(t.encode() for t in data["msg_types"])
        self.messages: dict[bytes, MessageSpec] = {}
        for msgtype, (required, allowed, groups) in data["messages"].items():
            self.messages[msgtype.encode()] = self._spec(msgtype.encode(), required, allowed, groups)
        self._count_tags = frozenset(tag for tag, kind in self.types.items() if kind == "NUM")
        self._value_checks: dict[int, Callable[[int, bytes], object]] = {}
        self._good_values: dict[int, set[bytes]] = {}
        for tag, kind in self.types.items():
            checker = _CHECKERS.get(kind)
            allowed_values = self.enums.get(tag)
            if checker is None and allowed_values is None:
                continue
            self._value_checks[tag] = _value_check(checker, allowed_values)
            if kind != "TIME":  # timestamps never repeat: remembering them would only cost
                self._good_values[tag] = set()
        self._shapes: set[tuple[object, ...]] = set()

    def _spec(
        self,
        msgtype: bytes,
        required: tuple[int, ...],
        allowed: list[int],
        groups: dict[int, tuple[int, tuple[int, ...]]],
    ) -> MessageSpec:
        allowed_set = set(allowed)
        group_map = {count: (first, frozenset(members)) for count, (first, members) in groups.items()}
        if msgtype == b"A":  # Username/Password: FIX 4.3+, but 4.2 counterparties send them too
            allowed_set |= {USERNAME, PASSWORD}
        if msgtype in _MIFID_MESSAGES:
            allowed_set |= {NO_PARTY_IDS, NO_ORDER_ATTRIBUTES}
            allowed_set |= _PARTY_MEMBERS | _ORDER_ATTRIBUTE_MEMBERS
            group_map[NO_PARTY_IDS] = (PARTY_ID, _PARTY_MEMBERS)
            group_map[NO_ORDER_ATTRIBUTES] = (ORDER_ATTRIBUTE_TYPE, _ORDER_ATTRIBUTE_MEMBERS)
        members = frozenset().union(*(m for _, m in group_map.values())) if group_map else frozenset()
        return MessageSpec(tuple(required), frozenset(allowed_set), group_map, members)

    def is_valid_msg_type(self, msg_type: bytes) -> bool:
        return msg_type in self.msg_types or msg_type.startswith(b"U")

    def validate(self, msg: FixMessage) -> None:
        """Raise the first FieldError in ``msg``; framing was checked by the parser.

        A counterparty sends the same few message layouts over and over, so a
        layout (message type, tag sequence, group counts) that passed once is
        remembered and later messages of that layout only get their values
        checked; the answer is the same as a full check, found faster.
        """
        if msg.defect is not None:
            raise msg.defect
        fields = msg.fields
        count_tags = self._count_tags
        shape = tuple([(t, v) if t in count_tags or t == 35 else t for t, v in fields])
        if shape in self._shapes:
            self._check_values(fields)
            return
        self._validate_fully(msg)
        if len(self._shapes) >= _MAX_SHAPES:
            self._shapes.clear()
        self._shapes.add(shape)

    def _check_values(self, fields: list[tuple[int, bytes]]) -> None:
        checkers = self._value_checks
        remembered = self._good_values
        for i in range(3, len(fields)):
            tag, raw = fields[i]
            check = checkers.get(tag)
            if check is None:
                continue
            known = remembered.get(tag)
            if known is not None and raw in known:
                continue
            check(tag, raw)
            if known is not None and len(known) < _MAX_VALUES_PER_TAG:
                known.add(raw)

    def _validate_fully(self, msg: FixMessage) -> None:
        msg_type = msg.msg_type or b""
        if not self.is_valid_msg_type(msg_type):
            raise InvalidMsgType(35, f"Invalid MsgType: {msg_type.decode('ascii', 'replace')}")
        spec = self.messages.get(msg_type)
        self._check_fields(msg, spec)
        for tag in _HEADER_REQUIRED:
            if tag not in msg:
                raise MissingTag(tag)
        if spec is not None:
            for tag in spec.required:
                if tag not in msg:
                    raise MissingTag(tag)
            for count_tag, (first, members) in spec.groups.items():
                if count_tag in msg:
                    _check_group(msg, count_tag, first, members)

    def _check_fields(self, msg: FixMessage, spec: MessageSpec | None) -> None:
        types = self.types
        enums = self.enums
        header = self.header
        trailer = self.trailer
        seen: set[int] = set()
        in_body = False
        in_trailer = False
        allowed = spec.allowed if spec is not None else None
        members = spec.group_members if spec is not None else frozenset()
        fields = msg.fields
        for i in range(3, len(fields)):
            tag, raw = fields[i]
            if tag in header:
                if in_body or in_trailer:
                    raise TagOutOfOrder(tag, f"Tag specified out of required order: {tag}")
            elif tag in trailer:
                in_trailer = True
            else:
                if in_trailer:
                    raise TagOutOfOrder(tag, f"Tag specified out of required order: {tag}")
                in_body = True
                if tag < USER_DEFINED_MIN:
                    if tag not in types:
                        raise InvalidTagNumber(tag, f"Invalid tag number: {tag}")
                    if allowed is not None and tag not in allowed:
                        raise TagNotForMessage(tag, f"Tag not defined for this message type: {tag}")
            if tag in seen and tag not in members:
                raise DuplicateTag(tag, f"Tag appears more than once: {tag}")
            seen.add(tag)
            _check_value(tag, raw, types.get(tag), enums.get(tag))


def _value_check(
    checker: Callable[[int, bytes], object] | None, allowed: frozenset[bytes] | None
) -> Callable[[int, bytes], object]:
    """One callable per tag: the type check, then the enumeration."""

    def check(tag: int, raw: bytes) -> None:
        if checker is not None:
            checker(tag, raw)
        if allowed is not None and raw not in allowed:
            raise ValueIncorrect(tag, f"Value is incorrect (out of range) for this tag: {tag}")

    return check


def _check_value(tag: int, raw: bytes, kind: str | None, allowed: frozenset[bytes] | None) -> None:
    if kind is not None:
        checker = _CHECKERS.get(kind)
        if checker is not None:
            checker(tag, raw)
    if allowed is not None and raw not in allowed:
        raise ValueIncorrect(tag, f"Value is incorrect (out of range) for this tag: {tag}")


def _check_group(msg: FixMessage, count_tag: int, first: int, members: frozenset[int]) -> None:
    raw = msg.get(count_tag) or b"0"
    declared = int(raw) if raw.isdigit() else -1
    entries = msg.groups(count_tag, first, members)
    if declared != len(entries):
        raise BadGroupCount(count_tag, f"Incorrect NumInGroup count for repeating group: {count_tag}")


@cache
def dictionary(begin_string: str) -> Dictionary:
    """The shared, immutable dictionary for a FIX version."""
    return Dictionary(begin_string)
