"""MiFID II tags for an accepted order: defaults by level, order overrides where allowed.

Precedence, highest first, field by field: the order's own values
(``order.mifid``, only where the resolved ``allow_order_overrides`` is true),
the strategy (``origin.strategy``; its ``algo_id`` makes both decision makers
that ALGO unless the strategy's own MiFID block names them), the session
(``origin.session``), the trader (``origin.user``), the account, the firm.
See :mod:`risk_controls.mifid.resolve` for the rules beyond fall-through.

An order value that differs from what the defaults give, where overrides are
not allowed, is denied (MIFID_OVERRIDE_NOT_ALLOWED) rather than ignored: the
sender believes the order carries its value, and silently reporting another
would make the record wrong. An order value equal to the default is not an
override (FIX clients often repeat their party ids on every order).

Tagging runs on every accepted order, so the resolved defaults for each
(account, session, user, strategy) are computed once per policy version and
the per-order work is a dict copy plus the short-selling indicator.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from risk_controls.domain import NO_OVERRIDES, Denial, DenyCode, MifidOverrides, NewOrder, Side
from risk_controls.domain.decisions import deny
from risk_controls.mifid.resolve import CONTROL, Level, resolve
from risk_controls.policy.schema import AccountPolicy, MifidDefaults, Policy

# RTS 22 field 62. UNDI ("information not available") would apply to a sell
# whose short/long status is unknown; our Side always says which, so UNDI is
# never produced. A buy carries no indicator (the field is for the seller).
SHORT_SELLING_INDICATOR: Mapping[Side, str | None] = {
    Side.BUY: None,
    Side.SELL: "SELL",
    Side.SELL_SHORT: "SESH",
    Side.SELL_SHORT_EXEMPT: "SSEX",
}

_OVERRIDE_FIELDS = tuple(f.name for f in fields(MifidOverrides))
_MAX_BASES = 4096  # distinct (account, session, user, strategy) per policy version
_MAX_TAGGERS = 4  # policy versions kept (the one in force and a few just replaced)

TagResult = tuple[dict[str, Any], None] | tuple[None, Denial]


def _level(defaults: MifidDefaults) -> dict[str, Any]:
    return {k: v for k, v in defaults.model_dump().items() if v is not None}


@dataclass(frozen=True, slots=True, eq=False)
class _Base:
    """Defaults resolved for one (account, session, user, strategy), before order overrides."""

    account: AccountPolicy
    levels: tuple[Level, ...]
    strategy_algo_id: str | None
    allow_overrides: bool
    result: dict[str, Any] | Denial


class MifidTagger:
    """Tags orders under one policy version; build a new one when the policy changes."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._registry = _decision_registry(policy)
        self._bases: dict[tuple[int, str, str, str, str | None], _Base] = {}
        # FIX clients tend to repeat the same party ids on every order: memoise those too
        self._overridden: dict[tuple[_Base, MifidOverrides], dict[str, Any] | Denial] = {}

    def tag(self, order: NewOrder, account: AccountPolicy) -> TagResult:
        """The complete tag dict (keys = ``events.MIFID_TAG_FIELDS``), or the denial."""
        origin = order.origin
        key = (id(account), account.id, origin.session, origin.user, origin.strategy)
        base = self._bases.get(key)
        if base is None or base.account is not account:
            base = self._base(order, account)
            if len(self._bases) >= _MAX_BASES:
                self._bases.clear()
            self._bases[key] = base
        result = base.result
        if order.mifid is not NO_OVERRIDES and order.mifid != NO_OVERRIDES:
            memo_key = (base, order.mifid)
            memo = self._overridden.get(memo_key)
            if memo is None:
                memo = self._with_overrides(order, base)
                if len(self._overridden) >= _MAX_BASES:
                    self._overridden.clear()
                self._overridden[memo_key] = memo
            result = memo
        if isinstance(result, Denial):
            return None, result
        tags = dict(result)
        tags["short_selling_indicator"] = SHORT_SELLING_INDICATOR[order.side]
        return tags, None

    def _base(self, order: NewOrder, account: AccountPolicy) -> _Base:
        policy = self.policy
        origin = order.origin
        levels: list[Level] = []
        algo_id: str | None = None
        unknown_strategy: Denial | None = None
        if origin.strategy is not None:
            strategy = policy.strategy(origin.strategy)
            if strategy is None:
                unknown_strategy = deny(
                    DenyCode.MIFID_FIELD_MISSING, CONTROL, field="algo_id", strategy=origin.strategy
                )
            else:
                algo_id = strategy.algo_id
                level = _level(strategy.mifid)
                for role in ("investment", "execution"):
                    if f"{role}_decision" not in level:
                        level[f"{role}_decision"] = algo_id
                        level[f"{role}_decision_type"] = "ALGO"
                levels.append(level)
        session = policy.session(origin.session)
        if session is not None:
            levels.append(_level(session.mifid))
        trader = policy.trader(origin.user)
        if trader is not None:
            levels.append(_level(trader.mifid))
        levels.append(_level(account.mifid))
        levels.append(_level(policy.firm.mifid))
        allow = next(
            (lvl["allow_order_overrides"] for lvl in levels if "allow_order_overrides" in lvl), False
        )
        result = unknown_strategy or self._resolve(levels, algo_id, account)
        return _Base(account, tuple(levels), algo_id, bool(allow), result)

    def _resolve(
        self, levels: list[Level], algo_id: str | None, account: AccountPolicy
    ) -> dict[str, Any] | Denial:
        return resolve(
            levels,
            registry=self._registry,
            firm_lei=self.policy.firm.lei,
            strategy_algo_id=algo_id,
            account=account.id,
        )

    def _with_overrides(self, order: NewOrder, base: _Base) -> dict[str, Any] | Denial:
        overrides = {name: getattr(order.mifid, name) for name in _OVERRIDE_FIELDS}
        overrides = {k: (str(v) if k == "capacity" else v) for k, v in overrides.items() if v is not None}
        if not base.allow_overrides:
            defaults = base.result if isinstance(base.result, dict) else {}
            for name, value in overrides.items():
                if defaults.get(name) != value:
                    return deny(
                        DenyCode.MIFID_OVERRIDE_NOT_ALLOWED,
                        CONTROL,
                        field=name,
                        value=value,
                        account=base.account.id,
                    )
            return base.result
        if isinstance(base.result, Denial) and base.result.code is not DenyCode.MIFID_FIELD_MISSING:
            return base.result  # an unknown strategy or a bad default LEI is not the order's to fix
        return self._resolve([overrides, *base.levels], base.strategy_algo_id, base.account)


