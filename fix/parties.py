"""MiFID II identifiers in the FIX Parties group (regulation.md section 2).

=====================  =====  ===========================================
RTS 22 field           452    448 / 447 / 2376
=====================  =====  ===========================================
client (F7, F16)       3      LEI (447=N) or short code (447=P); 2376=23 firm, 24 person
investment decision    122    person or algo id; 2376=24 person, 22 algorithm
execution decision     12     person or algo id, or NORE; 2376=24 / 22
=====================  =====  ===========================================

FIX 4.2 predates Parties: by convention the decision makers travel in tags
20122 and 20012; the gateway also accepts a Parties group from a 4.2 peer.
"""

from __future__ import annotations

from dataclasses import dataclass

from fix import tags as t
from fix.message import Field, FixMessage
from risk_controls.domain import NO_OVERRIDES, MifidOverrides

ROLE_CLIENT = 3
ROLE_EXECUTION_DECISION = 12
ROLE_INVESTMENT_DECISION = 122
QUALIFIER_ALGORITHM = 22
QUALIFIER_FIRM = 23
QUALIFIER_PERSON = 24
SOURCE_LEI = "N"
SOURCE_SHORT_CODE = "P"
_MEMBERS = frozenset({t.PARTY_ID_SOURCE, t.PARTY_ROLE, t.PARTY_ROLE_QUALIFIER, 523, 802, 803})


@dataclass(frozen=True, slots=True)
class Party:
    party_id: str
    role: int
    source: str | None = None
    qualifier: int | None = None


def is_lei(value: str) -> bool:
    """ISO 17442: 20 upper-case alphanumerics, last two digits, MOD 97-10 == 1."""
    if len(value) != 20 or not value.isalnum() or not value[-2:].isdigit() or value != value.upper():
        return False
    digits = "".join(str(int(ch, 36)) for ch in value)
    return int(digits) % 97 == 1


def read_parties(message: FixMessage) -> list[Party]:
    """Every Parties entry of ``message`` (malformed role numbers are skipped)."""
    parties = []
    for entry in message.groups(t.NO_PARTY_IDS, t.PARTY_ID, _MEMBERS):
        values = dict(entry)
        role = values.get(t.PARTY_ROLE, b"")
        if not role.isdigit():
            continue
        qualifier = values.get(t.PARTY_ROLE_QUALIFIER, b"")
        source = values.get(t.PARTY_ID_SOURCE)
        parties.append(
            Party(
                values[t.PARTY_ID].decode(),
                int(role),
                source.decode() if source else None,
                int(qualifier) if qualifier.isdigit() else None,
            )
        )
    return parties


def overrides_from(message: FixMessage, parties: list[Party]) -> MifidOverrides:
    """Client and decision makers named by the message (Parties, then the 4.2 tags)."""
    by_role = {p.role: p.party_id for p in parties}
    investment = by_role.get(ROLE_INVESTMENT_DECISION) or message.get_str(t.INVESTMENT_DECISION_42)
    execution = by_role.get(ROLE_EXECUTION_DECISION) or message.get_str(t.EXECUTION_DECISION_42)
    client = by_role.get(ROLE_CLIENT)
    if client is None and investment is None and execution is None:
        return NO_OVERRIDES
    return MifidOverrides(
        client_id=client,
        investment_decision=investment,
        execution_decision=execution,
    )


def parties_for(overrides: MifidOverrides, received: list[Party] | None = None) -> list[Party]:
    """Parties to write on a report: those received, else built from the overrides."""
    if received:
        return received
    out = []
    if overrides.client_id:
        out.append(Party(overrides.client_id, ROLE_CLIENT, _source(overrides.client_id)))
    if overrides.investment_decision:
        out.append(Party(overrides.investment_decision, ROLE_INVESTMENT_DECISION, SOURCE_SHORT_CODE))
    if overrides.execution_decision:
        out.append(Party(overrides.execution_decision, ROLE_EXECUTION_DECISION, SOURCE_SHORT_CODE))
    return out


def _source(party_id: str) -> str:
    return SOURCE_LEI if is_lei(party_id) else SOURCE_SHORT_CODE


def write_parties(parties: list[Party], begin_string: str) -> list[Field]:
    """The Parties group for FIX 4.4; the 20122 / 20012 convention for FIX 4.2."""
    if not parties:
        return []
    if begin_string == "FIX.4.2":
        out: list[Field] = []
        for party in parties:
            if party.role == ROLE_INVESTMENT_DECISION:
                out.append((t.INVESTMENT_DECISION_42, party.party_id.encode()))
            elif party.role == ROLE_EXECUTION_DECISION:
                out.append((t.EXECUTION_DECISION_42, party.party_id.encode()))
        return out
    fields: list[Field] = [(t.NO_PARTY_IDS, b"%d" % len(parties))]
    for party in parties:
        fields.append((t.PARTY_ID, party.party_id.encode()))
        if party.source:
            fields.append((t.PARTY_ID_SOURCE, party.source.encode()))
        fields.append((t.PARTY_ROLE, b"%d" % party.role))
        if party.qualifier is not None:
            fields.append((t.PARTY_ROLE_QUALIFIER, b"%d" % party.qualifier))
    return fields
