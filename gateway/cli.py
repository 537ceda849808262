"""The ``gateway`` command: serve, demo, verify, policy check, kill, token, report, keys, bench.

Exit codes: 0 success, 1 a check failed (invalid policy, broken chain), 2 usage.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.settings import Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        data_dir=Path(args.data_dir) if getattr(args, "data_dir", None) else None,
        audit_url=getattr(args, "audit_url", None),
        policy_path=Path(args.policy) if getattr(args, "policy", None) else None,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    from gateway.server import serve

    settings = _settings(args)
    if args.port:
        settings = Settings.from_env(**{**_asdict(settings), "rest_port": args.port})
    return asyncio.run(serve(settings))


def _asdict(settings: Settings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in settings.__slots__}


def cmd_demo(args: argparse.Namespace) -> int:
    from gateway.demo import main

    return main(sys.stdout)


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify chain, Merkle roots and checkpoint signatures; name the first bad record.

    The store is opened read-only (no writer thread, nothing appended), so a whole-log
    check can fork one worker per core (audit.verify_parallel); a range or ``--deep``
    runs in this process.
    """
    from audit.factory import open_sql_audit_log
    from audit.verify_parallel import default_workers, verify_parallel
    from audit.verify_store import verify_store
    from gateway.app import checkpoint_keys

    settings = _settings(args)
    url = settings.resolved_audit_url
    if url.startswith("sqlite") and not _sqlite_file_exists(url):
        print(f"no audit log at {url}", file=sys.stderr)  # and opening it would create one
        return 2
    try:
        audit = open_sql_audit_log(url, migrate_schema=False, read_only=True)
    except Exception as exc:  # no log there yet, unreachable server, unknown schema
        print(f"cannot open the audit log at {url}: {exc}", file=sys.stderr)
        return 2
    keys = checkpoint_keys(settings)
    try:
        workers = default_workers() if args.workers is None else args.workers
        if workers > 1 and args.start == 1 and args.end is None and not args.deep:
            result = verify_parallel(audit, workers=workers, keys=keys, min_chunk=args.min_chunk)
        else:
            result = verify_store(
                audit, args.start, args.end, keys=keys, merkle="recompute" if args.deep else "stored"
            )
    finally:
        audit.close()
    print(f"records verified: {result.records} (seq {result.first_seq}..{result.last_seq})")
    print(f"signed checkpoints verified: {result.checkpoints}")
    print(f"head hash: {result.head_hash}")
    print("RESULT: OK" if result.ok else f"RESULT: FAULT at {result.fault}")
    return 0 if result.ok else 1


def _sqlite_file_exists(url: str) -> bool:
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    return database is not None and database != ":memory:" and Path(database).is_file()


