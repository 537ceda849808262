"""The application seam: what a session calls, knowing nothing of orders.

Like QuickFIX's ``Application``: the session handles the session protocol
and hands each in-sequence application message to :meth:`Application.from_app`.
The application answers through the :class:`Sender` it was given. Exceptions
it raises become protocol replies, never a crash:

* a :class:`~fix.errors.FieldError` (bad or missing field) -> session Reject 35=3;
* :class:`UnsupportedMessageType` -> BusinessMessageReject 35=j, reason 3;
* :class:`BusinessReject` -> BusinessMessageReject with its reason and text;
* anything else -> logged, BusinessMessageReject reason 0, the session lives on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from fix.ids import SessionID
from fix.message import Field, FixMessage
from fix.tags import BusinessRejectReason


class UnsupportedMessageType(Exception):
    """The application does not handle this MsgType."""


class BusinessReject(Exception):
    """Refuse a message at the business level (35=j)."""

    def __init__(self, reason: int, text: str, ref_id: str | None = None) -> None:
        super().__init__(text)
        self.reason = reason
        self.text = text
        self.ref_id = ref_id


class Sender(Protocol):
    """How an application sends: the acceptor or initiator implements it."""

    def send(self, session_id: SessionID, msg_type: bytes, body: Iterable[Field]) -> bool:
        """Queue an application message; False if the session is unknown."""
        ...

    def is_logged_on(self, session_id: SessionID) -> bool: ...


class Application(Protocol):
    """Callbacks from the session layer (all on the event-loop thread)."""

    def on_logon(self, session_id: SessionID) -> None: ...

    def on_logout(self, session_id: SessionID) -> None: ...

    def from_app(self, session_id: SessionID, message: FixMessage) -> None:
        """An application message in sequence; raise to reject it (see module doc)."""
        ...


class NullApplication:
    """Accepts nothing: every application message is unsupported (admin-only sessions)."""

    def on_logon(self, session_id: SessionID) -> None:
        return None

    def on_logout(self, session_id: SessionID) -> None:
        return None

    def from_app(self, session_id: SessionID, message: FixMessage) -> None:
        raise UnsupportedMessageType(message.msg_type)


__all__ = [
    "Application",
    "BusinessReject",
    "BusinessRejectReason",
    "NullApplication",
    "Sender",
    "UnsupportedMessageType",
]
