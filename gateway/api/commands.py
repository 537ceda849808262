"""The API's CLI subcommands: ``gateway token`` and ``gateway kill ... --url`` (REST mode)."""

from __future__ import annotations

import argparse
import sys

from gateway.api.client import mint_token, post
from gateway.api.config import ApiConfig
from gateway.api.tokens import Role
from gateway.settings import Settings

KILL_TOKEN_TTL = 300


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    """Print a token for the embedded default (the key pair under the data directory)."""
    roles = [Role(r) for r in args.role]
    accounts = [a for group in args.accounts or [] for a in group.split(",") if a]
    if Role.TRADER in roles and not accounts:
        print("a trader token needs --accounts (or --accounts '*')", file=sys.stderr)
        return 2
    config = ApiConfig.for_data_dir(settings.data_dir)
    print(mint_token(config, args.subject, roles, accounts, args.ttl))
    return 0


def kill_over_rest(args: argparse.Namespace, settings: Settings) -> int:
    """Engage, release or approve through the running gateway's kill-switch API."""
    config = ApiConfig.for_data_dir(settings.data_dir)
    token = args.token or mint_token(config, args.actor, [Role.RISK_OFFICER], [], KILL_TOKEN_TTL)
    target = {} if args.scope == "firm" else {"target": args.target}
    if args.scope != "firm" and not args.target:
        print("--target is required for this scope", file=sys.stderr)
        return 2
    if args.action == "engage":
        body = {"scope": args.scope, "reason": args.reason, "mode": args.mode, **target}
        reply = post(args.url, "/v1/kill-switch/engage", token, body)
    elif args.action == "release":
        reply = post(
            args.url, "/v1/kill-switch/release", token, {"scope": args.scope, "reason": args.reason, **target}
        )
    else:
        if not args.request_id:
            print("approve needs --request-id (printed by the release request)", file=sys.stderr)
            return 2
        reply = post(
            args.url,
            f"/v1/kill-switch/release-requests/{args.request_id}/approve",
            token,
            {"reason": args.reason},
        )
    body = reply.body
    if reply.status == 200 and args.action == "engage":
        print(
            f"ENGAGED {body['scope']}={body['target']} mode={body['mode']} "
            f"cancelled={body['cancelled']} audit_seq={body['audit_seq']}"
        )
    elif reply.status == 200:
        approved = f" approved_by={body['approved_by']}" if body.get("approved_by") else ""
        print(f"RELEASED {body['scope']}={body['target']}{approved} audit_seq={body['audit_seq']}")
    elif reply.status == 202:
        print(
            f"RELEASE REQUESTED {body['scope']}={body['target']} request_id={body['request_id']}: "
            "a second risk officer must approve (gateway kill approve --request-id ...)"
        )
    else:
        print(f"refused ({reply.status}): {body.get('detail', body)}", file=sys.stderr)
        return 1
    return 0


def add_token_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("token", help="issue an API token signed with the data directory's key")
    p.add_argument("--data-dir", help="state directory (default ./var or $GATEWAY_DATA_DIR)")
    p.add_argument("--subject", required=True, help="who the token is for (e.g. jsmith)")
    p.add_argument(
        "--role", required=True, action="append", choices=[r.value for r in Role], help="repeatable"
    )
    p.add_argument("--accounts", action="append", help="comma-separated accounts a trader may act for")
    p.add_argument("--ttl", type=int, default=3600, help="seconds until the token expires")
    return p


def add_kill_rest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="act through the running gateway's REST API (e.g. http://127.0.0.1:8080)")
    p.add_argument("--token", help="bearer token (default: minted for --actor as risk_officer)")
    p.add_argument("--request-id", help="with 'approve': the release request to approve (four eyes)")
