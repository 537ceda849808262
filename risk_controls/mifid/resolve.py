"""Resolve MiFID II RTS 22 attributes from an ordered list of default levels.

Each level is a mapping of the fields it sets (``None`` never appears: an
unset field falls through to the next level). The first level that sets a
field wins. The rules that are not plain fall-through are here, in one place:

* **Capacity** must resolve; there is no default.
* **Client id**: for DEAL (the firm trades for itself) and no client id at any
  level, the firm's own LEI is the client. ``client_id_type`` comes from the
  level that supplied the id; when that level does not say, an id with LEI
  shape is an LEI and anything else a short code. An LEI must pass its check
  digits.
* **Decision makers** (investment F57, execution F59): the type (PERSON/ALGO)
  comes from the level that supplied the id; else from what the policy says
  about that id anywhere (a strategy's ``algo_id`` is ALGO, an id typed at any
  level keeps that type); else from the first lower-precedence level that sets
  a type for that role (e.g. an account that says "executions here are by
  algorithm"); else the order is denied: a decision maker of unknown kind
  cannot be reported.
* **Investment decision** is required for DEAL; for AOTC and MTCH it may be
  empty (the client, not the firm, decided to invest).
* **Execution decision**: when none resolves and capacity is AOTC, the client
  decided the execution: ``NORE``/``NORE``. For DEAL and MTCH it is required,
  and ``NORE`` is refused (the firm itself decided, so someone in it did).
* **Algo**: the strategy's ``algo_id`` when the order came from a strategy;
  otherwise the execution decision maker if it is an ALGO, else the investment
  decision maker if it is an ALGO. ``algo_indicator`` is whether there is one.
* **Commodity derivative** and **SFT** default to false, **waiver** to none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from risk_controls.domain import Denial, DenyCode
from risk_controls.domain.decisions import deny
from risk_controls.mifid.identifiers import has_lei_shape, is_valid_lei

CONTROL = "mifid_tagging"
NORE = "NORE"

Level = Mapping[str, Any]


def _pick(levels: Sequence[Level], field: str) -> tuple[Any, int]:
    for index, level in enumerate(levels):
        value = level.get(field)
        if value is not None:
            return value, index
    return None, -1


def _decision(
    levels: Sequence[Level], role: str, registry: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """(id, type) of the investment or execution decision maker; type None means unknown."""
    ident, index = _pick(levels, f"{role}_decision")
    if ident is None:
        return None, None
    type_field = f"{role}_decision_type"
    kind = levels[index].get(type_field) or registry.get(ident)
    if kind is None:
        kind, _ = _pick(levels[index + 1 :], type_field)
    return ident, kind


def resolve(
    levels: Sequence[Level],
    *,
    registry: Mapping[str, str],
    firm_lei: str,
    strategy_algo_id: str | None,
    account: str,
) -> dict[str, Any] | Denial:
    """Every MiFID tag except the short-selling indicator (that one depends on the order's side)."""
    capacity, _ = _pick(levels, "capacity")
    if capacity is None:
        return _missing("capacity", account)
    capacity = str(capacity)
    client = _client(levels, capacity, firm_lei, account)
    if isinstance(client, Denial):
        return client
    investment = _investment(levels, capacity, registry, account)
    if isinstance(investment, Denial):
        return investment
    execution = _execution(levels, capacity, registry, account)
    if isinstance(execution, Denial):
        return execution
    algo_id = strategy_algo_id
    if algo_id is None:
        if execution[1] == "ALGO":
            algo_id = execution[0]
        elif investment[1] == "ALGO":
            algo_id = investment[0]
    waiver, _ = _pick(levels, "waiver")
    commodity, _ = _pick(levels, "commodity_derivative")
    sft, _ = _pick(levels, "sft")
    return {
        "client_id": client[0],
        "client_id_type": client[1],
        "investment_decision": investment[0],
        "investment_decision_type": investment[1],
        "execution_decision": execution[0],
        "execution_decision_type": execution[1],
        "algo_indicator": algo_id is not None,
        "algo_id": algo_id,
        "capacity": capacity,
        "short_selling_indicator": None,
        "waiver": waiver,
        "commodity_derivative": bool(commodity),
        "sft": bool(sft),
    }


def _missing(field: str, account: str, **context: object) -> Denial:
    return deny(DenyCode.MIFID_FIELD_MISSING, CONTROL, field=field, account=account, **context)


def _investment(
    levels: Sequence[Level], capacity: str, registry: Mapping[str, str], account: str
) -> tuple[str | None, str | None] | Denial:
    ident, kind = _decision(levels, "investment", registry)
    if ident is None and capacity == "DEAL":
        return _missing("investment_decision", account, capacity=capacity)
    if ident is not None and kind is None:
        return _missing("investment_decision_type", account, investment_decision=ident)
    return ident, kind


def _execution(
    levels: Sequence[Level], capacity: str, registry: Mapping[str, str], account: str
) -> tuple[str, str] | Denial:
    ident, kind = _decision(levels, "execution", registry)
    if ident is None or ident == NORE:
        if capacity == "AOTC":
            return NORE, NORE
        return _missing("execution_decision", account, capacity=capacity)
    if kind is None:
        return _missing("execution_decision_type", account, execution_decision=ident)
    return ident, kind


def _client(levels: Sequence[Level], capacity: str, firm_lei: str, account: str) -> tuple[str, str] | Denial:
    client_id, index = _pick(levels, "client_id")
    client_type = levels[index].get("client_id_type") if index >= 0 else None
    if client_id is None and capacity == "DEAL":
        client_id, client_type = firm_lei, "LEI"
    if client_id is None:
        return _missing("client_id", account)
    if client_type is None:
        client_type = "LEI" if has_lei_shape(client_id) else "SHORT_CODE"
    if client_type == "LEI" and not is_valid_lei(client_id):
        return deny(DenyCode.MIFID_INVALID_LEI, CONTROL, field="client_id", lei=client_id, account=account)
    return client_id, client_type
