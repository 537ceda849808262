"""MiFID II tagging: precedence order → strategy → session → trader → account → firm,
order overrides only where allowed, and denials that name the missing field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from risk_controls.domain import Capacity, DenyCode, Side
from risk_controls.events import MIFID_TAG_FIELDS
from risk_controls.mifid import tag_order
from risk_controls.policy.loader import load_policy_file
from risk_controls.policy.schema import AccountPolicy, Policy
from tests.risk_controls.mifid.conftest import (
    BAD_LEI,
    CLIENT_LEI,
    FIRM_LEI,
    OTHER_LEI,
    OrderFactory,
    account,
    policy_data,
)

ROOT = Path(__file__).resolve().parents[3]


def _account(policy: Policy, account_id: str) -> AccountPolicy:
    found = policy.account(account_id)
    assert found is not None
    return found


def tags_of(policy: Policy, order: Any) -> dict[str, Any]:
    tags, denial = tag_order(order, policy, _account(policy, order.account))
    assert denial is None, denial.text()
    assert tags is not None
    return tags


def denial_of(policy: Policy, order: Any) -> tuple[DenyCode, dict[str, str]]:
    tags, denial = tag_order(order, policy, _account(policy, order.account))
    assert tags is None and denial is not None
    assert denial.control == "mifid_tagging"
    return denial.code, denial.context_dict()


def with_changes(change: Any) -> Policy:
    data = policy_data()
    change(data)
    return Policy.model_validate(data)


# --- shape -------------------------------------------------------------------


def test_tags_have_exactly_the_audit_record_fields(policy: Policy, make_order: OrderFactory) -> None:
    assert list(tags_of(policy, make_order())) == list(MIFID_TAG_FIELDS)


# --- precedence, one level at a time ------------------------------------------


def test_firm_default_applies_when_no_other_level_sets_the_field(
    policy: Policy, make_order: OrderFactory
) -> None:
    tags = tags_of(policy, make_order(user="bob"))
    assert tags["waiver"] == "FIRM-WAIVER"
    assert tags["execution_decision"] == "BOB-ID"
    assert tags["execution_decision_type"] == "PERSON"  # firm's default type for executions


def test_account_default_wins_over_firm(policy: Policy, make_order: OrderFactory) -> None:
    tags = tags_of(policy, make_order(account="HOUSE", user="bob", strategy="twap"))
    assert tags["client_id"] == FIRM_LEI
    # bob's id has no type anywhere: HOUSE says executions are algorithmic, firm says PERSON
    bob_on_house = tags_of(
        policy, make_order(account="HOUSE", user="bob", session="S-OPEN", investment_decision="PM-ID")
    )
    assert bob_on_house["execution_decision_type"] == "ALGO"
    assert bob_on_house["capacity"] == "DEAL"


def test_account_client_id_and_capacity_are_used(policy: Policy, make_order: OrderFactory) -> None:
    tags = tags_of(policy, make_order())
    assert (tags["client_id"], tags["client_id_type"], tags["capacity"]) == (CLIENT_LEI, "LEI", "AOTC")


def test_trader_wins_over_account_and_firm(policy: Policy, make_order: OrderFactory) -> None:
    tags = tags_of(policy, make_order(user="alice"))
    assert tags["investment_decision"] == "ALICE-ID"
    assert tags["investment_decision_type"] == "PERSON"
    assert tags["execution_decision"] == "ALICE-ID"
    assert tags["waiver"] == "TRADER-WAIVER"
    assert tags["algo_indicator"] is False and tags["algo_id"] is None


def test_session_wins_over_trader(policy: Policy, make_order: OrderFactory) -> None:
    tags = tags_of(policy, make_order(user="alice", session="S-WAIVE"))
    assert tags["waiver"] == "SESSION-WAIVER"
    assert tags["sft"] is True
    assert tags["execution_decision"] == "ALICE-ID"  # the session does not set it


def test_strategy_algo_id_makes_both_decisions_algorithmic(policy: Policy, make_order: OrderFactory) -> None:
    tags = tags_of(policy, make_order(user="alice", session="S-WAIVE", strategy="twap"))
    assert tags["investment_decision"] == "ALGO-TWAP"
    assert tags["investment_decision_type"] == "ALGO"
    assert tags["execution_decision"] == "ALGO-TWAP"
    assert tags["execution_decision_type"] == "ALGO"
    assert tags["algo_indicator"] is True and tags["algo_id"] == "ALGO-TWAP"
    assert tags["waiver"] == "SESSION-WAIVER"  # the strategy does not set one


def test_strategy_own_mifid_block_wins_over_its_algo_id_and_the_session(
    policy: Policy, make_order: OrderFactory
) -> None:
    tags = tags_of(policy, make_order(user="alice", session="S-WAIVE", strategy="pm-twap"))
    assert (tags["investment_decision"], tags["investment_decision_type"]) == ("PM-ID", "PERSON")
    assert (tags["execution_decision"], tags["execution_decision_type"]) == ("ALGO-PM", "ALGO")
    assert tags["algo_id"] == "ALGO-PM"
    assert tags["waiver"] == "STRATEGY-WAIVER"


def test_algo_trader_without_strategy_is_flagged_algorithmic(
    policy: Policy, make_order: OrderFactory
) -> None:
    tags = tags_of(policy, make_order(user="robot"))
    assert tags["execution_decision_type"] == "ALGO"
    assert tags["algo_indicator"] is True and tags["algo_id"] == "ROBOT-1"


def test_flags_default_to_false(policy: Policy, make_order: OrderFactory) -> None:
    tags = tags_of(policy, make_order())
    assert tags["commodity_derivative"] is False and tags["sft"] is False


# --- order overrides --------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("client_id", OTHER_LEI),
        ("capacity", Capacity.DEAL),
        ("investment_decision", "SOMEONE"),
        ("execution_decision", "SOMEONE"),
        ("waiver", "W"),
        ("commodity_derivative", True),
        ("sft", True),
    ],
)
def test_override_where_not_allowed_is_denied_naming_the_field(
    policy: Policy, make_order: OrderFactory, field: str, value: Any
) -> None:
    code, context = denial_of(policy, make_order(**{field: value}))
    assert code is DenyCode.MIFID_OVERRIDE_NOT_ALLOWED
    assert context["field"] == field


def test_order_value_equal_to_the_default_is_not_an_override(
    policy: Policy, make_order: OrderFactory
) -> None:
    tags = tags_of(policy, make_order(client_id=CLIENT_LEI, capacity=Capacity.AOTC))
    assert tags["client_id"] == CLIENT_LEI


def test_override_where_allowed_wins_over_every_level(policy: Policy, make_order: OrderFactory) -> None:
    order = make_order(
        session="S-OPEN", client_id=OTHER_LEI, waiver="ORDER-WAIVER", commodity_derivative=True
    )
    tags = tags_of(policy, order)
    assert (tags["client_id"], tags["client_id_type"]) == (OTHER_LEI, "LEI")
    assert tags["waiver"] == "ORDER-WAIVER"
    assert tags["commodity_derivative"] is True


def test_overridden_decision_maker_takes_its_type_from_the_policy(
    policy: Policy, make_order: OrderFactory
) -> None:
    tags = tags_of(policy, make_order(user="bob", session="S-OPEN", execution_decision="ROBOT-1"))
    assert (tags["execution_decision"], tags["execution_decision_type"]) == ("ROBOT-1", "ALGO")
    assert tags["algo_id"] == "ROBOT-1"


def test_overridden_client_short_code_is_typed_short_code(policy: Policy, make_order: OrderFactory) -> None:
    tags = tags_of(policy, make_order(session="S-OPEN", client_id="12345"))
    assert (tags["client_id"], tags["client_id_type"]) == ("12345", "SHORT_CODE")


def test_overridden_lei_with_bad_check_digits_is_denied(policy: Policy, make_order: OrderFactory) -> None:
    code, context = denial_of(policy, make_order(session="S-OPEN", client_id=BAD_LEI))
    assert code is DenyCode.MIFID_INVALID_LEI
    assert context["lei"] == BAD_LEI


def test_higher_level_refusal_of_overrides_beats_a_lower_permission(make_order: OrderFactory) -> None:
    def change(data: dict[str, Any]) -> None:
        data["accounts"][0]["mifid"]["allow_order_overrides"] = True
        data["traders"][0]["mifid"]["allow_order_overrides"] = False

    policy = with_changes(change)
    assert tags_of(policy, make_order(user="bob", waiver="W"))["waiver"] == "W"
    code, context = denial_of(policy, make_order(user="alice", waiver="W"))
    assert (code, context["field"]) == (DenyCode.MIFID_OVERRIDE_NOT_ALLOWED, "waiver")


def test_override_can_complete_an_order_the_defaults_cannot_tag(make_order: OrderFactory) -> None:
    def change(data: dict[str, Any]) -> None:
        data["accounts"].append(account("OPEN", capacity="AOTC", allow_order_overrides=True))

    policy = with_changes(change)
    assert denial_of(policy, make_order(account="OPEN"))[1]["field"] == "client_id"
    assert tags_of(policy, make_order(account="OPEN", client_id=CLIENT_LEI))["client_id"] == CLIENT_LEI


# --- incomplete orders ------------------------------------------------------------


def test_missing_capacity_is_denied(policy: Policy, make_order: OrderFactory) -> None:
    code, context = denial_of(policy, make_order(account="BARE"))
    assert (code, context["field"]) == (DenyCode.MIFID_FIELD_MISSING, "capacity")


def test_missing_client_id_is_denied(make_order: OrderFactory) -> None:
    policy = with_changes(lambda d: d["accounts"].append(account("NOCLIENT", capacity="AOTC")))
    code, context = denial_of(policy, make_order(account="NOCLIENT"))
    assert (code, context["field"], context["account"]) == (
        DenyCode.MIFID_FIELD_MISSING,
        "client_id",
        "NOCLIENT",
    )


def test_dealing_on_own_account_without_client_id_reports_the_firm_lei(
    policy: Policy, make_order: OrderFactory
) -> None:
    tags = tags_of(policy, make_order(account="HOUSE", user="alice"))
    assert (tags["client_id"], tags["client_id_type"]) == (FIRM_LEI, "LEI")


def test_deal_without_investment_decision_maker_is_denied(policy: Policy, make_order: OrderFactory) -> None:
    code, context = denial_of(policy, make_order(account="HOUSE", user="robot"))
    assert (code, context["field"], context["capacity"]) == (
        DenyCode.MIFID_FIELD_MISSING,
        "investment_decision",
        "DEAL",
    )


def test_agency_order_without_investment_decision_maker_leaves_it_empty(
    policy: Policy, make_order: OrderFactory
) -> None:
    tags = tags_of(policy, make_order(user="bob"))
    assert tags["investment_decision"] is None and tags["investment_decision_type"] is None


def test_agency_order_without_execution_decision_maker_is_nore(
    policy: Policy, make_order: OrderFactory
) -> None:
    tags = tags_of(policy, make_order(user="unknown-user"))
    assert (tags["execution_decision"], tags["execution_decision_type"]) == ("NORE", "NORE")
    assert tags["algo_indicator"] is False


def test_matched_principal_without_execution_decision_maker_is_denied(
    policy: Policy, make_order: OrderFactory
) -> None:
    code, context = denial_of(policy, make_order(account="MATCH", user="unknown-user"))
    assert (code, context["field"], context["capacity"]) == (
        DenyCode.MIFID_FIELD_MISSING,
        "execution_decision",
        "MTCH",
    )


def test_nore_is_refused_when_the_firm_deals_for_itself(make_order: OrderFactory) -> None:
    policy = with_changes(lambda d: d["accounts"][1]["mifid"].update(allow_order_overrides=True))
    order = make_order(account="HOUSE", user="alice", execution_decision="NORE")
    code, context = denial_of(policy, order)
    assert (code, context["field"]) == (DenyCode.MIFID_FIELD_MISSING, "execution_decision")
    nore = tags_of(policy, make_order(session="S-OPEN", execution_decision="NORE"))
    assert nore["execution_decision_type"] == "NORE"


def test_decision_maker_of_unknown_kind_is_denied(policy: Policy, make_order: OrderFactory) -> None:
    code, context = denial_of(policy, make_order(user="bob", session="S-OPEN", investment_decision="NEW-PM"))
    assert (code, context["field"]) == (DenyCode.MIFID_FIELD_MISSING, "investment_decision_type")


def test_unknown_strategy_is_denied_for_want_of_an_algo_id(policy: Policy, make_order: OrderFactory) -> None:
    code, context = denial_of(policy, make_order(strategy="rogue"))
    assert (code, context["field"], context["strategy"]) == (DenyCode.MIFID_FIELD_MISSING, "algo_id", "rogue")


def test_short_code_client_is_typed_short_code(policy: Policy, make_order: OrderFactory) -> None:
    tags = tags_of(policy, make_order(account="MATCH", user="bob"))
    assert (tags["client_id"], tags["client_id_type"], tags["capacity"]) == (
        "CLIENT-SC-7",
        "SHORT_CODE",
        "MTCH",
    )


# --- LEI check digits ----------------------------------------------------------


def test_account_lei_with_bad_check_digits_is_denied(make_order: OrderFactory) -> None:
    policy = with_changes(lambda d: d["accounts"][0]["mifid"].update(client_id=BAD_LEI))
    code, context = denial_of(policy, make_order())
    assert (code, context["lei"]) == (DenyCode.MIFID_INVALID_LEI, BAD_LEI)


def test_explicit_short_code_type_is_not_checked_as_an_lei(make_order: OrderFactory) -> None:
    policy = with_changes(
        lambda d: d["accounts"][0]["mifid"].update(client_id=BAD_LEI, client_id_type="SHORT_CODE")
    )
    assert tags_of(policy, make_order())["client_id_type"] == "SHORT_CODE"


def test_explicit_lei_type_on_a_malformed_id_is_denied(make_order: OrderFactory) -> None:
    policy = with_changes(lambda d: d["accounts"][0]["mifid"].update(client_id="ABC", client_id_type="LEI"))
    assert denial_of(policy, make_order())[0] is DenyCode.MIFID_INVALID_LEI


# --- short selling indicator ------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "indicator"),
    [
        (Side.BUY, None),
        (Side.SELL, "SELL"),
        (Side.SELL_SHORT, "SESH"),
        (Side.SELL_SHORT_EXEMPT, "SSEX"),
    ],
)
def test_short_selling_indicator_follows_the_side(
    policy: Policy, make_order: OrderFactory, side: Side, indicator: str | None
) -> None:
    assert tags_of(policy, make_order(side=side))["short_selling_indicator"] == indicator


# --- caching must never serve stale or shared results ----------------------------


def test_a_reloaded_policy_is_used_at_once(policy: Policy, make_order: OrderFactory) -> None:
    assert tags_of(policy, make_order())["client_id"] == CLIENT_LEI
    reloaded = with_changes(lambda d: d["accounts"][0]["mifid"].update(client_id=OTHER_LEI))
    assert tags_of(reloaded, make_order())["client_id"] == OTHER_LEI
    assert tags_of(policy, make_order())["client_id"] == CLIENT_LEI


def test_returned_tags_are_the_callers_own(policy: Policy, make_order: OrderFactory) -> None:
    first = tags_of(policy, make_order(side=Side.SELL))
    first["client_id"] = "tampered"
    second = tags_of(policy, make_order(side=Side.BUY))
    assert second["client_id"] == CLIENT_LEI
    assert first["short_selling_indicator"] == "SELL" and second["short_selling_indicator"] is None


# --- the sample policy shipped with the product -------------------------------------


def test_sample_policy_tags_every_authorized_entry_point(make_order: OrderFactory) -> None:
    policy = load_policy_file(ROOT / "policies" / "default.toml").policy
    tagged = 0
    for acct in policy.accounts:
        if not acct.enabled:
            continue
        for session in acct.authorized_sessions:
            for user in acct.authorized_users:
                tags_of(policy, make_order(account=acct.id, user=user, session=session))
                tagged += 1
            for strategy in acct.authorized_strategies:
                tags = tags_of(
                    policy, make_order(account=acct.id, user=strategy, session=session, strategy=strategy)
                )
                assert tags["algo_indicator"] is True
                tagged += 1
    assert tagged > 10


def test_successive_orders_with_different_overrides_each_get_their_own(
    policy: Policy, make_order: OrderFactory
) -> None:
    first = tags_of(policy, make_order(session="S-OPEN", client_id=OTHER_LEI, side=Side.SELL))
    second = tags_of(policy, make_order(session="S-OPEN", client_id="12345"))
    again = tags_of(policy, make_order(session="S-OPEN", client_id=OTHER_LEI, side=Side.SELL_SHORT))
    plain = tags_of(policy, make_order(session="S-OPEN"))
    assert [t["client_id"] for t in (first, second, again, plain)] == [
        OTHER_LEI,
        "12345",
        OTHER_LEI,
        CLIENT_LEI,
    ]
    assert (first["short_selling_indicator"], again["short_selling_indicator"]) == ("SELL", "SESH")
    assert denial_of(policy, make_order(client_id=OTHER_LEI))[0] is DenyCode.MIFID_OVERRIDE_NOT_ALLOWED
