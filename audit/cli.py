"""``python -m audit``: verify a store, export a range, print the checkpoint key.

  python -m audit verify URL [--schema S] [--start N] [--end N] [--from-checkpoint SEQ]
                             [--public-key PEM] [--merkle recompute|stored|none] [--deep]
                             [--workers N] [--min-chunk N]

--public-key may be the log's first checkpoint key: keys it endorsed at rotation, and
the keys those endorsed, are trusted too (docs/audit-format.md, "Endorsements").
  python -m audit export URL FIRST LAST DIR [--schema S] [--signing-key PEM]
  python -m audit verify-export FILE.jsonl [--public-key PEM]

Exit status 0 when everything verified, 1 on a fault, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoint import Ed25519Signer, load_public_key
from audit.export import export_files, verify_export
from audit.factory import open_sql_audit_log
from audit.proofs import follow_endorsements
from audit.sql_store import CheckpointPolicy
from audit.verify import keyring
from audit.verify_parallel import default_workers, verify_parallel
from audit.verify_store import verify_store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m audit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify the chain, checkpoints and Merkle roots")
    verify.add_argument("url")
    verify.add_argument("--schema")
    verify.add_argument("--start", type=int, default=1)
    verify.add_argument("--end", type=int)
    verify.add_argument("--from-checkpoint", type=int)
    verify.add_argument("--public-key", type=Path, help="PEM of the checkpoint key")
    verify.add_argument("--merkle", choices=("recompute", "stored", "none"), default="stored")
    verify.add_argument("--deep", action="store_true", help="also re-derive every record's bytes")
    verify.add_argument(
        "--workers",
        type=int,
        help="processes for a whole-log check (default: one per core, for logs long enough)",
    )
    verify.add_argument(
        "--min-chunk",
        type=int,
        default=200_000,
        help="fewest records per worker process (shorter logs are verified in one process)",
    )
    export = commands.add_parser("export", help="export a range as JSONL + CSV with proofs")
    export.add_argument("url")
    export.add_argument("first", type=int)
    export.add_argument("last", type=int)
    export.add_argument("directory", type=Path)
    export.add_argument("--schema")
    export.add_argument("--signing-key", type=Path, help="Ed25519 PEM, if a checkpoint is needed")
    check = commands.add_parser("verify-export", help="verify an export file offline")
    check.add_argument("file", type=Path)
    check.add_argument("--public-key", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "verify-export":
        key = load_public_key(args.public_key.read_bytes()) if args.public_key else None
        result = verify_export(args.file, key)
    elif args.command == "verify":
        keys = keyring(load_public_key(args.public_key.read_bytes())) if args.public_key else None
        # read-only: no writer thread, so the workers can be forked (see verify_parallel)
        store = open_sql_audit_log(args.url, schema=args.schema, migrate_schema=False, read_only=True)
        try:
            if keys is not None:  # the key given may be the log's first: follow its endorsements
                keys = follow_endorsements(store, keys)
            whole = args.start == 1 and args.end is None and args.from_checkpoint is None
            workers = default_workers() if args.workers is None else args.workers
            if workers > 1 and whole and not args.deep:
                result = verify_parallel(
                    store, workers=workers, keys=keys, merkle=args.merkle, min_chunk=args.min_chunk
                )
            else:
                result = verify_store(
                    store,
                    args.start,
                    args.end,
                    from_checkpoint=args.from_checkpoint,
                    keys=keys,
                    merkle=args.merkle,
                    deep=args.deep,
                )
        finally:
            store.close()
    else:
        return _export(args)
    print(result)
    return 0 if result.ok else 1


def _export(args: argparse.Namespace) -> int:
    policy = None
    if args.signing_key is not None:  # lets the export write a checkpoint if none covers it
        private = serialization.load_pem_private_key(args.signing_key.read_bytes(), password=None)
        if not isinstance(private, Ed25519PrivateKey):
            print("the signing key must be Ed25519", file=sys.stderr)
            return 2
        policy = CheckpointPolicy(Ed25519Signer(private), every=None, interval=None)
    store = open_sql_audit_log(args.url, schema=args.schema, migrate_schema=False, checkpoints=policy)
    try:
        jsonl, csv_path, summary = export_files(store, args.first, args.last, args.directory)
    finally:
        store.close()
    print(f"wrote {jsonl} and {csv_path}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