def _decision_registry(policy: Policy) -> dict[str, str]:
    """What the policy says each decision-maker id is (PERSON or ALGO), wherever it says it."""
    registry: dict[str, str] = {}
    blocks = [policy.firm.mifid, *(a.mifid for a in policy.accounts)]
    blocks += [t.mifid for t in policy.traders] + [s.mifid for s in policy.sessions]
    blocks += [s.mifid for s in policy.strategies]
    for block in blocks:
        for ident, kind in (
            (block.investment_decision, block.investment_decision_type),
            (block.execution_decision, block.execution_decision_type),
        ):
            if ident is not None and kind is not None:
                registry.setdefault(ident, kind)
    for strategy in policy.strategies:
        registry[strategy.algo_id] = "ALGO"
    return registry


_taggers: OrderedDict[int, MifidTagger] = OrderedDict()


def tagger_for(policy: Policy) -> MifidTagger:
    """The cached tagger of this policy object (keyed by identity: a reload is a new object)."""
    tagger = _taggers.get(id(policy))
    if tagger is None or tagger.policy is not policy:
        tagger = MifidTagger(policy)
        _taggers[id(policy)] = tagger
        while len(_taggers) > _MAX_TAGGERS:
            _taggers.popitem(last=False)
    return tagger


def tag_order(order: NewOrder, policy: Policy, account: AccountPolicy) -> TagResult:
    """MiFID II tags of ``order`` (exactly ``events.MIFID_TAG_FIELDS``) or the denial naming the field."""
    return tagger_for(policy).tag(order, account)
