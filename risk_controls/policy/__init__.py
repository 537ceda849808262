"""Risk policy: the pydantic schema, the TOML loader with located errors."""

from risk_controls.policy.loader import (
    LoadedPolicy,
    PolicyError,
    PolicyIssue,
    load_policy_file,
    parse_policy,
)
from risk_controls.policy.schema import AccountPolicy, Policy

__all__ = [
    "AccountPolicy",
    "LoadedPolicy",
    "Policy",
    "PolicyError",
    "PolicyIssue",
    "load_policy_file",
    "parse_policy",
]