def cmd_policy_check(args: argparse.Namespace) -> int:
    from risk_controls.policy import PolicyError, load_policy_file

    try:
        loaded = load_policy_file(Path(args.file))
    except PolicyError as exc:
        print(f"REFUSED {args.file}", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    policy = loaded.policy
    print(
        f"OK {args.file} version={policy.version} sha256={loaded.content_hash} "
        f"accounts={len(policy.accounts)} restricted={len(policy.restricted)}"
    )
    return 0


def cmd_kill(args: argparse.Namespace) -> int:
    if getattr(args, "url", None):
        from gateway.api.commands import kill_over_rest

        return kill_over_rest(args, _settings(args))
    if args.action == "approve":
        print("approve acts on the running gateway: add --url", file=sys.stderr)
        return 2
    from gateway.app import build_gateway
    from gateway.kill import KillSwitchError
    from gateway.server import ServerAlreadyRunning, single_instance
    from risk_controls.kill_switch import KillMode, KillScope

    settings = _settings(args)
    scope = KillScope(args.scope)

    async def act() -> int:
        gateway = build_gateway(settings)
        try:
            if args.action == "engage":
                outcome = await gateway.kill.engage(
                    scope, args.target or "*", args.reason, args.actor, KillMode(args.mode)
                )
                print(
                    f"ENGAGED {scope.value}={outcome.target} mode={outcome.mode.value} "
                    f"cancelled={outcome.cancelled} audit_seq={outcome.audit_seq}"
                )
            else:
                outcome = await gateway.kill.release(
                    scope, args.target or "*", args.reason, args.actor, args.approved_by
                )
                print(f"RELEASED {scope.value}={outcome.target} audit_seq={outcome.audit_seq}")
            return 0
        finally:
            gateway.close()

    try:
        with single_instance(settings.data_dir):
            return asyncio.run(act())
    except KillSwitchError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except ServerAlreadyRunning:
        print(
            "the gateway is running on this data directory: add --url http://HOST:PORT to act "
            "through its REST kill-switch API, so the running process acts at once",
            file=sys.stderr,
        )
        return 1


def cmd_token(args: argparse.Namespace) -> int:
    from gateway.api.commands import cmd_token as issue

    return issue(args, _settings(args))


def cmd_report(args: argparse.Namespace) -> int:
    """Generate a 17a-4 report from the audit log: files, .sig and .manifest.json in --out."""
    from datetime import date

    from gateway.app import checkpoint_keys, open_audit, secrets_for
    from reporting import generate_report

    settings = _settings(args)
    if args.date:
        start = end = date.fromisoformat(args.date)
    else:
        start, end = date.fromisoformat(args.from_), date.fromisoformat(args.to)
    if end < start:
        print("--to is before --from", file=sys.stderr)
        return 2
    secrets = secrets_for(settings)
    audit = open_audit(settings, secrets)
    try:
        written = generate_report(
            args.name,
            audit,
            start,
            end,
            args.format,
            Path(args.out),
            secrets.get_or_create_ed25519_key("report-signing-ed25519"),
            paper=args.paper,
            checkpoint_keys=checkpoint_keys(settings, secrets),
        )
    finally:
        audit.close()
    for path in written:
        print(path)
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Replace the audit checkpoint key. The old public half stays where ``verify`` and the
    reports look for keys, so checkpoints it signed still verify, and the old key signs the
    new one (an endorsement, kept in the data directory until the next start announces the
    new key in the log with it). A running gateway goes on signing with the key it started
    with until its next start, which announces the new one before it signs anything."""
    from audit.checkpoint import Ed25519Signer, Signer, endorse, key_id_of
    from gateway.app import secrets_for
    from gateway.endorsements import save_endorsement
    from gateway.secrets import CHECKPOINT_KEY, VaultSecretsProvider, VaultTransitSigner

    settings = _settings(args)
    secrets = secrets_for(settings)
    retiring: Signer
    if settings.checkpoint_transit is not None:
        if not isinstance(secrets, VaultSecretsProvider):
            print("GATEWAY_CHECKPOINT_TRANSIT needs Vault (VAULT_ADDR, VAULT_TOKEN)", file=sys.stderr)
            return 2
        mount = settings.checkpoint_transit
        retiring = VaultTransitSigner(secrets.client, CHECKPOINT_KEY, mount)  # signs with its version
        secrets.client.secrets.transit.rotate_key(name=CHECKPOINT_KEY, mount_point=mount)
        successor = VaultTransitSigner(secrets.client, CHECKPOINT_KEY, mount).public_key()
        done = f"checkpoint key rotated in Vault transit {mount}/{CHECKPOINT_KEY}: "
        done += f"{retiring.key_id} -> {key_id_of(successor)}"
    else:
        retiring = Ed25519Signer(secrets.get_or_create_ed25519_key(CHECKPOINT_KEY))
        try:
            successor = secrets.rotate_ed25519_key(CHECKPOINT_KEY).public_key()
        except ValueError as exc:
            print(f"cannot rotate: {exc}", file=sys.stderr)
            return 2
        done = f"checkpoint key rotated: {retiring.key_id} -> {key_id_of(successor)} "
        done += f"(the public key of {retiring.key_id} is kept for verification)"
    new = key_id_of(successor)
    kept = save_endorsement(settings.data_dir, new, retiring.key_id, endorse(retiring, successor))
    print(f"{retiring.key_id} endorsed {new}; the next start records it in the log ({kept})")
    print(done)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from gateway.bench import main

    return main(args.orders, sys.stdout, pin=not args.no_pin, processes=args.processes)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="state directory (default ./var or $GATEWAY_DATA_DIR)")
        p.add_argument("--audit-url", help="sqlite:///path.db or postgresql+psycopg://...")
        p.add_argument("--policy", help="policy file (default policies/default.toml)")

    p = sub.add_parser("serve", help="run the appliance until stopped")
    common(p)
    p.add_argument("--port", type=int, help="REST port (default 8080)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="a scripted session in a temporary directory")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("verify", help="verify the audit hash chain")
    common(p)
    p.add_argument("--start", type=int, default=1)
    p.add_argument("--end", type=int)
    p.add_argument(
        "--deep", action="store_true", help="recompute every Merkle leaf instead of trusting stored nodes"
    )
    p.add_argument(
        "--workers", type=int, help="processes for a whole-log check (default: one per core; 1: this one)"
    )
    p.add_argument(
        "--min-chunk", type=int, default=200_000, help="fewest records per worker worth starting one for"
    )
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("policy", help="policy tools")
    psub = p.add_subparsers(dest="policy_command", required=True)
    pc = psub.add_parser("check", help="validate a policy file")
    pc.add_argument("file")
    pc.set_defaults(func=cmd_policy_check)

    p = sub.add_parser("kill", help="engage or release the kill switch (gateway not running)")
    p.add_argument("action", choices=["engage", "release", "approve"])
    common(p)
    p.add_argument(
        "--scope", required=True, choices=["firm", "account", "trader", "strategy", "instrument", "session"]
    )
    p.add_argument("--target", help="account id, trader, strategy, symbol or session (not for firm)")
    p.add_argument("--reason", required=True)
    p.add_argument("--actor", required=True)
    p.add_argument("--mode", default="HALT", choices=["HALT", "REDUCING"])
    p.add_argument("--approved-by", help="second risk officer, where policy requires four eyes")
    from gateway.api.commands import add_kill_rest_arguments, add_token_parser

    add_kill_rest_arguments(p)
    p.set_defaults(func=cmd_kill)

    add_token_parser(sub).set_defaults(func=cmd_token)

    from reporting import REPORT_NAMES

    p = sub.add_parser("report", help="SEC 17a-4 reports (CSV / PDF) built from the audit log alone")
    common(p)
    p.add_argument("name", choices=REPORT_NAMES)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--date", help="one UTC day, YYYY-MM-DD")
    when.add_argument("--from", dest="from_", help="first UTC day, YYYY-MM-DD (with --to)")
    p.add_argument("--to", help="last UTC day, included")
    p.add_argument("--format", default="both", choices=["csv", "pdf", "both"])
    p.add_argument("--paper", default="A4", choices=["A4", "LETTER"])
    p.add_argument("--out", default="reports", help="output directory (default ./reports)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("keys", help="signing keys")
    ksub = p.add_subparsers(dest="keys_command", required=True)
    kr = ksub.add_parser("rotate", help="replace the audit checkpoint key (old checkpoints still verify)")
    common(kr)
    kr.set_defaults(func=cmd_keys_rotate)

    p = sub.add_parser("bench", help="chain and full-path throughput and latency")
    p.add_argument("--orders", type=int, default=20000)
    p.add_argument("--no-pin", action="store_true", help="use every core instead of one")
    p.add_argument(
        "--processes", type=int, default=5, help="fresh processes, run in turn; medians are printed"
    )
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
