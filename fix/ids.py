"""Session identity: FIX version plus our CompID and theirs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionID:
    """``FIX.4.4:GATEWAY->DESK1`` — the QuickFIX spelling, used as ``origin.session``."""

    begin_string: str
    sender_comp_id: str
    target_comp_id: str

    def __str__(self) -> str:
        return f"{self.begin_string}:{self.sender_comp_id}->{self.target_comp_id}"

    @classmethod
    def parse(cls, text: str) -> SessionID:
        begin, _, rest = text.partition(":")
        sender, sep, target = rest.partition("->")
        if not (begin and sender and sep and target):
            raise ValueError(f"not a session id: {text!r} (expected BEGIN:SENDER->TARGET)")
        return cls(begin, sender, target)
